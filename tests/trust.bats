#!/usr/bin/env bats
# The trust trials, short versions (README, "Trust"): crashes, I/O faults,
# concurrency, idempotency, hostile input, fuzz reproducers, spreadsheet
# safety and personal data.  The long versions: make crash, make
# concurrency, make fuzz, make valgrind.

load helper

TRIALS="$BATS_TEST_DIRNAME/trials"

# The programs' directory (the same built with -DLOY_FAULTS: faults_bin,
# need_faults in helper.bash).
bindir() { dirname "$(command -v loy-accrue)"; }

# A small club: members 1001..1020, receipts, a catalogue.
club() {
	new_ledger --set expiry_months=24
	. "$TRIALS/lib.sh"
	gen_members 20 >members.csv
	loy-enroll members.csv >/dev/null 2>&1
	gen_pos 60 20 P 3 >pos.csv
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	printf 'request_id,member_id,reward_id,qty,requested_at\nW1,1001,COFFEE,1,2026-11-23 09:00:00\n' >req.csv
}

# Writes+syncs+truncates of a command with the faults build (FBIN).
count_ops() {
	rm -f ops.txt
	LOY_FAULTS_COUNT="$PWD/ops.txt" PATH="$FBIN:$PATH" "$@" >/dev/null 2>&1
	awk '{ s += $1 } END { print s + 0 }' ops.txt
}

@test "crash: writers killed at any write or sync, or by kill -9, leave a ledger that checks and re-runs to the uninterrupted result" {
	fbin=$(faults_bin) || fbin=-
	run -0 bash "$TRIALS/crash.sh" "$(bindir)" "$fbin" 55 1
	echo "$output"
	[[ "${lines[-1]}" == *"; 0 failed" ]]
}

@test "crash: loy-init killed at any write leaves no ledger or a whole one" {
	need_faults
	. "$TRIALS/lib.sh"
	loy-init -d ref.db --set currency=JPY --set decimals=0 2>/dev/null
	want=$(canon ref.db)
	n=$(count_ops loy-init -d count.db --set currency=JPY --set decimals=0)
	[ "$n" -gt 10 ]
	for ((k = 1; k <= n; k += 3)); do
		rm -rf t && mkdir t
		run -137 env LOY_CRASH_AT=$k "$FBIN/loy-init" -d t/l.db --set currency=JPY --set decimals=0
		if [ -e t/l.db ]; then
			loy-check -d t/l.db >/dev/null
		fi
		run loy-init -d t/l.db --set currency=JPY --set decimals=0
		[ "$status" -eq 0 ] || [ "$status" -eq 73 ]
		[ "$(canon t/l.db)" = "$want" ]
	done
}

@test "disk full in the middle of any writer's run: exit 74, the ledger as it was" {
	need_faults
	club
	# members.csv changes a member, so that the enrolment writes
	q "UPDATE members SET name = name || ' (changed)' WHERE member_id = '1001'"
	printf 'member_id,points,reason,ref\n1002,5,goodwill,G1\n' >adj.csv
	# points past their date, so that the expiry writes (a run that
	# changes nothing writes nothing)
	printf 'member_id,points,earned_at,expires_at\n1003,7,2024-11-01,2026-11-01\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	for cmd in "loy-enroll members.csv" "loy-accrue pos.csv" "loy-redeem --catalogue rewards.csv" \
	    "loy-accrue --adjust adj.csv" "loy-expire --as-of 2026-11-23"; do
		before=$(dump)
		n=$(cp "$LOY_DB" probe.db && LOY_DB=probe.db count_ops $cmd)
		[ "$n" -gt 2 ]
		run -74 --separate-stderr env LOY_FULL_AT=$((n / 2)) "$FBIN/${cmd%% *}" ${cmd#* }
		[[ "$stderr" == *"disk is full"* ]]
		[ "$output" = "" ]
		[ "$(dump)" = "$before" ]
		ledger_ok
	done
}

@test "a full TMPDIR: every writer says it of TMPDIR, not of its output, exits 74, the ledger as it was" {
	club
	small_fs tmp 64k
	fill_fs tmp
	q "UPDATE members SET name = name || ' (changed)' WHERE member_id = '1001'"
	printf 'member_id,points,reason,ref\n1002,5,goodwill,G1\n' >adj.csv
	before=$(dump)
	for cmd in "loy-enroll members.csv" "loy-accrue pos.csv" "loy-accrue --adjust adj.csv" \
	    "loy-redeem --catalogue rewards.csv" "loy-expire --as-of 2026-11-23" \
	    "loy-enroll --rejects /dev/stdout members.csv"; do
		run -74 --separate-stderr env TMPDIR="$PWD/tmp" $cmd
		[ "$output" = "" ]
		[ "${stderr_lines[-1]}" = "${cmd%% *}: cannot write a temporary file in '$PWD/tmp': No space left on device; nothing committed" ]
		[ "$(dump)" = "$before" ]
	done
	ledger_ok
}

@test "a TMPDIR that fills while a run holds back its messages: every one is said, in order, and the run fails" {
	club
	small_fs tmp 64k
	{
		cat pos.csv
		for i in $(seq 1000); do
			echo "BAD$i,1001,2026-13-40 10:00:00,Store 1,SKU-001,food,1,1.00,store,"
		done
	} >bad.csv
	before=$(dump)
	# the held messages fill the file system half-way through
	run -74 --separate-stderr env TMPDIR="$PWD/tmp" loy-accrue --rejects rej.csv bad.csv
	[ "$output" = "" ]
	[ "$(printf '%s\n' "${stderr_lines[@]}" | grep -c "^loy-accrue: bad.csv:[0-9]*: occurred_at '2026-13-40 10:00:00' is not a valid date$")" = 1000 ]
	[ "${#stderr_lines[@]}" = 1002 ]
	[[ "${stderr_lines[-2]}" == "loy-accrue: bad.csv: "*" rows, "*", 1000 rejected; "* ]]
	[ "${stderr_lines[-1]}" = "loy-accrue: cannot write a temporary file in '$PWD/tmp': No space left on device; nothing committed" ]
	# in the order of the input's lines
	[ "$(printf '%s\n' "${stderr_lines[@]}" | sed -n 's/^loy-accrue: bad.csv:\([0-9]*\): occurred_at.*/\1/p' | sort -n -c && echo sorted)" = sorted ]
	[ ! -e rej.csv ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# A copy of the ledger, big.db, with 300,000 receipts of members 1001..1020
# (not of the journal: for readers alone) whose sorts do not fit in SQLite's
# cache and go to its temporary files.
big_ledger() {
	cp "$LOY_DB" big.db
	sqlite3 big.db "INSERT INTO receipts(txn_id, member_id, occurred_at, amount, lines, points,
	    status, run_id, input_seq, digest)
	  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
	  SELECT 'B' || i, 1001 + i % 20, date('2026-01-01', '+' || (i % 300) || ' days') || ' 10:00:00',
	    100, 1, 1, 'credited', 1, i, x'00' FROM n"
}

@test "a full TMPDIR under a listing's sort: exit 74 and why, where loy-segment said 'another row available' and exited 70" {
	club
	small_fs tmp 64k
	fill_fs tmp
	big_ledger
	for cmd in rfm value "best 5"; do
		run -74 --separate-stderr env TMPDIR="$PWD/tmp" loy-segment -d big.db $cmd
		[ "$output" = "" ]
		[[ "$stderr" == "loy-segment: ledger 'big.db': cannot read purchases: "*"full"* ]]
	done
	ledger_ok
}

@test "a full TMPDIR or SQLITE_TMPDIR under a reader's sort: the message names the variable in force, not only the ledger" {
	club
	small_fs tmp 64k
	fill_fs tmp
	big_ledger
	for cmd in "loy-segment rfm" "loy-report retention"; do
		run -74 --separate-stderr env TMPDIR="$PWD/tmp" $cmd -d big.db
		[[ "${stderr_lines[-1]}" == "${cmd%% *}: ledger 'big.db': "*": database or disk is full: no room for its temporary files in '$PWD/tmp' (TMPDIR)" ]]
		# SQLITE_TMPDIR goes before TMPDIR: the message names the one in force
		run -74 --separate-stderr env SQLITE_TMPDIR="$PWD/tmp" TMPDIR="$PWD" $cmd -d big.db
		[[ "${stderr_lines[-1]}" == "${cmd%% *}: ledger 'big.db': "*": database or disk is full: no room for its temporary files in '$PWD/tmp' (SQLITE_TMPDIR)" ]]
	done
	ledger_ok
}

@test "an I/O error at a write or a sync: exit 74, the ledger as it was" {
	need_faults
	club
	cp "$LOY_DB" base.db
	before=$(dump)
	cp base.db whole.db
	loy-accrue -d whole.db pos.csv >/dev/null 2>&1
	n=$(cp base.db probe.db && LOY_DB=probe.db count_ops loy-accrue pos.csv)
	failed=0 at_commit=0
	# an error before the commit fails the run; one after it (in the
	# checkpoint as the ledger closes) leaves the committed run whole
	for ((k = 1; k <= n; k += 2)); do
		ledger_copy base.db "$LOY_DB"
		run --separate-stderr env LOY_IOERR_AT=$k "$FBIN/loy-accrue" pos.csv
		if [ "$status" -eq 74 ]; then
			[[ "$stderr" == *"loy-accrue: ledger '$LOY_DB': "*"disk I/O error"* ]]
			[ "$output" = "" ]
			[ "$(dump)" = "$before" ]
			failed=$((failed + 1))
			# the writes of a WAL ledger are made as the run commits
			[[ "$stderr" != *"loy-accrue: ledger '$LOY_DB': cannot commit the run: disk I/O error"* ]] ||
			    at_commit=$((at_commit + 1))
		else
			[ "$status" -eq 0 ]
			[ "$(canon "$LOY_DB")" = "$(canon whole.db)" ]
		fi
		ledger_ok
	done
	[ "$failed" -gt 3 ]
	[ "$at_commit" -gt 0 ]
}

@test "an I/O error as forget copies the WAL into the ledger after its commit: exit 74, the members forgotten, said so; forget again takes the values out of the file" {
	need_faults
	club
	cp "$LOY_DB" base.db
	before=$(dump)
	name=$(q "SELECT name FROM members WHERE member_id = '1001'")
	[ -n "$name" ]
	n=$(cp base.db probe.db && LOY_DB=probe.db count_ops loy-enroll forget 1001)
	failed=0 after=0
	for ((k = 1; k <= n; k++)); do
		ledger_copy base.db "$LOY_DB"
		run -74 --separate-stderr env LOY_IOERR_AT=$k "$FBIN/loy-enroll" forget 1001
		if [ "$(q "SELECT forgotten_at IS NULL FROM members WHERE member_id = '1001'")" = 1 ]; then
			[ "$output" = "" ]
			[ "$(dump)" = "$before" ]
			failed=$((failed + 1))
		else
			[ "$output" = "$(printf 'member_id,status,detail\n1001,forgotten,')" ]
			[ "${stderr_lines[0]}" = "loy-enroll: ledger '$LOY_DB': the run is committed, but its WAL cannot be copied into the ledger: disk I/O error" ]
			[ "${stderr_lines[1]}" = "loy-enroll: the members are forgotten, but the data forgotten stay in the ledger's file: run loy-enroll forget again" ]
			after=$((after + 1))
			run -0 --separate-stderr loy-enroll forget 1001
			[ "$output" = "$(printf 'member_id,status,detail\n1001,unchanged,already forgotten')" ]
			not_in_files "$name" "$LOY_DB" "$LOY_DB-wal"
		fi
		ledger_ok
	done
	[ "$failed" -gt 0 ]
	[ "$after" -gt 0 ]
}

@test "an I/O error as an older ledger is migrated: exit 74, said of the migration, the ledger as it was" {
	need_faults
	new_ledger
	sqlite3 "$LOY_DB" "PRAGMA user_version = 14"
	before=$(dump)
	run -74 --separate-stderr env LOY_IOERR_AT=1 "$FBIN/loy-report" balances
	[ "$output" = "" ]
	[ "$stderr" = "loy-report: ledger '$LOY_DB': cannot commit the ledger's migration to this version: disk I/O error" ]
	[ "$(dump)" = "$before" ]
	[ "$(q "PRAGMA user_version")" = 14 ]
	run -0 loy-report balances
	[ "$(q "PRAGMA user_version")" -gt 14 ]
	ledger_ok
}

@test "out of memory in SQLite: exit 71, as every man page says, the ledger as it was" {
	need_faults
	club
	before=$(dump)
	# from SQLite's 150th allocation on, every one fails: once the ledger
	# is open, in the programs' first statements
	for cmd in "loy-accrue pos.csv" "loy-enroll members.csv" "loy-expire" \
	    "loy-check" "loy-report balances" "loy-segment value" "loy-program show"; do
		set -- $cmd
		run -71 --separate-stderr env LOY_NOMEM_AT=150 "$FBIN/$1" "${@:2}"
		[[ "$stderr" == "$1: ledger '$LOY_DB': "*": out of memory" ]]
		[ "$output" = "" ]
		[ "$(dump)" = "$before" ]
	done
	ledger_ok
}

@test "a read-only ledger: every writer exits 74 and changes nothing" {
	need_modes
	club
	before=$(dump)
	chmod 444 "$LOY_DB"
	for cmd in "loy-enroll members.csv" "loy-accrue pos.csv" "loy-redeem --catalogue rewards.csv" \
	    "loy-redeem req.csv" "loy-expire" "loy-enroll close 1003"; do
		run -74 --separate-stderr as_user $cmd
		[[ "$stderr" == *"read-only"* ]]
	done
	chmod 644 "$LOY_DB"
	[ "$(dump)" = "$before" ]
}

@test "an input cut short in the middle of a row: the row is bad, nothing committed" {
	club
	before=$(dump)
	head -c 1500 pos.csv >cut.csv
	nl=$(wc -l <cut.csv)
	run -65 --separate-stderr loy-accrue cut.csv
	[[ "$stderr" == *"loy-accrue: cut.csv:$((nl + 1)): row has "*", the header has 10"* ]]
	[ "$(dump)" = "$before" ]
	# the same through a pipe whose writer stops half-way
	run -65 --separate-stderr sh -c 'head -c 1500 pos.csv | loy-accrue -'
	[[ "$stderr" == *"loy-accrue: stdin:$((nl + 1)): row has "* ]]
	[ "$(dump)" = "$before" ]
}

@test "a run ended by SIGTERM or SIGHUP leaves no rejects file, temporary or not, and no change" {
	club
	before=$(dump)
	for sig in TERM HUP; do
		rm -f feed.csv
		mkfifo feed.csv
		# as a shell started by nohup(1) would not: the signal not ignored
		env --default-signal="$sig" loy-accrue --rejects rej.csv feed.csv \
			>out.csv 2>err.txt &
		pid=$!
		exec {w}>feed.csv
		head -3 pos.csv >&"$w"
		# the run has begun once its rejects file is being made
		for _ in $(seq 200); do
			making_rejects "$pid" && break
			sleep 0.05
		done
		making_rejects "$pid"
		kill -"$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		exec {w}>&-
		[ "$status" -eq $((128 + $(kill -l "$sig"))) ]
		no_files rej.csv
		[ ! -s out.csv ]
		[ "$(dump)" = "$before" ]
	done
	ledger_ok
}

@test "a run killed with SIGKILL leaves no rejects file where the system can make one without a name" {
	# file systems that make files without a name (open(2), O_TMPFILE)
	case $(stat -f -c %T .) in
	ext2/ext3 | tmpfs | xfs | btrfs) ;;
	*) skip "$(stat -f -c %T .) may not make files without a name" ;;
	esac
	club
	before=$(dump)
	mkfifo feed.csv
	loy-accrue --rejects rej.csv feed.csv >out.csv 2>err.txt &
	pid=$!
	exec {w}>feed.csv
	{ head -3 pos.csv; echo 'BAD1,1001,2026-11-20 10:00:00,Store 1,SKU-001,food,0,1.00,store,'; } >&"$w"
	for _ in $(seq 200); do
		making_rejects "$pid" && break
		sleep 0.05
	done
	making_rejects "$pid"
	kill -KILL "$pid"
	wait "$pid" || true
	exec {w}>&-
	no_files rej.csv
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "SIGTERM at any write of a run with rejects: its bad rows are never lost" {
	need_faults
	club
	{ cat pos.csv; echo 'BAD1,1001,2026-11-20 10:00:00,Store 1,SKU-001,food,0,1.00,store,'; } >bad.csv
	runs=$(q 'SELECT count(*) FROM runs')
	before=$(dump)
	n=$(count_ops loy-accrue --rejects rej.csv bad.csv)
	[ "$n" -gt 3 ]
	for at in $(seq "$n"); do
		cp "$LOY_DB" try.db
		status=0
		LOY_CRASH_AT=$at LOY_CRASH_SIGNAL=15 PATH="$FBIN:$PATH" \
		    loy-accrue -d try.db --rejects rej.csv bad.csv >/dev/null 2>&1 || status=$?
		if [ "$(sqlite3 try.db 'SELECT count(*) FROM runs')" -gt "$runs" ]; then
			# in the books: so is its bad row, in rej.csv or, if the
			# signal came in the commit, under the temporary name
			[ "$status" -eq 143 ] || { [ "$status" -eq 1 ] && [ -s rej.csv ]; }
			f=$(compgen -G 'rej.csv*' | head -1)
			grep -q '^BAD1,' "$f"
		else
			# not in the books, and no rejects file says it is
			[ "$status" -eq 143 ]
			[ ! -e rej.csv ]
			[ "$(dump try.db)" = "$before" ]
		fi
		rm -f rej.csv*
		ledger_ok try.db
	done
}

@test "a rejects file is on the disk before the run commits and in its place after: a power cut loses no bad row" {
	need_strace
	club
	{ cat pos.csv; echo 'BAD1,1001,2026-11-20 10:00:00,Store 1,SKU-001,food,0,1.00,store,'; } >bad.csv
	echo 'an earlier run,s rejects' >rej.csv
	run -1 strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2 -o trace.txt \
	    loy-accrue --rejects rej.csv bad.csv
	grep -q '^BAD1,' rej.csv
	cat trace.txt
	# the line of the rename, of the commit (the ledger's last sync before
	# it), of the first sync of the rejects (under a name or none yet),
	# and of the directory's sync after the rename
	renamed=$(grep -n 'rename.*"rej\.csv\.[^"]*", [^"]*"rej\.csv"' trace.txt | cut -d: -f1)
	[ -n "$renamed" ]
	committed=$(head -n "$renamed" trace.txt | grep -n "sync([0-9]*<$LOY_DB-wal>" | tail -1 | cut -d: -f1)
	[ -n "$committed" ]
	synced=$(grep -n "sync([0-9]*<$PWD/\(rej\.csv\.\|#\)" trace.txt | head -1 | cut -d: -f1)
	[ -n "$synced" ]
	[ "$synced" -lt "$committed" ]
	tail -n +"$renamed" trace.txt | grep -q "sync([0-9]*<$PWD>)"
	ledger_ok
}

@test "an input removed while it is read is read whole" {
	club
	cp "$LOY_DB" whole.db
	loy-accrue -d whole.db pos.csv >/dev/null 2>&1
	mkfifo pipe.csv
	(head -c 2000 pos.csv; sleep 0.2; rm -f pipe.csv; tail -c +2001 pos.csv) >pipe.csv &
	run -0 --separate-stderr loy-accrue pipe.csv
	wait
	[ ! -e pipe.csv ]
	[ "$(canon "$LOY_DB")" = "$(canon whole.db)" ]
}

@test "a broken output pipe: listings stop quietly, a writer's run is whole" {
	club
	loy-accrue pos.csv >/dev/null 2>&1
	for cmd in "loy-enroll list" "loy-redeem rewards" "loy-expire --notice 3660" "loy-check"; do
		run --separate-stderr bash -c "$cmd | head -1"
		[ "$status" -eq 0 ]
		[ "$stderr" = "" ]
	done
	if command -v loy-report >/dev/null; then
		run --separate-stderr bash -c "loy-report balances | head -1"
		[ "$stderr" = "" ]
	fi
	# a writer prints after its commit: the pipe closing loses output, not books
	cp "$LOY_DB" whole.db
	gen_pos 400 20 Q 4 >more.csv
	loy-accrue -d whole.db more.csv >/dev/null 2>&1
	run bash -c "set -o pipefail; loy-accrue more.csv 2>err.txt | head -1"
	[ "$output" = "txn_id,member_id,occurred_at,amount,points,status,detail" ]
	[ "$(canon "$LOY_DB")" = "$(canon whole.db)" ]
	ledger_ok
	# with SIGPIPE ignored (as under some supervisors) it says so and exits 74
	cp whole.db "$LOY_DB"
	gen_pos 3000 20 R 5 >more2.csv
	cp "$LOY_DB" whole.db
	loy-accrue -d whole.db more2.csv >/dev/null 2>&1
	run bash -c "trap '' PIPE; set -o pipefail; loy-accrue more2.csv 2>err.txt | head -1; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 74 ]
	grep -q "^loy-accrue: the run is committed, but cannot write the output: Broken pipe" err.txt
	[ "$(canon "$LOY_DB")" = "$(canon whole.db)" ]
}

@test "a broken output pipe after a run that changed nothing does not say it committed" {
	club
	gen_pos 3000 20 R 5 >more.csv
	loy-accrue more.csv >/dev/null 2>&1
	before=$(dump)
	run bash -c "trap '' PIPE; set -o pipefail; loy-accrue more.csv 2>err.txt | head -1; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 74 ]
	[ "$(tail -2 err.txt)" = "$(idle loy-accrue)
loy-accrue: cannot write the output: Broken pipe" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "concurrency: 4 writers and 8 readers on one ledger, nothing lost or doubled" {
	run -0 bash "$TRIALS/concurrency.sh" "$(bindir)" 6
	echo "$output"
	[[ "${lines[-1]}" == *"; 0 failed" ]]
}

@test "idempotency: POS data in random pieces, random order, repeats: the ledger of one import" {
	run -0 bash "$TRIALS/idempotency.sh" "$(bindir)" 12 7
	echo "$output"
	[[ "${lines[-1]}" == *"; 0 failed" ]]
}

@test "hostile input: SQL in every text field is stored as text" {
	new_ledger
	sql="x'); DROP TABLE journal; --"
	csvsql=$(printf '%s' "$sql" | sed 's/"/""/g')
	printf 'member_id,card,name,store,channel,language\n"1%s","C%s","%s","%s","%s","%s"\n' \
	    "$csvsql" "$csvsql" "$csvsql" "$csvsql" "$csvsql" "$csvsql" >m.csv
	run -0 --separate-stderr loy-enroll m.csv
	[ "$(q "SELECT name FROM members")" = "$sql" ]
	[ "$(q "SELECT member_id FROM members")" = "1$sql" ]
	[ "$(q "SELECT card FROM cards")" = "C$sql" ]
	printf 'txn_id,member_id,occurred_at,store,sku,category,amount,channel,description\n"T%s","1%s",2026-11-20 10:00:00,"%s","%s","%s",10.00,"%s","%s"\n' \
	    "$csvsql" "$csvsql" "$csvsql" "$csvsql" "$csvsql" "$csvsql" "$csvsql" >pos.csv
	run -0 --separate-stderr loy-accrue pos.csv
	[ "$(q "SELECT txn_id || '|' || store || '|' || points FROM receipts")" = "T$sql|$sql|10" ]
	printf 'reward_id,name,points,partner\n"R%s","%s",5,"%s"\n' "$csvsql" "$csvsql" "$csvsql" >rw.csv
	run -0 --separate-stderr loy-redeem --catalogue rw.csv
	printf 'request_id,member_id,reward_id,qty,requested_at,channel\n"Q%s","1%s","R%s",1,2026-11-23 09:00:00,"%s"\n' \
	    "$csvsql" "$csvsql" "$csvsql" "$csvsql" >rq.csv
	run -0 --separate-stderr loy-redeem rq.csv
	[[ "${lines[1]}" == *"redeemed"* ]]
	[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'journal'")" = 1 ]
	[ "$(balances)" = "1$sql:5" ]
	ledger_ok
}

# Each program's input, hostile in one way: exit 65 naming FILE:LINE, the
# ledger as it was.  $1: the bad line (printf format), $2: what is said.
each_input_refuses() {
	local bad=$1 says=$2 before
	club
	before=$(dump)
	for kind in enroll accrue adjust catalogue requests segment; do
		case $kind in
		enroll) head='member_id,name,email' args='loy-enroll' good='1099,Ann,a@example.org' ;;
		accrue) head='txn_id,member_id,occurred_at,amount' args='loy-accrue' good='T1,1001,2026-11-20 10:00:00,1.00' ;;
		adjust) head='member_id,points,reason,ref' args='loy-accrue --adjust' good='1001,5,goodwill,G1' ;;
		catalogue) head='reward_id,name,points' args='loy-redeem --catalogue' good='TEA,Tea,5' ;;
		requests) head='request_id,member_id,reward_id,qty,requested_at' args='loy-redeem' good='Q1,1001,COFFEE,1,2026-11-23 09:00:00' ;;
		segment) head='member_id,a,b,c,d' args='loy-segment save s1' good='1001,,,,' ;;
		esac
		{ printf '%s\n%s\n' "$head" "$good"; printf "$bad"; printf '%s\n' "$good"; } >"in $kind.csv"
		run -65 --separate-stderr $args "in $kind.csv"
		[[ "${stderr_lines[0]}" == "${args%% *}: in $kind.csv:3: "*"$says"* ]] || {
			echo "$kind: $stderr" >&2
			return 1
		}
		[ "$(dump)" = "$before" ]
	done
}

@test "hostile input: a NUL byte in any program's input is refused" {
	each_input_refuses 'a\0b,c,d,e,f\n' "contains a NUL byte"
}

@test "hostile input: an overlong field in any program's input is refused" {
	long=$(head -c 70000 /dev/zero | tr '\0' x)
	each_input_refuses "$long,x,y,z,w\n" "longer than 65536 bytes"
}

@test "hostile input: a stray quote in any program's input is refused" {
	each_input_refuses 'ab"c,x,y,z,w\n' "stray quote"
}

@test "hostile input: bad UTF-8 in any program's input is refused" {
	each_input_refuses '\377\376,x,y,z,w\n' "not valid UTF-8"
}

@test "hostile input: a programme file with a NUL byte, bad UTF-8 or random bytes is refused" {
	new_ledger
	before=$(dump)
	printf '[programme]\ncurrency = EUR\nname = a\0b\n' >nul.conf
	run -65 --separate-stderr loy-program load nul.conf
	[ "${stderr_lines[0]}" = "loy-program: nul.conf:3: the file has a NUL byte: not a programme file" ]
	printf '[programme]\ncurrency = \377EUR\n' >utf.conf
	run -65 --separate-stderr loy-program load utf.conf
	[ "${stderr_lines[0]}" = "loy-program: utf.conf:2: the file is not UTF-8" ]
	head -c 100000 /dev/urandom >random.conf
	run -65 --separate-stderr loy-program load random.conf
	[ "$(dump)" = "$before" ]
}

@test "hostile input: an unterminated quote at the end is refused, not read to the end of memory" {
	new_ledger
	before=$(dump)
	{ printf 'member_id,name\n1,"Ann\n'; head -c 200000 /dev/zero | tr '\0' 'y'; } >m.csv
	run -65 --separate-stderr loy-enroll m.csv
	[[ "$stderr" == *"m.csv:2: row has a quoted field that is not terminated"* ]]
	[ "$(dump)" = "$before" ]
}

@test "hostile input: every RFC 4180 corner reads as the standard says" {
	new_ledger
	# embedded newline and CR LF, doubled quotes, deeply quoted, an empty
	# field, CR LF line ends, no final newline
	q60=$(printf '"%.0s' $(seq 1 60))
	printf 'member_id,name,city\r\n1,Ann,"two\r\nlines"\r\n2,"say ""hi""",\r\n3,"%s%s",y\r\n4,,"a,b"' \
	    "$q60" "$q60" >m.csv
	run -0 --separate-stderr loy-enroll m.csv
	[ "$(attrs 1)" = "city=two
lines" ]
	[ "$(q "SELECT name FROM members WHERE member_id = '2'")" = 'say "hi"' ]
	[ "$(q "SELECT length(name) FROM members WHERE member_id = '3'")" = 60 ]
	[ "$(q "SELECT name IS NULL FROM members WHERE member_id = '4'")" = 1 ]
	[ "$(attrs 4)" = "city=a,b" ]
	# an empty last line and blank lines are no rows
	printf 'member_id,name\n5,Eve\n\n\n' >e.csv
	run -0 --separate-stderr loy-enroll e.csv
	[ "${stderr_lines[0]}" = "loy-enroll: e.csv: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected" ]
	ledger_ok
}

@test "hostile input: Unicode in every field, and file names with spaces and newlines" {
	new_ledger
	name=$'Zoë Ångström-Łukasz 张伟 محمد \u200f👩‍👩‍👧 e\u0301'
	printf 'member_id,name,store,channel\n会员-1,"%s",店铺 1,"%s"\n' "$name" "$name" >"members of 東京.csv"
	run -0 --separate-stderr loy-enroll "members of 東京.csv"
	[ "$(q "SELECT name FROM members")" = "$name" ]
	f=$'pos\nnight one.csv'
	printf 'txn_id,member_id,occurred_at,store,sku,category,amount,channel\n收据-1,会员-1,2026-11-20 10:00:00,"%s",ß-1,咖啡,12.00,"%s"\n' \
	    "$name" "$name" >"$f"
	run -0 --separate-stderr loy-accrue "$f"
	[ "${lines[1]}" = "收据-1,会员-1,2026-11-20 10:00:00,12.00,12,credited," ]
	# in a message, the name's line break reads \n: one message, one line
	[ "${stderr_lines[0]}" = 'loy-accrue: pos\nnight one.csv: 1 row, 1 credited, 0 pending, 0 returned, 0 anonymous, 0 duplicate, 0 rejected; 1 receipt, 1 member, 12 points' ]
	printf 'txn_id,member_id,occurred_at,amount\nX,会员-9,2026-11-20 10:00:00,1\n' >"bad $f"
	run -65 --separate-stderr loy-accrue "bad $f"
	[[ "$stderr" == "loy-accrue: bad pos\\nnight one.csv:2: unknown member_id '会员-9'"* ]]
	[ "$(q "SELECT args FROM runs WHERE program = 'loy-accrue'")" = "loy-accrue 'pos
night one.csv'" ]
	ledger_ok
}

@test "hostile input: a value's line break or escape sequence in a message is shown escaped, one message a line" {
	new_ledger
	printf 'member_id,referrer,phone\n1,"9\nloy-enroll: fake.csv:1: all good",\n2,"\033[2J\tx\r",\n3,,"+49\n30"\n' >m.csv
	before=$(dump)
	LOY_SHOW_PERSONAL=0 run -65 --separate-stderr loy-enroll m.csv
	same "$stderr" <<'EOF'
loy-enroll: m.csv:2: referrer '9\nloy-enroll: fake.csv:1: all good' has a control character
loy-enroll: m.csv:4: referrer '\x1b[2J\tx\r' has a control character
loy-enroll: m.csv:5: phone '***' has a control character
loy-enroll: m.csv: 3 rows, 0 created, 0 updated, 0 unchanged, 3 rejected
loy-enroll: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
EOF
	run -65 --separate-stderr loy-enroll m.csv
	[ "${stderr_lines[2]}" = "loy-enroll: m.csv:5: phone '+49\\n30' has a control character" ]
	[ "$(dump)" = "$before" ]
	# the rejects file keeps the values as they are
	run -1 --separate-stderr loy-enroll --rejects bad.csv m.csv
	[ "$(q "SELECT count(*) FROM members")" = 0 ]
	[ "$(grep -c $'\033' bad.csv)" = 1 ]
	ledger_ok
}

@test "fuzz: the seed corpora and every crash found replay cleanly" {
	fz="$(dirname "$(bindir)")/fuzz"
	[ -d "$fz" ] || skip "no fuzz harnesses built"
	n=0
	for h in "$fz"/*; do
		name=$(basename "$h")
		"$h" "$BATS_TEST_DIRNAME/../fuzz/seeds/$name"/*
		for c in "$BATS_TEST_DIRNAME/../fuzz/crashes/$name"-*; do
			[ -e "$c" ] || continue
			"$h" "$c"
			n=$((n + 1))
		done
	done
	[ "$n" -ge 1 ]
}

@test "fuzz: each harness links from the library files make fuzz compiles for it" {
	command -v cc >/dev/null || skip "no C compiler"
	src="$BATS_TEST_DIRNAME/.."
	# fuzz/run.sh compiles only the files its need() names for a harness:
	# one it leaves out (a module a named one came to use) fails make fuzz
	eval "$(sed -n '/^need() {/,/^}/p' "$src/fuzz/run.sh")"
	for h in csv money when; do
		objs=
		for m in $(need "$h"); do
			cc -std=c11 -D_GNU_SOURCE -I"$src/lib" -c -o "$m.o" "$src/lib/$m.c"
			objs="$objs $m.o"
		done
		run cc -std=c11 -D_GNU_SOURCE -I"$src/lib" -I"$src/fuzz" -o "fuzz-$h" \
		    "$src/fuzz/$h.c" $objs -lsqlite3 -lcsv -lpcre2-8
		[ "$status" -eq 0 ] || { echo "$h: $output"; false; }
	done
}

@test "--safe-cells: formulas get an apostrophe, inside the quotes; numbers are data" {
	new_ledger
	cat >m.csv <<'CSV'
member_id,name
1,"=HYPERLINK(""http://x"",""y"")"
2,+1+2
3,-2+3
4,@SUM(A1)
5,"=a,b"
6,Plain
CSV
	printf '7,CR\n' >>m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# (a carriage return alone is refused in a name now: as an older loy
	# stored it)
	q "UPDATE members SET name = char(13) || 'CR' WHERE member_id = '7'"
	run -0 --separate-stderr loy-enroll list --safe-cells
	[[ "$output" == *$'\n1,active,"\'=HYPERLINK(""http://x"",""y"")"'* ]]
	[[ "$output" == *$'\n2,active,\'+1+2,'* ]]
	[[ "$output" == *$'\n3,active,\'-2+3,'* ]]
	[[ "$output" == *$'\n4,active,\'@SUM(A1),'* ]]
	[[ "$output" == *$'\n5,active,"\'=a,b",'* ]]
	[[ "$output" == *$'\n6,active,Plain,'* ]]
	[[ "$output" == *$'\n7,active,"\'\rCR",'* ]]
	# points and amounts, negative ones too, are written as they are
	printf 'txn_id,member_id,occurred_at,amount\n=T1,1,2026-11-01 10:00:00,40.00\n-T2,1,2026-11-02 10:00:00,-12.50\n' >pos.csv
	tr , '\t' <pos.csv >pos.tsv
	run -0 --separate-stderr loy-accrue -n --safe-cells --tsv pos.tsv
	[ "${lines[2]}" = "$(printf "'-T2\t1\t2026-11-02 10:00:00\t-12.50\t-12\treturned\t")" ]
	run -0 --separate-stderr loy-accrue --safe-cells pos.csv
	[ "${lines[1]}" = "'=T1,1,2026-11-01 10:00:00,40.00,40,credited," ]
	[ "${lines[2]}" = "'-T2,1,2026-11-02 10:00:00,-12.50,-12,returned," ]
}

@test "--safe-cells is an option of every program that writes CSV" {
	for p in loy-accrue loy-check loy-enroll loy-expire loy-redeem; do
		run -0 --separate-stderr "$p" --help
		[[ "$output" == *"--safe-cells"* ]] || { echo "$p has no --safe-cells" >&2; return 1; }
	done
}

@test "personal data stays out of messages unless LOY_SHOW_PERSONAL asks for it" {
	new_ledger
	unset LOY_SHOW_PERSONAL
	printf 'member_id,name,phone,email,birthday\n1,Ann,12,ann@localhost,1990-02-30\n' >m.csv
	run -1 --separate-stderr loy-enroll --rejects bad.csv m.csv
	[ "${stderr_lines[0]}" = "loy-enroll: m.csv:2: phone '***' does not match the programme's phone_pattern" ]
	[[ "$stderr" != *"ann@localhost"* ]]
	# the rejects file is the operator's own data: the row and the reason as they are
	[ "$(sed -n 2p bad.csv)" = "1,Ann,12,ann@localhost,1990-02-30,2,phone '12' does not match the programme's phone_pattern" ]
	printf 'member_id,name,birthday\n1,Ann,1990-02-30\n' >m.csv
	run -65 --separate-stderr loy-enroll m.csv
	[ "${stderr_lines[0]}" = "loy-enroll: m.csv:2: birthday '***' is not a valid date" ]
	run -65 --separate-stderr env LOY_SHOW_PERSONAL=1 loy-enroll m.csv
	[ "${stderr_lines[0]}" = "loy-enroll: m.csv:2: birthday '1990-02-30' is not a valid date" ]
	printf 'txn_id,phone,occurred_at,amount\nT1,+44 20 7946 0000,2026-11-20 10:00:00,1.00\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: unknown phone '***'" ]
}

@test "loy-accrue hides a receipt's two phones or e-mails in its message and writes them plain, without marks, in its output" {
	new_ledger
	printf 'member_id,email\n1001,ann@example.com\n' | loy-enroll - >/dev/null 2>&1
	unset LOY_SHOW_PERSONAL
	printf 'txn_id,member_id,email,occurred_at,amount\nT1,1001,ann@example.com,2026-11-20 10:00:00,1.00\nT1,1001,bob@example.com,2026-11-20 10:00:00,1.00\nT2,,zed@example.com,2026-11-20 10:00:00,1.00\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: receipt 'T1' is refused: receipt 'T1' has lines for email '***' and '***' (line 3)" ]
	[ "${stderr_lines[1]}" = "loy-accrue: pos.csv:3: receipt 'T1' has lines for email '***' and '***'" ]
	[ "${stderr_lines[2]}" = "loy-accrue: pos.csv:4: unknown email '***'" ]
	[[ "$stderr" != *"example.com"* ]]
	run -1 --separate-stderr loy-accrue --rejects rej.csv pos.csv
	[ "${lines[1]}" = "T1,1001,2026-11-20 10:00:00,,0,rejected,receipt 'T1' has lines for email 'ann@example.com' and 'bob@example.com'" ]
	[ "${lines[2]}" = "T2,,2026-11-20 10:00:00,1.00,0,rejected,unknown email 'zed@example.com'" ]
	[ "$(sed -n 4p rej.csv)" = "T2,,zed@example.com,2026-11-20 10:00:00,1.00,4,unknown email 'zed@example.com'" ]
	ledger_ok
}

@test "a new ledger is readable and writable by its owner only, whatever the umask" {
	umask 000
	run -0 loy-init -d open.db
	[ "$(stat -c %a open.db)" = 600 ]
	umask 022
	run -0 loy-init
	[ "$(stat -c %a "$LOY_DB")" = 600 ]
	no_files "$LOY_DB.new"
}

@test "every listing and report on a new, empty ledger ends cleanly" {
	new_ledger
	for cmd in "loy-enroll list" "loy-enroll duplicates" "loy-redeem rewards" \
	    "loy-expire --notice 30" "loy-check" "loy-program versions" "loy-program show" \
	    "loy-segment value" "loy-segment rfm" "loy-segment lapse" "loy-segment lifecycle" \
	    "loy-segment birthdays" "loy-segment best 10" "loy-segment never-bought" \
	    "loy-segment referrers" "loy-segment segments" "loy-segment tiers" \
	    "loy-report balances" "loy-report liability" "loy-report earn-burn" \
	    "loy-report breakage" "loy-report tiers" "loy-report economics" \
	    "loy-report retention" "loy-report referrals" "loy-report partners" \
	    "loy-report redemptions" "loy-report runs" "loy-report html"; do
		command -v "${cmd%% *}" >/dev/null || continue
		run --separate-stderr $cmd
		[ "$status" -eq 0 ] || { echo "$cmd: exit $status: $stderr" >&2; return 1; }
	done
}

@test "receipts at the end of the calendar: pending stays pending, an expiry past 9999 is refused aloud" {
	export LOY_NOW="9999-12-30 12:00:00"
	new_ledger --set expiry_months=0 --set return_window_days=30
	printf 'member_id\n1\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,1,9999-12-29 10:00:00,10.00\n' >p.csv
	# 30 days after 9999-12-29 is past the last day loy keeps: still pending
	run -0 --separate-stderr loy-accrue p.csv
	[ "${lines[1]}" = "T1,1,9999-12-29 10:00:00,10.00,10,pending," ]
	[ "$(q "SELECT available_at FROM lots")" = "9999-12-31 23:59:59" ]
	rm -f "$LOY_DB"
	new_ledger --set expiry_months=24
	loy-enroll m.csv >/dev/null 2>&1
	before=$(dump)
	run -65 --separate-stderr loy-accrue p.csv
	[ "${stderr_lines[0]}" = "loy-accrue: p.csv:2: its points would expire past the year 9999" ]
	[ "$(dump)" = "$before" ]
}
