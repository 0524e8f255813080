#!/usr/bin/env bats
# loy-expire: lots expire on their expiry date, one journal entry a member,
# exactly once however often it runs; --notice lists without expiring.
# The programme here lets points expire 1 month after the purchase.

load helper

HEAD="member_id,points,lots,as_of"

# Members 1001-1003; 1001 earns 30 (lot expiring 2026-10-10 10:00) and
# 20 (2026-11-20), 1002 earns 7 (2026-11-22), 1003 earns 5 (2026-12-05).
base() {
	new_ledger --set expiry_months=1
	printf 'member_id,name,phone,email\n1001,Anna,+49 30 1234567,anna@example.org\n1002,Chidi,+44 20 7946 0958,chidi@example.net\n1003,Fang,,wang@example.cn\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\nB,1001,2026-10-20 10:00:00,20.00\nC,1002,2026-10-22 09:00:00,7.00\nD,1003,2026-11-05 08:00:00,5.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
}

@test "lots past their date expire as one entry a member" {
	base
	run -0 --separate-stderr loy-expire --as-of 2026-11-21
	# 1001: lots of 2026-10-10 and 2026-11-20 (30 + 20); 1002's expires on the 22nd
	same "$output" <<OUT
$HEAD
1001,-50,2,2026-11-21
OUT
	[ "$(balances)" = "1001:0
1002:7
1003:5" ]
	[ "$(q "SELECT kind, points, occurred_at, source, ref FROM journal WHERE kind = 'expire'")" = "expire|-50|2026-11-21 23:59:59|expiry|2026-11-21" ]
	[ "$(q "SELECT count(*) FROM lot_moves")" = 2 ]
	ledger_ok
}

@test "a lot expires on its expiry date, not a day later" {
	base
	run -0 --separate-stderr loy-expire --as-of 2026-11-22
	same "$output" <<OUT
$HEAD
1001,-50,2,2026-11-22
1002,-7,1,2026-11-22
OUT
	ledger_ok
}

@test "running again changes nothing, and a missed month catches up exactly" {
	base
	run -0 --separate-stderr loy-expire --as-of 2026-10-31
	[ "${lines[1]}" = "1001,-30,1,2026-10-31" ]
	[ "$stderr" = "loy-expire: as of 2026-10-31: 30 points in 1 lot of 1 member expired" ]
	before=$(dump)
	run -0 --separate-stderr loy-expire --as-of 2026-10-31
	[ "$output" = "$HEAD" ]
	[ "$stderr" = "loy-expire: as of 2026-10-31: nothing due (lots expired by an earlier run stay expired)" ]
	# not even a record of the run
	[ "$(dump)" = "$before" ]
	# today (2026-11-23): the rest that is due, nothing twice
	run -0 --separate-stderr loy-expire
	same "$output" <<OUT
$HEAD
1001,-20,1,2026-11-23
1002,-7,1,2026-11-23
OUT
	[ "$(balances)" = "1001:0
1002:0
1003:5" ]
	[ "$(q "SELECT sum(points) FROM journal WHERE kind = 'expire'")" = -57 ]
	ledger_ok
}

@test "--date-format that gives a time of day too reads --as-of as it writes its date, and refuses a time" {
	run -0 loy-expire --help
	[ "${lines[0]}" = "usage: loy-expire [-nV] [-d ledger] [--busy-timeout seconds] [--as-of date]" ]
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy-expire.1" |
	    grep -A1 -x '\.Op Fl \\-as-of Ar date' | grep -qx '\.Op Fl \\-date-format Ar fmt'
	base
	before=$(dump)
	run -64 --separate-stderr loy-expire --date-format '%d.%m.%Y %H:%M' --as-of '21.11.2026 10:00'
	[ "$stderr" = "loy-expire: --as-of '21.11.2026 10:00' is not a date" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-expire --date-format '%d.%m.%Y %H:%M' --as-of 21.11.2026
	same "$output" <<OUT
$HEAD
1001,-50,2,2026-11-21
OUT
	ledger_ok
}

@test "an as-of date in the future is refused and nothing changes" {
	base
	before=$(dump)
	run -64 --separate-stderr loy-expire --as-of 2026-11-24
	[ "$stderr" = "loy-expire: --as-of '2026-11-24' is in the future: points expire when their day has come" ]
	run -64 --separate-stderr loy-expire --as-of 2026-02-30
	[ "$stderr" = "loy-expire: --as-of '2026-02-30' is not a valid date" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a dry run prints what would expire and commits nothing" {
	base
	before=$(dump)
	run -0 --separate-stderr loy-expire --dry-run
	[ "${lines[1]}" = "1001,-50,2,2026-11-23" ]
	same "$stderr" <<'ERR'
loy-expire: as of 2026-11-23: 57 points in 3 lots of 2 members expired
loy-expire: dry run: nothing committed
ERR
	[ "$(dump)" = "$before" ]
}

@test "--notice lists the points expiring within the days given, expiring nothing" {
	base
	before=$(dump)
	# now is 2026-11-23 12:00: 1003's lot expires 2026-12-05 08:00; the
	# others are past their date already
	run -0 --separate-stderr loy-expire --notice 30
	same "$output" <<'OUT'
member_id,name,phone,email,points,first_expiry,status
1003,Fang,,wang@example.cn,5,2026-12-05 08:00:00,active
OUT
	run -0 --separate-stderr loy-expire --notice 10
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--notice leaves out a forgotten member, whose points stay in the books; a closed one is listed with its status" {
	base
	printf 'txn_id,member_id,occurred_at,amount\nE,1002,2026-11-06 08:00:00,9.00\n' >more.csv
	loy-accrue more.csv >/dev/null 2>&1
	printf 'member_id\n1004\n' >m4.csv
	loy-enroll m4.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nF,1004,2026-11-07 08:00:00,4.00\n' >f.csv
	loy-accrue f.csv >/dev/null 2>&1
	loy-enroll forget 1003 >/dev/null 2>&1
	loy-enroll close 1004 >/dev/null 2>&1
	run -0 --separate-stderr loy-expire --notice 30
	same "$output" <<'OUT'
member_id,name,phone,email,points,first_expiry,status
1002,Chidi,+44 20 7946 0958,chidi@example.net,9,2026-12-06 08:00:00,active
1004,,,,4,2026-12-07 08:00:00,closed
OUT
	# the forgotten member's points are still owed, and expire on their day
	[ "$(q "SELECT points FROM balances WHERE member_id = '1003'")" = 5 ]
	LOY_NOW="2026-12-05 12:00:00" run -0 --separate-stderr loy-expire
	[ "$(q "SELECT points FROM balances WHERE member_id = '1003'")" = 0 ]
	ledger_ok
}

@test "--notice leaves out a lot whose date is today: it can no longer be spent" {
	base
	# 1003's lot expires 2026-12-05 08:00; at 06:00 that day it is out of
	# reach already (loy-redeem spends lots up to the day before their date)
	LOY_NOW="2026-12-05 06:00:00" run -0 --separate-stderr loy-expire --notice 30
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	printf 'reward_id,name,points\nPEN,Pen,1\n' >cat.csv
	loy-redeem --catalogue cat.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1003,PEN\n' >req.csv
	LOY_NOW="2026-12-05 06:00:00" run -0 --separate-stderr loy-redeem -n req.csv
	[ "${lines[1]}" = 'R1,refused,"1 points needed, 0 spendable",0,' ]
	# the day before, it is listed
	LOY_NOW="2026-12-04 23:00:00" run -0 --separate-stderr loy-expire --notice 30
	[ "${lines[1]}" = "1003,Fang,,wang@example.cn,5,2026-12-05 08:00:00,active" ]
	ledger_ok
}

@test "--notice lists a lot whose date is the window's last day, whatever its time of day" {
	new_ledger --set expiry_policy=year-end --set expiry_years=0
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-06-01 10:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	# the lot goes on 2026-12-31 (23:59:59): the last day to spend it is
	# the 30th, and the run of the 30th at 03:00 lists it
	LOY_NOW="2026-12-30 03:00:00" run -0 --separate-stderr loy-expire --notice 1
	same "$output" <<'OUT'
member_id,name,phone,email,points,first_expiry,status
1001,,,,30,2026-12-31 23:59:59,active
OUT
	LOY_NOW="2026-12-01 03:00:00" run -0 --separate-stderr loy-expire --notice 30
	[ "${lines[1]}" = "1001,,,,30,2026-12-31 23:59:59,active" ]
	# a day too few, and 0 days, list nobody
	LOY_NOW="2026-12-01 03:00:00" run -0 --separate-stderr loy-expire --notice 29
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	LOY_NOW="2026-12-30 03:00:00" run -0 --separate-stderr loy-expire --notice 0
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	ledger_ok
}

@test "a balance partly spent by a return expires only what is left" {
	base
	# 1001 returns 12.00 of receipt A: 12 of A's 30 points come back first
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-11-01 10:00:00,-12.00,A\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-expire --as-of 2026-11-21
	[ "${lines[1]}" = "1001,-38,2,2026-11-21" ]
	[ "$(balances | head -1)" = "1001:0" ]
	ledger_ok
}

@test "usage: --notice goes alone, operands are refused, a bad number is refused" {
	run -64 --separate-stderr loy-expire --notice 30 --as-of 2026-11-01
	[ "${stderr_lines[0]}" = "loy-expire: --notice expires nothing: it takes neither --as-of, --date-format nor --dry-run" ]
	run -64 --separate-stderr loy-expire --notice 30 -n
	[ "${stderr_lines[0]}" = "loy-expire: --notice expires nothing: it takes neither --as-of, --date-format nor --dry-run" ]
	run -64 --separate-stderr loy-expire now
	run -64 --separate-stderr loy-expire --notice soon
	[ "${stderr_lines[0]}" = "loy-expire: --notice 'soon' is not a whole number from 0 to 3660" ]
	run -0 loy-expire --version
	[ "$output" = "loy-expire 0.1.0" ]
}

@test "--date-format without --as-of is a usage error, with --notice too, and nothing changes" {
	base
	before=$(dump)
	run -64 --separate-stderr loy-expire --date-format %d.%m.%Y
	[ "${stderr_lines[0]}" = "loy-expire: --date-format is the format of --as-of: give it" ]
	[ "$output" = "" ]
	[ "$(dump)" = "$before" ]
	run -64 --separate-stderr loy-expire --notice 30 --date-format %d.%m.%Y
	[ "${stderr_lines[0]}" = "loy-expire: --notice expires nothing: it takes neither --as-of, --date-format nor --dry-run" ]
	[ "$output" = "" ]
	[ "$(dump)" = "$before" ]
	# with --as-of it reads that date
	run -0 --separate-stderr loy-expire --date-format %d.%m.%Y --as-of 21.11.2026
	[ "${lines[0]}" = "$HEAD" ]
	ledger_ok
}

@test "catching up ends where a punctual run would, with a return in between" {
	new_ledger --set expiry_months=1
	printf 'member_id\n1001\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	# A: 30 points expiring 2026-10-10; B: 20 points expiring 2026-12-10
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\nB,1001,2026-11-10 10:00:00,20.00\n' >pos.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-15 10:00:00,-12.00,A\n' >ret.csv
	loy-accrue pos.csv >/dev/null 2>&1
	cp "$LOY_DB" late.db
	# punctual: A expires on its day, then the return takes 12 of B
	loy-expire --as-of 2026-10-10 >/dev/null 2>&1
	loy-accrue ret.csv >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	# late: the return comes first (A is past its date: B pays), then one run catches up
	loy-accrue -d late.db ret.csv >/dev/null 2>&1
	loy-expire -d late.db >/dev/null 2>&1
	[ "$(q "SELECT points FROM balances")" = 8 ]
	[ "$(sqlite3 late.db "SELECT points FROM balances")" = 8 ]
	[ "$(q "SELECT group_concat(remaining) FROM lots")" = "$(sqlite3 late.db "SELECT group_concat(remaining) FROM lots")" ]
	ledger_ok
	ledger_ok late.db
}

# One member, 1001: A, 30 points expiring 2026-10-10; B, 20 points
# expiring 2026-12-10; allow_negative as $1.  late.db is the same ledger.
past_and_in_date() {
	new_ledger --set expiry_months=1 --set allow_negative="$1"
	printf 'member_id\n1001\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\nB,1001,2026-11-10 10:00:00,20.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	cp "$LOY_DB" late.db
}

# A ledger's balances, open lots, and journal summed by kind.
books() {
	sqlite3 "$1" "SELECT 'balance', member_id, points FROM balances ORDER BY member_id;
	    SELECT 'lot', earned_at, remaining FROM lots ORDER BY lot_id;
	    SELECT kind, sum(points), count(*) FROM journal GROUP BY kind ORDER BY kind"
}

@test "a return owing more than the lots in date hold expires the lots past their date first: late ends where punctual does, below zero" {
	past_and_in_date yes
	# all of A back on 2026-10-15: 30 points owed, B holds 20, A is past its date
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-15 10:00:00,-30.00,A\n' >ret.csv
	loy-expire --as-of 2026-10-10 >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue ret.csv
	punctual=$output
	run -0 --separate-stderr loy-accrue -d late.db ret.csv
	[ "$output" = "$punctual" ]
	[ "${lines[1]}" = "R,1001,2026-10-15 10:00:00,-30.00,-30,returned," ]
	# A expired before the return, as of its day, as loy-expire writes it
	[ "$(sqlite3 late.db "SELECT kind, points, occurred_at, source, ref FROM journal WHERE kind = 'expire'")" = "expire|-30|2026-10-15 23:59:59|expiry|2026-10-15" ]
	run -0 --separate-stderr loy-expire -d late.db
	[ "$stderr" = "loy-expire: as of 2026-11-23: nothing due (lots expired by an earlier run stay expired)" ]
	loy-expire >/dev/null 2>&1
	same "$(books late.db)" <<OUT
balance|1001|-10
lot|2026-09-10 10:00:00|0
lot|2026-11-10 10:00:00|0
earn|50|2
expire|-30|1
return|-30|1
OUT
	[ "$(books late.db)" = "$(books "$LOY_DB")" ]
	ledger_ok
	ledger_ok late.db
}

@test "a return owing more than the lots in date hold, without allow_negative, recovers what a punctual run leaves, and journals the same" {
	past_and_in_date no
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-15 10:00:00,-30.00,A\n' >ret.csv
	loy-expire --as-of 2026-10-10 >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue ret.csv
	punctual=$output
	run -0 --separate-stderr loy-accrue -d late.db ret.csv
	[ "$output" = "$punctual" ]
	[ "${lines[1]}" = "R,1001,2026-10-15 10:00:00,-30.00,-20,returned,10 points not recovered: the balance may not go below zero" ]
	loy-expire -d late.db >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	same "$(books late.db)" <<OUT
balance|1001|0
lot|2026-09-10 10:00:00|0
lot|2026-11-10 10:00:00|0
earn|50|2
expire|-30|1
return|-20|1
OUT
	[ "$(books late.db)" = "$(books "$LOY_DB")" ]
	ledger_ok
	ledger_ok late.db
}

@test "a debit owing more than the lots in date hold expires the lots past their date first: late ends where punctual does, below zero" {
	past_and_in_date yes
	printf 'member_id,points,reason,ref\n1001,-25,goodwill,D1\n' >adj.csv
	loy-expire --as-of 2026-10-10 >/dev/null 2>&1
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	punctual=$output
	run -0 --separate-stderr loy-accrue -d late.db --adjust adj.csv
	[ "$output" = "$punctual" ]
	[ "$(sqlite3 late.db "SELECT kind, points, occurred_at, source, ref FROM journal WHERE kind = 'expire'")" = "expire|-30|2026-11-23 12:00:00|expiry|2026-11-23" ]
	run -0 --separate-stderr loy-expire -d late.db
	[ "$stderr" = "loy-expire: as of 2026-11-23: nothing due (lots expired by an earlier run stay expired)" ]
	loy-expire >/dev/null 2>&1
	same "$(books late.db)" <<OUT
balance|1001|-5
lot|2026-09-10 10:00:00|0
lot|2026-11-10 10:00:00|0
adjust|-25|1
earn|50|2
expire|-30|1
OUT
	[ "$(books late.db)" = "$(books "$LOY_DB")" ]
	ledger_ok
	ledger_ok late.db
}

@test "a debit the lots in date cannot cover, without allow_negative, is refused as after a punctual run, and nothing changes" {
	past_and_in_date no
	printf 'member_id,points,reason,ref\n1001,-25,goodwill,D1\n' >adj.csv
	loy-expire --as-of 2026-10-10 >/dev/null 2>&1
	run -65 --separate-stderr loy-accrue --adjust adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj.csv:2: member '1001' has 20 points: -25 would take the balance below zero" ]
	before=$(dump late.db)
	run -65 --separate-stderr loy-accrue -d late.db --adjust adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj.csv:2: member '1001' has 50 points, 30 of them past their date: -25 would take the balance below zero" ]
	[ "$(dump late.db)" = "$before" ]
	# with --rejects the rest lands; the refused row expires nothing
	run -1 --separate-stderr loy-accrue -d late.db --rejects rej.csv --adjust adj.csv
	[ "$(sqlite3 late.db "SELECT count(*) FROM journal WHERE kind = 'expire'")" = 0 ]
	# what the lots in date hold is debited as after a punctual run
	printf 'member_id,points,reason,ref\n1001,-20,goodwill,D2\n' >adj2.csv
	run -0 --separate-stderr loy-accrue --adjust adj2.csv
	punctual=$output
	run -0 --separate-stderr loy-accrue -d late.db --adjust adj2.csv
	[ "$output" = "$punctual" ]
	loy-expire -d late.db >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	same "$(books late.db)" <<OUT
balance|1001|0
lot|2026-09-10 10:00:00|0
lot|2026-11-10 10:00:00|0
adjust|-20|1
earn|50|2
expire|-30|1
OUT
	[ "$(books late.db)" = "$(books "$LOY_DB")" ]
	ledger_ok
	ledger_ok late.db
}

@test "a return dated before a merge expires first the lots past their date that the merge brought since, as punctual runs would have in the merged member" {
	for negative in yes no; do
		rm -f "$LOY_DB" late.db
		new_ledger --set expiry_months=1 --set allow_negative=$negative
		printf 'member_id\n1001\n1002\n' >members.csv
		loy-enroll members.csv >/dev/null 2>&1
		# 1002's A, 30 points, expires 2026-10-10; 1001's B, 20 points, is in date
		printf 'txn_id,member_id,occurred_at,amount\nA,1002,2026-09-10 10:00:00,30.00\nB,1001,2026-11-10 10:00:00,20.00\n' >pos.csv
		loy-accrue pos.csv >/dev/null 2>&1
		cp "$LOY_DB" late.db
		loy-expire --as-of 2026-10-10 >/dev/null 2>&1
		for db in "$LOY_DB" late.db; do
			LOY_NOW="2026-11-20 12:00:00" loy-enroll -d "$db" merge 1002 1001 >/dev/null 2>&1
		done
		# all of A back, dated before the merge: A went to 1001 past its date
		printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1002,2026-10-15 10:00:00,-30.00,A\n' >ret.csv
		run -0 --separate-stderr loy-accrue ret.csv
		punctual=$output
		run -0 --separate-stderr loy-accrue -d late.db ret.csv
		[ "$output" = "$punctual" ]
		[ "$(sqlite3 late.db "SELECT member_id, points, occurred_at, ref FROM journal WHERE kind = 'expire'")" = "1001|-30|2026-10-15 23:59:59|2026-10-15" ]
		run -0 --separate-stderr loy-expire -d late.db
		[ "$stderr" = "loy-expire: as of 2026-11-23: nothing due (lots expired by an earlier run stay expired)" ]
		loy-expire >/dev/null 2>&1
		# the same balance, returned and expired points as punctual runs
		# (which expired A in 1002, before the merge)
		[ "$(sqlite3 late.db "SELECT points FROM balances WHERE member_id = '1001'")" = "$([ $negative = yes ] && echo -10 || echo 0)" ]
		[ "$(sqlite3 late.db "SELECT kind, sum(points) FROM journal WHERE kind IN ('return', 'expire') GROUP BY kind")" = "$(sqlite3 "$LOY_DB" "SELECT kind, sum(points) FROM journal WHERE kind IN ('return', 'expire') GROUP BY kind")" ]
		[ "$(sqlite3 late.db "SELECT sum(points) FROM balances")" = "$(sqlite3 "$LOY_DB" "SELECT sum(points) FROM balances")" ]
		ledger_ok
		ledger_ok late.db
	done
}

@test "points past their date cannot be spent before the expiry run" {
	new_ledger --set expiry_months=1
	printf 'member_id\n1001\n' >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\n' >req.csv
	run -0 --separate-stderr loy-redeem req.csv
	[ "${lines[1]}" = "R1,refused,\"20 points needed, 0 spendable\",0," ]
	ledger_ok
}

# One member, 1001; receipts as "txn,occurred_at,amount" arguments.
earn() {
	local r
	{ echo "txn_id,member_id,occurred_at,amount"
	  for r in "$@"; do echo "${r%%,*},1001,${r#*,}"; done; } >"pos-${1%%,*}.csv"
	loy-accrue "pos-${1%%,*}.csv" >/dev/null 2>&1
}

@test "year-end expiry: points last to the end of the Nth year after the year they were earned" {
	new_ledger --set expiry_policy=year-end --set expiry_years=1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	earn "A,2025-01-15 10:00:00,10.00" "B,2025-12-31 22:00:00,20.00" "C,2026-03-05 09:00:00,5.00"
	[ "$(q "SELECT points || ':' || expires_at FROM lots ORDER BY lot_id")" = "10:2026-12-31 23:59:59
20:2026-12-31 23:59:59
5:2027-12-31 23:59:59" ]
	run -0 --separate-stderr loy-expire --as-of 2026-11-23
	[ "$output" = "$HEAD" ]
	# the lots of 2025 live to 2026-12-31; the notice lists them, not C
	run -0 --separate-stderr loy-expire --notice 45
	[ "${lines[1]}" = "1001,,,,30,2026-12-31 23:59:59,active" ]
	ledger_ok
}

@test "year-end expiry with 0 years: the end of the year of earning" {
	new_ledger --set expiry_policy=year-end --set expiry_years=0
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	earn "A,2025-06-01 10:00:00,10.00"
	[ "$(q "SELECT expires_at FROM lots")" = "2025-12-31 23:59:59" ]
	run -0 --separate-stderr loy-expire
	[ "${lines[1]}" = "1001,-10,1,2026-11-23" ]
	ledger_ok
}

@test "year-end expiry with 0 years: points earned on 31 December live to the end of the next year, and can be spent" {
	export LOY_NOW="2026-12-31 12:00:00"
	new_ledger
	printf '[expiry]\npolicy = year-end\nyears = 0\n\n[event survey]\npoints = 5\n' >p.conf
	loy-program load --from 2026-01-01 p.conf >/dev/null 2>&1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# A, of the 31st, could never be spent by the end of that day: it is
	# counted from the day after, as a pending lot is; B, of the 30th, can
	# be spent on the 30th and goes at the end of 2026
	earn "A,2026-12-31 10:00:00,30.00" "B,2026-12-30 10:00:00,20.00"
	printf 'member_id,points,reason,ref\n1001,7,goodwill,G1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-12-31 09:00:00\n' >ev.csv
	loy-accrue --events ev.csv >/dev/null 2>&1
	same "$(q "SELECT points || '|' || earned_at || '|' || expires_at FROM lots ORDER BY lot_id")" <<'OUT'
30|2026-12-31 10:00:00|2027-12-31 23:59:59
20|2026-12-30 10:00:00|2026-12-31 23:59:59
7|2026-12-31 12:00:00|2027-12-31 23:59:59
5|2026-12-31 09:00:00|2027-12-31 23:59:59
OUT
	printf 'reward_id,name,points\nMUG,Mug,42\n' >cat.csv
	loy-redeem --catalogue cat.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,MUG\n' >req.csv
	run -0 --separate-stderr loy-redeem -n req.csv
	[ "${lines[1]}" = "R1,redeemed,,42,${lines[1]##*,}" ]
	# the run of the 31st takes B alone; nothing is listed as about to go
	run -0 --separate-stderr loy-expire
	same "$output" <<OUT
$HEAD
1001,-20,1,2026-12-31
OUT
	run -0 --separate-stderr loy-expire --notice 30
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	[ "$(balances)" = "1001:42" ]
	ledger_ok
}

@test "a pending lot never expires before it can be spent: its date is counted from a day after its window ends" {
	export LOY_NOW="2026-12-26 12:00:00"
	new_ledger --set expiry_policy=year-end --set expiry_years=0 --set return_window_days=14
	printf 'member_id,name\n1001,Anna\n1002,Chidi\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# P1 becomes available on 2027-01-03, after the end of 2026: it lives to
	# the end of 2027; P2, available on 2026-12-24, to the end of 2026
	printf 'txn_id,member_id,occurred_at,amount\nP1,1001,2026-12-20 10:00:00,30.00\nP2,1002,2026-12-10 10:00:00,10.00\n' >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "${lines[1]}" = "P1,1001,2026-12-20 10:00:00,30.00,30,pending," ]
	same "$(q "SELECT member_id, available_at, expires_at FROM lots ORDER BY lot_id")" <<'OUT'
1001|2027-01-03 10:00:00|2027-12-31 23:59:59
1002|2026-12-24 10:00:00|2026-12-31 23:59:59
OUT
	# the notice tells 1002 only: 1001 cannot spend its points before 2027
	run -0 --separate-stderr loy-expire --notice 30
	same "$output" <<'OUT'
member_id,name,phone,email,points,first_expiry,status
1002,Chidi,,,10,2026-12-31 23:59:59,active
OUT
	ledger_ok
	# on the last day of 2026 only 1002's points expire
	export LOY_NOW="2026-12-31 12:00:00"
	run -0 --separate-stderr loy-expire
	same "$output" <<OUT
$HEAD
1002,-10,1,2026-12-31
OUT
	[ "$(balances)" = "1001:30
1002:0" ]
	ledger_ok
}

@test "a return window longer than the expiry months counts the expiry from a day after the window ends" {
	new_ledger --set expiry_months=1 --set return_window_days=45
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	earn "A,2026-11-01 10:00:00,10.00"
	# available 2026-12-16 10:00; a month after the purchase would be
	# 2026-12-01, a month after the day after that is 2027-01-17
	[ "$(q "SELECT available_at || '|' || expires_at FROM lots")" = "2026-12-16 10:00:00|2027-01-17 10:00:00" ]
	run -0 --separate-stderr loy-expire --notice 30
	[ "$output" = "member_id,name,phone,email,points,first_expiry,status" ]
	ledger_ok
}

@test "never: earned points have no expiry date and loy-expire takes nothing" {
	new_ledger --set expiry_policy=never
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	earn "A,2020-01-15 10:00:00,10.00"
	printf 'member_id,points,reason,ref\n1001,7,goodwill,G1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	[ "$(q "SELECT count(*) FROM lots WHERE expires_at IS NULL")" = 2 ]
	run -0 --separate-stderr loy-expire
	[ "$output" = "$HEAD" ]
	[ "$(balances)" = "1001:17" ]
	ledger_ok
}

@test "rolling expiry: each purchase or redemption moves the open lots' date on; a lot past its date stays past" {
	new_ledger --set expiry_policy=rolling --set expiry_months=1
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,5\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	# 1001: A on 09-10 (till 10-10); B on 10-01 moves A on to 11-01
	LOY_NOW="2026-09-10 12:00:00" earn "A,2026-09-10 10:00:00,10.00"
	LOY_NOW="2026-10-01 12:00:00" earn "B,2026-10-01 10:00:00,20.00"
	[ "$(q "SELECT expires_at FROM lots ORDER BY lot_id")" = "2026-11-01 10:00:00
2026-11-01 10:00:00" ]
	# a redemption on 10-20 09:00 is activity too: both to 11-20 09:00
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-10-20 09:00:00\n' >req.csv
	LOY_NOW="2026-10-20 12:00:00" loy-redeem req.csv >/dev/null 2>&1
	[ "$(q "SELECT remaining || ':' || expires_at FROM lots ORDER BY lot_id")" = "5:2026-11-20 09:00:00
20:2026-11-20 09:00:00" ]
	# 1002: C on 09-01 (till 10-01) is past its date when D comes on 10-15
	printf 'txn_id,member_id,occurred_at,amount\nC,1002,2026-09-01 10:00:00,3.00\n' >c.csv
	LOY_NOW="2026-09-01 12:00:00" loy-accrue c.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nD,1002,2026-10-15 10:00:00,4.00\n' >d.csv
	LOY_NOW="2026-10-15 12:00:00" loy-accrue d.csv >/dev/null 2>&1
	[ "$(q "SELECT points || ':' || expires_at FROM lots WHERE member_id = '1002' ORDER BY lot_id")" = "3:2026-10-01 10:00:00
4:2026-11-15 10:00:00" ]
	run -0 --separate-stderr loy-expire --as-of 2026-11-19
	same "$output" <<OUT
$HEAD
1002,-7,2,2026-11-19
OUT
	run -0 --separate-stderr loy-expire --as-of 2026-11-20
	same "$output" <<OUT
$HEAD
1001,-25,2,2026-11-20
OUT
	[ "$(balances)" = "1001:0
1002:0" ]
	ledger_ok
}

@test "rolling expiry: a return owing more than the lots in date hold leaves the lots past their date to loy-expire, so that a purchase dated before it, read after it, still moves them on" {
	for order in RP PR; do
		LOY_DB=$order.db new_ledger --set expiry_policy=rolling --set expiry_months=1 --set allow_negative=yes
		printf 'member_id\n1001\n' >m.csv
		LOY_DB=$order.db loy-enroll m.csv >/dev/null 2>&1
		printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\n' >a.csv
		LOY_DB=$order.db loy-accrue a.csv >/dev/null 2>&1
	done
	# A (till 10-10) is moved on by P of 10-05 to 11-05: the return of
	# 10-15 takes 10 of it, whichever of the two the file gives first
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-15 10:00:00,-10.00,A\nP,1001,2026-10-05 10:00:00,5.00,\n' >rp.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP,1001,2026-10-05 10:00:00,5.00,\nR,1001,2026-10-15 10:00:00,-10.00,A\n' >pr.csv
	run -0 --separate-stderr loy-accrue -d RP.db rp.csv
	run -0 --separate-stderr loy-accrue -d PR.db pr.csv
	[ "$(sqlite3 RP.db "SELECT points FROM balances")" = 25 ]
	[ "$(books RP.db)" = "$(books PR.db)" ]
	[ "$(sqlite3 RP.db "SELECT count(*) FROM journal WHERE kind = 'expire'")" = 0 ]
	ledger_ok RP.db
	ledger_ok PR.db
}

@test "a programme changed to rolling after the lots' date: a return owing more than the lots in date hold still expires them first, as no purchase could have moved them on" {
	new_ledger --set expiry_months=1 --set allow_negative=yes
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-program show | grep -v '^# programme version' | sed 's/^policy = months$/policy = rolling/' >v2.conf
	run -0 --separate-stderr loy-program --from 2026-10-20 load v2.conf
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\n' >a.csv
	loy-accrue a.csv >/dev/null 2>&1
	# A (months, till 10-10) is past its date before the rolling version
	# begins: the return of 10-25, under it, finds it due
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-25 10:00:00,-10.00,A\n' >r.csv
	run -0 --separate-stderr loy-accrue r.csv
	[ "$(q "SELECT points FROM journal WHERE kind = 'expire'")" = -30 ]
	[ "$(q "SELECT points FROM balances")" = -10 ]
	run -0 --separate-stderr loy-expire
	[ "${lines[*]}" = "$HEAD" ]
	ledger_ok
}

@test "a programme changed from rolling: a return under months still leaves to loy-expire the lots a purchase of the rolling days may move on, whichever comes first in the file" {
	for order in RP PR; do
		LOY_DB=$order.db new_ledger --set expiry_policy=rolling --set expiry_months=1 --set allow_negative=yes
		LOY_DB=$order.db loy-program show | grep -v '^# programme version' | sed 's/^policy = rolling$/policy = months/' >v2.conf
		LOY_DB=$order.db loy-program --from 2026-10-12 load v2.conf >/dev/null 2>&1
		printf 'member_id\n1001\n' >m.csv
		LOY_DB=$order.db loy-enroll m.csv >/dev/null 2>&1
		printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-09-10 10:00:00,30.00\n' >a.csv
		LOY_DB=$order.db loy-accrue a.csv >/dev/null 2>&1
	done
	# P of 10-05, rolling, moves A (till 10-10) on to 11-05; the return of
	# 10-15, under months, takes 10 of it in either order
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR,1001,2026-10-15 10:00:00,-10.00,A\nP,1001,2026-10-05 10:00:00,5.00,\n' >rp.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP,1001,2026-10-05 10:00:00,5.00,\nR,1001,2026-10-15 10:00:00,-10.00,A\n' >pr.csv
	run -0 --separate-stderr loy-accrue -d RP.db rp.csv
	run -0 --separate-stderr loy-accrue -d PR.db pr.csv
	[ "$(sqlite3 RP.db "SELECT points FROM balances")" = 25 ]
	[ "$(books RP.db)" = "$(books PR.db)" ]
	ledger_ok RP.db
	ledger_ok PR.db
}

@test "rolling expiry: two redemptions of one member in one run each move the lots on" {
	new_ledger --set expiry_policy=rolling --set expiry_months=1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,5\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	# A 10 points and B 20 points, both till 11-01 10:00 once B is earned
	LOY_NOW="2026-09-10 12:00:00" earn "A,2026-09-10 10:00:00,10.00"
	LOY_NOW="2026-10-01 12:00:00" earn "B,2026-10-01 10:00:00,20.00"
	# R1 on 10-20 takes 5 of A and moves both to 11-20 09:00; R2 on 10-25
	# takes A's other 5 (same date: the older lot first) and moves B to 11-25
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-10-20 09:00:00\nR2,1001,COFFEE,2026-10-25 09:00:00\n' >req.csv
	LOY_NOW="2026-10-25 12:00:00" run -0 --separate-stderr loy-redeem req.csv
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'redeemed'")" = 2 ]
	[ "$(q "SELECT remaining FROM lots ORDER BY lot_id")" = "0
20" ]
	[ "$(q "SELECT expires_at FROM lots WHERE remaining > 0")" = "2026-11-25 09:00:00" ]
	[ "$(balances)" = "1001:20" ]
	# nothing expires on 11-24; all 20 on 11-25
	LOY_NOW="2026-11-26 12:00:00" run -0 --separate-stderr loy-expire --as-of 2026-11-24
	[ "${#lines[@]}" = 1 ]
	LOY_NOW="2026-11-26 12:00:00" run -0 --separate-stderr loy-expire --as-of 2026-11-25
	same "$output" <<OUT
$HEAD
1001,-20,1,2026-11-25
OUT
	ledger_ok
}

@test "rolling expiry: a manual credit moves the open lots on; a manual debit and an opening balance do not" {
	new_ledger --set expiry_policy=rolling --set expiry_months=2
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'member_id,points,earned_at,expires_at\n1001,30,2026-10-01,\n1002,30,2026-10-01,\n1002,5,2026-11-01,2026-12-20\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	# the credit, at the run's time, takes 1001's opening lot on with it;
	# the debit takes from the lot that expires first and leaves the dates
	printf 'member_id,points,reason,ref\n1001,5,goodwill,G1\n1002,-5,correction,G2\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	same "$(q "SELECT member_id || ':' || remaining || ':' || expires_at FROM lots ORDER BY lot_id")" <<'OUT'
1001:30:2027-01-23 12:00:00
1002:25:2026-12-01 00:00:00
1002:5:2026-12-20 00:00:00
1001:5:2027-01-23 12:00:00
OUT
	ledger_ok
}

@test "a transfer under rolling expiry moves the giver's lots on; the receiver's keep their dates" {
	new_ledger --set expiry_policy=rolling --set expiry_months=2 --set transfers=yes
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	LOY_NOW="2026-10-01 12:00:00" earn "A,2026-10-01 10:00:00,30.00"
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1002,10,2026-11-23 08:00:00\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || remaining || ':' || expires_at FROM lots ORDER BY lot_id")" = "1001:20:2027-01-23 08:00:00
1002:10:2026-12-01 10:00:00" ]
	ledger_ok
}

@test "rolling expiry: a purchase read after a transfer received takes the receiver's own activity for its date, not the giver's" {
	for order in before after; do
		LOY_DB=$order.db new_ledger --set expiry_policy=rolling --set expiry_months=12 --set transfers=yes
		printf 'member_id\n1001\n1002\n' >m.csv
		LOY_DB=$order.db loy-enroll m.csv >/dev/null 2>&1
		# 1001 is active on 2026-11-20 and gives 1002 50 points with that date
		printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,60.00\n' >a.csv
		LOY_DB=$order.db loy-accrue a.csv >/dev/null 2>&1
		printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1002,50,2026-11-21 08:00:00\n' >tr.csv
		printf 'txn_id,member_id,occurred_at,amount\nP,1002,2026-06-01 10:00:00,10.00\n' >p.csv
		if [ $order = before ]; then
			LOY_DB=$order.db loy-accrue p.csv >/dev/null 2>&1
			LOY_DB=$order.db loy-redeem --transfers tr.csv >/dev/null 2>&1
		else
			LOY_DB=$order.db loy-redeem --transfers tr.csv >/dev/null 2>&1
			LOY_DB=$order.db loy-accrue p.csv >/dev/null 2>&1
		fi
		# P, of 1002's own activity of 2026-06-01, expires a year after it
		[ "$(sqlite3 $order.db "SELECT expires_at FROM lots WHERE entry_id = (SELECT entry_id FROM receipts WHERE txn_id = 'P')")" = "2027-06-01 10:00:00" ]
		[ "$(sqlite3 $order.db "SELECT group_concat(remaining || ':' || expires_at, ' ') FROM lots WHERE member_id = '1002' AND entry_id <> (SELECT entry_id FROM receipts WHERE txn_id = 'P')")" = "50:2027-11-20 10:00:00" ]
		ledger_ok $order.db
	done
}

@test "rolling expiry: a purchase read late takes the date of the member's own latest activity, though its lots were spent" {
	new_ledger --set expiry_policy=rolling --set expiry_months=12 --set transfers=yes
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rw.csv
	loy-redeem --catalogue rw.csv >/dev/null 2>&1
	# 1002 earns 20 on 2026-03-01, spends them on 2026-09-01; 1001,
	# active on 2026-11-20, gives it 30 with that date
	printf 'txn_id,member_id,occurred_at,amount\nB,1002,2026-03-01 10:00:00,20.00\nA,1001,2026-11-20 10:00:00,60.00\n' >a.csv
	loy-accrue a.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,requested_at\nR1,1002,COFFEE,2026-09-01 10:00:00\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points,requested_at\nT1,1001,1002,30,2026-11-21 08:00:00\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	# P, dated before the redemption and read last, takes its date
	printf 'txn_id,member_id,occurred_at,amount\nP,1002,2026-06-01 10:00:00,10.00\n' >p.csv
	loy-accrue p.csv >/dev/null 2>&1
	[ "$(q "SELECT expires_at FROM lots WHERE entry_id = (SELECT entry_id FROM receipts WHERE txn_id = 'P')")" = "2027-09-01 10:00:00" ]
	ledger_ok
}

@test "rolling expiry: a cancelled redemption's points come back with the date the redemption moved the lots on to" {
	new_ledger --set expiry_policy=rolling --set expiry_months=1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,15\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	# A 10 points and B 20 points, both till 11-01 10:00 once B is earned
	LOY_NOW="2026-09-10 12:00:00" earn "A,2026-09-10 10:00:00,10.00"
	LOY_NOW="2026-10-01 12:00:00" earn "B,2026-10-01 10:00:00,20.00"
	# R1 on 10-20 takes all of A and 5 of B, and moves B on to 11-20 09:00
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-10-20 09:00:00\n' >req.csv
	LOY_NOW="2026-10-20 12:00:00" loy-redeem req.csv >/dev/null 2>&1
	[ "$(q "SELECT remaining || ':' || expires_at FROM lots ORDER BY lot_id")" = "0:2026-11-01 10:00:00
15:2026-11-20 09:00:00" ]
	# cancelled on 10-25: A's 10 points had been moved on with B's, had
	# they not been spent; they come back till 11-20 09:00 too
	LOY_NOW="2026-10-25 12:00:00" run -0 --separate-stderr loy-redeem cancel R1
	[ "$(q "SELECT points || ':' || expires_at FROM lots WHERE entry_id = (SELECT cancel_entry FROM redemptions) ORDER BY lot_id")" = "10:2026-11-20 09:00:00
5:2026-11-20 09:00:00" ]
	# nothing expires on 11-01; all 30 on 11-20
	LOY_NOW="2026-11-21 12:00:00" run -0 --separate-stderr loy-expire --as-of 2026-11-01
	[ "${#lines[@]}" = 1 ]
	LOY_NOW="2026-11-21 12:00:00" run -0 --separate-stderr loy-expire --as-of 2026-11-20
	same "$output" <<OUT
$HEAD
1001,-30,3,2026-11-20
OUT
	ledger_ok
}

@test "rolling expiry: a redemption of every point, cancelled after their old date, gives them back with the date it gave" {
	new_ledger --set expiry_policy=rolling --set expiry_months=1
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,30\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	LOY_NOW="2026-09-10 12:00:00" earn "A,2026-09-10 10:00:00,10.00"
	LOY_NOW="2026-10-01 12:00:00" earn "B,2026-10-01 10:00:00,20.00"
	# R1 on 10-20 spends all 30: no lot is left to move on
	printf 'request_id,member_id,reward_id,requested_at\nR1,1001,COFFEE,2026-10-20 09:00:00\n' >req.csv
	LOY_NOW="2026-10-20 12:00:00" loy-redeem req.csv >/dev/null 2>&1
	# cancelled on 11-05, when their old date has passed: they come back
	# till 11-20 09:00, a month after the redemption, as they were then
	LOY_NOW="2026-11-05 12:00:00" run -0 --separate-stderr loy-redeem cancel R1
	[ "$(q "SELECT group_concat(points || ':' || expires_at, '|') FROM (SELECT * FROM lots WHERE entry_id = (SELECT cancel_entry FROM redemptions) ORDER BY lot_id)")" = "10:2026-11-20 09:00:00|20:2026-11-20 09:00:00" ]
	ledger_ok
}

@test "the expiry settings are checked when a ledger is made" {
	run -64 --separate-stderr loy-init --set expiry_policy=sometimes
	[ "$stderr" = "loy-init: expiry_policy 'sometimes' must be months, year-end, rolling or never" ]
	run -64 --separate-stderr loy-init --set expiry_years=x
	[ "$stderr" = "loy-init: expiry_years 'x' must be a whole number from 0 to 100" ]
	[ ! -e "$LOY_DB" ]
}

@test "rolling expiry: a purchase read after a later one lives to the later one's date too" {
	for order in late-first early-first; do
		new_ledger -d "$order.db" --set expiry_policy=rolling --set expiry_months=12
		export LOY_DB="$PWD/$order.db"
		printf 'member_id,name\n1001,Anna\n' | loy-enroll - >/dev/null 2>&1
		if [ "$order" = late-first ]; then
			printf 'txn_id,member_id,occurred_at,amount\nR2,1001,2026-06-05 10:00:00,10.00\nR0,1001,2026-01-02 10:00:00,10.00\n'
		else
			printf 'txn_id,member_id,occurred_at,amount\nR0,1001,2026-01-02 10:00:00,10.00\nR2,1001,2026-06-05 10:00:00,10.00\n'
		fi >pos.csv
		LOY_NOW="2026-06-10 00:00:00" run -0 --separate-stderr loy-accrue pos.csv
		# the last activity is 5 June 2026: both lots to 5 June 2027
		[ "$(q "SELECT group_concat(expires_at, '|') FROM (SELECT expires_at FROM lots ORDER BY lot_id)")" = "2027-06-05 10:00:00|2027-06-05 10:00:00" ]
		LOY_NOW="2027-02-02 00:00:00" run -0 --separate-stderr loy-expire --as-of 2027-02-01
		[ "$output" = "$HEAD" ]
		ledger_ok
	done
}

@test "a lot's expiry is the programme version's in force at its purchase, whichever settings were applied last" {
	base
	# from 2026-12-01 points expire after 3 months, not 1
	loy-program show | grep -v '^# programme version' | sed 's/^months = 1$/months = 3/' >v2.conf
	run -0 --separate-stderr loy-program --from 2026-12-01 load v2.conf
	export LOY_NOW="2026-12-10 12:00:00"
	printf 'txn_id,member_id,occurred_at,amount\nE,1002,2026-11-28 10:00:00,4.00\nF,1002,2026-12-02 10:00:00,6.00\n' >more.csv
	run -0 --separate-stderr loy-accrue more.csv
	run -0 --separate-stderr loy-program apply
	printf 'txn_id,member_id,occurred_at,amount\nG,1003,2026-11-29 10:00:00,2.00\nH,1003,2026-12-03 10:00:00,3.00\n' >last.csv
	run -0 --separate-stderr loy-accrue last.csv
	# E and G under version 1 (1 month), F and H under version 2 (3 months),
	# before the apply and after it
	same "$(q "SELECT r.txn_id || ' ' || l.expires_at FROM lots l JOIN receipts r ON r.entry_id = l.entry_id WHERE r.txn_id IN ('E', 'F', 'G', 'H') ORDER BY 1")" <<'EOF'
E 2026-12-28 10:00:00
F 2027-03-02 10:00:00
G 2026-12-29 10:00:00
H 2027-03-03 10:00:00
EOF
	ledger_ok
}

@test "a run as of a past day leaves the lots that came back after that day to a later run" {
	new_ledger --set expiry_months=1
	printf 'member_id,name\n1001,Anna\n' | loy-enroll - >/dev/null 2>&1
	export LOY_NOW="2026-01-11 00:00:00"
	printf 'txn_id,member_id,occurred_at,amount\nS1,1001,2026-01-10 10:00:00,100.00\nS2,1001,2026-01-10 12:00:00,50.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nRW,Mug,60\n' | loy-redeem --catalogue >/dev/null 2>&1
	export LOY_NOW="2026-02-01 00:00:00"
	printf 'request_id,member_id,reward_id,qty,requested_at\nQ1,1001,RW,1,2026-02-01 00:00:00\n' | loy-redeem >/dev/null 2>&1
	export LOY_NOW="2026-02-15 00:00:00"
	run -0 --separate-stderr loy-redeem cancel Q1
	# on 12 February the member held 90 (150 less the 60 spent); the 60 came
	# back on the 15th, in a lot of its own
	run -0 --separate-stderr loy-expire --as-of 2026-02-12
	same "$output" <<OUT
$HEAD
1001,-90,2,2026-02-12
OUT
	run -0 --separate-stderr loy-expire --as-of 2026-02-15
	same "$output" <<OUT
$HEAD
1001,-60,1,2026-02-15
OUT
	[ "$(balances)" = "1001:0" ]
	ledger_ok
}

@test "--notice says why its output cannot be written, with status 74" {
	base
	run -74 --separate-stderr bash -c 'loy-expire --notice 30 >/dev/full'
	[ "$stderr" = "loy-expire: cannot write the output: No space left on device" ]
}

# The ledger's days in Kiritimati (UTC+14), where today is never the day it
# is in Pago Pago (UTC-11).
far_east() {
	q "UPDATE settings SET value = 'Pacific/Kiritimati' WHERE key = 'timezone'"
}

@test "--notice takes today in the time zone of the settings it reads the lots with, also when it changes after it opened the ledger" {
	need_faults
	new_ledger --set timezone=Pacific/Pago_Pago --set expiry_months=1
	printf 'member_id,name\n1001,Anna\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# a lot that expires tomorrow in Kiritimati: today or earlier in Pago Pago
	day=$(TZ=Pacific/Kiritimati date +%F)
	end=$(date -d "$day +1 day" +%F)
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,%s 10:00:00,10.00\n' \
	    "$(date -d "$end -1 month" +%F)" >p.csv
	LOY_NOW= loy-accrue p.csv >/dev/null 2>&1
	[ "$(q "SELECT expires_at FROM lots")" = "$end 10:00:00" ] ||
		skip "a month before $end is not a month back from it"
	LOY_NOW= while_opened far_east loy-expire --notice 1
	[ "$(TZ=Pacific/Kiritimati date +%F)" = "$day" ] ||
		skip "the day changed in Kiritimati while the test ran"
	[ "$status" -eq 0 ]
	[ ! -s err.txt ]
	same "$(cat out.csv)" <<OUT
member_id,name,phone,email,points,first_expiry,status
1001,Anna,,,10,$end 10:00:00,active
OUT
	ledger_ok
}

@test "a run that waited for another writer past midnight expires as of the day it writes on, dating its entries then" {
	need_faults
	base
	# begun a few seconds before midnight, it holds the ledger after it:
	# 1002's lot of 2026-11-22 is due too
	LOY_NOW="2026-11-21 23:59:50" waited_till "2026-11-22 00:00:10" loy-expire --busy-timeout 10
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	same "$(cat out.csv)" <<OUT
$HEAD
1001,-50,2,2026-11-22
1002,-7,1,2026-11-22
OUT
	same "$(q "SELECT member_id, points, occurred_at, ref FROM journal WHERE kind = 'expire' ORDER BY member_id")" <<OUT
1001|-50|2026-11-22 00:00:10|2026-11-22
1002|-7|2026-11-22 00:00:10|2026-11-22
OUT
	ledger_ok
}

@test "--as-of that waited for another writer past midnight dates its entries at the time it writes, and a bad or future one is refused before any wait" {
	need_faults
	base
	LOY_NOW="2026-11-21 23:59:50" waited_till "2026-11-22 00:00:10" loy-expire --busy-timeout 10 --as-of 2026-11-21
	[ "$status" -eq 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT member_id || '|' || points || '|' || occurred_at || '|' || ref FROM journal WHERE kind = 'expire'")" = "1001|-50|2026-11-21 23:59:59|2026-11-21" ]
	# refused at once, while another writer holds the ledger
	commit_sql_while ""
	before=$(date +%s)
	LOY_NOW="2026-11-21 23:59:50" run -64 --separate-stderr loy-expire --busy-timeout 10 --as-of 2026-11-22
	[ "$stderr" = "loy-expire: --as-of '2026-11-22' is in the future: points expire when their day has come" ]
	run -64 --separate-stderr loy-expire --busy-timeout 10 --as-of 2026-13-01
	[ "$(($(date +%s) - before))" -lt 5 ]
	release_lock
	ledger_ok
}
