#!/usr/bin/env bats
# loy-program: the programme file checked, loaded as dated versions, shown;
# every kind of error with its line; loy-init's default version.

load helper

# A small valid programme: EUR with 2 decimals, as a new ledger has.
good() {
	cat >"${1:-good.conf}" <<'CONF'
[programme]
programme = Test Club
point_value = 0.02

[earn]
points = 2
per = 1.00

[rule beans]
sku = ^BEA-
multiply = 1.5

[tier Basic]
threshold = 0

[tier Gold]
threshold = 100.00

[expiry]
policy = months
months = 12
CONF
}

# Check a file whose problems are all on stderr; exit 65, nothing on stdout.
bad() {
	run -65 --separate-stderr loy-program check "$1"
	[ "$output" = "" ]
}

@test "loy-init stores the default programme as version 1, in force from the start" {
	new_ledger
	run -0 --separate-stderr loy-program versions
	[ "${lines[0]}" = "version,effective_from,loaded_at,run_id,source,sha256" ]
	[[ "${lines[1]}" == "1,0000-01-01 00:00:00,2026-11-23 12:00:00,1,loy-init,"* ]]
	[ "${#lines[@]}" = 2 ]
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	printf '%s\n' "$output" | tail -n +2 >v1.conf
	# the stored text is what the checksum says
	[ "$(q "SELECT sha256 FROM programmes")" = "$(sha256sum v1.conf | cut -d' ' -f1)" ]
	run -0 loy-program check v1.conf
	# the default reproduces loy-init's default settings
	grep -qx 'currency = EUR' v1.conf
	grep -qx 'decimals = 2' v1.conf
	grep -qx 'point_value = 0.01' v1.conf
	grep -qx 'timezone = UTC' v1.conf
	grep -qx 'points = 1' v1.conf
	grep -qx 'per = 1' v1.conf
	grep -qx 'months = 24' v1.conf
	[ "$(grep '^\[tier ' v1.conf | tr '\n' ' ')" = "[tier Pearl] [tier Opal] [tier Ruby] [tier Diamond] " ]
	[ "${lines[1]}" = "programme: Loyalty Club" ]
	[ "${lines[3]}" = "earn: 1 point per 1.00, rounded down per receipt" ]
	[ "${lines[7]}" = "expiry: 24 months after earning" ]
	ledger_ok
}

@test "the default programme writes out every setting, so an edited copy shows them all" {
	new_ledger
	run -0 --separate-stderr loy-program show
	printf '%s\n' "$output" >shown.conf
	# earn_*, tiers and expiry_* live in their own sections; the rest in [programme]
	for key in $(loy-init --settings | tail -n +2 | cut -d, -f1 |
	    grep -v -e '^earn_' -e '^tiers$' -e '^expiry_'); do
		grep -q "^$key = " shown.conf || { echo "no $key"; false; }
	done
	grep -qx 'transfers = no' shown.conf
}

@test "loy-init --set is written into version 1" {
	new_ledger --set currency=GBP --set timezone=Europe/London --set expiry_months=12 \
	    --set earn_points=3 --set tiers=Bronze,Silver,Gold
	run -0 --separate-stderr loy-program show
	printf '%s\n' "$output" | tail -n +2 >v1.conf
	grep -qx 'currency = GBP' v1.conf
	grep -qx 'timezone = Europe/London' v1.conf
	grep -qx 'tiers = Bronze,Silver,Gold' v1.conf
	# the section keys take the settings that live there
	[ "$(sed -n '/^\[earn\]/,/^$/p' v1.conf | grep '^points')" = "points = 3" ]
	[ "$(sed -n '/^\[expiry\]/,/^$/p' v1.conf | grep '^months')" = "months = 12" ]
	# the default's tiers with thresholds are gone: the new ones are named only
	! grep -q '^\[tier ' v1.conf || false
	run -0 --separate-stderr loy-program check v1.conf
	[ "${lines[6]}" = "tiers: 3 (Bronze, Silver, Gold)" ]
	[ "${lines[3]}" = "earn: 3 points per 1.00, rounded down per receipt" ]
}

@test "check summarises the example programme without a ledger" {
	run -0 --separate-stderr loy-program -d nowhere.db check "$EXAMPLES/programme.conf"
	same "$output" <<OUT
$EXAMPLES/programme.conf: a valid programme
programme: Green Basket Club
currency: EUR, 2 decimals
earn: 1 point per 1.00, rounded down per line
rules: 17 (5 multiply, 9 bonus, 3 exclude)
events: 4
tiers: 4 (Pearl 0.00, Opal 500.00, Ruby 2000.00, Diamond 5000.00; by spend)
expiry: end of the 1st calendar year after earning
OUT
	[ ! -e nowhere.db ]
}

@test "the README's excerpt of the example programme is a programme file check accepts, each of its rules as in the example" {
	local rule
	awk '/shows every kind of rule:/ { f = 1; next } f && /^[^ ]/ && NF { exit } f' \
	    "$BATS_TEST_DIRNAME/../README.md" | sed 's/^    //' >excerpt.conf
	[ "$(grep -c '^\[rule ' excerpt.conf)" = 3 ]
	run -0 --separate-stderr loy-program check excerpt.conf
	[ "${lines[0]}" = "excerpt.conf: a valid programme" ]
	[ "${lines[4]}" = "rules: 3 (2 multiply, 0 bonus, 1 exclude)" ]
	# each rule's header and keys are the example's
	for rule in $(sed -n 's/^\[rule \(.*\)\]$/\1/p' excerpt.conf); do
		grep -qxF "[rule $rule]" "$EXAMPLES/programme.conf"
	done
}

@test "the base rate's points are at most what the earn_points setting holds: 999999" {
	new_ledger
	printf '[earn]\npoints = 1000000\n' >big.conf
	before=$(dump)
	for c in check load; do
		run -65 --separate-stderr loy-program $c big.conf
		[ "${stderr_lines[0]}" = "loy-program: big.conf:2: points '1000000' is more than 999999" ]
	done
	[ "$(dump)" = "$before" ]
	printf '[earn]\npoints = 999999\n' >most.conf
	run -0 --separate-stderr loy-program load --from 2026-11-01 most.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_points'")" = 999999 ]
	ledger_ok
}

@test "a programme file's currency is an ISO 4217 code and its identify_by names each column once" {
	new_ledger
	before=$(dump)
	printf '[programme]\ncurrency = eur\n' >c.conf
	printf '[programme]\nidentify_by = card,card\n' >i.conf
	for c in check load; do
		run -65 --separate-stderr loy-program $c c.conf
		[ "${stderr_lines[0]}" = "loy-program: c.conf:2: currency 'eur' must be an ISO 4217 code: three capital letters, such as EUR" ]
		run -65 --separate-stderr loy-program $c i.conf
		[ "${stderr_lines[0]}" = "loy-program: i.conf:2: identify_by 'card,card' must list member_id, card, phone or email, each once" ]
	done
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "check reads standard input as -" {
	good
	run -0 --separate-stderr loy-program check - <good.conf
	[ "${lines[0]}" = "stdin: a valid programme" ]
}

@test "a directory given as the programme file is missing input (66), as for every program" {
	new_ledger
	mkdir conf.d
	before=$(dump)
	for c in "check conf.d" "load conf.d" "--from 2026-11-01 --to 2026-11-30 what-if conf.d" "load -"; do
		run -66 --separate-stderr bash -c "loy-program $c <conf.d"
		[ "$output" = "" ]
		case $c in
		*-) [ "$stderr" = "loy-program: '-' is a directory" ] ;;
		*) [ "$stderr" = "loy-program: 'conf.d' is a directory" ] ;;
		esac
	done
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an empty programme file, or one of comments alone, is refused (65), not loaded as the default programme" {
	new_ledger
	loy-program load --from 2026-11-01 "$EXAMPLES/programme.conf" >/dev/null 2>&1
	before=$(dump)
	: >empty.conf
	printf '# the club\n\n   # rules to follow\n' >comments.conf
	printf '\357\273\277\r\n' >bom.conf
	for f in empty.conf comments.conf bom.conf; do
		run -65 --separate-stderr loy-program load "$f"
		[ "$output" = "" ]
		[ "$stderr" = "loy-program: $f: no programme in it: the file is empty, or holds only comments; nothing stored" ]
		run -65 --separate-stderr loy-program check "$f"
		[ "$stderr" = "loy-program: $f: no programme in it: the file is empty, or holds only comments" ]
		run -65 --separate-stderr loy-program --from 2026-11-01 --to 2026-11-30 what-if "$f"
	done
	run -65 --separate-stderr loy-program load - </dev/null
	[ "$stderr" = "loy-program: stdin: no programme in it: the file is empty, or holds only comments; nothing stored" ]
	[ "$(dump)" = "$before" ]
	# a section alone is a programme: the defaults
	printf '[programme]\n' >defaults.conf
	run -0 --separate-stderr loy-program check defaults.conf
	ledger_ok
}

@test "a programme file in UTF-16 or with lines ended by CR alone is refused as such, as an input file is" {
	new_ledger
	before=$(dump)
	good
	# Notepad's "Unicode": UTF-16 with its byte order mark
	{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE good.conf; } >utf16.conf
	run -65 --separate-stderr loy-program load utf16.conf
	[ "$stderr" = "loy-program: utf16.conf:1: the file is UTF-16, not UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)
loy-program: utf16.conf: not a valid programme file; nothing stored" ]
	# a classic Mac text: a comment first took in the whole file, which
	# was then said to hold only comments
	{ printf '# the club\n'; cat good.conf; } | tr '\n' '\r' >mac.conf
	run -65 --separate-stderr loy-program check mac.conf
	[ "$output" = "" ]
	[ "$stderr" = "loy-program: mac.conf:1: the line has a CR alone, which ends no line (tr '\\r' '\\n' converts a file so ended)
loy-program: mac.conf: not a valid programme file" ]
	tr '\n' '\r' <good.conf >mac2.conf
	run -65 --separate-stderr loy-program load - <mac2.conf
	[ "$stderr" = "loy-program: stdin:1: the line has a CR alone, which ends no line (tr '\\r' '\\n' converts a file so ended)
loy-program: stdin: not a valid programme file; nothing stored" ]
	[ "$(dump)" = "$before" ]
	# CRLF is a line end; a CR alone in a value is a control character
	sed 's/$/\r/' good.conf >crlf.conf
	run -0 --separate-stderr loy-program check crlf.conf
	sed 's/^programme = Test Club/programme = Test\rClub/' good.conf >cr.conf
	run -65 --separate-stderr loy-program check cr.conf
	[ "$stderr" = "loy-program: cr.conf:2: programme 'Test\\rClub' has a control character
loy-program: cr.conf: not a valid programme file" ]
	tr '\r' '\n' <mac.conf >fixed.conf
	run -0 --separate-stderr loy-program load fixed.conf
	ledger_ok
}

@test "a programme file whose lines end in CR CR LF is read, as before, not refused as one ended by CR alone" {
	new_ledger
	good
	# a CRLF file written again as text: each line's end one CR more
	sed 's/$/\r\r/' good.conf >crcrlf.conf
	run -0 --separate-stderr loy-program check crcrlf.conf
	[ "${lines[0]}" = "crcrlf.conf: a valid programme" ]
	{ printf '# the club\r\r\n'; cat crcrlf.conf; } >comment.conf
	run -0 --separate-stderr loy-program load comment.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'programme'")" = "Test Club" ]
	# the version stored (as an earlier loy stored such files) is read by
	# every program: none says it does not parse
	run -0 --separate-stderr loy-program show
	[ "$stderr" = "" ]
	printf 'txn_id,member_id,occurred_at,amount\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# a CR before a line's text is still no line end
	printf '# the club\r\r[programme]\r\n' >mac.conf
	run -65 --separate-stderr loy-program check mac.conf
	[ "${stderr_lines[0]}" = "loy-program: mac.conf:1: the line has a CR alone, which ends no line (tr '\\r' '\\n' converts a file so ended)" ]
	ledger_ok
}

@test "unknown sections, keywords and settings, duplicate keys and names" {
	cat >p.conf <<'CONF'
[programme]
colour = blue
decimals = 2
decimals = 3
[earn]
speed = 3
[bogus]
x = 1
[rule a]
bonus = 5
shape = round
[rule a]
bonus = 6
[event survey]
points = 10
[event survey]
points = 20
key without equals
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: unknown setting 'colour' in [programme] (loy-init --settings lists them)
loy-program: p.conf:4: duplicate key 'decimals' (first on line 3)
loy-program: p.conf:6: unknown keyword 'speed' in [earn]: it takes points, per, rounding, cap_receipt, cap_member_day or cap_member_month
loy-program: p.conf:7: unknown section [bogus]: the sections are [programme], [earn], [rule NAME], [event NAME], [tiers], [tier NAME] and [expiry]
loy-program: p.conf:11: unknown keyword 'shape' in [rule a]: it takes multiply, bonus, exclude, trigger, sku, category, description, stack, per_units, from, to, days, hours, stores, channels, tiers, segments, birthday_month, min_amount, cap_receipt, budget, limit, referral_to, referral_on, event, visits, spend or period
loy-program: p.conf:12: rule 'a' is defined twice (first on line 9)
loy-program: p.conf:16: event 'survey' is defined twice (first on line 14)
loy-program: p.conf:18: 'key without equals' is not a section header or key = value
loy-program: p.conf: not a valid programme file
OUT
}

@test "an unknown keyword is told with the keywords its section takes" {
	cat >p.conf <<'CONF'
[tiers]
measure = visits
period = 12
[tier Blue]
threshold = 0
multiply = 2
[event survey]
points = 10
bonus = 5
[expiry]
policy = months
month = 12
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:3: unknown keyword 'period' in [tiers]: it takes measure, window, months, review, review_date, grace_days or soft_landing
loy-program: p.conf:6: unknown keyword 'multiply' in [tier Blue]: it takes threshold
loy-program: p.conf:9: unknown keyword 'bonus' in [event survey]: it takes points or limit
loy-program: p.conf:12: unknown keyword 'month' in [expiry]: it takes policy, months or years
loy-program: p.conf: not a valid programme file
OUT
}

@test "a control character in a name or a value is an error at its line; a tab is a space, but in a name" {
	printf '[programme]\nprogramme = Club\007\n[tiers]\nmeasure = spend\n[tier Gold\tPlus]\nthreshold = 0\n[rule r\0331]\nbonus = 5\n[rule r2]\nbonus = 5\nstores = S1,\tS2\nchannels = po\033s\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: programme 'Club\x07' has a control character
loy-program: p.conf:5: tier name 'Gold\tPlus' has a control character
loy-program: p.conf:7: rule name 'r\x1b1' has a control character
loy-program: p.conf:12: channels 'po\x1bs' has a control character
loy-program: p.conf: not a valid programme file
OUT
	# a tab between the names of a list is a space
	printf '[rule r2]\nbonus = 5\nstores =\tS1,\tS2\n' >ok.conf
	run -0 --separate-stderr loy-program check ok.conf
}

@test "settings are checked as loy-init --set checks them; the expiry keys are accepted" {
	cat >p.conf <<'CONF'
[programme]
decimals = 5
allow_negative = maybe
timezone = Mars/Olympus
expiry_policy = year-end
expiry_years = 2
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: decimals '5' must be 0, 2 or 3
loy-program: p.conf:3: allow_negative 'maybe' must be yes or no
loy-program: p.conf:4: timezone 'Mars/Olympus' is not a known time zone
loy-program: p.conf: not a valid programme file
OUT
	printf '[programme]\nexpiry_policy = year-end\nexpiry_years = 2\n' >ok.conf
	run -0 --separate-stderr loy-program check ok.conf
	[ "${lines[7]}" = "expiry: end of the 2nd calendar year after earning" ]
	printf '[programme]\nexpiry_policy = sometimes\nexpiry_years = x\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: expiry_policy 'sometimes' must be never, months, year-end or rolling
loy-program: p.conf:3: expiry_years 'x' is not a whole number
loy-program: p.conf: not a valid programme file
OUT
}

@test "a pattern that does not compile shows PCRE2's message and offset" {
	printf '[rule beans]\nsku = ^BEA-(\nmultiply = 2\n[rule cat]\ncategory = [z-a]\nbonus = 1\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: sku pattern '^BEA-(' does not compile: missing closing parenthesis at offset 6
loy-program: p.conf:5: category pattern '[z-a]' does not compile: range out of order in character class at offset 3
loy-program: p.conf: not a valid programme file
OUT
}

@test "multipliers must be numbers above zero; a multiplier is kept exact" {
	printf '[rule a]\nmultiply = double\n[rule b]\nmultiply = 0\n[rule c]\nmultiply = -2\n[rule d]\nmultiply = 1,5\n[rule e]\nmultiply = 1.3333333333\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: multiply 'double' is not a decimal number
loy-program: p.conf:4: multiply '0' is not more than zero
loy-program: p.conf:6: multiply '-2' is not more than zero
loy-program: p.conf:8: multiply '1,5' is not a decimal number
loy-program: p.conf:10: multiply '1.3333333333' has more than 9 decimals
loy-program: p.conf: not a valid programme file
OUT
	printf '[rule a]\nmultiply = 1.25\nstack = no\n[rule b]\nmultiply = 2.50\nstack = no\n' >ok.conf
	run -0 loy-program check ok.conf
	[ "${lines[4]}" = "rules: 2 (2 multiply, 0 bonus, 0 exclude)" ]
}

@test "windows, days and hours: out of range or ending before they start" {
	cat >p.conf <<'CONF'
[rule december]
multiply = 2
from = 2026-12-31
to = 2026-12-01
[rule weekend]
multiply = 2
stack = no
days = sat,sun,fun
[rule backwards]
bonus = 1
days = fri-mon
[rule evening]
bonus = 1
hours = 22-18
[rule late]
bonus = 1
hours = 25
[rule endless]
bonus = 1
hours = 20-25
[rule date]
bonus = 1
from = 2026-02-30
[rule gap]
bonus = 1
days = mon,,tue
[rule trailing]
bonus = 1
hours = 9,10,
[rule none]
bonus = 1
hours = 3-3
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:4: rule 'december': window ends (to 2026-12-01 23:59:59) before it starts (from 2026-12-31 00:00:00)
loy-program: p.conf:8: days 'sat,sun,fun': 'fun' is not a day (mon, tue, wed, thu, fri, sat, sun)
loy-program: p.conf:11: days 'fri-mon': fri-mon ends before it starts (the week runs mon to sun)
loy-program: p.conf:14: hours '22-18': 22-18 ends before it starts (across midnight write 22-24,0-18)
loy-program: p.conf:17: hours '25': '25' is not an hour (0 to 23)
loy-program: p.conf:20: hours '20-25': '25' is not an hour (1 to 24)
loy-program: p.conf:23: from '2026-02-30' is not an ISO 8601 date or datetime
loy-program: p.conf:26: days 'mon,,tue' names an empty day
loy-program: p.conf:29: hours '9,10,' names an empty hour
loy-program: p.conf:32: hours '3-3': 3-3 is no hour (3-4 is the hour from 3:00)
loy-program: p.conf: not a valid programme file
OUT
	# a window of one day, and evening hours across midnight, are fine
	printf '[rule a]\nbonus = 1\nfrom = 2026-12-24\nto = 2026-12-24\nhours = 22-24,0-2\ndays = mon-fri,sun\n' >ok.conf
	run -0 loy-program check ok.conf
}

@test "tiers: thresholds must increase, and every tier section has one" {
	cat >p.conf <<'CONF'
[tiers]
measure = spend
[tier Gold]
threshold = 500
[tier Silver]
threshold = 100.00
[tier Bronze]
[tier Platinum]
threshold = 100.005
[tier Gold]
threshold = 1
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:6: tier 'Silver' threshold 100.00 is not above tier 'Gold' (500.00): thresholds increase from the lowest tier
loy-program: p.conf:7: tier 'Bronze' has no threshold
loy-program: p.conf:9: threshold '100.005' has more than 2 decimals
loy-program: p.conf:10: tier 'Gold' is defined twice (first on line 3)
loy-program: p.conf: not a valid programme file
OUT
	# by visits the thresholds are whole numbers
	printf '[tiers]\nmeasure = visits\n[tier A]\nthreshold = 0\n[tier B]\nthreshold = 12\n' >ok.conf
	run -0 loy-program check ok.conf
	[ "${lines[6]}" = "tiers: 2 (A 0, B 12; by visits)" ]
}

@test "tiers in [programme] may not name an empty tier" {
	printf '[programme]\ntiers = Gold,,Silver\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: tiers 'Gold,,Silver' names an empty tier
loy-program: p.conf: not a valid programme file
OUT
}

@test "overlapping and contradictory rules are refused" {
	cat >p.conf <<'CONF'
[rule dec-a]
multiply = 2
from = 2026-12-01
to = 2026-12-31
[rule dec-b]
multiply = 3
from = 2026-12-15
to = 2027-01-15
[rule jan]
multiply = 3
from = 2027-01-16
to = 2027-01-31
[rule no-tobacco]
category = ^tobacco$
exclude = yes
[rule tobacco-bonus]
category = ^tobacco$
bonus = 50
[rule beans]
sku = ^BEA-
multiply = 2
days = mon-fri
[rule beans-weekend]
sku = ^BEA-
multiply = 3
days = sat,sun
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: rule 'dec-b' overlaps rule 'dec-a' (line 1): both multiply the whole receipt for the same members at the same time and both stack; make their windows disjoint or set stack = no
loy-program: p.conf:16: rule 'tobacco-bonus' contradicts rule 'no-tobacco' (line 13): one excludes category '^tobacco$', the other rewards it at the same time
loy-program: p.conf: not a valid programme file
OUT
	# the same with dec-b competing instead of stacking, and a tier's own multiplier
	sed -e '/^\[rule tobacco-bonus\]/,/^bonus/d' -e 's/^multiply = 3$/multiply = 3\nstack = no/' p.conf >ok.conf
	printf '[tier Pearl]\nthreshold = 0\n[tier Diamond]\nthreshold = 5000\n[rule diamond]\nmultiply = 1.5\ntiers = Diamond\n' >>ok.conf
	run -0 loy-program check ok.conf
}

@test "a rule must do one thing its trigger allows" {
	cat >p.conf <<'CONF'
[rule nothing]
sku = ^A
[rule two]
bonus = 1
multiply = 2
[rule ex]
exclude = yes
[rule welcome]
trigger = signup
multiply = 2
[rule cum]
trigger = cumulative
bonus = 5
[rule ev]
trigger = event
event = survey
bonus = 5
[rule tiered]
bonus = 5
tiers = Gold
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:1: rule 'nothing' does nothing: give it multiply, bonus or exclude
loy-program: p.conf:5: rule 'two' does more than one thing: give it one of multiply, bonus or exclude
loy-program: p.conf:7: rule 'ex': exclude needs sku, category or description
loy-program: p.conf:10: rule 'welcome': multiply needs trigger purchase, first-purchase or event; give a bonus
loy-program: p.conf:11: rule 'cum': trigger cumulative needs visits or spend
loy-program: p.conf:11: rule 'cum': trigger cumulative needs a period
loy-program: p.conf:16: rule 'ev': event 'survey' has no [event survey] section
loy-program: p.conf:20: rule 'tiered': tier 'Gold' is not one of the programme's tiers
loy-program: p.conf: not a valid programme file
OUT
	# a period that is not one is told at its line, not as none given
	printf '[rule cum]\ntrigger = cumulative\nbonus = 5\nvisits = 3\nperiod = fortnight\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: period 'fortnight' must be day, week, month, quarter, year or ever
loy-program: p.conf: not a valid programme file
OUT
}

@test "an event rule takes no stores, channels or min_amount, a sign-up rule no min_amount: they could never hold" {
	cat >p.conf <<'CONF'
[event survey]
points = 5
[rule ev]
trigger = event
event = survey
bonus = 10
stores = S1
channels = web
min_amount = 5.00
[rule welcome]
trigger = signup
bonus = 50
stores = S1
min_amount = 1.00
[rule friend]
trigger = referral
bonus = 100
min_amount = 1.00
[rule friend-buys]
trigger = referral
referral_on = every-purchase
bonus = 100
min_amount = 20.00
[rule big]
trigger = cumulative
visits = 3
period = month
bonus = 30
stores = S1
channels = pos
min_amount = 10.00
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:7: rule 'ev': stores needs a purchase or a sign-up: an event has no store
loy-program: p.conf:8: rule 'ev': channels needs a purchase or a sign-up: an event has no channel
loy-program: p.conf:9: rule 'ev': min_amount needs a purchase: an event has no amount
loy-program: p.conf:14: rule 'welcome': min_amount needs a purchase: a sign-up has no amount
loy-program: p.conf:18: rule 'friend': min_amount needs a purchase: a sign-up has no amount
loy-program: p.conf: not a valid programme file
OUT
	# without them the file is good, and a version stored with them still reads
	sed -e '7,9d' -e '14d' -e '18d' p.conf >ok.conf
	run -0 loy-program check ok.conf
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	run -0 --separate-stderr loy-program show
	[[ "$output" == *"channels = web"* ]]
	printf 'event_id,member_id,event,occurred_at\nE1,A,survey,2026-11-20 10:00:00\n' >ev.csv
	run -0 --separate-stderr loy-accrue --events ev.csv
	[ "${lines[1]}" = "E1,A,survey,2026-11-20 10:00:00,5,credited," ]
	ledger_ok
}

@test "an exclusion and a first-purchase reward of the same lines contradict each other, and a version stored with them still reads" {
	cat >p.conf <<'CONF'
[rule no-tobacco]
category = ^tobacco$
exclude = yes

[rule welcome-smoke]
trigger = first-purchase
category = ^tobacco$
bonus = 50

[rule welcome-double]
trigger = first-purchase
category = ^tobacco$
multiply = 2
stores = S1
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: rule 'welcome-smoke' contradicts rule 'no-tobacco' (line 1): one excludes category '^tobacco$', the other rewards it at the same time
loy-program: p.conf:10: rule 'welcome-double' contradicts rule 'no-tobacco' (line 1): one excludes category '^tobacco$', the other rewards it at the same time
loy-program: p.conf: not a valid programme file
OUT
	# a first-purchase reward in other stores than the exclusion is none
	printf '[rule no-tobacco]\ncategory = ^tobacco$\nexclude = yes\nstores = S2\n[rule welcome-double]\ntrigger = first-purchase\ncategory = ^tobacco$\nmultiply = 2\nstores = S1\n' >ok.conf
	run -0 loy-program check ok.conf
	# a version stored with them reads as it was loaded: the exclusion wins
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	printf 'txn_id,member_id,occurred_at,store,category,qty,amount\nT1,A,2026-11-20 10:00:00,S1,tobacco,1,10.00\nT1,A,2026-11-20 10:00:00,S1,food,1,5.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,A,2026-11-20 10:00:00,15.00,5,credited," ]
	ledger_ok
}

@test "a cap, a budget or a limit that a sign-up, referral or cumulative bonus never counts is refused, and a version stored with one still reads" {
	cat >p.conf <<'CONF'
[rule welcome]
trigger = signup
bonus = 100
budget = 150
cap_receipt = 30

[rule friend]
trigger = referral
bonus = 20
budget = 40
limit = 3

[rule regular]
trigger = cumulative
visits = 1
period = day
bonus = 50
budget = 60
limit = 1 per year
cap_receipt = 10
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:4: rule 'welcome': budget needs trigger purchase, first-purchase or event: a sign-up bonus is not counted against one
loy-program: p.conf:5: rule 'welcome': cap_receipt needs trigger purchase, first-purchase or event: a sign-up bonus is given whole
loy-program: p.conf:10: rule 'friend': budget needs trigger purchase, first-purchase or event: a referral bonus is not counted against one
loy-program: p.conf:18: rule 'regular': budget needs trigger purchase, first-purchase or event: a cumulative bonus is not counted against one
loy-program: p.conf:19: rule 'regular': limit needs another trigger than cumulative, whose bonus comes once per period
loy-program: p.conf:20: rule 'regular': cap_receipt needs trigger purchase, first-purchase or event: a cumulative bonus is given whole
loy-program: p.conf: not a valid programme file
OUT
	# a referral rule's limit is one
	sed -e 4,5d -e 10d -e 18,20d p.conf >ok.conf
	run -0 loy-program check ok.conf
	# a version stored with them reads as it was loaded: each bonus given
	# whole, every day, to every member
	new_ledger
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	printf 'member_id\nA\nB\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,qty,amount\nT1,A,2026-11-20 10:00:00,1,10.00\nT2,A,2026-11-21 10:00:00,1,10.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(q "SELECT group_concat(member_id || ':' || points, ' ') FROM (SELECT member_id, sum(points) AS points FROM journal WHERE kind = 'bonus' GROUP BY member_id)")" = "A:200 B:100" ]
	ledger_ok
}

@test "a limit on a first-purchase bonus, given once, is refused, a first-purchase multiplier keeps one, and a version stored with one still reads" {
	cat >p.conf <<'CONF'
[rule newcomer]
trigger = first-purchase
bonus = 50
limit = 2 per year

[rule starter]
trigger = first-purchase
multiply = 0.5
limit = 1
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:4: rule 'newcomer': limit needs another trigger than first-purchase, or a multiplier: a first-purchase bonus comes once, on the member's first purchase
loy-program: p.conf: not a valid programme file
OUT
	# a multiplier below 1 may leave its receipt earning nothing, no
	# purchase yet, and fire again on the next: its limit counts
	sed 4d p.conf >ok.conf
	run -0 loy-program check ok.conf
	# a version stored with the bonus's limit reads as it was loaded: the
	# bonus once, on the first purchase
	new_ledger
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,qty,amount\nT1,A,2026-11-20 10:00:00,1,1.00\nT2,A,2026-11-21 10:00:00,1,1.00\nT3,A,2026-11-22 10:00:00,1,4.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: 1 x 0.5 rounds to 0, plus 50; T2 and T3 are no first purchase
	[ "$(q "SELECT group_concat(txn_id || ':' || points, ' ') FROM receipts")" = "T1:50 T2:1 T3:4" ]
	ledger_ok
}

@test "a cap or a budget on a rule that gives no points is refused, and a version stored with one still reads" {
	cat >p.conf <<'CONF'
[rule half]
trigger = purchase
category = bakery
multiply = 0.5
budget = 1000
[rule same]
trigger = purchase
category = dairy
multiply = 1
cap_receipt = 10
[rule no-tobacco]
trigger = purchase
category = tobacco
exclude = yes
budget = 50
cap_receipt = 5
[rule double]
trigger = purchase
category = produce
multiply = 2
budget = 1000
cap_receipt = 10
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: rule 'half': budget counts the points a rule gives; this one multiplies by 1 or less and gives none
loy-program: p.conf:10: rule 'same': cap_receipt counts the points a rule gives; this one multiplies by 1 or less and gives none
loy-program: p.conf:15: rule 'no-tobacco': budget counts the points a rule gives; this one excludes and gives none
loy-program: p.conf:16: rule 'no-tobacco': cap_receipt counts the points a rule gives; this one excludes and gives none
loy-program: p.conf: not a valid programme file
OUT
	# without them the file is good, and a version stored with them still
	# reads: the half rule halves every purchase, its budget never reached
	sed -e 5d -e 10d -e 15,16d p.conf >ok.conf
	run -0 loy-program check ok.conf
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	run -0 --separate-stderr loy-program show
	[[ "$output" == *"budget = 1000"* ]]
	printf 'txn_id,member_id,occurred_at,category,amount\nT1,A,2026-11-20 10:00:00,bakery,40.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,A,2026-11-20 10:00:00,40.00,20,credited," ]
	ledger_ok
}

@test "a multiplier that is not a number is refused as such, not as a cap or budget on a rule that gives no points" {
	printf '[rule x]\ntrigger = purchase\ncategory = bakery\nmultiply = two\nbudget = 1000\ncap_receipt = 10\n[rule y]\ntrigger = purchase\ncategory = dairy\nmultiply = 0\nbudget = 50\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:4: multiply 'two' is not a decimal number
loy-program: p.conf:10: multiply '0' is not more than zero
loy-program: p.conf: not a valid programme file
OUT
}

@test "a [programme] setting and its section must agree" {
	printf '[programme]\nearn_points = 2\nexpiry_months = 6\n[earn]\npoints = 3\n[expiry]\nmonths = 6\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: points '3' contradicts earn_points '2' in [programme] (line 2)
loy-program: p.conf: not a valid programme file
OUT
}

@test "load stores a new version in force now, writes its settings, records the run" {
	new_ledger
	good
	run -0 --separate-stderr loy-program load good.conf
	same "$output" <<'OUT'
version,effective_from,status
2,2026-11-23 12:00:00,loaded
OUT
	[ "$(q "SELECT version, effective_from, source FROM programmes WHERE version = 2")" = \
	    "2|2026-11-23 12:00:00|good.conf" ]
	[ "$(q "SELECT text FROM programmes WHERE version = 2")" = "$(cat good.conf)" ]
	# the settings follow the version: the file's, its sections', else defaults
	[ "$(q "SELECT value FROM settings WHERE key = 'programme'")" = "Test Club" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.02 ]
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_points'")" = 2 ]
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_amount'")" = 1.00 ]
	[ "$(q "SELECT value FROM settings WHERE key = 'expiry_months'")" = 12 ]
	[ "$(q "SELECT value FROM settings WHERE key = 'expiry_policy'")" = months ]
	[ "$(q "SELECT value FROM settings WHERE key = 'tiers'")" = Basic,Gold ]
	# one run, its input and checksum
	[ "$(q "SELECT r.program, i.name, i.sha256 FROM runs r JOIN run_inputs i USING (run_id)
	       JOIN programmes p USING (run_id) WHERE p.version = 2")" = \
	    "loy-program|good.conf|$(sha256sum good.conf | cut -d' ' -f1)" ]
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# programme version 2, in force from 2026-11-23 12:00:00" ]
	[ "$(printf '%s\n' "$output" | tail -n +2)" = "$(cat good.conf)" ]
	ledger_ok
}

@test "a version that changes phone_country compares every member's phone anew in its run, and loy-check agrees" {
	new_ledger
	printf 'member_id,name,phone\n1,Ann,+44 7700 900123\n2,Ann B.,0044 7700 900123\n3,A. Bell,07700 900123\n4,Bo,+33 1 23 45 67 89\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	keys() { q "SELECT group_concat(member_id || ':' || phone_key, ' ') FROM (SELECT * FROM members ORDER BY member_id)"; }
	[ "$(keys)" = "1:+447700900123 2:00447700900123 3:07700900123 4:+33123456789" ]
	printf '[programme]\nphone_country = 44\n' >uk.conf
	printf '[programme]\nphone_country = none\n' >none.conf
	# a dry run changes no key
	run -0 --separate-stderr loy-program -n load uk.conf
	[ "$(keys)" = "1:+447700900123 2:00447700900123 3:07700900123 4:+33123456789" ]
	run -0 --separate-stderr loy-program load uk.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'phone_country'")" = 44 ]
	[ "$(keys)" = "1:+447700900123 2:+447700900123 3:+447700900123 4:+33123456789" ]
	run -0 --separate-stderr loy-enroll duplicates
	[ "${#lines[@]}" = 4 ]
	ledger_ok
	# back to none: the phones as written, without their spacing
	run -0 --separate-stderr loy-program load none.conf
	[ "$(keys)" = "1:+447700900123 2:00447700900123 3:07700900123 4:+33123456789" ]
	ledger_ok
	# a version ahead changes them when apply writes its settings
	run -0 --separate-stderr loy-program load --from 2027-01-01 uk.conf
	[ "$(keys)" = "1:+447700900123 2:00447700900123 3:07700900123 4:+33123456789" ]
	LOY_NOW="2027-01-01 00:10:00" run -0 --separate-stderr loy-program apply
	[ "$(keys)" = "1:+447700900123 2:+447700900123 3:+447700900123 4:+33123456789" ]
	ledger_ok
}

@test "a version whose phone_country makes members share a phone they did not says how many, and a POS phone then finds the earliest of them" {
	new_ledger
	# 3 and 4 are one phone under 44; 5 and 6 are one already; 2 is merged
	printf 'member_id,name,phone,enrolled_at\n1,Ann,+44 7700 900123,2026-01-01\n2,Ann B.,07700 900123,2026-01-02\n3,Cy,07700 900999,2026-01-03\n4,Di,0044 7700 900999,2026-01-04\n5,Ed,+44 7700 900555,2026-01-05\n6,Fa,+447700900555,2026-01-06\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-enroll merge 2 1 >/dev/null 2>&1
	printf '[programme]\nphone_country = 44\n' >uk.conf
	printf '[programme]\nphone_country = 33\n' >fr.conf
	printf 'txn_id,phone,occurred_at,amount\nT1,0044 7700 900999,2026-11-20 10:00:00,10.00\n' >pos.csv
	before=$(dump)
	run -0 --separate-stderr loy-program -n load uk.conf
	[ "${stderr_lines[0]}" = "loy-program: phone_country 44: 2 members now share their phone with another member, not before; a phone that several members share finds the earliest enrolled of them (loy-enroll duplicates lists them)" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-program load uk.conf
	[ "$stderr" = "loy-program: phone_country 44: 2 members now share their phone with another member, not before; a phone that several members share finds the earliest enrolled of them (loy-enroll duplicates lists them)" ]
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,3,2026-11-20 10:00:00,10.00,10,credited," ]
	# splitting phones apart makes no one share anew: nothing said
	run -0 --separate-stderr loy-program load fr.conf
	[ -z "$stderr" ]
	# nor does a version ahead, till apply writes its settings
	run -0 --separate-stderr loy-program load --from 2027-01-01 uk.conf
	[ "${#stderr_lines[@]}" = 1 ]
	LOY_NOW="2027-01-01 00:10:00" run -0 --separate-stderr loy-program apply
	[ "$stderr" = "loy-program: phone_country 44: 2 members now share their phone with another member, not before; a phone that several members share finds the earliest enrolled of them (loy-enroll duplicates lists them)" ]
	ledger_ok
}

@test "phone_country is a country calling code or none, and not one whose numbers keep their leading 0" {
	printf '[programme]\nphone_country = +44\n' >p.conf
	bad p.conf
	[ "$stderr" = "loy-program: p.conf:2: phone_country '+44' must be a country calling code without the +, 1 to 3 digits such as 44, or none
loy-program: p.conf: not a valid programme file" ]
	printf '[programme]\nphone_country = 39\n' >p.conf
	bad p.conf
	[ "${stderr_lines[0]}" = "loy-program: p.conf:2: phone_country '39' cannot be used: that country's numbers keep their leading 0 after +39" ]
	printf '[programme]\nphone_country = 353\n' >p.conf
	run -0 --separate-stderr loy-program check p.conf
}

@test "a programme without tiers has none: new members get no tier, loy-segment tiers says so" {
	new_ledger
	printf '[programme]\nprogramme = Plain Points\n' >plain.conf
	run -0 --separate-stderr loy-program check plain.conf
	[ "${lines[6]}" = "tiers: 0" ]
	loy-program load plain.conf >/dev/null 2>&1
	[ "$(q "SELECT quote(value) FROM settings WHERE key = 'tiers'")" = "''" ]
	printf 'member_id,name\n1,Ann\n' | loy-enroll >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,2,2026-11-20 10:00:00,5.00\n' |
	    loy-accrue --auto-enroll >/dev/null 2>&1
	[ "$(q "SELECT group_concat(member_id || '=' || quote(tier)) FROM members")" = "1=NULL,2=NULL" ]
	run -65 --separate-stderr loy-segment tiers
	[ "$stderr" = "loy-segment: programme version 2 has no tiers" ]
	ledger_ok
}

@test "the run records the command line as typed, options after the verb where they were" {
	new_ledger
	good
	loy-program load --from 2026-11-23 good.conf >/dev/null 2>&1
	[ "$(q "SELECT args FROM runs WHERE program = 'loy-program'")" = "loy-program load --from 2026-11-23 good.conf" ]
	ledger_ok
}

@test "loading the version in force again changes nothing" {
	new_ledger
	good
	loy-program load good.conf >/dev/null 2>&1
	before=$(q "SELECT count(*) FROM programmes")
	run -0 --separate-stderr loy-program load good.conf
	[ "${lines[1]}" = "2,2026-11-23 12:00:00,unchanged" ]
	[ "$stderr" = "loy-program: good.conf: the same as version 2, in force at 2026-11-23 12:00:00; nothing stored" ]
	[ "$(q "SELECT count(*) FROM programmes")" = "$before" ]
}

@test "a copy of the version in force saved with CR LF line ends or a byte-order mark changes nothing, nor does the version loaded back without them" {
	new_ledger
	good
	loy-program load good.conf >/dev/null 2>&1
	before=$(dump)
	sed 's/$/\r/' good.conf >crlf.conf
	printf '\357\273\277' | cat - crlf.conf >bom.conf
	for f in crlf.conf bom.conf; do
		run -0 --separate-stderr loy-program load "$f"
		[ "${lines[1]}" = "2,2026-11-23 12:00:00,unchanged" ]
		[ "$(dump)" = "$before" ]
	done
	# one edited in the same editor is a version, and the file it came
	# from, loaded back, is one again
	sed 's/^point_value = .*$/point_value = 0.03\r/' crlf.conf >edited.conf
	run -0 --separate-stderr loy-program load edited.conf
	[ "${lines[1]}" = "3,2026-11-23 12:00:00,loaded" ]
	run -0 --separate-stderr loy-program load bom.conf
	[ "${lines[1]}" = "4,2026-11-23 12:00:00,loaded" ]
	run -0 --separate-stderr loy-program load good.conf
	[ "${lines[1]}" = "4,2026-11-23 12:00:00,unchanged" ]
	ledger_ok
}

@test "loading the version in force at a later date again prints that version with its own date" {
	new_ledger
	good
	loy-program load --from 2026-12-01 good.conf >/dev/null 2>&1
	before=$(dump)
	run -0 --separate-stderr loy-program load --from 2027-01-01 good.conf
	same "$output" <<'OUT'
version,effective_from,status
2,2026-12-01 00:00:00,unchanged
OUT
	[ "$stderr" = "loy-program: good.conf: the same as version 2, in force at 2027-01-01 00:00:00; nothing stored" ]
	[ "$(loy-program versions | cut -d, -f1,2 | sed -n 3p)" = "2,2026-12-01 00:00:00" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a bad file is refused with every problem and nothing is stored" {
	new_ledger
	before=$(dump)
	printf '[rule a]\nmultiply = x\n[nope]\n' >p.conf
	run -65 --separate-stderr loy-program load p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:2: multiply 'x' is not a decimal number
loy-program: p.conf:3: unknown section [nope]: the sections are [programme], [earn], [rule NAME], [event NAME], [tiers], [tier NAME] and [expiry]
loy-program: p.conf: not a valid programme file; nothing stored
OUT
	[ "$(dump)" = "$before" ]
}

@test "a version's currency, decimals and time zone must be the ledger's" {
	new_ledger --set currency=GBP
	before=$(dump)
	good
	run -65 --separate-stderr loy-program load good.conf
	same "$stderr" <<'OUT'
loy-program: good.conf: currency is not set, so it is 'EUR', but the ledger's is 'GBP': a ledger keeps one currency, decimals and time zone
loy-program: good.conf: nothing stored
OUT
	printf '[programme]\ncurrency = GBP\ndecimals = 3\n' >p.conf
	run -65 --separate-stderr loy-program load p.conf
	[ "${stderr_lines[0]}" = "loy-program: p.conf:3: decimals '3' differs from the ledger's '2': a ledger keeps one currency, decimals and time zone" ]
	[ "$(dump)" = "$before" ]
}

@test "--from: a future version waits for its date; show --as-of finds each" {
	new_ledger
	good
	run -0 --separate-stderr loy-program load --from 2027-01-01 good.conf
	[ "${lines[1]}" = "2,2027-01-01 00:00:00,loaded" ]
	[ "$stderr" = "loy-program: good.conf: version 2 takes effect at 2027-01-01 00:00:00; until then version 1 stays in force (loy-program apply, run then, writes its settings)" ]
	# today's settings are still version 1's
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.01 ]
	run -0 loy-program show
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	run -0 loy-program show --as-of 2026-12-31
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	run -0 loy-program show --as-of 2027-01-01
	[ "${lines[0]}" = "# programme version 2, in force from 2027-01-01 00:00:00" ]
	# on the day, apply writes version 2's settings, once
	LOY_NOW="2027-01-01 00:10:00" run -0 --separate-stderr loy-program apply
	[ "$output" = "version,status
2,applied" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.02 ]
	LOY_NOW="2027-01-01 00:20:00" run -0 --separate-stderr loy-program apply
	[ "${lines[1]}" = "2,unchanged" ]
	ledger_ok
}

@test "a future version loaded after another one ahead says which versions are in force until its date" {
	new_ledger
	printf '[programme]\npoint_value = 0.02\n' >dec.conf
	printf '[programme]\npoint_value = 0.03\n' >jan.conf
	printf '[programme]\npoint_value = 0.04\n' >mid.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	run -0 --separate-stderr loy-program load --from 2027-01-01 jan.conf
	[ "$stderr" = "loy-program: jan.conf: version 3 takes effect at 2027-01-01 00:00:00; until then version 1 stays in force, and version 2 from 2026-12-01 00:00:00 (loy-program apply, run then, writes its settings)" ]
	# one for the very date of a version loaded ahead takes its place
	run -0 --separate-stderr loy-program load --from 2026-12-01 mid.conf
	[ "$stderr" = "loy-program: mid.conf: version 4 takes effect at 2026-12-01 00:00:00; until then version 1 stays in force (loy-program apply, run then, writes its settings)
loy-program: mid.conf: from 2027-01-01 00:00:00 version 3, loaded ahead, takes over from version 4" ]
	run -0 loy-program show --as-of 2026-12-15
	[ "${lines[0]}" = "# programme version 4, in force from 2026-12-01 00:00:00" ]
	ledger_ok
}

@test "load warns of a rule whose dates lie wholly outside the time its version governs: it never applies" {
	new_ledger
	printf '[programme]\npoint_value = 0.02\n' >jan.conf
	run -0 --separate-stderr loy-program load --from 2027-01-01 jan.conf
	cat >dec.conf <<'CONF'
[rule spring]
multiply = 3
from = 2026-03-01
to = 2026-05-31

[rule december]
multiply = 2
from = 2026-12-01
to = 2026-12-31

[rule summer]
bonus = 100
from = 2027-06-01
CONF
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	[ "${lines[1]}" = "3,2026-12-01 00:00:00,loaded" ]
	same "$stderr" <<'OUT'
loy-program: dec.conf: version 3 takes effect at 2026-12-01 00:00:00; until then version 1 stays in force (loy-program apply, run then, writes its settings)
loy-program: dec.conf: from 2027-01-01 00:00:00 version 2, loaded ahead, takes over from version 3
loy-program: dec.conf:1: rule 'spring' ends at 2026-05-31 23:59:59, before version 3 takes effect at 2026-12-01 00:00:00: it never applies under this version
loy-program: dec.conf:11: rule 'summer' starts at 2027-06-01 00:00:00, when version 2 has taken over from version 3: it never applies under this version
OUT
	# stored all the same, and a rule within the version's time says nothing
	[ "$(q "SELECT count(*) FROM programmes WHERE version = 3")" = 1 ]
	printf '[rule november]\nmultiply = 2\nfrom = 2026-11-20\nto = 2026-11-30\n' >ok.conf
	run -0 --separate-stderr loy-program load -n ok.conf
	same "$stderr" <<'OUT'
loy-program: ok.conf: from 2026-12-01 00:00:00 version 3, loaded ahead, takes over from version 4
loy-program: dry run: nothing committed
OUT
	ledger_ok
}

@test "--date-format reads load's --from, show's --as-of and what-if's --from and --to in another format; a date not in it, or the format alone, is a usage error" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-01 10:00:00,40.00\nB,1001,2026-11-20 10:00:00,60.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	good
	iso=$(loy-program what-if good.conf --from 2026-11-01 --to 2026-11-19 2>/dev/null)
	run -0 --separate-stderr loy-program --date-format '%d.%m.%Y' what-if good.conf --from 01.11.2026 --to 19.11.2026
	[ "$output" = "$iso" ]
	[ "${lines[1]}" = "[earn],40,80,40,0.40,1.60,1.20" ]
	[ "$stderr" = "loy-program: good.conf from 2026-11-01 to 2026-11-19: 1 receipt, 40 points given, 80 under good.conf" ]
	run -64 --separate-stderr loy-program --date-format '%d.%m.%Y' what-if good.conf --from 01.11.2026 --to 2026-11-19
	[ "${stderr%%$'\n'*}" = "loy-program: --to '2026-11-19' does not match date format '%d.%m.%Y'" ]
	# load --from: a date is its first second, a time as the format gives it
	run -0 --separate-stderr loy-program --date-format '%d.%m.%Y %H:%M' load --from '01.12.2026 06:30' good.conf
	[ "${lines[1]}" = "2,2026-12-01 06:30:00,loaded" ]
	run -64 --separate-stderr loy-program --date-format '%d.%m.%Y' load --from 2026-12-01 good.conf
	[ "${stderr%%$'\n'*}" = "loy-program: --from '2026-12-01' does not match datetime format '%d.%m.%Y'" ]
	# show --as-of: a date alone is its end
	run -0 loy-program --date-format '%d.%m.%Y' show --as-of 30.11.2026
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	run -0 loy-program --date-format '%d.%m.%Y' show --as-of 01.12.2026
	[ "${lines[0]}" = "# programme version 2, in force from 2026-12-01 06:30:00" ]
	run -0 loy-program --date-format '%d.%m.%Y %H:%M' show --as-of '01.12.2026 06:29'
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	# the format alone, with a verb that takes no date or without the date:
	# the message names the verb's own date option, or says it reads none
	for verb in "versions:versions reads no dates: it takes no --date-format" \
	    "apply:apply reads no dates: it takes no --date-format" \
	    "check good.conf:check reads no dates: it takes no --date-format" \
	    "show:--date-format is the format of --as-of: give it" \
	    "load good.conf:--date-format is the format of --from: give it"; do
		before=$(dump)
		run -64 --separate-stderr loy-program --date-format '%d.%m.%Y' ${verb%%:*}
		[ "${stderr%%$'\n'*}" = "loy-program: ${verb#*:}" ] ||
		    { echo "$verb: $stderr"; return 1; }
		[ "$(dump)" = "$before" ]
	done
	run -64 --separate-stderr loy-program --date-format '%d.%m' show --as-of 01.12
	[[ "$stderr" == "loy-program: --date-format '%d.%m' gives no year"* ]]
	[ "$(q "SELECT count(*) FROM programmes")" = 2 ]
	ledger_ok
}

# Member 1001 with receipts on 2026-11-01 (40.00) and 2026-11-20 (60.00).
with_receipts() {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-01 10:00:00,40.00\nB,1001,2026-11-20 10:00:00,60.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
}

@test "a version effective before receipts already credited is refused" {
	with_receipts
	good
	before=$(dump)
	run -65 --separate-stderr loy-program load --from 2026-11-15 good.conf
	same "$stderr" <<'OUT'
loy-program: good.conf: a version effective from 2026-11-15 00:00:00 comes after 1 receipt already credited from then on (the latest at 2026-11-20 10:00:00); it keeps its points: give --retroactive to load it anyway (nothing is re-credited)
loy-program: good.conf: nothing stored
OUT
	[ "$(dump)" = "$before" ]
	run -65 --separate-stderr loy-program load --from 2026-10-01 good.conf
	[[ "${stderr_lines[0]}" == *"comes after 2 receipts already credited from then on (the latest at 2026-11-20 10:00:00)"* ]]
	# after the last receipt it is fine
	run -0 --separate-stderr loy-program -n load --from 2026-11-21 good.conf
	[ "$(dump)" = "$before" ]
}

@test "--retroactive stores it and re-credits nothing" {
	with_receipts
	good
	# 40 + 60 points at 1 point per 1.00
	[ "$(balances)" = "1001:100" ]
	run -0 --separate-stderr loy-program load --retroactive --from 2026-11-15 good.conf
	[ "${lines[1]}" = "2,2026-11-15 00:00:00,loaded" ]
	[ "$stderr" = "loy-program: good.conf: --retroactive: the 1 receipt credited from 2026-11-15 00:00:00 on keeps the points it earned; nothing is re-credited" ]
	[ "$(balances)" = "1001:100" ]
	[ "$(q "SELECT count(*) FROM journal")" = 2 ]
	ledger_ok
}

@test "a version loaded before a later one counts only the receipts it would have governed" {
	with_receipts
	good
	run -0 --separate-stderr loy-program load --retroactive --from 2026-11-10 good.conf
	[ "${lines[1]}" = "2,2026-11-10 00:00:00,loaded" ]
	# receipt B (2026-11-20) is version 2's; only A (2026-11-01) lies between
	before=$(dump)
	run -65 --separate-stderr loy-program load --from 2026-10-01 good.conf
	[ "${stderr_lines[0]}" = "loy-program: good.conf: a version effective from 2026-10-01 00:00:00 comes after 1 receipt already credited from then until version 2 takes over at 2026-11-10 00:00:00 (the latest at 2026-11-01 10:00:00); it keeps its points: give --retroactive to load it anyway (nothing is re-credited)" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-program load --retroactive --from 2026-10-01 good.conf
	[ "${lines[1]}" = "3,2026-10-01 00:00:00,loaded" ]
	[[ "$stderr" == "loy-program: good.conf: --retroactive: the 1 receipt credited from 2026-10-01 00:00:00 until 2026-11-10 00:00:00 keeps the points it earned; nothing is re-credited"* ]]
	# between two versions with no receipt in between: nothing to refuse
	good other.conf
	sed -i 's/^points = 2/points = 3/' other.conf
	run -0 --separate-stderr loy-program -n load --from 2026-11-05 other.conf
	[ "${lines[1]}" = "4,2026-11-05 00:00:00,loaded" ]
	[ "${stderr_lines[0]}" = "loy-program: other.conf: version 4 is in force from 2026-11-05 00:00:00 until a later version, 2, which is in force now" ]
	[ "$(balances)" = "1001:100" ]
	ledger_ok
}

@test "--dry-run loads nothing" {
	new_ledger
	before=$(dump)
	good
	run -0 --separate-stderr loy-program -n load good.conf
	[ "${lines[1]}" = "2,2026-11-23 12:00:00,loaded" ]
	[ "$stderr" = "loy-program: dry run: nothing committed" ]
	[ "$(dump)" = "$before" ]
}

@test "usage errors" {
	new_ledger
	run -64 --separate-stderr loy-program
	run -64 --separate-stderr loy-program frobnicate
	[ "${stderr_lines[0]}" = "loy-program: unknown command 'frobnicate'" ]
	run -64 --separate-stderr loy-program load
	# a wrong number of operands says so, as the other programs say it,
	# where the usage came alone
	[ "${stderr_lines[0]}" = "loy-program: load needs one programme file ('-' for standard input)" ]
	[ "${stderr_lines[1]}" = "usage: loy-program [-V] check file" ]
	run -64 --separate-stderr loy-program check a.conf b.conf
	[ "${stderr_lines[0]}" = "loy-program: check needs one programme file ('-' for standard input)" ]
	run -64 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-30
	[ "${stderr_lines[0]}" = "loy-program: what-if needs one programme file ('-' for standard input)" ]
	for c in show versions apply; do
		run -64 --separate-stderr loy-program $c x.conf
		[ "${stderr_lines[0]}" = "loy-program: $c takes no operands" ]
	done
	run -64 --separate-stderr loy-program show --from 2026-01-01
	run -64 --separate-stderr loy-program load --from yesterday x.conf
	[ "$stderr" = "loy-program: --from 'yesterday' is not an ISO 8601 date or datetime" ]
	run -66 --separate-stderr loy-program check missing.conf
	[[ "$stderr" == "loy-program: cannot open 'missing.conf': "* ]]
	run -0 loy-program --version
	[[ "$output" == "loy-program "* ]]
}

@test "check, show, versions and what-if write nothing: -n is refused there" {
	new_ledger
	good
	before=$(dump)
	for c in "check good.conf" "show" "versions" "what-if --from 2026-11-01 --to 2026-11-30 good.conf"; do
		run -64 --separate-stderr loy-program -n $c
		[ "${stderr_lines[0]}" = "loy-program: ${c%% *} writes nothing: it takes no -n" ] ||
		    { echo "$c: $stderr" >&2; return 1; }
		[ -z "$output" ]
	done
	[ "$(dump)" = "$before" ]
	# where there is something to hold back, it is taken
	run -0 --separate-stderr loy-program -n load good.conf
	[ "${stderr_lines[-1]}" = "loy-program: dry run: nothing committed" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "check and show write text: --tsv, --table and --safe-cells are refused there" {
	new_ledger
	good
	for opt in --tsv --table --safe-cells; do
		run -64 --separate-stderr loy-program "$opt" show
		[ "${stderr_lines[0]}" = "loy-program: show writes no table: --tsv, --table and --safe-cells go with load, apply, versions and what-if" ]
		[ -z "$output" ]
		run -64 --separate-stderr loy-program "$opt" check good.conf
		[ "${stderr_lines[0]}" = "loy-program: check writes no table: --tsv, --table and --safe-cells go with load, apply, versions and what-if" ]
	done
	# where there is a table, they are taken
	run -0 --separate-stderr loy-program --tsv versions
	[ "${lines[0]}" = "$(printf 'version\teffective_from\tloaded_at\trun_id\tsource\tsha256')" ]
	run -0 --separate-stderr loy-program --tsv -n apply
	[ "${lines[0]}" = "$(printf 'version\tstatus')" ]
	ledger_ok
}

@test "--retroactive with what-if says it goes with load, not that --from and --to are missing" {
	new_ledger
	good
	run -64 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-30 --retroactive good.conf
	[ "${stderr_lines[0]}" = "loy-program: --retroactive goes with load" ]
	[ -z "$output" ]
	run -64 --separate-stderr loy-program what-if --from 2026-11-01 good.conf
	[ "${stderr_lines[0]}" = "loy-program: what-if needs --from and --to" ]
	run -64 --separate-stderr loy-program --retroactive versions
	[ "${stderr_lines[0]}" = "loy-program: --retroactive goes with load" ]
	run -0 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-30 good.conf
	run -0 --separate-stderr loy-program load --retroactive --from 2026-01-01 good.conf
	ledger_ok
}

@test "versions lists every version as CSV" {
	new_ledger
	good
	loy-program load --from 2027-01-01 good.conf >/dev/null 2>&1
	sed 's/Test Club/Test Club 2/' good.conf >good2.conf
	loy-program load --from 2027-06-01 good2.conf >/dev/null 2>&1
	run -0 --separate-stderr loy-program versions
	[ "${#lines[@]}" = 4 ]
	[ "$(printf '%s\n' "$output" | cut -d, -f1,2,5)" = "version,effective_from,source
1,0000-01-01 00:00:00,loy-init
2,2027-01-01 00:00:00,good.conf
3,2027-06-01 00:00:00,good2.conf" ]
}

@test "the SQL of loy-ledger(5) finds the version show finds" {
	new_ledger
	good
	loy-program load --from 2027-01-01 good.conf >/dev/null 2>&1
	sed 's/Test Club/Test Club 2/' good.conf >good2.conf
	loy-program load --from 2027-01-01 good2.conf >/dev/null 2>&1
	for t in "2026-12-31 23:59:59" "2027-01-01 00:00:00" "2027-03-01 00:00:00"; do
		want=$(q "SELECT version FROM programmes WHERE effective_from <= '$t'
		          ORDER BY effective_from DESC, version DESC LIMIT 1")
		run -0 loy-program show --as-of "$t"
		[[ "${lines[0]}" == "# programme version $want, in force from "* ]]
	done
	# of two versions of one date the later loaded is in force: 3, not 2
	[ "$want" = 3 ]
}

@test "an event needs points; a rule's event needs its section" {
	printf '[event survey]\nlimit = 1 per month\n[event review]\npoints = 0\nlimit = 2 per fortnight\n' >p.conf
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:1: event 'survey' has no points
loy-program: p.conf:4: points '0' must be at least 1
loy-program: p.conf:5: limit '2 per fortnight': 'fortnight' is not a period (day, week, month, quarter, year or ever)
loy-program: p.conf: not a valid programme file
OUT
}

@test "a ledger without stored versions shows its settings as a programme" {
	new_ledger --set currency=GBP --set point_value=0.005
	sqlite3 "$LOY_DB" "DROP TRIGGER programmes_no_delete; DELETE FROM programmes"
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# no programme version stored: the ledger's settings, as a programme" ]
	printf '%s\n' "$output" | grep -qx 'currency = GBP'
	printf '%s\n' "$output" | grep -qx 'point_value = 0.005'
	# and the first load makes version 1
	printf '%s\n' "$output" | tail -n +2 >p.conf
	sed -i 's/^point_value = 0.005$/point_value = 0.01/' p.conf
	run -0 --separate-stderr loy-program load p.conf
	[ "${lines[1]}" = "1,2026-11-23 12:00:00,loaded" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.01 ]
}

@test "loy-segment's settings are checked like every other" {
	new_ledger
	loy-program show | tail -n +2 | sed -e 's/^lapse_k = 2$/lapse_k = none/' \
	    -e 's/^segment_months = 12$/segment_months = 0/' \
	    -e 's/^value_visits = median$/value_visits = often/' >p.conf
	run -65 --separate-stderr loy-program check p.conf
	[[ "$stderr" == *"segment_months '0' must be a whole number from 1 to 120"* ]]
	[[ "$stderr" == *"value_visits 'often' must be a whole number from 1 to 1000000, or median"* ]]
	[[ "$stderr" == *"lapse_k 'none' "* ]]
	run -64 --separate-stderr loy-init -d other.db --set lifecycle_lapsed_days=-1
	[[ "$stderr" == *"lifecycle_lapsed_days '-1' must be a whole number from 1 to 3660"* ]]
	[ ! -e other.db ]
}

@test "value_spend is money in the currency's decimals, or the file is refused" {
	new_ledger
	loy-program show | tail -n +2 | sed -e 's/^value_spend = median$/value_spend = 100.125/' >p.conf
	line=$(grep -n '^value_spend' p.conf | cut -d: -f1)
	before=$(dump)
	run -65 --separate-stderr loy-program check p.conf
	[ "${stderr%%$'\n'*}" = "loy-program: p.conf:$line: value_spend '100.125' has more than 2 decimals" ]
	run -65 --separate-stderr loy-program load p.conf
	[ "${stderr%%$'\n'*}" = "loy-program: p.conf:$line: value_spend '100.125' has more than 2 decimals" ]
	[ "$(dump)" = "$before" ]
	# loy-segment would have set it aside for the median
	sed -i 's/^value_spend = 100.125$/value_spend = 100.12/' p.conf
	run -0 loy-program load p.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'value_spend'")" = 100.12 ]
	run -64 --separate-stderr loy-init -d other.db --set value_spend=1.123
	[ "$stderr" = "loy-init: --set value_spend='1.123': has more than 2 decimals" ]
	[ ! -e other.db ]
}

@test "a file loaded with a BOM is shown with the BOM first, so that check reads the copy" {
	new_ledger
	loy-program show | tail -n +2 | sed -e 's/^point_value = 0.01$/point_value = 0.02/' >plain.conf
	printf '\357\273\277' >bom.conf
	cat plain.conf >>bom.conf
	run -0 --separate-stderr loy-program load bom.conf
	[ "${lines[1]}" = "2,2026-11-23 12:00:00,loaded" ]
	loy-program show >copy.conf
	run -0 --separate-stderr loy-program check copy.conf
	[ "${lines[0]}" = "copy.conf: a valid programme" ]
	# the BOM, the comment line, then the file as it was loaded
	[ "$(head -c 3 copy.conf | od -An -tx1 | tr -d ' ')" = efbbbf ]
	[ "$(tail -n +2 copy.conf)" = "$(cat plain.conf)" ]
}

@test "two tiers whose names differ only in case are refused: tiers are read in any case" {
	new_ledger
	printf 'member_id,enrolled_at\nA,2025-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[tier Gold]\nthreshold = 0\n\n[tier GOLD]\nthreshold = 100\n' >case.conf
	before=$(dump)
	run -65 --separate-stderr loy-program load case.conf
	same "$stderr" <<ERR
loy-program: case.conf:4: tier 'GOLD' differs from tier 'Gold' (line 1) only in case: tier names are read in any case
loy-program: case.conf: not a valid programme file; nothing stored
ERR
	[ "$(dump)" = "$before" ]
	printf '[programme]\ntiers = Gold,Platinum,gold\n' >named.conf
	run -65 --separate-stderr loy-program check named.conf
	[ "${stderr%%$'\n'*}" = "loy-program: named.conf:2: tiers 'Gold,Platinum,gold' names 'Gold' and 'gold', which differ only in case: tier names are read in any case" ]
}

@test "a version the ledger holds is read as it was loaded, though a check added since refuses it" {
	new_ledger
	printf 'member_id,enrolled_at\nA,2025-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# what loy-program load took before value_spend was money and tier
	# names were read in any case, stored as it was then
	loy-program show | tail -n +2 | sed -e 's/^value_spend = median$/value_spend = 100.125/' \
	    -e 's/^\[tier Diamond\]$/[tier PEARL]/' >old.conf
	run -65 loy-program check old.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'))"
	run -0 --separate-stderr loy-program show
	[[ "$output" == *"value_spend = 100.125"* ]]
	[[ "$output" == *"[tier PEARL]"* ]]
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,A,2026-11-20 10:00:00,12.00,12,credited," ]
	run -0 --separate-stderr loy-segment tiers --apply
	ledger_ok
}

@test "a date before the year 1000 is out of range, not 'not a date': in options and in rows" {
	new_ledger
	loy-program show | tail -n +2 >p.conf
	run -64 --separate-stderr loy-program -n --from 0999-12-31 load p.conf
	[ "${stderr_lines[0]}" = "loy-program: --from '0999-12-31' is out of range: loy keeps the years 1000 to 9999" ]
	run -64 --separate-stderr loy-program -n --from soon load p.conf
	[ "${stderr_lines[0]}" = "loy-program: --from 'soon' is not an ISO 8601 date or datetime" ]
	printf 'member_id,birthday\n1001,0999-01-01\n1002,1999-02-30\n' >m.csv
	run -65 --separate-stderr loy-enroll m.csv
	[ "${stderr_lines[0]}" = "loy-enroll: m.csv:2: birthday '0999-01-01' is out of range: loy keeps the years 1000 to 9999" ]
	[ "${stderr_lines[1]}" = "loy-enroll: m.csv:3: birthday '1999-02-30' is not a valid date" ]
	ledger_ok
}

@test "a stored version whose tiers name an empty tier, as loading once allowed, still reads" {
	new_ledger
	printf 'member_id,enrolled_at\nA,2025-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[programme]\ntiers = Gold,,Silver\n' >old.conf
	run -65 loy-program check old.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'))"
	run -0 --separate-stderr loy-program show
	[ "${lines[2]}" = "tiers = Gold,,Silver" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,A,2026-11-20 10:00:00,12.00,12,credited," ]
	ledger_ok
}

@test "a stored version that does not parse is bad data (65) to every program that reads the versions" {
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[bogus]\nx = 1\n' >bad.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'bad.conf', '$(sha256sum <bad.conf | cut -d' ' -f1)', readfile('bad.conf'))"
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	before=$(dump)
	for c in "loy-program show" "loy-accrue pos.csv" "loy-segment tiers"; do
		run -65 --separate-stderr $c
		[ "${stderr_lines[${#stderr_lines[@]} - 1]}" = "${c%% *}: ledger '$LOY_DB': a stored programme version does not parse" ]
	done
	[ "$(dump)" = "$before" ]
}

@test "a copy show printed loads as the version it shows: its comment line is not stored" {
	new_ledger
	loy-program show >copy.conf
	before=$(q "SELECT count(*) FROM programmes")
	run -0 --separate-stderr loy-program load copy.conf
	[ "${lines[1]}" = "1,0000-01-01 00:00:00,unchanged" ]
	[ "$stderr" = "loy-program: copy.conf: the same as version 1, in force at 2026-11-23 12:00:00; nothing stored" ]
	[ "$(q "SELECT count(*) FROM programmes")" = "$before" ]
	# edited and loaded: one comment line when shown, the version's own
	sed -e 's/^point_value = 0.01$/point_value = 0.02/' copy.conf >edited.conf
	run -0 --separate-stderr loy-program load edited.conf
	[ "${lines[1]}" = "2,2026-11-23 12:00:00,loaded" ]
	loy-program show >again.conf
	[ "$(head -n 1 again.conf)" = "# programme version 2, in force from 2026-11-23 12:00:00" ]
	[ "$(tail -n +2 again.conf)" = "$(tail -n +2 edited.conf)" ]
	# the version's checksum is of its text, the run's of the file
	[ "$(q "SELECT sha256 FROM programmes WHERE version = 2")" = "$(tail -n +2 edited.conf | sha256sum | cut -d' ' -f1)" ]
	[ "$(q "SELECT sha256 FROM run_inputs JOIN runs USING (run_id) WHERE program = 'loy-program' ORDER BY run_id DESC LIMIT 1")" = "$(sha256sum <edited.conf | cut -d' ' -f1)" ]
	run -0 --separate-stderr loy-program load again.conf
	[ "${lines[1]}" = "2,2026-11-23 12:00:00,unchanged" ]
	ledger_ok
}

@test "expiry_months in [programme] is at most 1200 however many zeros lead it; a version stored with more still reads" {
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-program show | tail -n +2 | sed 's/^transfers = no$/&\nexpiry_months = 0999999/; /^months = 24$/d' >long.conf
	before=$(dump)
	run -65 --separate-stderr loy-program load long.conf
	[ "${stderr_lines[0]}" = "loy-program: long.conf:17: expiry_months '0999999' is more than 100 years" ]
	[ "$(dump)" = "$before" ]
	printf '[programme]\nexpiry_months = 0001201\n' >p.conf
	bad p.conf
	[ "${stderr_lines[0]}" = "loy-program: p.conf:2: expiry_months '0001201' is more than 100 years" ]
	printf '[programme]\nexpiry_months = 0001200\n' >ok.conf
	run -0 loy-program check ok.conf
	run -64 --separate-stderr loy-init -d other.db --set expiry_months=0001201
	[ "$stderr" = "loy-init: expiry_months '0001201' is more than 100 years" ]
	# stored before the check: read as it was, its receipts refused for their dates
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 'long.conf', '$(sha256sum <long.conf | cut -d' ' -f1)', readfile('long.conf'))"
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# programme version 2, in force from 2026-11-01 00:00:00" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: its points would expire past the year 9999" ]
}

@test "expiry_policy and expiry_months in [programme] read the same in any order: year-end with months 0 expires, rolling with 0 is refused at its line" {
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	for order in 'expiry_policy = year-end\nexpiry_months = 0' 'expiry_months = 0\nexpiry_policy = year-end'; do
		printf "[programme]\n$order\n" >p.conf
		run -0 --separate-stderr loy-program check p.conf
		[ "${lines[7]}" = "expiry: end of the 1st calendar year after earning" ]
	done
	printf '[programme]\nexpiry_policy = year-end\nexpiry_months = 0\n[expiry]\npolicy = year-end\n' >p.conf
	run -0 loy-program check p.conf
	for order in 'expiry_policy = rolling\nexpiry_months = 0' 'expiry_months = 0\nexpiry_policy = rolling'; do
		printf "[programme]\n$order\n" >p.conf
		bad p.conf
		[ "${stderr_lines[0]}" = "loy-program: p.conf:$(grep -n months p.conf | cut -d: -f1): expiry policy rolling needs months of at least 1" ]
	done
	loy-program show | tail -n +2 | sed 's/^transfers = no$/&\nexpiry_policy = year-end\nexpiry_months = 0/; /^months = 24$/d; /^policy = months$/d' >ye.conf
	run -0 loy-program load --from 2026-11-01 ye.conf
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -0 loy-accrue pos.csv
	[ "$(q "SELECT expires_at FROM lots")" = "2027-12-31 23:59:59" ]
	ledger_ok
}

@test "a version stored with expiry_policy = rolling before expiry_months = 0, once read as never, still reads so" {
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[programme]\nexpiry_policy = rolling\nexpiry_months = 0\n' >old.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'))"
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# programme version 2, in force from 2026-11-01 00:00:00" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -0 loy-accrue pos.csv
	[ "$(q "SELECT quote(expires_at) FROM lots")" = "NULL" ]
}

@test "apply on a new ledger has nothing to apply, however loy-init spelt its settings: unchanged, no run recorded" {
	for set in "" "--set earn_amount=2.5" "--set expiry_policy=never" "--set expiry_months=0" "--set earn_points=007"; do
		rm -f "$LOY_DB"
		new_ledger $set
		before=$(dump)
		run -0 --separate-stderr loy-program apply
		[ "$output" = "version,status
1,unchanged" ]
		[ "$(dump)" = "$before" ]
	done
	# a change that is one is applied
	q "UPDATE settings SET value = '0.02' WHERE key = 'point_value'"
	run -0 --separate-stderr loy-program apply
	[ "${lines[1]}" = "1,applied" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.01 ]
	# a version without tiers, its settings spelt otherwise: not a word
	printf '[programme]\nprogramme = No tiers\n' >nt.conf
	run -0 loy-program load nt.conf
	q "UPDATE settings SET value = '1' WHERE key = 'earn_amount'"
	run -0 --separate-stderr loy-program apply
	[ "${lines[1]}" = "2,unchanged" ]
	[ "$stderr" = "" ]
	ledger_ok
}

@test "a version loaded before one loaded ahead says that one takes over from it on its date, loaded for now or for later" {
	new_ledger
	printf '[programme]\npoint_value = 0.02\n' >later.conf
	printf '[programme]\npoint_value = 0.03\n' >fix.conf
	run -0 --separate-stderr loy-program load --from "2026-12-01 06:00:00" later.conf
	# the same day, six hours before it: in force for six hours
	run -0 --separate-stderr loy-program load --from 2026-12-01 fix.conf
	[ "$stderr" = "loy-program: fix.conf: version 3 takes effect at 2026-12-01 00:00:00; until then version 1 stays in force (loy-program apply, run then, writes its settings)
loy-program: fix.conf: from 2026-12-01 06:00:00 version 2, loaded ahead, takes over from version 3" ]
	# in force now, until the one loaded ahead
	run -0 --separate-stderr loy-program load fix.conf
	[ "${lines[1]}" = "4,2026-11-23 12:00:00,loaded" ]
	[ "$stderr" = "loy-program: fix.conf: from 2026-12-01 00:00:00 version 3, loaded ahead, takes over from version 4" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.03 ]
	# none after it: nothing to say
	run -0 --separate-stderr loy-program load --from 2027-01-01 fix.conf
	[ "$stderr" = "loy-program: fix.conf: version 5 takes effect at 2027-01-01 00:00:00; until then version 4 stays in force, and version 2 from 2026-12-01 06:00:00 (loy-program apply, run then, writes its settings)" ]
	ledger_ok
}

@test "a currency, decimals or time zone that differs from the ledger's is named at its line also after a BOM or in [ programme ]" {
	new_ledger
	before=$(dump)
	printf '\xef\xbb\xbf[programme]\ncurrency = JPY\ndecimals = 0\n' >bom.conf
	run -65 --separate-stderr loy-program load bom.conf
	same "$stderr" <<'OUT'
loy-program: bom.conf:2: currency 'JPY' differs from the ledger's 'EUR': a ledger keeps one currency, decimals and time zone
loy-program: bom.conf:3: decimals '0' differs from the ledger's '2': a ledger keeps one currency, decimals and time zone
loy-program: bom.conf: nothing stored
OUT
	printf '[earn]\npoints = 2\n\n[ programme ]  \r\ntimezone = Europe/Berlin\r\n' >sp.conf
	run -65 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-02 sp.conf
	[ "${stderr_lines[0]}" = "loy-program: sp.conf:5: timezone 'Europe/Berlin' differs from the ledger's 'UTC': a ledger keeps one currency, decimals and time zone" ]
	[ "$(dump)" = "$before" ]
}

@test "a version for a later time is refused over a receipt already credited after it, dated ahead of now by a till whose clock runs fast" {
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# 18:00 at 12:00: within future_tolerance_hours
	printf 'txn_id,member_id,occurred_at,amount\nF1,A,2026-11-23 18:00:00,10.00\n' >pos.csv
	run -0 loy-accrue pos.csv
	good
	before=$(dump)
	run -65 --separate-stderr loy-program load --from "2026-11-23 15:00:00" good.conf
	same "$stderr" <<'OUT'
loy-program: good.conf: a version effective from 2026-11-23 15:00:00 comes after 1 receipt already credited from then on (the latest at 2026-11-23 18:00:00); it keeps its points: give --retroactive to load it anyway (nothing is re-credited)
loy-program: good.conf: nothing stored
OUT
	run -65 --separate-stderr loy-program load good.conf
	[ "$(dump)" = "$before" ]
	# after it, or with --retroactive, it is loaded
	run -0 --separate-stderr loy-program load --from "2026-11-23 18:00:01" good.conf
	[ "${lines[1]}" = "2,2026-11-23 18:00:01,loaded" ]
	run -0 --separate-stderr loy-program load --retroactive --from "2026-11-23 15:00:00" good.conf
	[ "${lines[1]}" = "3,2026-11-23 15:00:00,loaded" ]
	[ "${stderr_lines[0]}" = "loy-program: good.conf: --retroactive: the 1 receipt credited from 2026-11-23 15:00:00 until 2026-11-23 18:00:01 keeps the points it earned; nothing is re-credited" ]
	ledger_ok
}

@test "apply that waited for another writer weighs the settings as that writer left them" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	q "UPDATE settings SET value = '0.02' WHERE key = 'point_value'"
	# another apply, say, writes version 1's value back while this one waits
	commit_sql_while "UPDATE settings SET value = '0.01' WHERE key = 'point_value';"
	while_locked commit_version loy-program --busy-timeout 10 apply
	[ "$status" = 0 ]
	[ "$(cat out.csv)" = "version,status
1,unchanged" ]
	[ "$(q "SELECT count(*) FROM runs WHERE program = 'loy-program'")" = 0 ]
	ledger_ok
}

# The programme's money changed to whole units while a program runs.
to_whole_units() {
	q "UPDATE settings SET value = '0' WHERE key = 'decimals'"
}

@test "what-if weighs the candidate against the settings of the moment it reads the ledger, also when they change after it opened it" {
	need_faults
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,100.00\n' >p.csv
	loy-accrue p.csv >/dev/null 2>&1
	good
	sed -i 's/^programme = Test Club$/&\ndecimals = 0/; s/^per = 1.00$/per = 1/; s/^threshold = 100.00$/threshold = 100/' good.conf
	while_opened to_whole_units loy-program what-if good.conf --from 2026-11-01 --to 2026-11-22
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	# 100.00 is 10000 whole units now: 2 points each
	[ "$(cat err.txt)" = "loy-program: good.conf from 2026-11-01 to 2026-11-22: 1 receipt, 100 points given, 20000 under good.conf" ]
	run -0 --separate-stderr loy-program what-if good.conf --from 2026-11-01 --to 2026-11-22
	[ "$(cat out.csv)" = "$output" ]
	ledger_ok
}

@test "show takes now in the time zone of the settings it reads the versions with, also when it changes after it opened the ledger" {
	need_faults
	new_ledger --set timezone=Pacific/Pago_Pago
	# today in Kiritimati (UTC+14) is tomorrow or later in Pago Pago (UTC-11)
	day=$(TZ=Pacific/Kiritimati date +%F)
	loy-program show | tail -n +2 | sed 's/^programme = .*/programme = Far East Club/' >v2.conf
	LOY_NOW= loy-program load --from "$day" v2.conf >/dev/null 2>&1
	run -0 --separate-stderr env LOY_NOW= loy-program show
	[ "${lines[0]}" = "# programme version 1, in force from the start" ]
	LOY_NOW= while_opened far_east loy-program show
	[ "$(TZ=Pacific/Kiritimati date +%F)" = "$day" ] ||
		skip "the day changed in Kiritimati while the test ran"
	[ "$status" -eq 0 ]
	[ ! -s err.txt ]
	[ "$(head -1 out.csv)" = "# programme version 2, in force from $day 00:00:00" ]
	grep -qx 'programme = Far East Club' out.csv
	ledger_ok
}

# The ledger's days in Kiritimati (UTC+14).
far_east() {
	q "UPDATE settings SET value = 'Pacific/Kiritimati' WHERE key = 'timezone'"
}

@test "load and apply that waited for another writer past midnight take the version's date, and the version in force, at the time they wrote" {
	need_faults
	new_ledger
	printf '[programme]\nearn_points = 2\n' >two.conf
	printf '[programme]\nearn_points = 3\n' >three.conf
	LOY_NOW="2026-11-23 23:59:50" waited_till "2026-11-24 00:00:10" loy-program --busy-timeout 10 load two.conf
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT effective_from FROM programmes WHERE source = 'two.conf'")" = "2026-11-24 00:00:10" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_points'")" = 2 ]
	# loaded ahead for midnight; apply begun before it writes after it
	loy-program load --from 2026-11-25 three.conf >/dev/null 2>&1
	LOY_NOW="2026-11-24 23:59:50" waited_till "2026-11-25 00:00:10" loy-program --busy-timeout 10 apply
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(sed -n 2p out.csv)" = "3,applied" ]
	[ "$(q "SELECT value FROM settings WHERE key = 'earn_points'")" = 3 ]
	ledger_ok
}

@test "load --from is read in the time zone the ledger holds once the run has it, and a bad --from is refused before any wait" {
	need_faults
	new_ledger --set timezone=UTC
	printf '[programme]\ntimezone = Europe/Berlin\nearn_points = 2\n' >two.conf
	commit_sql_while "UPDATE settings SET value = 'Europe/Berlin' WHERE key = 'timezone';"
	# refused at once, while another writer holds the ledger
	before=$(date +%s)
	run -64 --separate-stderr loy-program --busy-timeout 10 load --from 2026-13-01 two.conf
	[ "$stderr" = "loy-program: --from '2026-13-01' is not a valid date" ]
	[ "$(($(date +%s) - before))" -lt 5 ]
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	while_locked commit_version loy-program --busy-timeout 10 load --from 2026-11-30T12:00:00Z two.conf
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT effective_from FROM programmes WHERE source = 'two.conf'")" = "2026-11-30 13:00:00" ]
	ledger_ok
}

@test "what-if spends a budget in the order of the receipts' times, across members, where loy-accrue spent it in the order it took them" {
	new_ledger
	printf 'member_id\n1\n2\n' >members.csv
	run -0 --separate-stderr loy-enroll members.csv
	printf '[earn]\ncap_member_day = 15\n[rule promo]\nmultiply = 2\nbudget = 10\n' >p.conf
	run -0 --separate-stderr loy-program load --from 2026-11-01 p.conf
	# the file of the 10th is read before the one of the 5th
	printf 'txn_id,occurred_at,member_id,amount\nT2,2026-11-10 12:00:00,2,10.00\n' >f10.csv
	printf 'txn_id,occurred_at,member_id,amount\nT1,2026-11-05 12:00:00,1,2.00\n' >f05.csv
	run -0 --separate-stderr loy-accrue f10.csv
	[ "${lines[1]}" = "T2,2,2026-11-10 12:00:00,10.00,15,credited," ]
	run -0 --separate-stderr loy-accrue f05.csv
	[ "${lines[1]}" = "T1,1,2026-11-05 12:00:00,2.00,2,credited," ]
	run -0 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-23 p.conf
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],12,12,0,0.12,0.12,0.00
promo,10,10,0,0.10,0.10,0.00
[earn] cap_member_day,-5,-3,2,-0.05,-0.03,0.02
total,17,19,2,0.17,0.19,0.02
OUT
	ledger_ok
}

@test "a rule whose window holds none of its days or hours is refused at its line; a version stored before still reads, the rule never applying" {
	new_ledger
	cat >p.conf <<'CONF'
[rule weekend-week]
multiply = 2
days = sat,sun
from = 2026-12-07
to = 2026-12-11

[rule evening-morning]
bonus = 50
hours = 18-22
from = 2026-12-07 08:00
to = 2026-12-07 17:59:59

[rule sunday-night]
bonus = 50
days = sun
hours = 18-22
from = 2026-12-05 19:00
to = 2026-12-06 09:00
CONF
	bad p.conf
	same "$stderr" <<'OUT'
loy-program: p.conf:5: rule 'weekend-week': its window, from 2026-12-07 00:00:00 to 2026-12-11 23:59:59, holds none of its days: it would never apply
loy-program: p.conf:11: rule 'evening-morning': its window, from 2026-12-07 08:00:00 to 2026-12-07 17:59:59, holds none of its hours: it would never apply
loy-program: p.conf:18: rule 'sunday-night': its window, from 2026-12-05 19:00:00 to 2026-12-06 09:00:00, holds none of its hours on its days: it would never apply
loy-program: p.conf: not a valid programme file
OUT
	# a window that holds one of its days at one of its hours is fine
	printf '[rule w]\nmultiply = 2\ndays = sat,sun\nfrom = 2026-12-07\nto = 2026-12-12\nhours = 23\n' >ok.conf
	run -0 --separate-stderr loy-program check ok.conf
	# stored before the check: read as it was, the rule never applying
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 'p.conf', '$(sha256sum <p.conf | cut -d' ' -f1)', readfile('p.conf'))"
	run -0 --separate-stderr loy-program show
	[ "${lines[0]}" = "# programme version 2, in force from 2026-11-01 00:00:00" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,12.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "T1,A,2026-11-20 10:00:00,12.00,12,credited," ]
	ledger_ok
}

@test "check reads a rule's dates with a UTC offset in the programme's time zone, not the environment's, as load does in its ledger" {
	# 16:00 to 20:00 UTC on Saturday 5 December is 01:00 to 05:00 on
	# Sunday the 6th in Tokyo
	cat >p.conf <<'CONF'
[programme]
timezone = Asia/Tokyo

[rule sunday-night]
bonus = 50
days = sun
from = 2026-12-05T16:00:00Z
to = 2026-12-05T20:00:00Z
CONF
	TZ=UTC run -0 --separate-stderr loy-program check p.conf
	[ "${lines[0]}" = "p.conf: a valid programme" ]
	TZ=America/New_York run -0 --separate-stderr loy-program check p.conf
	sed 's/days = sun/days = sat/' p.conf >sat.conf
	TZ=UTC run -65 --separate-stderr loy-program check sat.conf
	[ "${stderr_lines[0]}" = "loy-program: sat.conf:8: rule 'sunday-night': its window, from 2026-12-06 01:00:00 to 2026-12-06 05:00:00, holds none of its days: it would never apply" ]
	# load, in a ledger of that zone, takes what check takes
	TZ=UTC new_ledger --set timezone=Asia/Tokyo
	TZ=UTC run -0 --separate-stderr loy-program load p.conf
	TZ=UTC run -65 --separate-stderr loy-program load sat.conf
	ledger_ok
}
