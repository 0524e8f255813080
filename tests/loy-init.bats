#!/usr/bin/env bats
# loy-init: creating a ledger with the default programme.

load helper

@test "creates a ledger only its owner can read" {
	run -0 --separate-stderr loy-init
	[ "$output" = "" ]
	[ "$stderr" = "loy-init: created ledger '$LOY_DB'" ]
	[ "$(stat -c %a "$LOY_DB")" = 600 ]
	ledger_ok
}

# A setting's value in the ledger.
setting() {
	q "SELECT value FROM settings WHERE key = '$1'"
}

@test "a new ledger has the default programme" {
	new_ledger
	[ "$(setting programme)" = "Loyalty Club" ]
	[ "$(setting currency)" = EUR ]
	[ "$(setting decimals)" = 2 ]
	[ "$(setting timezone)" = UTC ]
	[ "$(setting earn_points)" = 1 ]
	[ "$(setting earn_amount)" = 1 ]
	[ "$(setting point_value)" = 0.01 ]
	[ "$(setting tiers)" = "Pearl,Opal,Ruby,Diamond" ]
	[ "$(setting expiry_months)" = 24 ]
	[ "$(setting allow_negative)" = no ]
	[ "$(setting phone_pattern)" = '^\+?[0-9][0-9 ()/.-]{4,22}[0-9]$' ]
	[ "$(setting email_pattern)" = '^[^@\s]+@[^@\s]+\.[^@\s.]+$' ]
	ledger_ok
}

@test "a new ledger is empty and its creation is recorded as a run" {
	new_ledger
	[ "$(q "SELECT count(*) FROM members")" = 0 ]
	[ "$(q "SELECT count(*) FROM journal")" = 0 ]
	[ "$(q "SELECT program || '|' || summary FROM runs")" = "loy-init|created" ]
	ledger_ok
}

@test "-d names the ledger to create" {
	run -0 --separate-stderr loy-init -d club.db
	[ "$stderr" = "loy-init: created ledger 'club.db'" ]
	[ -f club.db ]
	[ ! -e "$LOY_DB" ]
	ledger_ok club.db
}

@test "without -d or LOY_DB the ledger is ./loyalty.db" {
	mkdir shop
	cd shop
	run -0 --separate-stderr env -u LOY_DB loy-init
	[ "$stderr" = "loy-init: created ledger 'loyalty.db'" ]
	[ -f loyalty.db ]
	[ ! -e "$LOY_DB" ]
	ledger_ok loyalty.db
}

@test "--set overrides defaults" {
	run -0 --separate-stderr loy-init --set tiers=Bronze,Silver,Gold \
	    --set currency=JPY --set decimals=0
	[ "$(setting tiers)" = "Bronze,Silver,Gold" ]
	[ "$(setting currency)" = JPY ]
	[ "$(setting decimals)" = 0 ]
	[ "$(setting programme)" = "Loyalty Club" ]
	ledger_ok
}

@test "new members start in the lowest tier set with --set" {
	new_ledger --set tiers=Bronze,Silver,Gold
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$(q "SELECT tier FROM members WHERE member_id = '1'")" = Bronze ]
	ledger_ok
}

@test "a tiers setting with spaces around its names starts new members in the tier it names, trimmed" {
	new_ledger --set 'tiers= Basic , Gold'
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	printf 'txn_id,member_id,amount,occurred_at\nT1,2,5.00,2026-11-20 10:00:00\n' >pos.csv
	run -0 --separate-stderr loy-accrue --auto-enroll pos.csv
	[ "$(q "SELECT group_concat(member_id || '=' || tier, ' ') FROM members")" = "1=Basic 2=Basic" ]
	run -0 --separate-stderr loy-report tiers
	same "$output" <<'EOF'
tier,members,share_pct,points,value
Basic,2,100.00,5,0.05
Gold,0,0.00,0,0.00
EOF
	run -0 --separate-stderr loy-segment tiers
	same "$output" <<'EOF'
member_id,old_tier,new_tier,measure,threshold,reason,effective
EOF
	ledger_ok
}

@test "--set accepts a known time zone" {
	[ -e /usr/share/zoneinfo/Europe/Berlin ] || skip "no time zone data installed"
	run -0 --separate-stderr loy-init --set timezone=Europe/Berlin
	[ "$(setting timezone)" = Europe/Berlin ]
	ledger_ok
}

@test "--set refuses an unknown setting, says where the settings are listed, and creates nothing" {
	run -64 --separate-stderr loy-init --set colour=blue
	[ "$output" = "" ]
	[ "$stderr" = "loy-init: unknown setting 'colour' (loy-init --settings lists them)" ]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses a currency that is no ISO 4217 code, and an identify_by with an item left out or named twice" {
	for v in EURO eur E1R ''; do
		run -64 --separate-stderr loy-init --set "currency=$v"
		[ "$stderr" = "loy-init: currency '$v' must be an ISO 4217 code: three capital letters, such as EUR" ]
		[ ! -e "$LOY_DB" ]
	done
	for v in card,card 'card,' ',card' 'card,,phone' 'phone, card, phone' name; do
		run -64 --separate-stderr loy-init --set "identify_by=$v"
		[ "$stderr" = "loy-init: identify_by '$v' must list member_id, card, phone or email, each once" ]
		[ ! -e "$LOY_DB" ]
	done
	run -0 --separate-stderr loy-init --set currency=KWD --set decimals=3 --set 'identify_by=card, phone'
	[ "$(setting currency)" = KWD ]
	[ "$(setting identify_by)" = "card, phone" ]
	ledger_ok
}

@test "--set refuses decimals other than 0, 2 or 3" {
	run -64 --separate-stderr loy-init --set decimals=5
	[ "$stderr" = "loy-init: decimals '5' must be 0, 2 or 3" ]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses allow_negative other than yes or no" {
	run -64 --separate-stderr loy-init --set allow_negative=maybe
	[ "$stderr" = "loy-init: allow_negative 'maybe' must be yes or no" ]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses an unknown time zone" {
	run -64 --separate-stderr loy-init --set timezone=Mars/Olympus_Mons
	[ "$stderr" = "loy-init: timezone 'Mars/Olympus_Mons' is not a known time zone" ]
	run -64 --separate-stderr loy-init --set timezone=../../etc/passwd
	[ "$stderr" = "loy-init: timezone '../../etc/passwd' is not a known time zone" ]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses expiry_months and earn_points that are not whole numbers" {
	run -64 --separate-stderr loy-init --set expiry_months=-1
	[ "$stderr" = "loy-init: expiry_months '-1' must be a whole number" ]
	run -64 --separate-stderr loy-init --set earn_points=1.5
	[ "$stderr" = "loy-init: earn_points '1.5' must be a whole number" ]
	run -64 --separate-stderr loy-init --set expiry_months=
	[ "$stderr" = "loy-init: expiry_months '' must be a whole number" ]
	run -64 --separate-stderr loy-init --set earn_points=1000000
	[ "$stderr" = "loy-init: earn_points '1000000' is more than 999999" ]
	[ ! -e "$LOY_DB" ]
	run -0 --separate-stderr loy-init --set earn_points=999999
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_points'")" = 999999 ]
}

@test "--set refuses a pattern that does not compile" {
	run -64 --separate-stderr loy-init --set 'phone_pattern=(0'
	[[ "$stderr" == "loy-init: phone_pattern '(0': "* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses a phone_country that is no country calling code, or one whose numbers keep their leading 0" {
	for v in 0044 +44 1234 4a ""; do
		run -64 --separate-stderr loy-init --set "phone_country=$v"
		[ "$stderr" = "loy-init: phone_country '$v' must be a country calling code without the +, 1 to 3 digits such as 44, or none" ]
	done
	for v in 39 378 379; do
		run -64 --separate-stderr loy-init --set "phone_country=$v"
		[ "$stderr" = "loy-init: phone_country '$v' cannot be used: that country's numbers keep their leading 0 after +$v" ]
	done
	[ ! -e "$LOY_DB" ]
	run -0 --separate-stderr loy-init --set phone_country=1
	[ "$(q "SELECT value FROM settings WHERE key = 'phone_country'")" = 1 ]
	ledger_ok
}

@test "--set refuses money settings that are not decimal numbers" {
	run -64 --separate-stderr loy-init --set point_value=abc
	[[ "$stderr" == "loy-init: point_value 'abc' "* ]]
	run -64 --separate-stderr loy-init --set earn_amount=1,5
	[[ "$stderr" == "loy-init: earn_amount '1,5' "* ]]
	[ ! -e "$LOY_DB" ]
}

@test "--set refuses a value the programme cannot take, naming the --set as typed" {
	run -64 --separate-stderr loy-init --set tiers=Gold,Gold
	[ "$output" = "" ]
	[ "$stderr" = "loy-init: --set tiers='Gold,Gold': names 'Gold' twice" ]
	run -64 --separate-stderr loy-init --set tiers=
	[ "$stderr" = "loy-init: --set tiers='': has no value" ]
	run -64 --separate-stderr loy-init --set programme=
	[ "$stderr" = "loy-init: --set programme='': has no value" ]
	run -64 --separate-stderr loy-init --set earn_amount=0.001
	[ "$stderr" = "loy-init: --set earn_amount='0.001': has more than 2 decimals" ]
	run -64 --separate-stderr loy-init --set decimals=0 --set earn_amount=0.5
	[ "$stderr" = "loy-init: --set earn_amount='0.5': is not a whole number" ]
	run -64 --separate-stderr loy-init --set expiry_policy=rolling --set expiry_months=0
	[ "$stderr" = "loy-init: --set expiry_months='0': expiry policy rolling needs months of at least 1" ]
	run -64 --separate-stderr loy-init --set $'programme=A\nB'
	[ "$stderr" = "loy-init: --set programme='A\nB': has a control character" ]
	[ ! -e "$LOY_DB" ]
	[ -z "$(compgen -G "$LOY_DB*")" ]
	# with decimals 3 the same amount is allowed
	run -0 loy-init --set decimals=3 --set earn_amount=0.001
}

@test "--set refuses a control character in the programme's name, a tab too, and in any other value" {
	run -64 --separate-stderr loy-init --set "$(printf 'programme=Club\033[2J')"
	[ "$stderr" = "loy-init: --set programme='Club\x1b[2J': has a control character" ]
	run -64 --separate-stderr loy-init --set "$(printf 'programme=Our\tClub')"
	[ "$stderr" = "loy-init: --set programme='Our\tClub': has a control character" ]
	run -64 --separate-stderr loy-init --set "$(printf 'tiers=Gold,Sil\177ver')"
	[ "$stderr" = "loy-init: --set tiers='Gold,Sil\x7fver': has a control character" ]
	[ ! -e "$LOY_DB" ]
	run -0 loy-init --set 'programme=Our Club'
}

@test "--set refuses an empty tier name" {
	run -64 --separate-stderr loy-init --set tiers=Gold,,Silver
	[ "$stderr" = "loy-init: --set tiers='Gold,,Silver': names an empty tier" ]
	run -64 --separate-stderr loy-init --set tiers=,Gold
	[ "$stderr" = "loy-init: --set tiers=',Gold': names an empty tier" ]
	run -64 --separate-stderr loy-init --set 'tiers=Gold, '
	[ "$stderr" = "loy-init: --set tiers='Gold, ': names an empty tier" ]
	[ ! -e "$LOY_DB" ]
	run -0 loy-init --set 'tiers=Gold, Silver'
}

@test "--set needs KEY=VALUE" {
	run -64 --separate-stderr loy-init --set tiers
	[ "$stderr" = "loy-init: --set 'tiers' is not KEY=VALUE" ]
	[ ! -e "$LOY_DB" ]
}

@test "refuses to overwrite a ledger" {
	new_ledger
	cp "$LOY_DB" copy.db
	run -73 --separate-stderr loy-init
	[ "$output" = "" ]
	[ "$stderr" = "loy-init: '$LOY_DB' already exists; not overwriting it" ]
	cmp "$LOY_DB" copy.db
	ledger_ok
}

@test "refuses to overwrite a ledger even with --set" {
	new_ledger
	before=$(dump)
	run -73 --separate-stderr loy-init --set tiers=A,B
	[ "$stderr" = "loy-init: '$LOY_DB' already exists; not overwriting it" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "refuses to overwrite any existing file" {
	echo "keep me" >notes.txt
	run -73 --separate-stderr loy-init -d notes.txt
	[ "$stderr" = "loy-init: 'notes.txt' already exists; not overwriting it" ]
	[ "$(cat notes.txt)" = "keep me" ]
}

@test "cannot create a ledger in a missing directory" {
	run -73 --separate-stderr loy-init -d nowhere/club.db
	[ "$stderr" = "loy-init: cannot create 'nowhere/club.db': No such file or directory" ]
	[ ! -e nowhere ]
}

@test "cannot create a ledger in a read-only directory" {
	need_modes
	mkdir locked
	chmod 555 locked
	run -73 --separate-stderr as_user loy-init -d locked/club.db
	[ "$stderr" = "loy-init: cannot create 'locked/club.db': Permission denied" ]
	[ -z "$(ls locked)" ]
}

@test "--settings lists every setting with its default" {
	run -0 --separate-stderr loy-init --settings
	[ "$stderr" = "" ]
	[ "${lines[0]}" = "key,default,about" ]
	[ ! -e "$LOY_DB" ]
	new_ledger
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1 | LC_ALL=C sort)" = \
	    "$(q "SELECT key FROM settings ORDER BY key")" ]
	[[ "$output" == *"
tiers,"*"Pearl,Opal,Ruby,Diamond"*",tiers from lowest to highest
"* ]]
	ledger_ok
}

@test "--settings is CSV a program can read back" {
	loy-init --settings >settings.csv
	run -0 --separate-stderr csvq settings.csv \
	    "SELECT key || '|' || \"default\" || '|' || about FROM t WHERE key IN ('decimals', 'tiers', 'phone_pattern') ORDER BY key"
	[ "$stderr" = "" ]
	same "$output" <<'EOF'
decimals|2|decimal places of the currency: 0, 2 or 3
phone_pattern|^\+?[0-9][0-9 ()/.-]{4,22}[0-9]$|PCRE2 pattern a phone number must match
tiers|Pearl,Opal,Ruby,Diamond|tiers from lowest to highest
EOF
}

@test "--help prints the usage on standard output" {
	run -0 --separate-stderr loy-init --help
	[ "$stderr" = "" ]
	[ "${lines[0]}" = "usage: loy-init [-V] [-d ledger] [--set key=value ...] [--settings]" ]
	[[ "$output" == *"--settings "* ]]
	[ ! -e "$LOY_DB" ]
	run -0 --separate-stderr loy-init -h
	[ "${lines[0]}" = "usage: loy-init [-V] [-d ledger] [--set key=value ...] [--settings]" ]
}

@test "--version prints the version" {
	run -0 --separate-stderr loy-init --version
	[ "$output" = "loy-init 0.1.0" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr loy-init -V
	[ "$output" = "loy-init 0.1.0" ]
	[ ! -e "$LOY_DB" ]
}

@test "a bad option prints the usage on standard error" {
	run -64 --separate-stderr loy-init --bogus
	[ "$output" = "" ]
	same "$stderr" <<'EOF'
loy-init: unrecognized option '--bogus'
usage: loy-init [-V] [-d ledger] [--set key=value ...] [--settings]
Try 'loy-init --help' for more information.
EOF
	[ ! -e "$LOY_DB" ]
}

@test "an operand is a usage error that names it and says how to name the ledger" {
	run -64 --separate-stderr loy-init club.db
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-init: 'club.db': loy-init takes no operands; the ledger is named with -d" ]
	[ "${stderr_lines[1]}" = "usage: loy-init [-V] [-d ledger] [--set key=value ...] [--settings]" ]
	[ ! -e club.db ]
	[ ! -e "$LOY_DB" ]
}

@test "a new ledger has 16 KiB pages and is in WAL mode; one made with 4 KiB pages works the same" {
	new_ledger
	[ "$(q 'PRAGMA page_size')" = 16384 ]
	[ "$(q 'PRAGMA journal_mode')" = wal ]
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# the same ledger converted to 4 KiB pages, as one made before would be
	cp "$LOY_DB" old.db
	sqlite3 old.db 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM;
	    PRAGMA journal_mode = WAL' >/dev/null
	[ "$(sqlite3 old.db 'PRAGMA page_size')" = 4096 ]
	printf 'member_id,points,reason,ref\n1001,50,welcome,A1\n' >adj.csv
	run -0 loy-accrue -d old.db --adjust adj.csv
	run -0 loy-accrue --adjust adj.csv
	[ "$(sqlite3 old.db 'SELECT points FROM balances')" = 50 ]
	[ "$(q 'SELECT points FROM balances')" = 50 ]
	ledger_ok old.db
	ledger_ok
}

@test "a timezone that is a directory of zones or a table beside them is refused, not taken for UTC" {
	[ -d /usr/share/zoneinfo/Europe ] || skip "no /usr/share/zoneinfo/Europe"
	run -64 --separate-stderr loy-init --set timezone=Europe
	[ "$stderr" = "loy-init: timezone 'Europe' is not a known time zone" ]
	no_files "$LOY_DB"
	if [ -f /usr/share/zoneinfo/zone.tab ]; then
		run -64 --separate-stderr loy-init --set timezone=zone.tab
		[ "$stderr" = "loy-init: timezone 'zone.tab' is not a known time zone" ]
		no_files "$LOY_DB"
	fi
	run -0 --separate-stderr loy-init --set timezone=Europe/Berlin
	[ "$(q "SELECT value FROM settings WHERE key = 'timezone'")" = Europe/Berlin ]
}

@test "a version stored with a timezone that is a directory of zones is still read as it was" {
	[ -d /usr/share/zoneinfo/Europe ] || skip "no /usr/share/zoneinfo/Europe"
	new_ledger
	loy-program show | tail -n +2 | sed -e 's/^timezone = UTC$/timezone = Europe/' >old.conf
	run -65 loy-program check old.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'));
	    UPDATE settings SET value = 'Europe' WHERE key = 'timezone'"
	run -0 --separate-stderr loy-program show
	[[ "$output" == *"timezone = Europe"* ]]
	printf 'member_id\nA\n' >m.csv
	run -0 --separate-stderr loy-enroll m.csv
	ledger_ok
}

@test "a new ledger's name is on the disk when loy-init says it is created: its directory is synced after the link" {
	need_strace
	mkdir club
	run -0 strace -f -y -e trace=fsync,fdatasync,link,linkat -o trace.txt \
	    loy-init -d club/new.db
	[ "${lines[-1]}" = "loy-init: created ledger 'club/new.db'" ]
	cat trace.txt
	linked=$(grep -n 'link.*"club/new\.db\.new-[^"]*", [^"]*"club/new\.db"' trace.txt | cut -d: -f1)
	[ -n "$linked" ]
	tail -n +"$linked" trace.txt | grep -q "sync([0-9]*<$PWD/club>)"
	ledger_ok club/new.db
}

@test "a key given twice takes its last value in version 1 as in the settings, also when that is the default's own" {
	new_ledger --set decimals=0 --set earn_amount=0.5 --set decimals=2 --set tiers=Gold,Silver --set tiers=Pearl,Opal,Ruby,Diamond
	[ "$(q "SELECT value FROM settings WHERE key = 'decimals'")" = 2 ]
	run -0 --separate-stderr loy-program show
	printf '%s\n' "$output" >v1.conf
	grep -qx 'decimals = 2' v1.conf
	grep -qx 'per = 0.5' v1.conf
	[ "$(grep '^\[tier ' v1.conf | tr '\n' ' ')" = "[tier Pearl] [tier Opal] [tier Ruby] [tier Diamond] " ]
	# show's copy loads as the version it is
	run -0 --separate-stderr loy-program load v1.conf
	[ "${lines[1]}" = "1,0000-01-01 00:00:00,unchanged" ]
	# the last value is the one checked
	rm -f "$LOY_DB"
	run -64 --separate-stderr loy-init --set decimals=2 --set decimals=0 --set earn_amount=0.5
	[ "$stderr" = "loy-init: --set earn_amount='0.5': is not a whole number" ]
	[ ! -e "$LOY_DB" ]
	new_ledger --set decimals=0 --set decimals=2
	ledger_ok
}
