#!/usr/bin/env bats
# The earning rules: every rule kind on a small receipt set whose points
# are worked out by hand here; explanations and what-if costings.

load helper

# A ledger "now" in January 2027, so that December 2026 is the past; members
# 1001 (birthday in December), 1002 and 1004 (referred by 1001), 1003.
base() {
	export LOY_NOW="2027-01-15 12:00:00"
	new_ledger
}

members() {
	printf 'member_id,name,birthday,referrer\n1001,Ann,1980-12-05,\n1002,Bob,1975-03-10,1001\n1003,Cy,,\n1004,Di,,1001\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
}

# The programme on standard input, in force from 2026-01-01.
programme() {
	cat >p.conf
	run -0 --separate-stderr loy-program load p.conf --from 2026-01-01
}

# POS lines on standard input (after the header) into pos.csv.
pos() {
	{
		echo 'txn_id,member_id,occurred_at,sku,category,description,qty,amount'
		cat
	} >"${1:-pos.csv}"
}

pts() {
	q "SELECT points FROM receipts WHERE txn_id = '$1'"
}

bonus() {
	q "SELECT coalesce(sum(points), 0) FROM journal WHERE member_id = '$1' AND kind = 'bonus'"
}

# ---------------------------------------------------------------- base rate

@test "rounding down per line: 1.50 + 1.50 + 2.60 earn 1 + 1 + 2" {
	base
	members
	programme <<'EOF'
[earn]
points = 1
per = 1.00
rounding = down-line
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,1.50
T1,1001,2026-12-10 10:00:00,B,x,,1,1.50
T1,1001,2026-12-10 10:00:00,C,x,,1,2.60
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# floor(1.5) + floor(1.5) + floor(2.6) = 1 + 1 + 2 = 4
	[ "$(pts T1)" = 4 ]
	[ "$(balances)" = "1001:4" ]
	ledger_ok
}

@test "rounding down per receipt: 1.50 + 1.50 + 2.60 earn 5" {
	base
	members
	programme <<'EOF'
[earn]
points = 1
per = 1.00
rounding = down-receipt
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,1.50
T1,1001,2026-12-10 10:00:00,B,x,,1,1.50
T1,1001,2026-12-10 10:00:00,C,x,,1,2.60
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# floor(1.5 + 1.5 + 2.6) = floor(5.6) = 5; the lines' shares add up to it
	[ "$(pts T1)" = 5 ]
	[ "$(q "SELECT sum(l.value->>6) FROM receipts, json_each(earn, '\$.lines') l")" = 5 ]
	ledger_ok
}

@test "rounding to the nearest: 1.50 + 1.50 + 2.60 earn 2 + 2 + 3; 3 points per 2.00" {
	base
	members
	programme <<'EOF'
[earn]
points = 3
per = 2.00
rounding = nearest
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,1.00
T1,1001,2026-12-10 10:00:00,B,x,,1,1.00
T1,1001,2026-12-10 10:00:00,C,x,,1,1.70
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# each line: amount x 3 / 2.00, half up: 1.00 -> 1.5 -> 2; 1.70 -> 2.55 -> 3
	# 2 + 2 + 3 = 7
	[ "$(pts T1)" = 7 ]
	ledger_ok
}

# ---------------------------------------------------------------- products

@test "multipliers by sku, category and description pattern" {
	base
	members
	programme <<'EOF'
[earn]
rounding = down-line
[rule beans]
sku = ^BEA-
multiply = 2
[rule tea]
category = ^tea$
multiply = 3
[rule organic]
description = (?i)\borganic\b
multiply = 1.5
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,BEA-1,coffee,Beans,1,4.00
T1,1001,2026-12-10 10:00:00,TEA-1,tea,Green tea,1,2.00
T1,1001,2026-12-10 10:00:00,APP-1,fruit,ORGANIC apples,1,3.00
T1,1001,2026-12-10 10:00:00,XBEA-1,coffee,Inorganic beans,1,1.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# BEA-1: 4 x 2 = 8; TEA-1: 2 x 3 = 6; apples: 3 x 1.5 = 4.5 -> 4;
	# XBEA-1 matches neither ^BEA- nor \borganic\b: 1.  8 + 6 + 4 + 1 = 19
	[ "$(pts T1)" = 19 ]
	[ "$(q "SELECT l.value->>6 FROM receipts, json_each(earn, '\$.lines') l ORDER BY l.key" | tr '\n' ' ')" = "8 6 4 1 " ]
	ledger_ok
}

@test "an excluded line earns nothing, not even from a receipt multiplier" {
	base
	members
	programme <<'EOF'
[rule no-tobacco]
category = ^tobacco$
exclude = yes
[rule double]
multiply = 2
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,F,food,,1,10.00
T1,1001,2026-12-10 10:00:00,CIG,tobacco,,1,8.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# food: 10 x 2 = 20; tobacco: 0 (its 8.00 would have made 16 more)
	[ "$(pts T1)" = 20 ]
	[ "$(q "SELECT l.value->>7 FROM receipts, json_each(earn, '\$.lines') l WHERE l.value->>1 = 'CIG'")" = '{"no-tobacco":0}' ]
	ledger_ok
}

@test "a rule whose pattern gives up on a line (PCRE2's match limit) refuses the receipt, not the rule" {
	base
	members
	# nested repetition: on 40 digits and an x, PCRE2 gives up long before
	# it would find that no way matches
	programme <<'EOF'
[rule digits]
sku = ^(\d+\s?)+$
multiply = 2
EOF
	slow=$(printf '1%.0s' $(seq 40))x
	pos <<EOF
T1,1001,2026-12-10 10:00:00,12,x,,1,10.00
T2,1002,2026-12-10 10:00:00,$slow,x,,1,10.00
EOF
	before=$(dump)
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:3: rule 'digits' cannot be decided: its sku pattern gave up on the receipt's line 1 (PCRE2's match limit)" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv pos.csv
	[ "$(pts T1)" = 20 ]
	[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'T2'")" = 0 ]
	[ "$(sed -n 2p rej.csv)" = "T2,1002,2026-12-10 10:00:00,$slow,x,,1,10.00,3,rule 'digits' cannot be decided: its sku pattern gave up on the receipt's line 1 (PCRE2's match limit)" ]
	ledger_ok
}

# ---------------------------------------------------------------- promotions

@test "a date-window promotion holds from its first second to its last" {
	base
	members
	programme <<'EOF'
[rule december]
multiply = 2
from = 2026-12-01
to = 2026-12-31
EOF
	pos <<'EOF'
T1,1001,2026-11-30 23:59:59,A,x,,1,10.00
T2,1001,2026-12-01 00:00:00,A,x,,1,10.00
T3,1001,2026-12-31 23:59:59,A,x,,1,10.00
T4,1001,2027-01-01 00:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# outside: 10; inside: 10 x 2 = 20
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "10 20 20 10" ]
	ledger_ok
}

@test "days of the week and hours of the day, stores and channels" {
	base
	members
	programme <<'EOF'
[rule weekend-evenings]
multiply = 1.5
days = sat,sun
hours = 18-22
stores = S01
EOF
	{
		echo 'txn_id,member_id,occurred_at,store,amount'
		# 2026-12-05 is a Saturday, 2026-12-04 a Friday
		echo 'T1,1001,2026-12-05 18:30:00,S01,10.00'
		echo 'T2,1001,2026-12-05 22:00:00,S01,10.00'
		echo 'T3,1001,2026-12-04 19:00:00,S01,10.00'
		echo 'T4,1001,2026-12-06 21:59:59,S01,10.00'
		echo 'T5,1001,2026-12-06 20:00:00,S02,10.00'
	} >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# T1, T4: Saturday/Sunday before 22:00 in S01: 10 x 1.5 = 15; T2 (22:00),
	# T3 (Friday), T5 (store S02): 10
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4) $(pts T5)" = "15 10 10 15 10" ]
	ledger_ok
}

@test "a minimum receipt amount" {
	base
	members
	programme <<'EOF'
[rule big-basket]
bonus = 100
min_amount = 50.00
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,49.99
T2,1001,2026-12-10 11:00:00,A,x,,1,50.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 49.99: floor = 49, no bonus; 50.00: 50 + 100 = 150
	[ "$(pts T1) $(pts T2)" = "49 150" ]
	ledger_ok
}

@test "a bonus for every N units bought" {
	base
	members
	programme <<'EOF'
[rule oil-3-for-50]
category = ^olive-oil$
bonus = 50
per_units = 3
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,OIL,olive-oil,,7,21.00
T2,1001,2026-12-10 11:00:00,OIL,olive-oil,,2,6.00
T3,1001,2026-12-10 12:00:00,OIL,olive-oil,,3.5,10.50
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: 21 + floor(7 / 3) x 50 = 21 + 100 = 121; T2: 6 + 0 = 6;
	# T3: 3.5 units hold 3 whole ones: 10 + 50 = 60
	[ "$(pts T1) $(pts T2) $(pts T3)" = "121 6 60" ]
	ledger_ok
}

# ---------------------------------------------------------------- members

@test "a tier multiplier" {
	base
	members
	programme <<'EOF'
[tier Pearl]
threshold = 0
[tier Diamond]
threshold = 5000
[rule diamond-earns-more]
multiply = 1.5
tiers = Diamond
EOF
	q "UPDATE members SET tier = 'Diamond' WHERE member_id = '1001'"
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1003,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# Diamond: 10 x 1.5 = 15; 1003 is no Diamond: 10
	[ "$(pts T1) $(pts T2)" = "15 10" ]
	ledger_ok
}

@test "a tier multiplier reads the member's tier in any case: a version that renames it only in case keeps its members" {
	base
	members
	# Diamond became DIAMOND; tiers not yet recalculated under the new name
	programme <<'EOF'
[tier Pearl]
threshold = 0
[tier DIAMOND]
threshold = 5000
[rule diamond-earns-more]
multiply = 1.5
tiers = DIAMOND
EOF
	q "UPDATE members SET tier = 'Diamond' WHERE member_id = '1001'"
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1003,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(pts T1) $(pts T2)" = "15 10" ]
	ledger_ok
}

@test "a birthday-month bonus, once a year" {
	base
	members
	programme <<'EOF'
[rule birthday]
bonus = 200
birthday_month = yes
limit = 1 per year
EOF
	pos <<'EOF'
T1,1001,2026-11-30 10:00:00,A,x,,1,10.00
T2,1001,2026-12-03 10:00:00,A,x,,1,10.00
T3,1001,2026-12-10 10:00:00,A,x,,1,10.00
T4,1003,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1001 is born in December: T2 gets 10 + 200; T3 is the second time this
	# year: 10; November: 10; 1003 has no birthday: 10
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "10 210 10 10" ]
	ledger_ok
}

@test "a segment restriction" {
	base
	members
	programme <<'EOF'
[rule families]
multiply = 2
segments = families
EOF
	q "INSERT INTO segments VALUES ('families', '2026-12-01', 'test', 1, 1);
	   INSERT INTO segment_members VALUES ('families', '1003')"
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1003,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1003 is in families: 20; 1001 is not: 10
	[ "$(pts T1) $(pts T2)" = "10 20" ]
}

@test "a first-purchase bonus, even when the first receipt came in an earlier file" {
	base
	members
	programme <<'EOF'
[rule first-shop]
trigger = first-purchase
bonus = 250
EOF
	pos day1.csv <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	pos day2.csv <<'EOF'
T2,1001,2026-12-11 10:00:00,A,x,,1,10.00
T3,1003,2026-12-11 10:00:00,A,x,,1,10.00
T4,1003,2026-12-11 11:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# first receipts T1 and T3: 10 + 250 = 260; T2 and T4: 10
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "260 10 260 10" ]
	ledger_ok
}

@test "a receipt that earned nothing is no first purchase in one run or in two, nor after the members held are forgotten" {
	base
	members
	programme <<'EOF'
[rule first-a]
trigger = first-purchase
sku = ^A
bonus = 250
EOF
	# T1 earns nothing (0.50 of B); T2, of A, is the first purchase: 1 + 250
	pos day1.csv <<'EOF'
T1,1001,2026-12-10 09:00:00,B,x,,1,0.50
EOF
	pos day2.csv <<'EOF'
T2,1001,2026-12-10 11:00:00,A,x,,1,1.00
EOF
	printf 'member_id\n2001\n2002\n2003\n2004\n2005\n2006\n2007\n2008\n' >more.csv
	loy-enroll more.csv >/dev/null 2>&1
	cp "$LOY_DB" one.db
	cp "$LOY_DB" small.db
	loy-accrue day1.csv >/dev/null 2>&1
	loy-accrue day2.csv >/dev/null 2>&1
	[ "$(pts T1) $(pts T2)" = "0 251" ]
	# the two files in one run
	run -0 --separate-stderr loy-accrue -d one.db day1.csv day2.csv
	[ "$(LOY_DB=one.db pts T1) $(LOY_DB=one.db pts T2)" = "0 251" ]
	# and in one file, with 1001 forgotten between its receipts
	{
		cat day1.csv
		for i in 1 2 3 4 5 6 7 8; do echo "F$i,200$i,2026-12-10 10:00:00,C,x,,1,1.00"; done
		tail -n +2 day2.csv
	} >long.csv
	LOY_MEMBER_MEMORY=1024 LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue -d small.db long.csv
	[ "$(LOY_DB=small.db pts T1) $(LOY_DB=small.db pts T2)" = "0 251" ]
	ledger_ok one.db
	ledger_ok small.db
}

@test "a sign-up bonus when loy-enroll or --auto-enroll creates a member" {
	base
	programme <<'EOF'
[rule welcome]
trigger = signup
bonus = 100
EOF
	members
	# four members, 100 each, as bonus entries with lots
	[ "$(balances)" = "$(printf '1001:100\n1002:100\n1003:100\n1004:100')" ]
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'bonus' AND source = 'rule' AND ref = 'welcome'")" = 4 ]
	pos <<'EOF'
T1,2001,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue --auto-enroll pos.csv
	# 2001 enrolled by its receipt: 100 + 10
	[ "$(q "SELECT points FROM balances WHERE member_id = '2001'")" = 110 ]
	# a second run of the member file changes nothing
	loy-enroll members.csv >/dev/null 2>&1
	[ "$(bonus 1001)" = 100 ]
	ledger_ok
}

@test "a referrer's bonus on the referee's first purchase, with a limit" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = referrer
referral_on = first-purchase
bonus = 500
limit = 1 per year
EOF
	pos <<'EOF'
T1,1002,2026-12-10 10:00:00,A,x,,1,10.00
T2,1002,2026-12-11 10:00:00,A,x,,1,10.00
T3,1004,2026-12-12 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1002's first purchase gives 1001 500; T2 is not a first purchase; 1004's
	# first purchase would, but 1001 had the one referral bonus of 2026
	[ "$(bonus 1001)" = 500 ]
	[ "$(balances)" = "$(printf '1001:500\n1002:20\n1004:10')" ]
	[[ "$output" == *"T1,1001,2026-12-10 10:00:00,0.00,500,bonus,rule refer-a-friend: referred member 1002"* ]]
	ledger_ok
}

@test "a referee's bonus on sign-up; both sides on every purchase, with a limit" {
	base
	programme <<'EOF'
[rule referred-welcome]
trigger = referral
referral_to = referee
referral_on = signup
bonus = 100

[rule shop-together]
trigger = referral
referral_to = both
referral_on = every-purchase
bonus = 10
limit = 2 per month
EOF
	members
	# 1002 and 1004 were referred: 100 each on sign-up
	[ "$(balances)" = "$(printf '1002:100\n1004:100')" ]
	pos <<'EOF'
T1,1002,2026-12-10 10:00:00,A,x,,1,1.00
T2,1002,2026-12-11 10:00:00,A,x,,1,1.00
T3,1002,2026-12-12 10:00:00,A,x,,1,1.00
T4,1002,2027-01-02 10:00:00,A,x,,1,1.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# each side 10 for T1, T2, T4 (the third in December is past the limit):
	# 1001: 3 x 10 = 30; 1002: 100 + 4 x 1 + 3 x 10 = 134
	[ "$(balances)" = "$(printf '1001:30\n1002:134\n1004:100')" ]
	ledger_ok
}

@test "a referrer merged since: its survivor has the purchase bonus, and no member is its own referrer" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = referrer
referral_on = every-purchase
bonus = 100
EOF
	# 1001, who referred 1002 and 1004, is merged into 1003
	run -0 --separate-stderr loy-enroll merge 1001 1003
	pos <<'EOF'
T1,1002,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1002 10, its referrer's survivor 1003 100
	[ "$(balances)" = "$(printf '1002:10\n1003:100')" ]
	[[ "$output" == *"T1,1003,2026-12-10 10:00:00,0.00,100,bonus,rule refer-a-friend: referred member 1002"* ]]
	# 1003 into 1004: 1004's referrer, 1001, now stands for 1004 itself
	run -0 --separate-stderr loy-enroll merge 1003 1004
	pos <<'EOF'
T2,1004,2026-12-11 10:00:00,A,x,,1,10.00
T3,1002,2026-12-12 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# T2: 10 and no bonus; T3: 1002 10, 1004 100; 1004: 100 moved + 10 + 100
	[ "$(balances)" = "$(printf '1002:20\n1003:0\n1004:210')" ]
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'bonus' AND member_id <> '1004' AND occurred_at > '2026-12-10 10:00:00'")" = 0 ]
	ledger_ok
}

@test "a sign-up referral bonus goes to a merged referrer's survivor, never to a closed one" {
	base
	programme <<'EOF'
[rule bring-a-friend]
trigger = referral
referral_to = both
referral_on = signup
bonus = 100
EOF
	printf 'member_id,name\n1001,Ann\n1003,Cy\n' >m1.csv
	loy-enroll m1.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-enroll merge 1001 1003
	printf 'member_id,name,referrer\n2001,Eve,1001\n' >m2.csv
	run -0 --separate-stderr loy-enroll m2.csv
	# 2001 100, and 100 to 1003, whom 1001 now stands for
	[ "$(balances)" = "$(printf '1003:100\n2001:100')" ]
	run -0 --separate-stderr loy-enroll close 1003
	printf 'member_id,name,referrer\n2002,Fay,1003\n' >m3.csv
	run -0 --separate-stderr loy-enroll m3.csv
	# the closed referrer gets nothing; the new member has its own 100
	[ "$(balances)" = "$(printf '1003:100\n2001:100\n2002:100')" ]
	ledger_ok
}

@test "a return of all of a purchase takes back the referral bonuses it gave, to each side, in the same run" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-21 10:00:00,A,x,,1,50.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(balances)" = "$(printf '1001:500\n1002:550')" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1002,2026-12-22 10:00:00,-50.00,T2\n' >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# its own 50 back, and each side's 500: rows of the return, at its time
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
R2,1002,2026-12-22 10:00:00,-50.00,-50,returned,
R2,1001,2026-12-22 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1002 taken back: receipt T2 returned in full
R2,1002,2026-12-22 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred by 1001 taken back: receipt T2 returned in full
OUT
	[ "$stderr" = "loy-accrue: day2.csv: 1 row, 0 credited, 0 pending, 1 returned, 0 anonymous, 0 duplicate, 0 rejected; 1 receipt, 1 member, -1050 points" ]
	[ "$(balances)" = "$(printf '1001:0\n1002:0')" ]
	# each an entry of kind bonus reversing the one that gave it
	same "$(q "SELECT j.member_id, j.points, j.occurred_at, g.points, g.member_id FROM journal j
	    JOIN journal g ON g.entry_id = j.reverses WHERE j.kind = 'bonus' ORDER BY j.entry_id")" <<'EOF'
1001|-500|2026-12-22 10:00:00|500|1001
1002|-500|2026-12-22 10:00:00|500|1002
EOF
	[ "$(q "SELECT sum(remaining) FROM lots")" = 0 ]
	# taken again, nothing more
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(balances)" = "$(printf '1001:0\n1002:0')" ]
	# what-if and the reports count what loy-accrue did: the bonuses given
	# and taken back net to nothing, the rule's cost is what it gave
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],50,50,0,0.50,0.50,0.00
refer-a-friend,0,0,0,0.00,0.00,0.00
[return],-50,-50,0,-0.50,-0.50,0.00
total,0,0,0,0.00,0.00,0.00
OUT
	run -0 --separate-stderr loy-report earn-burn --from 2026-12-01 --to 2026-12-31
	[ "${lines[1]}" = "2026-12,50,-50,0,0,0,0,0,0,0,0,0,0,6" ]
	run -0 --separate-stderr loy-report economics --per rule --from 2026-12-01 --to 2026-12-31
	[ "${lines[1]}" = "refer-a-friend,2,2,1000,10.00,95.24" ]
	ledger_ok
}

@test "a partial return, or an exchange, keeps the referral bonuses; a return of all of another purchase in the run takes its own" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
T4,1004,2026-12-10 10:00:00,A,x,,1,20.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(balances)" = "$(printf '1001:1000\n1002:550\n1004:520')" ]
	# 1002 returns all of T2 but a cent, then trades the cent's goods for
	# others; 1004 returns all of T4
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'R2,1002,2026-12-11 10:00:00,A,-1,-49.99,T2' \
	    'X2,1002,2026-12-12 10:00:00,A,-1,-0.01,T2' 'X2,1002,2026-12-12 10:00:00,B,1,5.00,T2' \
	    'R4,1004,2026-12-11 10:00:00,A,-1,-20.00,T4'; } >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',bonus,' <<<"$output")" = 2 ]
	[[ "$output" == *"R4,1001,2026-12-11 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1004 taken back: receipt T4 returned in full"* ]]
	[[ "$output" == *"R4,1004,2026-12-11 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred by 1001 taken back: receipt T4 returned in full"* ]]
	# 1002: 550, less 49 for R2 and the last point of T2 for X2's return
	# line, and 5 for X2's sale; its 500 and 1001's for it stay
	[ "$(balances)" = "$(printf '1001:500\n1002:505\n1004:0')" ]
	[ "$(q "SELECT returned_amount FROM receipts WHERE txn_id = 'T2'")" = 5000 ]
	ledger_ok
}

@test "a purchase traded in part by an exchange keeps its referral bonuses when the rest is returned after it, until the exchange's sales are returned too" {
	base
	members
	programme <<'EOF2'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF2
	pos day1.csv <<'EOF2'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	# as the test above, the exchange first: the cent's goods traded for
	# others, then the rest of T2 returned
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'X2,1002,2026-12-11 10:00:00,A,-1,-0.01,T2' 'X2,1002,2026-12-11 10:00:00,B,1,5.00,T2' \
	    'R2,1002,2026-12-12 10:00:00,A,-1,-49.99,T2'; } >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	! grep -q ',bonus,' <<<"$output" || false
	[ "$(balances)" = "$(printf '1001:500\n1002:505')" ]
	# the exchange's sales returned: nothing is left of T2, its bonuses go
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR5,1002,2026-12-13 10:00:00,-5.00,X2\n' >day3.csv
	run -0 --separate-stderr loy-accrue day3.csv
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
R5,1002,2026-12-13 10:00:00,-5.00,-5,returned,
R5,1001,2026-12-13 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1002 taken back: receipt T2 returned in full
R5,1002,2026-12-13 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred by 1001 taken back: receipt T2 returned in full
OUT
	[ "$(balances)" = "$(printf '1001:0\n1002:0')" ]
	run -0 --separate-stderr loy-accrue day3.csv
	[ "$(balances)" = "$(printf '1001:0\n1002:0')" ]
	ledger_ok
}

@test "two partial returns that together return all of a purchase: the second takes the referral bonuses back" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1002,2026-12-11 10:00:00,-20.00,T2\n' >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# 30.00 of it left: the bonuses stay
	! grep -q ',bonus,' <<<"$output" || false
	[ "$(balances)" = "$(printf '1001:500\n1002:530')" ]
	# the rest, and more than is left, in one file
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1002,2026-12-12 10:00:00,-25.00,T2\nR3,1002,2026-12-13 10:00:00,-10.00,T2\n' >day3.csv
	run -0 --separate-stderr loy-accrue day3.csv
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
R2,1002,2026-12-12 10:00:00,-25.00,-25,returned,
R3,1002,2026-12-13 10:00:00,-10.00,-5,returned,"returns 10.00, but only 5.00 of 'T2' was left to return"
R3,1001,2026-12-13 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1002 taken back: receipt T2 returned in full
R3,1002,2026-12-13 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred by 1001 taken back: receipt T2 returned in full
OUT
	[ "$(balances)" = "$(printf '1001:0\n1002:0')" ]
	ledger_ok
}

@test "a purchase returned in full is no first purchase: the next one gives the referral bonus again, its limit free" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
limit = 1 per year
EOF
	# 1002 buys and returns it all; 1004 buys twice and returns the first
	pos day1.csv <<'EOF'
T1,1002,2026-12-10 10:00:00,A,x,,1,50.00
T4,1004,2026-12-10 10:00:00,A,x,,1,20.00
T5,1004,2026-12-11 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001 had its one referral bonus of 2026 for 1002
	[ "$(balances)" = "$(printf '1001:500\n1002:550\n1004:530')" ]
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R1,1002,2026-12-12 10:00:00,-50.00,T1' 'R4,1004,2026-12-12 10:00:00,-20.00,T4'; } >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1004:10')" ]
	pos day3.csv <<'EOF'
T2,1002,2026-12-14 10:00:00,A,x,,1,10.00
T6,1004,2026-12-14 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue day3.csv
	# T2 is 1002's first purchase now, and 1001's use of 2026 came back;
	# T5 stands before T6, which is none
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
T2,1002,2026-12-14 10:00:00,10.00,10,credited,
T2,1001,2026-12-14 10:00:00,0.00,500,bonus,rule refer-a-friend: referred member 1002
T2,1002,2026-12-14 10:00:00,0.00,500,bonus,rule refer-a-friend: referred by 1001
T6,1004,2026-12-14 10:00:00,10.00,10,credited,
OUT
	[ "$(balances)" = "$(printf '1001:500\n1002:510\n1004:20')" ]
	same "$(q "SELECT member_id, key, points, txn_id FROM rule_awards ORDER BY award_id")" <<'EOF'
1001|referee 1002|500|T1
1002|referred by 1001|500|T1
1004|referred by 1001|500|T4
1001|referee 1002 taken back|-500|T1
1002|referred by 1001 taken back|-500|T1
1004|referred by 1001 taken back|-500|T4
1001|referee 1002 #2|500|T2
1002|referred by 1001 #2|500|T2
EOF
	ledger_ok
}

@test "a bonus on every purchase goes with the purchase returned in full, and counts against its limit no more" {
	base
	members
	programme <<'EOF'
[rule shop-together]
trigger = referral
referral_to = both
referral_on = every-purchase
bonus = 10
limit = 2 per month
EOF
	pos day1.csv <<'EOF'
T1,1002,2026-12-10 10:00:00,A,x,,1,5.00
T2,1002,2026-12-11 10:00:00,A,x,,1,5.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(balances)" = "$(printf '1001:20\n1002:30')" ]
	# T1 comes back whole, T2 in part
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R1,1002,2026-12-12 10:00:00,-5.00,T1' 'R2,1002,2026-12-12 10:00:00,-1.00,T2'; } >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',bonus,' <<<"$output")" = 2 ]
	[[ "$output" == *"R1,1001,2026-12-12 10:00:00,0.00,-10,bonus,rule shop-together: referred member 1002 taken back: receipt T1 returned in full"* ]]
	[ "$(balances)" = "$(printf '1001:10\n1002:14')" ]
	# two uses of December left one: T3 has the bonus again, T4 not
	pos day3.csv <<'EOF'
T3,1002,2026-12-13 10:00:00,A,x,,1,5.00
T4,1002,2026-12-14 10:00:00,A,x,,1,5.00
EOF
	run -0 --separate-stderr loy-accrue day3.csv
	[ "$(balances)" = "$(printf '1001:20\n1002:34')" ]
	ledger_ok
}

@test "a referral bonus taken back takes no more than the balance holds, unless allow_negative = yes" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
T4,1004,2026-12-10 10:00:00,A,x,,1,20.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001 spends 900 of its 1000, 1004 all of its 520
	printf 'member_id,points,reason,ref\n1001,-900,reward,A1\n1004,-520,reward,A2\n' >adj.csv
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R2,1002,2026-12-12 10:00:00,-50.00,T2'; } >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	[[ "$output" == *"R2,1001,2026-12-12 10:00:00,0.00,-100,bonus,rule refer-a-friend: referred member 1002 taken back: receipt T2 returned in full; 400 points not recovered: the balance may not go below zero"* ]]
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1004:0')" ]
	# the award is taken back, though not all its points
	[ "$(q "SELECT points, entry_id IS NOT NULL FROM rule_awards WHERE key = 'referee 1002 taken back'")" = "-100|1" ]
	# with allow_negative = yes, the balance goes below zero
	{ cat p.conf; printf '\n[programme]\nallow_negative = yes\n'; } >neg.conf
	run -0 --separate-stderr loy-program load neg.conf --from 2026-01-01 --retroactive
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R4,1004,2026-12-12 10:00:00,-20.00,T4'; } >day3.csv
	run -0 --separate-stderr loy-accrue day3.csv
	[[ "$output" == *"R4,1001,2026-12-12 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1004 taken back: receipt T4 returned in full"* ]]
	[ "$(balances)" = "$(printf '1001:-500\n1002:0\n1004:-520')" ]
	ledger_ok
}

@test "a referral bonus pending in the return window is taken back from its own lot before it can be spent" {
	base
	members
	programme <<'EOF'
[programme]
return_window_days = 14

[rule refer-a-friend]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
T4,1004,2026-12-10 10:00:00,A,x,,1,20.00
EOF
	LOY_NOW="2026-12-11 12:00:00" run -0 --separate-stderr loy-accrue day1.csv
	[ "$(q "SELECT count(*) FROM lots WHERE available_at = '2026-12-24 10:00:00'")" = 6 ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1002,2026-12-12 10:00:00,-50.00,T2\n' >day2.csv
	LOY_NOW="2026-12-13 12:00:00" run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',bonus,' <<<"$output")" = 2 ]
	# each from the lot that gave it; 1004's bonus and 1001's for it stay pending
	same "$(q "SELECT member_id, entry_id, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
1002|1|50|0
1001|2|500|0
1002|3|500|0
1004|4|20|20
1001|5|500|500
1004|6|500|500
EOF
	LOY_NOW="2026-12-13 12:00:00" run -0 --separate-stderr loy-report balances
	same "$(printf '%s\n' "${lines[@]}" | cut -d, -f1,4-6)" <<'EOF'
member_id,balance,spendable,pending
1001,500,0,500
1002,0,0,0
1003,0,0,0
1004,520,0,520
EOF
	ledger_ok
}

@test "a referral bonus of a referrer merged since is taken back from its survivor" {
	base
	members
	programme <<'EOF'
[rule refer-a-friend]
trigger = referral
referral_to = referrer
referral_on = first-purchase
bonus = 500
EOF
	pos day1.csv <<'EOF'
T2,1002,2026-12-10 10:00:00,A,x,,1,50.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001, which had the bonus, is merged into 1003
	run -0 --separate-stderr loy-enroll merge 1001 1003
	[ "$(balances)" = "$(printf '1001:0\n1002:50\n1003:500')" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1002,2026-12-12 10:00:00,-50.00,T2\n' >day2.csv
	run -0 --separate-stderr loy-accrue day2.csv
	[[ "$output" == *"R2,1003,2026-12-12 10:00:00,0.00,-500,bonus,rule refer-a-friend: referred member 1002 taken back: receipt T2 returned in full"* ]]
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1003:0')" ]
	[ "$(q "SELECT member_id, key, points FROM rule_awards WHERE points < 0")" = "1003|referee 1002 (1001) taken back|-500" ]
	# the next purchase gives the survivor the bonus again, once
	pos day3.csv <<'EOF'
T3,1002,2026-12-13 10:00:00,A,x,,1,10.00
T5,1002,2026-12-14 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue day3.csv
	[ "$(balances)" = "$(printf '1001:0\n1002:20\n1003:500')" ]
	[ "$(q "SELECT key FROM rule_awards WHERE txn_id = 'T3'")" = "referee 1002 #2" ]
	ledger_ok
}

# ---------------------------------------------------------------- events

@test "event rules: points per event, a limit per period, idempotent by event_id" {
	base
	members
	programme <<'EOF'
[event survey]
points = 50
limit = 1 per month

[event newsletter]
points = 100
limit = 1

[rule survey-december]
trigger = event
event = survey
multiply = 2
from = 2026-12-01
to = 2026-12-31
EOF
	cat >events.csv <<'EOF'
event_id,member_id,event,occurred_at
E1,1001,survey,2026-11-20 10:00:00
E2,1001,survey,2026-12-01 10:00:00
E3,1001,survey,2026-12-20 10:00:00
E4,1001,newsletter,2026-12-02 10:00:00
E5,1001,newsletter,2027-01-02 10:00:00
EOF
	run -0 --separate-stderr loy-accrue --events events.csv
	# E1: 50 (November); E2: 50 x 2 = 100 (December); E3: the month's one
	# survey is taken; E4: 100; E5: newsletter once ever.  50 + 100 + 100 = 250
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,survey,2026-11-20 10:00:00,50,credited,
E2,1001,survey,2026-12-01 10:00:00,100,credited,survey-december
E3,1001,survey,2026-12-20 10:00:00,0,limited,the limit of 1 per 2026-12 is reached
E4,1001,newsletter,2026-12-02 10:00:00,100,credited,
E5,1001,newsletter,2027-01-02 10:00:00,0,limited,the limit of 1 per member is reached
OUT
	[ "$(balances)" = "1001:250" ]
	before=$(dump)
	run -0 --separate-stderr loy-accrue --events events.csv
	[ "${lines[1]}" = "E1,1001,survey,2026-11-20 10:00:00,0,duplicate," ]
	[ "$(balances)" = "1001:250" ]
	ledger_ok
}

@test "an event whose multipliers are too fine to be worked out exactly is refused, not credited a few points" {
	base
	members
	programme <<'EOF'
[programme]
tiers = Pearl,Opal,Ruby,Diamond

[event survey]
points = 999999

[rule s1]
trigger = event
event = survey
multiply = 1.000000001

[rule s2]
trigger = event
event = survey
multiply = 1.000000003
tiers = Pearl

[rule s3]
trigger = event
event = survey
multiply = 1.000000007
tiers = Pearl,Opal

[rule s4]
trigger = event
event = survey
multiply = 1.000000009
tiers = Pearl,Opal,Ruby

[rule s5]
trigger = event
event = survey
multiply = 1.000000011
birthday_month = yes
EOF
	[ "$(q "SELECT tier FROM members WHERE member_id = '1001'")" = Pearl ]
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-20 10:00:00\n' >events.csv
	before=$(dump)
	# 999999 x the five factors is a fraction of 54 digits over 10^45
	run -65 --separate-stderr loy-accrue --events events.csv
	[ "${stderr_lines[0]}" = "loy-accrue: events.csv:2: event 'survey': its multipliers together have too many decimals to be worked out exactly" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an event_id taken before for another event or time is refused, not a duplicate" {
	base
	members
	programme <<'EOF'
[event survey]
points = 50

[event newsletter]
points = 100
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-11-20 10:00:00\n' >day1.csv
	run -0 --separate-stderr loy-accrue --events day1.csv
	# the next day's export numbers its events from E1 again
	printf 'event_id,member_id,event,occurred_at\nE1,1001,newsletter,2026-11-21 10:00:00\nE2,1001,survey,2026-11-21 10:00:00\nE3,1001,survey,2026-11-21 11:00:00\n' >day2.csv
	printf 'event_id,member_id,event,occurred_at\nE3,1001,survey,2026-11-21 11:00:00\n' >day2a.csv
	run -0 --separate-stderr loy-accrue --events day2a.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --events day2.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day2.csv:2: event_id 'E1' was taken before with other content (survey at 2026-11-20 10:00:00)" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --events --rejects rej.csv day2.csv
	same "$output" <<'EOF'
event_id,member_id,event,occurred_at,points,status,detail
E2,1001,survey,2026-11-21 10:00:00,50,credited,
E3,1001,survey,2026-11-21 11:00:00,0,duplicate,
EOF
	[ "$(sed -n 2p rej.csv)" = "E1,1001,newsletter,2026-11-21 10:00:00,2,event_id 'E1' was taken before with other content (survey at 2026-11-20 10:00:00)" ]
	# the same event at another time is another event too
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-11-20 10:00:01\n' >day3.csv
	run -65 --separate-stderr loy-accrue --events day3.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day3.csv:2: event_id 'E1' was taken before with other content (survey at 2026-11-20 10:00:00)" ]
	run -0 --separate-stderr loy-accrue --events day1.csv
	[ "${lines[1]}" = "E1,1001,survey,2026-11-20 10:00:00,0,duplicate," ]
	[ "$(q "SELECT points FROM balances WHERE member_id = '1001'")" = 150 ]
	ledger_ok
}

@test "event rules keep their conditions on the member, their limit, cap and budget" {
	base
	members
	programme <<'EOF'
[programme]
tiers = Pearl,Opal,Ruby,Diamond

[event survey]
points = 5

[rule diamond-surveys]
trigger = event
event = survey
multiply = 2
tiers = Diamond

[rule birthday-survey]
trigger = event
event = survey
bonus = 7
birthday_month = yes

[rule first-survey]
trigger = event
event = survey
bonus = 3
limit = 1 per year

[rule survey-promotion]
trigger = event
event = survey
bonus = 100
cap_receipt = 80
budget = 200
EOF
	cat >events.csv <<'EOF'
event_id,member_id,event,occurred_at
E1,1001,survey,2026-12-01 10:00:00
E2,1001,survey,2026-12-02 10:00:00
E3,1003,survey,2026-12-03 10:00:00
E4,1003,survey,2026-12-04 10:00:00
EOF
	run -0 --separate-stderr loy-accrue --events events.csv
	# no one is Diamond; 1001's birthday is in December, 1003's not known;
	# first-survey once a year each; survey-promotion 80 an event until its
	# 200 are spent: 80, 80, 40, 0.  E1: 5 + 7 + 3 + 80, E2: 5 + 7 + 80,
	# E3: 5 + 3 + 40, E4: 5 (where every rule gave every event its points);
	# the detail names the rules that gave points, not survey-promotion on E4
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,survey,2026-12-01 10:00:00,95,credited,"birthday-survey,first-survey,survey-promotion"
E2,1001,survey,2026-12-02 10:00:00,92,credited,"birthday-survey,survey-promotion"
E3,1003,survey,2026-12-03 10:00:00,48,credited,"first-survey,survey-promotion"
E4,1003,survey,2026-12-04 10:00:00,5,credited,
OUT
	[ "$(balances)" = "$(printf '1001:187\n1003:53')" ]
	ledger_ok
}

@test "an event's detail and explanation name only the rules that gave it points" {
	base
	members
	programme <<'EOF'
[event survey]
points = 5

[rule survey-promotion]
trigger = event
event = survey
bonus = 10
budget = 15

[rule survey-tenth]
trigger = event
event = survey
multiply = 1.1
limit = 1 per year
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-01 10:00:00\nE2,1001,survey,2026-12-02 10:00:00\nE3,1001,survey,2026-12-03 10:00:00\n' >events.csv
	# 5 times 1.1 rounds down to 5: survey-tenth adds nothing, and is no
	# use of its limit; the promotion gives 10, then the 5 left, then none
	run -0 --separate-stderr loy-accrue --events events.csv
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,survey,2026-12-01 10:00:00,15,credited,survey-promotion
E2,1001,survey,2026-12-02 10:00:00,10,credited,survey-promotion
E3,1001,survey,2026-12-03 10:00:00,5,credited,
OUT
	run -0 --separate-stderr loy-accrue --explain member=1001
	same "$output" <<'OUT'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
E1,2026-12-01 10:00:00,1001,1,,,,[event survey] survey-promotion,2,15
E2,2026-12-02 10:00:00,1001,2,,,,[event survey] survey-promotion,2,10
E3,2026-12-03 10:00:00,1001,3,,,,[event survey],2,5
OUT
	ledger_ok
}

@test "an event rule's multiplier below 1 takes its share off the event's points, and uses its limit" {
	base
	members
	programme <<'EOF'
[event survey]
points = 10

[rule survey-half]
trigger = event
event = survey
multiply = 0.5
limit = 1
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-01 10:00:00\nE2,1001,survey,2026-12-02 10:00:00\n' >ev.csv
	# 10 times 0.5 is 5, once: E2 has its 10
	run -0 --separate-stderr loy-accrue --events ev.csv
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,survey,2026-12-01 10:00:00,5,credited,survey-half
E2,1001,survey,2026-12-02 10:00:00,10,credited,
OUT
	[ "$(balances)" = "1001:15" ]
	[ "$(q "SELECT rule || ' ' || key FROM rule_awards")" = "survey-half E1" ]
	ledger_ok
}

@test "an event a multiplier below 1 takes to 0 points is credited with none, and the run goes on" {
	base
	members
	programme <<'EOF'
[event like]
points = 1

[rule like-half]
trigger = event
event = like
multiply = 0.5
limit = 1 per month
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,like,2026-12-01 10:00:00\nE2,1001,like,2026-12-02 10:00:00\n' >ev.csv
	# 1 times 0.5 is 0: E1 is credited with nothing, its use of the rule
	# counted; E2 has its 1
	run -0 --separate-stderr loy-accrue --events --dry-run ev.csv
	dry=$output
	run -0 --separate-stderr loy-accrue --events ev.csv
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,like,2026-12-01 10:00:00,0,credited,like-half
E2,1001,like,2026-12-02 10:00:00,1,credited,
OUT
	[ "$dry" = "$output" ]
	[ "$(balances)" = "1001:1" ]
	[ "$(q "SELECT event_id || ' ' || points || ' ' || status || ' ' || coalesce(entry_id, 'none')
	    FROM events ORDER BY event_id" | head -1)" = "E1 0 credited none" ]
	[ "$(q "SELECT count(*) FROM journal WHERE source = 'event'")" = 1 ]
	[ "$(q "SELECT rule || ' ' || key FROM rule_awards")" = "like-half E1" ]
	run -0 --separate-stderr loy-accrue --events ev.csv
	[[ "$output" == *"E1,1001,like,2026-12-01 10:00:00,0,duplicate,"* ]]
	ledger_ok
}

@test "a bad event row is named and nothing is credited" {
	base
	members
	programme <<'EOF'
[event survey]
points = 50
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-01 10:00:00\nE2,1001,party,2026-12-01 10:00:00\nE3,9999,survey,2026-12-01 10:00:00\n' >events.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --events events.csv
	[ "${stderr_lines[0]}" = "loy-accrue: events.csv:3: event 'party' is not one of the programme's events (version 2)" ]
	[ "${stderr_lines[1]}" = "loy-accrue: events.csv:4: unknown member_id '9999'" ]
	[ "$(dump)" = "$before" ]
}

# ---------------------------------------------------------------- cumulative

@test "a cumulative rule with both visits and spend needs both marks" {
	base
	members
	programme <<'EOF'
[rule regular]
trigger = cumulative
visits = 2
spend = 100.00
period = month
bonus = 50
EOF
	pos <<'EOF'
A1,1001,2026-12-10 10:00:00,X,x,,1,10.00
A2,1001,2026-12-11 10:00:00,X,x,,1,10.00
B1,1002,2026-12-10 10:00:00,X,x,,1,150.00
C1,1003,2026-12-10 10:00:00,X,x,,1,50.00
C2,1003,2026-12-11 10:00:00,X,x,,1,100.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1001: two visits, 20.00; 1002: 150.00 in one visit; 1003: both
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003)" = "0 0 50" ]
	ledger_ok
}

@test "a cumulative bonus once a period, across two nightly files" {
	base
	members
	programme <<'EOF'
[rule regular]
trigger = cumulative
visits = 3
period = month
bonus = 300
EOF
	pos day1.csv <<'EOF'
T1,1001,2026-12-01 10:00:00,A,x,,1,1.00
T2,1001,2026-12-02 10:00:00,A,x,,1,1.00
EOF
	pos day2.csv <<'EOF'
T3,1001,2026-12-03 10:00:00,A,x,,1,1.00
T4,1001,2026-12-04 10:00:00,A,x,,1,1.00
T5,1001,2027-01-04 10:00:00,A,x,,1,1.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(bonus 1001)" = 0 ]
	run -0 --separate-stderr loy-accrue day2.csv
	# the third visit of December (T3) gives 300, once; January has one visit
	[ "$(bonus 1001)" = 300 ]
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(bonus 1001)" = 300 ]
	# 5 receipts x 1 + 300
	[ "$(balances)" = "1001:305" ]
	ledger_ok
}

@test "a cumulative spend total" {
	base
	members
	programme <<'EOF'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = quarter
bonus = 1000
EOF
	pos <<'EOF'
T1,1001,2026-10-01 10:00:00,A,x,,1,60.00
T2,1001,2026-12-31 10:00:00,A,x,,1,40.00
T3,1003,2026-12-31 10:00:00,A,x,,1,99.99
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 1001: 60.00 + 40.00 = 100.00 in Q4: 1000; 1003: 99.99 is short
	[ "$(bonus 1001) $(bonus 1003)" = "1000 0" ]
	ledger_ok
}

@test "a return that takes a period's spend below a cumulative mark takes its bonus back; one that leaves it at the mark keeps it" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-12-01 10:00:00,120.00,' \
	    'R1,1001,2026-12-02 10:00:00,-50.00,S1' \
	    'S2,1002,2026-12-01 10:00:00,150.00,' \
	    'R2,1002,2026-12-02 10:00:00,-50.00,S2'; } >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# 1001: 120.00 - 50.00 = 70.00, below the mark: the bonus goes, a row of
	# the return's; 1002: 150.00 - 50.00 = 100.00 keeps it
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
S1,1001,2026-12-01 10:00:00,120.00,120,credited,
S1,1001,2026-12-01 10:00:00,0.00,1000,bonus,rule big-spender: period 2026-12
R1,1001,2026-12-02 10:00:00,-50.00,-50,returned,
R1,1001,2026-12-02 10:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 70.00, below 100.00"
S2,1002,2026-12-01 10:00:00,150.00,150,credited,
S2,1002,2026-12-01 10:00:00,0.00,1000,bonus,rule big-spender: period 2026-12
R2,1002,2026-12-02 10:00:00,-50.00,-50,returned,
OUT
	[ "$stderr" = "loy-accrue: pos.csv: 4 rows, 2 credited, 0 pending, 2 returned, 0 anonymous, 0 duplicate, 0 rejected; 4 receipts, 2 members, 1170 points" ]
	[ "$(bonus 1001) $(bonus 1002)" = "0 1000" ]
	[ "$(balances)" = "$(printf '1001:70\n1002:1100')" ]
	# an entry of kind bonus that reverses the one that gave it, at the return
	[ "$(q "SELECT j.points, j.occurred_at, j.ref, g.points, g.member_id FROM journal j
	    JOIN journal g ON g.entry_id = j.reverses")" = "-1000|2026-12-02 10:00:00|big-spender|1000|1001" ]
	[ "$(q "SELECT member_id, key, points FROM rule_awards ORDER BY member_id, award_id")" = \
	    "$(printf '1001|2026-12|1000\n1001|2026-12 taken back|-1000\n1002|2026-12|1000')" ]
	ledger_ok
}

@test "a return taken before its original moves the spend it took off its own period to the original's when that comes" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S0,1001,2026-12-01 10:00:00,120.00,' \
	    'R1,1001,2026-12-02 10:00:00,-50.00,S1'; } >dec.csv
	run -0 --separate-stderr loy-accrue dec.csv
	# S1 not known: December's spend 120.00 - 50.00 = 70.00 loses its bonus
	[ "${lines[4]}" = "R1,1001,2026-12-02 10:00:00,0.00,-1000,bonus,\"rule big-spender: period 2026-12 taken back: the spend is 70.00, below 100.00\"" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 10:00:00,200.00,\n' >nov.csv
	run -0 --separate-stderr loy-accrue nov.csv
	# R1 returned 50.00 of S1: November 200.00 - 50.00 = 150.00 keeps its
	# bonus, December is back at 120.00 and earns its bonus again
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
S1,1001,2026-11-20 10:00:00,200.00,200,credited,return 'R1' taken before it returned 50.00 of it
S1,1001,2026-11-20 10:00:00,0.00,1000,bonus,rule big-spender: period 2026-11
S1,1001,2026-11-20 10:00:00,0.00,1000,bonus,"rule big-spender: period 2026-12, reached again"
OUT
	[ "$(q "SELECT period, spend FROM rule_progress ORDER BY period")" = "$(printf '2026-11|15000\n2026-12|12000')" ]
	# 120 + 1000 - 50 - 1000 + 200 + 1000 + 1000
	[ "$(balances)" = "1001:2270" ]
	ledger_ok
}

@test "a purchase that brings a period back to a cumulative mark earns the bonus again, once while it stays there" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-12-01 10:00:00,120.00,' \
	    'R1,1001,2026-12-02 10:00:00,-50.00,S1'; } >day1.csv
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S2,1001,2026-12-03 10:00:00,30.00,' \
	    'S3,1001,2026-12-04 10:00:00,5.00,' \
	    'R3,1001,2026-12-05 10:00:00,-5.00,S3' \
	    'R4,1001,2026-12-06 10:00:00,-10.00,'; } >day2.csv
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S5,1001,2026-12-07 10:00:00,20.00,' \
	    'S6,1001,2026-12-08 10:00:00,20.00,'; } >day3.csv
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(bonus 1001)" = 0 ]
	run -0 --separate-stderr loy-accrue day2.csv
	# 70.00 + 30.00 = 100.00: again; + 5.00 - 5.00 stays at the mark; a
	# return of no known purchase takes 10.00 off: 90.00, taken back again
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
S2,1001,2026-12-03 10:00:00,30.00,30,credited,
S2,1001,2026-12-03 10:00:00,0.00,1000,bonus,"rule big-spender: period 2026-12, reached again"
S3,1001,2026-12-04 10:00:00,5.00,5,credited,
R3,1001,2026-12-05 10:00:00,-5.00,-5,returned,
R4,1001,2026-12-06 10:00:00,-10.00,-10,returned,
R4,1001,2026-12-06 10:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 90.00, below 100.00"
OUT
	[ "$(bonus 1001)" = 0 ]
	run -0 --separate-stderr loy-accrue day3.csv
	# 110.00: once more, and only once while it stays above
	[ "$(bonus 1001)" = 1000 ]
	[ "$(q "SELECT key || ':' || points FROM rule_awards ORDER BY award_id" | tr '\n' ' ')" = \
	    "2026-12:1000 2026-12 taken back:-1000 2026-12 #2:1000 2026-12 #2 taken back:-1000 2026-12 #3:1000 " ]
	[ "$(q "SELECT visits, spend FROM rule_progress")" = "5|13000" ]
	# 120 - 50 + 30 + 5 - 5 - 10 + 20 + 20 points, and the bonus held
	[ "$(balances)" = "1001:1130" ]
	# the rule's cost before any return, as its receipts' points are: three
	# bonuses given (the two taken back are the returns')
	run -0 --separate-stderr loy-report economics --per rule
	same "$output" <<'OUT'
rule,awards,members,points,value,share_pct
big-spender,3,1,3000,30.00,93.90
[earn],5,1,195,1.95,6.10
OUT
	ledger_ok
}

@test "a return in a later period takes back its purchase's period's bonus, no more than the balance holds; the same files again change nothing" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-12-20 10:00:00,120.00,\n' >day1.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2027-01-05 10:00:00,-50.00,S1\n' >day2.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# the member spends 1000 of the 1120 points
	printf 'member_id,points,reason,ref\n1001,-1000,reward,A1\n' >adj.csv
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# December's spend falls to 70.00: its bonus goes, in January, with what
	# the balance has left after the return's own 50
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
R1,1001,2027-01-05 10:00:00,-50.00,-50,returned,
R1,1001,2027-01-05 10:00:00,0.00,-70,bonus,"rule big-spender: period 2026-12 taken back: the spend is 70.00, below 100.00; 930 points not recovered: the balance may not go below zero"
OUT
	[ "$(balances)" = "1001:0" ]
	[ "$(q "SELECT period, key, points FROM rule_awards ORDER BY award_id" | tr '\n' ' ')" = \
	    "2026-12|2026-12|1000 2026-12|2026-12 taken back|-70 " ]
	[ "$(q "SELECT occurred_at FROM journal WHERE points = -70")" = "2027-01-05 10:00:00" ]
	ledger_ok
	state() {
		sqlite3 "$LOY_DB" ".dump journal lots lot_moves balances receipts rule_awards rule_progress"
	}
	before=$(state)
	run -0 --separate-stderr loy-accrue day1.csv day2.csv
	[[ "$stderr" == *"day2.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 1 duplicate, 0 rejected"* ]]
	[ "$(state)" = "$before" ]
	ledger_ok
}

# ---------------------------------------------------------------- caps

@test "a rule's cap per receipt" {
	base
	members
	programme <<'EOF'
[rule ten-times]
multiply = 10
cap_receipt = 50
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1001,2026-12-11 10:00:00,A,x,,1,3.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: base 10, the rule adds 90, capped at 50: 60; T2: 3 + 27 = 30
	[ "$(pts T1) $(pts T2)" = "60 30" ]
	ledger_ok
}

@test "the programme's caps per receipt, per member per day and per month" {
	base
	members
	programme <<'EOF'
[earn]
cap_receipt = 100
cap_member_day = 30
cap_member_month = 50
EOF
	pos <<'EOF'
T1,1003,2026-11-10 10:00:00,A,x,,1,250.00
T2,1001,2026-12-10 10:00:00,A,x,,1,20.00
T3,1001,2026-12-10 11:00:00,A,x,,1,20.00
T4,1001,2026-12-11 10:00:00,A,x,,1,20.00
T5,1001,2026-12-12 10:00:00,A,x,,1,20.00
T6,1001,2027-01-01 10:00:00,A,x,,1,20.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: 250 capped per receipt at 100, then per day at 30, the lower: 30
	# T2: 20; T3: the day's 30 allows 10; T4: 20 (month 50 reached: 20+10+20);
	# T5: the month is full: 0; T6: a new month: 20
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4) $(pts T5) $(pts T6)" = "30 20 10 20 0 20" ]
	[ "$(q "SELECT earn->>'receipt' FROM receipts WHERE txn_id = 'T1'")" = '{"[earn] cap_receipt":-150,"[earn] cap_member_day":-70}' ]
	ledger_ok
}

@test "a purchase rule's limit: a purchase returned in full, or a share on a return line, is no use of it; what-if agrees" {
	base
	members
	programme <<'EOF'
[rule once]
bonus = 100
limit = 1

[rule coffee]
sku = ^COF
multiply = 2
limit = 1 per month
EOF
	pos day1.csv <<'EOF'
T1,1003,2026-12-01 10:00:00,COF1,x,,1,10.00
M1,1004,2026-12-01 10:00:00,TEA1,x,,1,20.00
M1,1004,2026-12-01 10:00:00,COF1,x,,-1,-5.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1003,2026-12-02 10:00:00,-10.00,T1\n' >day2.csv
	pos day3.csv <<'EOF'
T2,1003,2026-12-03 10:00:00,COF1,x,,1,10.00
T3,1004,2026-12-03 10:00:00,COF1,x,,1,10.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1003,2026-12-04 10:00:00,-4.00,T2\n' >day4.csv
	pos day5.csv <<'EOF'
T4,1003,2026-12-05 10:00:00,COF1,x,,1,10.00
EOF
	for f in day1 day2 day3 day4 day5; do
		run -0 --separate-stderr loy-accrue $f.csv
	done
	# T1 used both rules (120), and R1 took all of it back: T2 has them
	# again (120); R2 leaves 6.00 of T2, which keeps them: T4 has neither.
	# M1's coffee share is on its return line (-5): no use, and it gave
	# 'once' its use (100); T3 doubles its coffee, and no more
	[ "$(pts T1) $(pts R1) $(pts T2) $(pts T4)" = "120 -120 120 10" ]
	[ "$(pts M1) $(pts T3)" = "110 20" ]
	same "$(q "SELECT rule || ' ' || member_id || ' ' || key || ' ' || coalesce(txn_id, '')
	    FROM rule_awards ORDER BY award_id")" <<'OUT'
once 1003 T1 
coffee 1003 T1 
once 1004 M1 
once 1003 T1 taken back T1
coffee 1003 T1 taken back T1
once 1003 T2 
coffee 1003 T2 
coffee 1004 T3 
OUT
	# what-if of the programme in force agrees, from before T1 and from after
	for from in 2026-12-01 2026-12-02 2026-12-03; do
		run -0 --separate-stderr loy-program what-if p.conf --from $from --to 2026-12-31
		printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	done
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],55,55,0,0.55,0.55,0.00
once,300,300,0,3.00,3.00,0.00
coffee,25,25,0,0.25,0.25,0.00
[return],-168,-168,0,-1.68,-1.68,0.00
total,212,212,0,2.12,2.12,0.00
OUT
	ledger_ok
}

@test "what-if counts a use taken back from the return that left nothing of the purchase, not a later one that found nothing left" {
	base
	members
	programme <<'EOF'
[rule once]
bonus = 100
limit = 1 per year
EOF
	pos day1.csv <<'EOF'
T1,1003,2026-11-30 10:00:00,A,x,,1,10.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1003,2026-12-02 10:00:00,-4.00,T1\nR2,1003,2026-12-02 11:00:00,-6.00,T1\n' >day2.csv
	pos day3.csv <<'EOF'
T2,1003,2026-12-03 10:00:00,A,x,,1,10.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR3,1003,2026-12-05 10:00:00,-6.00,T1\n' >day5.csv
	for f in day1 day2 day3 day5; do
		run -0 --separate-stderr loy-accrue $f.csv
	done
	# R2 left nothing of T1, and gave its use back: T2 has the bonus; R3
	# found nothing of T1 left to return
	[ "$(pts T1) $(pts R1) $(pts R2) $(pts T2) $(pts R3)" = "110 -44 -66 110 0" ]
	# from the 3rd, T1's use was taken back before the period, by R2
	for from in 2026-11-01 2026-12-01 2026-12-03 2026-12-04; do
		run -0 --separate-stderr loy-program what-if p.conf --from $from --to 2026-12-31
		printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	done
	ledger_ok
}

@test "a purchase rule's limit: a multiplier below 1 uses it on a sale, not on a return line; what-if agrees" {
	base
	members
	programme <<'EOF'
[rule half]
sku = ^TEA
multiply = 0.5
limit = 1
EOF
	pos <<'EOF'
M1,1004,2026-12-01 10:00:00,COF1,x,,1,20.00
M1,1004,2026-12-01 10:00:00,TEA1,x,,-1,-10.00
T1,1004,2026-12-02 10:00:00,TEA1,x,,1,10.00
T2,1004,2026-12-03 10:00:00,TEA1,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# M1's tea is a return line, which 'half' takes less off (-10 + 5): no
	# use of it; T1's tea is halved, its use; T2's is not
	[ "$(pts M1) $(pts T1) $(pts T2)" = "15 5 10" ]
	same "$(q "SELECT rule || ' ' || member_id || ' ' || key FROM rule_awards ORDER BY award_id")" <<'OUT'
half 1004 T1
OUT
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	ledger_ok
}

@test "a purchase rule's limit: an exclusion uses it where it leaves out a sale's line, not a return line's; what-if agrees" {
	base
	members
	programme <<'EOF'
[rule no-tobacco]
sku = ^TOB
exclude = yes
limit = 1 per month
EOF
	pos <<'EOF'
M1,1004,2026-12-01 10:00:00,COF1,x,,1,20.00
M1,1004,2026-12-01 10:00:00,TOB1,x,,-1,-10.00
T1,1004,2026-12-02 10:00:00,TOB1,x,,1,10.00
T2,1004,2026-12-03 10:00:00,TOB1,x,,1,10.00
T3,1004,2027-01-04 10:00:00,TOB1,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# M1's tobacco is a return line: left out, but no use; T1's is left
	# out, its use for December; T2's earns; T3's is January's use
	[ "$(pts M1) $(pts T1) $(pts T2) $(pts T3)" = "20 0 10 0" ]
	same "$(q "SELECT rule || ' ' || member_id || ' ' || period || ' ' || key
	    FROM rule_awards ORDER BY award_id")" <<'OUT'
no-tobacco 1004 2026-12 T1
no-tobacco 1004 2027-01 T3
OUT
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2027-01-31
	printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	[[ "$output" == *"no-tobacco,0,0,0,"* ]]
	ledger_ok
}

@test "what-if takes back a return's share of a purchase before --from as the limits left it, as loy-accrue does" {
	base
	members
	programme <<'EOF'
[rule once]
bonus = 10
limit = 1
EOF
	pos <<'EOF'
T1,1003,2026-11-02 10:00:00,A,x,,1,10.00
T2,1003,2026-11-05 10:00:00,A,x,,1,5.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1003,2026-12-03 10:00:00,-2.00,T2\n' >ret.csv
	run -0 --separate-stderr loy-accrue pos.csv
	run -0 --separate-stderr loy-accrue ret.csv
	# T1 had the bonus (20), T2 none (5): R1 takes back 2.00 of 5.00 of 5
	[ "$(pts T1) $(pts T2) $(pts R1)" = "20 5 -2" ]
	# what-if from after both purchases gives T2 what the limit left it,
	# not the bonus it would have had alone
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],0,0,0,0.00,0.00,0.00
once,0,0,0,0.00,0.00,0.00
[return],-2,-2,0,-0.02,-0.02,0.00
total,-2,-2,0,-0.02,-0.02,0.00
OUT
	ledger_ok
}

@test "a purchase whose returns taken before it leave nothing of it keeps the use of a limit whose bonus it keeps; what-if agrees" {
	base
	members
	programme <<'EOF'
[rule once]
bonus = 100
limit = 1
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1003,2026-12-02 11:00:00,-10.00,T1\n' >ret.csv
	pos day2.csv <<'EOF'
T1,1003,2026-12-02 10:00:00,A,x,,1,10.00
T2,1003,2026-12-03 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# R1 took back nothing at the current rate (the balance was 0), and
	# takes its 10 now, out of T1's; T1 keeps its 110, the bonus with it:
	# its use of 'once' stands, and T2 has no second bonus
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
T1,1003,2026-12-02 10:00:00,10.00,110,credited,"return 'R1' taken before it returned 10.00 of it, and 10 points it could not take back then"
R1,1003,2026-12-02 11:00:00,0.00,-10,returned,"10 points it could not take back then, now that 'T1' came"
T2,1003,2026-12-03 10:00:00,10.00,10,credited,
OUT
	same "$(q "SELECT rule || ' ' || member_id || ' ' || key FROM rule_awards ORDER BY award_id")" <<'OUT'
once 1003 T1
OUT
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	[[ "$output" == *"once,100,100,0,"* ]]
	ledger_ok
}

@test "a promotion's budget, across runs" {
	base
	members
	programme <<'EOF'
[rule promo]
multiply = 2
budget = 25
EOF
	pos day1.csv <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1003,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	pos day2.csv <<'EOF'
T3,1001,2026-12-11 10:00:00,A,x,,1,10.00
T4,1003,2026-12-11 10:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue day1.csv
	run -0 --separate-stderr loy-accrue day2.csv
	# the promotion adds 10, 10, then the 5 left of its 25, then nothing
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "20 20 15 10" ]
	[ "$(q "SELECT points FROM rule_totals WHERE rule = 'promo'")" = 25 ]
	ledger_ok
}

@test "a budget spent on a receipt returned in full stays spent, wherever the return is imported" {
	base
	members
	programme <<'EOF'
[rule promo]
bonus = 10
budget = 10
EOF
	pos a.csv <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
EOF
	pos b.csv <<'EOF'
T2,1003,2026-12-12 10:00:00,A,x,,1,10.00
EOF
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nR1,1001,2026-12-11 10:00:00,A,-1,-10.00,T1\n' >r.csv
	for order in "a r b" "a b r"; do
		export LOY_DB=$BATS_TEST_TMPDIR/${order// /}.db
		new_ledger
		members
		run -0 --separate-stderr loy-program load p.conf --from 2026-01-01
		for f in $order; do
			run -0 --separate-stderr loy-accrue $f.csv
		done
		# T1 had the 10 and gave them back with its 10 base points; T2,
		# imported before or after the return, earns its base alone
		[ "$(pts T1) $(pts R1) $(pts T2)" = "20 -20 10" ]
		[ "$(q "SELECT points FROM rule_totals WHERE rule = 'promo'")" = 10 ]
		ledger_ok
	done
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 p.conf
	[ "$(grep '^promo,' <<<"$output")" = "promo,10,10,0,0.10,0.10,0.00" ]
}

@test "a rule whose budget is spent no longer applies: it neither beats a competing multiplier nor lifts the multipliers after it" {
	base
	members
	programme <<'EOF'
[rule promo]
multiply = 2
budget = 10

[rule beans]
sku = ^A
multiply = 1.5

[rule weekend]
multiply = 1.5
stack = no

[rule promo-best]
multiply = 3
stack = no
budget = 20
days = wed
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,A,x,,1,10.00
T2,1003,2026-12-10 11:00:00,A,x,,1,10.00
T3,1002,2026-12-16 10:00:00,A,x,,1,10.00
T4,1004,2026-12-16 11:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: 10 doubled by promo (its 10), times 1.5 for beans (30), times 1.5
	# of weekend: 45; T2, the promo's 10 spent: 10 times 1.5 times 1.5, 22,
	# not 35 as if still doubled; T3, a Wednesday: promo spent, beans 15,
	# promo-best's 3 wins over weekend (45, its 30 cut to its 20: 35); T4,
	# both spent: weekend applies, 22, where promo-best would still win and
	# give nothing (15)
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "45 22 35 22" ]
	run -0 --separate-stderr loy-accrue --explain receipt=T4
	same "$output" <<'OUT'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
T4,2026-12-16 11:00:00,1004,4,1,A,10.00,[earn],2,10
T4,2026-12-16 11:00:00,1004,4,1,A,10.00,beans,2,5
T4,2026-12-16 11:00:00,1004,4,1,A,10.00,weekend,2,7
OUT
	# what-if of the programme over its period gives what was credited
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	ledger_ok
}

@test "a rule whose budget is spent still takes back its share on a line that returns goods" {
	base
	members
	programme <<'EOF'
[rule promo]
multiply = 2
sku = ^P
budget = 10
EOF
	# T1 spends the promotion's 10; T2 sells X and returns the P1 of T1:
	# its return line takes back the 20 T1 earned for it, the promotion's
	# 10 with it, which goes back to the budget, so that T3 has it
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,P1,x,,1,10.00
T2,1001,2026-12-11 10:00:00,X,x,,1,20.00
T2,1001,2026-12-11 10:00:00,P1,x,,-1,-10.00
T3,1002,2026-12-12 10:00:00,P1,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(pts T1) $(pts T2) $(pts T3)" = "20 0 20" ]
	run -0 --separate-stderr loy-accrue --explain receipt=T2
	same "$output" <<'OUT'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
T2,2026-12-11 10:00:00,1001,,1,X,20.00,[earn],2,20
T2,2026-12-11 10:00:00,1001,,2,P1,-10.00,[earn],2,-10
T2,2026-12-11 10:00:00,1001,,2,P1,-10.00,promo,2,-10
OUT
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	printf '%s\n' "$output" | awk -F, 'NR > 1 && $4 != 0 { bad = 1; print } END { exit bad }'
	ledger_ok
}

@test "an event rule whose budget is spent no longer lifts the multipliers after it" {
	base
	members
	programme <<'EOF'
[event survey]
points = 10

[rule survey-double]
trigger = event
event = survey
multiply = 2
budget = 10

[rule survey-birthday]
trigger = event
event = survey
multiply = 1.5
birthday_month = yes
EOF
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-01 10:00:00\nE2,1001,survey,2026-12-02 10:00:00\n' >events.csv
	# E1: 10 doubled, times 1.5: 30; E2, the double's 10 spent: 10 times 1.5
	run -0 --separate-stderr loy-accrue --events events.csv
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E1,1001,survey,2026-12-01 10:00:00,30,credited,"survey-double,survey-birthday"
E2,1001,survey,2026-12-02 10:00:00,15,credited,survey-birthday
OUT
	ledger_ok
}

# ---------------------------------------------------------------- precedence

@test "stacking multipliers multiply; competing ones give only the best" {
	base
	members
	programme <<'EOF'
[rule beans]
sku = ^BEA-
multiply = 2

[rule december]
multiply = 1.5
stack = no
from = 2026-12-01
to = 2026-12-31

[rule weekend]
multiply = 1.2
stack = no
days = sat,sun
EOF
	pos <<'EOF'
T1,1001,2026-12-05 19:00:00,BEA-1,coffee,,1,10.00
T1,1001,2026-12-05 19:00:00,X,food,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# a December Saturday: beans 10 x 2 (stacks) x 1.5 (the better of 1.5 and
	# 1.2) = 30, not 10 x 2 x 1.5 x 1.2 = 36; food 10 x 1.5 = 15.  45
	[ "$(pts T1)" = 45 ]
	[ "$(q "SELECT l.value->>7 FROM receipts, json_each(earn, '\$.lines') l ORDER BY l.key" | tr '\n' ' ')" = '{"[earn]":10,"beans":10,"december":10} {"[earn]":10,"december":5} ' ]
	ledger_ok
}

@test "multipliers in nine decimals on other products leave a receipt its points; what-if agrees" {
	base
	members
	programme <<'EOF'
[rule half]
sku = ^A
multiply = 1.5

[rule b]
sku = ^B
multiply = 1.000000001

[rule c]
sku = ^C
multiply = 1.000000003

[rule d]
sku = ^D
multiply = 1.000000007

[rule e]
sku = ^E
multiply = 1.000000009
stack = no

[rule f]
sku = ^F
multiply = 1.000000011
stack = no
EOF
	pos <<'EOF'
T1,1001,2026-12-05 19:00:00,A1,x,,1,10.00
T1,1001,2026-12-05 19:00:00,X,x,,1,3.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# A1 10 x 1.5 = 15, X 3: none of b..f takes a line of the receipt, so
	# their denominators (10^9 each) have no part in its sum
	[ "$(pts T1)" = 18 ]
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 p.conf
	[ "$(grep '^total,' <<<"$output")" = "total,18,18,0,0.18,0.18,0.00" ]
	ledger_ok
}

@test "of two competing multipliers above 9 in nine decimals the larger is used, on a receipt and on an event" {
	base
	members
	programme <<'EOF'
[event survey]
points = 1000

[rule big]
multiply = 10.000000001
stack = no

[rule small]
multiply = 9.000000001
stack = no
stores = S1

[rule survey-big]
trigger = event
event = survey
multiply = 10.000000001
stack = no

[rule survey-small]
trigger = event
event = survey
multiply = 9.000000001
stack = no
birthday_month = yes
EOF
	printf 'txn_id,member_id,occurred_at,store,sku,qty,amount\nT1,1001,2026-12-10 10:00:00,S1,X,1,1000.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# 1000 x 10.000000001, not 1000 x 9.000000001
	[ "$(pts T1)" = 10000 ]
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-10 10:00:00\n' >events.csv
	run -0 --separate-stderr loy-accrue --events events.csv
	[ "${lines[1]}" = "E1,1001,survey,2026-12-10 10:00:00,10000,credited,survey-big" ]
	[ "$(balances)" = "1001:20000" ]
	ledger_ok
}

@test "a line whose multipliers are too fine to be worked out exactly is refused as such, naming the line and the rule; what-if leaves it out as such" {
	base
	members
	cat >fine.conf <<'EOF'
[rule a]
sku = ^A
multiply = 1.000000001

[rule b]
sku = ^A1
multiply = 1.000000003

[rule c]
sku = ^A12
multiply = 1.000000007

[rule d]
sku = ^A123
multiply = 1.000000009

[rule e]
sku = ^A1234
multiply = 1.000000011
EOF
	programme <fine.conf
	pos <<'EOF'
T1,1001,2026-12-05 19:00:00,A12,x,,1,10.00
T2,1002,2026-12-05 19:00:00,A123,x,,1,10.00
T3,1003,2026-12-05 19:00:00,B,x,,1,5.00
T3,1003,2026-12-05 19:00:00,A1234,x,,1,10.00
EOF
	before=$(dump)
	run -65 --separate-stderr loy-accrue pos.csv
	# T1's line takes three multipliers: 10 x 1.000000011 (10^27 below it)
	# is worked out; T2's four and T3's five make fractions past 38 digits
	same "$stderr" <<'OUT'
loy-accrue: pos.csv:3: the multipliers on the receipt's line 1 cannot be worked out exactly: together they make a fraction too large (more than 38 digits)
loy-accrue: pos.csv:4: rule 'e' cannot be worked out exactly: with the other multipliers on the receipt's line 2 it makes a fraction too large (more than 38 digits)
loy-accrue: pos.csv:5: receipt 'T3' is refused: rule 'e' cannot be worked out exactly: with the other multipliers on the receipt's line 2 it makes a fraction too large (more than 38 digits) (line 4)
loy-accrue: pos.csv: 4 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 1 receipt, 1 member, 10 points
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
OUT
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv pos.csv
	[ "$(pts T1)" = 10 ]
	[ "$(cut -d, -f1,10- rej.csv | sed -n 2p)" = "T2,the multipliers on the receipt's line 1 cannot be worked out exactly: together they make a fraction too large (more than 38 digits)" ]
	# what-if over receipts credited under a plain rate
	export LOY_DB=$BATS_TEST_TMPDIR/plain.db
	base
	members
	programme <<'EOF'
[earn]
points = 1
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 fine.conf
	same "$(grep -v ': fine.conf from' <<<"$stderr")" <<'OUT'
loy-program: receipt 'T2': the multipliers on the receipt's line 1 cannot be worked out exactly: together they make a fraction too large (more than 38 digits) under the candidate: left out
loy-program: receipt 'T3': rule 'e' cannot be worked out exactly: with the other multipliers on the receipt's line 2 it makes a fraction too large (more than 38 digits) under the candidate: left out
OUT
	ledger_ok
}

@test "what-if leaves out with a warning a return whose original the candidate cannot earn, as it leaves out the purchase" {
	base
	members
	programme <<'EOF'
[earn]
points = 1
EOF
	cat >fine.conf <<'EOF'
[rule a]
sku = ^A
multiply = 1.000000001

[rule b]
sku = ^A1
multiply = 1.000000003

[rule c]
sku = ^A12
multiply = 1.000000007

[rule d]
sku = ^A123
multiply = 1.000000009
EOF
	# T1 bought before the period, T2 in it, each returned in it: under
	# fine.conf a line of A123 takes four multipliers past 38 digits
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
T1,1001,2026-11-05 19:00:00,A123,1,10.00,
T2,1002,2026-12-04 19:00:00,A123,1,10.00,
R1,1001,2026-12-05 19:00:00,A123,-1,-10.00,T1
R2,1002,2026-12-06 19:00:00,A123,-1,-10.00,T2
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 fine.conf
	same "$(grep -v ': fine.conf from' <<<"$stderr")" <<'OUT'
loy-program: receipt 'T2': the multipliers on the receipt's line 1 cannot be worked out exactly: together they make a fraction too large (more than 38 digits) under the candidate: left out
loy-program: receipt 'R1': its original 'T1': the multipliers on the receipt's line 1 cannot be worked out exactly: together they make a fraction too large (more than 38 digits) under the candidate: left out
loy-program: receipt 'R2' returns 'T2', left out under the candidate: left out
OUT
	# the returns took back 20 points; the candidate counts none of them
	[ "$(grep '^\[return\],' <<<"$output")" = "[return],-20,0,20,-0.20,0.00,0.20" ]
	# a rule's pattern giving up on the original before the period, alike
	slow=$(printf '1%.0s' $(seq 40))x
	printf '[rule digits]\nsku = ^(\\d+\\s?)+$\nmultiply = 2\n' >slow.conf
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nT3,1003,2026-11-06 19:00:00,%s,1,10.00,\nR3,1003,2026-12-07 19:00:00,%s,-1,-10.00,T3\n' \
	    "$slow" "$slow" >pos2.csv
	run -0 --separate-stderr loy-accrue pos2.csv
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 slow.conf
	same "$(grep -v ': slow.conf from' <<<"$stderr")" <<'OUT'
loy-program: receipt 'R3': its original 'T3': rule 'digits' cannot be decided: its sku pattern gave up on the receipt's line 1 (PCRE2's match limit) under the candidate: left out
OUT
	# R1 and R2 take back the 10 the candidate's base rate gives each of
	# T1 and T2; R3 none
	[ "$(grep '^\[return\],' <<<"$output")" = "[return],-30,-20,10,-0.30,-0.20,0.10" ]
	ledger_ok
}

@test "rounding nearest rounds a large receipt whose lines take multipliers in nine decimals" {
	base
	members
	programme <<'EOF'
[earn]
rounding = nearest

[rule b]
sku = ^A
multiply = 1.000000001

[rule c]
sku = ^A1
multiply = 1.000000003

[rule d]
sku = A
multiply = 1.000000007
EOF
	pos <<'EOF'
T1,1001,2026-12-05 19:00:00,A1,x,,1,1.00
T1,1001,2026-12-05 19:00:00,X,x,,1,1000000000.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# A1: 1.00 x 1.000000001 x 1.000000003 x 1.000000007 is 1 point, X
	# 10^9: worked out over 10^29, X's share passes half of what an
	# __int128 holds, and rounding it half up must not double it
	[ "$(pts T1)" = 1000000001 ]
	run -0 --separate-stderr loy-program what-if --from 2026-12-01 --to 2026-12-31 p.conf
	[ "$(grep '^total,' <<<"$output")" = "total,1000000001,1000000001,0,10000000.01,10000000.01,0.00" ]
	ledger_ok
}

@test "a receipt earns under the version in force at its purchase time" {
	base
	members
	programme <<'EOF'
[earn]
points = 2
EOF
	printf '[earn]\npoints = 3\n' >v3.conf
	loy-program load v3.conf --from 2026-12-01 >/dev/null 2>&1
	pos <<'EOF'
T1,1001,2025-12-31 23:59:59,A,x,,1,10.00
T2,1001,2026-11-30 23:59:59,A,x,,1,10.00
T3,1001,2026-12-01 00:00:00,A,x,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# version 1 (the default, 1 a unit) before 2026; 2 from 2026-01-01; 3 from
	# 2026-12-01
	[ "$(pts T1) $(pts T2) $(pts T3)" = "10 20 30" ]
	[ "$(q "SELECT group_concat(earn->>'version', ' ') FROM (SELECT earn FROM receipts ORDER BY txn_id)")" = "1 2 3" ]
	ledger_ok
}

@test "a return takes back in proportion to what the rules gave, never more" {
	base
	members
	programme <<'EOF'
[rule triple]
multiply = 3
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-12-10 10:00:00,10.00,\nR1,1001,2026-12-11 10:00:00,-5.00,S1\nR2,1001,2026-12-12 10:00:00,-9.00,S1\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# S1: 10 x 3 = 30; R1 returns half: -15; R2 returns the other half (the
	# 9.00 asked for is more than is left): -15
	[ "$(pts S1) $(pts R1) $(pts R2)" = "30 -15 -15" ]
	[ "$(balances)" = "1001:0" ]
	ledger_ok
}

# ---------------------------------------------------------------- explain

@test "explain a receipt, a member and an entry: every point to a rule and a line" {
	base
	members
	programme <<'EOF'
[rule beans]
sku = ^BEA-
multiply = 2
[rule welcome]
trigger = first-purchase
bonus = 100
[event survey]
points = 50
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,BEA-1,coffee,,1,4.00
T1,1001,2026-12-10 10:00:00,X,food,,1,3.50
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-11 10:00:00\n' >ev.csv
	run -0 --separate-stderr loy-accrue --events ev.csv
	run -0 --separate-stderr loy-accrue --explain receipt=T1
	# beans 4 + 4, food floor(7.5) - 4 = 3, first purchase 100: 111
	same "$output" <<'OUT'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
T1,2026-12-10 10:00:00,1001,1,1,BEA-1,4.00,[earn],2,4
T1,2026-12-10 10:00:00,1001,1,1,BEA-1,4.00,beans,2,4
T1,2026-12-10 10:00:00,1001,1,2,X,3.50,[earn],2,3
T1,2026-12-10 10:00:00,1001,1,,,,welcome,2,100
OUT
	[ "$stderr" = "loy-accrue: receipt=T1: 4 rows, 111 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain member=1001
	[ "${lines[5]}" = "E1,2026-12-11 10:00:00,1001,2,,,,[event survey],2,50" ]
	[ "$stderr" = "loy-accrue: member=1001: 5 rows, 161 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain entry=2
	[ "$stderr" = "loy-accrue: entry=2: 1 row, 50 points, as the journal holds" ]
	run -65 --separate-stderr loy-accrue --explain receipt=NOPE
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: unknown receipt 'NOPE'" ]
	run -64 --separate-stderr loy-accrue --explain colour=blue
	[ "${stderr_lines[0]}" = "loy-accrue: --explain 'colour=blue' must be member=ID, receipt=TXN or entry=N" ]
}

# ---------------------------------------------------------------- what-if

@test "what-if: a candidate programme over a past period, per rule and costed" {
	base
	members
	programme <<'EOF'
[rule beans]
sku = ^BEA-
multiply = 2
EOF
	pos <<'EOF'
T1,1001,2026-12-10 10:00:00,BEA-1,coffee,,1,4.00
T1,1001,2026-12-10 10:00:00,X,food,,1,6.00
T2,1003,2026-12-20 10:00:00,X,food,,1,20.00
T3,1003,2026-11-20 10:00:00,X,food,,1,20.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	cat >cand.conf <<'EOF'
[programme]
point_value = 0.005
[rule december-double]
multiply = 2
from = 2026-12-01
to = 2026-12-31
EOF
	before=$(dump)
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-01 --to 2026-12-31
	# December: T1 and T2.  Given: base 4 + 6 + 20 = 30, beans 4: 34.
	# Candidate: base 30, December doubles it: +30, beans is gone: 60.
	# Cost: given at 0.01 a point, the candidate at 0.005:
	# 30 -> 0.30 / 0.15; beans 4 -> 0.04 / 0; december 30 -> 0 / 0.15
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],30,30,0,0.30,0.150,-0.150
december-double,0,30,30,0.00,0.150,0.150
beans,4,0,-4,0.04,0.000,-0.040
total,34,60,26,0.34,0.300,-0.040
OUT
	[ "$stderr" = "loy-program: cand.conf from 2026-12-01 to 2026-12-31: 2 receipts, 34 points given, 60 under cand.conf" ]
	[ "$(dump)" = "$before" ]
	run -64 --separate-stderr loy-program what-if cand.conf --from 2026-12-01
	[ "${stderr_lines[0]}" = "loy-program: what-if needs --from and --to" ]
	# a candidate in another currency is refused, as load refuses it
	printf '[programme]\ncurrency = JPY\ndecimals = 0\n' >jpy.conf
	run -65 --separate-stderr loy-program what-if jpy.conf --from 2026-12-01 --to 2026-12-31
	[ "$output" = "" ]
	[[ "${stderr_lines[0]}" == "loy-program: jpy.conf:2: currency 'JPY' differs from the ledger's '"*"': a ledger keeps one currency, decimals and time zone" ]]
	[ "$(dump)" = "$before" ]
}

@test "what-if costs the points given at the point value of the version in force at the end of --to, loy-program apply or not" {
	base
	members
	pos <<'EOF'
T1,1001,2026-11-20 10:00:00,X,food,,1,20.00
T2,1003,2026-12-10 10:00:00,X,food,,1,10.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# 0.02 a point from 1 March, loaded ahead; 0.05 from 1 January, before
	printf '[programme]\npoint_value = 0.05\n' >jan.conf
	run -0 --separate-stderr loy-program load jan.conf --from 2027-01-01
	printf '[programme]\npoint_value = 0.02\n' >mar.conf
	run -0 --separate-stderr loy-program load mar.conf --from 2027-03-01
	[ "$(q "SELECT value FROM settings WHERE key = 'point_value'")" = 0.05 ]
	printf '[rule double]\nmultiply = 2\n' >cand.conf
	printf '[programme]\npoint_value = 0.01\n[rule double]\nmultiply = 2\n' >cent.conf
	cp "$LOY_DB" ahead.db
	for apply in no yes; do
		cp ahead.db "$LOY_DB"
		export LOY_NOW="2027-03-02 12:00:00"
		[ "$apply" = no ] || run -0 --separate-stderr loy-program apply
		# a period of 2026 at the version in force at its end, 0.01 (the
		# default programme's); the candidate without a point value alike
		run -0 --separate-stderr loy-program what-if cand.conf --from 2026-11-01 --to 2026-12-31
		same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],30,30,0,0.30,0.30,0.00
double,0,30,30,0.00,0.30,0.30
total,30,60,30,0.30,0.60,0.30
OUT
		# up to today: 0.02, the version in force since 1 March
		run -0 --separate-stderr loy-program what-if cent.conf --from 2026-11-01 --to 2027-03-31
		same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],30,30,0,0.60,0.30,-0.30
double,0,30,30,0.00,0.30,0.30
total,30,60,30,0.60,0.60,0.00
OUT
		run -0 --separate-stderr loy-program what-if cand.conf --from 2026-11-01 --to 2027-01-31
		[ "${lines[3]}" = "total,30,60,30,1.50,3.00,1.50" ]
	done
	ledger_ok
}

@test "what-if: a first-purchase rule the ledger never had still finds each member's first purchase" {
	base
	members
	pos <<'EOF'
T3,1003,2026-11-20 10:00:00,X,food,,1,20.00
T1,1001,2026-12-10 10:00:00,X,food,,1,6.00
T2,1003,2026-12-20 10:00:00,X,food,,1,20.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	printf '[rule welcome]\ntrigger = first-purchase\nbonus = 7\n' >cand.conf
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-01 --to 2026-12-31
	# December: T1 is 1001's first purchase (7 more), T2 is not 1003's (T3 was)
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],26,26,0,0.26,0.26,0.00
welcome,0,7,7,0.00,0.07,0.07
total,26,33,7,0.26,0.33,0.07
OUT
}

@test "what-if: a member's cap per day on the first of a month counts that day's points once" {
	base
	members
	programme <<'EOF'
[earn]
cap_member_day = 100
EOF
	pos <<'EOF'
T1,1001,2026-12-01 10:00:00,A,x,,1,80.00
T2,1001,2026-12-01 11:00:00,A,x,,1,50.00
T3,1001,2026-12-02 10:00:00,A,x,,1,80.00
T4,1001,2026-12-02 11:00:00,A,x,,1,50.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# each day: 80, then 20 of 50 up to the cap of 100
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "80 20 80 20" ]
	# the programme in force gives what loy-accrue credited, on the first
	# of the month as on any other day
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],260,260,0,2.60,2.60,0.00
[earn] cap_member_day,-60,-60,0,-0.60,-0.60,0.00
total,200,200,0,2.00,2.00,0.00
OUT
	ledger_ok
}

@test "what-if: receipts of one time are taken in the order loy-accrue took them, not by txn_id" {
	base
	members
	programme <<'EOF'
[rule first-of-the-day]
multiply = 2
limit = 1 per day
EOF
	# a till that writes the date alone: every receipt of the day at 00:00
	pos <<'EOF'
T9,1001,2026-12-01,A,x,,1,10.00
T10,1001,2026-12-01,A,x,,1,30.00
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(pts T9) $(pts T10)" = "20 30" ]
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],40,40,0,0.40,0.40,0.00
first-of-the-day,10,10,0,0.10,0.10,0.00
total,50,50,0,0.50,0.50,0.00
OUT
	ledger_ok
}

@test "what-if: returns take back and lower a cumulative spend as loy-accrue did, each period apart" {
	base
	printf 'member_id,name\n1001,Ann\n1002,Bob\n1003,Cy\n' | loy-enroll - >/dev/null 2>&1
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	# a return of part of a purchase in the same file; in a later file a
	# return of all of one, and a return of no known purchase
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S5,1001,2026-11-28 10:00:00,100.00,' \
	    'S1,1001,2026-12-01 10:00:00,120.00,' \
	    'R1,1001,2026-12-02 10:00:00,-50.00,S1' \
	    'S2,1002,2026-12-01 10:00:00,80.00,' \
	    'S6,1003,2026-12-01 10:00:00,10.00,'; } >day1.csv
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R2,1002,2026-12-05 10:00:00,-80.00,S2' \
	    'S3,1002,2026-12-06 10:00:00,30.00,' \
	    'R3,1003,2026-12-06 10:00:00,-5.00,' \
	    'S4,1003,2026-12-07 10:00:00,94.00,'; } >day2.csv
	run -0 --separate-stderr loy-accrue day1.csv
	credited=$(printf '%s\n' "${lines[@]:1}" | awk -F, '{ s += $5 } END { print s }')
	run -0 --separate-stderr loy-accrue day2.csv
	credited=$((credited + $(printf '%s\n' "${lines[@]:1}" | awk -F, '{ s += $5 } END { print s }')))
	# 1001: November's 100.00 reaches the mark, December's 120.00 too, until
	# 50.00 of it comes back; 1002: 80.00 returned, then 30.00; 1003: 10.00
	# - 5.00 + 94.00 = 99.00
	[ "$credited" = 1299 ]
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003)" = "1000 0 0" ]
	before=$(dump)
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-11-01 --to 2026-12-31
	# the programme in force gives what loy-accrue credited, row by row
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],434,434,0,4.34,4.34,0.00
big-spender,1000,1000,0,10.00,10.00,0.00
[return],-135,-135,0,-1.35,-1.35,0.00
total,1299,1299,0,12.99,12.99,0.00
OUT
	[ "$stderr" = "loy-program: p.conf from 2026-11-01 to 2026-12-31: 9 receipts, 1299 points given, 1299 under p.conf" ]
	# double points: a return takes back half of what its purchase would have
	# earned (S1 240 points, 50.00 of 120.00: 100; S2 all its 160), one of no
	# known purchase the base rate (5)
	printf '[rule double]\nmultiply = 2\n' >cand.conf
	cat p.conf >>cand.conf
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],334,334,0,3.34,3.34,0.00
double,0,334,334,0.00,3.34,3.34
big-spender,0,0,0,0.00,0.00,0.00
[return],-135,-265,-130,-1.35,-2.65,-1.30
total,199,403,204,1.99,4.03,2.04
OUT
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "what-if: an exchange's return lines lower its original's cumulative spend as loy-accrue did" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 50
EOF2
	# November: 120.00 reaches the mark; December: an exchange brings 30.00
	# of it back and buys 40.00, and November falls to 90.00
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-11-20 10:00:00,A,1,120.00,' \
	    'X1,1001,2026-12-05 10:00:00,A,-1,-30.00,S1' \
	    'X1,1001,2026-12-05 10:00:00,B,1,40.00,S1'; } >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[5]}" = 'X1,1001,2026-12-05 10:00:00,0.00,-50,bonus,"rule big-spender: period 2026-11 taken back: the spend is 90.00, below 100.00"' ]
	[ "$(bonus 1001)" = 0 ]
	# the programme in force gives what loy-accrue credited: the bonus given
	# and taken back, where what-if kept it
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-11-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],160,160,0,1.60,1.60,0.00
big-spender,0,0,0,0.00,0.00,0.00
[return],-30,-30,0,-0.30,-0.30,0.00
total,130,130,0,1.30,1.30,0.00
OUT
	# over December alone November's purchase counted towards nothing
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],40,40,0,0.40,0.40,0.00
big-spender,-50,0,50,-0.50,0.00,0.50
[return],-30,-30,0,-0.30,-0.30,0.00
total,-40,10,50,-0.40,0.10,0.50
OUT
	ledger_ok
}

@test "an exchange takes back what its original earned for the goods brought back, and its sales earn under the rules, and what-if re-runs the sales" {
	base
	members
	programme <<'EOF2'
[rule double-a]
sku = ^A$
multiply = 2
EOF2
	# S1 earned double on A: 200 for 100.00; X1 brings back 30.00 of it (60
	# of its points, not the 30 the base rate gives) and buys 50.00 of B
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-12-01 10:00:00,A,1,100.00,' \
	    'X1,1001,2026-12-05 10:00:00,A,-1,-30.00,S1' \
	    'X1,1001,2026-12-05 10:00:00,B,1,50.00,S1'; } >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
S1,1001,2026-12-01 10:00:00,100.00,200,credited,
X1,1001,2026-12-05 10:00:00,50.00,50,credited,
X1,1001,2026-12-05 10:00:00,-30.00,-60,returned,returns 30.00 of 'S1'
OUT
	[ "$(q "SELECT returned_amount, returned_points FROM receipts WHERE txn_id = 'S1'")" = "3000|60" ]
	[ "$(balances)" = "1001:190" ]
	# the programme in force gives what loy-accrue credited: the exchange's
	# sales earn under it, what its return lines took back stands
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],150,150,0,1.50,1.50,0.00
double-a,100,100,0,1.00,1.00,0.00
[return],-60,-60,0,-0.60,-0.60,0.00
total,190,190,0,1.90,1.90,0.00
OUT
	ledger_ok
}

@test "what-if: a later return of a purchase an exchange took from, and a return of the exchange's sales, take back what loy-accrue took" {
	base
	members
	programme <<'EOF2'
[earn]
points = 1
per = 1.00
EOF2
	# S1 earns 99; X1 brings back 40.00 of it, floor(99 x 40.00 / 99.99) =
	# 39 points, and buys 50.00; R1 returns the rest of S1, its 60 points
	# left; R2 half of what X1 bought, 25 of its 50
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-12-01 10:00:00,A,1,99.99,' \
	    'X1,1001,2026-12-05 10:00:00,A,-1,-40.00,S1' \
	    'X1,1001,2026-12-05 10:00:00,B,1,50.00,S1' \
	    'R1,1001,2026-12-06 10:00:00,A,-1,-59.99,S1' \
	    'R2,1001,2026-12-07 10:00:00,B,-1,-25.00,X1'; } >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	[ "$(q "SELECT group_concat(txn_id || ':' || points, ' ') FROM receipts WHERE txn_id GLOB 'R*'")" = "R1:-60 R2:-25" ]
	[ "$(balances)" = "1001:25" ]
	# the programme in force gives what loy-accrue took back, whether the
	# purchases are in the period or before it
	for from in 2026-12-01 2026-12-06; do
		run -0 --separate-stderr loy-program what-if p.conf --from $from --to 2026-12-31
		[ "$(grep -c ',0,[-0-9.]*,[-0-9.]*,0.00$' <<<"$output")" = "$((${#lines[@]} - 1))" ]
	done
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],0,0,0,0.00,0.00,0.00
[return],-85,-85,0,-0.85,-0.85,0.00
total,-85,-85,0,-0.85,-0.85,0.00
OUT
	ledger_ok
}

@test "what-if: a return of a purchase taken before an exchange of it that came earlier in the day is counted in the order loy-accrue took them" {
	base
	members
	programme <<'EOF2'
[earn]
points = 1
per = 1.00
EOF2
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-12-01 10:00:00,99.99\n' >s1.csv
	run -0 --separate-stderr loy-accrue s1.csv
	# R1 comes first in the file, though X1 is earlier in the day: R1
	# takes floor(99 x 40.00 / 99.99) = 39 points, X1's return lines
	# floor(99 x 70.00 / 99.99) - 39 = 30
	{ echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'; printf '%s\n' \
	    'R1,1001,2026-12-05 12:00:00,A,-1,-40.00,S1' \
	    'X1,1001,2026-12-05 10:00:00,A,-1,-30.00,S1' \
	    'X1,1001,2026-12-05 10:00:00,B,1,50.00,S1'; } >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	[ "$(q "SELECT group_concat(txn_id || ':' || points, ' ') FROM receipts WHERE txn_id GLOB '[RX]*'")" = "R1:-39 X1:20" ]
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-05 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],50,50,0,0.50,0.50,0.00
[return],-69,-69,0,-0.69,-0.69,0.00
total,-19,-19,0,-0.19,-0.19,0.00
OUT
	ledger_ok
}

@test "what-if: a cumulative or sign-up rule or an event the candidate does not have gives nothing on its side" {
	base
	programme <<'EOF2'
[rule welcome]
trigger = signup
bonus = 50

[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000

[event survey]
points = 20
EOF2
	printf 'member_id,name,enrolled_at\n1001,Ann,2026-12-01\n1002,Bob,2026-12-01\n' >members.csv
	run -0 --separate-stderr loy-enroll members.csv
	pos <<'EOF2'
T1,1001,2026-12-02 10:00:00,A,x,,1,60.00
T2,1001,2026-12-03 10:00:00,A,x,,1,60.00
T3,1002,2026-12-03 10:00:00,A,x,,1,30.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	printf 'event_id,member_id,event,occurred_at\nE1,1002,survey,2026-12-04 10:00:00\n' >ev.csv
	run -0 --separate-stderr loy-accrue --events ev.csv
	[ "$(bonus 1001) $(bonus 1002)" = "1050 70" ]
	# the programme in force gives what was given
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],150,150,0,1.50,1.50,0.00
welcome,100,100,0,1.00,1.00,0.00
big-spender,1000,1000,0,10.00,10.00,0.00
[event survey],20,20,0,0.20,0.20,0.00
total,1270,1270,0,12.70,12.70,0.00
OUT
	# without them: the rule's bonuses, the sign-ups' and the events' are saved
	printf '[rule double]\nmultiply = 2\n' >cand.conf
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],150,150,0,1.50,1.50,0.00
double,0,150,150,0.00,1.50,1.50
[event survey],20,0,-20,0.20,0.00,-0.20
big-spender,1000,0,-1000,10.00,0.00,-10.00
welcome,100,0,-100,1.00,0.00,-1.00
total,1270,300,-970,12.70,3.00,-9.70
OUT
	[ "$stderr" = "loy-program: cand.conf from 2026-12-01 to 2026-12-31: 3 receipts, 1270 points given, 300 under cand.conf" ]
	ledger_ok
}

# What loy-accrue gave in ledger $1 from $2 to $3, per rule, as
# "rule,points" (loy-report economics --per rule), and what a what-if in
# $output gives under its candidate, the same way: the honest check of a
# what-if is the candidate loaded into a copy of the ledger and the
# period's receipts imported into it.
accrued_per_rule() {
	loy-report -d "$1" economics --per rule --from "$2" --to "$3" 2>/dev/null |
	    awk -F, 'NR > 1 && $4 != 0 { print $1 "," $4 }' | sort
}

whatif_per_rule() {
	printf '%s\n' "$output" |
	    awk -F, 'NR > 1 && $1 != "total" && $3 != 0 { print $1 "," $3 }' | sort
}

@test "what-if counts a limited rule's uses from before --from, a merged record's too, as loy-accrue does" {
	base
	members
	programme <<'EOF2'
[rule once]
bonus = 40
limit = 1

[rule twice-a-month]
bonus = 5
limit = 2 per month
EOF2
	pos before.csv <<'EOF2'
T1,1001,2026-12-01 10:00:00,A,x,,1,10.00
T2,1002,2026-12-02 10:00:00,A,x,,1,10.00
T3,1003,2026-12-03 10:00:00,A,x,,1,10.00
T4,1003,2026-12-04 10:00:00,A,x,,1,10.00
EOF2
	run -0 --separate-stderr loy-accrue before.csv
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4)" = "55 55 55 15" ]
	run -0 --separate-stderr loy-enroll merge 1002 1004
	cp "$LOY_DB" copy.db
	pos period.csv <<'EOF2'
T5,1001,2026-12-10 10:00:00,A,x,,1,10.00
T6,1004,2026-12-11 10:00:00,A,x,,1,10.00
T7,1003,2026-12-12 10:00:00,A,x,,1,10.00
T8,1001,2026-12-13 10:00:00,A,x,,1,10.00
T9,1003,2027-01-05 10:00:00,A,x,,1,10.00
EOF2
	run -0 --separate-stderr loy-accrue period.csv
	[ "$(pts T5) $(pts T6) $(pts T7) $(pts T8) $(pts T9)" = "15 15 10 10 15" ]
	before=$(dump)
	# the programme in force over the period gives what loy-accrue
	# credited: no once-only bonus, each of 1001, 1002 (merged into 1004)
	# and 1003 had it before 10 December, nor a third bonus of December
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-10 --to 2027-01-10
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],50,50,0,0.50,0.50,0.00
once,0,0,0,0.00,0.00,0.00
twice-a-month,15,15,0,0.15,0.15,0.00
total,65,65,0,0.65,0.65,0.00
OUT
	# a candidate with bigger bonuses: T5, T6 and T9 get the one of the
	# month left (7 each), T7 and T8 none; once nobody
	printf '[rule once]\nbonus = 60\nlimit = 1\n[rule twice-a-month]\nbonus = 7\nlimit = 2 per month\n' >cand.conf
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-10 --to 2027-01-10
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],50,50,0,0.50,0.50,0.00
once,0,0,0,0.00,0.00,0.00
twice-a-month,15,21,6,0.15,0.21,0.06
total,65,71,6,0.65,0.71,0.06
OUT
	whatif=$(whatif_per_rule)
	[ "$(dump)" = "$before" ]
	ledger_ok
	# what loy-accrue gives under the candidate, loaded for 10 December into
	# a copy of the ledger as it was then, the same receipts imported
	run -0 --separate-stderr loy-program -d copy.db load cand.conf --from 2026-12-10
	run -0 --separate-stderr loy-accrue -d copy.db period.csv
	same "$(accrued_per_rule copy.db 2026-12-10 2027-01-10)" <<<"$whatif"
	[ "$(sqlite3 copy.db "SELECT group_concat(points, ' ') FROM (SELECT points FROM receipts WHERE txn_id >= 'T5' ORDER BY txn_id)")" = "17 17 10 10 17" ]
	ledger_ok copy.db
}

@test "what-if finds a first purchase as loy-accrue does: the first receipt to move points under the candidate" {
	base
	members
	programme <<'EOF2'
[rule no-tobacco]
category = ^tobacco$
exclude = yes
EOF2
	# 1001's first receipt, before the period, earned nothing
	{
		echo 'txn_id,member_id,occurred_at,store,category,amount'
		echo 'T1,1001,2026-11-20 10:00:00,S01,tobacco,10.00'
	} >before.csv
	run -0 --separate-stderr loy-accrue before.csv
	cp "$LOY_DB" copy.db
	# in the period: 1002's and 1004's first receipts earn nothing, 1003's
	# lottery ticket 10 points
	{
		echo 'txn_id,member_id,occurred_at,store,category,amount'
		echo 'T2,1001,2026-12-02 10:00:00,S01,food,10.00'
		echo 'T3,1002,2026-12-03 10:00:00,S01,tobacco,10.00'
		echo 'T4,1002,2026-12-04 10:00:00,S01,food,10.00'
		echo 'T5,1004,2026-12-05 10:00:00,S01,tobacco,10.00'
		echo 'T6,1004,2026-12-06 10:00:00,S01,food,10.00'
		echo 'T7,1003,2026-12-07 10:00:00,S02,lottery,10.00'
		echo 'T8,1003,2026-12-08 10:00:00,S01,food,10.00'
	} >period.csv
	run -0 --separate-stderr loy-accrue period.csv
	[ "$(pts T2) $(pts T3) $(pts T4) $(pts T5) $(pts T6) $(pts T7) $(pts T8)" = "10 0 10 0 10 10 10" ]
	# the candidate welcomes a first purchase in S01 and excludes lottery
	# too: T3 and T5 are the first to move points (the welcome), not T4 and
	# T6; T7 moves none, so T8 is 1003's first; T2 is 1001's, T1 having
	# moved none
	cat >cand.conf <<'EOF2'
[rule no-tobacco]
category = ^(tobacco|lottery)$
exclude = yes

[rule welcome]
trigger = first-purchase
bonus = 250
stores = S01
EOF2
	before=$(dump)
	run -0 --separate-stderr loy-program what-if cand.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],50,40,-10,0.50,0.40,-0.10
no-tobacco,0,0,0,0.00,0.00,0.00
welcome,0,1000,1000,0.00,10.00,10.00
total,50,1040,990,0.50,10.40,9.90
OUT
	whatif=$(whatif_per_rule)
	[ "$(dump)" = "$before" ]
	ledger_ok
	run -0 --separate-stderr loy-program -d copy.db load cand.conf --from 2026-12-01
	run -0 --separate-stderr loy-accrue -d copy.db period.csv
	same "$(accrued_per_rule copy.db 2026-12-01 2026-12-31)" <<<"$whatif"
	[ "$(sqlite3 copy.db "SELECT group_concat(points, ' ') FROM (SELECT points FROM receipts WHERE txn_id >= 'T2' ORDER BY txn_id)")" = "260 250 10 250 10 0 260" ]
	ledger_ok copy.db
}

@test "explain says why there is nothing to explain: merged or unknown member, anonymous receipt" {
	base
	members
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	pos <<'EOF2'
T1,,2026-12-10 10:00:00,X,,,1,5.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	run -66 --separate-stderr loy-accrue --explain member=1003
	[ "$stderr" = "loy-accrue: member '1003' was merged into '1001': explain member=1001" ]
	run -66 --separate-stderr loy-accrue --explain member=1004
	[ "$stderr" = "loy-accrue: member '1004' has earned no points yet" ]
	# one merged after it earned: its receipts under its own id, the
	# survivor's without them
	printf 'txn_id,member_id,occurred_at,amount\nT2,1004,2026-12-10 11:00:00,20.00\n' >m4.csv
	loy-accrue m4.csv >/dev/null 2>&1
	loy-enroll merge 1004 1001 >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue --explain member=1004
	[ "${#lines[@]}" = 2 ]
	[ "${lines[1]%%,*}" = T2 ]
	[ "$stderr" = "loy-accrue: member=1004: 1 row, $(q "SELECT points FROM receipts WHERE txn_id = 'T2'") points, as the journal holds" ]
	run -66 --separate-stderr loy-accrue --explain member=1001
	[ "$stderr" = "loy-accrue: member '1001' has earned no points yet" ]
	# an id no member has is bad data, as loy-report statement and
	# loy-enroll say it (65), not nothing to explain
	run -65 --separate-stderr loy-accrue --explain member=9999
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: unknown member '9999'" ]
	run -66 --separate-stderr loy-accrue --explain receipt=T1
	[ "$stderr" = "loy-accrue: receipt 'T1' has no member: it earned no points" ]
	ledger_ok
}

@test "explain of a return that took back nothing says it is a return, and what it still owes, not that it earned nothing" {
	base
	members
	# 1001 has no points: the return of goods bought elsewhere finds the
	# balance at zero; 1002's purchase of a free item earns nothing
	pos <<'EOF2'
R1,1001,2026-12-10 10:00:00,X,,,-1,-27.50
S2,1002,2026-12-10 11:00:00,X,,,1,0.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(q "SELECT unrecovered FROM receipts WHERE txn_id = 'R1'")" = 27 ]
	run -66 --separate-stderr loy-accrue --explain receipt=R1
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: receipt 'R1' is a return that took back no points: 27 points not recovered, the balance may not go below zero (still owed)" ]
	run -66 --separate-stderr loy-accrue --explain receipt=S2
	[ "$stderr" = "loy-accrue: receipt 'S2' earned no points" ]
	# one point owed: one point, as the return's own detail says it
	pos <<'EOF2'
R3,1003,2026-12-10 12:00:00,X,,,-1,-1.50
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "R3,1003,2026-12-10 12:00:00,-1.50,0,returned,1 point not recovered: the balance may not go below zero" ]
	run -66 --separate-stderr loy-accrue --explain receipt=R3
	[ "$stderr" = "loy-accrue: receipt 'R3' is a return that took back no points: 1 point not recovered, the balance may not go below zero (still owed)" ]
	ledger_ok
}

@test "explain with nothing to explain prints nothing, not even the header: a redirected run leaves an empty file" {
	base
	members
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	pos <<'EOF2'
T1,,2026-12-10 10:00:00,X,,,1,5.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	for what in 65:receipt=NOPE 66:receipt=T1 65:member=9999 66:member=1003 66:member=1004 66:entry=99; do
		run -"${what%%:*}" --separate-stderr loy-accrue --explain "${what#*:}"
		[ "$output" = "" ]
		[ -n "$stderr" ]
		run -"${what%%:*}" --separate-stderr loy-accrue --explain "${what#*:}" --table
		[ "$output" = "" ]
	done
	run -65 sh -c 'loy-accrue --explain receipt=NOPE >out.csv 2>/dev/null'
	[ ! -s out.csv ]
	ledger_ok
}

@test "a receipt settled in parts earns what it earns whole: a first purchase, limits, budgets, day caps" {
	base
	members
	programme <<'EOF'
[earn]
points = 1
per = 1.00
cap_member_day = 150

[rule first]
trigger = first-purchase
bonus = 100

[rule twice]
multiply = 2
limit = 1 per day

[rule b-lines]
sku = ^B
bonus = 30
limit = 1 per day

[rule small-budget]
bonus = 7
budget = 10
EOF
	# 1001's receipt T1 has a line at either end of the file, 1002 many
	# receipts between them, so that T1 is settled in two parts
	{
		echo 'T1,1001,2026-12-05 10:00:00,A,x,,1,10.00'
		for i in $(seq 1 60); do echo "X$i,1002,2026-12-05 11:00:00,A,x,,1,1.00"; done
		echo 'T1,1001,2026-12-05 10:00:00,B,x,,1,10.00'
	} | pos
	cp "$LOY_DB" whole.db
	run -0 --separate-stderr loy-accrue -d whole.db pos.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue pos.csv
	[[ "$output" == *"more lines of this receipt"* ]]
	# whole: 10 + 10 base, doubled, 30 for the B line, the budget's 7 and the
	# first purchase's 100 = 177, cut to the day's cap of 150
	[ "$(LOY_DB=whole.db pts T1)" = 150 ]
	[ "$(pts T1)" = 150 ]
	[ "$(q "SELECT json_extract(earn, '\$.receipt.\"small-budget\"') FROM receipts WHERE txn_id = 'T1'")" = 7 ]
	[ "$(balances)" = "$(LOY_DB=whole.db balances)" ]
	[ "$(q "SELECT rule, points FROM rule_totals")" = "small-budget|10" ]
	[ "$(q "SELECT rule, member_id, key FROM rule_awards ORDER BY 1, 2, 3")" = \
	    "$(sqlite3 whole.db "SELECT rule, member_id, key FROM rule_awards ORDER BY 1, 2, 3")" ]
	ledger_ok
	ledger_ok whole.db
}

@test "a receipt settled in parts counts towards a cumulative rule as the whole: its spend, one visit" {
	base
	members
	programme <<'EOF2'
[rule fifteen]
trigger = cumulative
spend = 15.00
period = month
bonus = 500

[rule big-receipts]
trigger = cumulative
spend = 15.00
min_amount = 15.00
period = month
bonus = 40

[rule two-visits]
trigger = cumulative
visits = 2
period = month
bonus = 300
EOF2
	# T1 of 20.00 has a line at either end of the file, 200 receipts of
	# 1002 between them, so that it is settled in two parts of 10.00
	{
		echo 'T1,1001,2026-12-05 10:00:00,A,x,,1,10.00'
		for i in $(seq 1 200); do echo "X$i,1002,2026-12-05 11:00:00,A,x,,1,0.01"; done
		echo 'T1,1001,2026-12-05 10:00:00,B,x,,1,10.00'
	} | pos
	cp "$LOY_DB" whole.db
	run -0 --separate-stderr loy-accrue -d whole.db pos.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue pos.csv
	[[ "$output" == *"T1,1001,2026-12-05 10:00:00,10.00,10,credited,more lines of this receipt"* ]]
	# 20.00 whole: 500 and 40, once; one visit of 1001, not two
	[ "$(LOY_DB=whole.db bonus 1001)" = 540 ]
	[ "$(bonus 1001)" = 540 ]
	[[ "$output" == *"T1,1001,2026-12-05 10:00:00,0.00,500,bonus,rule fifteen: period 2026-12"* ]]
	[ "$(balances)" = "$(LOY_DB=whole.db balances)" ]
	[ "$(q "SELECT rule, member_id, period, visits, spend FROM rule_progress ORDER BY 1, 2")" = \
	    "$(sqlite3 whole.db "SELECT rule, member_id, period, visits, spend FROM rule_progress ORDER BY 1, 2")" ]
	[ "$(q "SELECT rule, member_id, key FROM rule_awards ORDER BY 1, 2, 3")" = \
	    "$(sqlite3 whole.db "SELECT rule, member_id, key FROM rule_awards ORDER BY 1, 2, 3")" ]
	# taken again: nothing changes
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue pos.csv
	[ "$(bonus 1001)" = 540 ]
	ledger_ok
	ledger_ok whole.db
}

@test "a cumulative spend is net of returns: against their original's period, else their own" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = quarter
bonus = 1000
EOF2
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-10-01 10:00:00,80.00,' \
	    'R1,1001,2026-10-02 10:00:00,-80.00,S1' \
	    'S2,1001,2026-10-03 10:00:00,30.00,' \
	    'S3,1002,2026-09-30 10:00:00,60.00,' \
	    'R2,1002,2026-10-01 10:00:00,-20.00,S3' \
	    'S4,1002,2026-10-02 10:00:00,100.00,' \
	    'R3,1003,2026-10-01 10:00:00,-5.00,' \
	    'S5,1003,2026-10-02 10:00:00,104.00,'; } >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	# 1001: 80.00 returned in full, then 30.00: no bonus; 1002: the return of
	# 20.00 of a purchase of Q3 lowers Q3, and Q4's 100.00 earns it; 1003: a
	# return of no known purchase lowers its own quarter: 104.00 - 5.00
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003)" = "0 1000 0" ]
	[ "$(q "SELECT member_id, period, visits, spend FROM rule_progress ORDER BY 1, 2")" = \
	    "$(printf '1001|2026-Q4|2|3000\n1002|2026-Q3|1|4000\n1002|2026-Q4|1|10000\n1003|2026-Q4|1|9900')" ]
	ledger_ok
}

@test "a return settled in parts takes off the spend what it takes whole" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = quarter
bonus = 1000
EOF2
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nS1,1004,2026-10-01 10:00:00,A,1,50.00,\nS2,1003,2026-10-01 10:00:00,A,1,50.00,\n' >day1.csv
	# T1, a sale of 10.00 and a return of 40.00 of S1: a return of 30.00; T2
	# a return of 20.00 of S2 and a sale of 25.00: a purchase of 5.00; each
	# with a line at either end of the file
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		echo 'T1,1004,2026-10-05 10:00:00,B,1,10.00,S1'
		echo 'T2,1003,2026-10-05 10:00:00,A,-1,-20.00,S2'
		for i in $(seq 1 200); do echo "X$i,1002,2026-10-05 11:00:00,A,1,0.01,"; done
		echo 'T1,1004,2026-10-05 10:00:00,A,-1,-40.00,S1'
		echo 'T2,1003,2026-10-05 10:00:00,B,1,25.00,S2'
	} >day2.csv
	run -0 --separate-stderr loy-accrue day1.csv
	cp "$LOY_DB" whole.db
	run -0 --separate-stderr loy-accrue -d whole.db day2.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue day2.csv
	[[ "$output" == *"T1,1004,2026-10-05 10:00:00,-40.00,"*",returned,"* ]]
	[[ "$output" == *"T2,1003,2026-10-05 10:00:00,25.00,"*",credited,more lines of this receipt"* ]]
	# 1004: 50.00 - 30.00; 1003: 50.00 + 5.00, in two visits
	[ "$(q "SELECT member_id, visits, spend FROM rule_progress WHERE member_id <> '1002' ORDER BY 1")" = \
	    "$(printf '1003|2|5500\n1004|1|2000')" ]
	[ "$(q "SELECT member_id, visits, spend FROM rule_progress ORDER BY 1")" = \
	    "$(sqlite3 whole.db "SELECT member_id, visits, spend FROM rule_progress ORDER BY 1")" ]
	ledger_ok
	ledger_ok whole.db
}

# The same receipts settled whole (ledger whole.db, its lines one after
# another in whole.csv) and in parts (the ledger, the lines of parts.csv far
# apart): the cumulative bonuses' entries, awards and rows, the progress and
# the balances must be the same.
same_bonuses() {
	local j="SELECT member_id, kind, points, ref FROM journal WHERE kind = 'bonus' ORDER BY member_id, entry_id"
	local w="SELECT rule, member_id, period, key, points FROM rule_awards ORDER BY 1, 2, 3, 4"
	local g="SELECT rule, member_id, period, visits, spend FROM rule_progress ORDER BY 1, 2, 3"
	[ "$(q "$j")" = "$(sqlite3 whole.db "$j")" ]
	[ "$(q "$w")" = "$(sqlite3 whole.db "$w")" ]
	[ "$(q "$g")" = "$(sqlite3 whole.db "$g")" ]
	[ "$(balances)" = "$(LOY_DB=whole.db balances)" ]
	[ "$(grep ',bonus,' parts.out | sort)" = "$(grep ',bonus,' whole.out | sort)" ]
}

# The receipts on standard input, their parts separated by '|', into
# whole.csv (each receipt's lines together) and parts.csv (each part 150
# anonymous receipts after the one before); the ledger copied to whole.db.
split_receipts() {
	local h='txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
	cat >receipts.txt
	awk -v h="$h" 'BEGIN { print h } { gsub(/\|/, "\n"); print }' receipts.txt >whole.csv
	awk -v h="$h" 'BEGIN { print h } { n = split($0, p, "|"); for (i = 1; i <= n; i++) part[i] = part[i] p[i] "\n"; if (n > np) np = n }
	    END { for (i = 1; i <= np; i++) { printf "%s", part[i]; for (k = 1; k <= 150; k++) print "F" i "-" k ",,2026-12-05 11:00:00,Z,1,0.01," } }' receipts.txt >parts.csv
	cp "$LOY_DB" whole.db
}

# As same_bonuses, and the members' receipts with what was returned of them,
# the points each receipt moved in the journal (in one entry or in one a
# part), the open lots, and the output rows of the members' receipts (their
# amounts and points added up, the status of the last; a receipt set aside
# is compared by its rejects).
same_ledger() {
	local r="SELECT txn_id, member_id, amount, points, status, returned_amount, returned_points FROM receipts WHERE member_id IS NOT NULL ORDER BY 1"
	local j="SELECT member_id, kind = 'bonus', ref, sum(points) FROM journal WHERE source = 'receipt' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	local o="SELECT member_id, sum(remaining) FROM lots GROUP BY 1 ORDER BY 1"
	local rows='$2 != "" && $1 != "txn_id" && $6 != "bonus" && $6 != "rejected" && $6 != "conflict" { k = $1 "," $2; a[k] += $4 * 100; p[k] += $5; st[k] = $6 }
	    END { for (k in a) print k "," st[k] "," a[k] "," p[k] }'
	same_bonuses
	same "$(q "$r")" <<<"$(sqlite3 whole.db "$r")"
	same "$(q "$j")" <<<"$(sqlite3 whole.db "$j")"
	same "$(q "$o")" <<<"$(sqlite3 whole.db "$o")"
	same "$(awk -F, "$rows" parts.out | sort)" <<<"$(awk -F, "$rows" whole.out | sort)"
}

@test "a receipt settled in parts gives and takes back a cumulative bonus as the whole does, not on the way" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	# 1003 held December's bonus with 40.00; 1004 November's, and 30.00 in December
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S3,1003,2026-12-01 10:00:00,A,1,40.00,' 'S4,1004,2026-11-01 10:00:00,A,1,40.00,' \
	    'S5,1004,2026-12-01 10:00:00,A,1,30.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001: 50.00 and a line returned: 30.00, below the mark; 1002: 50.00,
	# 20.00 returned, 30.00 more: 60.00, at the mark once; 1003: 20.00 of S3
	# returned and 30.00 bought: 10.00 more; 1004: 20.00 bought and 30.00 of
	# S4 returned: a return of 10.00 of November, December untouched
	split_receipts <<'EOF2'
T1,1001,2026-12-05 10:00:00,A,1,50.00,|T1,1001,2026-12-05 10:00:00,B,-1,-20.00,
T2,1002,2026-12-05 10:00:00,A,1,50.00,|T2,1002,2026-12-05 10:00:00,B,-1,-20.00,|T2,1002,2026-12-05 10:00:00,C,1,30.00,
T3,1003,2026-12-05 10:00:00,B,-1,-20.00,S3|T3,1003,2026-12-05 10:00:00,C,1,30.00,S3
T4,1004,2026-12-05 10:00:00,A,1,20.00,S4|T4,1004,2026-12-05 10:00:00,B,-1,-30.00,S4
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c 'more lines of this receipt' parts.out)" = 5 ]
	same_bonuses
	# no bonus for 1001, one for 1002, 1003 keeps its own, 1004 gives back November's
	same "$(grep ',bonus,' parts.out | sort)" <<'EOF2'
T2,1002,2026-12-05 10:00:00,0.00,500,bonus,rule forty: period 2026-12
T4,1004,2026-12-05 10:00:00,0.00,-500,bonus,"rule forty: period 2026-11 taken back: the spend is 30.00, below 40.00"
EOF2
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'bonus'")" = 4 ]
	ledger_ok
	ledger_ok whole.db
}

@test "a return without orig_txn settled in parts takes off its period's spend what the whole takes off" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	# December: 1001 30.00; 1002 and 1003 50.00, the bonus held
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S1,1001,2026-12-01 10:00:00,A,1,30.00,' 'S2,1002,2026-12-01 10:00:00,A,1,50.00,' \
	    'S3,1003,2026-12-01 10:00:00,A,1,50.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001: 20.00 bought, 30.00 returned: a return of 10.00, 20.00 left;
	# 1002: 5.00 and 10.00 returned: 35.00 left; 1003: 20.00 returned, 5.00
	# bought: a return of 15.00, 35.00 left: both below the mark
	split_receipts <<'EOF2'
T1,1001,2026-12-05 10:00:00,A,1,20.00,|T1,1001,2026-12-05 10:00:00,B,-1,-30.00,
T2,1002,2026-12-05 10:00:00,A,-1,-5.00,|T2,1002,2026-12-05 10:00:00,B,-1,-10.00,
T3,1003,2026-12-05 10:00:00,A,-1,-20.00,|T3,1003,2026-12-05 10:00:00,B,1,5.00,
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c 'more lines of this receipt' parts.out)" = 3 ]
	same_bonuses
	[ "$(q "SELECT member_id, spend FROM rule_progress ORDER BY 1")" = \
	    "$(printf '1001|2000\n1002|3500\n1003|3500')" ]
	[ "$(balances)" = "$(printf '1001:20\n1002:35\n1003:35')" ]
	ledger_ok
	ledger_ok whole.db
}

@test "a purchase settled in parts whose later lines change it under its returns gives the member, the bonuses and what-if what the whole gives" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500

[rule basket]
min_amount = 20.00
bonus = 50
EOF2
	# 1001: S1 50.00 earns 100 (basket); R1 returns 20.00 of it, 40 of
	# its points; S1's later line of -35.00 leaves 15.00, no basket: 15
	# points, and R1 returns all of it, which owes 15: R1 took 40, and S1
	# keeps 25 more for it; the period's spend 0, no bonus.  1002: S2
	# 60.00, R2 returns
	# 30.00 of it in another month, S2's later line -20.00: 40.00 spent in
	# November, 30.00 of it back, the bonus taken back.  1003: S3 10.00,
	# R3 returns 25.00, S3 grows by 35.00 to 45.00: R3 returns 25.00 of it
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'T1,1001,2026-11-01 09:00:00,Z,1,10.00,' 'T2,1002,2026-11-01 09:00:00,Z,1,10.00,' \
	    'T3,1003,2026-11-01 09:00:00,Z,1,10.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	split_receipts <<'EOF2'
S1,1001,2026-11-05 10:00:00,A,1,50.00,|S1,1001,2026-11-05 10:00:00,B,-1,-35.00,
R1,1001,2026-11-05 11:00:00,A,-1,-20.00,S1
S2,1002,2026-11-05 10:00:00,A,1,60.00,|S2,1002,2026-11-05 10:00:00,B,-1,-20.00,
R2,1002,2026-12-05 11:00:00,A,-1,-30.00,S2
S3,1003,2026-11-05 10:00:00,A,1,10.00,|S3,1003,2026-11-05 10:00:00,B,1,35.00,
R3,1003,2026-11-05 11:00:00,A,-1,-25.00,S3
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	same "$(balances)" <<<"$(LOY_DB=whole.db balances)"
	local g="SELECT rule, member_id, period, visits, spend FROM rule_progress ORDER BY 1, 2, 3"
	local r="SELECT txn_id, amount, returned_amount FROM receipts WHERE member_id IS NOT NULL ORDER BY 1"
	same "$(q "$g")" <<<"$(sqlite3 whole.db "$g")"
	same "$(q "$r")" <<<"$(sqlite3 whole.db "$r")"
	[ "$(q "SELECT points || ' ' || returned_points || ' ' || (earn -> 'receipt') FROM receipts WHERE txn_id = 'S1'")" = '40 40 {"[return] taken before":25}' ]
	ledger_ok
	ledger_ok whole.db
	# the programme in force gives what loy-accrue credited, as of the whole
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-11-01 --to 2026-12-31
	[ "$(grep -c ',0,[-0-9.]*,[-0-9.]*,0.00$' <<<"$output")" = "$((${#lines[@]} - 1))" ]
	want=$output
	run -0 --separate-stderr loy-program -d whole.db what-if p.conf --from 2026-11-01 --to 2026-12-31
	[ "$output" = "$want" ]
}

@test "a return against its original settled in parts whose later lines are sales takes off the original what the whole takes off" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	# November: 1001 and 1003 50.00, the bonus held; 1004 30.00; December:
	# 1002 50.00, the bonus held
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S1,1001,2026-11-01 10:00:00,A,1,50.00,' 'S2,1002,2026-12-01 10:00:00,A,1,50.00,' \
	    'S3,1003,2026-11-01 10:00:00,A,1,50.00,' 'S4,1004,2026-11-01 10:00:00,A,3,30.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# 1001: 20.00 of S1 returned, 15.00 bought: a return of 5.00, 45.00
	# left, the bonus kept; 1003: 20.00 returned, 5.00 and 2.00 bought: a
	# return of 13.00, 37.00 left, the bonus taken back; 1004: 40.00
	# returned, 5.00 bought: 35.00, of which only S4's 30.00 was left;
	# 1002: 20.00 of a receipt not known, 5.00 bought: 15.00 at the rate,
	# off December's spend: 35.00, the bonus taken back
	split_receipts <<'EOF2'
T1,1001,2026-12-05 10:00:00,A,-1,-20.00,S1|T1,1001,2026-12-05 10:00:00,B,1,15.00,S1
T2,1002,2026-12-05 10:00:00,A,-1,-20.00,X9|T2,1002,2026-12-05 10:00:00,B,1,5.00,X9
T3,1003,2026-12-05 10:00:00,A,-1,-20.00,S3|T3,1003,2026-12-05 10:00:00,B,1,5.00,S3|T3,1003,2026-12-05 10:00:00,C,1,2.00,S3
T4,1004,2026-12-05 10:00:00,A,-1,-40.00,S4|T4,1004,2026-12-05 10:00:00,B,1,5.00,S4
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c 'more lines of this receipt' parts.out)" = 3 ]
	same_ledger
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id GLOB '[ST]*' ORDER BY 1")" <<'EOF2'
S1|5000|50|500|5
S2|5000|50|0|0
S3|5000|50|1300|13
S4|3000|30|3000|30
T1|-500|-5|-500|0
T2|-1500|-15|0|0
T3|-1300|-13|-1300|0
T4|-3500|-30|-3000|0
EOF2
	same "$(q "SELECT member_id, period, spend FROM rule_progress ORDER BY 1, 2")" <<'EOF2'
1001|2026-11|4500
1002|2026-12|3500
1003|2026-11|3700
1004|2026-11|0
EOF2
	same "$(grep ',bonus,' parts.out)" <<'EOF2'
T2,1002,2026-12-05 10:00:00,0.00,-500,bonus,"rule forty: period 2026-12 taken back: the spend is 35.00, below 40.00"
T3,1003,2026-12-05 10:00:00,0.00,-500,bonus,"rule forty: period 2026-11 taken back: the spend is 37.00, below 40.00"
EOF2
	ledger_ok
	ledger_ok whole.db
}

@test "a receipt settled in parts whose first part comes to 0.00 and the whole to a return counts no visit" {
	base
	members
	programme <<'EOF2'
[rule two]
trigger = cumulative
visits = 2
period = month
bonus = 300
EOF2
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S1,1001,2026-12-01 10:00:00,A,1,50.00,' 'S2,1002,2026-12-01 10:00:00,A,1,50.00,' \
	    'S3,1003,2026-12-01 10:00:00,A,1,50.00,' 'S4,1004,2026-12-01 10:00:00,A,1,30.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# each has one visit in December; T1 and T3 come to 0.00, then return
	# 5.00 of their original: a return, no visit; T2 the same without
	# orig_txn; T4 comes to 0.00, then 5.00 bought: the second visit
	split_receipts <<'EOF2'
T1,1001,2026-12-05 10:00:00,A,1,10.00,S1|T1,1001,2026-12-05 10:00:00,B,-1,-10.00,S1|T1,1001,2026-12-05 10:00:00,C,-1,-5.00,S1
T2,1002,2026-12-05 10:00:00,A,1,10.00,|T2,1002,2026-12-05 10:00:00,B,-1,-10.00,|T2,1002,2026-12-05 10:00:00,C,-1,-5.00,
T3,1003,2026-12-05 10:00:00,A,1,0.00,S3|T3,1003,2026-12-05 10:00:00,C,-1,-5.00,S3
T4,1004,2026-12-05 10:00:00,A,1,0.00,|T4,1004,2026-12-05 10:00:00,C,1,5.00,
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c 'more lines of this receipt' parts.out)" = 6 ]
	same_ledger
	same "$(q "SELECT member_id, visits, spend FROM rule_progress ORDER BY 1")" <<'EOF2'
1001|1|4500
1002|1|4500
1003|1|4500
1004|2|3500
EOF2
	same "$(grep ',bonus,' parts.out)" <<'EOF2'
T4,1004,2026-12-05 10:00:00,0.00,300,bonus,rule two: period 2026-12
EOF2
	[ "$(balances)" = "$(printf '1001:45\n1002:45\n1003:45\n1004:335')" ]
	ledger_ok
	ledger_ok whole.db
}

@test "a receipt settled in parts whose later lines make it a return gives no referral bonus, as the whole gives none" {
	base
	members
	programme <<'EOF2'
[rule bring]
trigger = referral
referral_on = first-purchase
referral_to = both
bonus = 200

[rule every]
trigger = referral
referral_on = every-purchase
bonus = 10
EOF2
	# 1002 and 1004, referred by 1001, have points to give back; 1004's
	# first purchase gives its bonuses, 1002 has none
	give_points 1002 100
	give_points 1004 100
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S4,1004,2026-11-01 10:00:00,A,1,50.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	bonuses=$(q "SELECT member_id, points, ref FROM journal WHERE kind = 'bonus' ORDER BY entry_id")
	same "$bonuses" <<'EOF2'
1001|200|bring
1004|200|bring
1001|10|every
EOF2
	awards=$(q "SELECT rule, member_id, key FROM rule_awards ORDER BY award_id")
	# 1002's first purchase of 10.00 becomes a return of 20.00 of S9, not
	# known; 1004's purchase of 20.00 a return of 30.00
	split_receipts <<'EOF2'
T2,1002,2026-12-05 10:00:00,A,1,10.00,S9|T2,1002,2026-12-05 10:00:00,B,-1,-30.00,S9
T4,1004,2026-12-05 10:00:00,A,1,20.00,|T4,1004,2026-12-05 10:00:00,B,-1,-50.00,
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	same_ledger
	! grep ',bonus,' parts.out || false
	[ "$(q "SELECT member_id, points, ref FROM journal WHERE kind = 'bonus' ORDER BY entry_id")" = "$bonuses" ]
	[ "$(q "SELECT rule, member_id, key FROM rule_awards ORDER BY award_id")" = "$awards" ]
	[ "$(balances)" = "$(printf '1001:210\n1002:80\n1004:320')" ]
	ledger_ok
	ledger_ok whole.db
}

@test "a return settled in parts takes back the referral bonuses the whole return takes back, once" {
	base
	members
	programme <<'EOF2'
[rule bring]
trigger = referral
referral_on = first-purchase
referral_to = both
bonus = 200

[rule every]
trigger = referral
referral_on = every-purchase
bonus = 10
EOF2
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S2,1002,2026-12-01 10:00:00,A,1,50.00,' 'S4,1004,2026-12-01 10:00:00,A,1,20.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(balances)" = "$(printf '1001:420\n1002:250\n1004:220')" ]
	# 1002 returns all of S2 in two parts; 1004 all of S4 in its first
	# part, which a sale in its second leaves a return of 15.00
	split_receipts <<'EOF2'
R2,1002,2026-12-05 10:00:00,A,-1,-30.00,S2|R2,1002,2026-12-05 10:00:00,B,-1,-20.00,S2
R4,1004,2026-12-05 10:00:00,A,-1,-20.00,S4|R4,1004,2026-12-05 10:00:00,B,1,5.00,S4
EOF2
	loy-accrue -d whole.db whole.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c 'more lines of this receipt' parts.out)" = 2 ]
	same_ledger
	same "$(grep ',bonus,' parts.out)" <<'EOF2'
R2,1001,2026-12-05 10:00:00,0.00,-200,bonus,rule bring: referred member 1002 taken back: receipt S2 returned in full
R2,1002,2026-12-05 10:00:00,0.00,-200,bonus,rule bring: referred by 1001 taken back: receipt S2 returned in full
R2,1001,2026-12-05 10:00:00,0.00,-10,bonus,rule every: referred member 1002 taken back: receipt S2 returned in full
EOF2
	[ "$(balances)" = "$(printf '1001:210\n1002:0\n1004:205')" ]
	ledger_ok
	ledger_ok whole.db
}

@test "later lines of a receipt settled in parts that a pattern gives up on set aside its earlier part too" {
	base
	members
	programme <<'EOF2'
[rule digits]
sku = ^(\d+\s?)+$
multiply = 2

[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	printf '%s\n' 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn' \
	    'S1,1001,2026-11-01 10:00:00,A,1,50.00,' 'S3,1003,2026-12-01 10:00:00,A,1,50.00,' >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# returns of 20.00, of S1 and at the current rate, then a line the
	# pattern gives up on, that would make each a purchase
	slow=$(printf '1%.0s' $(seq 40))x
	split_receipts <<EOF2
T1,1001,2026-12-05 10:00:00,A,-1,-20.00,S1|T1,1001,2026-12-05 10:00:00,$slow,1,30.00,S1
T3,1003,2026-12-05 10:00:00,A,-1,-20.00,|T3,1003,2026-12-05 10:00:00,$slow,1,30.00,
EOF2
	before=$(dump)
	LOY_RECEIPT_MEMORY=1024 run -65 --separate-stderr loy-accrue parts.csv
	[ "${stderr_lines[0]}" = "loy-accrue: parts.csv:154: rule 'digits' cannot be decided: its sku pattern gave up on the receipt's line 2 (PCRE2's match limit)" ]
	[ "$(dump)" = "$before" ]
	# set aside, each receipt is set aside whole, its earlier part too: the
	# ledger is what the other receipts alone make it (in whole.db), S1
	# with nothing returned, no spend taken off, no bonus taken back
	grep -v '^T' parts.csv >others.csv
	loy-accrue -d whole.db others.csv >whole.out 2>/dev/null
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej.csv parts.csv
	printf '%s\n' "$output" >parts.out
	[ "$(grep -c '^T[13],' rej.csv)" = 4 ]
	[ "$(grep '^T[13],' parts.out | cut -d, -f1,5,6 | sort | tr '\n' ' ')" = "T1,0,rejected T3,0,rejected " ]
	same_ledger
	same "$(q "SELECT txn_id, amount, points, returned_amount FROM receipts WHERE txn_id GLOB '[ST]*' ORDER BY 1")" <<'EOF2'
S1|5000|50|0
S3|5000|50|0
EOF2
	[ "$(grep -c ',bonus,' parts.out)" = 0 ]
	ledger_ok
	ledger_ok whole.db
}

@test "a receipt split over two files of a run is refused in the second: no cumulative bonus given and taken back" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	printf 'txn_id,member_id,occurred_at,sku,qty,amount\nT1,1001,2026-12-05 10:00:00,A,1,50.00\n' >a.csv
	printf 'txn_id,member_id,occurred_at,sku,qty,amount\nT1,1001,2026-12-05 10:00:00,B,-1,-20.00\n' >b.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue a.csv b.csv
	[[ "$stderr" == *"loy-accrue: b.csv:2: receipt 'T1' was taken from 'a.csv' earlier in this run with other content"* ]]
	[ "$(dump)" = "$before" ]
	# set aside, the first file's part is the receipt, with its bonus once
	run -1 --separate-stderr loy-accrue --rejects rej.csv a.csv b.csv
	same "$output" <<'EOF2'
txn_id,member_id,occurred_at,amount,points,status,detail
T1,1001,2026-12-05 10:00:00,50.00,50,credited,
T1,1001,2026-12-05 10:00:00,0.00,500,bonus,rule forty: period 2026-12
T1,1001,2026-12-05 10:00:00,-20.00,0,conflict,receipt 'T1' was taken from 'a.csv' earlier in this run with other content
EOF2
	[ "$(q "SELECT kind, points FROM journal ORDER BY entry_id")" = "$(printf 'earn|50\nbonus|500')" ]
	[ "$(q "SELECT key, points FROM rule_awards")" = "2026-12|500" ]
	# and so in a later run
	run -65 --separate-stderr loy-accrue b.csv
	ledger_ok
}

@test "a receipt settled in parts with another receipt of its member settled between them settles its bonus as it stood then" {
	base
	members
	programme <<'EOF2'
[rule forty]
trigger = cumulative
spend = 40.00
period = month
bonus = 500
EOF2
	# T1, 50.00 then a line of 20.00 returned, far apart; S1 of 1001 right
	# after its first part, settled with it
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		echo 'T1,1001,2026-12-05 10:00:00,A,1,50.00,'
		echo 'S1,1001,2026-12-05 10:30:00,A,1,1.00,'
		for i in $(seq 1 150); do echo "F$i,,2026-12-05 11:00:00,Z,1,0.01,"; done
		echo 'T1,1001,2026-12-05 10:00:00,B,-1,-20.00,'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	# S1 comes after 50.00 of T1: the bonus; T1's return line takes it back
	[ "$(q "SELECT points FROM journal WHERE kind = 'bonus' ORDER BY entry_id")" = "$(printf '500\n-500')" ]
	[ "$(balances | head -1)" = "1001:31" ]
	ledger_ok
}

@test "a pattern's \\b and \\w know only ASCII, unless it begins with (*UCP)" {
	base
	members
	programme <<'EOF2'
[rule coffee-unicode]
description = (*UCP)\bcafé\b
bonus = 50

[rule coffee-ascii]
description = \bcafé\b
bonus = 7

[rule word-unicode]
description = (*UCP)^th\w$
bonus = 300

[rule word-ascii]
description = ^th\w$
bonus = 2000
EOF2
	pos <<'EOF2'
T1,1001,2026-12-01 10:00:00,A,x,un café noir,1,1.00
T2,1001,2026-12-01 10:00:00,A,x,cafés,1,1.00
T3,1001,2026-12-01 10:00:00,A,x,thé,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	# T1: only (*UCP) sees é as a word character, so a boundary after it;
	# T2: ASCII sees one between é and s; T3: é is a word character to
	# (*UCP) alone
	[ "$(pts T1) $(pts T2) $(pts T3)" = "51 8 301" ]
	ledger_ok
}

@test "a rule's stores, channels, tiers or segments may not name an empty one; a stored version that does still reads" {
	base
	members
	cat >p.conf <<'EOF2'
[rule a]
multiply = 2
stores = S1,,S2

[rule b]
multiply = 3
channels = web,

[rule c]
bonus = 5
segments = , vip
EOF2
	before=$(dump)
	for verb in check load; do
		run -65 --separate-stderr loy-program $verb p.conf
		same "$(printf '%s\n' "${stderr_lines[@]:0:3}")" <<'OUT'
loy-program: p.conf:3: stores 'S1,,S2' names an empty store
loy-program: p.conf:7: channels 'web,' names an empty channel
loy-program: p.conf:11: segments ', vip' names an empty segment
OUT
		[ "${#stderr_lines[@]}" = 4 ]
	done
	[ "$(dump)" = "$before" ]
	# a version loaded before this was refused reads as it was: S1 and S2
	printf '[rule a]\nmultiply = 2\nstores = S1,,S2\n' >old.conf
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'))"
	printf 'txn_id,member_id,occurred_at,store,amount\nT1,1001,2026-12-01 10:00:00,S2,10.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(pts T1)" = 20 ]
	ledger_ok
}

@test "a stored version whose days or hours name an empty one still reads as it did" {
	base
	members
	# loaded before an empty item was refused: tue and 10:00 to 10:59
	printf '[rule tuesday]\nmultiply = 2\ndays = tue,,\nhours = ,10\n' >old.conf
	run -65 --separate-stderr loy-program check old.conf
	[ "${stderr_lines[0]}" = "loy-program: old.conf:3: days 'tue,,' names an empty day" ]
	sqlite3 "$LOY_DB" "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 'old.conf', '$(sha256sum <old.conf | cut -d' ' -f1)', readfile('old.conf'))"
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-12-01 10:00:00,10.00\nT2,1001,2026-12-01 11:00:00,10.00\nT3,1001,2026-12-02 10:00:00,10.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(pts T1) $(pts T2) $(pts T3)" = "20 10 10" ]
	ledger_ok
}

# ---------------------------------------------------------------- merges

@test "after a merge: no second first-purchase or once-only bonus, and a limit counts both records' uses" {
	base
	members
	programme <<'EOF2'
[rule first-shop]
trigger = first-purchase
bonus = 250

[rule once]
bonus = 40
limit = 1

[rule twice-a-month]
bonus = 5
limit = 2 per month
EOF2
	pos day1.csv <<'EOF2'
T1,1001,2026-12-01 10:00:00,A,x,,1,1.00
T2,1002,2026-12-01 10:00:00,A,x,,1,1.00
T3,1004,2026-12-01 11:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	# each the first purchase of its member: 1 + 250 + 40 + 5
	[ "$(pts T1) $(pts T2) $(pts T3)" = "296 296 296" ]
	# 1003 never bought; 1004 bought as 1002 did
	run -0 --separate-stderr loy-enroll merge 1001 1003
	run -0 --separate-stderr loy-enroll merge 1002 1004
	pos day2.csv <<'EOF2'
T4,1003,2026-12-02 10:00:00,A,x,,1,1.00
T5,1003,2026-12-03 10:00:00,A,x,,1,1.00
T6,1004,2026-12-02 10:00:00,A,x,,1,1.00
T7,1004,2027-01-02 10:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue day2.csv
	# T4: 1001 had the first purchase and the once-only bonus: 1 + the
	# month's second 5; T5: the month's two are used; T6: 1002's and T3's
	# are the month's two; T7: a new month
	[ "$(pts T4) $(pts T5) $(pts T6) $(pts T7)" = "6 1 1 6" ]
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1003:303\n1004:599')" ]
	# the uses stay with the record that had them
	[ "$(q "SELECT group_concat(member_id || ' ' || rule || ' ' || key, ', ') FROM
	    (SELECT * FROM rule_awards WHERE key LIKE 'T_' ORDER BY rule, key)")" = \
	    "1001 once T1, 1002 once T2, 1004 once T3, 1001 twice-a-month T1, 1002 twice-a-month T2, 1004 twice-a-month T3, 1003 twice-a-month T4, 1004 twice-a-month T7" ]
	ledger_ok
}

@test "after a merge the referrer has no second bonus on a first purchase" {
	base
	members
	programme <<'EOF2'
[rule refer-a-friend]
trigger = referral
referral_to = referrer
referral_on = first-purchase
bonus = 100
EOF2
	# 2002 is 1002 again, enrolled twice, both referred by 1001
	printf 'member_id,name,referrer\n2002,Bob,1001\n' >dup.csv
	run -0 --separate-stderr loy-enroll dup.csv
	pos day1.csv <<'EOF2'
T1,1002,2026-12-01 10:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(bonus 1001)" = 100 ]
	run -0 --separate-stderr loy-enroll merge 1002 2002
	pos day2.csv <<'EOF2'
T2,2002,2026-12-02 10:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue day2.csv
	# 1002 made the first purchase: T2 is none
	[ "$(bonus 1001)" = 100 ]
	[ "$(balances)" = "$(printf '1001:100\n1002:0\n2002:2')" ]
	ledger_ok
}

@test "after a merge the survivor's cumulative progress holds both records' visits and spend, and a period's bonus is paid once" {
	base
	members
	programme <<'EOF2'
[rule regular]
trigger = cumulative
visits = 4
period = month
bonus = 300

[rule big-spender]
trigger = cumulative
spend = 100.00
period = quarter
bonus = 1000
EOF2
	pos day1.csv <<'EOF2'
T1,1001,2026-12-01 10:00:00,A,x,,1,30.00
T2,1001,2026-12-02 10:00:00,A,x,,1,30.00
T3,1003,2026-12-03 10:00:00,A,x,,1,20.00
T4,1002,2026-12-01 10:00:00,A,x,,1,30.00
T5,1002,2026-12-02 10:00:00,A,x,,1,30.00
T6,1002,2026-12-03 10:00:00,A,x,,1,30.00
T7,1002,2026-12-04 10:00:00,A,x,,1,30.00
T8,1004,2026-12-04 10:00:00,A,x,,1,30.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	# 1002 reached both marks: 300 + 1000; 1001 and 1003 neither
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003) $(bonus 1004)" = "0 1300 0 0" ]
	run -0 --separate-stderr loy-enroll merge 1001 1003
	run -0 --separate-stderr loy-enroll merge 1002 1004
	# the merged records' counts are the survivors' now
	same "$(q "SELECT member_id, rule, period, visits, spend FROM rule_progress ORDER BY 1, 2")" <<'EOF2'
1003|big-spender|2026-Q4|3|8000
1003|regular|2026-12|3|8000
1004|big-spender|2026-Q4|5|15000
1004|regular|2026-12|5|15000
EOF2
	pos day2.csv <<'EOF2'
T9,1003,2026-12-10 10:00:00,A,x,,1,20.00
T10,1004,2026-12-10 10:00:00,A,x,,1,30.00
T11,1004,2026-12-11 10:00:00,A,x,,1,30.00
T12,1004,2026-12-12 10:00:00,A,x,,1,30.00
EOF2
	run -0 --separate-stderr loy-accrue day2.csv
	# T9 is 1003's fourth visit of December with 1001's two, and brings Q4
	# to 100.00: 300 + 1000.  1004 reaches both marks again on its own, but
	# 1002 had this month's and this quarter's bonus: nothing more
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003) $(bonus 1004)" = "0 1300 1300 0" ]
	[[ "$output" == *"T9,1003,2026-12-10 10:00:00,0.00,300,bonus,rule regular: period 2026-12"* ]]
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1003:1400\n1004:1540')" ]
	# a return of a merged record's purchase comes off the survivor's spend
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-12-20 10:00:00,-30.00,T1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "$(q "SELECT spend FROM rule_progress WHERE member_id = '1003' AND rule = 'big-spender'")" = 7000 ]
	# ... and takes back the quarter's bonus, below the mark again
	[ "${lines[2]}" = 'R1,1003,2026-12-20 10:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-Q4 taken back: the spend is 70.00, below 100.00"' ]
	# the bonus a merged record held is the survivor's to give back
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\n' >ret2.csv
	for t in 4 5 6 7 8; do
		echo "R$t,1004,2026-12-20 11:00:00,-30.00,T$t" >>ret2.csv
	done
	run -0 --separate-stderr loy-accrue ret2.csv
	[ "$(q "SELECT spend FROM rule_progress WHERE member_id = '1004' AND rule = 'big-spender'")" = 9000 ]
	[[ "$output" == *'R8,1004,2026-12-20 11:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-Q4 taken back: the spend is 90.00, below 100.00"'* ]]
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'bonus' AND points = -1000 AND member_id = '1004' AND reverses IN (SELECT entry_id FROM journal WHERE member_id = '1002' AND points = 1000)")" = 1 ]
	[ "$(balances)" = "$(printf '1001:0\n1002:0\n1003:370\n1004:390')" ]
	[ "$(q "SELECT count(*) FROM rule_progress WHERE member_id IN ('1001', '1002')")" = 0 ]
	# what-if of the programme in force: the returns of the merged records'
	# purchases take both bonuses back from the survivors, as loy-accrue did
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-10-01 --to 2026-12-31
	[ "${lines[3]}" = "big-spender,0,0,0,0.00,0.00,0.00" ]
	[ "${lines[5]}" = "total,760,760,0,7.60,7.60,0.00" ]
	ledger_ok
}

@test "after a merge of two records that each had a period's cumulative bonus, a return below the mark takes back every bonus the person holds" {
	base
	members
	programme <<'EOF2'
[rule big-spender]
trigger = cumulative
spend = 100.00
period = month
bonus = 1000
EOF2
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S1,1001,2026-12-01 10:00:00,120.00,' \
	    'S2,1002,2026-12-02 10:00:00,110.00,' \
	    'S3,1003,2026-12-01 10:00:00,120.00,' \
	    'S4,1004,2026-12-02 10:00:00,110.00,' \
	    'R4,1004,2026-12-03 10:00:00,-20.00,S4'; } >day1.csv
	run -0 --separate-stderr loy-accrue day1.csv
	# each record reached the mark alone; 1004 fell below it again
	[ "$(bonus 1001) $(bonus 1002) $(bonus 1003) $(bonus 1004)" = "1000 1000 1000 0" ]
	run -0 --separate-stderr loy-enroll merge 1002 1001
	run -0 --separate-stderr loy-enroll merge 1004 1003
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'R1,1001,2026-12-05 10:00:00,-120.00,S1' \
	    'R2,1001,2026-12-05 11:00:00,-20.00,S2' \
	    'R3,1003,2026-12-05 10:00:00,-120.00,S3'; } >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	# 1001: 230.00 - 120.00 - 20.00 = 90.00, below the mark: both records'
	# bonuses go; 1003: 210.00 - 120.00 = 90.00: its own goes, the one 1004
	# gave back before the merge stays given back
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
R1,1001,2026-12-05 10:00:00,-120.00,-120,returned,
R2,1001,2026-12-05 11:00:00,-20.00,-20,returned,
R2,1001,2026-12-05 11:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 90.00, below 100.00"
R2,1001,2026-12-05 11:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 90.00, below 100.00"
R3,1003,2026-12-05 10:00:00,-120.00,-120,returned,
R3,1003,2026-12-05 10:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 90.00, below 100.00"
OUT
	[ "$(balances)" = "$(printf '1001:90\n1002:0\n1003:90\n1004:0')" ]
	# each take-back reverses the bonus it takes back, a merged record's
	# named in its key
	same "$(q "SELECT a.member_id, a.key, g.member_id FROM rule_awards a
	    JOIN journal j ON j.entry_id = a.entry_id JOIN journal g ON g.entry_id = j.reverses
	    ORDER BY a.award_id")" <<'OUT'
1004|2026-12 taken back|1004
1001|2026-12 taken back|1001
1001|2026-12 (1002) taken back|1002
1003|2026-12 taken back|1003
OUT
	# back at the mark: one bonus, and one taken back below it
	{ echo 'txn_id,member_id,occurred_at,amount,orig_txn'; printf '%s\n' \
	    'S5,1001,2026-12-06 10:00:00,20.00,' \
	    'R5,1001,2026-12-07 10:00:00,-50.00,S2'; } >day3.csv
	run -0 --separate-stderr loy-accrue day3.csv
	same "$output" <<'OUT'
txn_id,member_id,occurred_at,amount,points,status,detail
S5,1001,2026-12-06 10:00:00,20.00,20,credited,
S5,1001,2026-12-06 10:00:00,0.00,1000,bonus,"rule big-spender: period 2026-12, reached again"
R5,1001,2026-12-07 10:00:00,-50.00,-50,returned,
R5,1001,2026-12-07 10:00:00,0.00,-1000,bonus,"rule big-spender: period 2026-12 taken back: the spend is 60.00, below 100.00"
OUT
	[ "$(balances)" = "$(printf '1001:60\n1002:0\n1003:90\n1004:0')" ]
	ledger_ok
}

@test "after a merge an event's limit counts the events of both records" {
	base
	members
	programme <<'EOF2'
[event survey]
points = 50
limit = 1 per month

[event newsletter]
points = 100
limit = 1
EOF2
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-01 10:00:00\nE2,1001,newsletter,2026-12-01 10:00:00\n' >ev1.csv
	run -0 --separate-stderr loy-accrue --events ev1.csv
	run -0 --separate-stderr loy-enroll merge 1001 1003
	printf 'event_id,member_id,event,occurred_at\nE3,1003,survey,2026-12-05 10:00:00\nE4,1003,newsletter,2026-12-05 10:00:00\nE5,1003,survey,2027-01-05 10:00:00\n' >ev2.csv
	run -0 --separate-stderr loy-accrue --events ev2.csv
	same "$output" <<'OUT'
event_id,member_id,event,occurred_at,points,status,detail
E3,1003,survey,2026-12-05 10:00:00,0,limited,the limit of 1 per 2026-12 is reached
E4,1003,newsletter,2026-12-05 10:00:00,0,limited,the limit of 1 per member is reached
E5,1003,survey,2027-01-05 10:00:00,50,credited,
OUT
	[ "$(balances)" = "$(printf '1001:0\n1003:200')" ]
	ledger_ok
}

@test "after a merge the caps per member per day and month count what both records earned" {
	base
	members
	programme <<'EOF2'
[earn]
cap_member_day = 30
cap_member_month = 50
EOF2
	pos day1.csv <<'EOF2'
T1,1001,2026-12-10 10:00:00,A,x,,1,20.00
T2,1001,2026-12-11 10:00:00,A,x,,1,20.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	run -0 --separate-stderr loy-enroll merge 1001 1003
	pos day2.csv <<'EOF2'
T3,1003,2026-12-11 12:00:00,A,x,,1,20.00
T4,1003,2026-12-12 10:00:00,A,x,,1,20.00
EOF2
	run -0 --separate-stderr loy-accrue day2.csv
	# T3: 1001 earned 20 that day, the day's 30 allows 10; T4: the month's
	# 50 is full (20 + 20 + 10)
	[ "$(pts T3) $(pts T4)" = "10 0" ]
	ledger_ok
}

@test "what-if after a merge counts a merged record's receipts for its survivor, as loy-accrue does, the receipts before the merge too" {
	base
	members
	programme <<'EOF2'
[earn]
cap_member_day = 300

[rule first-shop]
trigger = first-purchase
bonus = 250

[rule once]
bonus = 40
limit = 1

[rule twice-a-month]
bonus = 5
limit = 2 per month

[rule regular]
trigger = cumulative
visits = 3
period = month
bonus = 300
EOF2
	# November: 1002 and 1004, each on its own; December: 1001 before its
	# merge into 1003
	pos day1.csv <<'EOF2'
T1,1002,2026-11-10 10:00:00,A,x,,1,1.00
T2,1004,2026-11-12 10:00:00,A,x,,1,1.00
T3,1004,2026-11-14 10:00:00,A,x,,1,1.00
T4,1001,2026-12-01 10:00:00,A,x,,1,1.00
T5,1001,2026-12-02 10:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue day1.csv
	[ "$(pts T1) $(pts T2) $(pts T3) $(pts T4) $(pts T5)" = "296 296 6 296 6" ]
	run -0 --separate-stderr loy-enroll merge 1001 1003
	run -0 --separate-stderr loy-enroll merge 1002 1004
	pos day2.csv <<'EOF2'
T6,1003,2026-12-02 12:00:00,A,x,,1,300.00
T7,1003,2026-12-03 12:00:00,A,x,,1,2.00
EOF2
	run -0 --separate-stderr loy-accrue day2.csv
	# T6: no first purchase, once-only or third bonus of the month, and the
	# day's cap counts T5's 6; with T4 and T5 the third visit
	[ "$(pts T6) $(pts T7) $(bonus 1003)" = "294 2 300" ]
	before=$(dump)
	# December: the programme in force gives what loy-accrue credited
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-12-01 --to 2026-12-31
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],304,304,0,3.04,3.04,0.00
first-shop,250,250,0,2.50,2.50,0.00
once,40,40,0,0.40,0.40,0.00
twice-a-month,10,10,0,0.10,0.10,0.00
regular,300,300,0,3.00,3.00,0.00
[earn] cap_member_day,-6,-6,0,-0.06,-0.06,0.00
total,898,898,0,8.98,8.98,0.00
OUT
	# November, before the merge: under today's merges T1, T2 and T3 are one
	# person's: one first purchase and once-only bonus, two of the month's
	# bonuses, and a third visit
	run -0 --separate-stderr loy-program what-if p.conf --from 2026-11-01 --to 2026-11-30
	same "$output" <<'OUT'
rule,actual_points,whatif_points,difference,actual_cost,whatif_cost,cost_difference
[earn],3,3,0,0.03,0.03,0.00
first-shop,500,250,-250,5.00,2.50,-2.50
once,80,40,-40,0.80,0.40,-0.40
twice-a-month,15,10,-5,0.15,0.10,-0.05
regular,0,300,300,0.00,3.00,3.00
total,598,603,5,5.98,6.03,0.05
OUT
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "loy-enroll merge --dry-run with the rules' counts and awards changes nothing" {
	base
	members
	programme <<'EOF2'
[rule regular]
trigger = cumulative
visits = 2
period = month
bonus = 300
EOF2
	pos <<'EOF2'
T1,1001,2026-12-01 10:00:00,A,x,,1,1.00
T2,1001,2026-12-02 10:00:00,A,x,,1,1.00
T3,1003,2026-12-03 10:00:00,A,x,,1,1.00
EOF2
	run -0 --separate-stderr loy-accrue pos.csv
	before=$(dump)
	run -0 --separate-stderr loy-enroll merge --dry-run 1001 1003
	[ "$output" = "$(printf 'member_id,status,detail\n1001,merged,"into 1003, 302 points moved"')" ]
	[ "$stderr" = "loy-enroll: dry run: nothing committed" ]
	[ "$(dump)" = "$before" ]
	[ "$(q "SELECT member_id || ' ' || visits FROM rule_progress ORDER BY 1")" = "$(printf '1001 2\n1003 1')" ]
	ledger_ok
}
