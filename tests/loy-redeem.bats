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

@test "--help's usage and loy-redeem(1)'s synopsis give requests, --catalogue, --codes and --transfers the input and output options, --table and --tsv together, and cancel one of them, as the program takes them" {
	run -0 loy-redeem --help
	usage=$(sed -n '1,/^Redeem/p' <<<"$output" | tr -s ' \n' ' ')
	[[ "$usage" == *"loy-redeem [-n] [-d ledger] [--busy-timeout seconds] [--date-format fmt] [--map field=column,...] [--rejects file] [--safe-cells] [--table] [--tsv] --catalogue | --codes | --transfers [file ...] "* ]]
	[[ "$usage" == *"[--rejects file] [--safe-cells] [--table] [--tsv] [--first-come | --draw[=seed]]"* ]]
	[[ "$usage" == *"loy-redeem [-n] [-d ledger] [--busy-timeout seconds] [--safe-cells] [--table | --tsv] cancel request_id ... "* ]]
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy-redeem.1" | tr '\n' ' ')
	[[ "$synopsis" == *'.Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Fl \-catalogue | Fl \-codes | Fl \-transfers'* ]]
	[[ "$synopsis" == *'.Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Op Fl \-first-come'* ]]
	[[ "$synopsis" == *'.Op Fl \-safe-cells .Op Fl \-table | Fl \-tsv .Cm cancel'* ]]
	base
	printf 'Artikel,name,points,valid_to\nMUG,Mug,10,31.12.2026\nBAD,Bad,0,\n' >cat.csv
	run -1 --separate-stderr loy-redeem --date-format %d.%m.%Y --map reward_id=Artikel --rejects rej.csv \
	    --table --catalogue cat.csv
	same "$output" <<'OUT'
reward_id  status
MUG        created
OUT
	[ "$(q "SELECT valid_to FROM rewards WHERE reward_id = 'MUG'")" = 2026-12-31 ]
	printf 'request_id,member_id,reward_id\nR1,1001,MUG\n' | loy-redeem >/dev/null 2>&1
	# TSV read, a table written
	printf 'request_id\tmember_id\treward_id\nR2\t1001\tNOPE\n' >req.tsv
	run -0 --separate-stderr loy-redeem --tsv --table req.tsv
	same "$output" <<'OUT'
request_id  status   reason                 points  voucher
R2          refused  unknown reward 'NOPE'  0
OUT
	run -64 --separate-stderr loy-redeem --tsv --table cancel R1
	[ "${stderr_lines[0]}" = "loy-redeem: --table and --tsv are one at a time" ]
	run -0 --separate-stderr loy-redeem --tsv cancel R1
	[ "$output" = "$(printf 'request_id\tstatus\tpoints\nR1\tcancelled\t10')" ]
	ledger_ok
}

@test "the catalogue loads, lists as loaded, and a second load changes nothing" {
	base
	run -0 --separate-stderr loy-redeem rewards
	same "$output" <<'OUT'
reward_id,name,points,cash_price,stock,partner,partner_cost,tiers,segments,valid_from,valid_to,per_member_limit
CINEMA,"Cinema ticket, any film",50,,1,Kino,6.50,,,2026-01-01,2026-12-31,2
COFFEE,Coffee,20,,,,,,,,,
LOUNGE,Lounge pass,25,10.00,5,Sky,25.00,"Ruby,Diamond",,,,1
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
	printf 'reward_id,name,points,stock,valid_from,valid_to,segments\nX,Thing,0,,,,\nY,Thing,10,-1,,,\nZ,Thing,10,,2026-05-01,2026-04-01,\nV,Thing,10,,,,"gala, -x"\nW,Thing,10,,,,"gala,"\n' >bad.csv
	run -65 --separate-stderr loy-redeem --catalogue bad.csv
	same "$stderr" <<'OUT'
loy-redeem: bad.csv:2: points '0' is not a whole number above zero
loy-redeem: bad.csv:3: stock '-1' is not a whole number (empty: unlimited)
loy-redeem: bad.csv:4: valid_to '2026-04-01' is before valid_from
loy-redeem: bad.csv:5: segments 'gala, -x': '-x' is not a segment name (letters, digits, '.', '_' and '-', at most 64, not starting with '-' or '.')
loy-redeem: bad.csv:6: segments 'gala,': '' is not a segment name (letters, digits, '.', '_' and '-', at most 64, not starting with '-' or '.')
loy-redeem: bad.csv: 5 rows, 0 created, 0 updated, 0 unchanged, 5 rejected
loy-redeem: 5 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
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
	# a qty that would count past the largest number is over the limit too
	printf 'request_id,member_id,reward_id,qty\nL3,1002,LOUNGE,9223372036854775807\n' >big.csv
	run -0 --separate-stderr loy-redeem big.csv
	[ "${lines[1]}" = "L3,refused,limit of 1 a member: 1 redeemed already,0," ]
	ledger_ok
}

@test "an empty qty is 1, as loy-accrue reads an empty qty beside an amount" {
	base
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "R1,redeemed,,20,$(q "SELECT voucher FROM redemptions WHERE request_id = 'R1'")" ]
	[ "$(q "SELECT qty FROM redemptions WHERE request_id = 'R1'")" = 1 ]
	ledger_ok
}

@test "a retried request gets its first answer and spends nothing twice" {
	base
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,1\nR2,1001,LOUNGE,1\n' >req.csv
	loy-redeem req.csv >first.csv 2>/dev/null
	before=$(dump)
	run -0 --separate-stderr loy-redeem req.csv
	[ "$output" = "$(cat first.csv)" ]
	[ "$stderr" = "loy-redeem: req.csv: 2 rows, 0 redeemed, 0 refused, 2 duplicate, 0 rejected"$'\n'"$(idle loy-redeem)" ]
	[ "$(dump)" = "$before" ]
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

@test "a cancel gives back no points a return could not take back: buy, redeem, return, cancel ends as buy, redeem, cancel, return" {
	base
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,-30.00,C\n' >ret.csv
	loy-redeem req.csv >/dev/null 2>&1
	cp "$LOY_DB" redeemed.db
	# the return first: of C's 30 points, the 10 left; then the cancel
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "CR,1002,2026-11-10 10:00:00,-30.00,-10,returned,20 points not recovered: the balance may not go below zero" ]
	[ "$(q "SELECT unrecovered FROM receipts WHERE txn_id = 'CR'")" = 20 ]
	run -0 --separate-stderr loy-redeem cancel R1
	[ "$output" = "request_id,status,points
R1,cancelled,0" ]
	[ "$stderr" = "loy-redeem: cancel of 'R1': 20 of its points go to return 'CR', which a balance at zero kept from taking them back" ]
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	same "$(q "SELECT kind, points, source, ref FROM journal WHERE member_id = '1002' ORDER BY entry_id")" <<'OUT'
earn|30|receipt|C
redeem|-20|redemption|R1
return|-10|receipt|CR
cancel|20|redemption|R1
return|-20|receipt|CR
OUT
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-30|0" ]
	[ "$(q "SELECT sum(remaining) FROM lots WHERE member_id = '1002'")" = 0 ]
	ledger_ok
	# the cancel first: the return takes all 30
	cp redeemed.db "$LOY_DB"
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,20" ]
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "CR,1002,2026-11-10 10:00:00,-30.00,-30,returned," ]
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-30|0" ]
	ledger_ok
}

@test "a cancel pays what returns could not take back, oldest first" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nD,1002,2026-11-03 10:00:00,20.00\n' >more.csv
	loy-accrue more.csv >/dev/null 2>&1
	# 1002 has 50: R1 spends 40, C's return leaves it 0 (20 short), D's too (20 short)
	printf 'request_id,member_id,reward_id,qty\nR1,1002,COFFEE,2\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,-30.00,C\nDR,1002,2026-11-11 10:00:00,-20.00,D\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	[ "$(q "SELECT group_concat(txn_id || ':' || points || ':' || unrecovered, ' ') FROM receipts WHERE amount < 0")" = "CR:-10:20 DR:0:20" ]
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,0" ]
	same "$stderr" <<'OUT'
loy-redeem: cancel of 'R1': 20 of its points go to return 'CR', which a balance at zero kept from taking them back
loy-redeem: cancel of 'R1': 20 of its points go to return 'DR', which a balance at zero kept from taking them back
OUT
	[ "$(q "SELECT group_concat(txn_id || ':' || points || ':' || unrecovered, ' ') FROM receipts WHERE amount < 0")" = "CR:-30:0 DR:-20:0" ]
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	ledger_ok
}

@test "what a cancel paid of a return taken before its purchase, the purchase does not take again" {
	base
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# ER returns 50.00 of P, not in yet: 50 points at the current rate, 10 taken
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nER,1002,2026-11-10 10:00:00,-50.00,P\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,0" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'ER'")" = "-30|20" ]
	printf 'txn_id,member_id,occurred_at,amount\nP,1002,2026-11-05 10:00:00,50.00\n' >p.csv
	run -0 --separate-stderr loy-accrue p.csv
	[ "${lines[2]}" = "ER,1002,2026-11-10 10:00:00,0.00,-20,returned,\"20 points it could not take back then, now that 'P' came\"" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'ER'")" = "-50|0" ]
	# as the purchase, then the return, then the cancel: 30 - 20 + 50 - 50 + 20
	[ "$(balances | sed -n 2p)" = "1002:30" ]
	ledger_ok
}

@test "a return settled in parts owes what the whole could not take back, once" {
	base
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# CR's two lines, far apart in a file read in parts
	{
		printf 'txn_id,member_id,occurred_at,sku,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,A,-15.00,C\n'
		for i in $(seq 1 60); do
			printf 'Z%03d,,2026-11-10 11:00:00,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,1.00,\n' "$i"
		done
		printf 'CR,1002,2026-11-10 10:00:00,B,-15.00,C\n'
	} >ret.csv
	LOY_RECEIPT_MEMORY=1024 run -0 --separate-stderr loy-accrue ret.csv
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-10|20" ]
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,0" ]
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	ledger_ok
}

@test "a cancel of a redemption made after a return gives back all its points: the return's shortfall waits for the cancel of one made before it" {
	base
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# C's return leaves 1002 at 0, 20 short; D's 20 points are its own
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,-30.00,C\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nD,1002,2026-11-15 10:00:00,20.00\n' >d.csv
	loy-accrue d.csv >/dev/null 2>&1
	[ "$(balances | sed -n 2p)" = "1002:20" ]
	# redeeming D's points and cancelling leaves 1002 where it was
	printf 'request_id,member_id,reward_id\nR2,1002,COFFEE\n' >req2.csv
	loy-redeem req2.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel R2
	[ "$output" = "request_id,status,points
R2,cancelled,20" ]
	[ -z "$stderr" ]
	[ "$(balances | sed -n 2p)" = "1002:20" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-10|20" ]
	# R1's cancel pays it
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,0" ]
	[ "$(balances | sed -n 2p)" = "1002:20" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-30|0" ]
	ledger_ok
}

@test "cancelling puts the stock back as a whole number, at most 9223372036854775807" {
	base
	printf 'reward_id,name,points,stock\nONE,One,1,9223372036854775807\n' >big.csv
	loy-redeem --catalogue big.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR1,1001,ONE,3\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# the catalogue loaded again sets the stock back to the file's figure
	loy-redeem --catalogue big.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel R1
	[ "${lines[1]}" = "R1,cancelled,3" ]
	[ "$(q "SELECT stock, typeof(stock) FROM rewards WHERE reward_id = 'ONE'")" = "9223372036854775807|integer" ]
	run -0 --separate-stderr loy-redeem rewards
	[[ "$output" == *$'\nONE,One,1,,9223372036854775807,,,,,,,'* ]]
	# and a request sees that stock, not a figure misread from a float
	printf 'request_id,member_id,reward_id,qty\nR2,1001,ONE,12\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]%,LOY-*}" = "R2,redeemed,,12" ]
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
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:1: no column 'request_id'" ]
	printf 'request_id,member_id,reward_id,qty,requested_at\nR1,1001,COFFEE,two,\nR2,1001,COFFEE,1,yesterday\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: qty 'two' is not a whole number" ]
	[ "${stderr_lines[1]}" = "loy-redeem: req.csv:3: requested_at 'yesterday' is not an ISO 8601 datetime" ]
	[ "$(dump)" = "$before" ]
}

@test "a request without its member or reward is a bad row: corrected, it goes through with its request_id" {
	base
	printf 'request_id,member_id,reward_id\nR1,,COFFEE\nR2,1001,\nR3,1001,COFFEE\n' >req.csv
	run -1 --separate-stderr loy-redeem --rejects rej.csv req.csv
	[ "${lines[0]}" = "$HEAD" ]
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == R3,redeemed,,20,LOY-* ]]
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: member_id is empty" ]
	[ "${stderr_lines[1]}" = "loy-redeem: req.csv:3: reward_id is empty" ]
	same "$(cat rej.csv)" <<'OUT'
request_id,member_id,reward_id,line,reason
R1,,COFFEE,2,member_id is empty
R2,1001,,3,reward_id is empty
OUT
	[ "$(q "SELECT group_concat(request_id) FROM redemptions")" = R3 ]
	# the call centre fills in the ids and sends the rows again
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\nR2,1001,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" == R1,redeemed,,20,LOY-* ]]
	[[ "${lines[2]}" == R2,redeemed,,20,LOY-* ]]
	[ "$(q "SELECT points FROM balances WHERE member_id = '1001'")" = 40 ]
	ledger_ok
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

# A partner's reward with codes: FILM (10 points, from Kino at 4.00 a unit).
film() {
	printf 'reward_id,name,points,partner,partner_cost\nFILM,Film voucher,10,Kino,4.00\n' >film.csv
	loy-redeem --catalogue film.csv >/dev/null 2>&1
	printf 'reward_id,code\nFILM,K-001\nFILM,K-002\nFILM,K-003\n' >codes.csv
}

@test "partner codes load once, are handed out in order, and a load again changes nothing" {
	base
	film
	run -0 --separate-stderr loy-redeem --codes codes.csv
	same "$output" <<'OUT'
reward_id,code,status
FILM,K-001,added
FILM,K-002,added
FILM,K-003,added
OUT
	[ "$stderr" = "loy-redeem: codes.csv: 3 rows, 3 added, 0 unchanged, 0 rejected" ]
	run -0 --separate-stderr loy-redeem --codes codes.csv
	[ "$stderr" = "loy-redeem: codes.csv: 3 rows, 0 added, 3 unchanged, 0 rejected"$'\n'"$(idle loy-redeem)" ]
	printf 'request_id,member_id,reward_id,qty\nP1,1001,FILM,2\nP2,1002,FILM,1\nP3,1002,FILM,1\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	same "$output" <<OUT
$HEAD
P1,redeemed,,20,K-001 K-002
P2,redeemed,,10,K-003
P3,refused,no partner codes left for reward 'FILM',0,
OUT
	# 1001: 100 - 2 x 10; 1002: 30 - 10
	[ "$(balances)" = "1001:80
1002:20" ]
	run -0 --separate-stderr loy-redeem codes
	same "$output" <<'OUT'
reward_id,partner,codes,used,left
FILM,Kino,3,3,0
OUT
	ledger_ok
}

@test "a request for more partner codes than the pool holds says how many are left" {
	base
	film
	printf 'reward_id,code\nFILM,K-001\n' >codes.csv
	loy-redeem --codes codes.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nP1,1001,FILM,2\nP2,1002,FILM,1\nP3,1002,FILM,1\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	same "$output" <<OUT
$HEAD
P1,refused,"2 partner codes needed for reward 'FILM', 1 left",0,
P2,redeemed,,10,K-001
P3,refused,no partner codes left for reward 'FILM',0,
OUT
	# in a draw too
	printf 'reward_id,code\nFILM,K-002\n' >more.csv
	loy-redeem --codes more.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nD1,1001,FILM,3\n' >draw.csv
	run -0 --separate-stderr loy-redeem --draw=s draw.csv
	[ "${lines[1]}" = "D1,refused,\"not drawn: 3 partner codes needed for reward 'FILM', 1 left\",0," ]
	[ "$(balances)" = "1001:100
1002:20" ]
	ledger_ok
}

@test "an answer the ledger refuses to record is named by its file and line, before the file's summary and before the next file is read" {
	base
	film
	loy-redeem --codes codes.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nC1,1001,COFFEE\n' | loy-redeem >/dev/null 2>&1
	# a code that is a voucher already, as loy-redeem --codes would not load it
	sqlite3 "$LOY_DB" "UPDATE reward_codes SET code = (SELECT voucher FROM redemptions
	    WHERE request_id = 'C1') WHERE code = 'K-002'"
	before=$(dump)
	printf 'request_id,member_id,reward_id\nP1,1001,FILM\nP2,1002,FILM\nP3,1002,COFFEE\n' >a.csv
	printf 'request_id,member_id,reward_id,qty\nQ1,1001,COFFEE,x\n' >b.csv
	run -65 --separate-stderr loy-redeem a.csv b.csv
	[ -z "$output" ]
	same "$stderr" <<ERR
loy-redeem: ledger '$LOY_DB': cannot record a redemption: UNIQUE constraint failed: redemptions.voucher
loy-redeem: a.csv:3: request 'P2': its answer could not be recorded
ERR
	# the same in the first come's order
	printf 'request_id,member_id,reward_id,requested_at\nP1,1001,FILM,2026-11-20\nP2,1001,COFFEE,\nP3,1002,FILM,2026-11-21\n' >c.csv
	# (the columns of c.csv, which the rows of both go under with --rejects)
	printf 'request_id,member_id,reward_id,requested_at\nQ1,1001,COFFEE,yesterday\n' >d.csv
	run -65 --separate-stderr loy-redeem --first-come --rejects rej.csv c.csv d.csv
	same "$stderr" <<ERR
loy-redeem: ledger '$LOY_DB': cannot record a redemption: UNIQUE constraint failed: redemptions.voucher
loy-redeem: c.csv:4: request 'P3': its answer could not be recorded
ERR
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a cancelled redemption's partner code is not handed out again" {
	base
	film
	loy-redeem --codes codes.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nP1,1001,FILM,3\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-redeem cancel P1
	[ "${lines[1]}" = "P1,cancelled,30" ]
	printf 'request_id,member_id,reward_id,qty\nP2,1001,FILM,1\n' >req2.csv
	run -0 --separate-stderr loy-redeem req2.csv
	[ "${lines[1]}" = "P2,refused,no partner codes left for reward 'FILM',0," ]
	[ "$(q "SELECT group_concat(code || '=' || request_id, ' ') FROM reward_codes")" = "K-001=P1 K-002=P1 K-003=P1" ]
	printf 'reward_id,code\nFILM,K-004\n' >more.csv
	loy-redeem --codes more.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nP3,1001,FILM,1\n' >req3.csv
	run -0 --separate-stderr loy-redeem req3.csv
	[ "${lines[1]}" = "P3,redeemed,,10,K-004" ]
	[ "$(balances | head -1)" = "1001:90" ]
	ledger_ok
}

@test "a voucher handed out is refused as a code of its own reward's pool, as of another's" {
	base
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	voucher=$(q "SELECT voucher FROM redemptions WHERE request_id = 'R1'")
	before=$(dump)
	printf 'reward_id,code\nCOFFEE,%s\nCINEMA,%s\n' "$voucher" "$voucher" >codes.csv
	run -65 --separate-stderr loy-redeem --codes codes.csv
	same "$stderr" <<OUT
loy-redeem: codes.csv:2: code '$voucher' was handed out already, the voucher of request 'R1'
loy-redeem: codes.csv:3: code '$voucher' was handed out already, the voucher of request 'R1'
loy-redeem: codes.csv: 2 rows, 0 added, 0 unchanged, 2 rejected
loy-redeem: 2 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
OUT
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a bad code row is refused with its reason and nothing is loaded" {
	base
	film
	loy-redeem --codes codes.csv >/dev/null 2>&1
	before=$(dump)
	printf 'reward_id,code,partner\nCOFFEE,K-001,\nNOPE,X-1,\nFILM,,\nFILM,K-9,Sky\nFILM,K 10,\n' >bad.csv
	run -65 --separate-stderr loy-redeem --codes bad.csv
	same "$stderr" <<'OUT'
loy-redeem: bad.csv:2: code 'K-001' is reward 'FILM''s already
loy-redeem: bad.csv:3: unknown reward 'NOPE'
loy-redeem: bad.csv:4: code is empty
loy-redeem: bad.csv:5: reward 'FILM' is not from partner 'Sky'
loy-redeem: bad.csv:6: code 'K 10' is not one word of at most 200 bytes
loy-redeem: bad.csv: 5 rows, 0 added, 0 unchanged, 5 rejected
loy-redeem: 5 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
OUT
	[ "$(dump)" = "$before" ]
}

@test "each redemption keeps its partner's cost, so settlement is right after a catalogue change" {
	base
	film
	printf 'request_id,member_id,reward_id,qty,requested_at\nS1,1001,FILM,2,2026-11-05 10:00:00\nS2,1001,COFFEE,1,2026-11-05 11:00:00\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# the partner's price goes up to 5.00
	printf 'reward_id,name,points,partner,partner_cost\nFILM,Film voucher,10,Kino,5.00\n' >film.csv
	loy-redeem --catalogue film.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty,requested_at\nS3,1001,FILM,1,2026-11-20 10:00:00\nS4,1002,FILM,1,2026-11-21 10:00:00\n' >req2.csv
	loy-redeem req2.csv >/dev/null 2>&1
	loy-redeem cancel S4 >/dev/null 2>&1
	[ "$(q "SELECT request_id, partner_id, partner_cost FROM redemptions ORDER BY request_id")" = "S1|Kino|400
S2||
S3|Kino|500
S4|Kino|500" ]
	# loy-ledger(5)'s settlement query for November: 2 x 4.00 + 1 x 5.00, S4 cancelled
	[ "$(q "SELECT partner_id, reward_id, sum(qty) AS units,
	        sum(qty * partner_cost) AS cost FROM redemptions
	        WHERE status = 'redeemed' AND partner_id IS NOT NULL
	          AND requested_at >= '2026-11-01' AND requested_at < '2026-12-01'
	        GROUP BY partner_id, reward_id ORDER BY partner_id, reward_id")" = "Kino|FILM|3|1300" ]
	ledger_ok
}

@test "--first-come decides a file's requests by requested_at, not by file order" {
	base
	printf 'reward_id,name,points,stock\nFLASH,Flash sale,5,2\n' >flash.csv
	loy-redeem --catalogue flash.csv >/dev/null 2>&1
	cat >req.csv <<'CSV'
request_id,member_id,reward_id,requested_at
F1,1001,FLASH,2026-11-23 09:30:00
F2,1002,FLASH,2026-11-23 09:10:00
F3,1001,FLASH,2026-11-23 09:20:00
F4,1002,FLASH,2026-11-23 09:00:00
CSV
	run -0 --separate-stderr loy-redeem --first-come req.csv
	# 09:00 F4 and 09:10 F2 take the 2; F3 (09:20) and F1 (09:30) find none
	[ "$(printf '%s\n' "${lines[@]}" | cut -d, -f1-4)" = "request_id,status,reason,points
F4,redeemed,,5
F2,redeemed,,5
F3,refused,out of stock: 0 left,0
F1,refused,out of stock: 0 left,0" ]
	[ "$stderr" = "loy-redeem: req.csv: 4 rows, 2 redeemed, 2 refused, 0 duplicate, 0 rejected; 4 first come, first served" ]
	[ "$(balances)" = "1001:100
1002:20" ]
	ledger_ok
}

@test "a draw is decided by the seed: the same seed and input give the same winners" {
	base
	printf 'reward_id,name,points,stock\nLUCKY,Lucky draw,1,2\n' >lucky.csv
	loy-redeem --catalogue lucky.csv >/dev/null 2>&1
	{ echo "request_id,member_id,reward_id"
	  for i in 1 2 3 4 5 6; do echo "D$i,100$((i % 2 + 1)),LUCKY"; done; } >req.csv
	cp "$LOY_DB" before.db
	# the order of the draw, worked out with sha256sum(1): tickets sorted
	order=$(for i in 1 2 3 4 5 6; do
		printf '%s %s\n' "$(printf 'audit-2026:D%s' "$i" | sha256sum | cut -d' ' -f1)" "D$i"
	done | sort | cut -d' ' -f2)
	run -0 --separate-stderr loy-redeem --draw=audit-2026 req.csv
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1)" = "$order" ]
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f2 | tr '\n' ' ')" = "redeemed redeemed refused refused refused refused " ]
	[ "${lines[3]}" = "$(echo "$order" | sed -n 3p),refused,not drawn: out of stock: 0 left,0," ]
	[ "${stderr_lines[0]}" = "loy-redeem: draw seed: audit-2026" ]
	[ "${stderr_lines[1]}" = "loy-redeem: req.csv: 6 rows, 2 redeemed, 4 refused, 0 duplicate, 0 rejected; 6 drawn with seed audit-2026" ]
	first=$(printf '%s\n' "${lines[@]}" | cut -d, -f1-4)
	ledger_ok
	# the auditor, on the ledger as it was, with the same seed and input
	run -0 --separate-stderr loy-redeem -d before.db --draw=audit-2026 req.csv
	[ "$(printf '%s\n' "${lines[@]}" | cut -d, -f1-4)" = "$first" ]
}

@test "a draw without a seed draws one, prints it and keeps it in the run record" {
	base
	printf 'reward_id,name,points,stock\nLUCKY,Lucky draw,1,1\n' >lucky.csv
	loy-redeem --catalogue lucky.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nD1,1001,LUCKY\nD2,1002,LUCKY\n' >req.csv
	run -0 --separate-stderr loy-redeem --draw req.csv
	[[ "${stderr_lines[0]}" =~ ^loy-redeem:\ draw\ seed:\ ([0-9a-f]{32})$ ]]
	seed=${BASH_REMATCH[1]}
	[ "$(q "SELECT args FROM runs ORDER BY run_id DESC LIMIT 1")" = "loy-redeem --draw req.csv # --draw=$seed" ]
	first=$(printf 'D1 %s\nD2 %s\n' "$(printf '%s:D1' "$seed" | sha256sum)" "$(printf '%s:D2' "$seed" | sha256sum)" | sort -k2 | head -1 | cut -d' ' -f1)
	[ "${lines[1]%%,*}" = "$first" ]
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'redeemed'")" = 1 ]
	ledger_ok
}

@test "--window refuses requests made outside it; options that do not go together are refused" {
	base
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,2026-11-22 23:59:59\nW2,1001,COFFEE,2026-11-23 00:00:00\nW3,1001,COFFEE,2026-11-23 10:00:00\n' >req.csv
	run -0 --separate-stderr loy-redeem --first-come --window "2026-11-23,2026-11-23 09:59" req.csv
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1-3)" = "W1,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 09:59:00
W2,redeemed,
W3,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 09:59:00" ]
	run -64 --separate-stderr loy-redeem --first-come --draw req.csv
	run -64 --separate-stderr loy-redeem --draw=x --catalogue rewards.csv
	run -64 --separate-stderr loy-redeem --window 2026-11-23 req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: --window '2026-11-23' is not FROM,TO" ]
	ledger_ok
}

# Transfers: 1001 has 60 (expiring 2028-10-01 10:00) and 40 (2028-11-01 10:00).
@test "transfers are refused as a whole while the programme does not allow them" {
	base
	before=$(dump)
	printf 'transfer_id,from_member,to_member,points\nT1,1001,1003,10\n' >tr.csv
	run -65 --separate-stderr loy-redeem --transfers tr.csv
	[ "$stderr" = "loy-redeem: the programme does not allow transfers between members (its setting transfers is 'no'; a programme version with transfers = yes, loaded with loy-program load, allows them)" ]
	[ "$(dump)" = "$before" ]
}

@test "a transfer is allowed or refused as the programme version in force when it was requested says, applied or not" {
	base
	# from 1 December transfers are allowed: loaded ahead, not applied
	printf '[programme]\ntransfers = yes\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1003,10,2026-11-30 10:00:00\nT2,1001,1003,5,2026-12-02 10:00:00\n' >tr.csv
	cp "$LOY_DB" ahead.db
	LOY_NOW="2026-12-03 02:00:00" run -0 --separate-stderr loy-redeem --transfers tr.csv
	same "$output" <<'OUT'
transfer_id,status,reason,points
T1,refused,the programme version in force at 2026-11-30 10:00:00 does not allow transfers,0
T2,transferred,,5
OUT
	[ "$(balances | tail -1)" = "1003:5" ]
	ledger_ok
	# the same after loy-program apply
	cp ahead.db "$LOY_DB"
	LOY_NOW="2026-12-03 01:00:00" run -0 --separate-stderr loy-program apply
	LOY_NOW="2026-12-03 02:00:00" run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "T1,refused,the programme version in force at 2026-11-30 10:00:00 does not allow transfers,0" ]
	[ "${lines[2]}" = "T2,transferred,,5" ]
	ledger_ok
	# before its date, no version in force allows them: refused as a whole
	cp ahead.db "$LOY_DB"
	run -65 --separate-stderr loy-redeem --transfers tr.csv
	[ "$stderr" = "loy-redeem: the programme does not allow transfers between members (its setting transfers is 'no'; a programme version with transfers = yes, loaded with loy-program load, allows them)" ]
}

@test "a transfer given back pays first what a return of the receiver's could not take back" {
	base --set transfers=yes
	# 1002 gives 20 of C's 30 points to 1001, returns C (10 taken, 20 not),
	# and 1001 gives the 20 back
	printf 'transfer_id,from_member,to_member,points,requested_at\nX1,1002,1001,20,2026-11-05 10:00:00\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,-30.00,C\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "${lines[1]}" = "CR,1002,2026-11-10 10:00:00,-30.00,-10,returned,20 points not recovered: the balance may not go below zero" ]
	printf 'transfer_id,from_member,to_member,points,requested_at\nX2,1001,1002,20,2026-11-12 10:00:00\n' >back.csv
	run -0 --separate-stderr loy-redeem --transfers back.csv
	same "$output" <<'OUT'
transfer_id,status,reason,points
X2,transferred,"20 of them go to return 'CR', which a balance at zero kept from taking them back",20
OUT
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	[ "$(q "SELECT kind || ':' || points || ':' || ref FROM journal WHERE member_id = '1002' ORDER BY entry_id DESC LIMIT 1")" = "return:-20:CR" ]
	[ "$(q "SELECT points, unrecovered FROM receipts WHERE txn_id = 'CR'")" = "-30|0" ]
	ledger_ok
}

@test "what a transfer dated before a return pays of it is taken at the return's time, not before the goods came back" {
	base --set transfers=yes
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nCR,1002,2026-11-10 10:00:00,-30.00,C\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	# 1001's gift of 2026-11-04 is read after the return of 2026-11-10
	printf 'transfer_id,from_member,to_member,points,requested_at\nX1,1001,1002,20,2026-11-04 10:00:00\n' >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "X1,transferred,\"20 of them go to return 'CR', which a balance at zero kept from taking them back\",20" ]
	[ "$(q "SELECT kind || '|' || points || '|' || occurred_at FROM journal WHERE member_id = '1002' AND ref = 'CR' ORDER BY entry_id")" = "return|-10|2026-11-10 10:00:00
return|-20|2026-11-10 10:00:00" ]
	run -0 --separate-stderr loy-report statement 1002 --to 2026-11-09
	[[ "$output" != *",return,"* ]]
	[ "$(balances | sed -n 2p)" = "1002:0" ]
	ledger_ok
}

@test "a transfer's reason names every return its points paid, however long" {
	base --set transfers=yes
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	# three returns of C with long ids, each 10 points short or more
	a=RETURN-2026-11-10-STORE-0042-TILL-07-RECEIPT-000000000001
	b=RETURN-2026-11-10-STORE-0042-TILL-07-RECEIPT-000000000002
	c=RETURN-2026-11-10-STORE-0042-TILL-07-RECEIPT-000000000003
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\n%s,1002,2026-11-10 10:00:00,-10.00,C\n%s,1002,2026-11-10 11:00:00,-10.00,C\n%s,1002,2026-11-10 12:00:00,-10.00,C\n' "$a" "$b" "$c" >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	[ "$(q "SELECT sum(unrecovered) FROM receipts")" = 20 ]
	printf 'transfer_id,from_member,to_member,points,requested_at\nX1,1001,1002,30,2026-11-12 10:00:00\n' >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "X1,transferred,\"10 of them go to return '$b', which a balance at zero kept from taking them back; 10 of them go to return '$c', which a balance at zero kept from taking them back\",30" ]
	[ "$(q "SELECT reason FROM transfers")" = "10 of them go to return '$b', which a balance at zero kept from taking them back; 10 of them go to return '$c', which a balance at zero kept from taking them back" ]
	[ "$(balances | sed -n 2p)" = "1002:10" ]
	ledger_ok
}

@test "a request refused names its member and reward whole, however long their ids" {
	base
	long=$(printf 'M%0299d' 7)
	reward=$(printf 'R%0299d' 8)
	printf 'member_id,name\n%s,Long\n' "$long" >long.csv
	loy-enroll long.csv >/dev/null 2>&1
	loy-enroll close "$long" >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nQ1,%s9,COFFEE\nQ2,%s,COFFEE\nQ3,1001,%s\n' "$long" "$long" "$reward" >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "Q1,refused,unknown member '${long}9',0," ]
	[ "${lines[2]}" = "Q2,refused,membership '$long' is closed,0," ]
	[ "${lines[3]}" = "Q3,refused,unknown reward '$reward',0," ]
	[ "$(q "SELECT reason FROM redemptions WHERE request_id = 'Q1'")" = "unknown member '${long}9'" ]
	ledger_ok
}

@test "a transfer refused names its members whole, however long their ids" {
	base --set transfers=yes
	long=$(printf 'M%0299d' 7)
	printf 'member_id,name\n%s,Long\n' "$long" >long.csv
	loy-enroll long.csv >/dev/null 2>&1
	loy-enroll close "$long" >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points,requested_at\nX1,1001,%s9,10,2026-11-12 10:00:00\nX2,1001,%s,10,2026-11-12 10:00:00\n' "$long" "$long" >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "X1,refused,unknown member '${long}9',0" ]
	[ "${lines[2]}" = "X2,refused,membership '$long' is closed,0" ]
	[ "$(q "SELECT reason FROM transfers WHERE transfer_id = 'X1'")" = "unknown member '${long}9'" ]
	ledger_ok
}

@test "a transfer spends the giver's soonest lots and the receiver's lots keep their dates" {
	base --set transfers=yes
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1003,70,2026-11-23 08:00:00\n' >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	same "$output" <<'OUT'
transfer_id,status,reason,points
T1,transferred,,70
OUT
	[ "$(balances)" = "1001:30
1002:30
1003:70" ]
	# 60 from the lot expiring 2028-10-01, then 10 from the one of 2028-11-01
	[ "$(q "SELECT points, remaining, expires_at FROM lots WHERE member_id = '1003' ORDER BY lot_id")" = "60|60|2028-10-01 10:00:00
10|10|2028-11-01 10:00:00" ]
	[ "$(q "SELECT member_id, kind, points, source, ref FROM journal WHERE kind = 'transfer' ORDER BY entry_id")" = "1001|transfer|-70|transfer|T1
1003|transfer|70|transfer|T1" ]
	# sent again: its first answer, nothing moves twice
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "T1,transferred,,70" ]
	[ "$stderr" = "loy-redeem: tr.csv: 1 row, 0 transferred, 0 refused, 1 duplicate, 0 rejected"$'\n'"$(idle loy-redeem)" ]
	[ "$(balances | tail -1)" = "1003:70" ]
	ledger_ok
}

@test "each refused transfer has its reason, moves nothing, and is remembered" {
	base --set transfers=yes
	loy-enroll close 1003 >/dev/null 2>&1
	cat >tr.csv <<'CSV'
transfer_id,from_member,to_member,points
T1,9999,1002,10
T2,1001,1003,10
T3,1001,1001,10
T4,1002,1001,31
T5,1001,1002,0
T6,1002,1001,30
CSV
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	same "$output" <<'OUT'
transfer_id,status,reason,points
T1,refused,unknown member '9999',0
T2,refused,membership '1003' is closed,0
T3,refused,'1001' and '1001' are one member,0
T4,refused,"31 points to give, 30 spendable",0
T5,refused,points must be 1 or more,0
T6,transferred,,30
OUT
	[ "$(balances)" = "1001:130
1002:0" ]
	[ "$(q "SELECT count(*) FROM transfers WHERE status = 'refused'")" = 5 ]
	# the same id for another transfer is refused, not stored
	printf 'transfer_id,from_member,to_member,points\nT6,1002,1001,5\n' >again.csv
	run -0 --separate-stderr loy-redeem --transfers again.csv
	[ "${lines[1]}" = "T6,refused,transfer_id was used before for another transfer,0" ]
	[ "$(q "SELECT points FROM transfers WHERE transfer_id = 'T6'")" = 30 ]
	printf 'transfer_id,from_member,to_member,points\nT7,1001,1002,ten\n' >bad.csv
	run -65 --separate-stderr loy-redeem --transfers bad.csv
	[ "${stderr_lines[0]}" = "loy-redeem: bad.csv:2: points 'ten' is not a whole number" ]
	# a merged id stands for its survivor: the message names the ids given
	printf 'member_id\n1009\n' | loy-enroll - >/dev/null 2>&1
	loy-enroll merge 1009 1001 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nT7,1001,1009,5\n' >tr2.csv
	run -0 --separate-stderr loy-redeem --transfers tr2.csv
	[ "${lines[1]}" = "T7,refused,\"'1001' and '1009' are one member, '1001'\",0" ]
	ledger_ok
}

@test "a transfer of more points than loy counts is a bad row saying so, and nothing is committed" {
	base --set transfers=yes
	before=$(dump)
	printf 'transfer_id,from_member,to_member,points\nT1,1001,1002,5\nT2,1001,1002,1000000000001\nT3,1001,1002,99999999999999999999\n' >big.csv
	run -65 --separate-stderr loy-redeem --transfers big.csv
	[ "${stderr_lines[0]}" = "loy-redeem: big.csv:3: points '1000000000001' is out of range (at most 1000000000000 either way)" ]
	[ "${stderr_lines[1]}" = "loy-redeem: big.csv:4: points '99999999999999999999' is out of range (at most 1000000000000 either way)" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "loy-check finds a partner code given to another request and a transfer without its entries" {
	base --set transfers=yes
	film
	loy-redeem --codes codes.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nP1,1001,FILM\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nT1,1001,1002,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	ledger_ok
	q "UPDATE reward_codes SET request_id = 'P1' WHERE code = 'K-002';
	   INSERT INTO transfers VALUES ('T2', '1001', '1002', 3, '2026-11-23 10:00:00',
	     'transferred', NULL, NULL, NULL, 1)"
	run -65 --separate-stderr loy-check
	same "$output" <<'OUT'
invariant,subject,detail
code-handed-out-once,code K-002,"handed out for 'P1', not a redemption of FILM with this code"
transfer-matches-journal,transfer T2,"transferred 3 points; journal: given 0, received 0"
OUT
}

@test "a merged id and the id it stands for share one balance in a run: nothing spent twice" {
	base
	loy-enroll merge 1001 1003 >/dev/null 2>&1
	# 1003 holds 1001's 100 points; 3 coffees are 60 points, asked for twice
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,3\nR2,1003,COFFEE,3\nR3,1001,COFFEE,2\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^R1,redeemed,,60,LOY- ]]
	[ "${lines[2]}" = "R2,refused,\"60 points needed, 40 spendable\",0," ]
	[[ "${lines[3]}" =~ ^R3,redeemed,,40,LOY- ]]
	[ "$(balances)" = "1001:0
1002:30
1003:0" ]
	[ "$(q "SELECT member_id, points FROM journal WHERE kind = 'redeem' ORDER BY entry_id")" = "1003|-60
1003|-40" ]
	ledger_ok
}

@test "redemptions of one member in one run take each lot in turn, and the lots say what is left" {
	base
	# lot A (60, soonest) and lot B (40): 40 from A; 20 from A and 20 from B; 20 from B
	printf 'request_id,member_id,reward_id,qty\nR1,1001,COFFEE,2\nR2,1001,COFFEE,2\nR3,1001,COFFEE,1\nR4,1001,COFFEE,1\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^R1,redeemed,,40,LOY- ]]
	[[ "${lines[2]}" =~ ^R2,redeemed,,40,LOY- ]]
	[[ "${lines[3]}" =~ ^R3,redeemed,,20,LOY- ]]
	[ "${lines[4]}" = "R4,refused,\"20 points needed, 0 spendable\",0," ]
	[ "$(q "SELECT points || '/' || remaining FROM lots WHERE member_id = '1001' ORDER BY lot_id")" = "60/0
40/0" ]
	[ "$(q "SELECT j.ref, o.points, m.points FROM lot_moves m JOIN journal j USING (entry_id)
	    JOIN lots o USING (lot_id) WHERE j.kind = 'redeem' ORDER BY j.entry_id, o.lot_id")" = "R1|60|-40
R2|60|-20
R2|40|-20
R3|40|-20" ]
	[ "$(balances | head -1)" = "1001:0" ]
	ledger_ok
}

@test "a retried request is known in any order: below, at or above the ledger's highest request_id" {
	base
	printf 'request_id,member_id,reward_id,qty\nB5,1001,COFFEE,1\n' >first.csv
	loy-redeem first.csv >first.out 2>/dev/null
	printf 'request_id,member_id,reward_id,qty\nA1,1002,COFFEE,1\nB5,1001,COFFEE,1\nC1,1001,COFFEE,1\nA1,1002,COFFEE,1\nC1,1001,COFFEE,2\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^A1,redeemed,,20,LOY- ]]
	[ "${lines[2]}" = "$(sed -n 2p first.out)" ]
	[[ "${lines[3]}" =~ ^C1,redeemed,,20,LOY- ]]
	[ "${lines[4]}" = "${lines[1]}" ]
	[ "${lines[5]}" = "C1,refused,request_id was used before for another request,0," ]
	[ "$stderr" = "loy-redeem: req.csv: 5 rows, 2 redeemed, 1 refused, 2 duplicate, 0 rejected" ]
	[ "$(balances)" = "1001:60
1002:10" ]
	ledger_ok
}

# Segments: saved by loy-segment, named by a reward's segments column.
@test "a reward for segments: a member in one redeems; one in none is refused and nothing of theirs is taken" {
	base
	printf 'member_id\n1001\n' | loy-segment save gala >/dev/null 2>&1
	printf 'reward_id,name,points,stock,segments\nGALA,Gala ticket,10,5,"gala, vip"\n' >gala.csv
	run -0 --separate-stderr loy-redeem --catalogue gala.csv
	[ "${lines[1]}" = "GALA,created" ]
	printf 'request_id,member_id,reward_id,qty\nG1,1001,GALA,2\nG2,1002,GALA,1\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^G1,redeemed,,20,LOY- ]]
	[ "${lines[2]}" = "G2,refused,\"reward 'GALA' is for segments gala, vip; member '1002' is in none of them\",0," ]
	[ "$stderr" = "loy-redeem: req.csv: 2 rows, 1 redeemed, 1 refused, 0 duplicate, 0 rejected" ]
	# 1001: 100 - 2 x 10; 1002 keeps its 30, its lot and its one journal entry
	[ "$(balances)" = "1001:80
1002:30" ]
	[ "$(q "SELECT points || '/' || remaining FROM lots WHERE member_id = '1002'")" = "30/30" ]
	[ "$(q "SELECT member_id || ':' || kind || ':' || points FROM journal WHERE member_id = '1002'")" = "1002:earn:30" ]
	[ "$(q "SELECT member_id, points, ref FROM journal WHERE kind = 'redeem'")" = "1001|-20|G1" ]
	[ "$(q "SELECT status, points FROM redemptions WHERE request_id = 'G2'")" = "refused|0" ]
	# 5 in stock, 2 taken
	[ "$(q "SELECT stock FROM rewards WHERE reward_id = 'GALA'")" = 3 ]
	ledger_ok
	# vip, named before it was saved, held nobody; saved, it lets 1002 in
	printf 'member_id\n1002\n' | loy-segment save vip >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nG3,1002,GALA\n' >req2.csv
	run -0 --separate-stderr loy-redeem req2.csv
	[[ "${lines[1]}" =~ ^G3,redeemed,,10,LOY- ]]
	[ "$(balances)" = "1001:80
1002:20" ]
	ledger_ok
}

@test "a reward for tiers and segments: both must hold" {
	base
	# 1003 is Diamond too, with 40 points, and not in gala
	sqlite3 "$LOY_DB" "UPDATE members SET tier = 'Diamond' WHERE member_id = '1003'"
	give_points 1003 40
	printf 'member_id\n1001\n1002\n' | loy-segment save gala >/dev/null 2>&1
	printf 'reward_id,name,points,tiers,segments\nSUITE,Suite night,15,Diamond,gala\n' >suite.csv
	loy-redeem --catalogue suite.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nS1,1002,SUITE\nS2,1001,SUITE\nS3,1003,SUITE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^S1,redeemed,,15,LOY- ]]
	[ "${lines[2]}" = "S2,refused,\"reward 'SUITE' is for tiers Diamond, not Pearl\",0," ]
	[ "${lines[3]}" = "S3,refused,reward 'SUITE' is for segments gala; member '1003' is in none of them,0," ]
	# only 1002 spent: 30 - 15
	[ "$(balances)" = "1001:100
1002:15
1003:40" ]
	ledger_ok
}

@test "an empty segments column is every member's; a reward updated to add a segment is closed to the others, as listed" {
	base
	give_points 1002 50
	printf 'member_id\n1001\n' | loy-segment save gala >/dev/null 2>&1
	# an empty column is as no column: COFFEE is as it was loaded
	printf 'reward_id,name,points,segments\nCOFFEE,Coffee,20,\n' >coffee.csv
	run -0 --separate-stderr loy-redeem --catalogue coffee.csv
	[ "${lines[1]}" = "COFFEE,unchanged" ]
	printf 'request_id,member_id,reward_id\nC1,1002,COFFEE\n' >req1.csv
	run -0 --separate-stderr loy-redeem req1.csv
	[[ "${lines[1]}" =~ ^C1,redeemed,,20,LOY- ]]
	# now for gala only
	printf 'reward_id,name,points,segments\nCOFFEE,Coffee,20,gala\n' >coffee.csv
	run -0 --separate-stderr loy-redeem --catalogue coffee.csv
	[ "${lines[1]}" = "COFFEE,updated" ]
	[ "$stderr" = "loy-redeem: coffee.csv: 1 row, 0 created, 1 updated, 0 unchanged, 0 rejected" ]
	run -0 --separate-stderr loy-redeem --catalogue coffee.csv
	[ "${lines[1]}" = "COFFEE,unchanged" ]
	run -0 --separate-stderr loy-redeem rewards
	same "$output" <<'OUT'
reward_id,name,points,cash_price,stock,partner,partner_cost,tiers,segments,valid_from,valid_to,per_member_limit
CINEMA,"Cinema ticket, any film",50,,1,Kino,6.50,,,2026-01-01,2026-12-31,2
COFFEE,Coffee,20,,,,,,gala,,,
LOUNGE,Lounge pass,25,10.00,5,Sky,25.00,"Ruby,Diamond",,,,1
OUT
	printf 'request_id,member_id,reward_id\nC2,1002,COFFEE\nC3,1001,COFFEE\n' >req2.csv
	run -0 --separate-stderr loy-redeem req2.csv
	[ "${lines[1]}" = "C2,refused,reward 'COFFEE' is for segments gala; member '1002' is in none of them,0," ]
	[[ "${lines[2]}" =~ ^C3,redeemed,,20,LOY- ]]
	# 1002: 30 + 50 - 20 (C1); 1001: 100 - 20 (C3)
	[ "$(balances)" = "1001:80
1002:60" ]
	ledger_ok
}

@test "a merged id is checked in the segments as the member it stands for" {
	base
	loy-enroll merge 1001 1003 >/dev/null 2>&1
	# saved after the merge: 1001 is kept as 1003
	printf 'member_id\n1001\n' | loy-segment save gala >/dev/null 2>&1
	[ "$(q "SELECT member_id FROM segment_members WHERE segment = 'gala'")" = 1003 ]
	printf 'reward_id,name,points,segments\nGALA,Gala ticket,10,gala\n' >gala.csv
	loy-redeem --catalogue gala.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nM1,1001,GALA\nM2,1003,GALA\nM3,1002,GALA\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^M1,redeemed,,10,LOY- ]]
	[[ "${lines[2]}" =~ ^M2,redeemed,,10,LOY- ]]
	[ "${lines[3]}" = "M3,refused,reward 'GALA' is for segments gala; member '1002' is in none of them,0," ]
	# 1003 holds 1001's 100: 100 - 2 x 10
	[ "$(balances)" = "1001:0
1002:30
1003:80" ]
	[ "$(q "SELECT member_id, points FROM journal WHERE kind = 'redeem' ORDER BY entry_id")" = "1003|-10
1003|-10" ]
	ledger_ok
}

@test "a member merged after a segment was saved counts in it as the member it stands for: its survivor redeems, earns the segment's rule and is listed" {
	base
	# saved before the merge: 1001 listed, then merged into 1003
	printf 'member_id\n1001\n1002\n' | loy-segment save gala >/dev/null 2>&1
	loy-enroll merge 1001 1003 >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments gala
	same "$output" <<'EOF'
member_id
1002
1003
EOF
	run -0 --separate-stderr loy-segment segments gala 1003 1001
	same "$output" <<'EOF'
member_id,in
1003,yes
1001,yes
EOF
	printf 'reward_id,name,points,segments\nGALA,Gala ticket,10,gala\n' >gala.csv
	loy-redeem --catalogue gala.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nM1,1003,GALA\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^M1,redeemed,,10,LOY- ]]
	# an earning rule for the segment: double points for 1003 too
	printf '[rule gala]\nmultiply = 2\nsegments = gala\n' >gala.conf
	run -0 --separate-stderr loy-program load --from 2026-11-10 gala.conf
	printf 'txn_id,member_id,occurred_at,amount\nG1,1003,2026-11-20 10:00:00,10.00\nG2,1002,2026-11-20 10:00:00,10.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	[ "$(q "SELECT group_concat(txn_id || ':' || points, ' ') FROM (SELECT txn_id, points FROM receipts WHERE txn_id LIKE 'G_' ORDER BY txn_id)")" = "G1:20 G2:20" ]
	ledger_ok
}

@test "--first-come and --draw check a reward's segments too" {
	base
	printf 'member_id\n1002\n' | loy-segment save gala >/dev/null 2>&1
	printf 'reward_id,name,points,stock,segments\nFLASH,Flash sale,5,1,gala\nLUCKY,Lucky draw,1,1,gala\n' >flash.csv
	loy-redeem --catalogue flash.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,requested_at\nF3,1002,FLASH,2026-11-23 09:20:00\nF1,1001,FLASH,2026-11-23 09:00:00\nF2,1002,FLASH,2026-11-23 09:10:00\n' >req.csv
	run -0 --separate-stderr loy-redeem --first-come req.csv
	# 1001 asked first but is not in gala: the one in stock goes to 1002's F2
	[ "$(printf '%s\n' "${lines[@]}" | cut -d, -f1-4)" = "request_id,status,reason,points
F1,refused,reward 'FLASH' is for segments gala; member '1001' is in none of them,0
F2,redeemed,,5
F3,refused,out of stock: 0 left,0" ]
	[ "$(balances)" = "1001:100
1002:25" ]
	ledger_ok
	# a draw: whatever the order, 1001's entries are refused and 1002 wins the one
	printf 'request_id,member_id,reward_id\nD1,1001,LUCKY\nD2,1002,LUCKY\nD3,1001,LUCKY\n' >draw.csv
	run -0 --separate-stderr loy-redeem --draw=gala-2026 draw.csv
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1-4 | sort)" = "D1,refused,reward 'LUCKY' is for segments gala; member '1001' is in none of them,0
D2,redeemed,,1
D3,refused,reward 'LUCKY' is for segments gala; member '1001' is in none of them,0" ]
	[ "$(balances)" = "1001:100
1002:24" ]
	ledger_ok
}

@test "a ledger of schema version 8 is migrated: its rewards get an empty segments column" {
	base
	new_ledger -d fresh.db
	# version 8 had no segments column
	sqlite3 "$LOY_DB" ".backup v8.db"
	sqlite3 v8.db "ALTER TABLE rewards DROP COLUMN segments; PRAGMA user_version = 8"
	[ "$(sqlite3 v8.db "SELECT count(*) FROM pragma_table_info('rewards') WHERE name = 'segments'")" = 0 ]
	run -0 --separate-stderr loy-redeem -d v8.db rewards
	same "$output" <<'OUT'
reward_id,name,points,cash_price,stock,partner,partner_cost,tiers,segments,valid_from,valid_to,per_member_limit
CINEMA,"Cinema ticket, any film",50,,1,Kino,6.50,,,2026-01-01,2026-12-31,2
COFFEE,Coffee,20,,,,,,,,,
LOUNGE,Lounge pass,25,10.00,5,Sky,25.00,"Ruby,Diamond",,,,1
OUT
	[ "$(sqlite3 v8.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v8.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	ledger_ok v8.db
	# its rewards stay every member's; a segment can be added to one
	printf 'request_id,member_id,reward_id\nR1,1002,COFFEE\n' >req1.csv
	run -0 --separate-stderr loy-redeem -d v8.db req1.csv
	[[ "${lines[1]}" =~ ^R1,redeemed,,20,LOY- ]]
	printf 'member_id\n1001\n' | loy-segment -d v8.db save gala >/dev/null 2>&1
	printf 'reward_id,name,points,segments\nCOFFEE,Coffee,20,gala\n' >coffee.csv
	run -0 --separate-stderr loy-redeem -d v8.db --catalogue coffee.csv
	[ "${lines[1]}" = "COFFEE,updated" ]
	printf 'request_id,member_id,reward_id\nR2,1002,COFFEE\nR3,1001,COFFEE\n' >req2.csv
	run -0 --separate-stderr loy-redeem -d v8.db req2.csv
	[ "${lines[1]}" = "R2,refused,reward 'COFFEE' is for segments gala; member '1002' is in none of them,0," ]
	[[ "${lines[2]}" =~ ^R3,redeemed,,20,LOY- ]]
	# 1001: 100 - 20 (R3); 1002: 30 - 20 (R1)
	[ "$(sqlite3 v8.db "SELECT member_id || ':' || points FROM balances ORDER BY member_id")" = "1001:80
1002:10" ]
	ledger_ok v8.db
}

@test "a redemption moves the lots on under a rolling version in force, before loy-program apply writes its settings" {
	new_ledger
	printf 'member_id\n1001\n' | loy-enroll - >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,5\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	# from 2026-12-01 points expire 12 months after the member's last activity
	loy-program show | grep -v '^# programme version' |
	    sed -e 's/^policy = months$/policy = rolling/' -e 's/^months = 24$/months = 12/' >v2.conf
	run -0 --separate-stderr loy-program --from 2026-12-01 load v2.conf
	export LOY_NOW="2026-12-05 12:00:00"
	[ "$(q "SELECT value FROM settings WHERE key = 'expiry_policy'")" = months ]
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-12-02 10:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	[ "$(q "SELECT expires_at FROM lots")" = "2027-12-02 10:00:00" ]
	# the redemption on 12-04 is activity: the lot lives to 2027-12-04
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-12-04 09:00:00\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[[ "${lines[1]}" =~ ^R1,redeemed,,5,LOY- ]]
	[ "$(q "SELECT remaining || ':' || expires_at FROM lots")" = "25:2027-12-04 09:00:00" ]
	ledger_ok
}

@test "a per_member_limit counts the redemptions of a member merged into the one asking" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nD,1003,2026-11-03 10:00:00,30.00\n' >pos3.csv
	loy-accrue pos3.csv >/dev/null 2>&1
	printf 'reward_id,name,points,per_member_limit\nMUG,Mug,10,2\n' >mug.csv
	loy-redeem --catalogue mug.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR1,1003,MUG,2\n' >r1.csv
	run -0 --separate-stderr loy-redeem r1.csv
	[[ "${lines[1]}" =~ ^R1,redeemed,,20,LOY- ]]
	# 1003 was a duplicate of 1001: its two mugs are 1001's
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR2,1001,MUG,1\nR3,1003,MUG,1\n' >r2.csv
	run -0 --separate-stderr loy-redeem r2.csv
	same "$output" <<OUT
$HEAD
R2,refused,limit of 2 a member: 2 redeemed already,0,
R3,refused,limit of 2 a member: 2 redeemed already,0,
OUT
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'redeemed'")" = 1 ]
	# once the first is cancelled, the member may have them again
	loy-redeem cancel R1 >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR4,1001,MUG,2\n' >r4.csv
	run -0 --separate-stderr loy-redeem r4.csv
	[[ "${lines[1]}" =~ ^R4,redeemed,,20,LOY- ]]
	ledger_ok
}

@test "--window: a date alone read with --date-format ends at its last second; a time given is kept" {
	base
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,23 Nov 2026 10:00\nW2,1001,COFFEE,24 Nov 2026 00:00\n' >req.csv
	run -0 --separate-stderr loy-redeem -n --date-format '%d %b %Y %H:%M' --window '23 Nov 2026 00:00,23 Nov 2026 23:59' req.csv
	[[ "${lines[1]}" =~ ^W1,redeemed,,20,LOY- ]]
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,23 Nov 2026\nW2,1001,COFFEE,24 Nov 2026\n' >day.csv
	run -0 --separate-stderr loy-redeem --date-format '%d %b %Y' --window '23 Nov 2026,23 Nov 2026' day.csv
	[[ "${lines[1]}" =~ ^W1,redeemed,,20,LOY- ]]
	[ "${lines[2]}" = "W2,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 23:59:59,0," ]
	# midnight given as a time is midnight
	printf 'request_id,member_id,reward_id,requested_at\nW3,1001,COFFEE,2026112309\n' >w3.csv
	run -0 --separate-stderr loy-redeem --date-format '%Y%m%d%H' --window '2026112300,2026112300' w3.csv
	[ "${lines[1]}" = "W3,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 00:00:00,0," ]
	# a day alone under a format that gives a time too, as the format
	# writes its date, as in ISO 8601: its first second, an end its last
	printf 'request_id,member_id,reward_id,requested_at\nW4,1001,COFFEE,23.11.2026 10:00\nW5,1001,COFFEE,24.11.2026\n' >w4.csv
	run -0 --separate-stderr loy-redeem --date-format '%d.%m.%Y %H:%M' --window '23.11.2026,23.11.2026' w4.csv
	[[ "${lines[1]}" =~ ^W4,redeemed,,20,LOY- ]]
	[ "${lines[2]}" = "W5,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 23:59:59,0," ]
	[ "$(q "SELECT requested_at FROM redemptions WHERE request_id = 'W5'")" = "2026-11-24 00:00:00" ]
	ledger_ok
}

@test "--window: a time with a UTC offset is read in the programme's time zone, whatever TZ says" {
	base --set timezone=Europe/Berlin
	# 00:00Z to 10:00Z is 01:00 to 11:00 in Berlin in November
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,2026-11-23 00:30:00\nW2,1001,COFFEE,2026-11-23 10:30:00\n' >req.csv
	TZ=UTC run -0 --separate-stderr loy-redeem --window '2026-11-23T00:00:00Z,2026-11-23T10:00:00Z' req.csv
	[ "${lines[1]}" = "W1,refused,requested outside the window 2026-11-23 01:00:00 to 2026-11-23 11:00:00,0," ]
	[[ "${lines[2]}" =~ ^W2,redeemed,,20,LOY- ]]
	[ "$(q "SELECT group_concat(request_id || ':' || status, ' ') FROM redemptions")" = "W1:refused W2:redeemed" ]
	# a bad window is still a usage error, and changes nothing
	before=$(dump)
	run -64 --separate-stderr loy-redeem --window '2026-11-23T10:00:00Z,2026-11-23T09:00:00Z' req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: --window '2026-11-23T10:00:00Z,2026-11-23T09:00:00Z' ends before it starts" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--window refuses a request made outside it before any other check, its qty's too" {
	base
	printf 'request_id,member_id,reward_id,qty,requested_at\nW1,1001,COFFEE,0,2026-11-22 10:00:00\nW2,1001,COFFEE,0,2026-11-23 10:00:00\n' >req.csv
	run -0 --separate-stderr loy-redeem --window '2026-11-23,2026-11-23' req.csv
	same "$output" <<OUT
$HEAD
W1,refused,requested outside the window 2026-11-23 00:00:00 to 2026-11-23 23:59:59,0,
W2,refused,qty must be 1 or more,0,
OUT
	[ "$(q "SELECT reason FROM redemptions WHERE request_id = 'W1'")" = "requested outside the window 2026-11-23 00:00:00 to 2026-11-23 23:59:59" ]
	ledger_ok
}

@test "a draw refuses a request without the points for them, not as not drawn, whether the stock is gone or not" {
	base
	printf 'reward_id,name,points,stock\nPRIZE,Prize,50,1\n' >prize.csv
	loy-redeem --catalogue prize.csv >/dev/null 2>&1
	# 1001 has 100 points, 1002 30, 1003 none: only 1001 can win
	printf 'request_id,member_id,reward_id\nP1,1002,PRIZE\nP2,1003,PRIZE\nP3,1001,PRIZE\nP4,1002,PRIZE\nP5,1003,PRIZE\n' >req.csv
	run -0 --separate-stderr loy-redeem --draw=gala req.csv
	[ "$(printf '%s\n' "${lines[@]:1}" | sort | sed 's/,LOY-.*/,LOY-/')" = 'P1,refused,"50 points needed, 30 spendable",0,
P2,refused,"50 points needed, 0 spendable",0,
P3,redeemed,,50,LOY-
P4,refused,"50 points needed, 30 spendable",0,
P5,refused,"50 points needed, 0 spendable",0,' ]
	# 1001 again, once the stock is gone: not drawn
	printf 'request_id,member_id,reward_id\nP6,1001,PRIZE\nP7,1002,PRIZE\n' >again.csv
	run -0 --separate-stderr loy-redeem --draw=gala again.csv
	[ "$(printf '%s\n' "${lines[@]:1}" | sort)" = 'P6,refused,not drawn: out of stock: 0 left,0,
P7,refused,"50 points needed, 30 spendable",0,' ]
	[ "$(balances)" = "1001:50
1002:30" ]
	ledger_ok
}

@test "rewards and codes say why their output cannot be written, with status 74" {
	base
	run -74 --separate-stderr bash -c 'loy-redeem rewards >/dev/full'
	[ "$stderr" = "loy-redeem: cannot write the output: No space left on device" ]
	run -74 --separate-stderr bash -c 'loy-redeem codes --table >/dev/full'
	[ "$stderr" = "loy-redeem: cannot write the output: No space left on device" ]
}

@test "a retried request naming the member its first member was merged into since gets its first answer" {
	base
	printf 'request_id,member_id,reward_id\nK1,1001,COFFEE\n' >k.csv
	run -0 --separate-stderr loy-redeem k.csv
	first="${lines[1]}"
	[[ "$first" =~ ^K1,redeemed,,20,LOY- ]]
	loy-enroll merge 1001 1002 >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nK1,1002,COFFEE\n' >again.csv
	run -0 --separate-stderr loy-redeem again.csv
	[ "${lines[1]}" = "$first" ]
	[ "$stderr" = "loy-redeem: again.csv: 1 row, 0 redeemed, 0 refused, 1 duplicate, 0 rejected"$'\n'"$(idle loy-redeem)" ]
	# the merged id, and another request under K1, as before
	printf 'request_id,member_id,reward_id\nK1,1001,COFFEE\nK1,1003,COFFEE\n' >more.csv
	run -0 --separate-stderr loy-redeem more.csv
	[ "${lines[1]}" = "$first" ]
	[ "${lines[2]}" = "K1,refused,request_id was used before for another request,0," ]
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'redeem'")" = 1 ]
	ledger_ok
}

@test "a transfer sent again naming the member its receiver was merged into since gets its first answer" {
	base --set transfers=yes
	printf 'transfer_id,from_member,to_member,points\nT1,1001,1003,40\n' >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "${lines[1]}" = "T1,transferred,,40" ]
	loy-enroll merge 1003 1002 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nT1,1001,1002,40\nT1,1001,1002,41\n' >again.csv
	run -0 --separate-stderr loy-redeem --transfers again.csv
	same "$output" <<'OUT'
transfer_id,status,reason,points
T1,transferred,,40
T1,refused,transfer_id was used before for another transfer,0
OUT
	[ "$(balances)" = "1001:60
1002:70
1003:0" ]
	ledger_ok
}

@test "--codes reads no dates: it refuses --date-format, as --adjust does, while the catalogue and requests take it" {
	base
	printf 'reward_id,code\nCINEMA,K-1\n' >codes.csv
	local before
	before=$(dump)
	run -64 --separate-stderr loy-redeem --codes --date-format %d.%m.%Y codes.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-redeem: --codes reads no dates: it takes no --date-format" ]
	[ "${stderr_lines[-1]}" = "Try 'loy-redeem --help' for more information." ]
	[ "$(dump)" = "$before" ]
	printf 'reward_id,name,points,valid_from\nMUG,Mug,10,01.11.2026\n' >mug.csv
	run -0 --separate-stderr loy-redeem -n --catalogue --date-format %d.%m.%Y mug.csv
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,23.11.2026\n' >req.csv
	run -0 --separate-stderr loy-redeem -n --date-format %d.%m.%Y req.csv
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-redeem --codes codes.csv
	ledger_ok
}

@test "cancel, codes and rewards refuse the options they would ignore: --rejects, --map, --date-format; -n for a listing" {
	base
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	local before verb
	before=$(dump)
	run -64 --separate-stderr loy-redeem --rejects bad.csv cancel R1
	[ "${stderr_lines[0]}" = "loy-redeem: cancel reads no input: it takes neither --rejects, --map nor --date-format" ]
	[ -z "$output" ]
	[ ! -e bad.csv ]
	run -64 --separate-stderr loy-redeem --date-format %d.%m.%Y cancel R1
	[ "${stderr_lines[0]}" = "loy-redeem: cancel reads no input: it takes neither --rejects, --map nor --date-format" ]
	for verb in codes rewards; do
		run -64 --separate-stderr loy-redeem --map reward_id=Id "$verb"
		[ "${stderr_lines[0]}" = "loy-redeem: $verb reads no input: it takes neither --rejects, --map nor --date-format" ]
		run -64 --separate-stderr loy-redeem -n "$verb"
		[ "${stderr_lines[0]}" = "loy-redeem: $verb writes nothing: it takes no -n" ]
	done
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-redeem -n cancel R1
	[ "${lines[1]}" = "R1,cancelled,20" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-redeem --tsv rewards
	run -0 --separate-stderr loy-redeem cancel R1
	ledger_ok
}

@test "a member_id, from_member or to_member with a line break or another control character is a bad row" {
	base --set transfers=yes
	before=$(dump)
	printf 'request_id,member_id,reward_id\nR1,"10\n01",COFFEE\nR2,1001,COFFEE\n' >req.csv
	for o in "" --first-come; do
		run -65 --separate-stderr loy-redeem $o req.csv
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: member_id '10\n01' has a control character" ]
	done
	printf 'transfer_id,from_member,to_member,points\nX1,1001,"10\03303",5\nX2,"10\t01",1003,5\n' >tr.csv
	run -65 --separate-stderr loy-redeem --transfers tr.csv
	[ "${stderr_lines[0]}" = "loy-redeem: tr.csv:2: to_member '10\x1b03' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-redeem: tr.csv:3: from_member '10\t01' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-redeem --rejects rej.csv req.csv
	[ "$(q "SELECT group_concat(request_id) FROM redemptions")" = R2 ]
	ledger_ok
}

@test "a request_id or transfer_id with a line break, a tab or another control character is a bad row" {
	base --set transfers=yes
	before=$(dump)
	printf 'request_id,member_id,reward_id\n"R\0331",1001,COFFEE\nR2,1001,COFFEE\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: request_id 'R\x1b1' has a control character" ]
	printf 'transfer_id,from_member,to_member,points\n"X\t1",1001,1003,5\n' >tr.csv
	run -65 --separate-stderr loy-redeem --transfers tr.csv
	[ "${stderr_lines[0]}" = "loy-redeem: tr.csv:2: transfer_id 'X\t1' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-redeem --rejects rej.csv req.csv
	[ "$(q "SELECT group_concat(request_id) FROM redemptions")" = R2 ]
	ledger_ok
}

@test "a reward_id, name, partner, code or channel with a line break, a tab or another control character is a bad row" {
	base
	before=$(dump)
	printf 'reward_id,name,points,partner\nR1,"Mug\033[2J",10,\n"R\t2",Cap,10,\nR3,Hat,10,"Acme\nInc"\nR4,Pen,10,Acme\n' >cat.csv
	run -65 --separate-stderr loy-redeem --catalogue cat.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-redeem: cat.csv:2: name 'Mug\x1b[2J' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-redeem: cat.csv:3: reward_id 'R\t2' has a control character" ]
	[ "${stderr_lines[2]}" = "loy-redeem: cat.csv:4: partner 'Acme\nInc' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-redeem --rejects rej.csv --catalogue cat.csv
	[ "$(q "SELECT group_concat(reward_id) FROM rewards WHERE reward_id LIKE 'R_'")" = R4 ]
	before=$(dump)
	printf 'reward_id,code,partner\nR4,"K\0071",\nR4,K2,"Ac\177me"\n' >codes.csv
	run -65 --separate-stderr loy-redeem --codes codes.csv
	[ "${stderr_lines[0]}" = "loy-redeem: codes.csv:2: code 'K\x071' has a control character" ]
	[ "${stderr_lines[1]}" = "loy-redeem: codes.csv:3: partner 'Ac\x7fme' has a control character" ]
	printf 'request_id,member_id,reward_id,channel\nQ1,1001,COFFEE,"we\033b"\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: channel 'we\x1bb' has a control character" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a member_id, from_member or to_member written as 1001.0 is read as 1001, as loy-accrue reads it" {
	base --set transfers=yes
	printf 'request_id,member_id,reward_id\nR1,1001.0,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "$(q "SELECT member_id FROM redemptions WHERE request_id = 'R1'")" = 1001 ]
	printf 'transfer_id,from_member,to_member,points\nX1,1001.0,1003.00,5\n' >tr.csv
	run -0 --separate-stderr loy-redeem --transfers tr.csv
	[ "$(q "SELECT points FROM balances WHERE member_id = '1003'")" = 5 ]
	ledger_ok
}

@test "--window: a date alone with a UTC offset runs from its first to its last second at that offset" {
	base
	# 23 Nov at +14:00 is 22 Nov 10:00 to 23 Nov 09:59:59 in UTC, the
	# programme's zone; a request of 24 Nov at +14:00 is outside it
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,2026-11-23 +1400\nW2,1001,COFFEE,2026-11-24 +1400\n' >req.csv
	run -0 --separate-stderr loy-redeem --date-format '%Y-%m-%d %z' --window '2026-11-23 +1400,2026-11-23 +1400' req.csv
	[[ "${lines[1]}" =~ ^W1,redeemed,,20,LOY- ]]
	[ "${lines[2]}" = "W2,refused,requested outside the window 2026-11-22 10:00:00 to 2026-11-23 09:59:59,0," ]
	ledger_ok
}

@test "transfers that waited for another writer are allowed or refused as the programme version that writer loaded says" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	base --set transfers=yes
	loy-program show | tail -n +2 | sed 's/^transfers = yes$/transfers = no/' >none.conf
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1003,10,2026-11-20 10:00:00\n' >tr.csv
	before=$(balances)
	commit_version_while none.conf "2026-11-01 00:00:00"
	while_locked commit_version loy-redeem --transfers --busy-timeout 10 tr.csv
	[ "$status" = 0 ]
	[ "$(sed -n 2p out.csv)" = "T1,refused,the programme version in force at 2026-11-20 10:00:00 does not allow transfers,0" ]
	[ "$(balances)" = "$before" ]
	ledger_ok
}

@test "a field mapped with --map is read from its column alone, not from a column of its own name" {
	base
	printf 'request_id,member_id,reward_id,Praemie\nW1,1001,CINEMA,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem --map reward_id=Praemie req.csv
	[ "${lines[1]}" = "W1,redeemed,,20,${lines[1]##*,}" ]
	[ "$(q "SELECT reward_id FROM redemptions")" = COFFEE ]
	ledger_ok
}

@test "requests and transfers that waited for another writer read requested_at with the future_tolerance_hours that writer left" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	base --set transfers=yes
	before=$(balances)
	# eight hours ahead: within the default 24, not within 1
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-11-23 20:00:00\n' >req.csv
	commit_sql_while "UPDATE settings SET value = '1' WHERE key = 'future_tolerance_hours';"
	while_locked commit_version loy-redeem --busy-timeout 10 req.csv
	[ "$status" = 65 ]
	grep -qxF "loy-redeem: req.csv:2: requested_at '2026-11-23 20:00:00' is in the future" err.txt
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1003,10,2026-11-23 20:00:00\n' >tr.csv
	commit_sql_while "UPDATE settings SET value = '2' WHERE key = 'future_tolerance_hours';"
	while_locked commit_version loy-redeem --transfers --busy-timeout 10 tr.csv
	[ "$status" = 65 ]
	grep -qxF "loy-redeem: tr.csv:2: requested_at '2026-11-23 20:00:00' is in the future" err.txt
	[ "$(balances)" = "$before" ]
	ledger_ok
}

# The programme's money changed to whole units while the catalogue is listed.
to_whole_units() {
	q "UPDATE settings SET value = '0' WHERE key = 'decimals'"
}

@test "rewards prints the catalogue's money by the settings of the moment it reads it, also when they change after it opened the ledger" {
	need_faults
	new_ledger
	printf 'reward_id,name,points,partner,partner_cost\nCINEMA,Cinema ticket,30,Kino,6.50\n' >rw.csv
	loy-redeem --catalogue rw.csv >/dev/null 2>&1
	run -0 loy-redeem rewards
	[ "${lines[1]}" = "CINEMA,Cinema ticket,30,,,Kino,6.50,,,,," ]
	while_opened to_whole_units loy-redeem rewards
	[ "$status" -eq 0 ]
	[ ! -s err.txt ]
	[ "$(sed -n 2p out.csv)" = "CINEMA,Cinema ticket,30,,,Kino,650,,,,," ]
	run -0 loy-redeem rewards
	[ "$(cat out.csv)" = "$output" ]
	ledger_ok
}

@test "--window of requests that waited for another writer is read in the time zone that writer left" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	base
	# 10:00Z to 11:00Z: 11:00 to 12:00 in Berlin in November, which
	# holds 11:30; in UTC it would not
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,2026-11-23 11:30:00\n' >req.csv
	commit_sql_while "UPDATE settings SET value = 'Europe/Berlin' WHERE key = 'timezone';"
	while_locked commit_version loy-redeem --busy-timeout 10 --window '2026-11-23T10:00:00Z,2026-11-23T11:00:00Z' req.csv
	[ "$status" = 0 ] || { cat err.txt; false; }
	[[ "$(sed -n 2p out.csv)" =~ ^W1,redeemed,,20,LOY- ]]
	[ "$(q "SELECT request_id || ':' || status FROM redemptions")" = "W1:redeemed" ]
	# a window that ends before it starts in the time zone found then is
	# a usage error, and changes nothing: 10:00Z to 10:30 holds in UTC,
	# not in Berlin
	q "UPDATE settings SET value = 'UTC' WHERE key = 'timezone'"
	before=$(q "SELECT count(*) || ' ' || max(run_id) FROM runs"):$(balances)
	printf 'request_id,member_id,reward_id,requested_at\nW2,1001,COFFEE,2026-11-23 10:15:00\n' >req2.csv
	commit_sql_while "UPDATE settings SET value = 'Europe/Berlin' WHERE key = 'timezone';"
	while_locked commit_version loy-redeem --busy-timeout 10 --window '2026-11-23T10:00:00Z,2026-11-23 10:30' req2.csv
	[ "$status" = 64 ]
	[ "$(cat err.txt)" = "loy-redeem: --window '2026-11-23T10:00:00Z,2026-11-23 10:30' ends before it starts" ]
	[ ! -s out.csv ]
	[ "$(q "SELECT count(*) || ' ' || max(run_id) FROM runs"):$(balances)" = "$before" ]
	[ "$(q "SELECT request_id || ':' || status FROM redemptions")" = "W1:redeemed" ]
	ledger_ok
}

@test "cancel that waited for another writer past midnight stamps its entry with the time it wrote at" {
	need_faults
	base
	printf 'request_id,member_id,reward_id,qty\nR2,1001,COFFEE,1\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	LOY_NOW="2026-11-23 23:59:50" waited_till "2026-11-24 00:00:10" loy-redeem --busy-timeout 10 cancel R2
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(cat out.csv)" = "request_id,status,points
R2,cancelled,20" ]
	[ "$(q "SELECT occurred_at FROM journal WHERE entry_id = (SELECT cancel_entry FROM redemptions WHERE request_id = 'R2')")" = "2026-11-24 00:00:10" ]
	ledger_ok
}
