#!/usr/bin/env bats
# Opening the ledger, as every program does: missing, not a ledger, newer,
# read-only, busy.

load helper

missing() {
	echo "no ledger at '$1' (create one with: loy-init -d '$1')"
}

@test "loy-check reports a missing ledger and creates none" {
	run -66 --separate-stderr loy-check
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: $(missing "$LOY_DB")" ]
	no_files "$LOY_DB"
}

@test "loy-enroll reports a missing ledger and creates none" {
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: $(missing "$LOY_DB")" ]
	run -66 --separate-stderr loy-enroll <in.csv
	[ "$stderr" = "loy-enroll: $(missing "$LOY_DB")" ]
	no_files "$LOY_DB"
}

@test "loy-enroll's verbs report a missing ledger and create none" {
	for verb in list duplicates "cards 1" "close 1" "reopen 1" "forget 1" \
	    "merge 1 2" "add-card 1 C1" "replace-card C1 C2"; do
		run -66 --separate-stderr loy-enroll $verb
		[ "$output" = "" ]
		[ "$stderr" = "loy-enroll: $(missing "$LOY_DB")" ]
	done
	no_files "$LOY_DB"
}

@test "-d names the missing ledger in the message" {
	run -66 --separate-stderr loy-check -d club.db
	[ "$stderr" = "loy-check: $(missing club.db)" ]
	run -66 --separate-stderr loy-enroll -d club.db list
	[ "$stderr" = "loy-enroll: $(missing club.db)" ]
	no_files club.db
	no_files "$LOY_DB"
}

@test "a ledger that cannot be reached, or a link to none, is not called missing, with advice loy-init cannot follow" {
	new_ledger -d club.db
	run -66 --separate-stderr loy-enroll -d club.db/members.db list
	[ "$stderr" = "loy-enroll: cannot open ledger 'club.db/members.db': Not a directory" ]
	ln -s gone.db link.db
	run -66 --separate-stderr loy-check -d link.db
	[ "$stderr" = "loy-check: no ledger at 'link.db': it is a symbolic link to 'gone.db', which does not exist" ]
	# loy-init refuses it: something is there
	run -73 --separate-stderr loy-init -d link.db
	no_files gone.db
	ledger_ok club.db
}

@test "without -d or LOY_DB the ledger is ./loyalty.db" {
	run -66 --separate-stderr env -u LOY_DB loy-check
	[ "$stderr" = "loy-check: $(missing loyalty.db)" ]
	new_ledger -d loyalty.db
	run -0 --separate-stderr env -u LOY_DB loy-check
	[ "$output" = "invariant,subject,detail" ]
	ledger_ok loyalty.db
}

@test "-d wins over LOY_DB" {
	new_ledger
	new_ledger -d club.db
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy-enroll -d club.db in.csv
	[ "$(sqlite3 club.db "SELECT name FROM members")" = Ann ]
	[ "$(q "SELECT count(*) FROM members")" = 0 ]
	ledger_ok club.db
	ledger_ok
}

@test "a file that is not SQLite is not a ledger" {
	printf 'these are my notes\nnot a ledger\n' >notes.txt
	cp notes.txt copy.txt
	run -66 --separate-stderr loy-check -d notes.txt
	[ "$output" = "" ]
	[[ "$stderr" == "loy-check: ledger 'notes.txt': "*"not a database" ]]
	[ "${#stderr_lines[@]}" = 1 ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll -d notes.txt in.csv
	[[ "$stderr" == "loy-enroll: ledger 'notes.txt': "*"not a database" ]]
	cmp notes.txt copy.txt
	no_files notes.txt-
}

@test "an SQLite database that is not a loy ledger is left alone" {
	sqlite3 shop.db "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
	    INSERT INTO customers VALUES (1, 'Ann');"
	before=$(dump shop.db)
	run -66 --separate-stderr loy-check -d shop.db
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: 'shop.db' is an SQLite database but not a loy ledger" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll -d shop.db in.csv
	[ "$stderr" = "loy-enroll: 'shop.db' is an SQLite database but not a loy ledger" ]
	run -66 --separate-stderr loy-enroll -d shop.db close 1
	[ "$stderr" = "loy-enroll: 'shop.db' is an SQLite database but not a loy ledger" ]
	[ "$(dump shop.db)" = "$before" ]
}

@test "a directory given as the ledger is refused as one, by readers and writers" {
	mkdir books.db
	run -66 --separate-stderr loy-report -d books.db balances
	[ "$output" = "" ]
	[ "$stderr" = "loy-report: 'books.db' is a directory, not a ledger" ]
	run -66 --separate-stderr loy-check -d books.db
	[ "$stderr" = "loy-check: 'books.db' is a directory, not a ledger" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll -d books.db in.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: 'books.db' is a directory, not a ledger" ]
	LOY_DB=books.db run -66 --separate-stderr loy-accrue in.csv
	[ "$stderr" = "loy-accrue: 'books.db' is a directory, not a ledger" ]
	[ -z "$(ls -A books.db)" ]
}

@test "a FIFO or a device given as the ledger is refused as no ledger, not an I/O error" {
	mkfifo pipe.db
	run -66 --separate-stderr timeout 10 loy-check -d pipe.db
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: 'pipe.db' is not a regular file, not a ledger" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll -d /dev/null in.csv
	[ "$stderr" = "loy-enroll: '/dev/null' is not a regular file, not a ledger" ]
}

@test "an empty file is not a loy ledger" {
	: >empty.db
	run -66 --separate-stderr loy-check -d empty.db
	[ "$stderr" = "loy-check: 'empty.db' is an SQLite database but not a loy ledger" ]
	[ ! -s empty.db ]
}

@test "a ledger with a newer schema is refused" {
	new_ledger
	known=$(q "PRAGMA user_version")
	q "PRAGMA user_version = 99"
	before=$(dump)
	run -66 --separate-stderr loy-check
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: ledger '$LOY_DB' has schema version 99, newer than this loy (0.1.0) knows ($known): upgrade loy" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: ledger '$LOY_DB' has schema version 99, newer than this loy (0.1.0) knows ($known): upgrade loy" ]
	[ "$(dump)" = "$before" ]
	[ "$(q "PRAGMA user_version")" = 99 ]
}

@test "a ledger whose schema version was lowered by hand is refused as it is, not migrated half-way or taken for an internal error" {
	new_ledger
	known=$(q "PRAGMA user_version")
	q "PRAGMA user_version = 7"
	before=$(dump)
	run -66 --separate-stderr loy-check
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: ledger '$LOY_DB' says it has schema version 7, but its tables are not those of that version (duplicate column name: segments): its version was changed by hand; restore it from a copy" ]
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -66 --separate-stderr loy-enroll in.csv
	[ "$(dump)" = "$before" ]
	[ "$(q "PRAGMA user_version")" = 7 ]
	q "PRAGMA user_version = -1"
	run -66 --separate-stderr loy-check
	[ "$stderr" = "loy-check: ledger '$LOY_DB' has schema version -1, which no loy ledger has: its version was changed by hand; restore it from a copy" ]
	q "PRAGMA user_version = 0"
	run -66 --separate-stderr loy-check
	[ "$stderr" = "loy-check: ledger '$LOY_DB' says it has schema version 0, but its tables are not those of that version (table settings already exists): its version was changed by hand; restore it from a copy" ]
	# put back, it is whole again
	q "PRAGMA user_version = $known"
	ledger_ok
}

@test "an empty ledger of schema version 0 is migrated forward" {
	new_ledger -d fresh.db
	appid=$(sqlite3 fresh.db "PRAGMA application_id")
	sqlite3 old.db "PRAGMA application_id = $appid"
	[ "$(sqlite3 old.db "PRAGMA user_version")" = 0 ]
	run -0 --separate-stderr loy-check -d old.db
	[ "$output" = "invariant,subject,detail" ]
	[ "$(sqlite3 old.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 old.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	ledger_ok old.db
}

@test "a schema version 7 ledger keeps its status rules when migrated" {
	new_ledger -d fresh.db
	cp fresh.db v7.db
	# version 7 spelled each status rule as an IN list
	sqlite3 v7.db "PRAGMA writable_schema = ON;
	    UPDATE sqlite_schema SET sql = replace(sql,
	        'status = ''active'' OR status = ''replaced''',
	        'status IN (''active'', ''replaced'')') WHERE name = 'cards';
	    PRAGMA writable_schema = OFF;
	    ALTER TABLE rewards DROP COLUMN segments; DROP INDEX receipts_orig;
	    PRAGMA user_version = 7"
	sqlite3 v7.db .schema | grep -q "status IN ('active', 'replaced')"
	run -0 --separate-stderr loy-check -d v7.db
	[ "$(sqlite3 v7.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v7.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	# the rules still hold, table by table
	for t in "cards:INSERT INTO cards VALUES ('c', 'm', 'lost', '2026-01-01', NULL, NULL, 1)" \
	    "members:INSERT INTO members(member_id, status, enrolled_at, created_run, updated_run) VALUES ('m', 'gone', '2026-01-01', 1, 1)" \
	    "receipts:INSERT INTO receipts(txn_id, occurred_at, amount, lines, points, status, run_id, input_seq, digest) VALUES ('t', '2026-01-01', 1, 1, 0, 'lost', 1, 1, x'00')" \
	    "redemptions:INSERT INTO redemptions(request_id, member_id, reward_id, qty, requested_at, status, points, run_id) VALUES ('r', 'm', 'w', 1, '2026-01-01', 'lost', 0, 1)" \
	    "transfers:INSERT INTO transfers(transfer_id, from_member, to_member, points, requested_at, status, run_id) VALUES ('x', 'a', 'b', 1, '2026-01-01', 'lost', 1)" \
	    "events:INSERT INTO events(event_id, member_id, event, occurred_at, period, points, status, version, run_id) VALUES ('e', 'm', 'v', '2026-01-01', '2026', 0, 'lost', 1, 1)"; do
		run sqlite3 v7.db "${t#*:}"
		[ "$status" -ne 0 ]
		[[ "$output" == *"CHECK constraint failed: status = "* ]]
	done
	ledger_ok v7.db
}

@test "a schema version 15 ledger gets its runs' operator, empty for the runs made before" {
	new_ledger -d fresh.db
	cp fresh.db v15.db
	sqlite3 v15.db "ALTER TABLE runs DROP COLUMN operator; PRAGMA user_version = 15"
	printf 'member_id,name\n1,Ann\n' >a.csv
	LOY_OPERATOR=ops run -0 --separate-stderr loy-enroll -d v15.db a.csv
	[ "$(sqlite3 v15.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v15.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v15.db "SELECT group_concat(program || ':' || coalesce(operator, '-'), ' ') FROM runs")" = "loy-init:- loy-enroll:ops" ]
	ledger_ok v15.db
}

@test "a schema version 16 ledger gets its receipts' unrecovered points, 0 for the returns taken before" {
	new_ledger -d fresh.db
	cp fresh.db v16.db
	printf 'member_id,name\n1,Ann\n' >a.csv
	loy-enroll -d v16.db a.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nR,1,2026-11-20 10:00:00,-5.00\n' >r.csv
	loy-accrue -d v16.db r.csv >/dev/null 2>&1
	sqlite3 v16.db "ALTER TABLE receipts DROP COLUMN unrecovered; PRAGMA user_version = 16"
	run -0 --separate-stderr loy-check -d v16.db
	[ "$(sqlite3 v16.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v16.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v16.db "SELECT txn_id, points, unrecovered FROM receipts")" = "R|0|0" ]
	ledger_ok v16.db
}

@test "a schema version 17 ledger gets its phones with the trunk 0 in brackets after the country code keyed without it" {
	new_ledger -d fresh.db --set phone_country=49
	cp fresh.db v17.db
	printf 'member_id,name,phone\n1,Ann,+44 (0)20 7946 0958\n2,Bo,+49 (0)30 123456\n3,Cy,+49 (30) 123456\n4,Dee,\n' >in.csv
	loy-enroll -d v17.db in.csv >/dev/null 2>&1
	# the keys as version 17 wrote them
	sqlite3 v17.db "UPDATE members SET phone_key = '+4402079460958' WHERE member_id = '1';
	    UPDATE members SET phone_key = '+49030123456' WHERE member_id = '2';
	    PRAGMA user_version = 17"
	run -0 --separate-stderr loy-check -d v17.db
	[ "$(sqlite3 v17.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v17.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v17.db "SELECT member_id || ':' || quote(phone_key) FROM members ORDER BY 1")" = "1:'+442079460958'
2:'+4930123456'
3:'+4930123456'
4:NULL" ]
	printf 'phone,email\n030 1234-56,bo@example.org\n' >again.csv
	run -0 --separate-stderr loy-enroll -d v17.db again.csv
	[ "${lines[1]}" = "2,2,updated,phone email" ]
	ledger_ok v17.db
}

@test "a schema version 18 ledger gets its merged members' merge times, and the referrers their survivors have" {
	new_ledger -d fresh.db
	cp fresh.db v18.db
	printf 'member_id,referrer\nR,\nA,\nB,R\nC,\nD,\n' >a.csv
	loy-enroll -d v18.db a.csv >/dev/null 2>&1
	LOY_NOW="2026-11-01 10:00:00" loy-enroll -d v18.db merge A B >/dev/null 2>&1
	LOY_NOW="2026-11-02 10:00:00" loy-enroll -d v18.db merge C D >/dev/null 2>&1
	# version 18 held the time of a merge in closed_at alone
	sqlite3 v18.db "ALTER TABLE members DROP COLUMN merged_run; ALTER TABLE members DROP COLUMN into_referrer;
	    ALTER TABLE members DROP COLUMN merged_at; PRAGMA user_version = 18"
	run -0 --separate-stderr loy-check -d v18.db
	[ "$(sqlite3 v18.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v18.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v18.db "SELECT member_id || '|' || status || '|' || coalesce(closed_at, '-') || '|' ||
	    coalesce(merged_at, '-') || '|' || coalesce(into_referrer, '-') FROM members ORDER BY 1")" = "A|merged|2026-11-01 10:00:00|2026-11-01 10:00:00|R
B|active|-|-|-
C|merged|2026-11-02 10:00:00|2026-11-02 10:00:00|-
D|active|-|-|-
R|active|-|-|-" ]
	ledger_ok v18.db
}

@test "a schema version 19 ledger gets its phones with a 0 in brackets after +39, +378 and +379 keyed with it, and after 00 and the country code without it" {
	new_ledger -d fresh.db
	cp fresh.db v19.db
	printf 'member_id,name,phone\n1,Ann,+39 (0)6 1234 5678\n2,Bo,+378 (0)549 123456\n3,Cy,+44 (0)20 7946 0958\n4,Dee,0049 (0)30 1234567\n' >in.csv
	loy-enroll -d v19.db in.csv >/dev/null 2>&1
	# the keys as version 19 wrote them
	sqlite3 v19.db "UPDATE members SET phone_key = '+39612345678' WHERE member_id = '1';
	    UPDATE members SET phone_key = '+378549123456' WHERE member_id = '2';
	    UPDATE members SET phone_key = '00490301234567' WHERE member_id = '4';
	    PRAGMA user_version = 19"
	run -0 --separate-stderr loy-check -d v19.db
	[ "$(sqlite3 v19.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v19.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v19.db "SELECT member_id || ':' || phone_key FROM members ORDER BY 1")" = "1:+390612345678
2:+3780549123456
3:+442079460958
4:0049301234567" ]
	ledger_ok v19.db
}

@test "a schema version 20 ledger gets the runs of its merges: updated_run, else the run that moved the points, else the run that names the merge" {
	new_ledger -d fresh.db
	cp fresh.db v20.db
	printf 'member_id,enrolled_at,referrer\nR1,2026-01-01,\nR2,2026-01-01,\nB,2026-01-01,\nZ,2026-01-01,R1\nA,2026-01-01,R2\nC,2026-01-01,\nD,2026-01-01,\nE 1,2026-01-01,\nF,2026-01-01,\n' >m.csv
	LOY_NOW="2026-01-01 00:00:00" loy-enroll -d v20.db m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-01-02 10:00:00,20.00\n' >s.csv
	LOY_NOW="2026-01-02 12:00:00" loy-accrue -d v20.db s.csv >/dev/null 2>&1
	# Z without points, A with: back to back, in one second, into B
	LOY_NOW="2026-01-10 12:00:00" loy-enroll -d v20.db merge Z B >/dev/null 2>&1
	LOY_NOW="2026-01-10 12:00:00" loy-enroll -d v20.db merge A B >/dev/null 2>&1
	LOY_NOW="2026-01-10 12:00:00" loy-enroll -d v20.db merge C D >/dev/null 2>&1
	LOY_NOW="2026-01-10 12:00:00" loy-enroll -d v20.db merge 'E 1' F >/dev/null 2>&1
	LOY_NOW="2026-01-11 12:00:00" loy-enroll -d v20.db forget B F >/dev/null 2>&1
	run_of() {
		sqlite3 v20.db "SELECT run_id FROM runs WHERE args = 'loy-enroll -d v20.db $1'"
	}
	z=$(run_of "merge Z B") a=$(run_of "merge A B") c=$(run_of "merge C D")
	[ -n "$z" ] && [ -n "$a" ] && [ -n "$c" ]
	[ "$z" -lt "$a" ]
	# version 20 did not record the run of a merge
	sqlite3 v20.db "ALTER TABLE members DROP COLUMN merged_run; PRAGMA user_version = 20"
	run -0 --separate-stderr loy-check -d v20.db
	[ "$(sqlite3 v20.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v20.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	# C, not forgotten, by its updated_run; A by the run of its points'
	# entries; Z by the run of loy-enroll that names its merge; E 1 by
	# none, its id quoted in the arguments
	[ "$(sqlite3 v20.db "SELECT member_id || ':' || coalesce(merged_run, '-') FROM members WHERE status = 'merged' ORDER BY 1")" = "A:$a
C:$c
E 1:-
Z:$z" ]
	# and so B had no referrer before its merges, whose referrals count once
	run -0 --separate-stderr loy-segment -d v20.db --as-of 2026-01-05 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
R2,1,1,20.00
R1,1,0,0.00
OUT
	ledger_ok v20.db
}

@test "a schema version 10 ledger gets the index of returns taken off no purchase" {
	new_ledger -d fresh.db
	cp fresh.db v10.db
	sqlite3 v10.db "DROP INDEX receipts_unlinked; DROP INDEX receipts_orig; PRAGMA user_version = 10"
	run -0 --separate-stderr loy-check -d v10.db
	[ "$(sqlite3 v10.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v10.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	# as loy-accrue asks for it (by name: receipts_orig would serve too)
	[ "$(sqlite3 v10.db "EXPLAIN QUERY PLAN SELECT txn_id FROM receipts INDEXED BY receipts_unlinked
	    WHERE orig_txn = 'S1' AND orig_txn IS NOT NULL AND amount < 0 AND returned_amount = 0" |
	    grep -c 'INDEX receipts_unlinked (orig_txn=?)')" = 1 ]
	ledger_ok v10.db
}

@test "a schema version 11 ledger gets its phones compared as written out in any way" {
	new_ledger -d fresh.db
	cp fresh.db v11.db
	printf 'member_id,name,phone\n1,Ann,+49 30 1234-56\n' >in.csv
	loy-enroll -d v11.db in.csv >/dev/null 2>&1
	sqlite3 v11.db "DROP INDEX members_phone; DROP INDEX receipts_orig;
	    CREATE INDEX members_phone ON members(phone) WHERE phone IS NOT NULL;
	    PRAGMA user_version = 11"
	run -0 --separate-stderr loy-check -d v11.db
	[ "$(sqlite3 v11.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v11.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	printf 'phone,email\n+49 (30) 123456,ann@example.org\n' >again.csv
	run -0 --separate-stderr loy-enroll -d v11.db again.csv
	[ "${lines[1]}" = "2,1,updated,phone email" ]
	[ "$(sqlite3 v11.db "SELECT count(*) FROM members")" = 1 ]
	ledger_ok v11.db
}

@test "a schema version 12 ledger gets its phones' keys, finds members by them, and indexes returns by their original" {
	new_ledger -d fresh.db
	cp fresh.db v12.db
	printf 'member_id,name,phone\n1,Ann,+49 30 1234-56\n2,Bob,\n' >in.csv
	loy-enroll -d v12.db in.csv >/dev/null 2>&1
	sqlite3 v12.db "DROP INDEX members_phone; ALTER TABLE members DROP COLUMN merged_run;
	    ALTER TABLE members DROP COLUMN into_referrer;
	    ALTER TABLE members DROP COLUMN merged_at; ALTER TABLE members DROP COLUMN phone_key;
	    DROP INDEX receipts_orig;
	    CREATE INDEX members_phone ON members(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', ''))
	      WHERE phone IS NOT NULL;
	    PRAGMA user_version = 12"
	run -0 --separate-stderr loy-check -d v12.db
	[ "$(sqlite3 v12.db "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 v12.db .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(sqlite3 v12.db "SELECT member_id || ':' || quote(phone_key) FROM members ORDER BY 1")" = "1:'+4930123456'
2:NULL" ]
	# the returns of a purchase are found by their index, not by reading every receipt
	[ "$(sqlite3 v12.db "EXPLAIN QUERY PLAN SELECT txn_id FROM receipts WHERE orig_txn = 'S1'
	    AND orig_txn IS NOT NULL" | grep -c 'INDEX receipts_orig (orig_txn=?)')" = 1 ]
	printf 'phone,email\n+49 (30) 123456,ann@example.org\n' >again.csv
	run -0 --separate-stderr loy-enroll -d v12.db again.csv
	[ "${lines[1]}" = "2,1,updated,phone email" ]
	ledger_ok v12.db
}

@test "a schema version 14 ledger gets the purchases its referral bonuses were given on, for a return of all of one to take them back" {
	new_ledger -d fresh.db
	new_ledger
	cat >p.conf <<'EOF'
[rule welcome]
trigger = referral
referral_to = both
referral_on = signup
bonus = 50

[rule bring]
trigger = referral
referral_to = both
referral_on = first-purchase
bonus = 200

[rule every]
trigger = referral
referral_on = every-purchase
bonus = 10
EOF
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	printf 'member_id,name,referrer,enrolled_at\n1001,Ann,,2026-10-01\n1002,Bob,1001,2026-10-01\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,1002,2026-11-01 10:00:00,50.00\nT2,1002,2026-11-02 10:00:00,20.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	tied=$(q "SELECT rule, member_id, key, coalesce(txn_id, '-') FROM rule_awards ORDER BY award_id")
	same "$tied" <<'EOF'
welcome|1001|referee 1002|-
welcome|1002|referred by 1001|-
bring|1001|referee 1002|T1
bring|1002|referred by 1001|T1
every|1001|receipt T1|T1
every|1001|receipt T2|T2
EOF
	q "DROP INDEX rule_awards_txn; ALTER TABLE rule_awards DROP COLUMN txn_id; PRAGMA user_version = 14"
	run -0 --separate-stderr loy-check
	[ "$(q "PRAGMA user_version")" = "$(sqlite3 fresh.db "PRAGMA user_version")" ]
	[ "$(sqlite3 "$LOY_DB" .schema)" = "$(sqlite3 fresh.db .schema)" ]
	[ "$(q "SELECT rule, member_id, key, coalesce(txn_id, '-') FROM rule_awards ORDER BY award_id")" = "$tied" ]
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1002,2026-11-03 10:00:00,-50.00,T1\n' >ret.csv
	run -0 --separate-stderr loy-accrue ret.csv
	[ "$(grep -c ',bonus,' <<<"$output")" = 3 ]
	# 1001: 50 + 10 for T2; 1002: 50 + 20
	[ "$(balances)" = "$(printf '1001:60\n1002:70')" ]
	ledger_ok
}

@test "a phone changed by hand without its key is a violation, mended as loy-ledger(5) says" {
	new_ledger
	printf 'member_id,name,phone\n1,Ann,+49 30 1234-56\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	q "UPDATE members SET phone = '+49 30 999-000' WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail
phone-key-fits-phone,1,phone_key is not its phone as phones are compared" ]
	# the statement the man page gives
	q "$(sed -n '/^A phone written by hand, or a$/,/^\.Ed/p' "$BATS_TEST_DIRNAME/../man/loy-ledger.5" | sed '1,4d;$d')"
	ledger_ok
	printf 'phone,name\n+4930999000,Ann B\n' >again.csv
	run -0 --separate-stderr loy-enroll again.csv
	[ "${lines[1]}" = "2,1,updated,name phone" ]
	[ "$(q "SELECT phone_key FROM members")" = +4930999000 ]
	ledger_ok
}

@test "a phone_country changed by hand leaves phone keys that are violations, mended as loy-ledger(5) says" {
	new_ledger
	printf 'member_id,name,phone\n1,Ann,07700 900123\n2,Bo,+33 1 23 45 67 89\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	q "UPDATE settings SET value = '44' WHERE key = 'phone_country'"
	run -65 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail
phone-key-fits-phone,1,phone_key is not its phone as phones are compared" ]
	q "$(sed -n '/^A phone written by hand, or a$/,/^\.Ed/p' "$BATS_TEST_DIRNAME/../man/loy-ledger.5" | sed '1,4d;$d')"
	ledger_ok
	[ "$(q "SELECT group_concat(phone_key, ' ') FROM (SELECT phone_key FROM members ORDER BY 1)")" = \
	    "+33123456789 +447700900123" ]
	printf 'txn_id,phone,occurred_at,amount\nT1,+44 7700 900123,2026-11-20 10:00:00,5.00\n' >day.csv
	run -0 --separate-stderr loy-accrue day.csv
	[ "${lines[1]}" = "T1,1,2026-11-20 10:00:00,5.00,5,credited," ]
	ledger_ok
}

@test "a read-only ledger can be checked and listed but not written" {
	need_modes
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	loy-enroll in.csv 2>/dev/null >/dev/null
	before=$(dump)
	chmod 444 "$LOY_DB"
	printf 'member_id,name\n2,Bob\n' >more.csv
	run -74 --separate-stderr as_user loy-enroll more.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: ledger '$LOY_DB' is read-only" ]
	run -74 --separate-stderr as_user loy-enroll close 1
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: ledger '$LOY_DB' is read-only" ]
	run -0 --separate-stderr as_user loy-check
	[ "$output" = "invariant,subject,detail" ]
	run -0 --separate-stderr as_user loy-enroll list
	[ "$(echo "$output" | cut -d, -f1,3)" = "$(printf 'member_id,name\n1,Ann')" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a read-only ledger of an older schema says it must be brought up to date, and is left as it was" {
	need_modes
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	loy-enroll in.csv 2>/dev/null >/dev/null
	known=$(q "PRAGMA user_version")
	# version 9 differs from the last by data only: this ledger is one
	q "PRAGMA user_version = 9"
	before=$(dump)
	chmod 444 "$LOY_DB"
	want="ledger '$LOY_DB' has schema version 9, older than this loy (0.1.0) knows ($known), and is read-only, so it cannot be brought up to date: run loy-check on it once with write access, or on a copy"
	run -74 --separate-stderr as_user loy-check
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: $want" ]
	run -74 --separate-stderr as_user loy-report balances
	[ "$output" = "" ]
	[ "$stderr" = "loy-report: $want" ]
	run -74 --separate-stderr as_user loy-enroll more.csv
	[ "$stderr" = "loy-enroll: $want" ]
	[ "$(dump)" = "$before" ]
	chmod 644 "$LOY_DB"
	ledger_ok
	[ "$(q "PRAGMA user_version")" = "$known" ]
	[ "$(q "SELECT name FROM members")" = Ann ]
}

@test "a ledger in a read-only directory cannot be written" {
	need_modes
	mkdir club
	export LOY_DB="$BATS_TEST_TMPDIR/club/loyalty.db"
	new_ledger
	before=$(dump)
	chmod 555 club
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -74 --separate-stderr as_user loy-enroll in.csv
	[ "$output" = "" ]
	[[ "$stderr" == "loy-enroll: ledger '$LOY_DB'"* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	chmod 755 club
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a writer gives up on a busy ledger after --busy-timeout" {
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	before=$(dump)
	hold_lock
	run -75 --separate-stderr loy-enroll --busy-timeout 1 in.csv
	release_lock
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: ledger '$LOY_DB' is busy: another writer held it past the wait (--busy-timeout)" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a verb gives up on a busy ledger after --busy-timeout" {
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	before=$(dump)
	hold_lock
	run -75 --separate-stderr loy-enroll --busy-timeout 0 close 1
	release_lock
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: ledger '$LOY_DB' is busy: another writer held it past the wait (--busy-timeout)" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a writer waits for a busy ledger and goes on when it is free" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	hold_lock
	while_locked release_lock loy-enroll --busy-timeout 10 in.csv
	[ "$status" = 0 ]
	[ "$(cat out.csv)" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$(cat err.txt)" = "loy-enroll: in.csv: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected" ]
	[ "$(q "SELECT name FROM members")" = Ann ]
	[ "$(q "SELECT count(*) FROM settings WHERE key = 'lock'")" = 0 ]
	ledger_ok
}

@test "readers do not wait for a writer" {
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	hold_lock
	run -0 --separate-stderr loy-check --busy-timeout 0
	check_out=$output
	run -0 --separate-stderr loy-enroll --busy-timeout 0 list
	list_out=$output
	release_lock
	[ "$check_out" = "invariant,subject,detail" ]
	[ "$(echo "$list_out" | cut -d, -f1,3)" = "$(printf 'member_id,name\n1,Ann')" ]
	ledger_ok
}

@test "--busy-timeout must be a whole number of seconds" {
	new_ledger
	run -64 --separate-stderr loy-enroll --busy-timeout soon list
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-enroll: --busy-timeout 'soon' is not a whole number from 0 to 86400" ]
	[ "${stderr_lines[-1]}" = "Try 'loy-enroll --help' for more information." ]
	run -64 --separate-stderr loy-check --busy-timeout -1
	[ "${stderr_lines[0]}" = "loy-check: --busy-timeout '-1' is not a whole number from 0 to 86400" ]
	ledger_ok
}

@test "number options are read as whole numbers in a file are: a sign and digits, no blank before or after" {
	new_ledger
	local v
	for v in ' 5' '5 ' '5x' '' '+' ' +5'; do
		run -64 --separate-stderr loy-enroll --busy-timeout "$v" list
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "loy-enroll: --busy-timeout '$v' is not a whole number from 0 to 86400" ]
		run -64 --separate-stderr loy-expire --notice "$v"
		[ "${stderr_lines[0]}" = "loy-expire: --notice '$v' is not a whole number from 0 to 3660" ]
	done
	run -64 --separate-stderr loy-segment best ' 3'
	[ "$stderr" = "loy-segment: best ' 3' is not a whole number from 1 to 100000000" ]
	run -64 --separate-stderr loy-segment best 100000001
	[ "$stderr" = "loy-segment: best '100000001' is not a whole number from 1 to 100000000" ]
	run -0 --separate-stderr loy-segment best 100000000
	run -64 --separate-stderr loy-segment referrers ' 3'
	[ "$stderr" = "loy-segment: referrers ' 3' is not a whole number above zero" ]
	run -0 --separate-stderr loy-enroll --busy-timeout +5 list
	run -0 --separate-stderr loy-expire --notice +5
	run -0 --separate-stderr loy-segment best +3
	run -0 --separate-stderr loy-segment referrers +3
	ledger_ok
}

@test "the tables, indexes and triggers loy-ledger(5) gives, made in the order it gives them, are a new ledger's" {
	new_ledger
	# every block of the page that creates or alters, as SQLite would
	# store it: the page's columns added by ALTER TABLE come last, as they
	# do in a ledger migrated to them
	awk '/^\.Bd -literal$/ { b = ""; f = 1; next }
	    /^\.Ed$/ { if (f && b ~ /(CREATE|ALTER TABLE) /) printf "%s", b; f = 0; next }
	    f { b = b $0 "\n" }' "$BATS_TEST_DIRNAME/../man/loy-ledger.5" |
	    sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' >schema.sql
	[ "$(grep -c '^CREATE TABLE' schema.sql)" -ge 26 ]
	sqlite3 page.db <schema.sql
	# the same statements, one a line, whatever their spacing
	local list="SELECT type, name, replace(sql, char(10), ' ') FROM sqlite_schema
	    WHERE sql IS NOT NULL ORDER BY type, name"
	same "$(sqlite3 page.db "$list" | tr -s ' ')" <<<"$(q "$list" | tr -s ' ')"
	ledger_ok
}

@test "every query and update loy-ledger(5), loy-report(1) and loy-segment(1) give runs on a ledger, and the updates leave a consistent one as it was" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-enroll merge 1012 1001 >/dev/null 2>&1
	loy-accrue "$EXAMPLES/pos.csv" >/dev/null 2>&1
	loy-redeem --catalogue "$EXAMPLES/rewards.csv" >/dev/null 2>&1
	loy-redeem "$EXAMPLES/redemptions.csv" >/dev/null 2>&1
	loy-segment --assign "$EXAMPLES/status-match.csv" tiers --apply >/dev/null 2>&1
	ledger_ok
	local before page n=0 f
	before=$(dump)
	mkdir sql
	# each literal block of SQL, its roff escapes undone: not the tables'
	# statements (a test above makes those), nor a shell's command line
	for page in loy-ledger.5 loy-report.1 loy-segment.1; do
		sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' "$BATS_TEST_DIRNAME/../man/$page" |
		    awk -v page="$page" '/^\.Bd -literal/ { b = ""; f = 1; next }
		        /^\.Ed/ { if (f && b ~ /(SELECT|UPDATE) / && b !~ /CREATE |sqlite3 |loy-/)
		            printf "%s", b > ("sql/" page "." NR ".sql"); f = 0; next }
		        f { b = b $0 "\n" }'
	done
	for f in sql/*.sql; do
		n=$((n + 1))
		run sqlite3 -bail "$LOY_DB" <"$f"
		[ "$status" = 0 ] || { echo "$f: $output" >&2; return 1; }
	done
	[ "$n" -ge 60 ]
	same "$(dump)" <<<"$before"
	ledger_ok
}
