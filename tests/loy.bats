#!/usr/bin/env bats
# loy: runs a loy program by its short name.

load helper

@test "loy help lists the programs on standard output" {
	run -0 --separate-stderr loy help
	[ "$stderr" = "" ]
	[ "${lines[0]}" = "usage: loy [-hV] program [argument ...]" ]
	[ "${lines[1]}" = "       loy help [program]" ]
	[ "${lines[2]}" = "programs:" ]
	[ "${lines[-1]}" = "'loy help PROGRAM' shows its manual; see loy(1)." ]
	[[ "$output" == *"
   check      verify the ledger's invariants
"* ]]
	[[ "$output" == *"
   enroll     add, update, close and merge members
"* ]]
	[[ "$output" == *"
   init       create a ledger with the default programme
"* ]]
}

@test "every program loy help lists is there" {
	run -0 --separate-stderr loy help
	n=0
	for line in "${lines[@]:3:${#lines[@]}-4}"; do
		name=$(echo "$line" | awk '{ print $1 }')
		run -0 --separate-stderr loy "$name" --version
		[ "$output" = "loy-$name 0.1.0" ]
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "loy --help and -h are loy help" {
	run -0 --separate-stderr loy help
	want=$output
	run -0 --separate-stderr loy --help
	[ "$output" = "$want" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr loy -h
	[ "$output" = "$want" ]
}

@test "loy without a program prints the list on standard error" {
	run -0 --separate-stderr loy help
	want=$output
	run -64 --separate-stderr loy
	[ "$output" = "" ]
	[ "$stderr" = "$want" ]
}

@test "loy --version prints loy's version" {
	run -0 --separate-stderr loy --version
	[ "$output" = "loy 0.1.0" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr loy -V
	[ "$output" = "loy 0.1.0" ]
}

@test "loy PROGRAM --version runs the program" {
	run -0 --separate-stderr loy enroll --version
	[ "$output" = "loy-enroll 0.1.0" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr loy check --version
	[ "$output" = "loy-check 0.1.0" ]
	run -0 --separate-stderr loy init --version
	[ "$output" = "loy-init 0.1.0" ]
}

@test "loy refuses an unknown program" {
	bin=$(dirname "$(command -v loy)")
	run -64 --separate-stderr env PATH="$bin:/usr/bin:/bin" loy frobnicate
	[ "$output" = "" ]
	[[ "$stderr" == "loy: 'frobnicate' is not a loy program"*"; see 'loy help'" ]]
	[ "${#stderr_lines[@]}" = 1 ]
	[ ! -e "$LOY_DB" ]
}

@test "loy refuses an unknown option" {
	run -64 --separate-stderr loy --bogus
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy: unknown option '--bogus'" ]
	[ "${stderr_lines[1]}" = "usage: loy [-hV] program [argument ...]" ]
}

@test "loy help with two programs is a usage error" {
	run -64 --separate-stderr loy help enroll accrue
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy: help shows one program's manual at a time, not 'enroll' and 'accrue'" ]
	[ "${stderr_lines[1]}" = "usage: loy [-hV] program [argument ...]" ]
}

@test "loy help shows a program's page from the source tree before it is installed" {
	command -v man >/dev/null || skip "no man(1)"
	local top
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	[[ "$(command -v loy)" == "$top/"*/bin/loy ]] || skip "loy is not the source tree's build"
	mkdir nopages
	# no page installed: man(1) searches an empty MANPATH
	MANPATH=$PWD/nopages run -0 --separate-stderr loy help enroll
	[[ "$output" == *"loy-enroll"*"add, update, close and merge members"* ]]
	MANPATH=$PWD/nopages run -0 --separate-stderr loy help ledger
	[[ "$output" == *"LOY-LEDGER(5)"* ]]
	# a loy outside the tree asks man(1) for the installed page
	mkdir -p elsewhere/bin
	cp "$(command -v loy)" elsewhere/bin/loy
	MANPATH=$PWD/nopages run -16 --separate-stderr elsewhere/bin/loy help enroll
	[ "$output" = "" ]
	[[ "$stderr" == *"No manual entry for loy-enroll"* ]]
}

@test "loy passes arguments, output and exit status through" {
	run -0 --separate-stderr loy init --set tiers=Bronze,Gold
	[ "$stderr" = "loy-init: created ledger '$LOY_DB'" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'tiers'")" = "Bronze,Gold" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy enroll in.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$stderr" = "loy-enroll: in.csv: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected" ]
	run -0 --separate-stderr loy check
	[ "$output" = "invariant,subject,detail" ]
	# a balance without journal entries: loy-check's status 65 comes through
	q "INSERT INTO balances VALUES ('1', 5, 0)"
	run -65 --separate-stderr loy check -q
	[ "$output" = "" ]
}

@test "loy runs the programs installed next to it" {
	loy=$(command -v loy)
	run -0 --separate-stderr env PATH=/usr/bin:/bin "$loy" init
	[ "$stderr" = "loy-init: created ledger '$LOY_DB'" ]
	run -0 --separate-stderr env PATH=/usr/bin:/bin "$loy" check
	[ "$output" = "invariant,subject,detail" ]
	ledger_ok
}

@test "loy PROGRAM reports a missing ledger as the program does" {
	run -66 --separate-stderr loy enroll list
	[ "$stderr" = "loy-enroll: no ledger at '$LOY_DB' (create one with: loy-init -d '$LOY_DB')" ]
	[ ! -e "$LOY_DB" ]
}

@test "a usage error says what is wrong before the usage" {
	new_ledger
	run -64 --separate-stderr loy-expire extra
	[ "${stderr_lines[0]}" = "loy-expire: 'extra': loy-expire reads no input and takes no operands" ]
	[[ "${stderr_lines[1]}" == "usage: loy-expire "* ]]
	run -64 --separate-stderr loy-redeem --first-come --draw requests.csv
	[ "${stderr_lines[0]}" = "loy-redeem: --first-come and --draw are one at a time" ]
	run -64 --separate-stderr loy-redeem --catalogue --codes a.csv
	[ "${stderr_lines[0]}" = "loy-redeem: --catalogue, --codes and --transfers are one at a time" ]
	run -64 --separate-stderr loy-redeem cancel
	[ "${stderr_lines[0]}" = "loy-redeem: cancel: which requests? (their request_id)" ]
	run -64 --separate-stderr loy-redeem rewards extra
	[ "${stderr_lines[0]}" = "loy-redeem: rewards takes no operands" ]
	run -64 --separate-stderr loy-redeem --window 2026-01-01,2026-02-01 rewards
	[ "${stderr_lines[0]}" = "loy-redeem: --first-come, --draw and --window are for redemption requests" ]
}

@test "output that cannot be written says so, with status 74, in every program" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# something to explain: with nothing, --explain prints nothing
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	while IFS= read -r cmd; do
		cmd=${cmd//EXAMPLES/$EXAMPLES}
		run -74 --separate-stderr bash -c "$cmd >/dev/full"
		prog=${cmd%% *}
		if [ "$stderr" != "$prog: cannot write the output: No space left on device" ]; then
			echo "$cmd: $stderr" >&2
			return 1
		fi
	done <<'CMDS'
loy --help
loy --version
loy-enroll --help
loy-accrue --version
loy-init --settings
loy-enroll list
loy-enroll duplicates
loy-enroll cards 1001
loy-program show
loy-program versions
loy-program check EXAMPLES/programme.conf
loy-check
loy-report balances
loy-report html
loy-accrue --explain member=1001
CMDS
	ledger_ok
}

@test "a writer whose output cannot be written commits nothing: /dev/full, closed or read-only standard output" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-program load --from 2026-11-01 "$EXAMPLES/programme.conf" >/dev/null 2>&1
	loy-accrue "$EXAMPLES/pos.csv" >/dev/null 2>&1
	loy-redeem --catalogue "$EXAMPLES/rewards.csv" >/dev/null 2>&1
	local before cmd out says
	before=$(dump)
	while IFS= read -r cmd; do
		cmd=${cmd//EXAMPLES/$EXAMPLES}
		for out in '>/dev/full' '>&-' '1</dev/null'; do
			case $out in
			'>/dev/full') says="No space left on device" ;;
			*) says="Bad file descriptor" ;;
			esac
			run -74 --separate-stderr bash -c "$cmd $out"
			if [ "${stderr_lines[-1]}" != "${cmd%% *}: cannot write the output: $says; nothing committed" ] ||
			    [ "$(dump)" != "$before" ]; then
				echo "$cmd $out: $stderr" >&2
				return 1
			fi
		done
	done <<'CMDS'
loy-enroll EXAMPLES/members.csv
loy-enroll close 1001
loy-accrue --adjust EXAMPLES/adjustments.csv
loy-accrue --events EXAMPLES/events.csv
loy-redeem EXAMPLES/redemptions.csv
loy-expire
loy-segment tiers --apply
loy-segment best 3 --save top
loy-program load --from 2027-01-01 EXAMPLES/programme.conf
CMDS
	ledger_ok
	# the output written, the run commits
	run -0 --separate-stderr bash -c "loy-enroll close 1001 >out.csv"
	[ "$(head -1 out.csv)" != "" ]
	[ "$(q "SELECT status FROM members WHERE member_id = '1001'")" = closed ]
	ledger_ok
}

@test "a reader started with standard input closed says it cannot read it and commits nothing" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	local before c says
	before=$(dump)
	for c in "loy-enroll" "loy-enroll -" "loy-accrue" "loy-accrue --adjust -" "loy-redeem" \
	    "loy-segment save few" "loy-program check -"; do
		case $c in
		loy-program*) says="cannot read '-': Bad file descriptor" ;;
		*) says="stdin: read error: Bad file descriptor" ;;
		esac
		run -74 --separate-stderr bash -c "$c <&-"
		if [ "$stderr" != "${c%% *}: $says" ] ||
		    [ "$(dump)" != "$before" ]; then
			echo "$c: $stderr" >&2
			return 1
		fi
	done
	# an empty standard input is still an empty file
	run -65 --separate-stderr bash -c "loy-accrue </dev/null"
	[ "$stderr" = "loy-accrue: stdin: no header row" ]
	ledger_ok
}

@test "--rejects - is a usage error in every program that sets rows aside, not a file named '-'" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	before=$(dump)
	for c in "loy-enroll m.csv" "loy-accrue m.csv" "loy-redeem m.csv" "loy-segment save few m.csv"; do
		run -64 --separate-stderr $c --rejects -
		[ "${stderr_lines[0]}" = "${c%% *}: --rejects '-' names no file: give a file name, or /dev/stderr for the rows on standard error" ] ||
		    { echo "$c: $stderr" >&2; return 1; }
		[ "$output" = "" ]
		[ ! -e ./- ]
	done
	[ "$(dump)" = "$before" ]
	# a file of that name is ./-
	run -0 --separate-stderr loy-enroll --rejects ./- m.csv
	[ -e ./- ]
	ledger_ok
}

@test "an empty --rejects is a usage error in every program that sets rows aside" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	before=$(dump)
	for c in "loy-enroll m.csv" "loy-accrue m.csv" "loy-redeem m.csv" "loy-segment save few m.csv"; do
		run -64 --separate-stderr $c --rejects ''
		[ "${stderr_lines[0]}" = "${c%% *}: --rejects '' names no file: its file name is empty" ] ||
		    { echo "$c: $stderr" >&2; return 1; }
		[ "$output" = "" ]
	done
	[ "$(dump)" = "$before" ]
	[ "$(ls -A | grep -v '^separate-stderr-')" = "$(printf 'loyalty.db\nm.csv')" ]
	ledger_ok
}

@test "--rejects may not name the ledger's -wal, -shm or -journal file in any program that sets rows aside" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	ln -s loyalty.db link.db
	before=$(dump)
	for c in "loy-enroll m.csv" "loy-accrue m.csv" "loy-redeem m.csv" "loy-segment save few m.csv"; do
		for f in loyalty.db-wal ./loyalty.db-shm "$BATS_TEST_TMPDIR/loyalty.db-journal"; do
			run -64 --separate-stderr $c --rejects "$f"
			[ "$stderr" = "${c%% *}: --rejects '$f' is the ledger's -${f##*-} file" ] ||
			    { echo "$c --rejects $f: $stderr" >&2; return 1; }
			[ "$output" = "" ]
		done
		# the ledger by a link: its files are named after the file linked to
		run -64 --separate-stderr $c -d link.db --rejects loyalty.db-wal
		[ "$stderr" = "${c%% *}: --rejects 'loyalty.db-wal' is the ledger's -wal file" ]
	done
	[ "$(dump)" = "$before" ]
	[ ! -e loyalty.db-journal ]
	ledger_ok
}

@test "a --map with an empty pair, field or column is a usage error in every program that takes it, not a mapping left out" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	before=$(dump)
	for c in "loy-enroll m.csv" "loy-accrue m.csv" "loy-redeem m.csv" "loy-segment save few m.csv"; do
		p=${c%% *}
		for m in , member_id=member_id, member_id=member_id,,name=name ,member_id=member_id; do
			run -64 --separate-stderr $c --map "$m"
			[ "${stderr_lines[0]}" = "$p: --map '$m' has an empty pair: give FIELD=COLUMN pairs with one comma between two, none at either end" ] ||
			    { echo "$c --map $m: $stderr" >&2; return 1; }
			[ "$output" = "" ]
		done
		run -64 --separate-stderr $c --map ''
		[ "${stderr_lines[0]}" = "$p: --map '' is empty: give FIELD=COLUMN" ]
		run -64 --separate-stderr $c --map member_id=
		[ "${stderr_lines[0]}" = "$p: --map 'member_id=' names no column: give FIELD=COLUMN" ]
		run -64 --separate-stderr $c --map member_id=member_id,=name
		[ "${stderr_lines[0]}" = "$p: --map '=name' names no field: give FIELD=COLUMN" ]
		[ "${stderr_lines[-1]}" = "Try '$p --help' for more information." ]
	done
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an empty -d is a usage error in every program, not a ledger named ''" {
	for p in loy-init loy-enroll loy-accrue loy-redeem loy-expire loy-segment loy-program \
	    loy-report loy-check; do
		run -64 --separate-stderr "$p" -d ''
		[ "${stderr_lines[0]}" = "$p: -d names no ledger: its file name is empty" ]
	done
	run -64 --separate-stderr loy-enroll --db= m.csv
	[ ! -e "$LOY_DB" ]
}

@test "an invalid LOY_NOW is a usage error in every program, not a run on the real clock; an empty one is the clock" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >m.csv
	for now in '2026-11-31 12:00:00' '2026-11-23 24:00:00' 2026/11/23 tomorrow ' 2026-11-23' '0999-01-01'; do
		for p in loy-init loy-enroll loy-accrue loy-redeem loy-expire loy-segment loy-program \
		    loy-report loy-check; do
			LOY_NOW=$now run -64 --separate-stderr "$p" -d --help </dev/null
			[ "$output" = "" ]
			[[ "$stderr" == "$p: LOY_NOW '$now' "*" (such as 2026-11-23 12:00:00; unset LOY_NOW for the clock)" ]]
			[ ! -e ./--help ]
			# --help and --version, which read no clock, still work
			LOY_NOW=$now run -0 --separate-stderr "$p" --version
			[ "$output" = "$p $(loy --version | cut -d' ' -f2)" ]
			[ "$stderr" = "" ]
			LOY_NOW=$now run -0 --separate-stderr "$p" --help
			[[ "${lines[0]}" == "usage: $p "* ]]
			[ "$stderr" = "" ]
		done
		LOY_NOW=$now run -64 --separate-stderr loy enroll m.csv
	done
	LOY_NOW='2026-11-31 12:00:00' run -64 --separate-stderr loy-enroll m.csv
	[ "$stderr" = "loy-enroll: LOY_NOW '2026-11-31 12:00:00' is not a valid date (such as 2026-11-23 12:00:00; unset LOY_NOW for the clock)" ]
	[ "$(dump)" = "$before" ]
	# a date alone is midnight; an empty LOY_NOW is no LOY_NOW
	LOY_NOW=2026-11-20 run -0 --separate-stderr loy-enroll m.csv
	[ "$(q "SELECT enrolled_at FROM members")" = "2026-11-20 00:00:00" ]
	LOY_NOW= run -0 --separate-stderr loy-report balances
	ledger_ok
}

@test "a LOY_PROGRESS_AFTER that is not a whole number of seconds is a usage error in every program, not read in part or passed over" {
	new_ledger
	for v in ' 5' 5x -1 1.5 99999999999999999999 86401; do
		for p in loy-init loy-enroll loy-accrue loy-redeem loy-expire loy-segment loy-program \
		    loy-report loy-check; do
			LOY_PROGRESS_AFTER=$v run -64 --separate-stderr "$p" -d --help </dev/null
			[ "$output" = "" ]
			[ "$stderr" = "$p: LOY_PROGRESS_AFTER '$v' is not a whole number of seconds from 0 to 86400" ]
			LOY_PROGRESS_AFTER=$v run -0 --separate-stderr "$p" --version
			[ "$stderr" = "" ]
		done
	done
	for v in 0 +3 86400 ''; do
		LOY_PROGRESS_AFTER=$v run -0 --separate-stderr loy-report balances
	done
	ledger_ok
}

@test "--table and --tsv together are refused by the verbs and lists that read no input, and taken where there is one" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	local c
	for c in "loy-enroll list" "loy-enroll cards 1001" "loy-enroll duplicates" \
	    "loy-enroll -n close 1001" "loy-redeem -n cancel R1" "loy-segment rfm" \
	    "loy-segment best 3" "loy-segment segments" "loy-segment tiers"; do
		run -64 --separate-stderr $c --table --tsv
		[ "${stderr_lines[0]}" = "${c%% *}: --table and --tsv are one at a time" ] ||
		    { echo "$c: $stderr"; return 1; }
		[ -z "$output" ]
	done
	# an input read as TSV, the output aligned
	printf 'member_id\tname\n1002\tAnn\n' >m.tsv
	run -0 --separate-stderr loy-enroll --tsv --table m.tsv
	[ "${lines[1]}" = "2     1002       created" ]
	printf 'member_id\n1001\n' >s.tsv
	run -0 --separate-stderr loy-segment --tsv --table save few s.tsv
	[[ "${lines[1]}" == "few      1  "* ]]
	ledger_ok
}

@test "--table and --tsv together are refused where output is all there is, as the synopses say" {
	new_ledger
	for c in "loy-check" "loy-expire" "loy-program versions" "loy-redeem rewards" \
	    "loy-redeem codes" "loy-report balances"; do
		run -64 --separate-stderr $c --table --tsv
		[[ "${stderr_lines[0]}" == *"--table and --tsv are one at a time" || \
		    "${stderr_lines[0]}" == "usage: loy-report"* ]]
	done
	run -64 --separate-stderr loy-check extra
	[ "${stderr_lines[0]}" = "loy-check: 'extra': loy-check reads no input and takes no operands" ]
	ledger_ok
}
@test "a column an input form needs and the file lacks is reported at the header's line, in every program" {
	loy-init --set transfers=yes 2>/dev/null
	printf 'x\n' >none.csv
	before=$(sqlite3 "$LOY_DB" .dump)
	check() {	# expected message, then the command
		local want=$1
		shift
		run -65 --separate-stderr "$@"
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "$want" ]
	}
	check "loy-enroll: none.csv:1: no column to identify members by: member_id, card, email or phone" loy-enroll none.csv
	check "loy-accrue: none.csv:1: no column 'txn_id' (the receipt)" loy-accrue none.csv
	check "loy-accrue: none.csv:1: no column 'member_id'" loy-accrue --adjust none.csv
	check "loy-accrue: none.csv:1: no column 'member_id'" loy-accrue --opening none.csv
	check "loy-accrue: none.csv:1: no column 'event_id'" loy-accrue --events none.csv
	check "loy-redeem: none.csv:1: no column 'request_id'" loy-redeem none.csv
	check "loy-redeem: none.csv:1: no column 'reward_id'" loy-redeem --catalogue none.csv
	check "loy-redeem: none.csv:1: no column 'transfer_id'" loy-redeem --transfers none.csv
	check "loy-segment: none.csv:1: no column 'member_id'" loy-segment save s none.csv
	# a header after blank lines: its own line
	printf '\n\nx\n' >late.csv
	check "loy-accrue: late.csv:3: no column 'txn_id' (the receipt)" loy-accrue late.csv
	[ "$(sqlite3 "$LOY_DB" .dump)" = "$before" ]
	run -0 loy-check
}

