#!/usr/bin/env bats
# loy-accrue: POS lines into points, each receipt exactly once; returns,
# identification, pending points, bad input, the options; --adjust and
# --opening.  The default programme earns 1 point per 1.00 of a receipt's
# total, rounded down per receipt; points expire 24 months after the
# purchase; now is 2026-11-23 12:00:00 (helper).

load helper

HEAD="txn_id,member_id,occurred_at,amount,points,status,detail"
NOTHING="loy-accrue: 1 bad row; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)"
NOTHING2="loy-accrue: 2 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)"
NOTHING3="loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)"

# A ledger (extra args: --set KEY=VALUE) with three members; runs 1 and 2,
# so the first loy-accrue is run 3.
base() {
	new_ledger "$@"
	cat >members.csv <<'EOF'
member_id,card,name,phone,email
1001,6001001,Anna Schmidt,+49 30 1234567,anna@example.org
1002,6001002,"Okafor, Chidi",+44 20 7946 0958,chidi@example.net
1003,6001003,王芳,+86 10 6552 9988,wang.fang@example.cn
EOF
	loy-enroll members.csv >/dev/null 2>&1
}

# The ledger without the record of its runs: what a re-run must not change.
books() {
	dump | grep -v -e '^INSERT INTO runs ' -e '^INSERT INTO run_inputs '
}

# A sale for the return tests: S1 = 3 x A at 10.00 + 1 x B at 7.50 = 37.50,
# 37 points for 1001; T2 = 10.00, 10 points, bought earlier (its lot expires
# first).  Run 3.
sale() {
	cat >sale.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount
T2,1001,2026-10-05 10:00:00,C,1,10.00
S1,1001,2026-11-01 10:00:00,A,3,30.00
S1,1001,2026-11-01 10:00:00,B,1,7.50
EOF
	loy-accrue sale.csv >/dev/null 2>&1
}

# ------------------------------------------------------------ credited

@test "credits each receipt one point per 1.00, rounded down per receipt" {
	base
	# T1: 9.99 -> 9; T2: 0.99 + 0.99 = 1.98 -> 1 (not 0 + 0); T3: 100.00 -> 100
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
T1,1001,2026-11-20 09:14:00,9.99
T2,1002,2026-11-20 10:00:00,0.99
T2,1002,2026-11-20 10:00:00,0.99
T3,1003,2026-11-21 18:40:00,100.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 09:14:00,9.99,9,credited,
T2,1002,2026-11-20 10:00:00,1.98,1,credited,
T3,1003,2026-11-21 18:40:00,100.00,100,credited,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 4 rows, 3 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 3 receipts, 3 members, 110 points" ]
	same "$(q "SELECT txn_id, member_id, occurred_at, amount, lines, points, status FROM receipts ORDER BY txn_id")" <<'EOF'
T1|1001|2026-11-20 09:14:00|999|1|9|credited
T2|1002|2026-11-20 10:00:00|198|2|1|credited
T3|1003|2026-11-21 18:40:00|10000|1|100|credited
EOF
	same "$(balances)" <<'EOF'
1001:9
1002:1
1003:100
EOF
	ledger_ok
}

@test "a line's amount is unit_price times qty, rounded half up to cents" {
	base
	# G1: 3 x 1.459 = 4.377 -> 4.38 -> 4 points; G2: 32.57 l x 1.459 = 47.51903
	# -> 47.52 -> 47; G3: 1 x 0.125 -> 0.13 (half up) -> 0; G4: 2.5 kg x 0.99 =
	# 2.475 -> 2.48 -> 2
	# F1: the same lines in one receipt, plus BREAD at amount 3.20:
	# 4.38 + 47.52 + 0.13 + 3.20 = 55.23 -> 55 (rounded per line, then per receipt)
	cat >fuel.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,unit_price,amount
G1,1001,2026-11-20 11:00:00,MILK,3,1.459,
G2,1001,2026-11-20 11:01:00,FUEL-95,32.57,1.459,
G3,1001,2026-11-20 11:02:00,GUM,1,0.125,
G4,1001,2026-11-20 11:03:00,APPLES,2.5,0.99,
F1,1002,2026-11-20 11:30:00,MILK,3,1.459,
F1,1002,2026-11-20 11:30:00,FUEL-95,32.57,1.459,
F1,1002,2026-11-20 11:30:00,GUM,1,0.125,
F1,1002,2026-11-20 11:30:00,BREAD,1,,3.20
EOF
	run -0 --separate-stderr loy-accrue fuel.csv
	same "$output" <<EOF
$HEAD
G1,1001,2026-11-20 11:00:00,4.38,4,credited,
G2,1001,2026-11-20 11:01:00,47.52,47,credited,
G3,1001,2026-11-20 11:02:00,0.13,0,credited,
G4,1001,2026-11-20 11:03:00,2.48,2,credited,
F1,1002,2026-11-20 11:30:00,55.23,55,credited,
EOF
	same "$(q "SELECT txn_id, amount, lines, points FROM receipts ORDER BY txn_id")" <<'EOF'
F1|5523|4|55
G1|438|1|4
G2|4752|1|47
G3|13|1|0
G4|248|1|2
EOF
	# a receipt that earns nothing has no lot
	[ "$(q "SELECT count(*) FROM lots")" = 4 ]
	same "$(balances)" <<'EOF'
1001:53
1002:55
EOF
	ledger_ok
}

@test "lines scattered through the file make one receipt at its earliest time" {
	base
	# T1 = 2.00 + 3.00 + 4.25 = 9.25 -> 9, at 09:14:00 (its earliest line);
	# T2 = 5.00 + 5.50 = 10.50 -> 10, at 09:20:00; lines a minute apart are fine
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,sku,amount
T1,1001,2026-11-20 09:14:30,A,2.00
T2,1002,2026-11-20 09:20:00,A,5.00
T1,1001,2026-11-20 09:14:00,B,3.00
T2,1002,2026-11-20 09:21:00,B,5.50
T1,1001,2026-11-20 09:15:00,C,4.25
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 09:14:00,9.25,9,credited,
T2,1002,2026-11-20 09:20:00,10.50,10,credited,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 5 rows, 2 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 2 receipts, 2 members, 19 points" ]
	same "$(q "SELECT txn_id, occurred_at, amount, lines, points FROM receipts ORDER BY txn_id")" <<'EOF'
T1|2026-11-20 09:14:00|925|3|9
T2|2026-11-20 09:20:00|1050|2|10
EOF
	ledger_ok
}

@test "a return's original later in its file is settled, and listed, just before the return" {
	base
	# R1 comes first and names S1, three lines down: S1 is settled (and
	# listed) first, then R1 takes its points back in proportion; S2,
	# before S1 in the file, comes after them
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R1,1001,2026-11-20 10:00:00,-5.00,S1
S2,1001,2026-11-20 08:00:00,3.00,
S1,1001,2026-11-20 09:00:00,20.00,
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
S1,1001,2026-11-20 09:00:00,20.00,20,credited,
R1,1001,2026-11-20 10:00:00,-5.00,-5,returned,
S2,1001,2026-11-20 08:00:00,3.00,3,credited,
EOF
	same "$(q "SELECT txn_id, points, returned_amount, returned_points FROM receipts ORDER BY txn_id")" <<'EOF'
R1|-5|-500|0
S1|20|500|5
S2|3|0|0
EOF
	[ "$(q "SELECT group_concat(points || '/' || remaining, ' ') FROM (SELECT * FROM lots ORDER BY lot_id)")" = "20/15 3/3" ]
	ledger_ok
}

@test "each receipt's points are a lot that expires 24 months after the purchase" {
	base
	# T1 9.99 -> 9, T2 20.00 -> 20: expiry = purchase + 24 months, to the second
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
T1,1001,2026-11-20 09:14:00,9.99
T2,1001,2026-02-28 17:05:00,20.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$(q "SELECT earned_at, expires_at, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
2026-11-20 09:14:00|2028-11-20 09:14:00|9|9
2026-02-28 17:05:00|2028-02-28 17:05:00|20|20
EOF
	same "$(q "SELECT member_id, kind, points, occurred_at, posted_at, run_id, source, ref FROM journal ORDER BY entry_id")" <<'EOF'
1001|earn|9|2026-11-20 09:14:00|2026-11-23 12:00:00|3|receipt|T1
1001|earn|20|2026-02-28 17:05:00|2026-11-23 12:00:00|3|receipt|T2
EOF
	[ "$(balances)" = "1001:29" ]
	ledger_ok
}

@test "the example POS file: prices, litres, cards, anonymous and a return" {
	base
	printf 'member_id\n1005\n' >more.csv
	loy-enroll more.csv >/dev/null 2>&1
	cp "$EXAMPLES/pos.csv" .
	# T1001: 2 x 1.49 + 3.20 + 3 x 0.99 = 2.98 + 3.20 + 2.97 = 9.15 -> 9 (3 scattered lines)
	# T1002: card 6001003 is 1003, 88.00 -> 88;  T1003: nobody, anonymous
	# T1004: 32.57 l x 1.459 = 47.52 -> 47;  T1005: 24.00 -> 24
	# T1006: a return of 12.00 without orig_txn: -12 at the current rate
	run -0 --separate-stderr loy-accrue pos.csv
	same "$output" <<EOF
$HEAD
T1001,1001,2026-11-20 09:14:00,9.15,9,credited,
T1002,1003,2026-11-20 10:02:00,88.00,88,credited,
T1003,,2026-11-20 10:05:00,2.50,0,anonymous,
T1004,1005,2026-11-20 11:30:00,47.52,47,credited,
T1005,1002,2026-11-21 18:40:00,24.00,24,credited,
T1006,1002,2026-11-22 12:00:00,-12.00,-12,returned,
EOF
	[ "$stderr" = "loy-accrue: pos.csv: 8 rows, 4 credited, 0 pending, 1 returned, 1 anonymous, 0 duplicate, 0 rejected; 6 receipts, 4 members, 156 points" ]
	same "$(balances)" <<'EOF'
1001:9
1002:12
1003:88
1005:47
EOF
	[ "$(q "SELECT store FROM receipts WHERE txn_id = 'T1002'")" = "上海 南京路" ]
	ledger_ok
}

# ------------------------------------------------------------ anonymous

@test "a receipt with no member is anonymous: recorded, without points" {
	base
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
A1,,,2026-11-20 10:05:00,2.50
A2, , ,2026-11-20 10:06:00,12.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
A1,,2026-11-20 10:05:00,2.50,0,anonymous,
A2,,2026-11-20 10:06:00,12.00,0,anonymous,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 2 rows, 0 credited, 0 pending, 0 returned, 2 anonymous, 0 duplicate, 0 rejected; 2 receipts, 0 members, 0 points" ]
	same "$(q "SELECT txn_id, quote(member_id), amount, points, status FROM receipts ORDER BY txn_id")" <<'EOF'
A1|NULL|250|0|anonymous
A2|NULL|1200|0|anonymous
EOF
	[ "$(q "SELECT count(*) FROM journal")" = 0 ]
	[ "$(q "SELECT count(*) FROM lots")" = 0 ]
	[ "$(balances)" = "" ]
	ledger_ok
}

# --------------------------------------------------------- exactly once

@test "the same file again: every receipt a duplicate, and the ledger not written, not even a run record" {
	base
	# T1 9.99 -> 9, T2 1.98 -> 1, A1 anonymous
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
T1,1001,2026-11-20 09:14:00,9.99
T2,1002,2026-11-20 10:00:00,0.99
A1,,2026-11-20 10:05:00,2.50
T2,1002,2026-11-20 10:00:00,0.99
EOF
	loy-accrue day.csv >/dev/null 2>&1
	before=$(books)
	runs=$(q "SELECT count(*) FROM runs")
	file=$(cksum <"$LOY_DB")
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 09:14:00,9.99,0,duplicate,
T2,1002,2026-11-20 10:00:00,1.98,0,duplicate,
A1,,2026-11-20 10:05:00,2.50,0,duplicate,
EOF
	same "$stderr" <<EOF
loy-accrue: day.csv: 4 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 3 duplicate, 0 rejected; 0 receipts, 0 members, 0 points
$(idle loy-accrue)
EOF
	[ "$(books)" = "$before" ]
	[ "$(cksum <"$LOY_DB")" = "$file" ]
	[ ! -e "$LOY_DB-wal" ]
	[ "$(q "SELECT count(*) FROM runs")" = "$runs" ]
	[ "$(q "SELECT count(*) FROM run_inputs WHERE name = 'day.csv'")" = 1 ]
	same "$(balances)" <<'EOF'
1001:9
1002:1
EOF
	# a dry run says it committed nothing, as ever
	run -0 --separate-stderr loy-accrue -n day.csv
	[ "${stderr_lines[-1]}" = "loy-accrue: dry run: nothing committed" ]
	# one new receipt among the duplicates: the run is recorded
	printf 'T9,1001,2026-11-21 09:00:00,5.00\n' >>day.csv
	run -0 --separate-stderr loy-accrue day.csv
	[ "${stderr_lines[-1]}" != "$(idle loy-accrue)" ]
	[ "$(q "SELECT count(*) FROM runs")" = $((runs + 1)) ]
	[ "$(q "SELECT rows_read || '|' || rows_changed || '|' || rows_unchanged || '|' || rows_rejected
	    FROM runs ORDER BY run_id DESC LIMIT 1")" = "5|1|3|0" ]
	ledger_ok
}

@test "a receipt split over files in later runs is a duplicate" {
	base
	# S1 = 2.00 + 3.00 + 4.00 = 9.00 -> 9, once
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,sku,amount
S1,1001,2026-11-20 09:14:00,A,2.00
S1,1001,2026-11-20 09:14:00,B,3.00
S1,1001,2026-11-20 09:14:00,C,4.00
EOF
	printf 'txn_id,member_id,occurred_at,sku,amount\nS1,1001,2026-11-20 09:14:00,B,3.00\nS1,1001,2026-11-20 09:14:00,A,2.00\n' >part1.csv
	printf 'txn_id,member_id,occurred_at,sku,amount\nS1,1001,2026-11-20 09:14:00,C,4.00\n' >part2.csv
	loy-accrue day.csv >/dev/null 2>&1
	before=$(books)
	run -0 --separate-stderr loy-accrue part1.csv
	[ "$output" = "$(printf '%s\nS1,1001,2026-11-20 09:14:00,5.00,0,duplicate,' "$HEAD")" ]
	run -0 --separate-stderr loy-accrue part2.csv
	[ "$output" = "$(printf '%s\nS1,1001,2026-11-20 09:14:00,4.00,0,duplicate,' "$HEAD")" ]
	run -0 --separate-stderr loy-accrue part1.csv part2.csv
	same "$output" <<EOF
$HEAD
S1,1001,2026-11-20 09:14:00,5.00,0,duplicate,
S1,1001,2026-11-20 09:14:00,4.00,0,duplicate,
EOF
	same "$stderr" <<EOF
loy-accrue: part1.csv: 2 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 1 duplicate, 0 rejected; 0 receipts, 0 members, 0 points
loy-accrue: part2.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 1 duplicate, 0 rejected; 0 receipts, 0 members, 0 points
$(idle loy-accrue)
EOF
	[ "$(books)" = "$before" ]
	[ "$(balances)" = "1001:9" ]
	ledger_ok
}

@test "a receipt taken before with another amount is refused and nothing is committed" {
	base
	printf 'txn_id,member_id,occurred_at,sku,amount\nS1,1001,2026-11-20 09:14:00,A,2.00\nS1,1001,2026-11-20 09:14:00,B,3.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	before=$(dump)
	# B now 3.50; T9 is new and fine, but the run fails as a whole
	cat >again.csv <<'EOF'
txn_id,member_id,occurred_at,sku,amount
S1,1001,2026-11-20 09:14:00,A,2.00
S1,1001,2026-11-20 09:14:00,B,3.50
T9,1002,2026-11-21 10:00:00,A,5.00
EOF
	run -65 --separate-stderr loy-accrue again.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: again.csv:2: receipt 'S1' was taken before (run 3) with other content
loy-accrue: again.csv:3: receipt 'S1' is refused: receipt 'S1' was taken before (run 3) with other content (line 2)
loy-accrue: again.csv: 3 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 2 rejected; 1 receipt, 1 member, 5 points
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a receipt taken before with an extra line is refused" {
	base
	printf 'txn_id,member_id,occurred_at,sku,amount\nS1,1001,2026-11-20 09:14:00,A,2.00\nS1,1001,2026-11-20 09:14:00,B,3.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	before=$(dump)
	cat >again.csv <<'EOF'
txn_id,member_id,occurred_at,sku,amount
S1,1001,2026-11-20 09:14:00,A,2.00
S1,1001,2026-11-20 09:14:00,B,3.00
S1,1001,2026-11-20 09:14:00,C,1.00
EOF
	run -65 --separate-stderr loy-accrue again.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: again.csv:2: receipt 'S1' was taken before (run 3) with other content
loy-accrue: again.csv:3: receipt 'S1' is refused: receipt 'S1' was taken before (run 3) with other content (line 2)
loy-accrue: again.csv:4: receipt 'S1' is refused: receipt 'S1' was taken before (run 3) with other content (line 2)
loy-accrue: again.csv: 3 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 0 receipts, 0 members, 0 points
$NOTHING3
EOF
	[ "$(dump)" = "$before" ]
	[ "$(balances)" = "1001:5" ]
	ledger_ok
}

@test "the same file twice on one command line is a usage error" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 09:14:00,9.99\n' >day.csv
	before=$(dump)
	run -64 --separate-stderr loy-accrue day.csv day.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: 'day.csv' is given twice" ]
	run -64 --separate-stderr loy-accrue day.csv ./day.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: './day.csv' is given twice" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# -------------------------------------------------------------- returns

@test "a full return gives back exactly what the receipt earned" {
	base
	sale
	[ "$(balances)" = "1001:47" ]
	# R1 returns all of S1 (37.50): exactly S1's 37 points, from S1's own lot
	# although T2's lot expires first
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
R1,1001,2026-11-10 10:00:00,A,-3,-30.00,S1
R1,1001,2026-11-10 10:00:00,B,-1,-7.50,S1
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-10 10:00:00,-37.50,-37,returned,
EOF
	[ "$stderr" = "loy-accrue: ret.csv: 2 rows, 0 credited, 0 pending, 1 returned, 0 anonymous, 0 duplicate, 0 rejected; 1 receipt, 1 member, -37 points" ]
	[ "$(balances)" = "1001:10" ]
	same "$(q "SELECT earned_at, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
2026-10-05 10:00:00|10|10
2026-11-01 10:00:00|37|0
EOF
	same "$(q "SELECT txn_id, amount, points, status, quote(orig_txn), returned_amount, returned_points FROM receipts ORDER BY txn_id")" <<'EOF'
R1|-3750|-37|returned|'S1'|-3750|0
S1|3750|37|credited|NULL|3750|37
T2|1000|10|credited|NULL|0|0
EOF
	[ "$(q "SELECT kind || '|' || points || '|' || ref FROM journal WHERE points < 0")" = "return|-37|R1" ]
	ledger_ok
}

@test "partial returns claw back in proportion, never more than was earned" {
	base
	sale
	# S1 earned 37 for 37.50; what is returned so far decides what is owed:
	# R1 10.00: floor(37 x 10.00/37.50 = 9.87) = 9
	# R2 20.00: floor(37 x 30.00/37.50 = 29.6) = 29, minus 9 = 20
	# R3  7.50: floor(37 x 37.50/37.50) = 37, minus 29 = 8     (9 + 20 + 8 = 37)
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
R1,1001,2026-11-02 10:00:00,A,-1,-10.00,S1
R2,1001,2026-11-03 10:00:00,A,-2,-20.00,S1
R3,1001,2026-11-03 11:00:00,B,-1,-7.50,S1
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-02 10:00:00,-10.00,-9,returned,
R2,1001,2026-11-03 10:00:00,-20.00,-20,returned,
R3,1001,2026-11-03 11:00:00,-7.50,-8,returned,
EOF
	[ "$(balances)" = "1001:10" ]
	# R4 returns more than S1 had: S1 gave back all 37 already, 0 more
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nR4,1001,2026-11-04 10:00:00,A,-1,-10.00,S1\n' >more.csv
	run -0 --separate-stderr loy-accrue more.csv
	same "$output" <<EOF
$HEAD
R4,1001,2026-11-04 10:00:00,-10.00,0,returned,"returns 10.00, but only 0.00 of 'S1' was left to return"
EOF
	[ "$(balances)" = "1001:10" ]
	[ "$(q "SELECT -sum(points) FROM journal WHERE kind = 'return'")" = 37 ]
	# S1 keeps what came back, never more than it was: 37.50, 37
	[ "$(q "SELECT returned_amount || ':' || returned_points FROM receipts WHERE txn_id = 'S1'")" = "3750:37" ]
	ledger_ok
}

@test "a purchase that earned nothing keeps what its return brought back, and spend counts it" {
	base
	cat >p.conf <<'EOF'
[rule no-tobacco]
category = ^tobacco$
exclude = yes
EOF
	run -0 --separate-stderr loy-program load p.conf --from 2026-01-01
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,sku,category,qty,amount,orig_txn
S9,1001,2026-11-01 10:00:00,CIG,tobacco,10,600.00,
R9,1001,2026-11-01 15:00:00,CIG,tobacco,-10,-600.00,S9
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	[[ "$output" == *"R9,1001,2026-11-01 15:00:00,-600.00,0,returned,original receipt 'S9' earned no points"* ]]
	# S9 is 600.00 less the 600.00 that came back: no spend, no upgrade
	[ "$(q "SELECT returned_amount || ':' || returned_points FROM receipts WHERE txn_id = 'S9'")" = "60000:0" ]
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 best 5
	[[ "$output" != *"1001"*"600.00"* ]]
	ledger_ok
}

@test "a return without orig_txn claws back at the current rate" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1002,2026-11-21 18:40:00,24.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# R1 12.00 -> 12; R2 7.50 -> 7 (rounded down, as earning is)
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount
R1,1002,2026-11-22 12:00:00,WINE,-1,-12.00
R2,1002,2026-11-22 12:30:00,CHEESE,-1,-7.50
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1002,2026-11-22 12:00:00,-12.00,-12,returned,
R2,1002,2026-11-22 12:30:00,-7.50,-7,returned,
EOF
	[ "$(balances)" = "1002:5" ]
	[ "$(q "SELECT remaining FROM lots")" = 5 ]
	ledger_ok
}

@test "a return without orig_txn under rounding nearest takes what a purchase of its amount earns; what-if agrees" {
	base
	printf '[earn]\nrounding = nearest\n' >p.conf
	loy-program load --from 2026-01-01 p.conf >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,1002,2026-11-21 18:40:00,1.50\nT2,1002,2026-11-21 18:50:00,10.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	[ "$(balances)" = "1002:12" ]
	# 1.50 earned 2; its return, its original not known, takes 2 back, not
	# 1 (rounded down); 0.40 returned takes 0, as a purchase of 0.40 earns
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount
R1,1002,2026-11-22 12:00:00,WINE,-1,-1.50
R2,1002,2026-11-22 12:30:00,CHEESE,-1,-0.40
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1002,2026-11-22 12:00:00,-1.50,-2,returned,
R2,1002,2026-11-22 12:30:00,-0.40,0,returned,
EOF
	[ "$(balances)" = "1002:10" ]
	run -0 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-30 p.conf
	[ "$(grep '^\[return\],' <<<"$output")" = "[return],-2,-2,0,-0.02,-0.02,0.00" ]
	ledger_ok
}

@test "a return naming an unknown receipt claws back at the current rate and says so" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1002,2026-11-21 18:40:00,24.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# S9 is not in the ledger: 12.00 -> 12 at the current rate
	printf 'txn_id,member_id,occurred_at,qty,amount,orig_txn\nR1,1002,2026-11-22 12:00:00,-1,-12.00,S9\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1002,2026-11-22 12:00:00,-12.00,-12,returned,original receipt 'S9' not known: at the current rate
EOF
	[ "$(balances)" = "1002:12" ]
	ledger_ok
}

@test "a return taken before its original counts against it when the original comes in a later run" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT2,1001,2026-11-01 10:00:00,50.00\n' >t2.csv
	loy-accrue t2.csv >/dev/null 2>&1
	# S1 is not in the ledger yet: 20.00 -> 20 at the current rate
	printf 'txn_id,member_id,occurred_at,qty,amount,orig_txn\nR1,1001,2026-11-22 12:00:00,-1,-20.00,S1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-22 12:00:00,-20.00,-20,returned,original receipt 'S1' not known: at the current rate" ]
	# S1 earns its 30; 20.00 of it came back already, with 20 points
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 12:00:00,30.00\n' >sale.csv
	run -0 --separate-stderr loy-accrue sale.csv
	same "$output" <<EOF
$HEAD
S1,1001,2026-11-20 12:00:00,30.00,30,credited,return 'R1' taken before it returned 20.00 of it
EOF
	same "$(q "SELECT txn_id, points, returned_amount, returned_points FROM receipts WHERE txn_id IN ('S1', 'R1') ORDER BY txn_id")" <<'EOF'
R1|-20|-2000|0
S1|30|2000|20
EOF
	# a later return of all of it takes back what is left: 10.00, 10 points
	printf 'txn_id,member_id,occurred_at,qty,amount,orig_txn\nR2,1001,2026-11-22 13:00:00,-1,-30.00,S1\n' >ret2.csv
	run -0 --separate-stderr loy-accrue ret2.csv
	same "$output" <<EOF
$HEAD
R2,1001,2026-11-22 13:00:00,-30.00,-10,returned,"returns 30.00, but only 10.00 of 'S1' was left to return"
EOF
	[ "$(q "SELECT returned_amount || '|' || returned_points FROM receipts WHERE txn_id = 'S1'")" = "3000|30" ]
	[ "$(q "SELECT returned_amount FROM receipts WHERE txn_id = 'R2'")" = -1000 ]
	# T2's 50 stay; S1's 30 are all taken back, 20 by R1 and 10 by R2
	[ "$(balances)" = "1001:50" ]
	ledger_ok
}

@test "returns in an earlier input of the run count against their original, in the order they came" {
	base
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,qty,amount,orig_txn
R1,1001,2026-11-21 12:00:00,-1,-5.00,S1
R2,1001,2026-11-21 13:00:00,-1,-10.00,S1
EOF
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 12:00:00,12.00\n' >sale.csv
	run -0 --separate-stderr loy-accrue ret.csv sale.csv
	# the balance was 0: R1 and R2 took nothing then; R2 returns more than
	# is left of S1 after R1, and keeps the rest (3.00) as its own; when S1
	# comes they take back what they owe of it, 5 and 7 points, out of its
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-21 12:00:00,-5.00,0,returned,5 points not recovered: the balance may not go below zero
R2,1001,2026-11-21 13:00:00,-10.00,0,returned,10 points not recovered: the balance may not go below zero
S1,1001,2026-11-20 12:00:00,12.00,12,credited,"2 returns taken before it returned 12.00 of it, and 12 points they could not take back then"
R1,1001,2026-11-21 12:00:00,0.00,-5,returned,"5 points it could not take back then, now that 'S1' came"
R2,1001,2026-11-21 13:00:00,0.00,-7,returned,"7 points it could not take back then, now that 'S1' came"
EOF
	[ "${stderr_lines[-1]}" = "loy-accrue: sale.csv: 1 row, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 1 receipt, 1 member, 0 points; returns taken before took back 12 points they could not then" ]
	same "$(q "SELECT txn_id, points, returned_amount, returned_points FROM receipts ORDER BY txn_id")" <<'EOF'
R1|-5|-500|0
R2|-7|-700|0
S1|12|1200|12
EOF
	[ "$(balances)" = "1001:0" ]
	# nothing is left of S1 to return
	printf 'txn_id,member_id,occurred_at,qty,amount,orig_txn\nR3,1001,2026-11-22 12:00:00,-1,-1.00,S1\n' >ret3.csv
	run -0 --separate-stderr loy-accrue ret3.csv
	[ "${lines[1]}" = "R3,1001,2026-11-22 12:00:00,-1.00,0,returned,\"returns 1.00, but only 0.00 of 'S1' was left to return\"" ]
	[ "$(balances)" = "1001:0" ]
	ledger_ok
}

@test "an original set aside with --rejects and taken in a later run counts the return that named it" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT2,1001,2026-11-01 10:00:00,50.00\n' >t2.csv
	loy-accrue t2.csv >/dev/null 2>&1
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,1001,2026-11-20 12:00:00,4O.00,
R1,1001,2026-11-21 12:00:00,-40.00,S1
EOF
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "${lines[1]}" = "S1,1001,2026-11-20 12:00:00,,0,rejected,amount '4O.00' is not a decimal number" ]
	[ "${lines[2]}" = "R1,1001,2026-11-21 12:00:00,-40.00,-40,returned,original receipt 'S1' not known: at the current rate" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 12:00:00,40.00,\n' >fixed.csv
	run -0 --separate-stderr loy-accrue fixed.csv
	[ "${lines[1]}" = "S1,1001,2026-11-20 12:00:00,40.00,40,credited,return 'R1' taken before it returned 40.00 of it" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1001,2026-11-22 12:00:00,-40.00,S1\n' >again.csv
	run -0 --separate-stderr loy-accrue again.csv
	[ "${lines[1]}" = "R2,1001,2026-11-22 12:00:00,-40.00,0,returned,\"returns 40.00, but only 0.00 of 'S1' was left to return\"" ]
	[ "$(balances)" = "1001:50" ]
	ledger_ok
}

@test "a return taken before its purchase at a balance of zero takes back, when the purchase comes in the same run, what it could not then: as in the other order" {
	base
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-20.00,T1\n' >aarau.csv
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,100.00\n' >zurich.csv
	cp "$LOY_DB" other.db
	run -0 --separate-stderr loy-accrue aarau.csv zurich.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-21 10:00:00,-20.00,0,returned,20 points not recovered: the balance may not go below zero
T1,1001,2026-11-20 10:00:00,100.00,100,credited,"return 'R1' taken before it returned 20.00 of it, and 20 points it could not take back then"
R1,1001,2026-11-21 10:00:00,0.00,-20,returned,"20 points it could not take back then, now that 'T1' came"
EOF
	[ "${stderr_lines[-1]}" = "loy-accrue: zurich.csv: 1 row, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 1 receipt, 1 member, 80 points; returns taken before took back 20 points they could not then" ]
	[ "$(balances)" = "1001:80" ]
	# the return's own entry, in this run, at its time; its receipt's
	# points are its entries'
	same "$(q "SELECT kind, points, occurred_at, source, ref, run_id FROM journal ORDER BY entry_id")" <<'EOF'
earn|100|2026-11-20 10:00:00|receipt|T1|3
return|-20|2026-11-21 10:00:00|receipt|R1|3
EOF
	same "$(q "SELECT txn_id, points, entry_id, returned_amount, returned_points FROM receipts ORDER BY txn_id")" <<'EOF'
R1|-20|2|-2000|0
T1|100|1|2000|20
EOF
	[ "$(q "SELECT remaining FROM lots")" = 80 ]
	ledger_ok
	# the other order gives the same balance
	run -0 --separate-stderr loy-accrue -d other.db zurich.csv aarau.csv
	[ "$(sqlite3 other.db "SELECT member_id || ':' || points FROM balances")" = "1001:80" ]
	ledger_ok other.db
	# what-if takes a return taken before its purchase at the candidate's
	# rate, all of it, as the ledger now has it
	printf '[programme]\nearn_points = 1\n' >p.conf
	run -0 --separate-stderr loy-program what-if --from 2026-11-01 --to 2026-11-30 p.conf
	[ "$(grep '^\[return\],' <<<"$output")" = "[return],-20,-20,0,-0.20,-0.20,0.00" ]
}

@test "a return taken before its purchase at a balance of zero takes back what it could not then when the purchase comes in a later run, from its pending points" {
	base --set return_window_days=30
	printf 'txn_id,member_id,occurred_at,amount\nT2,1002,2026-11-01 10:00:00,50.00\n' >t2.csv
	loy-accrue t2.csv >/dev/null 2>&1
	# 1001 has nothing; 1002's return of the same purchase is another member's
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R1,1001,2026-11-21 10:00:00,-20.00,T1
R2,1002,2026-11-21 11:00:00,-5.00,T1
EOF
	loy-accrue ret.csv >/dev/null 2>&1
	[ "$(balances)" = "$(printf '1002:45')" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,100.00\n' >t1.csv
	run -0 --separate-stderr loy-accrue t1.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 10:00:00,100.00,100,pending,"return 'R1' taken before it returned 20.00 of it, and 20 points it could not take back then"
R1,1001,2026-11-21 10:00:00,0.00,-20,returned,"20 points it could not take back then, now that 'T1' came"
EOF
	[ "$(balances)" = "$(printf '1001:80\n1002:45')" ]
	# out of T1's lot, which still waits for the return window
	same "$(q "SELECT j.ref, l.points, l.remaining, l.available_at FROM lots l JOIN journal j USING (entry_id) WHERE l.member_id = '1001'")" <<'EOF'
T1|100|80|2026-12-20 10:00:00
EOF
	# R2 stays as it was taken
	same "$(q "SELECT txn_id, points, returned_amount FROM receipts WHERE txn_id IN ('R1', 'R2') ORDER BY txn_id")" <<'EOF'
R1|-20|-2000
R2|-5|0
EOF
	ledger_ok
}

@test "a return of a purchase already in that found the balance at zero because a return taken before its own purchase took the points keeps what it took: the balance depends on the order" {
	base
	cat >aarau.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
T1,1001,2026-11-11 10:00:00,30.00,
R4,1001,2026-11-19 10:00:00,-20.00,T3
R2,1001,2026-11-19 11:00:00,-30.00,T1
EOF
	printf 'txn_id,member_id,occurred_at,amount\nT3,1001,2026-11-03 10:00:00,80.00\n' >zurich.csv
	cp "$LOY_DB" other.db
	run -0 --separate-stderr loy-accrue aarau.csv zurich.csv
	# R4 took 20 of T1's points; R2 found 10 left, and takes no more when
	# T3 comes, of which R4 took all it owed then
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-11 10:00:00,30.00,30,credited,
R4,1001,2026-11-19 10:00:00,-20.00,-20,returned,original receipt 'T3' not known: at the current rate
R2,1001,2026-11-19 11:00:00,-30.00,-10,returned,20 points not recovered: the balance may not go below zero
T3,1001,2026-11-03 10:00:00,80.00,80,credited,return 'R4' taken before it returned 20.00 of it
EOF
	[ "$(balances)" = "1001:80" ]
	ledger_ok
	# the other order: each return finds its purchase's points
	run -0 --separate-stderr loy-accrue -d other.db zurich.csv aarau.csv
	[ "$(sqlite3 other.db "SELECT member_id || ':' || points FROM balances")" = "1001:60" ]
	ledger_ok other.db
}

@test "a return taken before its purchase that took back part of its points takes the rest when the purchase comes, no more than it owes of it" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nP0,1001,2026-11-01 10:00:00,30.00\n' >p0.csv
	loy-accrue p0.csv >/dev/null 2>&1
	cp "$LOY_DB" other.db
	# R1 returns 150.00, of which T1 has 100.00: of the 150 it owed at the
	# rate it took 30; it owes 100 for T1's part, and takes 70 more
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-150.00,T1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-150.00,-30,returned,120 points not recovered: the balance may not go below zero" ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,100.00\n' >t1.csv
	run -0 --separate-stderr loy-accrue t1.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 10:00:00,100.00,100,credited,"return 'R1' taken before it returned 100.00 of it, and 70 points it could not take back then"
R1,1001,2026-11-21 10:00:00,0.00,-70,returned,"70 points it could not take back then, now that 'T1' came"
EOF
	[ "$(balances)" = "1001:30" ]
	[ "$(q "SELECT points FROM receipts WHERE txn_id = 'R1'")" = -100 ]
	ledger_ok
	# in the other order: T1 earns 100, R1 takes back what it owes of it
	loy-accrue -d other.db t1.csv ret.csv >/dev/null 2>&1
	[ "$(sqlite3 other.db "SELECT member_id || ':' || points FROM balances")" = "1001:30" ]
	ledger_ok other.db
}

@test "a purchase settled in parts after a return taken before it at a balance of zero: its later lines take back the rest the return owes, as the whole does" {
	base
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-20.00,T1\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	cp "$LOY_DB" whole.db
	# T1's lines lie further apart than the window: settled in two parts
	{
		echo 'txn_id,member_id,occurred_at,sku,amount'
		echo 'T1,1001,2026-11-20 10:00:00,X,10.00'
		for i in $(seq 1 60); do echo "F$i,1002,2026-11-20 11:00:00,SKU-LONG-NAME-$i,1.00"; done
		echo 'T1,1001,2026-11-20 10:05:00,Y,90.00'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep -v '^F' <<<"$output")" <<EOF
$HEAD
T1,1001,2026-11-20 10:00:00,10.00,10,credited,"return 'R1' taken before it returned 10.00 of it, and 10 points it could not take back then"
R1,1001,2026-11-21 10:00:00,0.00,-10,returned,"10 points it could not take back then, now that 'T1' came"
T1,1001,2026-11-20 10:00:00,90.00,90,credited,returns before these lines took back 10.00 of it: they return 20.00 of it now; returns taken before it take back 10 points they could not then
R1,1001,2026-11-21 10:00:00,0.00,-10,returned,"10 points it could not take back then, now that 'T1' came"
EOF
	[ "$(balances)" = "$(printf '1001:80\n1002:60')" ]
	[ "$(q "SELECT points FROM receipts WHERE txn_id = 'R1'")" = -20 ]
	ledger_ok
	# settled whole: the same
	loy-accrue -d whole.db parts.csv >/dev/null 2>&1
	[ "$(sqlite3 whole.db "SELECT member_id || ':' || points FROM balances ORDER BY 1")" = "$(printf '1001:80\n1002:60')" ]
	ledger_ok whole.db
}

@test "a return taken before its purchase under allow_negative took all its points: the purchase takes nothing more" {
	base --set allow_negative=yes
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-20.00,T1\n' >ret.csv
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,100.00\n' >t1.csv
	run -0 --separate-stderr loy-accrue ret.csv t1.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-21 10:00:00,-20.00,-20,returned,original receipt 'T1' not known: at the current rate
T1,1001,2026-11-20 10:00:00,100.00,100,credited,return 'R1' taken before it returned 20.00 of it
EOF
	[ "$(balances)" = "1001:80" ]
	[ "$(q "SELECT count(*) FROM journal WHERE ref = 'R1'")" = 1 ]
	ledger_ok
}

@test "a purchase set aside with --rejects and taken after the return that names it takes back what the return could not" {
	base
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
T1,1001,2026-11-20 12:00:00,4O.00,
R1,1001,2026-11-21 12:00:00,-10.00,T1
EOF
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "${lines[2]}" = "R1,1001,2026-11-21 12:00:00,-10.00,0,returned,10 points not recovered: the balance may not go below zero" ]
	sed -i 's/4O.00/40.00/' rej.csv
	run -0 --separate-stderr loy-accrue rej.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 12:00:00,40.00,40,credited,"return 'R1' taken before it returned 10.00 of it, and 10 points it could not take back then"
R1,1001,2026-11-21 12:00:00,0.00,-10,returned,"10 points it could not take back then, now that 'T1' came"
EOF
	[ "$(balances)" = "1001:30" ]
	ledger_ok
}

@test "a return taken before its original counts against it for a member merged into the original's, not for another member" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1003,2026-11-01 10:00:00,20.00\nT2,1002,2026-11-01 10:00:00,20.00\n' >t.csv
	loy-accrue t.csv >/dev/null 2>&1
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R1,1003,2026-11-21 12:00:00,-10.00,S1
R2,1002,2026-11-21 12:00:00,-5.00,S1
EOF
	loy-accrue ret.csv >/dev/null 2>&1
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 12:00:00,30.00\n' >sale.csv
	run -0 --separate-stderr loy-accrue sale.csv
	[ "${lines[1]}" = "S1,1001,2026-11-20 12:00:00,30.00,30,credited,return 'R1' taken before it returned 10.00 of it" ]
	same "$(q "SELECT txn_id, member_id, returned_amount, returned_points FROM receipts WHERE txn_id IN ('R1', 'R2', 'S1') ORDER BY txn_id")" <<'EOF'
R1|1003|-1000|0
R2|1002|0|0
S1|1001|1000|10
EOF
	# 1001 has 1003's 10 and S1's 30; 1002 keeps what R2 took
	[ "$(balances)" = "$(printf '1001:40\n1002:15\n1003:0')" ]
	ledger_ok
}

@test "a return bigger than the balance stops at zero and says what is not recovered" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-01 10:00:00,5.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# R1: 12 owed, 1001 has 5: -5, 7 not recovered; R2: 1002 has 0: 0, 3 not recovered
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,qty,amount
R1,1001,2026-11-02 10:00:00,-1,-12.00
R2,1002,2026-11-02 11:00:00,-1,-3.00
EOF
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-02 10:00:00,-12.00,-5,returned,7 points not recovered: the balance may not go below zero
R2,1002,2026-11-02 11:00:00,-3.00,0,returned,3 points not recovered: the balance may not go below zero
EOF
	[ "$(balances)" = "1001:0" ]
	same "$(q "SELECT txn_id, points, status FROM receipts WHERE txn_id LIKE 'R%' ORDER BY txn_id")" <<'EOF'
R1|-5|returned
R2|0|returned
EOF
	ledger_ok
}

@test "with allow_negative=yes a return takes the balance below zero" {
	base --set allow_negative=yes
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-01 10:00:00,5.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# 5 - 12 = -7
	printf 'txn_id,member_id,occurred_at,qty,amount\nR1,1001,2026-11-02 10:00:00,-1,-12.00\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-02 10:00:00,-12.00,-12,returned,
EOF
	[ "$(balances)" = "1001:-7" ]
	[ "$(q "SELECT sum(remaining) FROM lots")" = 0 ]
	ledger_ok
}

@test "a return may take the balance below zero as the programme version in force at the return allows, applied or not" {
	base
	# from 1 December balances may go below zero: loaded ahead, not applied
	printf '[programme]\nallow_negative = yes\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,qty,amount
T1,1001,2026-11-28 10:00:00,1,5.00
T2,1002,2026-11-28 10:00:00,1,5.00
R1,1001,2026-12-02 10:00:00,-1,-12.00
R2,1002,2026-11-30 10:00:00,-1,-12.00
EOF
	cp "$LOY_DB" ahead.db
	LOY_NOW="2026-12-03 02:00:00" run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-28 10:00:00,5.00,5,credited,
T2,1002,2026-11-28 10:00:00,5.00,5,credited,
R1,1001,2026-12-02 10:00:00,-12.00,-12,returned,
R2,1002,2026-11-30 10:00:00,-12.00,-5,returned,7 points not recovered: the balance may not go below zero
EOF
	[ "$(balances | tr "\n" " ")" = "1001:-7 1002:0 " ]
	ledger_ok
	# the same after loy-program apply: the return of 30 November still
	# stops at zero, as the version of that day has it
	cp ahead.db "$LOY_DB"
	LOY_NOW="2026-12-03 01:00:00" run -0 --separate-stderr loy-program apply
	LOY_NOW="2026-12-03 02:00:00" run -0 --separate-stderr loy-accrue day.csv
	[ "$(balances | tr "\n" " ")" = "1001:-7 1002:0 " ]
	ledger_ok
}

@test "a purchase after a negative balance pays the debt back first" {
	base --set allow_negative=yes
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-01 10:00:00,5.00\n' >sale.csv
	printf 'txn_id,member_id,occurred_at,qty,amount\nR1,1001,2026-11-02 10:00:00,-1,-12.00\n' >ret.csv
	loy-accrue sale.csv >/dev/null 2>&1
	loy-accrue ret.csv >/dev/null 2>&1
	# -7 + 10 = 3: only 3 of the new 10 points are there to spend
	printf 'txn_id,member_id,occurred_at,amount\nT2,1001,2026-11-03 10:00:00,10.00\n' >more.csv
	run -0 --separate-stderr loy-accrue more.csv
	same "$output" <<EOF
$HEAD
T2,1001,2026-11-03 10:00:00,10.00,10,credited,
EOF
	[ "$(balances)" = "1001:3" ]
	[ "$(q "SELECT sum(remaining) FROM lots")" = 3 ]
	ledger_ok
}

# ------------------------------------------------------- identification

@test "finds the member by a phone written out with other spaces, dashes, points or brackets" {
	base
	printf 'txn_id,phone,occurred_at,amount\nP1,+86 (10) 6552-9988,2026-11-20 10:00:00,6.00\nP2,+44.20.7946.0958,2026-11-20 10:01:00,5.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
P1,1003,2026-11-20 10:00:00,6.00,6,credited,
P2,1002,2026-11-20 10:01:00,5.00,5,credited,
EOF
	ledger_ok
}

@test "with phone_country, finds the member by a phone in national, +CC or 00 form, whichever form they were enrolled with" {
	# the phone first: a receipt's phone names its member before its card
	base --set phone_country=44 --set identify_by=phone,member_id,card,email
	printf 'member_id,name,phone\n1004,Dee,07700 900123\n' >dee.csv
	loy-enroll dee.csv >/dev/null 2>&1
	# 1002 is +44 20 7946 0958; N4 gives 1001's card and Dee's phone
	cat >day.csv <<'EOF'
txn_id,card,phone,occurred_at,amount
N1,,020 7946 0958,2026-11-20 10:00:00,5.00
N2,,0044 20 7946 0958,2026-11-20 10:01:00,6.00
N3,,+44 7700 900123,2026-11-20 10:02:00,7.00
N4,6001001,0044 (7700) 900-123,2026-11-20 10:03:00,8.00
N5,6001001,020 7946 0959,2026-11-20 10:04:00,9.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
N1,1002,2026-11-20 10:00:00,5.00,5,credited,
N2,1002,2026-11-20 10:01:00,6.00,6,credited,
N3,1004,2026-11-20 10:02:00,7.00,7,credited,
N4,1004,2026-11-20 10:03:00,8.00,8,credited,
N5,1001,2026-11-20 10:04:00,9.00,9,credited,
EOF
	ledger_ok
}

@test "finds the member by a phone with the trunk 0 in brackets after the country code, written out in any way" {
	base --set identify_by=phone,member_id,card,email
	# 1001 is +49 30 1234567, 1002 +44 20 7946 0958
	cat >day.csv <<'EOF'
txn_id,phone,occurred_at,amount
T1,+44 (0)20 7946 0958,2026-11-20 10:00:00,5.00
T2,+49(0)30-1234567,2026-11-20 10:01:00,6.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
T1,1002,2026-11-20 10:00:00,5.00,5,credited,
T2,1001,2026-11-20 10:01:00,6.00,6,credited,
EOF
	ledger_ok
}

@test "with phone_country, a member enrolled with the trunk 0 in brackets after the country code is found by the national form" {
	base --set phone_country=44 --set identify_by=phone,member_id,card,email
	printf 'member_id,name,phone\n1004,Dee,+44 (0)7700 900123\n' >dee.csv
	loy-enroll dee.csv >/dev/null 2>&1
	cat >day.csv <<'EOF'
txn_id,phone,occurred_at,amount
N1,07700 900123,2026-11-20 10:00:00,7.00
N2,+44 (0)20 7946 0958,2026-11-20 10:01:00,8.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
N1,1004,2026-11-20 10:00:00,7.00,7,credited,
N2,1002,2026-11-20 10:01:00,8.00,8,credited,
EOF
	ledger_ok
}

@test "--auto-enroll with phone_country: a phone in three forms in one run is one new member" {
	new_ledger --set phone_country=44
	cat >day.csv <<'EOF'
txn_id,phone,occurred_at,amount
A1,07700 900123,2026-11-20 10:00:00,5.00
A2,+44 7700 900123,2026-11-20 11:00:00,6.00
A3,0044 7700-900-123,2026-11-20 12:00:00,7.00
EOF
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	same "$output" <<EOF
$HEAD
A1,1,2026-11-20 10:00:00,5.00,5,credited,member 1 enrolled
A2,1,2026-11-20 11:00:00,6.00,6,credited,
A3,1,2026-11-20 12:00:00,7.00,7,credited,
EOF
	[ "$(q "SELECT phone || '|' || phone_key FROM members")" = "07700 900123|+447700900123" ]
	ledger_ok
}

@test "finds the member by card, phone and e-mail in any case" {
	base
	# I4 names 1003 and 1001's card: member_id comes first in identify_by
	cat >day.csv <<'EOF'
txn_id,member_id,card,phone,email,occurred_at,amount
I1,,6001002,,,2026-11-20 10:00:00,5.00
I2,,,+86 10 6552 9988,,2026-11-20 10:01:00,6.00
I3,,,,ANNA@Example.ORG,2026-11-20 10:02:00,7.00
I4,1003,6001001,,,2026-11-20 10:03:00,8.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
I1,1002,2026-11-20 10:00:00,5.00,5,credited,
I2,1003,2026-11-20 10:01:00,6.00,6,credited,
I3,1001,2026-11-20 10:02:00,7.00,7,credited,
I4,1003,2026-11-20 10:03:00,8.00,8,credited,
EOF
	same "$(balances)" <<'EOF'
1001:7
1002:5
1003:14
EOF
	[ "$(q "SELECT count(*) FROM members")" = 3 ]
	ledger_ok
}

@test "identify_by sets which identifier counts first" {
	base --set identify_by=card,member_id
	# I4: the card (1001) wins over member_id 1003; I5 has only member_id
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
I4,1003,6001001,2026-11-20 10:03:00,8.00
I5,1003,,2026-11-20 10:04:00,9.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
I4,1001,2026-11-20 10:03:00,8.00,8,credited,
I5,1003,2026-11-20 10:04:00,9.00,9,credited,
EOF
	same "$(balances)" <<'EOF'
1001:8
1003:9
EOF
	ledger_ok
}

@test "a receipt naming its member only by a column identify_by leaves out is refused" {
	base --set identify_by=card
	before=$(dump)
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
I1,,6001002,2026-11-20 10:00:00,5.00
I2,1001,,2026-11-20 10:01:00,6.00
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	[[ "${stderr_lines[0]}" == "loy-accrue: day.csv:3: "* ]]
	[ "${stderr_lines[-1]}" = "$NOTHING" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a merged member's id, card, phone and e-mail credit the survivor" {
	base
	loy-enroll merge 1003 1001 >/dev/null
	# the survivor keeps its own phone and e-mail; 1003's stay on its record
	cat >day.csv <<'EOF'
txn_id,member_id,card,phone,email,occurred_at,amount
M1,1003,,,,2026-11-20 10:00:00,5.00
M2,,6001003,,,2026-11-20 10:01:00,6.00
M3,,,+86 10 6552 9988,,2026-11-20 10:02:00,7.00
M4,,,,WANG.FANG@example.cn,2026-11-20 10:03:00,8.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
M1,1001,2026-11-20 10:00:00,5.00,5,credited,
M2,1001,2026-11-20 10:01:00,6.00,6,credited,
M3,1001,2026-11-20 10:02:00,7.00,7,credited,
M4,1001,2026-11-20 10:03:00,8.00,8,credited,
EOF
	[ "$(balances)" = "1001:26" ]
	[ "$(q "SELECT count(*) FROM journal WHERE member_id = '1003'")" = 0 ]
	ledger_ok
}

@test "an unknown member is refused" {
	base
	before=$(dump)
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
U1,9999,,2026-11-20 10:00:00,5.00
U2,1001,,2026-11-20 10:01:00,6.00
U3,,7000001,2026-11-20 10:02:00,7.00
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: day.csv:2: unknown member_id '9999'
loy-accrue: day.csv:4: unknown card '7000001'
loy-accrue: day.csv: 3 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 2 rejected; 1 receipt, 1 member, 6 points
$NOTHING2
loy-accrue: 2 receipts name members the ledger does not know: enrol them with loy-enroll first, or give --auto-enroll
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "after the rows it lists, says how many receipts name members it does not know, and what to do" {
	base
	before=$(dump)
	# U1 has two lines (one receipt); U4 is refused for its amount, not
	# for its member
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
U1,9999,,2026-11-20 10:00:00,5.00
U1,9999,,2026-11-20 10:00:00,1.00
U2,1001,,2026-11-20 10:01:00,6.00
U3,,7000001,2026-11-20 10:02:00,7.00
U4,1002,,2026-11-20 10:03:00,7.0x
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: day.csv:2: unknown member_id '9999'
loy-accrue: day.csv:3: receipt 'U1' is refused: unknown member_id '9999' (line 2)
loy-accrue: day.csv:5: unknown card '7000001'
loy-accrue: day.csv:6: amount '7.0x' is not a decimal number
loy-accrue: day.csv: 5 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 4 rejected; 1 receipt, 1 member, 6 points
loy-accrue: 4 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
loy-accrue: 2 receipts name members the ledger does not know: enrol them with loy-enroll first, or give --auto-enroll
EOF
	[ "$(dump)" = "$before" ]
	# set aside, the rest committed: the same words, exit 1
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "${stderr_lines[4]}" = "loy-accrue: day.csv: 5 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 4 rejected; 1 receipt, 1 member, 6 points" ]
	[ "${stderr_lines[5]}" = "loy-accrue: 2 receipts name members the ledger does not know: enrol them with loy-enroll first, or give --auto-enroll" ]
	[ "${#stderr_lines[@]}" -eq 6 ]
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = U2 ]
	# one receipt: one member
	printf 'txn_id,member_id,occurred_at,amount\nV1,8888,2026-11-20 11:00:00,5.00\n' >one.csv
	run -65 --separate-stderr loy-accrue one.csv
	[ "${stderr_lines[3]}" = "loy-accrue: 1 receipt names a member the ledger does not know: enrol the member with loy-enroll first, or give --auto-enroll" ]
	ledger_ok
}

@test "does not count among the members to enrol a receipt that names its member only by a phone or e-mail no member can have" {
	base
	before=$(dump)
	# X1's phone fails the programme's phone_pattern, X2's phone and
	# e-mail both fail theirs: neither loy-enroll nor --auto-enroll would
	# enrol a member by them; X3's phone is a phone
	cat >day.csv <<'EOF'
txn_id,phone,email,occurred_at,amount
X1,call me,,2026-11-20 10:00:00,5.00
X2,12,nobody,2026-11-20 10:01:00,5.00
X3,+49 30 9999999,,2026-11-20 10:02:00,5.00
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: day.csv:2: unknown phone 'call me': it does not match the programme's phone_pattern, so neither loy-enroll nor --auto-enroll enrols a member by it
loy-accrue: day.csv:3: unknown phone '12' and email 'nobody': they do not match the programme's phone_pattern and email_pattern, so neither loy-enroll nor --auto-enroll enrols a member by them
loy-accrue: day.csv:4: unknown phone '+49 30 9999999'
loy-accrue: day.csv: 3 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 0 receipts, 0 members, 0 points
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
loy-accrue: 1 receipt names a member the ledger does not know: enrol the member with loy-enroll first, or give --auto-enroll
EOF
	[ "$(dump)" = "$before" ]
	# none of them but X3: no message of enrolling
	sed -i '/^X3,/d' day.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${lines[1]}" = "X1,,2026-11-20 10:00:00,5.00,0,rejected,\"unknown phone 'call me': it does not match the programme's phone_pattern, so neither loy-enroll nor --auto-enroll enrols a member by it\"" ]
	[ "$(q "SELECT count(*) FROM receipts")" = 0 ]
	ledger_ok
}

@test "refuses a return of another member's receipt by an unknown member as it would once enrolled, and does not count it among the members to enrol" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-19 10:00:00,20.00\n' >s.csv
	loy-accrue s.csv >/dev/null 2>&1
	before=$(dump)
	cat >r.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R8,1002,2026-11-20 10:00:00,-5.00,S1
R9,9999,2026-11-20 10:00:00,-5.00,S1
R7,7777,2026-11-20 10:00:00,-5.00,
EOF
	run -65 --separate-stderr loy-accrue r.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: r.csv:2: receipt 'R8' returns 'S1', a receipt of another member
loy-accrue: r.csv:3: receipt 'R9' returns 'S1', a receipt of another member
loy-accrue: r.csv:4: unknown member_id '7777'
loy-accrue: r.csv: 3 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 0 receipts, 0 members, 0 points
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
loy-accrue: 1 receipt names a member the ledger does not know: enrol the member with loy-enroll first, or give --auto-enroll
EOF
	# --auto-enroll says the same of R9, and enrols 7777
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv r.csv
	[ "${stderr_lines[1]}" = "loy-accrue: r.csv:3: receipt 'R9' returns 'S1', a receipt of another member" ]
	[ "$(q "SELECT group_concat(member_id) FROM members WHERE member_id IN ('7777', '9999')")" = 7777 ]
	ledger_ok
}

@test "says nothing of enrolling when an error stops the run before it has read every input" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nU1,9999,2026-11-20 10:00:00,5.00\n' >a.csv
	printf 'txn_id,member_id,occurred_at\nU2,1001,2026-11-20 10:00:00\n' >b.csv
	run -65 --separate-stderr loy-accrue a.csv b.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: a.csv:2: unknown member_id '9999'
loy-accrue: a.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
loy-accrue: b.csv:1: no column 'amount' or 'unit_price'
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "says nothing of enrolling when no receipt names an unknown member, or with --auto-enroll" {
	base
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
W1,1001,2026-11-20 10:00:00,5.0x
W2,7777,2026-11-20 10:00:00,5.0y
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "${stderr_lines[3]}" = "$NOTHING2" ]
	[ "${#stderr_lines[@]}" -eq 4 ]
	run -65 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "${stderr_lines[3]}" = "$NOTHING2" ]
	[ "${#stderr_lines[@]}" -eq 4 ]
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv day.csv
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "$(q "SELECT count(*) FROM members WHERE member_id = '7777'")" = 0 ]
	ledger_ok
}

@test "--auto-enroll enrols members the ledger does not know" {
	base
	# 2001.0 is member 2001 (a spreadsheet's whole number); N3 knows only a
	# card and an e-mail address: a new id, the first free one (1)
	cat >day.csv <<'EOF'
txn_id,member_id,card,email,occurred_at,store,amount
N1,2001.0,,,2026-11-20 10:00:00,Berlin Mitte,5.00
N2,2001.0,,,2026-11-21 10:00:00,Berlin Mitte,6.00
N3,,7000001,new@example.org,2026-11-20 11:00:00,London Soho,7.00
N4,1001,,,2026-11-20 12:00:00,,8.00
EOF
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	same "$output" <<EOF
$HEAD
N1,2001,2026-11-20 10:00:00,5.00,5,credited,member 2001 enrolled
N2,2001,2026-11-21 10:00:00,6.00,6,credited,
N3,1,2026-11-20 11:00:00,7.00,7,credited,member 1 enrolled
N4,1001,2026-11-20 12:00:00,8.00,8,credited,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 4 rows, 4 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 4 receipts, 3 members, 26 points" ]
	same "$(q "SELECT member_id, status, coalesce(email, ''), enrolled_at, store, tier FROM members
	    WHERE member_id IN ('1', '2001') ORDER BY member_id")" <<'EOF'
1|active|new@example.org|2026-11-20 11:00:00|London Soho|Pearl
2001|active||2026-11-20 10:00:00|Berlin Mitte|Pearl
EOF
	[ "$(q "SELECT member_id FROM cards WHERE card = '7000001'")" = 1 ]
	same "$(balances)" <<'EOF'
1:7
1001:8
2001:11
EOF
	ledger_ok
}

@test "--auto-enroll: a later receipt of the file names a member an earlier one enrolled" {
	base
	# N3 enrols member 1 (the first free id); N5, further down, names it
	cat >day.csv <<'EOF'
txn_id,member_id,card,email,occurred_at,store,amount
N3,,7000001,new@example.org,2026-11-20 11:00:00,London Soho,7.00
N5,1,,,2026-11-20 12:00:00,,8.00
N4,1001,,,2026-11-20 12:00:00,,8.00
EOF
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	same "$output" <<EOF
$HEAD
N3,1,2026-11-20 11:00:00,7.00,7,credited,member 1 enrolled
N5,1,2026-11-20 12:00:00,8.00,8,credited,
N4,1001,2026-11-20 12:00:00,8.00,8,credited,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 3 rows, 3 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 3 receipts, 2 members, 23 points" ]
	same "$(balances)" <<'EOF'
1:15
1001:8
EOF
	ledger_ok
}

@test "a closed member's receipts are refused" {
	base
	loy-enroll close 1002 >/dev/null
	before=$(dump)
	cat >day.csv <<'EOF'
txn_id,member_id,card,occurred_at,amount
C1,1002,,2026-11-20 10:00:00,5.00
C2,,6001002,2026-11-20 10:01:00,6.00
EOF
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: day.csv:2: member '1002' is closed
loy-accrue: day.csv:3: member '1002' is closed
loy-accrue: day.csv: 2 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 2 rejected; 0 receipts, 0 members, 0 points
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	run -65 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: member '1002' is closed" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--auto-enroll: a phone or e-mail with an escape, a tab or a C1 control is a bad line, not kept on a new member" {
	base --set identify_by=email,phone,member_id
	before=$(dump)
	printf 'txn_id,phone,email,occurred_at,amount\nT1,,"a\033[2Jb@example.com",2026-11-01 10:00:00,5.00\nT2,,"c\302\233d@example.com",2026-11-01 10:00:00,5.00\nT3,"+49 30 555\t1234",,2026-11-01 10:00:00,5.00\nT4,,new@example.com,2026-11-01 10:00:00,5.00\n' >day.csv
	LOY_SHOW_PERSONAL= run -65 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: email '***' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-accrue: day.csv:3: email '***' has a control character (a C1 control, as a Windows-1252 file converted as Latin-1 has for its quotes and dashes: iconv -f WINDOWS-1252 -t UTF-8 converts the original)" ]
	[ "${stderr_lines[2]}" = "loy-accrue: day.csv:4: phone '***' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv day.csv
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = T4 ]
	[ "$(q "SELECT count(*) FROM members WHERE email GLOB '*[^ -~]*' OR phone GLOB '*[^ -~]*'")" = 0 ]
	[ "$(q "SELECT count(*) FROM members")" = 4 ]
	ledger_ok
}

# -------------------------------------------------------------- pending

@test "return_window_days keeps a recent purchase's points pending" {
	base --set return_window_days=14
	# available = purchase + 14 days; pending while that is after now (2026-11-23 12:00)
	# P1 12.00 -> 12, available 2026-12-04: pending; P2 30.00 -> 30, available
	# 2026-11-15: credited; P3 5.00 -> 5, available exactly now: credited
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
P1,1001,2026-11-20 09:14:00,12.00
P2,1001,2026-11-01 09:14:00,30.00
P3,1002,2026-11-09 12:00:00,5.00
EOF
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
P1,1001,2026-11-20 09:14:00,12.00,12,pending,
P2,1001,2026-11-01 09:14:00,30.00,30,credited,
P3,1002,2026-11-09 12:00:00,5.00,5,credited,
EOF
	[ "$stderr" = "loy-accrue: day.csv: 3 rows, 2 credited, 1 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 3 receipts, 2 members, 47 points" ]
	same "$(q "SELECT earned_at, available_at, expires_at, points FROM lots ORDER BY lot_id")" <<'EOF'
2026-11-20 09:14:00|2026-12-04 09:14:00|2028-11-20 09:14:00|12
2026-11-01 09:14:00|2026-11-15 09:14:00|2028-11-01 09:14:00|30
2026-11-09 12:00:00|2026-11-23 12:00:00|2028-11-09 12:00:00|5
EOF
	same "$(q "SELECT txn_id, status FROM receipts ORDER BY txn_id")" <<'EOF'
P1|pending
P2|credited
P3|credited
EOF
	ledger_ok
}

@test "a receipt in the return window that earns no points is credited, not pending" {
	base --set return_window_days=14
	printf 'txn_id,member_id,occurred_at,amount\nP1,1001,2026-11-20 09:14:00,0.99\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
P1,1001,2026-11-20 09:14:00,0.99,0,credited,
EOF
	[ "$(q "SELECT status, points FROM receipts WHERE txn_id = 'P1'")" = "credited|0" ]
	[ "$(q "SELECT count(*) FROM lots")" = 0 ]
	ledger_ok
}

@test "a purchase's return window is the one of the programme version in force when it was made, applied or not" {
	base
	# from 1 December a 14-day window, loaded ahead and not applied since
	printf '[programme]\nreturn_window_days = 14\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'return_window_days'")" = 0 ]
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
N1,1001,2026-11-30 18:00:00,12.00
D1,1002,2026-12-02 09:00:00,30.00
EOF
	LOY_NOW="2026-12-03 02:00:00" run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
N1,1001,2026-11-30 18:00:00,12.00,12,credited,
D1,1002,2026-12-02 09:00:00,30.00,30,pending,
EOF
	same "$(q "SELECT member_id, coalesce(available_at, '-') FROM lots ORDER BY lot_id")" <<'EOF'
1001|-
1002|2026-12-16 09:00:00
EOF
	ledger_ok
}

@test "the bonuses a pending purchase gives are pending with it, and its return within the window takes them back" {
	new_ledger
	printf 'member_id,name,referrer\n1001,Anna,\n1002,Chidi,1001\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	cat >p.conf <<'EOF'
[programme]
return_window_days = 14

[rule refer]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 50

[rule regular]
trigger = cumulative
spend = 60
period = month
bonus = 300
EOF
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nP1,1002,2026-11-20 10:00:00,60.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<EOF
$HEAD
P1,1002,2026-11-20 10:00:00,60.00,60,pending,
P1,1001,2026-11-20 10:00:00,0.00,50,bonus,rule refer: referred member 1002
P1,1002,2026-11-20 10:00:00,0.00,50,bonus,rule refer: referred by 1001
P1,1002,2026-11-20 10:00:00,0.00,300,bonus,rule regular: period 2026-11
EOF
	# every lot of P1, its bonuses' too, becomes available on 2026-12-04
	same "$(q "SELECT member_id, points, available_at FROM lots ORDER BY lot_id")" <<'EOF'
1002|60|2026-12-04 10:00:00
1001|50|2026-12-04 10:00:00
1002|50|2026-12-04 10:00:00
1002|300|2026-12-04 10:00:00
EOF
	run -0 --separate-stderr loy-report balances
	same "$output" <<'EOF'
member_id,status,tier,balance,spendable,pending,past_date,last_activity
1001,active,Pearl,50,0,50,0,
1002,active,Pearl,410,0,410,0,2026-11-20 10:00:00
EOF
	printf 'reward_id,name,points\nMUG,Mug,300\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1002,MUG\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "R1,refused,\"300 points needed, 0 spendable\",0," ]
	# the whole return within the window: P1's points, the period's bonus
	# and the referral bonuses come back out of their pending lots
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nX1,1002,2026-11-22 10:00:00,-60.00,P1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
X1,1002,2026-11-22 10:00:00,-60.00,-60,returned,
X1,1002,2026-11-22 10:00:00,0.00,-300,bonus,"rule regular: period 2026-11 taken back: the spend is 0.00, below 60.00"
X1,1001,2026-11-22 10:00:00,0.00,-50,bonus,rule refer: referred member 1002 taken back: receipt P1 returned in full
X1,1002,2026-11-22 10:00:00,0.00,-50,bonus,rule refer: referred by 1001 taken back: receipt P1 returned in full
EOF
	same "$(q "SELECT member_id, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
1002|60|0
1001|50|0
1002|50|0
1002|300|0
EOF
	ledger_ok
}

@test "a return of a merged member's pending receipt takes the lot the merge moved, not spendable points" {
	base --set return_window_days=14
	printf 'member_id,points,earned_at,expires_at\n1001,50,2025-01-01,2027-01-01\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nP2,1003,2026-11-20 10:00:00,12.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nX2,1001,2026-11-23 10:00:00,-12.00,P2\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
X2,1001,2026-11-23 10:00:00,-12.00,-12,returned,
EOF
	run -0 --separate-stderr loy-report balances
	[ "${lines[1]}" = "1001,active,Pearl,50,50,0,0,2026-11-23 10:00:00" ]
	same "$(q "SELECT earned_at, available_at, remaining FROM lots WHERE remaining > 0")" <<'EOF'
2025-01-01 00:00:00||50
EOF
	ledger_ok
}

@test "a return after a cancelled redemption takes back the points the cancel gave back, not the soonest-expiring lot" {
	base
	printf 'reward_id,name,points\nMUG,Mug,30\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nP1,1001,2026-11-01 10:00:00,30.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	# R1 spends P1's 30 points; then 50 points that expire sooner; R1 cancelled
	printf 'request_id,member_id,reward_id\nR1,1001,MUG\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'member_id,points,earned_at,expires_at\n1001,50,2026-06-01,2027-06-01\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	loy-redeem cancel R1 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nX1,1001,2026-11-20 10:00:00,-30.00,P1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
X1,1001,2026-11-20 10:00:00,-30.00,-30,returned,
EOF
	# the 50 points expiring 2027-06-01 stay; the lot the cancel gave back is empty
	same "$(q "SELECT earned_at, expires_at, remaining FROM lots WHERE remaining > 0")" <<'EOF'
2026-06-01 00:00:00|2027-06-01 00:00:00|50
EOF
	[ "$(q "SELECT remaining FROM lots WHERE entry_id = (SELECT cancel_entry FROM redemptions WHERE request_id = 'R1')")" = 0 ]
	ledger_ok
}

# ------------------------------------------------------------ bad input

@test "a negative amount on a sale line is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,qty,amount\nB1,1001,2026-11-20 10:00:00,1,-5.00\n' >bad.csv
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: amount '-5.00' is negative on a sale line
loy-accrue: bad.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a qty of zero is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,qty,unit_price\nB2,1001,2026-11-20 10:00:00,0,1.49\n' >bad.csv
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: qty is zero
loy-accrue: bad.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an empty qty is no qty, as loy-redeem reads it: 1 with an amount, refused with a unit_price" {
	base
	# as a file without the qty column: the amount is the line's, its
	# sign says sale or return
	printf 'txn_id,member_id,occurred_at,qty,amount\nE1,1001,2026-11-20 10:00:00,,10.00\nE1,1001,2026-11-20 10:00:00,2,4.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<OUT
$HEAD
E1,1001,2026-11-20 10:00:00,14.00,14,credited,
OUT
	[ "$(q "SELECT amount || ':' || lines FROM receipts WHERE txn_id = 'E1'")" = "1400:2" ]
	# a unit price is per unit: without a qty there is no line total
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,qty,unit_price\nE2,1001,2026-11-20 10:00:00,,1.49\n' >bad.csv
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: qty is empty, and unit_price needs it
loy-accrue: bad.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an amount with more decimals than the currency has is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nB3,1001,2026-11-20 10:00:00,12.345\n' >bad.csv
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: amount '12.345' has more than 2 decimals
loy-accrue: bad.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a receipt whose lines name different members is refused" {
	base
	before=$(dump)
	cat >bad.csv <<'EOF'
txn_id,member_id,occurred_at,amount
B4,1001,2026-11-20 10:00:00,1.00
B4,1002,2026-11-20 10:00:00,1.00
EOF
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: receipt 'B4' is refused: receipt 'B4' has lines for member_id '1001' and '1002' (line 3)
loy-accrue: bad.csv:3: receipt 'B4' has lines for member_id '1001' and '1002'
loy-accrue: bad.csv: 2 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 2 rejected; 0 receipts, 0 members, 0 points
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a receipt whose lines are on different days is refused" {
	base
	before=$(dump)
	cat >bad.csv <<'EOF'
txn_id,member_id,occurred_at,amount
B5,1001,2026-11-20 23:59:00,1.00
B5,1001,2026-11-21 00:01:00,1.00
EOF
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:2: receipt 'B5' is refused: receipt 'B5' has lines on 2026-11-20 and 2026-11-21 (line 3)
loy-accrue: bad.csv:3: receipt 'B5' has lines on 2026-11-20 and 2026-11-21
loy-accrue: bad.csv: 2 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 2 rejected; 0 receipts, 0 members, 0 points
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a receipt whose total passes what loy can count is refused once, its later lines with it" {
	base
	before=$(dump)
	cat >big.csv <<'EOF'
txn_id,member_id,occurred_at,amount
B6,1001,2026-11-20 10:00:00,6000000000000.00
B6,1001,2026-11-20 10:00:00,6000000000000.00
B6,1001,2026-11-20 10:00:00,1.00
B6,1001,2026-11-20 10:00:00,-2.00
B7,1002,2026-11-20 10:00:00,5.00
EOF
	run -65 --separate-stderr loy-accrue big.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: big.csv:2: receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
loy-accrue: big.csv:3: receipt 'B6' totals more than loy can count
loy-accrue: big.csv:4: receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
loy-accrue: big.csv:5: receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
loy-accrue: big.csv: 5 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 4 rejected; 1 receipt, 1 member, 5 points
loy-accrue: 4 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
EOF
	[ "$(dump)" = "$before" ]
	# set aside: the receipt whole, each of its lines in the rejects file
	run -1 --separate-stderr loy-accrue --rejects rej.csv big.csv
	same "$output" <<EOF
$HEAD
B6,1001,2026-11-20 10:00:00,,0,rejected,receipt 'B6' totals more than loy can count
B7,1002,2026-11-20 10:00:00,5.00,5,credited,
EOF
	same "$(cat rej.csv)" <<EOF
txn_id,member_id,occurred_at,amount,rejected_line,reason
B6,1001,2026-11-20 10:00:00,6000000000000.00,2,receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
B6,1001,2026-11-20 10:00:00,6000000000000.00,3,receipt 'B6' totals more than loy can count
B6,1001,2026-11-20 10:00:00,1.00,4,receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
B6,1001,2026-11-20 10:00:00,-2.00,5,receipt 'B6' is refused: receipt 'B6' totals more than loy can count (line 3)
EOF
	[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'B6'")" = 0 ]
	[ "$(q "SELECT count(*) FROM journal WHERE member_id = '1001'")" = 0 ]
	ledger_ok
}

@test "a purchase later than now plus future_tolerance_hours is refused" {
	base
	before=$(dump)
	# now 2026-11-23 12:00:00 + 24 h: F1 is just in, F2 a second too late
	cat >bad.csv <<'EOF'
txn_id,member_id,occurred_at,amount
F1,1001,2026-11-24 12:00:00,1.00
F2,1001,2026-11-24 12:00:01,1.00
EOF
	run -65 --separate-stderr loy-accrue bad.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: bad.csv:3: occurred_at '2026-11-24 12:00:01' is in the future
loy-accrue: bad.csv: 2 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 1 receipt, 1 member, 1 point
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a file cut off inside a quoted field is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount,description\nT1,1001,2026-11-20 09:14:00,5.00,Milk\nT2,1001,2026-11-20 09:20:00,6.00,"Bread, sourdough\n' >cut.csv
	run -65 --separate-stderr loy-accrue cut.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: cut.csv:3: row has a quoted field that is not terminated
loy-accrue: cut.csv: 2 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 1 receipt, 1 member, 5 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a gzip file is refused as not CSV" {
	base
	before=$(dump)
	printf '\037\213\010\000\000\000\000\000\000\003\313\110\315\311\311\007\000' >sales.csv.gz
	run -65 --separate-stderr loy-accrue sales.csv.gz
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: sales.csv.gz:1: header contains a NUL byte" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a PNG image is refused as not CSV" {
	base
	before=$(dump)
	printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000\000\001' >logo.png
	run -65 --separate-stderr loy-accrue logo.png
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: logo.png:1: header is not valid UTF-8" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a file without txn_id or occurred_at is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,amount\nT1,1001,5.00\n' >a.csv
	run -65 --separate-stderr loy-accrue a.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: a.csv:1: no column 'occurred_at'" ]
	printf 'member_id,occurred_at,amount\n1001,2026-11-20 09:14:00,5.00\n' >b.csv
	run -65 --separate-stderr loy-accrue b.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: b.csv:1: no column 'txn_id' (the receipt)" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a file without amount or unit_price is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,total\nT1,1001,2026-11-20 09:14:00,5.00\n' >a.csv
	run -65 --separate-stderr loy-accrue a.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: a.csv:1: no column 'amount' or 'unit_price'" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "unit_price without qty is refused" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,unit_price\nT1,1001,2026-11-20 09:14:00,5.00\n' >a.csv
	run -65 --separate-stderr loy-accrue a.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: a.csv:1: column 'unit_price' needs a column 'qty'" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a corrected rejects file read back takes the receipts as the input had them: the input read again is a duplicate" {
	base
	printf 'txn_id,member_id,occurred_at,sku,amount\nT1,1001,2026-11-20 10:00:00,A,5.00\nT2,1009,2026-11-20 10:00:00,A,5.00\nT2,1009,2026-11-20 10:00:00,B,6.00\n' >day.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	# the line a row started on is no line number of the receipt
	[ "$(head -1 rej.csv)" = "txn_id,member_id,occurred_at,sku,amount,rejected_line,reason" ]
	printf 'member_id\n1009\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue rej.csv
	[ "${lines[1]}" = "T2,1009,2026-11-20 10:00:00,11.00,11,credited," ]
	[ "$(q "SELECT group_concat(l.value ->> 0) FROM receipts r, json_each(r.earn, '$.lines') l WHERE r.txn_id = 'T2'")" = "1,2" ]
	run -0 --separate-stderr loy-accrue day.csv
	[ "$stderr" = "loy-accrue: day.csv: 3 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 2 duplicate, 0 rejected; 0 receipts, 0 members, 0 points"$'\n'"$(idle loy-accrue)" ]
	[ "$(balances)" = "1001:5
1009:11" ]
	ledger_ok
}

@test "--rejects to a device that takes no writes, or to a closed standard output or error, commits nothing: the bad rows are not lost" {
	base
	printf 'txn_id,member_id,occurred_at,sku,qty,amount\nT1,1001,2026-11-20 09:14:00,A,0,4.00\nT2,1002,2026-11-20 09:20:00,A,1,5.00\n' >day.csv
	before=$(dump)
	run -74 --separate-stderr loy-accrue --rejects /dev/full day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[-1]}" = "loy-accrue: cannot write the rejects to '/dev/full': No space left on device; nothing committed" ]
	run -74 --separate-stderr bash -c 'loy-accrue --rejects /dev/stdout day.csv >/dev/full'
	[ "${stderr_lines[-1]}" = "loy-accrue: cannot write the rejects to '/dev/stdout': No space left on device; nothing committed" ]
	run -74 --separate-stderr bash -c 'loy-accrue --rejects /dev/stdout day.csv >&-'
	[ "${stderr_lines[-1]}" = "loy-accrue: cannot write the rejects to '/dev/stdout': Bad file descriptor; nothing committed" ]
	run -74 --separate-stderr bash -c 'loy-accrue --rejects /dev/stderr day.csv 2>/dev/full'
	[ "$(dump)" = "$before" ]
	# where they can go, they go once the run commits
	run -1 --separate-stderr bash -c 'loy-accrue --rejects /dev/stderr day.csv 2>rej.txt'
	grep -q '^T1,1001,2026-11-20 09:14:00,A,0,4.00,2,qty is zero$' rej.txt
	[ "$(q "SELECT count(*) FROM receipts")" = 1 ]
	ledger_ok
}

@test "the rejects file of a run of several POS files names each row's file, and read back with others names them again in rejected_file" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nA1,1001,2026-11-20 09:00:00,4.00\nA2,1001,2026-11-20 10:00:00,4,0\n' >store1.csv
	printf 'txn_id,member_id,occurred_at,amount\nB1,1002,2026-11-20 09:00:00,5.00\nB2,1002,2026-11-20 10:00:00,x\n' >store2.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv store1.csv store2.csv
	same "$(cat rej.csv)" <<'EOF'
txn_id,member_id,occurred_at,amount,file,rejected_line,reason
A2,1001,2026-11-20 10:00:00,4,0,store1.csv,3,"row has 5 fields, the header has 4"
B2,1002,2026-11-20 10:00:00,x,store2.csv,3,amount 'x' is not a decimal number
EOF
	[ "$(balances)" = "1001:4
1002:5" ]
	# one input: no file column; the rejects file's own is kept as read
	printf 'txn_id,member_id,occurred_at,amount\nC1,1003,2026-11-20 09:00:00,y\n' >store3.csv
	run -1 --separate-stderr loy-accrue --rejects rej2.csv store3.csv
	same "$(cat rej2.csv)" <<'EOF'
txn_id,member_id,occurred_at,amount,rejected_line,reason
C1,1003,2026-11-20 09:00:00,y,2,amount 'y' is not a decimal number
EOF
	# read back beside another file of its columns: the line where it
	# is, the file and the reason after the ones read
	grep -v '^A2' rej.csv >fixed.csv
	printf 'txn_id,member_id,occurred_at,amount,file,rejected_line,reason\nD1,1003,2026-11-20 09:00:00,z,,,\n' >more.csv
	run -1 --separate-stderr loy-accrue --rejects rej3.csv fixed.csv more.csv
	same "$(cat rej3.csv)" <<'EOF'
txn_id,member_id,occurred_at,amount,file,rejected_line,reason,rejected_file,rejected_reason
B2,1002,2026-11-20 10:00:00,x,store2.csv,2,amount 'x' is not a decimal number,fixed.csv,amount 'x' is not a decimal number
D1,1003,2026-11-20 09:00:00,z,,2,,more.csv,amount 'z' is not a decimal number
EOF
	ledger_ok
}

@test "--rejects sets aside every line of a bad receipt and commits the rest" {
	base
	# T1's line 4 has qty 0: all three T1 lines go; T2 = 5.00 + 3.00 = 8.00 -> 8
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount
T1,1001,2026-11-20 09:14:00,A,1,4.00
T2,1002,2026-11-20 09:20:00,A,1,5.00
T1,1001,2026-11-20 09:14:00,B,0,1.00
T2,1002,2026-11-20 09:20:00,B,2,3.00
T1,1001,2026-11-20 09:14:00,C,1,2.00
EOF
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 09:14:00,,0,rejected,qty is zero
T2,1002,2026-11-20 09:20:00,8.00,8,credited,
EOF
	same "$stderr" <<'EOF'
loy-accrue: day.csv:2: receipt 'T1' is refused: qty is zero (line 4)
loy-accrue: day.csv:4: qty is zero
loy-accrue: day.csv:6: receipt 'T1' is refused: qty is zero (line 4)
loy-accrue: day.csv: 5 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 1 receipt, 1 member, 8 points
EOF
	same "$(cat rej.csv)" <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,rejected_line,reason
T1,1001,2026-11-20 09:14:00,A,1,4.00,2,receipt 'T1' is refused: qty is zero (line 4)
T1,1001,2026-11-20 09:14:00,B,0,1.00,4,qty is zero
T1,1001,2026-11-20 09:14:00,C,1,2.00,6,receipt 'T1' is refused: qty is zero (line 4)
EOF
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = T2 ]
	[ "$(balances)" = "1002:8" ]
	[ "$(q "SELECT rows_read || '|' || rows_changed || '|' || rows_rejected FROM runs ORDER BY run_id DESC LIMIT 1")" = "5|1|3" ]
	ledger_ok
}

# -------------------------------------------------------------- options

@test "--map and --date-format read another system's export" {
	base
	# Brot 1 x 3.49 + Milch 2 x 1.19 = 3.49 + 2.38 = 5.87 -> 5, at 09:14
	cat >kasse.csv <<'EOF'
Bon,Kunde,Datum,Artikel,Menge,Preis
M1,1001,20/11/2026 09:16,Brot,1,3.49
M1,1001,20/11/2026 09:14,Milch,2,1.19
EOF
	run -0 --separate-stderr loy-accrue --map txn_id=Bon,member_id=Kunde,occurred_at=Datum \
	    --map sku=Artikel,qty=Menge,unit_price=Preis --date-format '%d/%m/%Y %H:%M' kasse.csv
	same "$output" <<EOF
$HEAD
M1,1001,2026-11-20 09:14:00,5.87,5,credited,
EOF
	[ "$(q "SELECT occurred_at || '|' || amount || '|' || lines FROM receipts")" = "2026-11-20 09:14:00|587|2" ]
	[ "$(balances)" = "1001:5" ]
	ledger_ok
}

@test "--date-format without a year is refused before anything is read" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,20.11 09:14,1.00\n' >day.csv
	run -64 --separate-stderr loy-accrue --date-format '%d.%m %H:%M' --rejects rej.csv day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --date-format '%d.%m %H:%M' gives no year: a date format must give the year (%Y or %y), the month (%m or %b) and the day (%d)" ]
	[ ! -e rej.csv ]
	run -64 --separate-stderr loy-accrue --date-format '%Q' day.csv
	[ "${stderr_lines[0]}" = "loy-accrue: --date-format '%Q' has '%Q', which strptime(3) does not read" ]
	[ "$(dump)" = "$before" ]
	# a time of day with %T, %I and %p, literal text: all taken
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,20.11.2026 at 09:14:30,1.00\n' >t1.csv
	run -0 --separate-stderr loy-accrue --date-format '%d.%m.%Y at %T' t1.csv
	printf 'txn_id,member_id,occurred_at,amount\nT2,1001,20.11.2026 at 01:15:00 PM,1.00\n' >t2.csv
	run -0 --separate-stderr loy-accrue --date-format '%d.%m.%Y at %I:%M:%S %p' t2.csv
	[ "$(q "SELECT group_concat(occurred_at, '|') FROM receipts ORDER BY occurred_at")" = "2026-11-20 09:14:30|2026-11-20 13:15:00" ]
	ledger_ok
}

@test "--date-format with a time zone name (%Z) is refused: strptime skips the zone; %z converts" {
	base --set timezone=Europe/Berlin
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-06-05 10:00:00 UTC,1.00\n' >utc.csv
	run -64 --separate-stderr loy-accrue --date-format '%Y-%m-%d %H:%M:%S %Z' utc.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --date-format '%Y-%m-%d %H:%M:%S %Z' has '%Z', a time zone name, which strptime(3) reads and ignores: give the UTC offset with %z" ]
	[ "$(dump)" = "$before" ]
	# the same time with an offset is 12:00 in Berlin in June
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-06-05 10:00:00 +0000,1.00\n' >off.csv
	run -0 --separate-stderr loy-accrue --date-format '%Y-%m-%d %H:%M:%S %z' off.csv
	[ "$(q "SELECT occurred_at FROM receipts")" = "2026-06-05 12:00:00" ]
	ledger_ok
}

@test "summer time: the hour skipped is kept as written, the hour repeated reads the same twice, expiry counts the calendar" {
	base --set timezone=Europe/Berlin
	# 29 March 2026 has no 02:30 in Berlin; on 25 October 02:30 comes twice,
	# at 00:30 and 01:30 UTC
	cat >dst.csv <<'EOF'
txn_id,member_id,occurred_at,amount
T1,1001,2026-03-29 02:30:00,10.00
T2,1001,2026-10-25T00:30:00Z,10.00
T3,1001,2026-10-25T01:30:00+00:00,10.00
EOF
	run -0 --separate-stderr loy-accrue dst.csv
	[ "$(q "SELECT group_concat(txn_id || ' ' || occurred_at, '|') FROM receipts ORDER BY txn_id")" = \
	    "T1 2026-03-29 02:30:00|T2 2026-10-25 02:30:00|T3 2026-10-25 02:30:00" ]
	[ "$(q "SELECT group_concat(earned_at || ' ' || expires_at, '|') FROM lots ORDER BY lot_id")" = \
	    "2026-03-29 02:30:00 2028-03-29 02:30:00|2026-10-25 02:30:00 2028-10-25 02:30:00|2026-10-25 02:30:00 2028-10-25 02:30:00" ]
	ledger_ok
}

@test "an empty date says it is empty, in POS lines, opening balances and events" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,,5.00\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: occurred_at is empty" ]
	printf 'member_id,points,earned_at,expires_at\n1001,10,,\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:2: earned_at is empty" ]
	printf 'event_id,member_id,event,occurred_at\nE1,1001,review,\n' >ev.csv
	run -65 --separate-stderr loy-accrue --events ev.csv
	[ "${stderr_lines[0]}" = "loy-accrue: ev.csv:2: occurred_at is empty" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--date-format refuses dates in any other format" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 09:14:00,1.00\n' >day.csv
	run -65 --separate-stderr loy-accrue --date-format '%d/%m/%Y %H:%M' day.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: day.csv:2: occurred_at '2026-11-20 09:14:00' does not match datetime format '%d/%m/%Y %H:%M'
loy-accrue: day.csv: 1 row, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 1 rejected; 0 receipts, 0 members, 0 points
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--tsv reads and writes TSV" {
	base
	# 9.99 + 0.99 = 10.98 -> 10
	printf 'txn_id\tmember_id\toccurred_at\tamount\tdescription\nT1\t1001\t2026-11-20 09:14:00\t9.99\tWine, red\nT1\t1001\t2026-11-20 09:14:00\t0.99\t"Bag"\n' >day.tsv
	run -0 --separate-stderr loy-accrue --tsv day.tsv
	same "$output" <<EOF
txn_id	member_id	occurred_at	amount	points	status	detail
T1	1001	2026-11-20 09:14:00	10.98	10	credited	
EOF
	[ "$(balances)" = "1001:10" ]
	ledger_ok
}

@test "--dry-run prints what a run would and commits nothing" {
	base
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,amount
T1,1001,2026-11-20 09:14:00,9.99
A1,,2026-11-20 10:05:00,2.50
N1,2001,2026-11-20 10:06:00,3.00
EOF
	before=$(dump)
	run -0 --separate-stderr loy-accrue --dry-run --auto-enroll day.csv
	dry=$output
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 09:14:00,9.99,9,credited,
A1,,2026-11-20 10:05:00,2.50,0,anonymous,
N1,2001,2026-11-20 10:06:00,3.00,3,credited,member 2001 enrolled
EOF
	same "$stderr" <<'EOF'
loy-accrue: day.csv: 3 rows, 2 credited, 0 pending, 0 returned, 1 anonymous, 0 duplicate, 0 rejected; 3 receipts, 2 members, 12 points
loy-accrue: dry run: nothing committed
EOF
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-accrue -n --auto-enroll day.csv
	[ "$output" = "$dry" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "$output" = "$dry" ]
	[ "$stderr" = "loy-accrue: day.csv: 3 rows, 2 credited, 0 pending, 0 returned, 1 anonymous, 0 duplicate, 0 rejected; 3 receipts, 2 members, 12 points" ]
	ledger_ok
}

@test "--dry-run with bad rows fails as a real run would" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nT1,9999,2026-11-20 09:14:00,9.99\n' >day.csv
	run -65 --separate-stderr loy-accrue --dry-run day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: unknown member_id '9999'" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--table lines the columns up (the README's example)" {
	base
	printf 'member_id\n1005\n' >more.csv
	loy-enroll more.csv >/dev/null 2>&1
	mkdir examples
	cp "$EXAMPLES/pos.csv" examples/
	run -0 --separate-stderr loy-accrue --table examples/pos.csv
	same "$output" <<'EOF'
txn_id  member_id  occurred_at          amount  points  status     detail
T1001   1001       2026-11-20 09:14:00  9.15    9       credited
T1002   1003       2026-11-20 10:02:00  88.00   88      credited
T1003              2026-11-20 10:05:00  2.50    0       anonymous
T1004   1005       2026-11-20 11:30:00  47.52   47      credited
T1005   1002       2026-11-21 18:40:00  24.00   24      credited
T1006   1002       2026-11-22 12:00:00  -12.00  -12     returned
EOF
	[ "$stderr" = "loy-accrue: examples/pos.csv: 8 rows, 4 credited, 0 pending, 1 returned, 1 anonymous, 0 duplicate, 0 rejected; 6 receipts, 4 members, 156 points" ]
	ledger_ok
}

@test "--auto-enroll does not go with --adjust, --opening or --events: one message for every pair" {
	base
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,5,x,R1\n' >adj.csv
	run -64 --separate-stderr loy-accrue --adjust --auto-enroll adj.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust, --opening, --auto-enroll, --events and --explain go alone: give one of them" ]
	[ "${stderr_lines[-1]}" = "Try 'loy-accrue --help' for more information." ]
	run -64 --separate-stderr loy-accrue --opening --auto-enroll adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust, --opening, --auto-enroll, --events and --explain go alone: give one of them" ]
	run -64 --separate-stderr loy-accrue --events --auto-enroll adj.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust, --opening, --auto-enroll, --events and --explain go alone: give one of them" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--events and --explain go alone too, and the message names the forms, not --explain to a command without it" {
	base
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,5,x,R1\n' >adj.csv
	run -64 --separate-stderr loy-accrue --adjust --events adj.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust, --opening, --auto-enroll, --events and --explain go alone: give one of them" ]
	run -64 --separate-stderr loy-accrue --auto-enroll --explain member=1001
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust, --opening, --auto-enroll, --events and --explain go alone: give one of them" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# -------------------------------------------------------- the UCI data

# The README's import of the UCI Online Retail export.
uci() {
	loy-accrue --auto-enroll --rejects uci-rejects.csv --map txn_id=InvoiceNo,sku=StockCode,description=Description,qty=Quantity,occurred_at=InvoiceDate,unit_price=UnitPrice,member_id=CustomerID,store=Country uci.csv
}

# Each invoice of uci.csv as inv|customer|cents, worked out apart from
# loy: a line is Quantity x UnitPrice in thousandths, rounded half away
# from zero to cents; an invoice is the sum of its lines.
uci_invoices() {
	csvq uci.csv "
	WITH l AS (SELECT InvoiceNo AS inv, CustomerID AS cust,
	    CAST(Quantity AS INTEGER) * CAST(round(UnitPrice * 1000) AS INTEGER) AS m FROM t)
	SELECT inv, cust, sum(CASE WHEN m < 0 THEN -((-m + 5) / 10) ELSE (m + 5) / 10 END)
	  FROM l GROUP BY inv"
}

# The first 2000 lines of the UCI export: from the whole file beside the
# source tree when it is there, else from the slice of it in tests/data
uci_slice() {
	local gz="$DATA/online_retail.csv.gz"

	[ -r "$gz" ] || gz="$BATS_TEST_DIRNAME/data/online_retail-2000.csv.gz"
	zcat "$gz" | head -n 2001 >uci.csv
	[ "$(wc -l <uci.csv)" = 2001 ]
	[ "$(sha256sum <uci.csv)" = "bbb959a14b5346091c890bf8fd3e593e568f1f79512cf4bb3976cd7301f9e270  -" ]
}

@test "the UCI Online Retail data: a slice of 2000 lines as the README imports it" {
	uci_slice
	new_ledger
	uci_invoices >inv.txt
	receipts=$(wc -l <inv.txt)
	anonymous=$(awk -F'|' '$2 == ""' inv.txt | wc -l)
	customers=$(csvq uci.csv "SELECT count(DISTINCT CustomerID) FROM t WHERE CustomerID <> ''")
	returns=$(awk -F'|' '$2 != "" && $1 ~ /^C/' inv.txt | wc -l)
	credited=$(awk -F'|' '$2 != "" && $1 !~ /^C/' inv.txt | wc -l)
	# points: floor(total) of every invoice of a customer that is not a cancellation
	points=$(awk -F'|' '$2 != "" && $1 !~ /^C/ { p += int($3 / 100) } END { print p }' inv.txt)
	[ "$receipts" -gt 50 ]
	[ "$anonymous" -gt 0 ]
	[ "$returns" -gt 0 ]

	run -0 --separate-stderr uci
	echo "$output" >out.csv
	[ "${lines[0]}" = "$HEAD" ]
	[ "${#lines[@]}" = $((receipts + 1)) ]
	[ "$(csvq out.csv "SELECT count(*) FROM t WHERE status = 'anonymous'")" = "$anonymous" ]
	[ "$(csvq out.csv "SELECT count(*) FROM t WHERE status = 'returned'")" = "$returns" ]
	[ "$(csvq out.csv "SELECT count(*) FROM t WHERE status = 'returned' AND txn_id NOT LIKE 'C%'")" = 0 ]
	[ "$(csvq out.csv "SELECT count(*) FROM t WHERE status = 'credited'")" = "$credited" ]
	[ "$(csvq out.csv "SELECT sum(points) FROM t WHERE status = 'credited'")" = "$points" ]
	[ ! -s uci-rejects.csv ]

	# the ledger agrees: receipts, members (17850.0 is 17850), points
	[ "$(q "SELECT count(*) FROM receipts")" = "$receipts" ]
	[ "$(q "SELECT count(*) FROM receipts WHERE member_id IS NULL")" = "$anonymous" ]
	[ "$(q "SELECT count(*) FROM members")" = "$customers" ]
	[ "$(q "SELECT count(*) FROM members WHERE member_id LIKE '%.%'")" = 0 ]
	[ "$(q "SELECT member_id FROM members WHERE member_id = '17850'")" = 17850 ]
	[ "$(q "SELECT sum(points) FROM receipts WHERE status = 'credited'")" = "$points" ]
	[ "$(q "SELECT sum(points) FROM receipts WHERE status = 'credited'")" = \
	    "$(q "SELECT sum(points) FROM journal WHERE kind = 'earn'")" ]
	# every receipt's amount is the invoice's own total
	[ "$(q "SELECT txn_id || '|' || coalesce(member_id, '') || '|' || amount FROM receipts ORDER BY txn_id")" = \
	    "$(LC_ALL=C sort -t'|' -k1,1 inv.txt | sed 's/\.0|/|/')" ]
	net=$(q "SELECT sum(points) FROM receipts")
	[ "$stderr" = "loy-accrue: uci.csv: 2000 rows, $credited credited, 0 pending, $returns returned, $anonymous anonymous, 0 duplicate, 0 rejected; $receipts receipts, $customers members, $net points" ]
	ledger_ok
}

@test "the UCI Online Retail data: a second import is all duplicates" {
	uci_slice
	new_ledger
	uci >/dev/null 2>&1
	receipts=$(q "SELECT count(*) FROM receipts")
	before=$(books)
	run -0 --separate-stderr uci
	echo "$output" >out.csv
	[ "${#lines[@]}" = $((receipts + 1)) ]
	[ "$(csvq out.csv "SELECT count(*) FROM t WHERE status = 'duplicate' AND points = '0'")" = "$receipts" ]
	[ "$stderr" = "loy-accrue: uci.csv: 2000 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, $receipts duplicate, 0 rejected; 0 receipts, 0 members, 0 points"$'\n'"$(idle loy-accrue)" ]
	[ "$(books)" = "$before" ]
	ledger_ok
}

@test "the UCI Online Retail data with Quantity named Amount, mapped onto qty, is not read as the lines' amount too" {
	uci_slice
	new_ledger
	uci_invoices >inv.txt
	# the header as another system exports it: its 'Amount' is a count
	sed '1s/,Quantity,/,Amount,/' uci.csv >amount.csv
	run -0 --separate-stderr loy-accrue --auto-enroll --map txn_id=InvoiceNo,sku=StockCode,description=Description,qty=Amount,occurred_at=InvoiceDate,unit_price=UnitPrice,member_id=CustomerID,store=Country amount.csv
	# every receipt's amount is the invoice's own total, Amount x UnitPrice
	[ "$(q "SELECT txn_id || '|' || coalesce(member_id, '') || '|' || amount FROM receipts ORDER BY txn_id")" = \
	    "$(LC_ALL=C sort -t'|' -k1,1 inv.txt | sed 's/\.0|/|/')" ]
	[ "$(q "SELECT amount FROM receipts WHERE txn_id = '536365'")" = 13912 ]
	ledger_ok
}

@test "the UCI Online Retail data read newest first enrols members at a later purchase, and enrolled beforehand it does not" {
	uci_slice
	new_ledger
	uci >/dev/null 2>&1
	inorder=$(q "SELECT group_concat(member_id || ' ' || enrolled_at, ',') FROM members")
	{ head -n 1 uci.csv; tail -n +2 uci.csv | tac; } >newest.csv
	mv newest.csv uci.csv
	rm -f "$LOY_DB"
	new_ledger
	uci >/dev/null 2>&1
	# 17850 bought from 08:26 to 11:34 that day: enrolled at the last, read first
	[ "$(q "SELECT enrolled_at FROM members WHERE member_id = '17850'")" = "2010-12-01 11:34:00" ]
	[ "$(q "SELECT group_concat(member_id || ' ' || enrolled_at, ',') FROM members")" != "$inorder" ]
	ledger_ok
	# each customer enrolled beforehand at their first purchase
	csvq uci.csv "SELECT 'member_id,enrolled_at'
	    UNION ALL SELECT * FROM (SELECT CustomerID || ',' || min(InvoiceDate) FROM t
	    WHERE CustomerID <> '' GROUP BY CustomerID)" >members.csv
	rm -f "$LOY_DB"
	new_ledger
	loy-enroll members.csv >/dev/null 2>&1
	uci >/dev/null 2>&1
	[ "$(q "SELECT group_concat(member_id || ' ' || enrolled_at, ',') FROM members")" = "$inorder" ]
	ledger_ok
}

@test "the UCI Online Retail data sorted by product, its invoices settled in parts, counts each invoice once when taken again" {
	uci_slice
	# an invoice's lines scattered through the file (StockCode comes
	# before the only quoted column)
	{ head -n 1 uci.csv; tail -n +2 uci.csv | LC_ALL=C sort -t, -k2,2 -k1,1; } >sorted.csv
	mv sorted.csv uci.csv
	new_ledger
	LOY_RECEIPT_MEMORY=1024 uci >first.csv 2>/dev/null
	receipts=$(q "SELECT count(*) FROM receipts")
	[ "$(grep -c ',more lines of this receipt$' first.csv)" -gt 100 ]
	before=$(books)
	runs=$(q "SELECT count(*) FROM runs")
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr uci
	echo "$output" >out.csv
	[ "$stderr" = "loy-accrue: uci.csv: 2000 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, $receipts duplicate, 0 rejected; 0 receipts, 0 members, 0 points"$'\n'"$(idle loy-accrue)" ]
	# one row for each part, the first of each invoice alone without a detail
	[ "$(grep -c ',0,duplicate,$' out.csv)" = "$receipts" ]
	[ "$(grep -c ',0,duplicate,more lines of this receipt$' out.csv)" = $((${#lines[@]} - 1 - receipts)) ]
	[ "$(q "SELECT count(*) FROM runs")" = "$runs" ]
	[ "$(books)" = "$before" ]
	ledger_ok
}

# -------------------------------------------------------------- --adjust

@test "--help's usage and loy-accrue(1)'s synopsis give each form that reads input --table and --tsv together, --explain one of them, as the program takes them" {
	run -0 loy-accrue --help
	usage=$(sed -n '1,/^Credit/p' <<<"$output" | tr -s ' \n' ' ')
	[[ "$usage" == *"[--rejects file] [--safe-cells] [--table] [--tsv] [file ...]"* ]]
	[[ "$usage" == *"loy-accrue [-n] [-d ledger] [--busy-timeout seconds] [--map field=column,...] [--rejects file] [--safe-cells] [--table] [--tsv] --adjust [file ...]"* ]]
	[[ "$usage" == *"loy-accrue [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt] [--map field=column,...] [--safe-cells] [--table] [--tsv] --opening [file ...]"* ]]
	[[ "$usage" == *"loy-accrue [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt] [--map field=column,...] [--rejects file] [--safe-cells] [--table] [--tsv] --events [file ...]"* ]]
	[[ "$usage" == *"loy-accrue [-d ledger] [--busy-timeout seconds] [--safe-cells] [--table | --tsv] --explain member=ID"* ]]
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy-accrue.1" | tr '\n' ' ')
	[[ "$synopsis" == *'.Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Op Ar .Nm'* ]]
	[[ "$synopsis" == *'.Op Fl \-safe-cells .Op Fl \-table | Fl \-tsv .Fl \-explain'* ]]
	[[ "$synopsis" == *'.Op Fl \-rejects Ar file .Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Fl \-adjust'* ]]
	[[ "$synopsis" == *'.Op Fl \-date-format Ar fmt .Op Fl \-map Ar field Ns = Ns Ar column Ns ,... .Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Fl \-opening'* ]]
	[[ "$synopsis" == *'.Op Fl \-rejects Ar file .Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Fl \-events'* ]]
	base
	printf 'Kunde\tPunkte\treason\tref\n1001\t5\tgoodwill\tCS-1\n1001\t-9\tcorrection\tCS-2\n' >adj.tsv
	run -1 --separate-stderr loy-accrue --map member_id=Kunde,points=Punkte --rejects rej.tsv --tsv --adjust adj.tsv
	[ "$output" = "$(printf 'ref\tmember_id\tpoints\tstatus\tdetail\nCS-1\t1001\t5\tcredited\t')" ]
	[ "$(cut -f4- rej.tsv)" = "$(printf 'ref\tline\trejected_reason\nCS-2\t3\tmember '\''1001'\'' has 5 points: -9 would take the balance below zero')" ]
	printf 'member_id\tpoints\tearned_at\texpires_at\n1002\t7\t15.01.2026\t\n' >open.tsv
	run -0 --separate-stderr loy-accrue --date-format %d.%m.%Y --tsv --opening open.tsv
	[ "${lines[1]}" = "$(printf '1002\t7\t2026-01-15 00:00:00\t2028-01-15 00:00:00\tcredited\t')" ]
	# TSV read, a table written; the rejects file TSV as the input
	printf 'member_id\tpoints\treason\tref\n1002\t3\tgoodwill\tCS-3\n1002\t-99\tcorrection\tCS-4\n' >adj2.tsv
	run -1 --separate-stderr loy-accrue --tsv --table --rejects rej2.tsv --adjust adj2.tsv
	same "$output" <<'OUT'
ref   member_id  points  status    detail
CS-3  1002       3       credited
OUT
	[ "$(sed -n 2p rej2.tsv)" = "$(printf '1002\t-99\tcorrection\tCS-4\t3\tmember '\''1002'\'' has 10 points: -99 would take the balance below zero')" ]
	ledger_ok
}

@test "--adjust credits and debits points by reference" {
	base
	# 1001: +50 - 10 = 40, the debit taken from the credit's lot; 1002: +20
	cat >adj.csv <<'EOF'
member_id,points,reason,ref
1001,50,goodwill: late delivery,CS-1
1002,20,birthday,CS-2
1001,-10,correction,CS-3
EOF
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	same "$output" <<'EOF'
ref,member_id,points,status,detail
CS-1,1001,50,credited,
CS-2,1002,20,credited,
CS-3,1001,-10,debited,
EOF
	[ "$stderr" = "loy-accrue: adj.csv: 3 rows, 2 credited, 1 debited, 0 duplicate, 0 rejected" ]
	same "$(q "SELECT member_id, kind, points, occurred_at, source, ref, reason FROM journal ORDER BY entry_id")" <<'EOF'
1001|adjust|50|2026-11-23 12:00:00|adjustment|CS-1|goodwill: late delivery
1002|adjust|20|2026-11-23 12:00:00|adjustment|CS-2|birthday
1001|adjust|-10|2026-11-23 12:00:00|adjustment|CS-3|correction
EOF
	same "$(q "SELECT member_id, earned_at, expires_at, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
1001|2026-11-23 12:00:00|2028-11-23 12:00:00|50|40
1002|2026-11-23 12:00:00|2028-11-23 12:00:00|20|20
EOF
	same "$(balances)" <<'EOF'
1001:40
1002:20
EOF
	ledger_ok
}

@test "--adjust takes each reference once" {
	base
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-1\n1001,-10,correction,CS-3\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	before=$(books)
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	same "$output" <<'EOF'
ref,member_id,points,status,detail
CS-1,1001,50,duplicate,
CS-3,1001,-10,duplicate,
EOF
	[ "$stderr" = "loy-accrue: adj.csv: 2 rows, 0 credited, 0 debited, 2 duplicate, 0 rejected"$'\n'"$(idle loy-accrue)" ]
	[ "$(books)" = "$before" ]
	[ "$(balances)" = "1001:40" ]
	ledger_ok
}

@test "--adjust refuses a reference taken before with other content" {
	base
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	before=$(dump)
	# other points, then another member
	printf 'member_id,points,reason,ref\n1001,60,goodwill,CS-1\n' >a.csv
	run -65 --separate-stderr loy-accrue --adjust a.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: a.csv:2: ref 'CS-1' was taken before with other content
loy-accrue: a.csv: 1 row, 0 credited, 0 debited, 0 duplicate, 1 rejected
$NOTHING
EOF
	printf 'member_id,points,reason,ref\n1002,50,goodwill,CS-1\n' >b.csv
	run -65 --separate-stderr loy-accrue --adjust b.csv
	[ "${stderr_lines[0]}" = "loy-accrue: b.csv:2: ref 'CS-1' was taken before with other content" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--adjust: a row refused does not use its ref, so a later row with it is a duplicate or credited, not one that appears twice" {
	base
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	# CS-1 again, first with other points (refused), then as it was taken;
	# CS-9 first below zero (refused), then a credit
	cat >a.csv <<'EOF'
member_id,points,reason,ref
1001,60,goodwill,CS-1
1001,50,goodwill,CS-1
1002,-5,correction,CS-9
1002,5,correction,CS-9
1002,5,correction,CS-9
EOF
	before=$(dump)
	run -65 --separate-stderr loy-accrue --adjust a.csv
	same "$stderr" <<EOF
loy-accrue: a.csv:2: ref 'CS-1' was taken before with other content
loy-accrue: a.csv:4: member '1002' has 0 points: -5 would take the balance below zero
loy-accrue: a.csv:6: ref 'CS-9' appears more than once in this run
loy-accrue: a.csv: 5 rows, 1 credited, 0 debited, 1 duplicate, 3 rejected
$NOTHING3
EOF
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --adjust --rejects rej.csv a.csv
	same "$output" <<'EOF'
ref,member_id,points,status,detail
CS-1,1001,50,duplicate,
CS-9,1002,5,credited,
EOF
	[ "$(cut -d, -f4- rej.csv)" = "$(printf 'ref,line,rejected_reason\nCS-1,2,ref '\''CS-1'\'' was taken before with other content\nCS-9,4,member '\''1002'\'' has 0 points: -5 would take the balance below zero\nCS-9,6,ref '\''CS-9'\'' appears more than once in this run')" ]
	[ "$(balances)" = "$(printf '1001:50\n1002:5')" ]
	ledger_ok
}

@test "--adjust refuses a debit below zero" {
	base
	printf 'member_id,points,reason,ref\n1002,20,birthday,CS-2\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	before=$(dump)
	printf 'member_id,points,reason,ref\n1002,-21,correction,CS-9\n1001,-1,correction,CS-10\n' >a.csv
	run -65 --separate-stderr loy-accrue --adjust a.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: a.csv:2: member '1002' has 20 points: -21 would take the balance below zero
loy-accrue: a.csv:3: member '1001' has 0 points: -1 would take the balance below zero
loy-accrue: a.csv: 2 rows, 0 credited, 0 debited, 0 duplicate, 2 rejected
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--adjust takes a debit below zero as the programme version in force now allows, applied or not" {
	base
	printf '[programme]\nallow_negative = yes\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	printf 'member_id,points,reason,ref\n1001,-10,correction,CS-1\n' >a.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --adjust a.csv
	[ "${stderr%%$'\n'*}" = "loy-accrue: a.csv:2: member '1001' has 0 points: -10 would take the balance below zero" ]
	[ "$(dump)" = "$before" ]
	# on 5 December version 2 is in force, though not applied
	LOY_NOW="2026-12-05 12:00:00" run -0 --separate-stderr loy-accrue --adjust a.csv
	same "$output" <<'EOF'
ref,member_id,points,status,detail
CS-1,1001,-10,debited,
EOF
	[ "$(balances)" = "1001:-10" ]
	ledger_ok
}

@test "--adjust refuses rows without reason or ref, and files without those columns" {
	base
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,5,,CS-10\n1001,5,goodwill,\n' >a.csv
	run -65 --separate-stderr loy-accrue --adjust a.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: a.csv:2: reason is empty
loy-accrue: a.csv:3: ref is empty: a credit needs a reference to be taken once
loy-accrue: a.csv: 2 rows, 0 credited, 0 debited, 0 duplicate, 2 rejected
$NOTHING2
EOF
	printf 'member_id,points,reason\n1001,5,goodwill\n' >b.csv
	run -65 --separate-stderr loy-accrue --adjust b.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-accrue: b.csv:1: no column 'ref'" ]
	printf 'member_id,points,ref\n1001,5,CS-11\n' >c.csv
	run -65 --separate-stderr loy-accrue --adjust c.csv
	[ "$stderr" = "loy-accrue: c.csv:1: no column 'reason'" ]
	# points past the largest number are out of range, not "no number"
	printf 'member_id,points,reason,ref\n1001,9223372036854775808,x,CS-12\n1001,12x,x,CS-13\n' >d.csv
	run -65 --separate-stderr loy-accrue --adjust d.csv
	[ "${stderr_lines[0]}" = "loy-accrue: d.csv:2: points '9223372036854775808' is out of range (at most 1000000000000 either way)" ]
	[ "${stderr_lines[1]}" = "loy-accrue: d.csv:3: points '12x' is not a whole number" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--adjust and --opening find a reference taken before by the index journal_ref, not by reading the whole journal" {
	need_strace
	base
	# 100000 receipts: a journal of some 500 pages
	awk 'BEGIN { print "txn_id,member_id,occurred_at,amount"
	    for (i = 1; i <= 100000; i++) printf "T%d,1001,2026-11-20 10:00:00,1.00\n", i }' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n1002,5,goodwill,CS-1\n1002,-1,correction,CS-2\n' >adj.csv
	printf 'member_id,points,earned_at,expires_at\n1003,50,2026-01-15,\n' >open.csv
	# the pages read from the ledger: a few dozen, where each run read them all
	run -0 --separate-stderr strace -f -y -e trace=pread64 -o adj.trace loy-accrue --adjust adj.csv
	[ "${lines[1]}" = "CS-1,1002,5,credited," ]
	[ "$(grep -c "<$LOY_DB>" adj.trace)" -lt 100 ]
	run -0 --separate-stderr strace -f -y -e trace=pread64 -o open.trace loy-accrue --opening open.csv
	[ "$(grep -c "<$LOY_DB>" open.trace)" -lt 100 ]
	run -0 --separate-stderr strace -f -y -e trace=pread64 -o again.trace loy-accrue --opening open.csv
	[ "${lines[1]}" = "1003,50,2026-01-15 00:00:00,2028-01-15 00:00:00,duplicate,opening balance taken before" ]
	[ "$(grep -c "<$LOY_DB>" again.trace)" -lt 100 ]
	ledger_ok
}

# ------------------------------------------------------------- --opening

@test "--opening writes lots with the given dates" {
	base
	# 1002's expires_at is empty: earned_at + 24 months
	cat >open.csv <<'EOF'
member_id,points,earned_at,expires_at
1001,300,2025-06-30,2027-06-30 23:59:59
1002,120,2026-01-15 08:00:00,
EOF
	run -0 --separate-stderr loy-accrue --opening open.csv
	same "$output" <<'EOF'
member_id,points,earned_at,expires_at,status,detail
1001,300,2025-06-30 00:00:00,2027-06-30 23:59:59,credited,
1002,120,2026-01-15 08:00:00,2028-01-15 08:00:00,credited,
EOF
	[ "$stderr" = "loy-accrue: open.csv: 2 rows, 2 credited, 0 debited, 0 duplicate, 0 rejected" ]
	same "$(q "SELECT member_id, earned_at, expires_at, points, remaining FROM lots ORDER BY lot_id")" <<'EOF'
1001|2025-06-30 00:00:00|2027-06-30 23:59:59|300|300
1002|2026-01-15 08:00:00|2028-01-15 08:00:00|120|120
EOF
	same "$(q "SELECT member_id, kind, points, occurred_at FROM journal ORDER BY entry_id")" <<'EOF'
1001|opening|300|2025-06-30 00:00:00
1002|opening|120|2026-01-15 08:00:00
EOF
	same "$(balances)" <<'EOF'
1001:300
1002:120
EOF
	ledger_ok
}

@test "--opening without expires_at dates a lot by the expiry policy in force at earned_at" {
	base --set expiry_policy=year-end --set expiry_years=0
	# year-end with 0 years: the end of the year earned in, but of the next
	# for 31 December, a day the lot could not be spent before its date
	cat >open.csv <<'EOF'
member_id,points,earned_at,expires_at
1001,300,2026-06-30,
1002,120,2025-12-31 08:00:00,
EOF
	run -0 --separate-stderr loy-accrue --opening open.csv
	same "$output" <<'EOF'
member_id,points,earned_at,expires_at,status,detail
1001,300,2026-06-30 00:00:00,2026-12-31 23:59:59,credited,
1002,120,2025-12-31 08:00:00,2026-12-31 23:59:59,credited,
EOF
	ledger_ok
}

@test "--opening a second time is a duplicate" {
	base
	printf 'member_id,points,earned_at,expires_at\n1001,300,2025-06-30,2027-06-30 23:59:59\n1002,120,2026-01-15 08:00:00,\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	before=$(books)
	run -0 --separate-stderr loy-accrue --opening open.csv
	same "$output" <<'EOF'
member_id,points,earned_at,expires_at,status,detail
1001,300,2025-06-30 00:00:00,2027-06-30 23:59:59,duplicate,opening balance taken before
1002,120,2026-01-15 08:00:00,2028-01-15 08:00:00,duplicate,opening balance taken before
EOF
	[ "$stderr" = "loy-accrue: open.csv: 2 rows, 0 credited, 0 debited, 2 duplicate, 0 rejected"$'\n'"$(idle loy-accrue)" ]
	[ "$(books)" = "$before" ]
	ledger_ok
}

@test "--adjust and --opening read again after the member was closed are duplicates, as receipts are" {
	base
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-1\n' >adj.csv
	printf 'member_id,points,earned_at,expires_at\n1001,100,2026-01-15,\n' >open.csv
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >day.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	loy-accrue --opening open.csv >/dev/null 2>&1
	loy-accrue day.csv >/dev/null 2>&1
	loy-enroll close 1001 >/dev/null 2>&1
	before=$(dump | grep -v '^INSERT INTO runs\|^INSERT INTO run_inputs')
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	[ "${lines[1]}" = "CS-1,1001,50,duplicate," ]
	run -0 --separate-stderr loy-accrue --opening open.csv
	[ "${lines[1]}" = "1001,100,2026-01-15 00:00:00,2028-01-15 00:00:00,duplicate,opening balance taken before" ]
	run -0 --separate-stderr loy-accrue day.csv
	[ "${lines[1]}" = "T1,1001,2026-11-20 10:00:00,5.00,0,duplicate," ]
	[ "$(dump | grep -v '^INSERT INTO runs\|^INSERT INTO run_inputs')" = "$before" ]
	# anything new for the closed member is still refused
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-2\n' >adj2.csv
	run -65 --separate-stderr loy-accrue --adjust adj2.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj2.csv:2: member '1001' is closed" ]
	ledger_ok
}

@test "--opening takes several lots of one member" {
	base
	# 1001 brings two lots with their own expiry: 300 + 80 = 380
	cat >open.csv <<'EOF'
member_id,points,earned_at,expires_at
1001,300,2025-06-30,2027-06-30 23:59:59
1002,120,2026-01-15 08:00:00,
1001,80,2026-03-01,2028-03-01
EOF
	run -0 --separate-stderr loy-accrue --opening open.csv
	same "$output" <<'EOF'
member_id,points,earned_at,expires_at,status,detail
1001,300,2025-06-30 00:00:00,2027-06-30 23:59:59,credited,
1002,120,2026-01-15 08:00:00,2028-01-15 08:00:00,credited,
1001,80,2026-03-01 00:00:00,2028-03-01 00:00:00,credited,
EOF
	same "$(balances)" <<'EOF'
1001:380
1002:120
EOF
	before=$(books)
	run -0 --separate-stderr loy-accrue --opening open.csv
	[ "$stderr" = "loy-accrue: open.csv: 3 rows, 0 credited, 0 debited, 3 duplicate, 0 rejected"$'\n'"$(idle loy-accrue)" ]
	[ "$(books)" = "$before" ]
	ledger_ok
}

@test "--opening read again with lots changed refuses the rows of lots not taken before, where they passed as duplicates" {
	base
	printf 'member_id,points,earned_at,expires_at\n1001,300,2025-06-30,2027-06-30\n1001,80,2026-03-01,\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	before=$(dump)
	# 1001's first lot with other points, its second twice, a lot more, and
	# a lot of 1002's, new: nothing lands
	cat >again.csv <<'EOF'
member_id,points,earned_at,expires_at
1001,350,2025-06-30,2027-06-30
1001,80,2026-03-01,
1001,80,2026-03-01,
1001,20,2026-05-01,
1002,120,2026-01-15,
EOF
	run -65 --separate-stderr loy-accrue --opening again.csv
	[ "$output" = "" ]
	same "$stderr" <<'EOF'
loy-accrue: again.csv:2: opening balance of member '1001' was taken before without this lot
loy-accrue: again.csv:4: opening balance of member '1001' was taken before without this lot
loy-accrue: again.csv:5: opening balance of member '1001' was taken before without this lot
loy-accrue: again.csv: 5 rows, 1 credited, 0 debited, 1 duplicate, 3 rejected
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (opening balances land whole or not at all: correct the rows listed and run it again)
EOF
	[ "$(dump)" = "$before" ]
	# the lots as taken, in another order and the member named 1001.0, are duplicates
	printf 'member_id,points,earned_at,expires_at\n1001,80,2026-03-01,\n1001.0,300,2025-06-30 00:00:00,2027-06-30\n' >same.csv
	run -0 --separate-stderr loy-accrue --opening same.csv
	same "$stderr" <<EOF
loy-accrue: same.csv: 2 rows, 0 credited, 0 debited, 2 duplicate, 0 rejected
$(idle loy-accrue)
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--opening refuses an earned_at later than the run, with no future_tolerance_hours" {
	base
	before=$(dump)
	# LOY_NOW is 2026-11-23 12:00:00: the run's time is not in the future
	printf 'member_id,points,earned_at,expires_at\n1001,10,2026-11-23 12:00:00,\n1002,10,2026-11-23 12:00:01,\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:3: earned_at '2026-11-23 12:00:01' is in the future" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--opening refuses expires_at before earned_at" {
	base
	before=$(dump)
	printf 'member_id,points,earned_at,expires_at\n1002,10,2026-01-15,2025-01-15\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-accrue: open.csv:2: expires_at '2025-01-15' is before earned_at
loy-accrue: open.csv: 1 row, 0 credited, 0 debited, 0 duplicate, 1 rejected
loy-accrue: 1 bad row; nothing committed, not even the rows counted above (opening balances land whole or not at all: correct the rows listed and run it again)
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--opening takes no --rejects: a member's lots land together" {
	base
	before=$(dump)
	printf 'member_id,points,earned_at,expires_at\n1002,100,2024-02-29,\n1002,50,2023-02-29,\n' >open.csv
	run -64 --separate-stderr loy-accrue --opening --rejects rej.csv open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: --opening takes no --rejects: opening balances land whole or not at all (correct the rows listed and run it again)" ]
	no_files rej.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:3: earned_at '2023-02-29' is not a valid date" ]
	# it says what to do, not to use the --rejects it refused
	[ "${stderr_lines[2]}" = "loy-accrue: 1 bad row; nothing committed, not even the rows counted above (opening balances land whole or not at all: correct the rows listed and run it again)" ]
	[ "$(dump)" = "$before" ]
	# corrected, both lots come in: 150
	printf 'member_id,points,earned_at,expires_at\n1002,100,2024-02-29,\n1002,50,2023-02-28,\n' >open.csv
	run -0 --separate-stderr loy-accrue --opening open.csv
	[ "$(balances)" = "1002:150" ]
	ledger_ok
}

# ---------------------------------------------------------------- identification falls through

@test "an unknown card falls through to the member_id, and a closed member is refused" {
	base --set identify_by=card,member_id
	loy-enroll close 1002 >/dev/null 2>&1
	printf 'txn_id,member_id,card,occurred_at,amount\nC1,1002,7777777,2026-11-20 10:00:00,10.00\nC2,1001,8888888,2026-11-20 11:00:00,4.00\n' >day.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: member '1002' is closed" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv day.csv
	# C2: the unknown card falls through to member 1001; 4.00 -> 4 points; no one is enrolled
	[ "${lines[1]}" = "C1,1002,2026-11-20 10:00:00,10.00,0,rejected,member '1002' is closed" ]
	[ "${lines[2]}" = "C2,1001,2026-11-20 11:00:00,4.00,4,credited," ]
	[ "$(q "SELECT count(*) FROM members")" = 3 ]
	[ "$(balances)" = "1001:4" ]
	ledger_ok
}

@test "each bad line of a receipt is named with its own fault" {
	base
	printf 'txn_id,member_id,occurred_at,qty,amount\nT1,1001,2026-11-20 10:00:00,0,1.00\nT1,1001,2026-11-20 10:00:00,1,x\nT1,1001,2026-11-20 10:00:00,1,2.00\n' >day.csv
	run -65 --separate-stderr loy-accrue day.csv
	same "$stderr" <<'OUT'
loy-accrue: day.csv:2: qty is zero
loy-accrue: day.csv:3: amount 'x' is not a decimal number
loy-accrue: day.csv:4: receipt 'T1' is refused: qty is zero (line 2)
loy-accrue: day.csv: 3 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 3 rejected; 0 receipts, 0 members, 0 points
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
OUT
	ledger_ok
}

@test "a row that is not CSV refuses its whole receipt, even its later lines" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,1.00\nT2,1002,2026-11-20 10:05:00,3.00\nT1,1001,2026-11-20 10:00:00\nT1,1001,2026-11-20 10:00:00,5.00\n' >day.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	# T1's row: no amount, its total not known
	same "$output" <<OUT
$HEAD
T1,1001,2026-11-20 10:00:00,,0,rejected,"row has 3 fields, the header has 4"
T2,1002,2026-11-20 10:05:00,3.00,3,credited,
OUT
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: receipt 'T1' is refused: row has 3 fields, the header has 4 (line 4)" ]
	[ "$(cut -d, -f1,5- rej.csv | tail -n +2 | cut -d, -f1,2 | sort -t, -k2n | tr '\n' ' ')" = "T1,2 T1,4 T1,5 " ]
	[ "$(balances)" = "1002:3" ]
	ledger_ok
}

@test "a receipt whose first line is not CSV is listed as rejected in its turn, as one whose later line is not" {
	base
	# T2's first line is short, T3's not UTF-8: each was left out of the
	# output, and T2's later line refused as 'was refused at line 4'
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,1.00\nT1,1001\nT2,1002\nT2,1002,2026-11-20 10:05:00,2.00\nT3,1003,2026-11-20 11:00:00,4.\377\nT4,1002,2026-11-20 12:00:00,3.00\n' >day.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	same "$output" <<OUT
$HEAD
T1,1001,2026-11-20 10:00:00,,0,rejected,"row has 2 fields, the header has 4"
T2,1002,2026-11-20 10:05:00,,0,rejected,"row has 2 fields, the header has 4"
T3,1003,,,0,rejected,row is not valid UTF-8
T4,1002,2026-11-20 12:00:00,3.00,3,credited,
OUT
	same "$stderr" <<'ERR'
loy-accrue: day.csv:2: receipt 'T1' is refused: row has 2 fields, the header has 4 (line 3)
loy-accrue: day.csv:3: row has 2 fields, the header has 4
loy-accrue: day.csv:4: row has 2 fields, the header has 4
loy-accrue: day.csv:5: receipt 'T2' is refused: row has 2 fields, the header has 4 (line 4)
loy-accrue: day.csv:6: row is not valid UTF-8
loy-accrue: day.csv: 6 rows, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 5 rejected; 1 receipt, 1 member, 3 points
ERR
	[ "$(tail -n +2 rej.csv | cut -d, -f1 | tr '\n' ' ')" = "T1 T1 T2 T2 T3 " ]
	[ "$(balances)" = "1002:3" ]
	# a txn_id that is no name (a control character) names no receipt to list
	printf 'txn_id,member_id,occurred_at,amount\n"T\0331",1001\n' >esc.csv
	run -1 --separate-stderr loy-accrue --rejects rej2.csv esc.csv
	[ "$output" = "$HEAD" ]
	ledger_ok
}

@test "a long row of a rejects file read back and set aside again keeps every field, its line and reason after them" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,3,20\nT2,1002,2026-11-20 10:05:00,3.00\n' >day.csv
	run -1 --separate-stderr loy-accrue --rejects rej1.csv day.csv
	same "$(cat rej1.csv)" <<'OUT'
txn_id,member_id,occurred_at,amount,rejected_line,reason
T1,1001,2026-11-20 10:00:00,3,20,2,"row has 5 fields, the header has 4"
OUT
	# read back as it is: its amount's "20" stands under rejected_line,
	# which must not be written over with the row's new line
	run -1 --separate-stderr loy-accrue --rejects rej2.csv rej1.csv
	same "$(cat rej2.csv)" <<'OUT'
txn_id,member_id,occurred_at,amount,rejected_line,reason,rejected_reason
T1,1001,2026-11-20 10:00:00,3,20,2,"row has 5 fields, the header has 4",2,"row has 7 fields, the header has 6"
OUT
	# the amount mended, the next reading takes it
	sed 's/,3,20,2,/,3.20,2,/' rej1.csv >fixed.csv
	run -0 --separate-stderr loy-accrue fixed.csv
	[ "$(balances | tr '\n' ' ')" = "1001:3 1002:3 " ]
	ledger_ok
}

@test "a receipt refused for a bad line has no amount in its row, one refused whole has its total" {
	base
	cat >day.csv <<'EOF'
txn_id,member_id,occurred_at,sku,amount
T1,1001,2026-11-20 10:00:00,TEA,5.95
T1,1001,2026-11-20 10:00:00,CAKE,3.2x
T2,9999,2026-11-20 10:05:00,TEA,5.95
T2,9999,2026-11-20 10:05:00,CAKE,3.20
T3,1002,2026-11-20 10:10:00,TEA,1.00
EOF
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	same "$output" <<OUT
$HEAD
T1,1001,2026-11-20 10:00:00,,0,rejected,amount '3.2x' is not a decimal number
T2,9999,2026-11-20 10:05:00,9.15,0,rejected,unknown member_id '9999'
T3,1002,2026-11-20 10:10:00,1.00,1,credited,
OUT
	# each line, with its amount as read, is in the rejects file
	same "$(cut -d, -f1,5,6 rej.csv)" <<'OUT'
txn_id,amount,rejected_line
T1,5.95,2
T1,3.2x,3
T2,5.95,4
T2,3.20,5
OUT
	[ "$(balances)" = "1002:1" ]
	ledger_ok
}

@test "without a qty column a negative amount is a return" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 10:00:00,20.00\nR1,1001,2026-11-21 10:00:00,-5.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	# S1: 20 points; R1 returns 5.00 at the current rate: 5 points back
	same "$output" <<OUT
$HEAD
S1,1001,2026-11-20 10:00:00,20.00,20,credited,
R1,1001,2026-11-21 10:00:00,-5.00,-5,returned,
OUT
	[ "$(balances)" = "1001:15" ]
	ledger_ok
}

@test "--auto-enroll knows a new member by every identifier their first receipt gave" {
	base
	printf 'txn_id,member_id,card,phone,occurred_at,amount\nA1,2001,7000001,+49 30 5550001,2026-11-20 10:00:00,10.00\nA2,,7000001,,2026-11-20 11:00:00,3.00\nA3,,,+49 30 5550001,2026-11-20 12:00:00,2.00\n' >day.csv
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	# one new member 2001, card 7000001, with 10 + 3 + 2 points
	same "$output" <<OUT
$HEAD
A1,2001,2026-11-20 10:00:00,10.00,10,credited,member 2001 enrolled
A2,2001,2026-11-20 11:00:00,3.00,3,credited,
A3,2001,2026-11-20 12:00:00,2.00,2,credited,
OUT
	[ "$(q "SELECT count(*) FROM members")" = 4 ]
	[ "$(balances | grep ^2001)" = "2001:15" ]
	ledger_ok
}

@test "--auto-enroll refuses a taken member_id that identify_by does not use" {
	base --set identify_by=card
	printf 'txn_id,member_id,card,occurred_at,amount\nB1,1001,7000009,2026-11-20 10:00:00,10.00\n' >day.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --auto-enroll day.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: member_id '1001' is taken, and the programme's identify_by ('card') does not know the member by it" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# ---------------------------------------------------------------- from the correctness review

@test "an amount at the edge of 64 bits is refused, not credited" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 10:00:00,100.00\nR1,1001,2026-11-20 11:00:00,-92233720368547758.08\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:3: amount '-92233720368547758.08' is too large" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "qty times unit_price past the largest amount says so, as the man page has it" {
	base
	before=$(dump)
	# 10,000,000,010,000.00: one cent past the largest amount of a line
	printf 'txn_id,member_id,occurred_at,qty,unit_price\nS1,1001,2026-11-20 10:00:00,1000000,10000000.01\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: qty '1000000' times unit_price '10000000.01' is out of range" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "qty and unit_price with more than 9 decimals between them make an exact amount, rounded half up" {
	base --set decimals=3 --set currency=KWD --set earn_amount=0.100
	# 1.5 x 0.123456789 = 0.1851851835; 12.345 x 0.0851234 = 1.050848373;
	# 0.125 x 0.004000004 = 0.0005000005, past the half: 0.001
	printf 'txn_id,member_id,occurred_at,qty,unit_price\nF1,1001,2026-11-20 10:00:00,1.5,0.123456789\nF2,1002,2026-11-20 10:00:00,12.345,0.0851234\nF3,1003,2026-11-20 10:00:00,0.125,0.004000004\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	same "$output" <<'EOF'
txn_id,member_id,occurred_at,amount,points,status,detail
F1,1001,2026-11-20 10:00:00,0.185,1,credited,
F2,1002,2026-11-20 10:00:00,1.051,10,credited,
F3,1003,2026-11-20 10:00:00,0.001,0,credited,
EOF
	[ "$(q "SELECT group_concat(amount) FROM receipts ORDER BY txn_id")" = "185,1051,1" ]
	ledger_ok
}

@test "a receipt that would earn more than 10^12 points is refused" {
	base --set earn_points=999999
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 10:00:00,5000000000000.00\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: the receipt would move more than 1000000000000 points" ]
	ledger_ok
}

@test "a return listed before its original is settled after it, in proportion" {
	base
	# R1 returns all of S1 (100.00, 100 points); R2 returns it again: nothing left
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-20 12:00:00,-100.00,S1\nS1,1001,2026-11-20 10:00:00,100.00,\nR2,1001,2026-11-21 12:00:00,-100.00,S1\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	same "$output" <<OUT
$HEAD
S1,1001,2026-11-20 10:00:00,100.00,100,credited,
R1,1001,2026-11-20 12:00:00,-100.00,-100,returned,
R2,1001,2026-11-21 12:00:00,-100.00,0,returned,"returns 100.00, but only 0.00 of 'S1' was left to return"
OUT
	[ "$(balances)" = "1001:0" ]
	[ "$(q "SELECT returned_amount FROM receipts WHERE txn_id = 'S1'")" = 10000 ]
	ledger_ok
}

@test "a return of an anonymous purchase takes nothing; of another member's is refused" {
	base
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,,2026-11-20 10:00:00,100.00,\nS2,1002,2026-11-20 10:05:00,50.00,\nG1,1001,2026-11-20 10:10:00,40.00,\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-100.00,S1\nR2,1001,2026-11-21 11:00:00,-50.00,S2\n' >ret.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-100.00,0,returned,original receipt 'S1' earned no points" ]
	[ "${stderr_lines[0]}" = "loy-accrue: ret.csv:3: receipt 'R2' returns 'S2', a receipt of another member" ]
	[ "$(balances)" = "1001:40
1002:50" ]
	ledger_ok
}

@test "a return whose orig_txn names another return takes back at the current rate, as one whose original is not known" {
	base
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 10:00:00,100.00,\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	# R1 returns half of S1; R2 the other half, but names R1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-50.00,S1\nR2,1001,2026-11-21 11:00:00,-50.00,R1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-50.00,-50,returned," ]
	[ "${lines[2]}" = "R2,1001,2026-11-21 11:00:00,-50.00,-50,returned,original receipt 'R1' is a return: at the current rate" ]
	[ "$(balances)" = "1001:0" ]
	ledger_ok
}

@test "a merged member's original receipt is still theirs to return" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1003,2026-11-20 10:00:00,100.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-21 10:00:00,-100.00,S1\nR2,1001,2026-11-21 11:00:00,-100.00,S1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-100.00,-100,returned," ]
	[ "${lines[2]}" = "R2,1001,2026-11-21 11:00:00,-100.00,0,returned,\"returns 100.00, but only 0.00 of 'S1' was left to return\"" ]
	ledger_ok
}

@test "a return without a member that names a member's receipt takes back from that member, as the member's own return does" {
	base
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 10:00:00,80.00,\nS2,,2026-11-20 10:05:00,30.00,\nS3,1003,2026-11-20 10:10:00,50.00,\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	loy-enroll merge 1003 1002 >/dev/null 2>&1
	# the till kept no card: R1 and R4 name their originals only; R2
	# returns an anonymous sale, R3 one the ledger does not know; R5 one of
	# 1003's, merged into 1002 since
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,,2026-11-21 10:00:00,-20.00,S1\nR2,,2026-11-21 10:01:00,-10.00,S2\nR3,,2026-11-21 10:02:00,-10.00,S9\nR4,,2026-11-21 10:03:00,-80.00,S1\nR5,,2026-11-21 10:04:00,-50.00,S3\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<OUT
$HEAD
R1,1001,2026-11-21 10:00:00,-20.00,-20,returned,no member given: that of 'S1'
R2,,2026-11-21 10:01:00,-10.00,0,anonymous,
R3,,2026-11-21 10:02:00,-10.00,0,anonymous,
R4,1001,2026-11-21 10:03:00,-80.00,-60,returned,"no member given: that of 'S1'; returns 80.00, but only 60.00 of 'S1' was left to return"
R5,1002,2026-11-21 10:04:00,-50.00,-50,returned,no member given: that of 'S3'
OUT
	[ "${stderr_lines[0]}" = "loy-accrue: ret.csv: 5 rows, 0 credited, 0 pending, 3 returned, 2 anonymous, 0 duplicate, 0 rejected; 5 receipts, 2 members, -130 points" ]
	same "$(q "SELECT txn_id, coalesce(member_id, '-'), points, returned_amount, returned_points FROM receipts ORDER BY txn_id")" <<'EOF'
R1|1001|-20|-2000|0
R2|-|0|0|0
R3|-|0|0|0
R4|1001|-60|-6000|0
R5|1002|-50|-5000|0
S1|1001|80|8000|80
S2|-|0|0|0
S3|1003|50|5000|50
EOF
	[ "$(balances)" = "1001:0
1002:0
1003:0" ]
	# the same file again: duplicates, of the members they were taken for
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-20.00,0,duplicate," ]
	ledger_ok
}

@test "a return that names another member than its original's is refused, as it was" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-20 10:00:00,80.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1002,2026-11-21 10:00:00,-20.00,S1\n' >ret.csv
	run -65 --separate-stderr loy-accrue ret.csv
	[ "${stderr_lines[0]}" = "loy-accrue: ret.csv:2: receipt 'R1' returns 'S1', a receipt of another member" ]
	[ "$(balances)" = "1001:80" ]
	ledger_ok
}

@test "a return without a member settled in parts takes back from its original's member all along" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,80.00\n' >day.csv
	loy-accrue day.csv >/dev/null 2>&1
	{
		echo 'txn_id,member_id,occurred_at,amount,orig_txn'
		echo 'R1,,2026-11-06 10:00:00,-5.00,S1'
		for i in $(seq 1 60); do echo "F$i,,2026-11-06 11:00:00,1.00,"; done
		echo 'R1,,2026-11-06 10:00:00,-7.00,S1'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^R1' <<<"$output")" <<'EOF'
R1,1001,2026-11-06 10:00:00,-5.00,-5,returned,no member given: that of 'S1'
R1,1001,2026-11-06 10:00:00,-7.00,-7,returned,more lines of this receipt
EOF
	[ "$(q "SELECT member_id, points, returned_amount FROM receipts WHERE txn_id = 'R1'")" = "1001|-12|-1200" ]
	[ "$(q "SELECT returned_amount, returned_points FROM receipts WHERE txn_id = 'S1'")" = "1200|12" ]
	[ "$(balances)" = "1001:68" ]
	ledger_ok
}

@test "an exchange returns its return lines against its original, from its lot, and its sales earn as a purchase of them would" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,99.99\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# 40.00 of S1 brought back, 50.00 bought: floor(99 x 40.00 / 99.99) =
	# 39 of S1's points back, 50 earned; X2 names a receipt the ledger does
	# not have: a purchase of its total, as before
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nX1,1001,2026-11-05 10:00:00,A,-1,-40.00,S1\nX1,1001,2026-11-05 10:00:00,B,1,50.00,S1\nX2,1001,2026-11-05 11:00:00,A,-1,-10.00,S9\nX2,1001,2026-11-05 11:00:00,B,1,30.00,S9\n' >ex.csv
	run -0 --separate-stderr loy-accrue ex.csv
	same "$output" <<OUT
$HEAD
X1,1001,2026-11-05 10:00:00,50.00,50,credited,
X1,1001,2026-11-05 10:00:00,-40.00,-39,returned,returns 40.00 of 'S1'
X2,1001,2026-11-05 11:00:00,20.00,20,credited,
OUT
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts ORDER BY 1")" <<'EOF'
S1|9999|99|4000|39
X1|1000|11|-4000|0
X2|2000|20|0|0
EOF
	# an entry that credits the sales, one that takes back from S1's lot
	same "$(q "SELECT j.kind, j.points, group_concat(l.entry_id || ':' || m.points) FROM journal j
	    LEFT JOIN lot_moves m ON m.entry_id = j.entry_id AND j.points < 0
	    LEFT JOIN lots l ON l.lot_id = m.lot_id WHERE j.ref = 'X1' GROUP BY j.entry_id ORDER BY j.entry_id")" <<'EOF'
earn|50|
return|-39|1:-39
EOF
	run -0 --separate-stderr loy-accrue --explain receipt=X1
	same "$output" <<'EOF'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
X1,2026-11-05 10:00:00,1001,2,2,B,50.00,[earn],1,50
X1,2026-11-05 10:00:00,1001,2,,,,[return],1,-39
EOF
	ledger_ok
	# the rest of S1 comes back, and then what X1 bought: each owes what is
	# left of its points
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-06 10:00:00,-99.99,S1\nR2,1001,2026-11-06 11:00:00,-50.00,X1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<OUT
$HEAD
R1,1001,2026-11-06 10:00:00,-99.99,-60,returned,"returns 99.99, but only 59.99 of 'S1' was left to return"
R2,1001,2026-11-06 11:00:00,-50.00,-50,returned,
OUT
	same "$(q "SELECT txn_id, returned_amount, returned_points FROM receipts WHERE txn_id IN ('S1', 'X1') ORDER BY 1")" <<'EOF'
S1|9999|99
X1|1000|50
EOF
	[ "$(balances)" = "1001:20" ]
	ledger_ok
}

@test "an exchange is two output rows, as the ledger's two entries: its sales credited or pending, its return lines returned" {
	base --set return_window_days=14
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,30.00\nS2,1002,2026-10-01 10:00:00,30.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# X1 brings back all of S1 and buys 5.00 more: its sales earn 35, its
	# return lines take S1's 30 back; X2 brings back 40.00 of S2's 30.00
	cat >ex.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
X1,1001,2026-11-20 10:00:00,A,-1,-30.00,S1
X1,1001,2026-11-20 10:00:00,B,1,35.00,S1
X2,1002,2026-11-01 11:00:00,A,-1,-40.00,S2
X2,1002,2026-11-01 11:00:00,B,1,41.00,S2
EOF
	run -0 --separate-stderr loy-accrue ex.csv
	same "$output" <<EOF
$HEAD
X1,1001,2026-11-20 10:00:00,35.00,35,pending,
X1,1001,2026-11-20 10:00:00,-30.00,-30,returned,returns 30.00 of 'S1'
X2,1002,2026-11-01 11:00:00,41.00,41,credited,
X2,1002,2026-11-01 11:00:00,-40.00,-30,returned,"returns 40.00, but only 30.00 of 'S2' was left to return"
EOF
	# each row as the journal holds it, the receipt the two together
	same "$(q "SELECT ref, kind, points FROM journal WHERE ref GLOB 'X*' ORDER BY entry_id")" <<'EOF'
X1|earn|35
X1|return|-30
X2|earn|41
X2|return|-30
EOF
	same "$(q "SELECT txn_id, amount, points, status FROM receipts WHERE txn_id GLOB 'X*' ORDER BY 1")" <<'EOF'
X1|500|5|pending
X2|100|11|credited
EOF
	[ "$stderr" = "loy-accrue: ex.csv: 4 rows, 1 credited, 1 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 2 receipts, 2 members, 16 points" ]
	ledger_ok
}

@test "the added lines of a receipt settled in parts that take points back are a returned row, an exchange's and a purchase's" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,30.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		echo 'X1,1001,2026-11-20 10:00:00,B,1,35.00,S1'
		echo 'T1,1002,2026-11-20 10:00:00,B,1,12.00,'
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,Z,1,1.00,"; done
		echo 'X1,1001,2026-11-20 10:00:00,A,-1,-30.00,S1'
		echo 'T1,1002,2026-11-20 10:00:00,C,-1,-5.00,'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^[XT]1' <<<"$output")" <<'EOF'
X1,1001,2026-11-20 10:00:00,35.00,35,credited,
T1,1002,2026-11-20 10:00:00,12.00,12,credited,
X1,1001,2026-11-20 10:00:00,-30.00,-30,returned,more lines of this receipt
T1,1002,2026-11-20 10:00:00,-5.00,-5,returned,more lines of this receipt
EOF
	# the receipts are purchases still, each entry as its row says
	same "$(q "SELECT txn_id, points, status FROM receipts WHERE txn_id IN ('X1', 'T1') ORDER BY 1")" <<'EOF'
T1|7|credited
X1|5|credited
EOF
	same "$(q "SELECT ref, kind, points FROM journal WHERE ref IN ('X1', 'T1') ORDER BY entry_id")" <<'EOF'
X1|earn|35
T1|earn|12
X1|return|-30
T1|return|-5
EOF
	ledger_ok
}

@test "an exchange without a member that names a member's purchase is that member's" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,99.99\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn\nX1,,2026-11-05 10:00:00,A,-1,-40.00,S1\nX1,,2026-11-05 10:00:00,B,1,50.00,S1\n' >ex.csv
	run -0 --separate-stderr loy-accrue ex.csv
	[ "${lines[1]}" = "X1,1001,2026-11-05 10:00:00,50.00,50,credited,no member given: that of 'S1'" ]
	[ "${lines[2]}" = "X1,1001,2026-11-05 10:00:00,-40.00,-39,returned,returns 40.00 of 'S1'" ]
	[ "$(q "SELECT returned_amount FROM receipts WHERE txn_id = 'S1'")" = 4000 ]
	[ "$(balances)" = "1001:110" ]
	ledger_ok
}

@test "an exchange settled in parts ends as the whole does, whichever of its lines come first" {
	base
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		for i in 1 2 3 4; do echo "S$i,1001,2026-11-01 10:0$i:00,A,1,33.33,"; done
	} >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	cp "$LOY_DB" whole.db
	# sales first; return lines first; an exchange that later return lines
	# keep one; one they make a return
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		echo 'X1,1001,2026-11-05 10:00:00,B,1,50.00,S1'
		echo 'X2,1001,2026-11-05 10:00:00,A,-1,-20.00,S2'
		echo 'X3,1001,2026-11-05 10:00:00,A,-1,-10.00,S3'
		echo 'X3,1001,2026-11-05 10:00:00,B,1,40.00,S3'
		echo 'X4,1001,2026-11-05 10:00:00,A,-1,-10.00,S4'
		echo 'X4,1001,2026-11-05 10:00:00,B,1,12.00,S4'
		for i in $(seq 1 80); do echo "F$i,,2026-11-05 11:00:00,Z,1,0.01,"; done
		echo 'X1,1001,2026-11-05 10:00:00,A,-1,-20.00,S1'
		echo 'X2,1001,2026-11-05 10:00:00,B,1,50.00,S2'
		echo 'X3,1001,2026-11-05 10:00:00,A,-1,-13.00,S3'
		echo 'X4,1001,2026-11-05 10:00:00,A,-1,-13.00,S4'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	[ "$(grep -c '^X.*more lines of this receipt' <<<"$output")" = 4 ]
	run -0 --separate-stderr loy-accrue -d whole.db parts.csv
	local r="SELECT txn_id, amount, points, status, returned_amount, returned_points, earn FROM receipts WHERE member_id IS NOT NULL ORDER BY 1"
	same "$(q "$r")" <<<"$(sqlite3 whole.db "$r")"
	same "$(q "SELECT txn_id, points, returned_amount FROM receipts WHERE txn_id GLOB 'X*' ORDER BY 1")" <<'EOF'
X1|31|-2000
X2|31|-2000
X3|18|-2300
X4|-10|-1100
EOF
	[ "$(balances)" = "$(LOY_DB=whole.db balances)" ]
	ledger_ok
	ledger_ok whole.db
}

@test "the rejects file keeps each line as it was read" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,99.0,2026-11-20 10:00:00,5.00  \n' >pos.csv
	run -1 --separate-stderr loy-accrue --rejects rej.csv pos.csv
	[ "$(sed -n 2p rej.csv)" = "T1,99.0,2026-11-20 10:00:00,5.00  ,2,unknown member_id '99'" ]
	ledger_ok
}

@test "--rejects may not name an input or the ledger" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	cp pos.csv keep.csv
	run -64 --separate-stderr loy-accrue --rejects pos.csv pos.csv
	[ "$stderr" = "loy-accrue: --rejects 'pos.csv' is an input" ]
	run -64 --separate-stderr loy-accrue --rejects "$LOY_DB" pos.csv
	[ "$stderr" = "loy-accrue: --rejects '$LOY_DB' is the ledger" ]
	cmp pos.csv keep.csv
	ledger_ok
}

@test "a receipt's lines in two files of a run: the second is refused as taken from the first in this run" {
	base
	printf 'txn_id,member_id,occurred_at,sku,amount\nT1,1001,2026-11-20 10:00:00,A,10.00\n' >a.csv
	printf 'txn_id,member_id,occurred_at,sku,amount\nT1,1001,2026-11-20 10:01:00,B,7.00\n' >b.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue a.csv - <b.csv
	[ "${stderr_lines[1]}" = "loy-accrue: stdin:2: receipt 'T1' was taken from 'a.csv' earlier in this run with other content" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv a.csv b.csv
	same "$output" <<'EOF'
txn_id,member_id,occurred_at,amount,points,status,detail
T1,1001,2026-11-20 10:00:00,10.00,10,credited,
T1,1001,2026-11-20 10:01:00,7.00,0,conflict,receipt 'T1' was taken from 'a.csv' earlier in this run with other content
EOF
	[ "$(sed -n 2p rej.csv)" = "T1,1001,2026-11-20 10:01:00,B,7.00,b.csv,2,receipt 'T1' was taken from 'a.csv' earlier in this run with other content" ]
	# in a later run, the run that took it is named
	run -65 --separate-stderr loy-accrue b.csv
	[ "${stderr_lines[0]}" = "loy-accrue: b.csv:2: receipt 'T1' was taken before (run $(q "SELECT max(run_id) FROM runs")) with other content" ]
	ledger_ok
}

@test "--rejects may not name the file standard input reads" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\nT2,9999,2026-11-20 10:00:00,5.00\n' >pos.csv
	cp pos.csv keep.csv
	before=$(dump)
	run -64 --separate-stderr loy-accrue --rejects /dev/stdin - <pos.csv
	[ "$stderr" = "loy-accrue: --rejects '/dev/stdin' is an input" ]
	run -64 --separate-stderr loy-accrue --rejects pos.csv <pos.csv
	[ "$stderr" = "loy-accrue: --rejects 'pos.csv' is an input" ]
	cmp pos.csv keep.csv
	[ "$(dump)" = "$before" ]
	# a device is no input's file: /dev/null takes the rows
	run -1 --separate-stderr loy-accrue --rejects /dev/null - <pos.csv
	ledger_ok
}

@test "a read error in the header is an I/O error" {
	base
	run -74 --separate-stderr loy-accrue /proc/self/mem
	[[ "$stderr" == "loy-accrue: /proc/self/mem: read error: "* ]]
	ledger_ok
}

@test "--auto-enroll refuses a receipt whose card is another member's" {
	base --set identify_by=member_id
	loy-enroll add-card 1001 C1 >/dev/null 2>&1
	printf 'txn_id,member_id,card,occurred_at,amount\nT2,NEW,C1,2026-11-20 10:00:00,5.00\n' >pos.csv
	before=$(dump)
	run -65 --separate-stderr loy-accrue --auto-enroll pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: card 'C1' is another member's" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--auto-enroll enrols no one for a return it refuses as another member's" {
	base
	sale
	# R1 names a member the ledger does not know, and returns 1001's S1
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
R1,NEW,2026-11-21 10:00:00,A,-1,-10.00,S1
R2,1001,2026-11-21 10:00:00,A,-1,-10.00,S1
EOF
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv ret.csv
	same "$output" <<EOF
$HEAD
R1,NEW,2026-11-21 10:00:00,-10.00,0,rejected,"receipt 'R1' returns 'S1', a receipt of another member"
R2,1001,2026-11-21 10:00:00,-10.00,-9,returned,
EOF
	[ "${stderr_lines[0]}" = "loy-accrue: ret.csv:2: receipt 'R1' returns 'S1', a receipt of another member" ]
	[ "$(q "SELECT count(*) FROM members WHERE member_id = 'NEW'")" = 0 ]
	# corrected, it is 1001's return
	sed 's/,NEW,/,1001,/' rej.csv >fixed.csv
	run -0 --separate-stderr loy-accrue --auto-enroll fixed.csv
	[ "${lines[1]}" = "R1,1001,2026-11-21 10:00:00,-10.00,-10,returned," ]
	ledger_ok
}

@test "--auto-enroll: a return that enrols its member says so, and what became of its points" {
	base
	cat >ret.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
R1,2001,2026-11-21 10:00:00,A,-1,-10.00,S9
EOF
	run -0 --separate-stderr loy-accrue --auto-enroll ret.csv
	same "$output" <<EOF
$HEAD
R1,2001,2026-11-21 10:00:00,-10.00,0,returned,member 2001 enrolled; 10 points not recovered: the balance may not go below zero
EOF
	ledger_ok
}

@test "an opening balance stays taken once after its member is merged" {
	base
	printf 'member_id,points,earned_at\n1003,500,2026-01-01\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue --opening open.csv
	[ "${lines[1]}" = "1001,500,2026-01-01 00:00:00,2028-01-01 00:00:00,duplicate,opening balance taken before" ]
	[ "$(balances)" = "1001:500
1003:0" ]
	ledger_ok
}

# ---------------------------------------------------------------- receipts settled early

# A POS file whose receipts' lines lie far apart: with LOY_RECEIPT_MEMORY
# small, receipts are settled before all their lines are read.
scattered() {
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "T1,1001,2026-11-20 10:05:00,10.00,"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "T1,1001,2026-11-20 10:00:00,20.00,"
	} >far.csv
}

@test "a receipt settled early grows with its later lines, whatever their time" {
	base
	scattered
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue far.csv
	# T1: 10.00 then 20.00 more: 30 points in all, at its earliest time
	[ "$(q "SELECT amount, points, lines, occurred_at FROM receipts WHERE txn_id = 'T1'")" = "3000|30|2|2026-11-20 10:00:00" ]
	[ "$(balances)" = "1001:30" ]
	ledger_ok
	# the same file in one piece is a duplicate throughout
	run -0 --separate-stderr loy-accrue far.csv
	[ "$(grep -c ',duplicate,' <<<"$output")" = 61 ]
	ledger_ok
}

@test "later lines of a receipt settled early on another day are refused, as the receipt settled at once is" {
	base
	{
		echo "txn_id,member_id,occurred_at,amount"
		echo "T1,1001,2026-11-20 10:05:00,10.00"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00"; done
		echo "T1,1001,2026-11-21 10:00:00,20.00"
	} >days.csv
	run -65 --separate-stderr loy-accrue days.csv
	[ "${stderr_lines[1]}" = "loy-accrue: days.csv:63: receipt 'T1' has lines on 2026-11-20 and 2026-11-21" ]
	LOY_RECEIPT_MEMORY=1024 run -65 --separate-stderr loy-accrue days.csv
	[ "${stderr_lines[0]}" = "loy-accrue: days.csv:63: receipt 'T1' has lines on 2026-11-20 and 2026-11-21" ]
	# set aside, all of it is, the part settled early too, as the receipt
	# settled at once is
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej.csv days.csv
	[ "${stderr_lines[0]}" = "loy-accrue: days.csv:2: receipt 'T1' is refused: receipt 'T1' has lines on 2026-11-20 and 2026-11-21 (line 63)" ]
	[ "${stderr_lines[1]}" = "loy-accrue: days.csv:63: receipt 'T1' has lines on 2026-11-20 and 2026-11-21" ]
	[ "$(grep -c '^T1,' rej.csv)" = 2 ]
	[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'T1'")" = 0 ]
	[ "$(balances)" = "" ]
	ledger_ok
}

@test "a receipt settled early whose later lines cannot take back what the balance spent keeps it, and its lines and rules still add up" {
	base
	{
		echo "txn_id,member_id,occurred_at,amount"
		echo "P1,1001,2026-11-20 10:00:00,12.59"
		echo "R1,1001,2026-11-20 10:30:00,-12.00"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00"; done
		echo "P1,1001,2026-11-20 10:00:00,-8.75"
	} >spent.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue spent.csv
	# P1 earned 12, R1 took them; P1's later line owes 9 of them back, but
	# the balance is 0: P1 keeps 12, 9 of them not recovered
	[ "$(grep '^P1' <<<"$output")" = "P1,1001,2026-11-20 10:00:00,12.59,12,credited,
P1,1001,2026-11-20 10:00:00,-8.75,0,credited,9 points not recovered: the balance may not go below zero" ]
	[ "$(q "SELECT points || ' ' || (earn ->> '$.receipt') FROM receipts WHERE txn_id = 'P1'")" = '12 {"[earn] not recovered":9}' ]
	[ "$(balances)" = "1001:0" ]
	run -0 --separate-stderr loy-accrue --explain receipt=P1
	[ "${lines[3]}" = "P1,2026-11-20 10:00:00,1001,1,,,,[earn] not recovered,1,9" ]
	[ "$stderr" = "loy-accrue: receipt=P1: 3 rows, 12 points, as the journal holds" ]
	ledger_ok
}

@test "a return settled in parts whose original is not known takes back at the current rate once, rounded down over all of it" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-19 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "R1,1001,2026-11-20 10:00:00,-8.54,S9"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "R1,1001,2026-11-20 10:00:00,-13.93,S9"
	} >ret.csv
	# 22.47 at 1 point per 1.00: 22 points, as in one piece (8 + 13 was 21)
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue ret.csv
	[ "$(grep '^R1' <<<"$output")" = "R1,1001,2026-11-20 10:00:00,-8.54,-8,returned,original receipt 'S9' not known: at the current rate
R1,1001,2026-11-20 10:00:00,-13.93,-14,returned,original receipt 'S9' not known: at the current rate" ]
	[ "$(q "SELECT points FROM receipts WHERE txn_id = 'R1'")" = -22 ]
	[ "$(balances)" = "1001:78" ]
	ledger_ok
}

@test "the same file read again is a duplicate throughout when its receipts are settled in parts" {
	base
	scattered
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue far.csv
	before=$(dump)
	# T1's first part lacks its earliest line, as its second does in
	# another file: both are parts of the receipt taken, not other content
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue far.csv
	[ "$(grep -c ',duplicate,' <<<"$output")" = 62 ]
	[ "${lines[1]}" = "T1,1001,2026-11-20 10:00:00,10.00,0,duplicate," ]
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:05:00,10.00\n' >part.csv
	run -0 --separate-stderr loy-accrue part.csv
	[ "${lines[1]}" = "T1,1001,2026-11-20 10:00:00,10.00,0,duplicate," ]
	[ "$(dump | grep -v '^INSERT INTO runs\|^INSERT INTO run_inputs')" = "$(grep -v '^INSERT INTO runs\|^INSERT INTO run_inputs' <<<"$before")" ]
	# the whole receipt at another time, or a part before its time or on
	# another day, is still other content
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:05:00,10.00\nT1,1001,2026-11-20 10:05:00,20.00\n' >later.csv
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 09:55:00,10.00\n' >earlier.csv
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-21 10:05:00,10.00\n' >nextday.csv
	for f in later.csv earlier.csv nextday.csv; do
		run -65 --separate-stderr loy-accrue "$f"
		[ "${stderr_lines[0]}" = "loy-accrue: $f:2: receipt 'T1' was taken before (run 3) with other content" ]
	done
	[ "$(balances)" = "1001:30" ]
	ledger_ok
}

@test "a return settled early that later lines make a purchase earns what the whole receipt earns" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS0,1002,2026-11-19 10:00:00,50.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo "txn_id,member_id,occurred_at,amount"
		echo "Q1,1002,2026-11-20 10:00:00,-5.00"
		echo "Q2,1003,2026-11-20 10:00:00,-5.00"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00"; done
		echo "Q1,1002,2026-11-20 10:00:00,8.00"
		echo "Q2,1003,2026-11-20 10:00:00,8.00"
	} >flip.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue flip.csv
	# Q1 took 5 back, then earned 8: 3 in all, as 3.00 earns; Q2 took
	# nothing back (1003 had no points) and earns 3
	[ "$(grep '^Q' <<<"$output")" = "Q1,1002,2026-11-20 10:00:00,-5.00,-5,returned,
Q2,1003,2026-11-20 10:00:00,-5.00,0,returned,5 points not recovered: the balance may not go below zero
Q1,1002,2026-11-20 10:00:00,8.00,8,credited,more lines of this receipt
Q2,1003,2026-11-20 10:00:00,8.00,3,credited,more lines of this receipt" ]
	[ "$(q "SELECT txn_id || ':' || amount || ':' || points FROM receipts WHERE txn_id LIKE 'Q%' ORDER BY 1")" = "Q1:300:3
Q2:300:3" ]
	[ "$(balances)" = "1002:53
1003:3" ]
	run -0 --separate-stderr loy-accrue --explain receipt=Q1
	[ "$stderr" = "loy-accrue: receipt=Q1: 2 rows, 3 points, as the journal holds" ]
	ledger_ok
}

@test "a return settled early that later lines make an exchange returns against its original what the whole's return lines do" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-19 10:00:00,26.34\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	cp "$LOY_DB" whole.db
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "X1,1001,2026-11-20 10:00:00,-8.54,S1"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "X1,1001,2026-11-20 10:00:00,33.14,S1"
		echo "R2,1001,2026-11-21 10:00:00,-26.34,S1"
	} >day.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue day.csv
	# X1 is an exchange in the end: 8.54 of S1 back, floor(26 x 8.54 /
	# 26.34) = 8 of its points, and 33.14 bought, 33 points; R2 returns
	# the rest of S1, 17.80, its 18 points left
	same "$(q "SELECT txn_id, points, returned_amount, returned_points FROM receipts WHERE txn_id IN ('S1', 'X1', 'R2') ORDER BY 1")" <<'EOF'
R2|-18|-1780|0
S1|26|2634|26
X1|25|-854|0
EOF
	[ "$(balances)" = "1001:33" ]
	ledger_ok
	# as the file settled at once makes them
	run -0 --separate-stderr loy-accrue -d whole.db day.csv
	same "$(q "SELECT txn_id, amount, points, status, returned_amount, returned_points, earn FROM receipts ORDER BY 1")" <<<"$(sqlite3 whole.db "SELECT txn_id, amount, points, status, returned_amount, returned_points, earn FROM receipts ORDER BY 1")"
	ledger_ok whole.db
}

@test "the summary counts a receipt settled in parts as what it became: a purchase turned return, a return turned purchase" {
	base
	for f in p q; do
		{
			echo "txn_id,member_id,occurred_at,amount"
			[ $f = p ] && echo "P1,1001,2026-11-20 10:00:00,10.00" || echo "Q1,1002,2026-11-20 10:00:00,-5.00"
			for i in $(seq 1 60); do echo "$f$i,,2026-11-20 11:00:00,1.00"; done
			[ $f = p ] && echo "P1,1001,2026-11-20 10:00:00,-20.00" || echo "Q1,1002,2026-11-20 10:00:00,8.00"
		} >$f.csv
	done
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue p.csv q.csv
	[ "$(q "SELECT txn_id || ':' || status FROM receipts WHERE txn_id IN ('P1', 'Q1') ORDER BY 1")" = "P1:returned
Q1:credited" ]
	[ "$stderr" = "loy-accrue: p.csv: 62 rows, 0 credited, 0 pending, 1 returned, 60 anonymous, 0 duplicate, 0 rejected; 61 receipts, 1 member, 0 points
loy-accrue: q.csv: 62 rows, 1 credited, 0 pending, 0 returned, 60 anonymous, 0 duplicate, 0 rejected; 61 receipts, 1 member, 3 points" ]
	[ "$(q "SELECT summary FROM runs WHERE run_id = 3")" = "124 rows, 1 credited, 0 pending, 1 returned, 120 anonymous, 0 duplicate, 0 rejected" ]
	ledger_ok
}

@test "a return settled early in parts takes back no more than its original earned" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-19 10:00:00,20.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "R1,1001,2026-11-20 10:00:00,-10.00,S1"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "R1,1001,2026-11-20 10:00:00,-10.00,S1"
		echo "R2,1001,2026-11-21 10:00:00,-10.00,S1"
	} >ret.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue ret.csv
	# S1 earned 20: R1 returns all of it in two parts; R2 finds nothing left
	[ "$(q "SELECT points FROM receipts WHERE txn_id = 'R1'")" = -20 ]
	[ "$(q "SELECT points FROM receipts WHERE txn_id = 'R2'")" = 0 ]
	[ "$(balances)" = "1001:0" ]
	ledger_ok
}

@test "a run taken again with --rejects, its receipt settled early set aside whole, keeps the receipts taken before it read again in parts and the members it forgot" {
	base
	printf 'member_id\n' >more.csv
	for i in $(seq 1 60); do echo "M$i" >>more.csv; done
	loy-enroll more.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,sku,qty,amount\nT1,1001,2026-11-19 10:00:00,A,1,10.00\nT1,1001,2026-11-19 10:00:00,B,1,20.00\n' >day1.csv
	loy-accrue day1.csv >/dev/null 2>&1
	# T1 read again in two parts; S2 settled early, then a bad line of it:
	# the run is taken again with S2 held whole
	{
		echo "txn_id,member_id,occurred_at,sku,qty,amount"
		echo "T1,1001,2026-11-19 10:00:00,A,1,10.00"
		echo "S2,1002,2026-11-20 10:00:00,A,1,10.00"
		for i in $(seq 1 60); do echo "F$i,M$i,2026-11-20 12:00:00,FILLER,1,1.00"; done
		echo "T1,1001,2026-11-19 10:00:00,B,1,20.00"
		echo "S2,1002,2026-11-20 10:00:00,B,1,abc"
	} >again.csv
	for memory in LOY_RECEIPT_MEMORY LOY_MEMBER_MEMORY; do
		cp "$LOY_DB" before.db
		rc=0
		env LOY_RECEIPT_MEMORY=1024 $memory=1024 loy-accrue --rejects rej.csv again.csv >out.csv 2>err.txt || rc=$?
		cat err.txt
		[ "$rc" = 1 ]
		[ "$(tail -n 1 err.txt)" = "loy-accrue: again.csv: 64 rows, 60 credited, 0 pending, 0 returned, 0 anonymous, 1 duplicate, 2 rejected; 60 receipts, 60 members, 60 points" ]
		same "$(grep -v '^F' out.csv)" <<'EOF'
txn_id,member_id,occurred_at,amount,points,status,detail
T1,1001,2026-11-19 10:00:00,10.00,0,duplicate,
S2,1002,2026-11-20 10:00:00,,0,rejected,amount 'abc' is not a decimal number
T1,1001,2026-11-19 10:00:00,20.00,0,duplicate,more lines of this receipt
EOF
		[ "$(cut -d, -f1 rej.csv | tr '\n' ' ')" = "txn_id S2 S2 " ]
		[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'S2'")" = 0 ]
		ledger_ok
		cp before.db "$LOY_DB"
	done
}

# A POS file of receipts in two or three parts far apart, each part's lines
# separated by '|' on standard input (a line of its own for a receipt of
# one part): parts.csv, each part 60 receipts of member 1003 after the
# one before; the ledger copied to whole.db, to take it in one piece.
in_parts() {
	local h='txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'

	awk -v h="$h" 'BEGIN { print h } { n = split($0, p, "|"); for (i = 1; i <= n; i++) part[i] = part[i] p[i] "\n"; if (n > np) np = n }
	    END { for (i = 1; i <= np; i++) { printf "%s", part[i]; for (k = 1; k <= 60; k++) print "F" i "-" k ",1003,2026-11-20 12:00:00,FILLER-" k ",1,1.00," } }' >parts.csv
	cp "$LOY_DB" whole.db
}

# The balances, the lots and what came back of the members' purchases as
# the same file taken in one piece made them.
as_whole() {
	local r="SELECT txn_id, amount, returned_amount FROM receipts WHERE member_id IS NOT NULL ORDER BY 1"
	local o="SELECT member_id, sum(remaining) FROM lots GROUP BY 1 ORDER BY 1"

	run -0 --separate-stderr loy-accrue -d whole.db parts.csv
	same "$(balances)" <<<"$(LOY_DB=whole.db balances)"
	same "$(q "$r")" <<<"$(sqlite3 whole.db "$r")"
	same "$(q "$o")" <<<"$(sqlite3 whole.db "$o")"
	ledger_ok whole.db
}

@test "a purchase settled in parts whose later line takes it below what a return took back holds the return to what it comes to, and its points stand" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT0,1001,2026-11-19 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	in_parts <<'EOF'
S1,1001,2026-11-20 10:00:00,A,1,20.00,|S1,1001,2026-11-20 10:00:00,B,-1,-5.00,
R1,1001,2026-11-20 11:00:00,A,-1,-20.00,S1
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	# S1 comes to 15.00 in the end: R1 returns all of it, 15.00; the 20
	# points R1 took back stand, and S1 keeps the 20 it earned, 5 of them
	# for the line R1 took them back for, so that 1001 ends as with S1
	# whole (15 earned, 15 taken back)
	same "$(grep '^[SR]1' <<<"$output")" <<'EOF'
S1,1001,2026-11-20 10:00:00,20.00,20,credited,
R1,1001,2026-11-20 11:00:00,-20.00,-20,returned,
S1,1001,2026-11-20 10:00:00,-5.00,0,credited,"returns before these lines took back 20.00 and 20 points of it: they return 15.00 of it now, their points stand"
EOF
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id IN ('S1', 'R1') ORDER BY 1")" <<'EOF'
R1|-2000|-20|-1500|0
S1|1500|20|1500|20
EOF
	run -0 --separate-stderr loy-accrue --explain receipt=S1
	[ "${lines[3]}" = "S1,2026-11-20 10:00:00,1001,2,,,,[return] taken before,1,5" ]
	[ "$stderr" = "loy-accrue: receipt=S1: 3 rows, 20 points, as the journal holds" ]
	ledger_ok
	as_whole
	[ "$(balances)" = "1001:100
1003:120" ]
	# and a later return of S1 finds none of it left
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR2,1001,2026-11-21 10:00:00,-15.00,S1\n' >r2.csv
	run -0 --separate-stderr loy-accrue r2.csv
	[ "${lines[1]}" = "R2,1001,2026-11-21 10:00:00,-15.00,0,returned,\"returns 15.00, but only 0.00 of 'S1' was left to return\"" ]
	[ "$(balances)" = "1001:100
1003:120" ]
	ledger_ok
}

@test "a purchase settled in parts shrunk below a return in parts, or below an exchange's return lines, holds them to what it comes to" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT0,1001,2026-11-19 10:00:00,100.00\nT1,1002,2026-11-19 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# R1 returns all of S1 in two parts, before S1's last line; X2 brings
	# back all of S2 and buys 30.00
	in_parts <<'EOF'
S1,1001,2026-11-20 10:00:00,A,1,20.00,|S1,1001,2026-11-20 10:00:00,A,1,0.00,|S1,1001,2026-11-20 10:00:00,B,-1,-5.00,
R1,1001,2026-11-20 11:00:00,A,-1,-15.00,S1|R1,1001,2026-11-20 11:00:00,B,-1,-5.00,S1
S2,1002,2026-11-20 10:00:00,A,1,20.00,|S2,1002,2026-11-20 10:00:00,B,-1,-5.00,
X2,1002,2026-11-20 11:00:00,A,-1,-20.00,S2
X2,1002,2026-11-20 11:00:00,C,1,30.00,S2
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^S[12].*-5.00' <<<"$output" | sort)" <<'EOF'
S1,1001,2026-11-20 10:00:00,-5.00,0,credited,"returns before these lines took back 20.00 and 20 points of it: they return 15.00 of it now, their points stand"
S2,1002,2026-11-20 10:00:00,-5.00,0,credited,"returns before these lines took back 20.00 and 20 points of it: they return 15.00 of it now, their points stand"
EOF
	# X2 took 15.00 off S2, as its detail says of the whole, and the 20
	# points it took back stand
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points, coalesce(earn ->> 'returned', '') FROM receipts WHERE txn_id GLOB '[SRX][12]' ORDER BY 1")" <<'EOF'
R1|-2000|-20|-1500|0|
S1|1500|20|1500|20|
S2|1500|20|1500|20|
X2|1000|10|-1500|0|1500
EOF
	ledger_ok
	as_whole
}

@test "a purchase settled in parts that its later lines make a return leaves its returns naming no purchase, and one an exchange took from is refused" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT0,1001,2026-11-19 10:00:00,100.00\nT1,1002,2026-11-19 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	in_parts <<'EOF'
S1,1001,2026-11-20 10:00:00,A,1,20.00,|S1,1001,2026-11-20 10:00:00,B,-1,-30.00,
R1,1001,2026-11-20 11:00:00,A,-1,-20.00,S1
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	# S1 is a return of 10.00 in the end: R1 returns no purchase, as when
	# S1 is taken whole; the points it took stand
	[ "$(grep '^S1.*-30.00' <<<"$output")" = "S1,1001,2026-11-20 10:00:00,-30.00,-30,returned,\"returns before these lines took back 20.00 of it, a purchase then: they return none of it now\"" ]
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id IN ('S1', 'R1') ORDER BY 1")" <<'EOF'
R1|-2000|-20|0|0
S1|-1000|-10|0|0
EOF
	ledger_ok
	as_whole
	# an exchange took goods of S2 back: as S2 whole is a return, X2
	# would be a purchase of its total, which its parts cannot be made
	cp whole.db before.db
	cp before.db "$LOY_DB"
	in_parts <<'EOF'
S2,1002,2026-11-21 10:00:00,A,1,20.00,|S2,1002,2026-11-21 10:00:00,B,-1,-30.00,
X2,1002,2026-11-21 11:00:00,A,-1,-20.00,S2
X2,1002,2026-11-21 11:00:00,C,1,30.00,S2
EOF
	before=$(dump)
	LOY_RECEIPT_MEMORY=1024 run -65 --separate-stderr loy-accrue parts.csv
	[ "${stderr_lines[0]}" = "loy-accrue: parts.csv:65: receipt 'S2' settled in parts becomes a return with these lines, but exchange 'X2' took goods of it back as a purchase's (--rejects takes the receipt whole)" ]
	[ "$(dump)" = "$before" ]
	# with --rejects the run is taken again with S2 whole: as the file whole
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue --rejects rej.csv parts.csv
	[ "$(grep -c '^[SX]2' rej.csv)" = 0 ]
	same "$(grep '^[SX]2' <<<"$output")" <<'EOF'
X2,1002,2026-11-21 11:00:00,10.00,10,credited,
S2,1002,2026-11-21 10:00:00,-10.00,-10,returned,
EOF
	ledger_ok
	as_whole
}

@test "a purchase settled in parts that grows past what its returns could take off it counts the rest of them against it" {
	base
	# R0 came before S1 (the rate took its 10 points); R1 returned all of
	# S2 so far, and 5.00 more; S3 was a return so far, which R3 named
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nT0,1001,2026-11-19 10:00:00,100.00,\nR0,1001,2026-11-19 11:00:00,-10.00,S1\nT2,1002,2026-11-19 10:00:00,100.00,\nT3,1003,2026-11-19 10:00:00,100.00,\n' >day1.csv
	loy-accrue day1.csv >/dev/null 2>&1
	in_parts <<'EOF'
S1,1001,2026-11-20 10:00:00,A,1,5.00,|S1,1001,2026-11-20 10:00:00,B,1,10.00,
S2,1002,2026-11-20 10:00:00,A,1,5.00,|S2,1002,2026-11-20 10:00:00,B,1,10.00,
R2,1002,2026-11-20 11:00:00,A,-1,-10.00,S2
S3,1003,2026-11-20 10:00:00,A,-1,-5.00,|S3,1003,2026-11-20 10:00:00,B,1,25.00,
R3,1003,2026-11-20 11:00:00,A,-1,-10.00,S3
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^S[123].*,[12][05].00,' <<<"$output")" <<'EOF'
S1,1001,2026-11-20 10:00:00,10.00,10,credited,returns before these lines took back 5.00 of it: they return 10.00 of it now
S2,1002,2026-11-20 10:00:00,10.00,5,credited,"returns before these lines took back 5.00 and 5 points of it: they return 10.00 of it now, their points stand"
S3,1003,2026-11-20 10:00:00,25.00,25,credited,return 'R3' taken before it returned 10.00 of it
EOF
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id GLOB '[SR][0-3]' ORDER BY 1")" <<'EOF'
R0|-1000|-10|-1000|0
R2|-1000|-5|-1000|0
R3|-1000|-10|-1000|0
S1|1500|15|1000|10
S2|1500|10|1000|5
S3|2000|20|1000|10
EOF
	ledger_ok
	as_whole
	# the rest of each comes back: what is left of it, as of the whole
	cp whole.db after.db
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR4,1001,2026-11-21 10:00:00,-15.00,S1\nR5,1002,2026-11-21 10:00:00,-15.00,S2\nR6,1003,2026-11-21 10:00:00,-20.00,S3\n' >day3.csv
	run -0 --separate-stderr loy-accrue day3.csv
	run -0 --separate-stderr loy-accrue -d after.db day3.csv
	[ "$(balances)" = "$(LOY_DB=after.db balances)" ]
	ledger_ok
}

@test "a return settled in parts whose later lines change it gives back to its purchase only the points it took, so that with an exchange of it they take back no more than it earned" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT0,1003,2026-11-19 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# S1 comes to 23.00, 23 points: R3, taken while S1 was a return, took
	# 20 points at the rate, counted against S1 when it became a purchase;
	# X2's return lines took the 2.50 left of it, and 3 points
	in_parts <<'EOF'
S1,1003,2026-11-20 10:16:00,C,-1,-1.00,|S1,1003,2026-11-20 10:16:00,B,1,24.00,
X2,1003,2026-11-20 11:40:00,B,1,15.01,S1|X2,1003,2026-11-20 11:40:00,C,-1,-7.01,S1
R3,1003,2026-11-20 12:36:00,A,-1,-20.50,S1|R3,1003,2026-11-20 12:36:00,B,-1,-12.01,S1|R3,1003,2026-11-20 12:36:00,C,1,5.00,S1
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	# R3's last line takes it back against S1: it gives back its 20
	# points, not S1's 23 less 2 in proportion to X2's 2.50, and owes
	# them again, no more
	same "$(grep '^[SXR][123],' <<<"$output")" <<'EOF'
S1,1003,2026-11-20 10:16:00,-1.00,-1,returned,
X2,1003,2026-11-20 11:40:00,15.01,15,credited,
R3,1003,2026-11-20 12:36:00,-20.50,-20,returned,original receipt 'S1' is a return: at the current rate
S1,1003,2026-11-20 10:16:00,24.00,24,credited,return 'R3' taken before it returned 20.50 of it
X2,1003,2026-11-20 11:40:00,-7.01,-3,returned,"returns 7.01, but only 2.50 of 'S1' was left to return"
R3,1003,2026-11-20 12:36:00,-12.01,0,returned,"returns 12.01, but only 0.00 of 'S1' was left to return"
R3,1003,2026-11-20 12:36:00,5.00,0,returned,"returns 27.51, but only 20.50 of 'S1' was left to return"
EOF
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id GLOB '[SXR][123]' ORDER BY 1")" <<'EOF'
R3|-2751|-20|-2050|0
S1|2300|23|2300|23
X2|800|12|-250|0
EOF
	[ "$(q "SELECT sum(points) FROM journal WHERE ref GLOB '[XR][23]' AND kind = 'return'")" = -23 ]
	ledger_ok
	# the whole file shares S1 between them in another order (X2 7.01,
	# R3 the 15.99 left), but the member ends with the same points
	run -0 --separate-stderr loy-accrue -d whole.db parts.csv
	[ "$(sqlite3 whole.db "SELECT returned_amount || ':' || returned_points FROM receipts WHERE txn_id = 'S1'")" = "2300:23" ]
	[ "$(sqlite3 whole.db "SELECT sum(points) FROM journal WHERE ref GLOB '[XR][23]' AND kind = 'return'")" = -23 ]
	same "$(balances)" <<<"$(LOY_DB=whole.db balances)"
	same "$(q "SELECT member_id, sum(remaining) FROM lots GROUP BY 1 ORDER BY 1")" <<<"$(sqlite3 whole.db "SELECT member_id, sum(remaining) FROM lots GROUP BY 1 ORDER BY 1")"
	ledger_ok whole.db
}

@test "an exchange settled in parts whose later lines change it gives back to its purchase only the points its return lines took, so that with a return of it they take back no more than it earned" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT0,1003,2026-11-19 10:00:00,100.00\nS1,1003,2026-11-20 10:00:00,23.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	# X2 brings back 7.01 of S1 (7 of its 23 points) and R3 the 15.99
	# left (16); X2's last line, far after them, takes it again
	in_parts <<'EOF'
X2,1003,2026-11-20 11:40:00,B,1,15.01,S1|X2,1003,2026-11-20 11:40:00,D,1,1.00,S1
X2,1003,2026-11-20 11:40:00,C,-1,-7.01,S1
R3,1003,2026-11-20 12:36:00,A,-1,-20.50,S1
EOF
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	# it gives back its 7 points, not S1's 23 less 15 in proportion to
	# R3's 15.99, and owes them again, no more
	[ "$(grep '^X2,.*,1.00,' <<<"$output")" = "X2,1003,2026-11-20 11:40:00,1.00,1,credited,more lines of this receipt" ]
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id GLOB '[SXR][123]' ORDER BY 1")" <<'EOF'
R3|-2050|-16|-1599|0
S1|2300|23|2300|23
X2|900|9|-701|0
EOF
	ledger_ok
	as_whole
	same "$(q "SELECT txn_id, points, returned_points FROM receipts ORDER BY 1")" <<<"$(sqlite3 whole.db "SELECT txn_id, points, returned_points FROM receipts ORDER BY 1")"
}

@test "a receipt being read when the others are settled early keeps its later lines when a return or an exchange before it names it" {
	base
	# with so small a window, the receipts before S1 and S2 are settled
	# while their first line is read: X1 and R3 name them, and wait for
	# them to be whole, as the whole file takes them
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
F1,1003,2026-11-20 12:00:00,1.00,
X1,1001,2026-11-20 11:00:00,-10.00,S1
X1,1001,2026-11-20 11:00:00,30.00,S1
S1,1001,2026-11-20 10:00:00,20.00,
S1,1001,2026-11-20 10:00:00,13.00,
R3,1002,2026-11-20 11:00:00,-5.00,S2
S2,1002,2026-11-20 10:00:00,20.00,
S2,1002,2026-11-20 10:00:00,30.00,
EOF
	cp "$LOY_DB" whole.db
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue pos.csv
	same "$output" <<'EOF'
txn_id,member_id,occurred_at,amount,points,status,detail
F1,1003,2026-11-20 12:00:00,1.00,1,credited,
S1,1001,2026-11-20 10:00:00,33.00,33,credited,
X1,1001,2026-11-20 11:00:00,30.00,30,credited,
X1,1001,2026-11-20 11:00:00,-10.00,-10,returned,returns 10.00 of 'S1'
S2,1002,2026-11-20 10:00:00,50.00,50,credited,
R3,1002,2026-11-20 11:00:00,-5.00,-5,returned,
EOF
	[ "$(q "SELECT group_concat(txn_id || ':' || amount || ':' || lines || ':' || returned_amount, ' ') FROM receipts WHERE txn_id GLOB '[SRX]*'")" = "R3:-500:1:-500 S1:3300:2:1000 S2:5000:2:500 X1:2000:2:-1000" ]
	ledger_ok
	# as the file taken whole
	run -0 --separate-stderr loy-accrue -d whole.db pos.csv
	same "$(q "SELECT txn_id, amount, points, returned_amount FROM receipts ORDER BY 1")" <<<"$(sqlite3 whole.db "SELECT txn_id, amount, points, returned_amount FROM receipts ORDER BY 1")"
	same "$(balances)" <<<"$(LOY_DB=whole.db balances)"
}

@test "LOY_RECEIPT_MEMORY must be a number of bytes" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	LOY_RECEIPT_MEMORY=lots run -64 --separate-stderr loy-accrue pos.csv
	[ "$stderr" = "loy-accrue: LOY_RECEIPT_MEMORY 'lots' is not a whole number of bytes from 1024 to 1099511627776" ]
	# read as a whole number in a cell is read: digits alone, no blank
	# before them, nothing after them, and not clamped
	for v in ' 2048' '2048 ' 2048abc 0x800 99999999999999999999 1099511627777; do
		LOY_RECEIPT_MEMORY=$v run -64 --separate-stderr loy-accrue pos.csv
		[ "$stderr" = "loy-accrue: LOY_RECEIPT_MEMORY '$v' is not a whole number of bytes from 1024 to 1099511627776" ]
	done
	LOY_RECEIPT_MEMORY=$'\t2048' run -64 --separate-stderr loy-accrue pos.csv
	[ "$stderr" = "loy-accrue: LOY_RECEIPT_MEMORY '\t2048' is not a whole number of bytes from 1024 to 1099511627776" ]
	[ "$(q "SELECT count(*) FROM receipts")" = 0 ]
	LOY_RECEIPT_MEMORY=1099511627776 run -0 --separate-stderr loy-accrue pos.csv
	ledger_ok
}

@test "a receipt whose points would expire past the year 9999 is a bad row, not a failure" {
	export LOY_NOW="9999-06-01 12:00:00"
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# 24 months after 9997-12-01 is still 9999; after 9999-05-01 it is not
	printf 'txn_id,member_id,occurred_at,amount\nT0,1001,9997-12-01 10:00:00,5.00\nT1,1001,9999-05-01 10:00:00,10.00\n' >p.csv
	run -65 --separate-stderr loy-accrue p.csv
	[ "${stderr_lines[0]}" = "loy-accrue: p.csv:3: its points would expire past the year 9999" ]
	[ "$(q "SELECT count(*) FROM journal")" = 0 ]
	run -1 --separate-stderr loy-accrue --rejects bad.csv p.csv
	[ "$(balances)" = "1001:5" ]
	[ "$(q "SELECT expires_at FROM lots")" = "9999-12-01 10:00:00" ]
	ledger_ok
}

@test "a receipt is known again whether its id sorts below, at or above the ledger's highest" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS2,1001,2026-11-19 10:00:00,2.00\nS5,1002,2026-11-19 11:00:00,5.00\n' >day1.csv
	loy-accrue day1.csv >/dev/null 2>&1
	# S1 sorts below the ledger's highest (S5), S5 is it, S9 above; R9
	# returns S9 of this run; R1 returns Z1, above every receipt there is
	cat >day2.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,1001,2026-11-20 09:00:00,1.00,
S5,1002,2026-11-19 11:00:00,5.00,
S9,1003,2026-11-20 10:00:00,9.00,
R9,1003,2026-11-21 10:00:00,-9.00,S9
R1,1001,2026-11-21 11:00:00,-1.00,Z1
EOF
	run -0 --separate-stderr loy-accrue day2.csv
	same "$output" <<EOF
$HEAD
S1,1001,2026-11-20 09:00:00,1.00,1,credited,
S5,1002,2026-11-19 11:00:00,5.00,0,duplicate,
S9,1003,2026-11-20 10:00:00,9.00,9,credited,
R9,1003,2026-11-21 10:00:00,-9.00,-9,returned,
R1,1001,2026-11-21 11:00:00,-1.00,-1,returned,original receipt 'Z1' not known: at the current rate
EOF
	before=$(books)
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',duplicate,$' <<<"$output")" = 5 ]
	[ "$(books)" = "$before" ]
	# a receipt above every one there is, then again with another line
	printf 'txn_id,member_id,occurred_at,sku,amount\nT1,1001,2026-11-22 09:00:00,A,3.00\n' >day3.csv
	printf 'txn_id,member_id,occurred_at,sku,amount\nT1,1001,2026-11-22 09:00:00,A,3.00\nT1,1001,2026-11-22 09:00:00,B,4.00\n' >day4.csv
	run -0 --separate-stderr loy-accrue day3.csv
	[ "${lines[1]}" = "T1,1001,2026-11-22 09:00:00,3.00,3,credited," ]
	run -65 --separate-stderr loy-accrue day4.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day4.csv:2: receipt 'T1' was taken before (run $(q "SELECT max(run_id) FROM runs")) with other content" ]
	same "$(balances)" <<'EOF'
1001:5
1002:5
1003:0
EOF
	ledger_ok
}

@test "receipts taken before, new ones between them and a receipt split in one file: each taken once" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-19 10:00:00,1.00\nS3,1002,2026-11-19 11:00:00,3.00\nS5,1003,2026-11-19 12:00:00,5.00\n' >day1.csv
	loy-accrue day1.csv >/dev/null 2>&1
	# the old ones again in order, new ones between them, S6 in two parts
	# far apart: settled early, then grown
	{
		echo "txn_id,member_id,occurred_at,amount"
		echo "S1,1001,2026-11-19 10:00:00,1.00"
		echo "S2,1001,2026-11-20 10:00:00,2.00"
		echo "S3,1002,2026-11-19 11:00:00,3.00"
		echo "S4,1002,2026-11-20 11:00:00,4.00"
		echo "S5,1003,2026-11-19 12:00:00,5.00"
		echo "S6,1003,2026-11-20 12:00:00,6.00"
		for i in $(seq 10 70); do echo "T$i,,2026-11-20 13:00:00,1.00"; done
		echo "S6,1003,2026-11-20 12:00:00,7.00"
	} >day2.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',duplicate,$' <<<"$output")" = 3 ]
	[ "${lines[68]}" = "S6,1003,2026-11-20 12:00:00,7.00,7,credited,more lines of this receipt" ]
	[ "$(q "SELECT group_concat(txn_id || ':' || amount || ':' || points, ' ') FROM receipts WHERE txn_id LIKE 'S%'")" = "S1:100:1 S2:200:2 S3:300:3 S4:400:4 S5:500:5 S6:1300:13" ]
	before=$(books)
	# in parts again (S6's each a duplicate, counted once), then whole
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',duplicate,$' <<<"$output")" = 67 ]
	[ "${lines[68]}" = "S6,1003,2026-11-20 12:00:00,7.00,0,duplicate,more lines of this receipt" ]
	[ "$stderr" = "loy-accrue: day2.csv: 68 rows, 0 credited, 0 pending, 0 returned, 0 anonymous, 67 duplicate, 0 rejected; 0 receipts, 0 members, 0 points"$'\n'"$(idle loy-accrue)" ]
	run -0 --separate-stderr loy-accrue day2.csv
	[ "$(grep -c ',duplicate,$' <<<"$output")" = 67 ]
	[ "$(books)" = "$before" ]
	same "$(balances)" <<'EOF'
1001:3
1002:7
1003:18
EOF
	ledger_ok
}

# ---------------------------------------------------------------- members forgotten

@test "a run that forgets the members it holds (LOY_MEMBER_MEMORY) comes to the same books and counts" {
	base
	cp "$LOY_DB" small.db
	{
		echo "txn_id,member_id,card,occurred_at,amount,orig_txn"
		echo "S1,1001,,2026-11-20 09:00:00,50.00,"
		for i in $(seq 1 30); do echo "F$i,,,2026-11-20 10:00:00,1.00,"; done
		echo "S2,,6001002,2026-11-20 11:00:00,30.00,"
		echo "S3,1003,,2026-11-20 11:30:00,20.00,"
		for i in $(seq 1 8); do echo "N$i,200$i,,2026-11-20 11:40:00,1.00,"; done
		for i in $(seq 31 60); do echo "F$i,,,2026-11-20 12:00:00,1.00,"; done
		echo "S4,1001,,2026-11-20 13:00:00,25.00,"
		echo "R1,1001,,2026-11-20 14:00:00,-50.00,S1"
		echo "S5,2001,,2026-11-20 15:00:00,10.00,"
		for i in $(seq 61 90); do echo "F$i,,,2026-11-20 16:00:00,1.00,"; done
		echo "S6,2001,,2026-11-20 17:00:00,10.00,"
		echo "S7,,6001002,2026-11-20 18:00:00,4.00,"
	} >day1.csv
	printf 'txn_id,member_id,card,occurred_at,amount,orig_txn\nS8,1002,,2026-11-21 09:00:00,5.00,\nR2,1003,,2026-11-21 10:00:00,-30.00,S3\n' >day2.csv
	export LOY_RECEIPT_MEMORY=1024
	run -0 --separate-stderr loy-accrue --auto-enroll day1.csv day2.csv
	want_out=$output want_err=$stderr
	LOY_MEMBER_MEMORY=1024 run -0 --separate-stderr loy-accrue -d small.db --auto-enroll day1.csv day2.csv
	[ "$output" = "$want_out" ]
	[ "$stderr" = "$want_err" ]
	# each member counted once an input, though read again after being forgotten
	[[ "${stderr_lines[0]}" == *"; 106 receipts, 11 members, 107 points" ]]
	[[ "${stderr_lines[1]}" == *"; 2 receipts, 2 members, -15 points" ]]
	[ "$(balances | tr '\n' ' ')" = "1001:25 1002:39 1003:0 2001:21 2002:1 2003:1 2004:1 2005:1 2006:1 2007:1 2008:1 " ]
	[ "$(LOY_DB=small.db balances)" = "$(balances)" ]
	[ "$(LOY_DB=small.db books)" = "$(books)" ]
	ledger_ok
	ledger_ok small.db
}

@test "--auto-enroll: a phone the new member does not keep names them still after the members held are forgotten" {
	base
	cp "$LOY_DB" small.db
	{
		echo "txn_id,member_id,phone,email,occurred_at,amount"
		echo "P1,,not a phone,p1@example.org,2026-11-20 09:00:00,10.00"
		for i in 1 2 3 4 5 6 7 8; do echo "N$i,200$i,,,2026-11-20 10:00:00,1.00"; done
		echo "P2,,not a phone,,2026-11-20 11:00:00,5.00"
	} >day.csv
	export LOY_RECEIPT_MEMORY=1024
	run -0 --separate-stderr loy-accrue --auto-enroll day.csv
	want_out=$output want_err=$stderr
	# one member enrolled for the phone, with both receipts
	[ "${lines[1]}" = "P1,1,2026-11-20 09:00:00,10.00,10,credited,member 1 enrolled" ]
	[ "${lines[10]}" = "P2,1,2026-11-20 11:00:00,5.00,5,credited," ]
	LOY_MEMBER_MEMORY=1024 run -0 --separate-stderr loy-accrue -d small.db --auto-enroll day.csv
	[ "$output" = "$want_out" ]
	[ "$stderr" = "$want_err" ]
	[ "$(LOY_DB=small.db books)" = "$(books)" ]
	ledger_ok small.db
}

@test "--auto-enroll enrols no one by a phone or e-mail alone that the member would not keep" {
	base
	cat >day1.csv <<'EOF'
txn_id,member_id,card,phone,email,occurred_at,amount
P1,,,not a phone,,2026-11-20 09:00:00,10.00
P2,,,123,bad-email,2026-11-20 09:30:00,10.00
P3,,,not a phone,p3@example.org,2026-11-20 10:00:00,10.00
P4,,7000004,,,2026-11-20 10:30:00,10.00
EOF
	before=$(dump)
	run -65 --separate-stderr loy-accrue --auto-enroll day1.csv
	[ "${stderr_lines[0]}" = "loy-accrue: day1.csv:2: phone 'not a phone' does not match the programme's phone_pattern, and the receipt names its member by nothing else: --auto-enroll would enrol a member no later receipt could find" ]
	[ "${stderr_lines[1]}" = "loy-accrue: day1.csv:3: phone '123' and email 'bad-email' do not match the programme's phone_pattern and email_pattern, and the receipt names its member by nothing else: --auto-enroll would enrol a member no later receipt could find" ]
	[ "$(dump)" = "$before" ]
	# set aside, as every run would enrol another member for them; a
	# receipt that names the member by more is taken, the phone left off
	run -1 --separate-stderr loy-accrue --auto-enroll --rejects rej.csv day1.csv
	same "$output" <<'EOF'
txn_id,member_id,occurred_at,amount,points,status,detail
P1,,2026-11-20 09:00:00,10.00,0,rejected,"phone 'not a phone' does not match the programme's phone_pattern, and the receipt names its member by nothing else: --auto-enroll would enrol a member no later receipt could find"
P2,,2026-11-20 09:30:00,10.00,0,rejected,"phone '123' and email 'bad-email' do not match the programme's phone_pattern and email_pattern, and the receipt names its member by nothing else: --auto-enroll would enrol a member no later receipt could find"
P3,1,2026-11-20 10:00:00,10.00,10,credited,member 1 enrolled
P4,2,2026-11-20 10:30:00,10.00,10,credited,member 2 enrolled
EOF
	[ "$(q "SELECT count(*) FROM members WHERE phone IS NOT NULL AND member_id IN ('1', '2')")" = 0 ]
	# the next day the same phone alone is refused again, not a third member
	printf 'txn_id,phone,occurred_at,amount\nP5,not a phone,2026-11-21 09:00:00,10.00\n' >day2.csv
	run -65 --separate-stderr loy-accrue --auto-enroll day2.csv
	[ "$(q "SELECT count(*) FROM members")" = 5 ]
	ledger_ok
}

@test "LOY_MEMBER_MEMORY must be a number of bytes" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	LOY_MEMBER_MEMORY=1k run -64 --separate-stderr loy-accrue pos.csv
	[ "$stderr" = "loy-accrue: LOY_MEMBER_MEMORY '1k' is not a whole number of bytes from 1024 to 1099511627776" ]
	LOY_MEMBER_MEMORY=' 4096' run -64 --separate-stderr loy-accrue pos.csv
	[ "$stderr" = "loy-accrue: LOY_MEMBER_MEMORY ' 4096' is not a whole number of bytes from 1024 to 1099511627776" ]
	[ "$(q "SELECT count(*) FROM receipts")" = 0 ]
	# a usage error, as a bad LOY_NOW is, that --help does not meet
	LOY_MEMBER_MEMORY=1k run -0 --separate-stderr loy-accrue --help
	[[ "${lines[0]}" == "usage: loy-accrue "* ]]
}

# ---------------------------------------------------------------- originals awaited

@test "past LOY_AWAITED_ORIGINALS originals awaited, as past 65,536, every purchase is looked up: the same books as under the default" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-01 10:00:00,100.00\nT2,1002,2026-11-01 10:00:00,100.00\n' >t.csv
	loy-accrue t.csv >/dev/null 2>&1
	# three returns whose originals have not come: the ledger awaits S1, S2, S3
	cat >ret1.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R1,1001,2026-11-21 10:00:00,-10.00,S1
R2,1001,2026-11-21 11:00:00,-20.00,S2
R3,1002,2026-11-21 12:00:00,-5.00,S3
EOF
	loy-accrue ret1.csv >/dev/null 2>&1
	# a purchase, which reads what the ledger awaits; returns taken in the
	# run that await S4, S5 and S1 again; then the originals and one more
	printf 'txn_id,member_id,occurred_at,amount\nP0,1002,2026-11-19 09:00:00,3.00\n' >p0.csv
	cat >ret2.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
R4,1001,2026-11-22 10:00:00,-4.00,S4
R5,1002,2026-11-22 11:00:00,-50.00,S5
R6,1001,2026-11-22 12:00:00,-7.00,S1
EOF
	cat >sale.csv <<'EOF'
txn_id,member_id,occurred_at,amount
S1,1001,2026-11-20 10:00:00,30.00
S2,1001,2026-11-20 11:00:00,15.00
S3,1002,2026-11-20 12:00:00,5.00
S4,1001,2026-11-20 13:00:00,8.00
S5,1002,2026-11-20 14:00:00,40.00
S6,1001,2026-11-20 15:00:00,2.00
EOF
	mkdir two four
	cp "$LOY_DB" two/loyalty.db
	cp "$LOY_DB" four/loyalty.db
	run -0 --separate-stderr loy-accrue p0.csv ret2.csv sale.csv
	want_out=$output want_err=$stderr
	same "$(q "SELECT txn_id, returned_amount, returned_points FROM receipts WHERE txn_id LIKE 'S%' ORDER BY txn_id")" <<'EOF'
S1|1700|17
S2|1500|15
S3|500|5
S4|400|4
S5|4000|40
S6|0|0
EOF
	ledger_ok
	# 2: the three the ledger awaits are too many to hold; 4: the returns
	# taken in the run pass the limit
	for n in two:2 four:4; do
		LOY_DB=$PWD/${n%:*}/loyalty.db LOY_AWAITED_ORIGINALS=${n#*:} \
		    run -0 --separate-stderr loy-accrue p0.csv ret2.csv sale.csv
		[ "$output" = "$want_out" ]
		[ "$stderr" = "$want_err" ]
		[ "$(dump "${n%:*}/loyalty.db")" = "$(dump)" ]
		ledger_ok "${n%:*}/loyalty.db"
	done
}

@test "LOY_AWAITED_ORIGINALS must be a whole number from 1" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	for n in 0 -1 many 2k ' 12' '12 ' 99999999999999999999; do
		LOY_AWAITED_ORIGINALS=$n run -64 --separate-stderr loy-accrue pos.csv
		[ "$stderr" = "loy-accrue: LOY_AWAITED_ORIGINALS '$n' is not a whole number of originals from 1 to 1099511627776" ]
	done
	[ "$(q "SELECT count(*) FROM receipts")" = 0 ]
	LOY_AWAITED_ORIGINALS=1 run -0 --separate-stderr loy-accrue pos.csv
	ledger_ok
}

@test "one point not recovered is said in the singular, in a receipt and in its later lines" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-01 10:00:00,5.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,qty,amount\nR1,1001,2026-11-02 10:00:00,-1,-6.00\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	same "$output" <<EOF
$HEAD
R1,1001,2026-11-02 10:00:00,-6.00,-5,returned,1 point not recovered: the balance may not go below zero
EOF
	# a return settled early in two parts: the second part owes 2, 1001 has 1
	printf 'txn_id,member_id,occurred_at,amount\nT2,1002,2026-11-01 10:00:00,4.00\n' >sale2.csv
	loy-accrue sale2.csv >/dev/null 2>&1
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount'
		echo 'R2,1002,2026-11-02 10:00:00,A,-1,-3.00'
		for i in $(seq 1 40); do
			echo "Z$i,,2026-11-02 10:00:00,SKU-WITH-A-LONG-NAME-TO-FILL-MEMORY-$i,1,1.00"
		done
		echo 'R2,1002,2026-11-02 10:00:00,B,-1,-2.00'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^R2' <<<"$output")" <<'EOF'
R2,1002,2026-11-02 10:00:00,-3.00,-3,returned,
R2,1002,2026-11-02 10:00:00,-2.00,-1,returned,1 point not recovered: the balance may not go below zero
EOF
	ledger_ok
}

@test "a receipt settled early as a purchase whose later return lines outweigh it returns against its original" {
	base
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount,orig_txn'
		echo 'S1,1001,2026-11-01 10:00:00,A,1,99.99,'
		echo 'S2,1001,2026-11-01 11:00:00,A,1,3.00,'
		echo 'X1,1001,2026-11-02 10:00:00,B,1,10.00,S1'
		for i in $(seq 1 60); do
			echo "Z$i,,2026-11-02 10:00:00,SKU-WITH-A-LONG-NAME-TO-FILL-MEMORY-$i,1,1.00,"
		done
		echo 'X1,1001,2026-11-02 10:00:00,A,-1,-50.00,S1'
	} >exchange.csv
	# settled at once: X1 returns 40.00 of S1, floor(99 x 40.00 / 99.99) = 39
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue exchange.csv
	same "$(grep '^X1' <<<"$output")" <<'EOF'
X1,1001,2026-11-02 10:00:00,10.00,10,credited,
X1,1001,2026-11-02 10:00:00,-50.00,-49,returned,more lines of this receipt
EOF
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts
	    WHERE txn_id IN ('S1', 'X1') ORDER BY txn_id")" <<'EOF'
S1|9999|99|4000|39
X1|-4000|-39|-4000|0
EOF
	# so a later return of all of S1 takes back only what is left of it
	printf 'txn_id,member_id,occurred_at,qty,amount,orig_txn\nR9,1001,2026-11-03 10:00:00,-1,-99.99,S1\n' >r9.csv
	run -0 --separate-stderr loy-accrue r9.csv
	same "$output" <<EOF
$HEAD
R9,1001,2026-11-03 10:00:00,-99.99,-60,returned,"returns 99.99, but only 59.99 of 'S1' was left to return"
EOF
	[ "$(balances)" = "1001:3" ]
	ledger_ok
}

@test "--explain adds up for receipts settled in parts: one shrunk by later lines, one that became a return" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-11-01 10:00:00,100.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "T1,1001,2026-11-02 10:00:00,50.00,"
		echo "U1,1001,2026-11-02 10:00:00,10.00,"
		echo "X1,1001,2026-11-02 10:00:00,10.00,S1"
		for i in $(seq 1 60); do echo "F$i,,2026-11-02 11:00:00,1.00,"; done
		echo "T1,1001,2026-11-02 10:00:00,-10.00,"
		echo "U1,1001,2026-11-02 10:00:00,-30.00,"
		echo "X1,1001,2026-11-02 10:00:00,-50.00,S1"
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	run -0 --separate-stderr loy-accrue --explain receipt=U1
	same "$output" <<'EOF'
txn_id,occurred_at,member_id,entry_id,line,sku,amount,rule,version,points
U1,2026-11-02 10:00:00,1001,3,,,,[earn],,10
U1,2026-11-02 10:00:00,1001,6,,,,[return] of U1,,-30
EOF
	[ "$stderr" = "loy-accrue: receipt=U1: 2 rows, -20 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain receipt=X1
	[ "${lines[1]}" = "X1,2026-11-02 10:00:00,1001,4,,,,[earn],,10" ]
	[ "${lines[2]}" = "X1,2026-11-02 10:00:00,1001,7,,,,[return] of S1,,-50" ]
	run -0 --separate-stderr loy-accrue --explain receipt=T1
	[ "$stderr" = "loy-accrue: receipt=T1: 2 rows, 40 points, as the journal holds" ]
	[ "${lines[2]}" = "T1,2026-11-02 10:00:00,1001,2,2,,-10.00,[earn],1,-10" ]
	run -0 --separate-stderr loy-accrue --explain entry=5
	[ "$stderr" = "loy-accrue: entry=5: 1 row, -10 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain member=1001
	[ "$stderr" = "loy-accrue: member=1001: 7 rows, 80 points, as the journal holds" ]
	ledger_ok
}

@test "--explain refuses the options of an import it does not make, and --table with --tsv" {
	base
	for o in -n "--rejects r.csv" "--map txn_id=Bon" "--date-format %d.%m.%Y"; do
		run -64 --separate-stderr loy-accrue $o --explain member=1001
		[ "${stderr_lines[0]}" = "loy-accrue: --explain reads no input and writes nothing: it takes neither -n, --rejects, --map nor --date-format" ]
	done
	[ ! -e r.csv ]
	# its output is all there is: one of --table and --tsv
	run -64 --separate-stderr loy-accrue --table --tsv --explain member=1001
	[ "${stderr_lines[0]}" = "loy-accrue: --table and --tsv are one at a time" ]
	ledger_ok
}

@test "--adjust refuses --date-format: a manual credit has no date to read" {
	base
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,5,goodwill,CC-1\n' >adj.csv
	# the format was taken and nothing read with it, as if it applied
	run -64 --separate-stderr loy-accrue --adjust --date-format %d.%m.%Y adj.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: --adjust reads no dates: it takes no --date-format" ]
	[ "${stderr_lines[1]}" = "usage: loy-accrue [-nV] [-d ledger] [--busy-timeout seconds] [--auto-enroll]" ]
	[ "$(dump)" = "$before" ]
	# --opening reads its dates with it
	printf 'member_id,points,earned_at\n1001,80,02.11.2024\n' >open.csv
	run -0 --separate-stderr loy-accrue --opening --date-format %d.%m.%Y open.csv
	[ "$(q "SELECT earned_at FROM lots")" = "2024-11-02 00:00:00" ]
	ledger_ok
}

@test "--explain entry=N reads N as other whole numbers are read: +1 and 01 are 1, anything else says what is expected" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,5.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue --explain entry=1
	local want=$output
	for n in +1 01; do
		run -0 --separate-stderr loy-accrue --explain entry=$n
		[ "$output" = "$want" ]
		[ "$stderr" = "loy-accrue: entry=$n: 1 row, 5 points, as the journal holds" ]
	done
	for n in ' 1' '1 ' 1x 0 -1 99999999999999999999; do
		run -64 --separate-stderr loy-accrue --explain "entry=$n"
		[ "$output" = "" ]
		[ "$stderr" = "loy-accrue: --explain entry '$n' is not a whole number from 1 to 9223372036854775807" ]
	done
	run -66 --separate-stderr loy-accrue --explain entry=+99
	[ "$stderr" = "loy-accrue: entry 99 is not an entry of earning" ]
	ledger_ok
}

@test "--explain entry=N adds up for each entry of a receipt settled in parts, grown or shrunk by its later lines" {
	base
	{
		echo "txn_id,member_id,occurred_at,amount"
		echo "G1,1001,2026-11-02 10:00:00,10.00"
		echo "H1,1002,2026-11-02 10:00:00,20.00"
		for i in $(seq 1 60); do echo "F$i,,2026-11-02 11:00:00,1.00"; done
		echo "G1,1001,2026-11-02 10:00:00,5.00"
		echo "H1,1002,2026-11-02 10:00:00,-5.00"
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	[ "$(q "SELECT group_concat(entry_id || ':' || ref || ':' || kind || ':' || points, ' ') FROM journal")" = "1:G1:earn:10 2:H1:earn:20 3:G1:earn:5 4:H1:return:-5" ]
	# each entry its own row, as the journal holds it
	run -0 --separate-stderr loy-accrue --explain entry=1
	[ "${lines[1]}" = "G1,2026-11-02 10:00:00,1001,1,,,,[earn],,10" ]
	[ "$stderr" = "loy-accrue: entry=1: 1 row, 10 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain entry=3
	[ "$stderr" = "loy-accrue: entry=3: 1 row, 5 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain entry=2
	[ "$stderr" = "loy-accrue: entry=2: 1 row, 20 points, as the journal holds" ]
	run -0 --separate-stderr loy-accrue --explain entry=4
	[ "$stderr" = "loy-accrue: entry=4: 1 row, -5 points, as the journal holds" ]
	# the receipt as a whole by its lines
	run -0 --separate-stderr loy-accrue --explain receipt=G1
	[ "$stderr" = "loy-accrue: receipt=G1: 2 rows, 15 points, as the journal holds" ]
	# a receipt taken whole: its lines, asked for by its entry
	printf 'txn_id,member_id,occurred_at,amount\nK1,1003,2026-11-03 10:00:00,7.00\n' >one.csv
	loy-accrue one.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue --explain entry=5
	[ "${lines[1]}" = "K1,2026-11-03 10:00:00,1003,5,1,,7.00,[earn],1,7" ]
	ledger_ok
}

@test "a return settled in parts whose original comes between them as another member's is refused, every line of it with --rejects, not the run without a word" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nS0,1001,2026-11-01 10:00:00,50.00\n' >sale.csv
	loy-accrue sale.csv >/dev/null 2>&1
	{
		echo "txn_id,member_id,occurred_at,amount,orig_txn"
		echo "R1,1001,2026-11-20 10:00:00,-10.00,S1"
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "S1,1002,2026-11-19 10:00:00,20.00,"
		for i in $(seq 61 120); do echo "F$i,,2026-11-20 11:00:00,1.00,"; done
		echo "R1,1001,2026-11-20 10:00:00,-5.00,S1"
	} >later.csv
	before=$(dump)
	LOY_RECEIPT_MEMORY=1024 run -65 --separate-stderr loy-accrue later.csv
	[ "${stderr_lines[0]}" = "loy-accrue: later.csv:124: receipt 'R1' returns 'S1', a receipt of another member" ]
	[ "$(dump)" = "$before" ]
	# set aside, all of it is, as the receipt settled at once would be
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej.csv later.csv
	same "$(grep '^R1' rej.csv)" <<'EOF'
R1,1001,2026-11-20 10:00:00,-10.00,S1,2,"receipt 'R1' returns 'S1', a receipt of another member"
R1,1001,2026-11-20 10:00:00,-5.00,S1,124,"receipt 'R1' is refused: receipt 'R1' returns 'S1', a receipt of another member (line 2)"
EOF
	[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'R1'")" = 0 ]
	[ "$(balances)" = "1001:50
1002:20" ]
	ledger_ok
}

@test "a line of a receipt settled in parts set aside sets aside every line of it, so that the corrected rejects make the receipt the whole file makes" {
	base
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount'
		echo 'T1,1001,2026-11-20 10:00:00,A,1,10.00'
		echo 'T2,1002,2026-11-20 10:00:00,A,1,20.00'
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,Z,1,1.00"; done
		echo 'T1,1001,2026-11-20 10:05:00,B,1,1O.50'
		echo 'T2,1002,2026-11-20 10:05:00,B,1,5.00'
		for i in $(seq 61 120); do echo "F$i,,2026-11-20 11:00:00,Z,1,1.00"; done
		echo 'T1,1001,2026-11-20 10:10:00,C,1,2.00'
	} >day.csv
	# the file as it should have been, taken whole into a copy
	cp "$LOY_DB" whole.db
	cp "$LOY_DB" fresh.db
	sed 's/1O\.50/10.50/' day.csv >right.csv
	run -0 --separate-stderr loy-accrue -d whole.db right.csv
	# settled in parts: T1's line 64 is set aside, and so are its lines
	# before and after it; T2 is taken
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	same "$stderr" <<'EOF'
loy-accrue: day.csv:2: receipt 'T1' is refused: amount '1O.50' is not a decimal number (line 64)
loy-accrue: day.csv:64: amount '1O.50' is not a decimal number
loy-accrue: day.csv:126: receipt 'T1' is refused: amount '1O.50' is not a decimal number (line 64)
loy-accrue: day.csv: 125 rows, 1 credited, 0 pending, 0 returned, 120 anonymous, 0 duplicate, 3 rejected; 121 receipts, 1 member, 25 points
EOF
	[ "$(grep -c '^T1,' rej.csv)" = 3 ]
	[ "$(q "SELECT count(*) FROM receipts WHERE txn_id = 'T1'")" = 0 ]
	[ "$(balances)" = "1002:25" ]
	ledger_ok
	# so from standard input too, a pipe read again from a copy
	run -1 --separate-stderr sh -c 'cat day.csv | LOY_RECEIPT_MEMORY=1024 loy-accrue -d fresh.db --rejects rej2.csv'
	[ "${stderr_lines[0]}" = "loy-accrue: stdin:2: receipt 'T1' is refused: amount '1O.50' is not a decimal number (line 64)" ]
	cmp rej.csv rej2.csv
	[ "$(sqlite3 fresh.db "SELECT group_concat(txn_id) FROM receipts WHERE txn_id GLOB 'T*'")" = T2 ]
	# the rejects corrected and taken: T1 as the whole file made it
	sed 's/1O\.50/10.50/' rej.csv >fixed.csv
	run -0 --separate-stderr loy-accrue fixed.csv
	[ "${lines[1]}" = "T1,1001,2026-11-20 10:00:00,22.50,22,credited," ]
	local r="SELECT txn_id, member_id, occurred_at, amount, lines, points, status, hex(digest), earn FROM receipts ORDER BY 1"
	# (T2, settled in parts, has an entry and a lot for each part)
	local j="SELECT member_id, kind, ref, sum(points) FROM journal GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	local o="SELECT l.member_id, j.ref, l.earned_at, l.expires_at, sum(l.points), sum(l.remaining)
	    FROM lots l JOIN journal j USING (entry_id) GROUP BY 1, 2 ORDER BY 1, 2"
	same "$(q "$r")" <<<"$(sqlite3 whole.db "$r")"
	same "$(q "$j")" <<<"$(sqlite3 whole.db "$j")"
	same "$(q "$o")" <<<"$(sqlite3 whole.db "$o")"
	[ "$(balances)" = "$(LOY_DB=whole.db balances)" ]
	ledger_ok
}

@test "a run that sets aside a receipt settled in parts reads a pipe or a FIFO named as its input again, from a copy" {
	base
	{
		echo 'txn_id,member_id,occurred_at,sku,qty,amount'
		echo 'T1,1001,2026-11-20 10:00:00,A,1,10.00'
		echo 'T2,1002,2026-11-20 10:00:00,A,1,20.00'
		for i in $(seq 1 60); do echo "F$i,,2026-11-20 11:00:00,Z,1,1.00"; done
		echo 'T1,1001,2026-11-20 10:05:00,B,1,1O.50'
		echo 'T2,1002,2026-11-20 10:05:00,B,1,5.00'
	} >day.csv
	cp "$LOY_DB" fifo.db
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	cp "$LOY_DB" file.db
	cp fifo.db "$LOY_DB"
	# as zcat day.csv.gz would give it, the run read twice
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr loy-accrue --rejects rej2.csv <(cat day.csv)
	[ "${stderr_lines[0]}" = "loy-accrue: /dev/fd/63:2: receipt 'T1' is refused: amount '1O.50' is not a decimal number (line 64)" ]
	cmp rej.csv rej2.csv
	[ "$(balances)" = "$(LOY_DB=file.db balances)" ]
	[ "$(q "SELECT name FROM run_inputs ORDER BY run_id DESC LIMIT 1")" = /dev/fd/63 ]
	ledger_ok
	# a FIFO is opened once, not waited on for a writer a second time
	mkfifo pos.fifo
	cat day.csv >pos.fifo &
	LOY_RECEIPT_MEMORY=1024 run -1 --separate-stderr timeout 30 loy-accrue -d fifo.db --rejects rej3.csv pos.fifo
	[ "${stderr_lines[0]}" = "loy-accrue: pos.fifo:2: receipt 'T1' is refused: amount '1O.50' is not a decimal number (line 64)" ]
	cmp rej.csv rej3.csv
	[ "$(LOY_DB=fifo.db balances)" = "$(LOY_DB=file.db balances)" ]
	ledger_ok fifo.db
	# named twice, it is refused as a file named twice is, before it is read
	cat day.csv >pos.fifo &
	run -64 --separate-stderr timeout 30 loy-accrue -d fifo.db --rejects rej4.csv pos.fifo pos.fifo
	[ "${stderr_lines[0]}" = "loy-accrue: 'pos.fifo' is given twice" ]
	cat pos.fifo >/dev/null
}

@test "a return settled in parts whose first part took back nothing at a balance of zero keeps the entry its later lines took back" {
	base
	{
		echo 'txn_id,member_id,occurred_at,amount,orig_txn'
		echo 'R1,1001,2026-11-18 10:03:00,-13.50,S9'
		echo 'S2,1001,2026-11-18 18:26:00,75.55,'
		for i in $(seq 1 60); do echo "F$i,,2026-11-18 11:00:00,1.00,"; done
		echo 'R1,1001,2026-11-18 10:03:00,8.95,S9'
	} >parts.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue parts.csv
	same "$(grep '^R1' <<<"$output")" <<'EOF'
R1,1001,2026-11-18 10:03:00,-13.50,0,returned,13 points not recovered: the balance may not go below zero
R1,1001,2026-11-18 10:03:00,8.95,-4,returned,original receipt 'S9' not known: at the current rate
EOF
	[ "$(q "SELECT r.points || '|' || j.kind || '|' || j.points FROM receipts r JOIN journal j USING (entry_id) WHERE r.txn_id = 'R1'")" = "-4|return|-4" ]
	[ "$(balances)" = "1001:71" ]
	ledger_ok
}

@test "a member_id or card with a line break, a tab or another control character is a bad row: receipts, --auto-enroll, --adjust, --opening, --events" {
	base
	before=$(dump)
	printf 'txn_id,member_id,card,occurred_at,amount\nT1,"10\n01",,2026-11-01 10:00:00,5.00\nT1,"10\n01",,2026-11-01 10:00:00,5.00\nT2,,"60\t01001",2026-11-01 10:00:00,5.00\nT3,1001,,2026-11-01 10:00:00,5.00\n' >day.csv
	for o in "" --auto-enroll; do
		run -65 --separate-stderr loy-accrue $o day.csv
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: member_id '10\n01' has a control character" ]
		[ "${stderr_lines[1]}" = "loy-accrue: day.csv:4: receipt 'T1' is refused: member_id '10\n01' has a control character (line 2)" ]
		[ "${stderr_lines[2]}" = "loy-accrue: day.csv:6: card '60\t01001' has a control character" ]
	done
	printf 'member_id,points,reason,ref\n"10\03301",5,goodwill,G1\n' >adj.csv
	run -65 --separate-stderr loy-accrue --adjust adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj.csv:2: member_id '10\x1b01' has a control character" ]
	printf 'member_id,points,earned_at\n"10\17701",5,2026-01-01\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:2: member_id '10\x7f01' has a control character" ]
	printf 'event_id,member_id,event,occurred_at\nE1,"10\r01",survey,2026-11-01\n' >ev.csv
	run -65 --separate-stderr loy-accrue --events ev.csv
	[ "${stderr_lines[0]}" = "loy-accrue: ev.csv:2: member_id '10\r01' has a control character" ]
	[ "$(dump)" = "$before" ]
	# set aside, the rest lands
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = T3 ]
	ledger_ok
}

@test "a store, channel, sku or category with a line break, a tab or another control character is a bad line, a description with an escape too; --adjust's ref and reason alike" {
	base
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount,store,channel,sku,category,description\nT1,1001,2026-11-01 10:00:00,5.00,"S\0331",pos,K1,food,\nT2,1001,2026-11-01 10:00:00,5.00,S1,"p\tos",K1,food,\nT3,1001,2026-11-01 10:00:00,5.00,S1,pos,"K\n1",food,\nT4,1001,2026-11-01 10:00:00,5.00,S1,pos,K1,"fo\177od",\nT5,1001,2026-11-01 10:00:00,5.00,S1,pos,K1,food,"tea\033[2J"\nT6,1001,2026-11-01 10:00:00,5.00,S1,pos,K1,food,"tea,\nlarge\tcup"\n' >day.csv
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: store 'S\x1b1' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-accrue: day.csv:3: channel 'p\tos' has a control character" ]
	[ "${stderr_lines[2]}" = "loy-accrue: day.csv:4: sku 'K\n1' has a control character" ]
	[ "${stderr_lines[3]}" = "loy-accrue: day.csv:6: category 'fo\x7fod' has a control character" ]
	[ "${stderr_lines[4]}" = "loy-accrue: day.csv:7: description 'tea\x1b[2J' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = T6 ]
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,5,"good\033will",G1\n1001,5,goodwill,"G\t2"\n1001,5,"goodwill:\nlate parcel",G3\n' >adj.csv
	run -65 --separate-stderr loy-accrue --adjust adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj.csv:2: reason 'good\x1bwill' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-accrue: adj.csv:3: ref 'G\t2' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv --adjust adj.csv
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'adjust'")" = 1 ]
	ledger_ok
}

@test "a txn_id, orig_txn or event_id with a line break, a tab or another control character is a bad line" {
	base
	printf '[event survey]\npoints = 7\n' >p.conf
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	before=$(dump)
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\n"T\0331",1001,2026-11-01 10:00:00,5.00,\n"T\0331",1001,2026-11-01 10:00:00,2.00,\nT2,1001,2026-11-01 10:00:00,-1.00,"S\t9"\nT3,1001,2026-11-01 10:00:00,3.00,\n' >day.csv
	run -65 --separate-stderr loy-accrue day.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-accrue: day.csv:2: txn_id 'T\x1b1' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-accrue: day.csv:3: txn_id 'T\x1b1' has a control character" ]
	[ "${stderr_lines[2]}" = "loy-accrue: day.csv:4: orig_txn 'S\t9' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-accrue --rejects rej.csv day.csv
	[ "$(q "SELECT group_concat(txn_id) FROM receipts")" = T3 ]
	before=$(dump)
	printf 'event_id,member_id,event,occurred_at\n"E\n1",1001,survey,2026-11-20 10:00:00\n' >ev.csv
	run -65 --separate-stderr loy-accrue --events ev.csv
	[ "${stderr_lines[0]}" = "loy-accrue: ev.csv:2: event_id 'E\n1' has a control character" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--adjust and --events with --rejects print a row for each good row and none for a bad one, which is in the rejects file" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[event survey]\npoints = 7\n' >p.conf
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n9999,5,x,Q1\n1001,5,x,Q2\n' >adj.csv
	run -1 --separate-stderr loy-accrue --adjust --rejects adj-rej.csv adj.csv
	same "$output" <<OUT
ref,member_id,points,status,detail
Q2,1001,5,credited,
OUT
	[ "$(tail -n +2 adj-rej.csv | cut -d, -f4)" = Q1 ]
	printf 'event_id,member_id,event,occurred_at\nX1,9999,survey,2026-11-20\nX2,1001,survey,2026-11-20\n' >ev.csv
	run -1 --separate-stderr loy-accrue --events --rejects ev-rej.csv ev.csv
	[ "${#lines[@]}" = 2 ]
	[ "${lines[1]%%,*}" = X2 ]
	[ "$(tail -n +2 ev-rej.csv | cut -d, -f1)" = X1 ]
	ledger_ok
}

@test "--adjust, --opening and --events read a member_id written as 17850.0 as 17850, as POS lines do" {
	new_ledger
	printf 'member_id,name\n17850,Anna\n17851,Ben\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n17850.0,50,goodwill,CS-1\n' >adj.csv
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	[ "${lines[1]}" = "CS-1,17850,50,credited," ]
	printf 'member_id,points,earned_at,expires_at\n17851.00,30,2026-01-15,\n' >open.csv
	run -0 --separate-stderr loy-accrue --opening open.csv
	[ "${lines[1]}" = "17851,30,2026-01-15 00:00:00,2028-01-15 00:00:00,credited," ]
	printf '[event survey]\npoints = 7\n' >p.conf
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	printf 'event_id,member_id,event,occurred_at\nE1,17851.0,survey,2026-11-20 10:00:00\n' >ev.csv
	run -0 --separate-stderr loy-accrue --events ev.csv
	[ "${lines[1]}" = "E1,17851,survey,2026-11-20 10:00:00,7,credited," ]
	same "$(q "SELECT member_id, points FROM balances ORDER BY member_id")" <<'EOF'
17850|50
17851|37
EOF
	ledger_ok
}

@test "with --rejects a refused receipt is one output row: conflict when taken before with other content, rejected otherwise, with the reason" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,10.00\n' >a.csv
	loy-accrue a.csv >/dev/null 2>&1
	cat >b.csv <<'EOF'
txn_id,card,member_id,occurred_at,amount
T1,,1001,2026-11-20 10:00:00,12.00
T2,,9999,2026-11-20 10:00:00,5.00
T3,,1002,2026-11-20 10:00:00,5.00
T5,7777,,2026-11-20 10:00:00,5.00
T6,,1002,2026-11-20 10:00:00,0.5x
T6,,1002,2026-11-20 10:00:00,2.00
EOF
	run -1 --separate-stderr loy-accrue --rejects rej.csv b.csv
	same "$output" <<EOF
$HEAD
T1,1001,2026-11-20 10:00:00,12.00,0,conflict,receipt 'T1' was taken before (run 3) with other content
T2,9999,2026-11-20 10:00:00,5.00,0,rejected,unknown member_id '9999'
T3,1002,2026-11-20 10:00:00,5.00,5,credited,
T5,,2026-11-20 10:00:00,5.00,0,rejected,unknown card '7777'
T6,1002,2026-11-20 10:00:00,,0,rejected,amount '0.5x' is not a decimal number
EOF
	# the output agrees with the ledger: T3 alone is taken, T1 as it was
	[ "$(q "SELECT group_concat(txn_id || ':' || amount, ' ') FROM (SELECT * FROM receipts ORDER BY txn_id)")" = "T1:1000 T3:500" ]
	[ "$(csvq rej.csv "SELECT count(*) FROM t")" = 5 ]
	ledger_ok
}

@test "a run that waited for another writer earns under the programme version that writer loaded, not the one in force when it started" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-program show | tail -n +2 | sed 's/^points = 1$/points = 5/' >five.conf
	printf '\n[event survey]\npoints = 7\n' >>five.conf
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,10.00\n' >pos.csv
	printf 'event_id,member_id,event,occurred_at\nE1,A,survey,2026-11-20 10:00:00\n' >ev.csv
	commit_version_while five.conf "2026-11-01 00:00:00"
	while_locked commit_version loy-accrue --busy-timeout 10 pos.csv
	[ "$status" = 0 ]
	[ "$(sed -n 2p out.csv)" = "T1,A,2026-11-20 10:00:00,10.00,50,credited," ]
	# events alike: the version's [event survey], which the one before had not
	sed 's/^points = 7$/points = 9/' five.conf >nine.conf
	commit_version_while nine.conf "2026-11-02 00:00:00"
	while_locked commit_version loy-accrue --events --busy-timeout 10 ev.csv
	[ "$status" = 0 ]
	[ "$(sed -n 2p out.csv)" = "E1,A,survey,2026-11-20 10:00:00,9,credited," ]
	ledger_ok
}

@test "a run taken again after another writer loaded a version in between gives the sign-up bonus of that version, as it earns under it" {
	need_strace
	new_ledger
	printf 'member_id\nA\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-program show | tail -n +2 | sed 's/^points = 1$/points = 5/' >welcome.conf
	printf '\n[rule welcome]\ntrigger = signup\nbonus = 100\n' >>welcome.conf
	# B1 settled early (LOY_RECEIPT_MEMORY) and refused by its last line:
	# the run is taken again, N enrolled in both
	{
		echo 'txn_id,member_id,occurred_at,amount'
		echo 'B1,A,2026-11-20 10:00:00,1.00'
		for i in $(seq 60); do echo "X$i,,2026-11-20 10:00:00,1.00"; done
		echo 'N1,N,2026-11-20 11:00:00,2.00'
		echo 'B1,A,2026-11-20 10:00:00,abc'
	} >pos.csv
	# the run held two seconds once it holds the ledger (its second opening
	# of pos.csv) and again as it is taken again (its third, before it
	# takes the ledger): another writer that waited for the first run
	# loads the version before the second run begins
	LOY_RECEIPT_MEMORY=1024 strace -f -o /dev/null -P pos.csv -e trace=openat \
	    -e inject=openat:delay_enter=2000000:when=2..3 \
	    loy-accrue --auto-enroll --rejects rej.csv pos.csv >out.csv 2>err.txt &
	pid=$!
	# the ledger taken, and still a moment later: the first run holds it
	while kill -0 "$pid" 2>/dev/null; do
		! sqlite3 "$LOY_DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null && sleep 0.2 &&
		    ! sqlite3 "$LOY_DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null && break
	done
	sqlite3 -cmd ".timeout 20000" "$LOY_DB" "INSERT INTO programmes (effective_from,
	    loaded_at, run_id, source, sha256, text) VALUES ('2026-11-01 00:00:00',
	    '2026-11-01 00:00:00', 1, 'welcome.conf', '$(sha256sum <welcome.conf | cut -d' ' -f1)',
	    readfile('welcome.conf'))" &
	loader=$!
	status=0
	wait "$pid" || status=$?
	wait "$loader"
	[ "$status" = 1 ]
	[ "$(q "SELECT count(*) FROM programmes")" = 2 ]
	# N's receipt earns under the version (5 points a unit: it was in the
	# ledger when the run that committed began), its sign-up bonus too
	grep -q '^N1,N,2026-11-20 11:00:00,2.00,10,credited,member N enrolled' out.csv
	[ "$(q "SELECT points FROM balances WHERE member_id = 'N'")" = 110 ]
	ledger_ok
}

@test "a field mapped with --map is read from its column alone, not from a column of its own name" {
	base
	printf 'txn_id,member_id,occurred_at,amount,Betrag\nT1,1001,2026-11-20 09:00:00,7.00,5.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue --map amount=Betrag pos.csv
	[ "${lines[1]}" = "T1,1001,2026-11-20 09:00:00,5.00,5,credited," ]
	ledger_ok
}

@test "a night without bad rows leaves the rejects file empty, the night before's rows gone" {
	base
	printf 'member_id,points,reason,ref\n1001,x,goodwill,CC-1\n' >mon.csv
	run -1 --separate-stderr loy-accrue --adjust --rejects rej.csv mon.csv
	[ -s rej.csv ]
	printf 'member_id,points,reason,ref\n1001,5,goodwill,CC-2\n' >tue.csv
	run -0 --separate-stderr loy-accrue --adjust --rejects rej.csv tue.csv
	[ -e rej.csv ]
	[ ! -s rej.csv ]
	# a run that fails commits nothing and leaves the file as it was
	echo 'the night before' >rej.csv
	run -65 --separate-stderr loy-accrue --adjust --rejects rej.csv /dev/null
	[ "$(cat rej.csv)" = "the night before" ]
	ledger_ok
}

# The programme's money changed to whole units while --explain runs.
to_whole_units() {
	q "UPDATE settings SET value = '0' WHERE key = 'decimals'"
}

@test "--explain prints its money by the settings of the moment it reads the journal, also when they change after it opened the ledger" {
	need_faults
	base
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,10.00\n' >p.csv
	loy-accrue p.csv >/dev/null 2>&1
	run -0 loy-accrue --explain receipt=T1
	[ "${lines[1]}" = "T1,2026-11-20 10:00:00,1001,1,1,,10.00,[earn],1,10" ]
	while_opened to_whole_units loy-accrue --explain receipt=T1
	[ "$status" -eq 0 ]
	[ "$(cat err.txt)" = "loy-accrue: receipt=T1: 1 row, 10 points, as the journal holds" ]
	[ "$(sed -n 2p out.csv)" = "T1,2026-11-20 10:00:00,1001,1,1,,1000,[earn],1,10" ]
	run -0 --separate-stderr loy-accrue --explain receipt=T1
	[ "$(cat out.csv)" = "$output" ]
	ledger_ok
}

@test "--adjust and --opening that waited for another writer past midnight stamp the time they wrote at, and take earned_at up to it" {
	need_faults
	new_ledger
	printf 'member_id,name\n1001,Anna\n1002,Chidi\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n1001,50,goodwill,CS-1\n' >adj.csv
	LOY_NOW="2026-11-23 23:59:50" waited_till "2026-11-24 00:00:10" loy-accrue --busy-timeout 10 --adjust adj.csv
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT occurred_at FROM journal WHERE ref = 'CS-1'")" = "2026-11-24 00:00:10" ]
	# an earned_at after the time the run began, not after the time it writes at
	printf 'member_id,points,earned_at\n1002,30,2026-11-24 00:00:05\n' >open.csv
	LOY_NOW="2026-11-23 23:59:50" waited_till "2026-11-24 00:00:10" loy-accrue --busy-timeout 10 --opening open.csv
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT points || '|' || occurred_at FROM journal WHERE member_id = '1002'")" = "30|2026-11-24 00:00:05" ]
	ledger_ok
}
