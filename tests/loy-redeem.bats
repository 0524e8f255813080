#!/usr/bin/env bats
# loy-redeem: the catalogue, redemptions and every refusal, vouchers,
# retried requests, cancelling.

load helper

HEAD="request_id,status,reason,points,voucher"

# Members 1001 (Pearl) and 1002 (Diamond); 1001 earns 100 points on two
# receipts (60 expiring 2028-10-01, 40 expiring 2028-11-01), 1002 earns 30.
base() {
	new_ledger "$@"
	printf 'member_id,name\n1001,Anna\n1002,Chidi\n1003,Fang\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "UPDATE members SET tier = 'Diamond' WHERE member_id = '1002'"
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-10-01 10:00:00,60.00\nB,1001,2026-11-01 10:00:00,40.00\nC,1002,2026-11-02 10:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	cat >rewards.csv <<'CSV'
reward_id,name,points,cash_price,stock,partner,partner_cost,tiers,valid_from,valid_to,per_member_limit
COFFEE,Coffee,20,,,,,,,,
CINEMA,"Cinema ticket, any film",50,,1,Kino,6.50,,2026-01-01,2026-12-31,2
LOUNGE,Lounge pass,25,10.00,5,Sky,25.00,"Ruby,Diamond",,,1
CSV
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
}

@test "the catalogue loads, lists as loaded, and a second load changes nothing" {
	base
	run -0 --separate-stderr loy-redeem rewards
	same "$output" <<'OUT'
reward_id,name,points,cash_price,stock,partner,partner_cost,tiers,valid_from,valid_to,per_member_limit
CINEMA,"Cinema ticket, any film",50,,1,Kino,6.50,,2026-01-01,2026-12-31,2
COFFEE,Coffee,20,,,,,,,,
LOUNGE,Lounge pass,25,10.00,5,Sky,25.00,"Ruby,Diamond",,,1
OUT
	run -0 --separate-stderr loy-redeem --catalogue rewards.csv
	[ "$output" = "reward_id,status
COFFEE,unchanged
CINEMA,unchanged
LOUNGE,unchanged" ]
	ledger_ok
}

@test "a bad catalogue row is refused with its reason and nothing is stored" {
	base
	before=$(dump)
	printf 'reward_id,name,points,stock,valid_from,valid_to\nX,Thing,0,,,\nY,Thing,10,-1,,\nZ,Thing,10,,2026-05-01,2026-04-01\n' >bad.csv
	run -65 --separate-stderr loy-redeem --catalogue bad.csv
	same "$stderr" <<'OUT'
loy-redeem: bad.csv:2: points '0' is not a whole number above zero
loy-redeem: bad.csv:3: stock '-1' is not a whole number (empty: unlimited)
loy-redeem: bad.csv:4: valid_to '2026-04-01' is before valid_from
loy-redeem: bad.csv: 3 rows, 0 created, 0 updated, 0 unchanged, 3 rejected
loy-redeem: 3 bad rows; nothing committed (--rejects FILE sets bad rows aside and commits the rest)
OUT
	[ "$(dump)" = "$before" ]
}

@test "a redemption spends the soonest-expiring lots first and gives a voucher" {
	base
	printf 'request_id,member_id,reward_id,qty,requested_at\nR1,1001,COFFEE,4,2026-11-23 09:00:00\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	# 4 x 20 = 80 points: all 60 of lot A, then 20 of lot B
	[[ "${lines[1]}" =~ ^R1,redeemed,,80,LOY-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$ ]]
	[ "$(q "SELECT points || '/' || remaining FROM lots WHERE member_id = '1001' ORDER BY lot_id")" = "60/0
40/20" ]
	[ "$(balances | head -1)" = "1001:20" ]
	[ "$(q "SELECT kind, points, ref FROM journal WHERE kind = 'redeem'")" = "redeem|-80|R1" ]
	ledger_ok
}

@test "each refusal has its reason, spends nothing, and is remembered" {
	base
	loy-enroll close 1003 >/dev/null 2>&1
	cat >req.csv <<'CSV'
request_id,member_id,reward_id,qty,requested_at
R1,9999,COFFEE,1,2026-11-23 09:00:00
R2,1003,COFFEE,1,2026-11-23 09:00:00
R3,1001,NOPE,1,2026-11-23 09:00:00
R4,1001,LOUNGE,1,2026-11-23 09:00:00
R5,1001,CINEMA,1,2025-12-31 09:00:00
R6,1002,COFFEE,2,2026-11-23 09:00:00
R7,1001,COFFEE,0,2026-11-23 09:00:00
R8,1001,CINEMA,1,2026-11-23 09:00:00
R9,1002,CINEMA,1,2026-11-23 09:00:00
CSV
	run -0 --separate-stderr loy-redeem req.csv
	same "$output" <<OUT
$HEAD
R1,refused,unknown member '9999',0,
R2,refused,membership '1003' is closed,0,
R3,refused,unknown reward 'NOPE',0,
R4,refused,"reward 'LOUNGE' is for tiers Ruby,Diamond, not Pearl",0,
R5,refused,reward 'CINEMA' is offered from 2026-01-01 to 2026-12-31,0,
R6,refused,"40 points needed, 30 spendable",0,
R7,refused,qty must be 1 or more,0,
R8,redeemed,,50,$(q "SELECT voucher FROM redemptions WHERE request_id = 'R8'")
R9,refused,out of stock: 0 left,0,
OUT
	[ "$(balances)" = "1001:50
1002:30" ]
	[ "$(q "SELECT stock FROM rewards WHERE reward_id = 'CINEMA'")" = 0 ]
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'refused'")" = 8 ]
	ledger_ok
}

@test "a per-member limit counts earlier redemptions" {
	base
	printf 'request_id,member_id,reward_id,qty\nL1,1002,LOUNGE,1\nL2,1002,LOUNGE,1\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]%%,LOY-*}" = "L1,redeemed,,25" ]
	[ "${lines[2]}" = "L2,refused,limit of 1 a member: 1 redeemed already,0," ]
	ledger_ok
}

@test "a retried request gets its first answer and spends nothing twice" {
	base
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,1\nR2,1001,LOUNGE,1\n' >req.csv
	loy-redeem req.csv >first.csv 2>/dev/null
	before=$(dump | grep -v -e '^INSERT INTO runs ' -e '^INSERT INTO run_inputs ')
	run -0 --separate-stderr loy-redeem req.csv
	[ "$output" = "$(cat first.csv)" ]
	[ "$stderr" = "loy-redeem: req.csv: 2 rows, 0 redeemed, 0 refused, 2 duplicate, 0 rejected" ]
	[ "$(dump | grep -v -e '^INSERT INTO runs ' -e '^INSERT INTO run_inputs ')" = "$before" ]
	# the same request_id for another request is refused, and not stored
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,2\n' >other.csv
	run -0 --separate-stderr loy-redeem other.csv
	[ "${lines[1]}" = "R1,refused,request_id was used before for another request,0," ]
	[ "$(q "SELECT qty FROM redemptions WHERE request_id = 'R1'")" = 1 ]
	ledger_ok
}

@test "pending points cannot be spent" {
	base --set return_window_days=30
	# 1002's 30 points (2026-11-02) are pending until 2026-12-02
	printf 'request_id,member_id,reward_id\nP1,1002,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "P1,refused,\"20 points needed, 0 spendable\",0," ]
	ledger_ok
}

@test "cancelling gives the points back with their dates and returns the stock" {
	base
	printf 'request_id,member_id,reward_id,qty\nR1,1001,CINEMA,1\nR2,1001,COFFEE,1\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel R1
	[ "$output" = "request_id,status,points
R1,cancelled,50" ]
	# R1 took 50 of lot A (expiring 2028-10-01); it comes back as a lot with that date
	[ "$(q "SELECT points, remaining, expires_at FROM lots WHERE entry_id = (SELECT cancel_entry FROM redemptions WHERE request_id = 'R1')")" = "50|50|2028-10-01 10:00:00" ]
	[ "$(q "SELECT stock FROM rewards WHERE reward_id = 'CINEMA'")" = 1 ]
	[ "$(balances | head -1)" = "1001:80" ]
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,unchanged,0" ]
	[ "$(balances | head -1)" = "1001:80" ]
	ledger_ok
}

@test "cancelling what cannot be cancelled is refused and nothing changes" {
	base
	printf 'request_id,member_id,reward_id\nR1,1001,NOPE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	before=$(dump)
	run -65 --separate-stderr loy-redeem cancel R1
	[ "$stderr" = "loy-redeem: redemption 'R1' was refused: nothing to cancel" ]
	run -65 --separate-stderr loy-redeem cancel R9
	[ "$stderr" = "loy-redeem: no redemption 'R9'" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a voucher whose reward has ended cannot be cancelled" {
	base
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,CINEMA,2026-11-23 09:00:00\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	before=$(dump)
	LOY_NOW="2027-01-05 10:00:00" run -65 --separate-stderr loy-redeem cancel R1
	[ "$stderr" = "loy-redeem: redemption 'R1': its voucher expired on 2026-12-31" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a request file that is not well formed is refused as a whole" {
	base
	before=$(dump)
	printf 'member_id,reward_id\n1001,COFFEE\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv: no column 'request_id'" ]
	printf 'request_id,member_id,reward_id,qty,requested_at\nR1,1001,COFFEE,two,\nR2,1001,COFFEE,1,yesterday\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: qty 'two' is not a whole number" ]
	[ "${stderr_lines[1]}" = "loy-redeem: req.csv:3: requested_at 'yesterday' is not an ISO 8601 datetime" ]
	[ "$(dump)" = "$before" ]
}

@test "a request from the future is refused as bad input" {
	base
	before=$(dump)
	printf 'request_id,member_id,reward_id,requested_at\nF1,1001,COFFEE,2030-01-01 10:00:00\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: requested_at '2030-01-01 10:00:00' is in the future" ]
	[ "$(dump)" = "$before" ]
}

@test "cancelling after a merge credits the member the id now stands for" {
	base
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-enroll merge 1001 1003 >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel R1
	[ "$(balances)" = "1001:0
1002:30
1003:100" ]
	ledger_ok
}

@test "cancelling for a member who owes points repays the debt first" {
	base --set allow_negative=yes
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n1002,-25,correction,X1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	# 30 - 20 - 25 = -15; the cancel brings 20 back: 5, in one lot of 5
	run -0 --separate-stderr loy-redeem cancel R1
	[ "$(balances | sed -n 2p)" = "1002:5" ]
	ledger_ok
}

@test "points expiring today are not spendable, as loy-expire would take them today" {
	new_ledger --set expiry_months=1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# earned 2026-10-23 18:00: expires 2026-11-23 18:00, today (now is 12:00)
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-10-23 18:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "R1,refused,\"20 points needed, 0 spendable\",0," ]
	ledger_ok
}

@test "accrue, redeem and expire at once on one ledger: no point spent twice, totals exact" {
	new_ledger --set expiry_months=1
	{ echo member_id; for i in $(seq 1001 1040); do echo "$i"; done; } >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# old points, due to expire: 10 each (earned 2026-09-01)
	{ echo "txn_id,member_id,occurred_at,amount"
	  for i in $(seq 1001 1040); do echo "O$i,$i,2026-09-01 10:00:00,10.00"; done; } >old.csv
	loy-accrue old.csv >/dev/null 2>&1
	# tonight's sales: 30 each; requests: a coffee (20) each
	{ echo "txn_id,member_id,occurred_at,amount"
	  for i in $(seq 1001 1040); do echo "N$i,$i,2026-11-22 10:00:00,30.00"; done; } >new.csv
	{ echo "request_id,member_id,reward_id"
	  for i in $(seq 1001 1040); do echo "Q$i,$i,COFFEE"; done; } >req.csv
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	loy-accrue --busy-timeout 30 new.csv >acc.out 2>acc.err &
	a=$!
	loy-redeem --busy-timeout 30 req.csv >red.out 2>red.err &
	r=$!
	loy-expire --busy-timeout 30 >exp.out 2>exp.err &
	e=$!
	wait $a
	wait $r
	wait $e
	ledger_ok
	# whatever the order: each member earned 10 + 30, lost the 10 old ones to
	# expiry, and spent 20 if the redemption ran when the points were there
	redeemed=$(grep -c ',redeemed,' red.out || true)
	[ "$(q "SELECT sum(points) FROM journal WHERE kind = 'earn'")" = 1600 ]
	[ "$(q "SELECT coalesce(-sum(points), 0) FROM journal WHERE kind = 'redeem'")" = $((20 * redeemed)) ]
	[ "$(q "SELECT sum(points) FROM balances")" = \
	    "$(q "SELECT sum(points) FROM journal")" ]
	[ "$(q "SELECT count(*) FROM redemptions")" = 40 ]
	# the old 10 are past their date whatever the order: never spent, always expired
	[ "$(q "SELECT -sum(points) FROM journal WHERE kind = 'expire'")" = 400 ]
	[ "$(q "SELECT sum(points) FROM balances")" = $((1600 - 400 - 20 * redeemed)) ]
	# nothing spendable was lost: every member's balance is 40 - expired - spent
	[ "$(q "SELECT count(*) FROM balances WHERE points < 0")" = 0 ]
}
