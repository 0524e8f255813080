#!/usr/bin/env bats
# loy-check: the ledger's invariants.

load helper

# Two members with points, one merged into the other: every table in use.
busy_life() {
	new_ledger
	printf 'member_id,card,name,email,language\n1,C1,Ann,ann@example.org,de\n2,C2,Bob,bob@example.org,en\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	give_points 1 100
	give_points 2 40
	give_points 2 2
	loy-enroll merge 2 1 >/dev/null 2>&1
}

@test "passes on a fresh ledger" {
	new_ledger
	run -0 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail" ]
	[ "$stderr" = "" ]
}

@test "passes on a ledger with members, points and a merge" {
	busy_life
	[ "$(q "SELECT member_id || ':' || points FROM balances ORDER BY member_id")" = "$(printf '1:142\n2:0')" ]
	run -0 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail" ]
	[ "$stderr" = "" ]
}

@test "passes on a ledger another process is writing" {
	busy_life
	hold_lock
	run -0 --separate-stderr loy-check --busy-timeout 0
	release_lock
	[ "$output" = "invariant,subject,detail" ]
	[ "$stderr" = "" ]
}

@test "changes nothing in the ledger" {
	busy_life
	before=$(dump)
	run -0 --separate-stderr loy-check
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a damaged ledger file is a violation: the invariants it hides, then integrity's report, exit 65" {
	busy_life
	ps=$(q "PRAGMA page_size")
	root=$(q "SELECT rootpage FROM sqlite_schema WHERE name = 'journal'")
	q "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	# the end of the journal's page, where its rows are, overwritten
	head -c 150 /dev/zero | tr '\0' '\377' |
	    dd of="$LOY_DB" bs=1 seek=$((ps * root - 200)) conv=notrunc 2>/dev/null
	run -65 --separate-stderr loy-check
	[ "${lines[0]}" = "invariant,subject,detail" ]
	[ "${lines[1]}" = "balance-equals-journal,database,cannot be checked: database disk image is malformed" ]
	[[ "$output" == *$'\nintegrity,database,"*** in database main ***\nOn tree page '"$root"' '* ]]
	[[ "$stderr" == "loy-check: ledger '$LOY_DB': "*" violations" ]]
}

@test "a copy of the ledger cut short cannot be opened: exit 66 with SQLite's message, as loy-check(1) says" {
	busy_life
	q "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	head -c $(($(stat -c %s "$LOY_DB") / 2)) "$LOY_DB" >cut.db
	run -66 --separate-stderr loy-check -d cut.db
	[ "$output" = "" ]
	[ "$stderr" = "loy-check: ledger 'cut.db': cannot run statement: database disk image is malformed" ]
}

@test "a table or column dropped from the ledger is a violation of the invariants it hides, exit 65, not an internal error" {
	busy_life
	q "DROP TABLE lot_moves; ALTER TABLE members DROP COLUMN attrs"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
lot-moves-equal-lots,database,cannot be checked: no such table: lot_moves
lot-move-references-exist,database,cannot be checked: no such table: lot_moves
attributes-are-an-object,database,cannot be checked: no such column: attrs
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 3 violations" ]
}

@test "catches a balance that is not the sum of its entries" {
	busy_life
	q "UPDATE balances SET points = points + 1 WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
balance-equals-journal,1,"balance 143, journal sum 142"
lots-equal-balance,1,"open lots 142, balance 143"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
}

@test "catches a lot whose remaining points do not add up" {
	busy_life
	lot=$(q "SELECT min(lot_id) FROM lots WHERE member_id = '1'")
	moves=$(q "SELECT coalesce(sum(points), 0) FROM lot_moves WHERE lot_id = $lot")
	q "UPDATE lots SET remaining = remaining - 1 WHERE lot_id = $lot"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
lots-equal-balance,1,"open lots 141, balance 142"
lot-moves-equal-lots,lot $lot,"created 100, remaining 99, moves $moves"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
}

@test "catches a journal entry of a member who does not exist" {
	busy_life
	q "INSERT INTO journal(member_id, kind, points, occurred_at, posted_at, run_id, source, ref)
	   VALUES ('404', 'adjust', 5, '2026-11-02 09:00:00', '2026-11-02 09:00:00', 1,
	    'adjustment', 'CALL-404')"
	entry=$(q "SELECT max(entry_id) FROM journal")
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
balance-equals-journal,404,"balance 0, journal sum 5"
journal-member-exists,entry $entry,unknown member '404'
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
}

@test "catches a journal that is no longer append-only" {
	busy_life
	q "DROP TRIGGER journal_no_update"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
journal-append-only,trigger journal_no_update,missing
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
}

@test "catches a programmes table no longer append-only, and a programme version whose text is not the one loaded" {
	new_ledger
	loy-program load --from 2026-11-01 "$EXAMPLES/programme.conf" >/dev/null 2>&1
	ledger_ok
	q "DROP TRIGGER programmes_no_update; DROP TRIGGER programmes_no_delete"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
programmes-append-only,trigger programmes_no_update,missing
programmes-append-only,trigger programmes_no_delete,missing
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
	# a version's text changed in place, as its points to the euro
	sha=$(q "SELECT sha256 FROM programmes WHERE version = 2")
	q "UPDATE programmes SET text = replace(text, 'points = 1', 'points = 10') WHERE version = 2"
	q "SELECT writefile('text', text) FROM programmes WHERE version = 2" >/dev/null
	now=$(sha256sum <text | cut -d' ' -f1)
	[ "$now" != "$sha" ]
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
programmes-append-only,trigger programmes_no_update,missing
programmes-append-only,trigger programmes_no_delete,missing
programme-versions-match-checksum,programme version 2,"sha256 $sha, but its text's is $now"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 3 violations" ]
}

@test "catches a card of a member who does not exist" {
	busy_life
	q "UPDATE cards SET member_id = '405' WHERE card = 'C2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
card-references-exist,card C2,unknown member '405'
EOF
}

@test "tells a card replaced by a card that is not there from one of an unknown run" {
	busy_life
	loy-enroll replace-card C1 C3 >/dev/null 2>&1
	ledger_ok
	q "UPDATE cards SET replaced_by = 'C9' WHERE card = 'C1'; UPDATE cards SET run_id = 99 WHERE card = 'C2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
card-references-exist,card C2,unknown run 99
card-references-exist,card C1,replaced by unknown card 'C9'
EOF
}

@test "catches a card replaced by no card, an active card replaced, one replaced by itself or by another member's card" {
	busy_life
	loy-enroll replace-card C1 C3 >/dev/null 2>&1
	ledger_ok
	q "UPDATE cards SET replaced_by = NULL WHERE card = 'C1';
	   UPDATE cards SET replaced_by = 'C1' WHERE card = 'C3'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
card-references-exist,card C1,status 'replaced' but replaced by no card
card-references-exist,card C3,status 'active' but replaced by card 'C1'
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
	printf 'member_id,card\n3,C4\n' | loy-enroll - >/dev/null 2>&1
	q "UPDATE cards SET replaced_by = 'C1' WHERE card = 'C1';
	   UPDATE cards SET status = 'replaced', replaced_by = 'C4' WHERE card = 'C3'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
card-references-exist,card C1,replaced by itself
card-references-exist,card C3,"of member '1', replaced by card 'C4' of member '3'"
EOF
}

@test "catches a run with no end, as only a run that never committed would have" {
	busy_life
	run_id=$(q "SELECT max(run_id) FROM runs WHERE program = 'loy-enroll'")
	q "UPDATE runs SET ended_at = NULL WHERE run_id = $run_id"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
run-ended,run $run_id,"loy-enroll started 2026-11-23 12:00:00, but never ended"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
}

@test "catches a referrer who does not exist" {
	busy_life
	q "UPDATE members SET referrer = '406' WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,1,unknown referrer '406'
EOF
}

@test "catches a member who is their own referrer" {
	busy_life
	q "UPDATE members SET referrer = member_id WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,1,its own referrer
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
}

@test "tells a member merged though not so by status from one merged into an unknown member" {
	busy_life
	# an active member whose merged_into names a member that exists
	q "UPDATE members SET merged_into = '2' WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,1,status 'active' but merged into '2'
EOF
	# a merged member whose merged_into names no member there is (and
	# the entries of its merge no longer fit)
	q "UPDATE members SET merged_into = NULL WHERE member_id = '1'"
	q "UPDATE members SET merged_into = '407' WHERE member_id = '2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
journal-source-fits-kind,entry 4,"merge with '1', neither merged into the other"
journal-source-fits-kind,entry 5,"merge with '2', neither merged into the other"
merge-entries-pair,entry 4,"merge of -42 points into '2' from '1', but no entry out of it"
merge-entries-pair,entry 5,"merge of 42 points into '1' from '2', but no entry out of it"
member-references-exist,2,merged into unknown member '407'
EOF
	# both at once, and a merged member merged into none
	q "UPDATE members SET merged_into = '408' WHERE member_id = '1'"
	q "UPDATE members SET merged_into = NULL WHERE member_id = '2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
journal-source-fits-kind,entry 4,"merge with '1', neither merged into the other"
journal-source-fits-kind,entry 5,"merge with '2', neither merged into the other"
merge-entries-pair,entry 4,"merge of -42 points into '2' from '1', but no entry out of it"
merge-entries-pair,entry 5,"merge of 42 points into '1' from '2', but no entry out of it"
member-references-exist,1,status 'active' but merged into unknown member '408'
member-references-exist,2,status 'merged' but merged into no member
EOF
}

@test "catches a merged member with no time of its merge, and a member not merged with a merge's time, run or survivor's referrer" {
	busy_life
	printf 'member_id,referrer\n3,\n4,3\n5,\n' | loy-enroll - >/dev/null 2>&1
	loy-enroll close 5 >/dev/null 2>&1
	loy-enroll reopen 5 >/dev/null 2>&1
	loy-enroll close 4 >/dev/null 2>&1
	loy-enroll merge 4 3 >/dev/null 2>&1
	loy-enroll forget 3 >/dev/null 2>&1
	run -0 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail" ]
	cp "$LOY_DB" good.db
	# a merge made before version 21 may have no run: not a violation
	q "UPDATE members SET merged_run = NULL WHERE member_id = '2'"
	run -0 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail" ]
	q "UPDATE members SET merged_at = NULL WHERE member_id = '2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,2,status 'merged' but merged at no time
EOF
	cp good.db "$LOY_DB"
	q "UPDATE members SET merged_at = '2026-11-01 10:00:00' WHERE member_id = '1'"
	q "UPDATE members SET merged_run = 1 WHERE member_id = '5'"
	q "UPDATE members SET into_referrer = '1' WHERE member_id = '3'"
	q "UPDATE members SET status = 'closed', closed_at = '2026-11-02 10:00:00' WHERE member_id = '3'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,1,status 'active' but merged at '2026-11-01 10:00:00'
member-references-exist,3,status 'closed' but survivor's referrer '1'
member-references-exist,5,status 'active' but merged by run 1
EOF
	cp good.db "$LOY_DB"
	q "UPDATE members SET merged_at = '2026-11-01 10:00:00', merged_run = 1, into_referrer = '2' WHERE member_id = '1'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,1,"status 'active' but merged at '2026-11-01 10:00:00', merged by run 1, survivor's referrer '2'"
EOF
	cp good.db "$LOY_DB"
	ledger_ok
}

@test "catches merges that form a loop, as only a ledger edited by hand has" {
	busy_life
	printf 'member_id\nL1\nL2\nL3\n' | loy-enroll - >/dev/null 2>&1
	run -0 --separate-stderr loy-enroll merge L1 L2
	ledger_ok
	q "UPDATE members SET status = 'merged', merged_into = 'L1', merged_at = '2026-11-23 12:00:00' WHERE member_id = 'L2'"
	run -65 --separate-stderr loy-check
	same "$(sort <<<"$output")" <<'EOF'
invariant,subject,detail
member-references-exist,L1,"merged into 'L2', and its merges form a loop"
member-references-exist,L2,"merged into 'L1', and its merges form a loop"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
	# L3 into itself
	q "UPDATE members SET status = 'active', merged_into = NULL, merged_at = NULL WHERE member_id = 'L2'"
	q "UPDATE members SET status = 'merged', merged_into = 'L3', merged_at = '2026-11-23 12:00:00' WHERE member_id = 'L3'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,L3,"merged into 'L3', and its merges form a loop"
EOF
}

@test "catches referrers that form a loop, each loop once, as a ledger written before loy-enroll refused them may hold" {
	busy_life
	printf 'member_id,referrer\nR1,\nR2,R1\nR3,R2\nR4,2\nR5,R1\nR6,\nR7,R6\nR8,R7\nR9,\n' >r.csv
	loy-enroll r.csv >/dev/null 2>&1
	# merges of referred members, one whose referrer's chain comes back
	# through the duplicate (R8 referred by R7, R7 by R6, R6 merged into
	# R8): the merge leaves no loop, and a merged member named as
	# referrer stands for its survivor (R4 referred by 2, merged into 1)
	printf 'member_id,referrer\nR6,R9\n' | loy-enroll - >/dev/null 2>&1
	run -0 --separate-stderr loy-enroll merge R6 R8
	run -0 --separate-stderr loy-check
	[ "$output" = "invariant,subject,detail" ]
	[ "$(q "SELECT member_id || ':' || coalesce(referrer, '-') FROM members WHERE member_id IN ('R6', 'R7', 'R8') ORDER BY 1")" = "R6:R9
R7:R6
R8:R9" ]
	# R1 referred by R3: R1, R2, R3 go round, R5 hangs off the loop; 1
	# referred by R4, who was referred by 2, merged into 1; R9 its own
	# referrer, which member-references-exist says alone
	q "UPDATE members SET referrer = 'R3' WHERE member_id = 'R1';
	   UPDATE members SET referrer = 'R4' WHERE member_id = '1';
	   UPDATE members SET referrer = 'R9' WHERE member_id = 'R9'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
member-references-exist,R9,its own referrer
referrers-form-no-loop,1,"referrers form a loop: '1' referred by 'R4', 'R4' referred by '2', '2' merged into '1'"
referrers-form-no-loop,R1,"referrers form a loop: 'R1' referred by 'R3', 'R3' referred by 'R2', 'R2' referred by 'R1'"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 3 violations" ]
	# a loop of 50 members is said once, from the member that sorts first
	q "UPDATE members SET referrer = NULL"
	awk 'BEGIN { print "member_id"; for (i = 1; i <= 50; i++) printf "L%02d\n", i }' >l.csv
	loy-enroll l.csv >/dev/null 2>&1
	q "UPDATE members SET referrer = printf('L%02d', substr(member_id, 2) % 50 + 1) WHERE member_id GLOB 'L*'"
	run -65 --separate-stderr loy-check
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "referrers-form-no-loop,L01,\"referrers form a loop: 'L01' referred by 'L02', 'L02' referred by 'L03', "*", 'L50' referred by 'L01'\"" ]]
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
}

@test "-q prints nothing and keeps the exit status" {
	busy_life
	run -0 --separate-stderr loy-check -q
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	q "UPDATE balances SET points = points + 1 WHERE member_id = '1'"
	run -65 --separate-stderr loy-check -q
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	run -65 --separate-stderr loy-check --quiet
	[ "$output" = "" ]
}

@test "--table aligns the violations" {
	busy_life
	q "DROP TRIGGER journal_no_update"
	q "UPDATE members SET referrer = '406' WHERE member_id = '1'"
	run -65 --separate-stderr loy-check --table
	same "$output" <<'EOF'
invariant                subject                    detail
member-references-exist  1                          unknown referrer '406'
journal-append-only      trigger journal_no_update  missing
EOF
}

@test "--tsv writes the violations as TSV" {
	busy_life
	q "UPDATE balances SET points = points + 1 WHERE member_id = '1'"
	run -65 --separate-stderr loy-check --tsv
	same "$output" <<EOF
invariant	subject	detail
balance-equals-journal	1	balance 143, journal sum 142
lots-equal-balance	1	open lots 142, balance 143
EOF
}

@test "--safe-cells neutralises a subject that looks like a formula" {
	new_ledger
	q "INSERT INTO balances VALUES ('=1+2', 5, 0)"
	run -65 --separate-stderr loy-check --safe-cells
	[[ "$output" == *"balance-equals-journal,'=1+2,"* ]]
	run -65 --separate-stderr loy-check
	[[ "$output" == *"balance-equals-journal,=1+2,"* ]]
}

@test "--help prints the usage on standard output" {
	run -0 --separate-stderr loy-check --help
	[ "$stderr" = "" ]
	[ "${lines[0]}" = "usage: loy-check [-qV] [-d ledger] [--busy-timeout seconds] [--safe-cells]" ]
	[[ "$output" == *"-q, --quiet"* ]]
	run -0 --separate-stderr loy-check -h
	[ "${lines[0]}" = "usage: loy-check [-qV] [-d ledger] [--busy-timeout seconds] [--safe-cells]" ]
	[ ! -e "$LOY_DB" ]
}

@test "--version prints the version" {
	run -0 --separate-stderr loy-check --version
	[ "$output" = "loy-check 0.1.0" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr loy-check -V
	[ "$output" = "loy-check 0.1.0" ]
}

@test "a bad option prints the usage on standard error" {
	new_ledger
	run -64 --separate-stderr loy-check --bogus
	[ "$output" = "" ]
	same "$stderr" <<'EOF'
loy-check: unrecognized option '--bogus'
usage: loy-check [-qV] [-d ledger] [--busy-timeout seconds] [--safe-cells]
                 [--table | --tsv]
Try 'loy-check --help' for more information.
EOF
	ledger_ok
}

@test "an operand is a usage error" {
	new_ledger
	run -64 --separate-stderr loy-check other.db
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-check: 'other.db': loy-check reads no input and takes no operands" ]
	[ "${stderr_lines[1]}" = "usage: loy-check [-qV] [-d ledger] [--busy-timeout seconds] [--safe-cells]" ]
	ledger_ok
}

@test "catches a redemption the journal does not bear out" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\nR2,1001,NOPE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-redeem cancel R1 >/dev/null 2>&1
	ledger_ok
	sqlite3 "$LOY_DB" "UPDATE redemptions SET points = 30 WHERE request_id = 'R1'"
	run -65 --separate-stderr loy-check
	[ "${lines[1]}" = "redemption-matches-journal,redemption R1,\"cancelled for 30 points; journal: redeemed 20, cancelled 20\"" ]
}

@test "a ledger in a directory the user may not write says why it cannot be read" {
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv(1) to act as another user"
	dir=$(mktemp -d /tmp/loy-ro.XXXXXX)
	new_ledger -d "$dir/ro.db"
	chmod 755 "$dir"
	chmod 444 "$dir/ro.db"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	run -74 --separate-stderr nobody "$(command -v loy-check)" -d "$dir/ro.db"
	[ "$stderr" = "loy-check: ledger '$dir/ro.db' cannot be read here: its directory '$dir' is not writable, and a ledger is read through a file beside it ('$dir/ro.db-shm'); copy the ledger where you may write, or ask for write access" ]
	# where it may make that file, it reads the ledger as it is
	chmod 777 "$dir"
	run -0 --separate-stderr nobody "$(command -v loy-check)" -d "$dir/ro.db"
	[ "$output" = "invariant,subject,detail" ]
	rm -rf "$dir"
}

@test "a writer stopped by the -shm a read-only reader left says what to do about it" {
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv(1) to act as another user"
	dir=$(mktemp -d /tmp/loy-ro.XXXXXX)
	new_ledger -d "$dir/l.db"
	chown -R 65534:65534 "$dir"
	chmod 444 "$dir/l.db"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$dir" "$@"; }
	# a check while the ledger may not be written leaves -wal and -shm read-only
	run -0 --separate-stderr nobody "$(command -v loy-check)" -d "$dir/l.db"
	[ -e "$dir/l.db-shm" ]
	chmod 644 "$dir/l.db"
	printf 'member_id\n1\n' >"$dir/one.csv"
	run -74 --separate-stderr nobody "$(command -v loy-enroll)" -d "$dir/l.db" "$dir/one.csv"
	[[ "$stderr" == "loy-enroll: ledger '$dir/l.db': cannot start a transaction: '$dir/l.db-"*"' may not be written by this user (a run without write access to the ledger left it): give it and its -wal or -shm twin the ledger's owner and mode (chown, chmod); never remove a -wal file, it may hold committed runs" ]]
	# as the message says
	chmod 644 "$dir/l.db-wal" "$dir/l.db-shm"
	run -0 --separate-stderr nobody "$(command -v loy-enroll)" -d "$dir/l.db" "$dir/one.csv"
	run -0 --separate-stderr nobody "$(command -v loy-check)" -d "$dir/l.db"
	rm -rf "$dir"
}

@test "catches a redemption, transfer, balance, receipt, reward or segment naming a run, entry or partner that is not there" {
	new_ledger --set transfers=yes
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points,partner\nCOFFEE,Coffee,20,Cafe\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\nR2,1001,NOPE\nR3,1001,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-redeem cancel R1 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,1001,1002,5\nX2,1001,9999,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	loy-segment --save club best 2 >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	ledger_ok
	cp "$LOY_DB" good.db
	for t in \
	    "UPDATE redemptions SET run_id = 99 WHERE request_id = 'R3'|redemption R3,unknown run 99" \
	    "UPDATE redemptions SET entry_id = 99 WHERE request_id = 'R3'|redemption R3,unknown entry 99" \
	    "UPDATE redemptions SET cancel_entry = 99 WHERE request_id = 'R1'|redemption R1,unknown cancel entry 99" \
	    "UPDATE transfers SET run_id = 99 WHERE transfer_id = 'X1'|transfer X1,unknown run 99" \
	    "UPDATE transfers SET to_entry = 99 WHERE transfer_id = 'X1'|transfer X1,unknown entry 99 of the receiver" \
	    "UPDATE balances SET last_entry_id = 99 WHERE member_id = '1002'|1002,unknown last entry 99" \
	    "UPDATE receipts SET entry_id = 99 WHERE txn_id = 'A'|receipt A,unknown entry 99" \
	    "UPDATE rewards SET partner_id = 'Kino'|reward COFFEE,unknown partner 'Kino'" \
	    "UPDATE partners SET updated_run = 99|partner Cafe,unknown run 99" \
	    "UPDATE segments SET run_id = 99|segment club,unknown run 99"; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "${t%%|*}"
		run -65 --separate-stderr loy-check
		# an entry that is not there is not the row's own entry either
		grep -qFx "references-exist,${t#*|}" <<<"$output"
		[ "$(grep -c '^references-exist,' <<<"$output")" = 1 ]
	done
}

@test "names the reference that is not there: a lot's member or entry, a move's entry or lot, the member or run of a receipt, tier change, award or event, a code's reward or run" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-program load --from 2026-11-01 "$EXAMPLES/programme.conf" >/dev/null 2>&1
	loy-accrue "$EXAMPLES/pos.csv" >/dev/null 2>&1
	loy-accrue --events "$EXAMPLES/events.csv" >/dev/null 2>&1
	loy-redeem --catalogue "$EXAMPLES/rewards.csv" >/dev/null 2>&1
	loy-redeem --codes "$EXAMPLES/partner-codes.csv" >/dev/null 2>&1
	loy-segment --assign "$EXAMPLES/status-match.csv" tiers --apply >/dev/null 2>&1
	loy-segment --save gala best 3 >/dev/null 2>&1
	ledger_ok
	[ "$(q "SELECT count(*) FROM lot_moves") $(q "SELECT count(*) FROM tier_history")" = "1 1" ]
	[ "$(q "SELECT count(*) FROM rule_awards") $(q "SELECT count(*) FROM reward_codes")" = "2 3" ]
	cp "$LOY_DB" good.db
	move=$(q "SELECT entry_id || ' lot ' || lot_id FROM lot_moves")
	for t in \
	    "UPDATE lots SET member_id = '98', entry_id = 99 WHERE lot_id = 1|lot-references-exist,lot 1,unknown member '98'|lot-references-exist,lot 1,unknown entry 99" \
	    "UPDATE lot_moves SET entry_id = 99|lot-move-references-exist,entry 99 lot ${move#* lot },unknown entry 99" \
	    "UPDATE lot_moves SET lot_id = 99|lot-move-references-exist,entry ${move% lot *} lot 99,unknown lot 99" \
	    "UPDATE receipts SET member_id = '98', run_id = 99 WHERE txn_id = 'T1003'|receipt-references-exist,receipt T1003,unknown member '98'|receipt-references-exist,receipt T1003,unknown run 99" \
	    "UPDATE members SET created_run = 98, updated_run = 99 WHERE member_id = '1007'|member-references-exist,1007,created by unknown run 98|member-references-exist,1007,updated by unknown run 99" \
	    "UPDATE members SET merged_run = 97 WHERE member_id = '1007'|member-references-exist,1007,merged by unknown run 97" \
	    "UPDATE tier_history SET member_id = '98', run_id = 99|tier-history-chains,tier change 1,unknown member '98'|tier-history-chains,tier change 1,unknown run 99" \
	    "UPDATE rule_awards SET member_id = '98', run_id = 99 WHERE points = 0|award-matches-journal,award 1,unknown member '98'|award-matches-journal,award 1,unknown run 99" \
	    "UPDATE events SET member_id = '98', run_id = 99 WHERE points = 0|event-matches-journal,event EV-0002,unknown member '98'|event-matches-journal,event EV-0002,unknown run 99" \
	    "UPDATE reward_codes SET reward_id = 'NOPE', loaded_run = 99 WHERE seq = 3|code-handed-out-once,code KB-7731-0003,unknown reward 'NOPE'|code-handed-out-once,code KB-7731-0003,unknown run 99"; do
		cp good.db "$LOY_DB"
		q "${t%%|*}"
		run -65 --separate-stderr loy-check
		local want=${t#*|}
		while [ -n "$want" ]; do
			grep -qFx -- "${want%%|*}" <<<"$output" ||
			    { echo "no '${want%%|*}' in: $output" >&2; return 1; }
			[[ $want == *'|'* ]] && want=${want#*|} || want=
		done
		! grep -E ' or (run|entry|lot|member)' <<<"$output" || false
	done
	# a segment's members listed under a name no segment has
	cp good.db "$LOY_DB"
	q "UPDATE segment_members SET segment = 'vip' WHERE member_id = (SELECT min(member_id) FROM segment_members)"
	q "UPDATE segment_members SET member_id = '98' WHERE member_id = (SELECT max(member_id) FROM segment_members)"
	first=$(q "SELECT member_id FROM segment_members WHERE segment = 'vip'")
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
segment-members-exist,segment gala,"members 3, listed 2"
segment-members-exist,segment vip,"lists member '$first', but no such segment is saved"
segment-members-exist,segment gala,unknown member '98'
EOF
}

@test "catches a lot, a balance's last entry or an event whose entry is another member's" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-program load --from 2026-11-01 "$EXAMPLES/programme.conf" >/dev/null 2>&1
	loy-accrue "$EXAMPLES/pos.csv" >/dev/null 2>&1
	loy-accrue --events "$EXAMPLES/events.csv" >/dev/null 2>&1
	ledger_ok
	cp "$LOY_DB" good.db
	# EV-0001 is 1001's, with entry e and lot l; EV-0003 is 1003's, entry o
	e=$(q "SELECT entry_id FROM events WHERE event_id = 'EV-0001'")
	o=$(q "SELECT entry_id FROM events WHERE event_id = 'EV-0003'")
	l=$(q "SELECT lot_id FROM lots WHERE entry_id = $e")
	[ "$(q "SELECT last_entry_id FROM balances WHERE member_id = '1001'")" = "$e" ]
	for t in \
	    "UPDATE lots SET entry_id = $o WHERE lot_id = $l|lot-references-exist,lot $l,\"of member '1001', its entry $o of member '1003'\"" \
	    "UPDATE balances SET last_entry_id = $o WHERE member_id = '1001'|references-exist,1001,last entry $o of member '1003'" \
	    "UPDATE events SET entry_id = $o WHERE event_id = 'EV-0001'|event-matches-journal,event EV-0001,\"member '1001', its entry $o of member '1003'\""; do
		cp good.db "$LOY_DB"
		q "${t%%|*}"
		run -65 --separate-stderr loy-check
		same "$output" <<EOF
invariant,subject,detail
${t#*|}
EOF
		[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	done
}

@test "catches a lot move that takes an entry's points from another member's lot, the two swapped so that every sum still holds" {
	new_ledger
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >r.csv
	loy-redeem --catalogue r.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\nB,1002,2026-11-20 11:00:00,60.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nW1,1001,COFFEE,1\nW2,1002,COFFEE,1\n' >w.csv
	run -0 --separate-stderr loy-redeem w.csv
	ledger_ok
	# each redemption's 20 points from the other member's lot
	e1=$(q "SELECT entry_id FROM redemptions WHERE request_id = 'W1'")
	e2=$(q "SELECT entry_id FROM redemptions WHERE request_id = 'W2'")
	l1=$(q "SELECT lot_id FROM lots WHERE member_id = '1001'")
	l2=$(q "SELECT lot_id FROM lots WHERE member_id = '1002'")
	q "UPDATE lot_moves SET lot_id = CASE lot_id WHEN $l1 THEN $l2 ELSE $l1 END
	    WHERE entry_id IN ($e1, $e2)"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
lot-move-references-exist,entry $e1 lot $l2,"entry of member '1001', lot of member '1002'"
lot-move-references-exist,entry $e2 lot $l1,"entry of member '1002', lot of member '1001'"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
}

@test "catches points stored as text or as a real number, which the sums take as the number they start with" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	give_points 1001 100
	ledger_ok
	cp "$LOY_DB" good.db
	entry=$(q "SELECT entry_id FROM journal WHERE member_id = '1001'")
	lot=$(q "SELECT lot_id FROM lots WHERE member_id = '1001'")
	append_only="CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
	  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END"
	# text: every sum still adds up
	q "DROP TRIGGER journal_no_update;
	   UPDATE journal SET points = '100 points' WHERE entry_id = $entry; $append_only"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
points-are-integers,entry $entry,"points '100 points' stored as text, not integer"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	# real, the balance's past its CHECK constraint
	cp good.db "$LOY_DB"
	q "DROP TRIGGER journal_no_update;
	   UPDATE journal SET points = 100.5 WHERE entry_id = $entry; $append_only;
	   UPDATE lots SET points = 100.5, remaining = 100.5 WHERE lot_id = $lot;
	   PRAGMA ignore_check_constraints = ON;
	   UPDATE balances SET points = 100.5 WHERE member_id = '1001'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
points-are-integers,entry $entry,"points 100.5 stored as real, not integer"
points-are-integers,lot $lot,"points 100.5 stored as real, not integer"
points-are-integers,lot $lot,"remaining 100.5 stored as real, not integer"
points-are-integers,1001,"balance 100.5 stored as real, not integer"
integrity,database,CHECK constraint failed in balances
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 5 violations" ]
}

@test "catches a reward's stock stored as a real number or text" {
	new_ledger
	printf 'reward_id,name,points,stock\nONE,One,1,5\nTWO,Two,1,\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	ledger_ok
	q "UPDATE rewards SET stock = 9.22337203685478e+18 WHERE reward_id = 'ONE'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
stock-is-an-integer,reward ONE,"stock 9.22337203685478e+18 stored as real, not integer"
EOF
	q "UPDATE rewards SET stock = '5 left' WHERE reward_id = 'ONE'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
stock-is-an-integer,reward ONE,"stock '5 left' stored as text, not integer"
EOF
}

@test "loy-check(1) names every invariant loy-ledger(5) gives the query of, each one loy-check checks" {
	local man="$BATS_TEST_DIRNAME/../man"
	ledger=$(sed -n '/^\.Sh INVARIANTS/,/^\.Sh FILES/p' "$man/loy-ledger.5" |
	    sed -n 's/^\.It Sy //p' | sort)
	check=$(sed -n '/The invariants, by the name/,/^\.El/p' "$man/loy-check.1" |
	    sed -n 's/^\.It Sy //p' | sed 's/ , /\n/g' | sort)
	same "$check" <<<"$ledger"
	[ "$(echo "$check" | wc -l)" -ge 26 ]
	# and every invariant loy-check checks, as it shows them on a terminal
	new_ledger
	script -qc "loy-check >/dev/null" /dev/null | tr '\r' '\n' >shown.txt
	checked=$(sed -n 's/^loy-check: \([a-z-]*\) ([0-9]* of [0-9]*).*/\1/p' shown.txt | sort -u)
	same "$checked" <<<"$ledger"
}

@test "catches a receipt, redemption or transfer whose entry is another's, as a return or a cancel would take the wrong lots by it" {
	new_ledger --set transfers=yes
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\nB,1002,2026-11-20 11:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nR1,1001,COFFEE\nR2,1002,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-redeem cancel R1 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,1001,1002,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	ledger_ok
	a=$(q "SELECT entry_id FROM receipts WHERE txn_id = 'A'")
	b=$(q "SELECT entry_id FROM receipts WHERE txn_id = 'B'")
	r1=$(q "SELECT entry_id || ' ' || cancel_entry FROM redemptions WHERE request_id = 'R1'")
	r2=$(q "SELECT entry_id FROM redemptions WHERE request_id = 'R2'")
	x=$(q "SELECT from_entry || ' ' || to_entry FROM transfers WHERE transfer_id = 'X1'")
	q "UPDATE receipts SET entry_id = $b WHERE txn_id = 'A';
	   UPDATE redemptions SET entry_id = $r2 WHERE request_id = 'R1';
	   UPDATE transfers SET from_entry = to_entry WHERE transfer_id = 'X1'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
receipt-credited-once,receipt A,"points 50, journal 50, entry $b, its first entry $a"
receipt-entry-same-member,receipt A,"member '1001', its entry $b of member '1002'"
redemption-matches-journal,redemption R1,"cancelled for 20 points; journal: redeemed 20, cancelled 20; entry $r2 and cancel entry ${r1#* }, its own ${r1% *} and ${r1#* }"
transfer-matches-journal,transfer X1,"transferred 5 points; journal: given 5, received 5; entries ${x#* } and ${x#* }, its own ${x% *} and ${x#* }"
EOF
}

@test "catches a transfer whose entries are not of its giver and its receiver" {
	new_ledger --set transfers=yes
	printf 'member_id\n1001\n1002\n1003\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,1001,1002,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	ledger_ok
	x=$(q "SELECT from_entry || ' ' || to_entry FROM transfers WHERE transfer_id = 'X1'")
	q "UPDATE transfers SET to_member = '1003' WHERE transfer_id = 'X1'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
transfer-matches-journal,transfer X1,"from '1001' to '1003', but its entry ${x#* } gives 5 points to '1002'"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	q "UPDATE transfers SET from_member = '1003', to_member = '1002' WHERE transfer_id = 'X1'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF
invariant,subject,detail
transfer-matches-journal,transfer X1,"from '1003' to '1002', but its entry ${x% *} takes 5 points from '1001'"
EOF
}

@test "on a terminal the invariant being checked is shown on standard error, and cleared; -q and a file show nothing" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	give_points 1001 10 "2027-12-31 23:59:59"
	q "UPDATE balances SET points = points + 5 WHERE member_id = '1001'"
	script -qc "loy-check >out.csv" /dev/null >tty.txt
	tr '\r' '\n' <tty.txt >shown.txt
	n=$(grep -c '^loy-check: [a-z-]* ([0-9]* of [0-9]*)' shown.txt)
	[ "$n" -gt 20 ]
	grep -q '^loy-check: balance-equals-journal (1 of ' shown.txt
	grep -q "^loy-check: integrity ($n of $n)" shown.txt
	# the line is cleared before the summary
	grep -q $'^\e\\[Kloy-check: ledger .*: 2 violations$' shown.txt
	[ "$(cut -d, -f1 out.csv)" = "$(printf 'invariant\nbalance-equals-journal\nlots-equal-balance')" ]
	# rows on the same terminal start on a cleared line
	script -qc "loy-check" /dev/null | tr '\r' '\n' >both.txt
	grep -q $'^\e\\[Kbalance-equals-journal,1001,' both.txt
	script -qc "loy-check -q" /dev/null >quiet.txt
	[ ! -s quiet.txt ]
	run -65 --separate-stderr loy-check
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
}

@test "catches a merged member that still holds a card, a balance or an open lot" {
	busy_life
	ledger_ok
	# the merge moved C2, 42 points and the lots to 1
	q "UPDATE cards SET member_id = '2' WHERE card = 'C2'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF2'
invariant,subject,detail
merged-member-holds-nothing,2,"merged into '1', but holds card 'C2'"
EOF2
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	# points credited by hand to the merged record, as no program does
	give_points 2 40
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF2'
invariant,subject,detail
merged-member-holds-nothing,2,"merged into '1', but holds card 'C2', balance 40, open lots 40"
EOF2
}

@test "catches a receipt whose entry is another member's" {
	new_ledger
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,50.00\nB,1002,2026-11-20 11:00:00,30.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	ledger_ok
	a=$(q "SELECT entry_id FROM receipts WHERE txn_id = 'A'")
	q "UPDATE receipts SET member_id = '1002' WHERE txn_id = 'A'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF2
invariant,subject,detail
receipt-entry-same-member,receipt A,"member '1002', its entry $a of member '1001'"
EOF2
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	q "UPDATE receipts SET member_id = NULL WHERE txn_id = 'A'"
	run -65 --separate-stderr loy-check
	same "$output" <<EOF2
invariant,subject,detail
receipt-entry-same-member,receipt A,"no member, its entry $a of member '1001'"
EOF2
}

@test "catches a receipt whose returned amount or points are out of range, and passes returns as loy-accrue keeps them" {
	new_ledger
	printf 'member_id\n1001\n1002\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# S1 returned in part (R1), then beyond what was left (R2); an
	# anonymous purchase; a return of no known purchase (R3)
	cat >pos.csv <<'EOF2'
txn_id,member_id,occurred_at,amount,orig_txn
S1,1001,2026-11-20 10:00:00,100.00,
S2,,2026-11-20 10:05:00,30.00,
S3,1002,2026-11-20 09:00:00,70.00,
R1,1001,2026-11-21 10:00:00,-40.00,S1
R2,1001,2026-11-21 11:00:00,-80.00,S1
R3,1002,2026-11-21 12:00:00,-5.00,
EOF2
	loy-accrue pos.csv >/dev/null 2>&1
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts")" <<'EOF2'
R1|-4000|-40|-4000|0
R2|-8000|-60|-6000|0
R3|-500|-5|0|0
S1|10000|100|10000|100
S2|3000|0|0|0
S3|7000|70|0|0
EOF2
	ledger_ok
	cp "$LOY_DB" good.db
	for t in \
	    "UPDATE receipts SET returned_amount = 10001 WHERE txn_id = 'S1'|S1,\"amount 10000, returned_amount 10001, points 100, returned_points 100\"" \
	    "UPDATE receipts SET returned_points = 101 WHERE txn_id = 'S1'|S1,\"amount 10000, returned_amount 10000, points 100, returned_points 101\"" \
	    "UPDATE receipts SET returned_points = -1 WHERE txn_id = 'S1'|S1,\"amount 10000, returned_amount 10000, points 100, returned_points -1\"" \
	    "UPDATE receipts SET returned_amount = -100 WHERE txn_id = 'S3'|S3,\"amount 7000, returned_amount -100, points 70, returned_points 0\"" \
	    "UPDATE receipts SET returned_points = 1 WHERE txn_id = 'S2'|S2,\"amount 3000, returned_amount 0, points 0, returned_points 1\"" \
	    "UPDATE receipts SET returned_amount = 4000 WHERE txn_id = 'R1'|R1,\"amount -4000, returned_amount 4000, points -40, returned_points 0\"" \
	    "UPDATE receipts SET returned_amount = -4001 WHERE txn_id = 'R1'|R1,\"amount -4000, returned_amount -4001, points -40, returned_points 0\"" \
	    "UPDATE receipts SET returned_points = 40 WHERE txn_id = 'R1'|R1,\"amount -4000, returned_amount -4000, points -40, returned_points 40\""; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "${t%%|*}"
		run -65 --separate-stderr loy-check
		same "$output" <<<"invariant,subject,detail
receipt-returned-in-range,receipt ${t#*|}"
	done
}

@test "an exchange's returned_amount and returned_points are in range from what its return lines took off its original" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# X1 brings back 40.00 of S1 (39 of its points) and buys 50.00; R1
	# returns 20.00 of what X1 bought
	cat >pos.csv <<'EOF2'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
S1,1001,2026-11-20 10:00:00,A,1,99.99,
X1,1001,2026-11-21 10:00:00,A,-1,-40.00,S1
X1,1001,2026-11-21 10:00:00,B,1,50.00,S1
R1,1001,2026-11-22 10:00:00,B,-1,-20.00,X1
EOF2
	loy-accrue pos.csv >/dev/null 2>&1
	same "$(q "SELECT txn_id, amount, points, returned_amount, returned_points FROM receipts WHERE txn_id = 'X1'")" <<<"X1|1000|11|-2000|20"
	ledger_ok
	cp "$LOY_DB" good.db
	for t in \
	    "UPDATE receipts SET returned_amount = -4001 WHERE txn_id = 'X1'|X1,\"amount 1000, returned_amount -4001, points 11, returned_points 20\"" \
	    "UPDATE receipts SET returned_amount = 1001 WHERE txn_id = 'X1'|X1,\"amount 1000, returned_amount 1001, points 11, returned_points 20\"" \
	    "UPDATE receipts SET returned_points = 51 WHERE txn_id = 'X1'|X1,\"amount 1000, returned_amount -2000, points 11, returned_points 51\""; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "${t%%|*}"
		run -65 --separate-stderr loy-check
		same "$output" <<<"invariant,subject,detail
receipt-returned-in-range,receipt ${t#*|}"
	done
}

@test "catches points owed back on a receipt that is no member's return" {
	new_ledger
	printf 'member_id\n1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 10:00:00,30.00,\nA1,,2026-11-20 11:00:00,-5.00,\nR1,1001,2026-11-21 10:00:00,-50.00,\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	[ "$(q "SELECT group_concat(txn_id || ':' || unrecovered, ' ') FROM receipts")" = "A1:0 R1:20 S1:0" ]
	ledger_ok
	cp "$LOY_DB" good.db
	for t in \
	    "UPDATE receipts SET unrecovered = 3 WHERE txn_id = 'S1'|S1,\"unrecovered 3, not a return\"" \
	    "UPDATE receipts SET unrecovered = 2 WHERE txn_id = 'A1'|A1,\"unrecovered 2, no member\""; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "${t%%|*}"
		run -65 --separate-stderr loy-check
		same "$output" <<<"invariant,subject,detail
receipt-unrecovered-of-a-return,receipt ${t#*|}"
	done
	cp good.db "$LOY_DB"
	run sqlite3 "$LOY_DB" "UPDATE receipts SET unrecovered = -1 WHERE txn_id = 'R1'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CHECK constraint failed"* ]]
}

@test "catches a journal entry whose source or ref does not fit its kind" {
	new_ledger --set transfers=yes
	printf 'member_id\n1001\n1002\n1003\n1004\n1005\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-20 10:00:00,100.00,\nR1,1001,2026-11-21 10:00:00,-40.00,S1\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n1003,50,goodwill,CC-1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	loy-enroll merge 1005 1002 >/dev/null 2>&1
	# 1005's opening balance goes to 1002, which it was merged into
	printf 'member_id,points,earned_at,expires_at\n1004,80,2024-11-02 18:30:00,2026-11-02 18:30:00\n1005,20,2025-11-02 18:30:00,\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id\nW1,1001,COFFEE\nW2,1001,COFFEE\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-redeem cancel W1 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,1001,1002,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	loy-enroll merge 1003 1001 >/dev/null 2>&1
	same "$(q "SELECT kind || ' ' || source || ' ' || ref || ' ' || member_id FROM journal ORDER BY entry_id")" <<'EOF2'
earn receipt S1 1001
return receipt R1 1001
adjust adjustment CC-1 1003
opening opening 1004 1004
opening opening 1005 1002
expire expiry 2026-11-23 1004
redeem redemption W1 1001
redeem redemption W2 1001
cancel redemption W1 1001
transfer transfer X1 1001
transfer transfer X1 1002
merge merge 1001 1003
merge merge 1003 1001
EOF2
	ledger_ok
	cp "$LOY_DB" good.db
	# the journal is append-only: its trigger goes for the change, and comes back
	trigger=$(q "SELECT sql FROM sqlite_schema WHERE name = 'journal_no_update'")
	for t in \
	    "UPDATE journal SET kind = 'gift' WHERE entry_id = 3|entry 3,unknown kind 'gift'" \
	    "UPDATE journal SET source = 'opening' WHERE entry_id = 3|entry 3,\"kind 'adjust' from source 'opening', not 'adjustment'\"" \
	    "UPDATE journal SET source = NULL WHERE entry_id = 1|entry 1,\"kind 'earn' from no source, not 'receipt'\"" \
	    "UPDATE journal SET source = 'transfer' WHERE entry_id = 12|entry 12,\"kind 'merge' from source 'transfer', not 'merge'\"" \
	    "UPDATE journal SET ref = NULL WHERE entry_id = 3|entry 3,kind 'adjust' with no ref" \
	    "UPDATE journal SET ref = 'W9' WHERE entry_id = 8|entry 8,no redemption 'W9'" \
	    "UPDATE journal SET ref = '9999' WHERE entry_id = 4|entry 4,opening balance of unknown member '9999'" \
	    "UPDATE journal SET ref = '1001' WHERE entry_id = 5|entry 5,\"opening balance of member '1001', another member, not merged\"" \
	    "UPDATE journal SET ref = '1003' WHERE entry_id = 5|entry 5,\"opening balance of member '1003', merged into '1001', not into this one\"" \
	    "UPDATE journal SET ref = '1004' WHERE entry_id = 13|entry 13,\"merge with '1004', neither merged into the other\"" \
	    "UPDATE journal SET ref = '9999' WHERE entry_id = 12|entry 12,merge with unknown member '9999'" \
	    "UPDATE journal SET ref = '2026-11-31' WHERE entry_id = 6|entry 6,\"expiry as of '2026-11-31', not a date\""; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "DROP TRIGGER journal_no_update; ${t%%|*}; $trigger"
		run -65 --separate-stderr loy-check
		grep -qFx "journal-source-fits-kind,${t#*|}" <<<"$output"
		[ "$(grep -c '^journal-source-fits-kind,' <<<"$output")" = 1 ]
		[ "$(grep -c '^journal-append-only,' <<<"$output")" = 0 ]
	done
}

# Every kind of entry, written by the programs: a cumulative bonus a return
# takes back from the survivor of the member it was given to, a return and
# a cancel for a member merged since, a merge of a balance below zero, a
# receipt settled in two parts, a debit, an opening balance expired, an
# event, a transfer.
points_life() {
	new_ledger
	printf 'member_id\n1001\n1002\n1003\n1004\n1005\n1006\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf '[programme]\nallow_negative = yes\ntransfers = yes\n\n[rule big-spender]\ntrigger = cumulative\nspend = 100.00\nperiod = month\nbonus = 1000\n\n[event survey]\npoints = 50\n' >p.conf
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,1001,2026-11-02 10:00:00,120.00,\nS2,1002,2026-11-02 11:00:00,30.00,\n' >pos1.csv
	loy-accrue pos1.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,requested_at\nW1,1001,COFFEE,2026-11-03 10:00:00\nW2,1002,COFFEE,2026-11-03 10:00:00\n' >req.csv
	loy-redeem req.csv >/dev/null 2>&1
	loy-enroll merge 1001 1003 >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,1001,2026-11-05 10:00:00,-50.00,S1\nR2,1002,2026-11-05 11:00:00,-30.00,S2\n' >pos2.csv
	loy-accrue pos2.csv >/dev/null 2>&1
	loy-redeem cancel W1 >/dev/null 2>&1
	loy-enroll merge 1002 1004 >/dev/null 2>&1
	{
		echo 'txn_id,member_id,occurred_at,amount,orig_txn'
		echo 'P1,1005,2026-11-06 10:00:00,10.00,'
		for i in $(seq 1 60); do echo "F$i,,2026-11-06 11:00:00,1.00,"; done
		echo 'P1,1005,2026-11-06 10:00:00,20.00,'
	} >pos3.csv
	LOY_RECEIPT_MEMORY=1024 loy-accrue pos3.csv >/dev/null 2>&1
	printf 'member_id,points,reason,ref\n1005,-5,goodwill,CC-1\n' >adj.csv
	loy-accrue --adjust adj.csv >/dev/null 2>&1
	printf 'member_id,points,earned_at,expires_at\n1006,80,2024-11-02 18:30:00,2026-11-02 18:30:00\n' >open.csv
	loy-accrue --opening open.csv >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	printf 'event_id,member_id,event,occurred_at\nE1,1006,survey,2026-11-07 10:00:00\n' >ev.csv
	loy-accrue --events ev.csv >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,1005,1006,5\n' >tr.csv
	loy-redeem --transfers tr.csv >/dev/null 2>&1
	same "$(q "SELECT entry_id, kind, source, ref, member_id, points, reverses FROM journal ORDER BY entry_id")" <<'EOF2'
1|earn|receipt|S1|1001|120|
2|bonus|rule|big-spender|1001|1000|
3|earn|receipt|S2|1002|30|
4|redeem|redemption|W1|1001|-20|
5|redeem|redemption|W2|1002|-20|
6|merge|merge|1003|1001|-1100|
7|merge|merge|1001|1003|1100|
8|return|receipt|R1|1003|-50|
9|bonus|rule|big-spender|1003|-1000|2
10|return|receipt|R2|1002|-30|
11|cancel|redemption|W1|1003|20|
12|merge|merge|1004|1002|20|
13|merge|merge|1002|1004|-20|
14|earn|receipt|P1|1005|10|
15|earn|receipt|P1|1005|20|
16|adjust|adjustment|CC-1|1005|-5|
17|opening|opening|1006|1006|80|
18|expire|expiry|2026-11-23|1006|-80|
19|bonus|event|E1|1006|50|
20|transfer|transfer|X1|1005|-5|
21|transfer|transfer|X1|1006|5|
EOF2
	same "$(q "SELECT txn_id, member_id, orig_txn, returned_amount FROM receipts WHERE txn_id IN ('S1', 'R1', 'P1') ORDER BY txn_id")" <<'EOF2'
P1|1005||0
R1|1003|S1|-5000
S1|1001||5000
EOF2
	same "$(q "SELECT request_id, member_id, status FROM redemptions ORDER BY request_id")" <<'EOF2'
W1|1001|cancelled
W2|1002|redeemed
EOF2
	ledger_ok
	cp "$LOY_DB" good.db
}

# Each change $1 (SQL|the violation's subject and detail) to the ledger
# points_life made, the journal's append-only trigger dropped for it and
# put back: loy-check names the violation of invariant $2, once.
breaks() {
	local t trigger
	trigger=$(q "SELECT sql FROM sqlite_schema WHERE name = 'journal_no_update'")
	for t in "${@:2}"; do
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "DROP TRIGGER journal_no_update; ${t%%|*}; $trigger"
		run -65 --separate-stderr loy-check
		grep -qFx "$1,${t#*|}" <<<"$output" || { echo "$output" >&2; return 1; }
		[ "$(grep -c "^$1," <<<"$output")" = 1 ]
		[ "$(grep -c '^journal-append-only,' <<<"$output")" = 0 ]
	done
}

@test "catches a journal entry whose points have the wrong sign for its kind" {
	points_life
	breaks journal-sign-fits-kind \
	    "UPDATE journal SET points = -120 WHERE entry_id = 1|entry 1,\"kind 'earn' of -120 points, not positive\"" \
	    "UPDATE journal SET points = -1000 WHERE entry_id = 2|entry 2,\"kind 'bonus' of -1000 points, not positive\"" \
	    "UPDATE journal SET points = 1000 WHERE entry_id = 9|entry 9,\"kind 'bonus' reversing entry 2 of 1000 points, not negative\"" \
	    "UPDATE journal SET points = -50 WHERE entry_id = 19|entry 19,\"kind 'bonus' of -50 points, not positive\"" \
	    "UPDATE journal SET points = 50 WHERE entry_id = 8|entry 8,\"kind 'return' of 50 points, not negative\"" \
	    "UPDATE journal SET points = 20 WHERE entry_id = 4|entry 4,\"kind 'redeem' of 20 points, not negative\"" \
	    "UPDATE journal SET points = -20 WHERE entry_id = 11|entry 11,\"kind 'cancel' of -20 points, not positive\"" \
	    "UPDATE journal SET points = -80 WHERE entry_id = 17|entry 17,\"kind 'opening' of -80 points, not positive\"" \
	    "UPDATE journal SET points = 0 WHERE entry_id = 18|entry 18,\"kind 'expire' of 0 points, not negative\"" \
	    "UPDATE journal SET points = 0 WHERE entry_id = 16|entry 16,\"kind 'adjust' of 0 points, neither positive nor negative\"" \
	    "UPDATE journal SET points = 0 WHERE entry_id = 12|entry 12,\"kind 'merge' of 0 points, neither positive nor negative\"" \
	    "UPDATE journal SET points = 0 WHERE entry_id = 21|entry 21,\"kind 'transfer' of 0 points, neither positive nor negative\""
}

@test "catches an entry that reverses another it does not fit: other kind or rule, more points, another person" {
	points_life
	# entry 9 takes back 1001's bonus (entry 2) from 1003, into which 1001
	# was merged
	breaks reversal-fits-reversed \
	    "UPDATE journal SET ref = 'regular' WHERE entry_id = 9|entry 9,\"reverses entry 2 (bonus, rule big-spender), not of its own kind, source and ref (bonus, rule regular)\"" \
	    "UPDATE journal SET points = -1001 WHERE entry_id = 9|entry 9,takes back 1001 points of entry 2's 1000" \
	    "UPDATE journal SET member_id = '1004' WHERE entry_id = 9|entry 9,\"of member '1004', reverses entry 2 of member '1001', not merged into it\""
}

@test "catches a merge whose two entries do not match: out of one member, the same into the other" {
	points_life
	breaks merge-entries-pair \
	    "UPDATE journal SET points = 1000 WHERE entry_id = 7|entry 6,\"merge of -1100 points out of '1001' into '1003', but entry 7 is not 1100 into it\"" \
	    "UPDATE journal SET points = -10 WHERE entry_id = 12|entry 12,\"merge of -10 points out of '1002' into '1004', but entry 13 is not 10 into it\"" \
	    "UPDATE journal SET kind = 'adjust', source = 'adjustment', ref = 'X' WHERE entry_id = 6|entry 7,\"merge of 1100 points into '1003' from '1001', but no entry out of it\""
}

@test "catches a redemption whose entry is not its member's: a redeem of another, a cancel of one it was not merged into" {
	points_life
	# W1's cancel after 1001 was merged into 1003 is 1003's (entry 11)
	breaks redemption-entries-same-member \
	    "UPDATE journal SET member_id = '1001' WHERE entry_id = 5|redemption W2,\"member '1002', its redeem entry 5 of member '1001'\"" \
	    "UPDATE journal SET member_id = '1003' WHERE entry_id = 4|redemption W1,\"member '1001', its redeem entry 4 of member '1003'\"" \
	    "UPDATE journal SET member_id = '1004' WHERE entry_id = 11|redemption W1,\"member '1001', its cancel entry 11 of member '1004', into which it was not merged\"" \
	    "UPDATE redemptions SET member_id = '1003' WHERE request_id = 'W1'|redemption W1,\"member '1003', its redeem entry 4 of member '1001'\""
	# W1 as 1002's: neither of its entries is
	cp good.db "$LOY_DB"
	q "UPDATE redemptions SET member_id = '1002' WHERE request_id = 'W1'"
	run -65 --separate-stderr loy-check
	same "$(grep '^redemption-entries-same-member,' <<<"$output")" <<'EOF2'
redemption-entries-same-member,redemption W1,"member '1002', its redeem entry 4 of member '1001'"
redemption-entries-same-member,redemption W1,"member '1002', its cancel entry 11 of member '1003', into which it was not merged"
EOF2
}

@test "catches a receipt's later entry not of its member: a later part's of another, a return's of one the purchase's member was not merged into" {
	points_life
	# R1 of S1, 1001's, is 1003's, which 1001 was merged into (entry 8);
	# P1 was settled in two parts (entries 14 and 15)
	breaks receipt-later-entries-same-member \
	    "UPDATE journal SET member_id = '1002' WHERE entry_id = 8|receipt S1,\"member '1001', its return R1's entry 8 of member '1002', neither merged into the other\"" \
	    "UPDATE journal SET member_id = '1006' WHERE entry_id = 15|receipt P1,\"member '1005', its entry 15 of member '1006'\"" \
	    "UPDATE receipts SET member_id = '1004' WHERE txn_id = 'S1'|receipt S1,\"member '1004', its return R1's entry 8 of member '1003', neither merged into the other\"" \
	    "UPDATE members SET merged_into = '1004' WHERE member_id = '1001'|receipt S1,\"member '1001', its return R1's entry 8 of member '1003', neither merged into the other\""
}

# Set each "KEY|VALUE|detail" in turn on a copy of good.db: loy-check
# reports it, and nothing else, as a settings-valid violation of the setting.
bad_settings() {
	local t key rest
	for t in "$@"; do
		key=${t%%|*} rest=${t#*|}
		cp good.db "$LOY_DB"
		sqlite3 "$LOY_DB" "INSERT OR REPLACE INTO settings(key, value) VALUES ('$key', '${rest%%|*}')"
		run -65 --separate-stderr loy-check
		same "$output" <<<"invariant,subject,detail
settings-valid,setting $key,${rest#*|}" || return 1
		[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	done
}

@test "catches a setting changed by hand that the programs refuse, and loy-program apply mends it" {
	busy_life
	cp "$LOY_DB" good.db
	q "UPDATE settings SET value = '([' WHERE key = 'phone_pattern'"
	printf 'member_id,phone\n3,+49 30 1234567\n' >m.csv
	run -65 --separate-stderr loy-enroll m.csv
	[ "$stderr" = "loy-enroll: ledger setting phone_pattern '([': missing terminating ] for character class at offset 2" ]
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF2'
invariant,subject,detail
settings-valid,setting phone_pattern,phone_pattern '([': missing terminating ] for character class at offset 2
EOF2
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 1 violation" ]
	run -0 --separate-stderr loy-program apply
	ledger_ok
	run -0 --separate-stderr loy-enroll m.csv
	ledger_ok
}

@test "catches each kind of bad setting: patterns, currency, decimals, identify_by, tiers, whole numbers, the rest" {
	busy_life
	cp "$LOY_DB" good.db
	bad_settings \
	    "phone_pattern|^[0-9|phone_pattern '^[0-9': missing terminating ] for character class at offset 5" \
	    "email_pattern|(@|email_pattern '(@': missing closing parenthesis at offset 2" \
	    "currency||currency '': has no value" \
	    "decimals|1|\"decimals '1' must be 0, 2 or 3\"" \
	    "decimals|two|\"decimals 'two' must be 0, 2 or 3\"" \
	    "identify_by|loyalty_no|\"identify_by 'loyalty_no' must list member_id, card, phone or email, each once\"" \
	    "identify_by||\"identify_by '' must list member_id, card, phone or email, each once\"" \
	    "tiers|, ,|\"tiers ', ,': names nothing\"" \
	    "earn_points|1.5|earn_points '1.5' must be a whole number" \
	    "earn_points|1000000|earn_points '1000000' is more than 999999" \
	    "expiry_months|-3|expiry_months '-3' must be a whole number" \
	    "return_window_days|two|return_window_days 'two' must be a whole number" \
	    "future_tolerance_hours||future_tolerance_hours '' must be a whole number" \
	    "expiry_years|101|expiry_years '101' must be a whole number from 0 to 100" \
	    "segment_months|0|segment_months '0' must be a whole number from 1 to 120" \
	    "value_visits|0|\"value_visits '0' must be a whole number from 1 to 1000000, or median\"" \
	    "lifecycle_new_days|3661|lifecycle_new_days '3661' must be a whole number from 0 to 3660" \
	    "timezone|Mars/Olympus|timezone 'Mars/Olympus' is not a known time zone" \
	    "point_value|0|point_value '0' must be more than zero" \
	    "earn_amount|0.001|earn_amount '0.001': has more than 2 decimals" \
	    "value_spend|lots|value_spend 'lots' is not a decimal number" \
	    "lapse_k|0|lapse_k '0' must be more than zero" \
	    "allow_negative|maybe|allow_negative 'maybe' must be yes or no" \
	    "transfers|1|transfers '1' must be yes or no" \
	    "expiry_policy|monthly|\"expiry_policy 'monthly' must be months, year-end, rolling or never\"" \
	    "programme||programme '': has no value" \
	    "loyalty_level|3|unknown setting 'loyalty_level'"
	# two together: each on its own row; a rolling expiry of 0 months
	cp good.db "$LOY_DB"
	q "UPDATE settings SET value = 'x(' WHERE key = 'email_pattern';
	   UPDATE settings SET value = 'rolling' WHERE key = 'expiry_policy';
	   UPDATE settings SET value = '0' WHERE key = 'expiry_months'"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF2'
invariant,subject,detail
settings-valid,setting email_pattern,email_pattern 'x(': missing closing parenthesis at offset 2
settings-valid,setting expiry_months,expiry_months '0': expiry policy rolling needs months of at least 1
EOF2
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
	run -0 --separate-stderr loy-program apply
	ledger_ok
}

@test "passes the settings a programme without tiers, or an earlier loy, leaves, and loy-enroll's counter" {
	new_ledger
	# no tiers: an empty tiers setting
	loy-program show | tail -n +2 | sed -e '/^\[tier /,/^$/d' -e '/^tiers *=/d' >notiers.conf
	run -0 --separate-stderr loy-program load notiers.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'tiers'")" = "" ]
	ledger_ok
	# a currency in small letters, which loy stored before it held currencies to
	# ISO 4217 codes, is read as it was
	q "UPDATE settings SET value = 'eur' WHERE key = 'currency'"
	ledger_ok
	# next_member_id, loy-enroll's counter, is no setting
	printf 'name,email\nAnn,ann@example.org\n' >new.csv
	loy-enroll new.csv >/dev/null 2>&1
	[ "$(q "SELECT value FROM settings WHERE key = 'next_member_id'")" = 2 ]
	ledger_ok
}

@test "catches a stored programme version the programs cannot read, each fault with its line" {
	new_ledger
	printf '[event survey]\npoints = 7\n' >p.conf
	loy-program load p.conf --from 2026-01-01 >/dev/null 2>&1
	ledger_ok
	# a version written by hand, past loy-program's checks, with its checksum
	q "SELECT writefile('v3', text || char(10) || '[rule x]' || char(10) ||
	    'multiply = lots' || char(10) || 'bogus = 1') FROM programmes WHERE version = 2" >/dev/null
	q "INSERT INTO programmes SELECT 3, '2026-06-01 00:00:00', loaded_at, run_id, source,
	    '$(sha256sum <v3 | cut -d' ' -f1)', CAST(readfile('v3') AS TEXT)
	    FROM programmes WHERE version = 2"
	run -65 --separate-stderr loy-check
	same "$output" <<'EOF'
invariant,subject,detail
programme-versions-parse,programme version 3,line 5: multiply 'lots' is not a decimal number
programme-versions-parse,programme version 3,"line 6: unknown keyword 'bogus' in [rule x]: it takes multiply, bonus, exclude, trigger, sku, category, description, stack, per_units, from, to, days, hours, stores, channels, tiers, segments, birthday_month, min_amount, cap_receipt, budget, limit, referral_to, referral_on, event, visits, spend or period"
EOF
	[ "$stderr" = "loy-check: ledger '$LOY_DB': 2 violations" ]
	# which every program refuses to run on
	printf 'member_id\n1\n' >m.csv
	run --separate-stderr loy-enroll m.csv
	[ "$status" -ne 0 ]
	[ "${stderr_lines[2]}" = "loy-enroll: ledger '$LOY_DB': a stored programme version does not parse" ]
}

@test "the query loy-ledger(5) gives for each invariant is the one loy-check runs, and finds nothing on a consistent ledger" {
	new_ledger
	printf 'member_id,referrer\n1001,\n1002,1001\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nA,1001,2026-11-20 10:00:00,50.00,\nB,1001,2026-11-21 10:00:00,-5.00,A\nC,1002,2026-11-22 10:00:00,20.00,\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	# each invariant's first block, its roff escapes undone
	mkdir q
	sed -n '/^\.Sh INVARIANTS/,/^\.Sh FILES/p' "$BATS_TEST_DIRNAME/../man/loy-ledger.5" |
	    sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' |
	    awk '/^\.It Sy / { name = $3; n = 0; next }
	        /^\.Bd -literal/ { f = name != "" && n++ == 0; next }
	        /^\.Ed/ { f = 0; next }
	        f { print > ("q/" name ".sql") }'
	[ "$(ls q | wc -l)" -ge 36 ]
	# the queries as loy-check holds them, and each of the page's, without
	# their spacing
	strings -n 16 "$(command -v loy-check)" | tr -d ' \t' >ran.txt
	local f name missing= found=
	for f in q/*.sql; do
		name=$(basename "$f" .sql)
		grep -qxF -- "$(tr -d ' \t\n' <"$f" | sed 's/;$//')" ran.txt ||
		    missing+=" $name"
		# the settings, the programme versions, the referrers: rows for
		# loy-check to judge
		case $name in
		settings-valid | programme-versions-parse | programme-versions-match-checksum) ;;
		referrers-form-no-loop) ;;
		*) [ -z "$(sqlite3 "$LOY_DB" <"$f")" ] || found+=" $name" ;;
		esac
	done
	[ -z "$missing" ] || { echo "not what loy-check runs:$missing" >&2; return 1; }
	[ -z "$found" ] || { echo "rows on a consistent ledger:$found" >&2; return 1; }
	ledger_ok
}
