#!/bin/sh
# make bench: each loy job against a reference measured in the same run,
# printed as one table (seconds, ratio to the reference, peak RSS).  The
# references are numbered R1, R2, ...: each ratio says which it is against
# (a ratio against another job's time says so in the job's name).  The
# table starts with the date and the machine, as bench/RESULTS.md keeps them.
# BENCH_N sets the row count (default 1000000); BENCH_BIG=1 adds a
# 10,000,000-line loy-accrue run for peak memory, and loy-report and
# loy-segment tiers on a ledger of 1,000,000 members and 10,000,000 entries
# (bench/gen-ledger.sh).
set -e
bin=$(cd "${1:-build/bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_N:-1000000}
out="$top/bench/out"
mkdir -p "$out"
cd "$out"
PATH="$bin:$PATH"
export LOY_NOW="2026-11-23 06:00:00"

# seconds and peak RSS (KB) of a command, its output discarded
measure() {
	/usr/bin/time -f '%e %M' -o time.txt "$@" >/dev/null 2>cmd.err || {
		echo "bench: failed: $*" >&2
		cat cmd.err >&2
		exit 1
	}
	cat time.txt
}

rows=""
nref=0
refs=
row() {	# name seconds rss reference-seconds
	name=$1
	case $name in reference:*)
		nref=$((nref + 1))
		refs=$2
		name="R$nref ${name#reference: }" ;;
	esac
	vs=R$nref
	[ "$4" = "$refs" ] || vs=
	rows="$rows$(awk -v name="$name" -v s="$2" -v kb="$3" -v ref="$4" -v vs="$vs" 'BEGIN {
		printf "%-56s %8.2f s %7.2f x %-3s %8.1f MB", name, s, s / ref, vs, kb / 1024 }')
"
}

fresh() {
	rm -f "$1" "$1-wal" "$1-shm"
}

echo "bench: generating $n members and $n POS lines" >&2
[ -s members-$n.csv ] || awk -v n="$n" -f "$top/bench/gen-members.awk" >members-$n.csv
m=$((n / 10))
[ -s members-$m.csv ] || awk -v n="$m" -f "$top/bench/gen-members.awk" >members-$m.csv
[ -s pos-$n.csv ] || awk -v n="$n" -v members="$m" -f "$top/bench/gen-pos.awk" >pos-$n.csv

# -- loy-enroll: n members
fresh bare.db
set -- $(measure sqlite3 bare.db ".import --csv members-$n.csv members")
ref=$1
row "reference: sqlite3 .import members into a bare table" "$1" "$2" "$ref"
fresh keyed.db
sqlite3 keyed.db "PRAGMA journal_mode=WAL; CREATE TABLE members(member_id TEXT PRIMARY KEY,
    card, name, phone, email, birthday, enrolled_at, referrer, store, channel, language,
    newsletter) WITHOUT ROWID; CREATE INDEX members_phone ON members(phone);
    CREATE INDEX members_email ON members(lower(email))" >/dev/null
set -- $(measure sqlite3 keyed.db ".import --csv --skip 1 members-$n.csv members")
row "sqlite3 .import members, keyed + indexed WAL table" "$1" "$2" "$ref"
fresh ledger.db
loy-init -d ledger.db 2>/dev/null
set -- $(measure loy-enroll -d ledger.db members-$n.csv)
row "loy-enroll, new ledger" "$1" "$2" "$ref"
set -- $(measure loy-enroll -d ledger.db members-$n.csv)
row "loy-enroll, same file again (all unchanged)" "$1" "$2" "$ref"
loy-check -q -d ledger.db
# The floors below copy rows with the page cache the programs open a ledger
# with (lib/ledger.c), not the sqlite3 shell's 2 MB: with the shell's, the
# copy of what loy-accrue stores took 1.35 to 1.6 times as long in two tries.
cache="PRAGMA cache_size = -16384;"
# What SQLite itself takes to store what the enrolment stores: the runs,
# members and cards loy-enroll wrote, copied in key order by INSERT ...
# SELECT into a new ledger, indexes kept up row by row, one transaction
# (a whole ledger again: loy-check passes on it).  The WHERE clauses keep
# SQLite from copying records and index b-trees whole into the empty
# tables (its transfer optimisation), which only a copy from another
# SQLite table can do: each row goes through the table and its indexes
# as a row read from a file must.
fresh floor.db
loy-init -d floor.db 2>/dev/null
cat >floor.sql <<EOF
$cache
ATTACH 'ledger.db' AS done;
BEGIN;
CREATE TEMP TABLE before AS SELECT max(run_id) AS run_id FROM main.runs;
INSERT INTO runs SELECT * FROM done.runs WHERE run_id > (SELECT run_id FROM before);
INSERT INTO run_inputs SELECT * FROM done.run_inputs
    WHERE run_id > (SELECT run_id FROM before);
INSERT INTO members SELECT * FROM done.members WHERE 1;
INSERT INTO cards SELECT * FROM done.cards WHERE 1;
COMMIT;
EOF
set -- $(measure sqlite3 floor.db ".read floor.sql")
row "sqlite3 INSERT...SELECT of the rows loy-enroll stored" "$1" "$2" "$ref"
loy-check -q -d floor.db

# -- loy-accrue: n POS lines, n/10 members enrolled beforehand
fresh bare.db
set -- $(measure sqlite3 bare.db ".import --csv pos-$n.csv pos")
ref=$1
row "reference: sqlite3 .import POS lines into a bare table" "$1" "$2" "$ref"
# the floor: libcsv parsing the same file and doing nothing else
cc -O2 -o csvfloor "$top/bench/csvfloor.c" -lcsv
set -- $(measure ./csvfloor pos-$n.csv)
row "libcsv parse floor of the POS lines (bench/csvfloor.c)" "$1" "$2" "$ref"
fresh members.db
loy-init -d members.db 2>/dev/null
loy-enroll -d members.db members-$m.csv >/dev/null 2>&1
sqlite3 members.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
fresh accrue.db
cp members.db accrue.db
set -- $(measure loy-accrue -d accrue.db pos-$n.csv)
row "loy-accrue, $m members enrolled" "$1" "$2" "$ref"
plain=$1
set -- $(measure loy-accrue -d accrue.db pos-$n.csv)
row "loy-accrue, same file again (all duplicates)" "$1" "$2" "$ref"
loy-check -q -d accrue.db
# What SQLite itself takes to store what the import stores: the runs, journal entries,
# lots and their moves, receipts and balances loy-accrue wrote (a whole
# ledger again: loy-check passes on it), copied in key order by
# INSERT ... SELECT into a copy of the ledger it started from, indexes kept
# up row by row, one transaction; nothing parsed, nothing computed
fresh floor.db
cp members.db floor.db
cat >floor.sql <<EOF
$cache
ATTACH 'accrue.db' AS done;
BEGIN;
CREATE TEMP TABLE before AS SELECT max(run_id) AS run_id FROM main.runs;
INSERT INTO runs SELECT * FROM done.runs WHERE run_id > (SELECT run_id FROM before);
INSERT INTO run_inputs SELECT * FROM done.run_inputs
    WHERE run_id > (SELECT run_id FROM before);
INSERT INTO journal SELECT * FROM done.journal WHERE run_id > (SELECT run_id FROM before);
INSERT INTO lots SELECT l.* FROM done.lots l JOIN done.journal j USING (entry_id)
    WHERE j.run_id > (SELECT run_id FROM before);
INSERT INTO lot_moves SELECT m.* FROM done.lot_moves m JOIN done.journal j USING (entry_id)
    WHERE j.run_id > (SELECT run_id FROM before);
INSERT INTO receipts SELECT * FROM done.receipts WHERE points IS NOT NULL;
INSERT INTO balances SELECT * FROM done.balances WHERE points IS NOT NULL;
COMMIT;
EOF
set -- $(measure sqlite3 floor.db ".read floor.sql")
row "sqlite3 INSERT...SELECT of the rows loy-accrue stored" "$1" "$2" "$ref"
loy-check -q -d floor.db
# The same, one table at a time (the WHERE clauses keep SQLite from copying
# records whole: each row goes through its indexes as loy-accrue's do), and
# the thinnest record of a receipt that still tells a duplicate from a
# conflict: what a ledger without journal, lots and lines would store
for t in journal lots receipts thin; do
	fresh floor.db
	cp members.db floor.db
	case $t in
	journal) copy="INSERT INTO journal SELECT * FROM done.journal WHERE points IS NOT NULL" ;;
	lots) copy="INSERT INTO lots SELECT * FROM done.lots WHERE points IS NOT NULL" ;;
	receipts) copy="INSERT INTO receipts SELECT * FROM done.receipts WHERE points IS NOT NULL" ;;
	thin) copy="CREATE TABLE thin (txn_id TEXT PRIMARY KEY, member_id TEXT,
	    occurred_at TEXT, amount INTEGER, points INTEGER, digest BLOB) WITHOUT ROWID;
	    INSERT INTO thin SELECT txn_id, member_id, occurred_at, amount, points,
	    digest FROM done.receipts WHERE points IS NOT NULL" ;;
	esac
	printf "%s\nATTACH 'accrue.db' AS done;\nBEGIN;\n%s;\nCOMMIT;\n" "$cache" "$copy" >floor.sql
	set -- $(measure sqlite3 floor.db ".read floor.sql")
	case $t in
	thin) row "  a receipt as id, member, date, amount, points, digest" "$1" "$2" "$ref" ;;
	*) row "  of which the $t alone" "$1" "$2" "$ref" ;;
	esac
done
# the same import with ten typical earning rules (bench/earn-rules.conf):
# its ratio is to the plain import just above
fresh rules.db
cp members.db rules.db
loy-program -d rules.db load --from 2026-01-01 "$top/bench/earn-rules.conf" >/dev/null 2>&1
set -- $(measure loy-accrue -d rules.db pos-$n.csv)
row "loy-accrue, ten earning rules (x the plain import)" "$1" "$2" "$plain"
loy-check -q -d rules.db
# LINES POS lines whose members are drawn from the n enrolled above instead
# of n / 10 (about twice as many members in a file of n lines): memory stays
# flat, as the members held are forgotten past LOY_MEMBER_MEMORY
wide() {	# lines label reference-seconds
	[ -s pos-$1-wide.csv ] || awk -v n="$1" -v members="$n" -f "$top/bench/gen-pos.awk" >pos-$1-wide.csv
	fresh wide.db
	cp ledger.db wide.db
	set -- $(measure loy-accrue -d wide.db pos-$1-wide.csv) "$2" "$3"
	row "$3" "$1" "$2" "$4"
	loy-check -q -d wide.db
}
wide "$n" "loy-accrue, members of all $n (x plain import)" "$plain"

# -- loy-redeem: 100,000 requests in one run, against loy-accrue of as many
# POS lines (members with points from that import make the requests)
rq=100000
[ -s pos-$rq.csv ] || awk -v n="$rq" -v members="$m" -f "$top/bench/gen-pos.awk" >pos-$rq.csv
fresh redeem.db
cp members.db redeem.db
set -- $(measure loy-accrue -d redeem.db pos-$rq.csv)
ref=$1
row "reference: loy-accrue, $rq POS lines" "$1" "$2" "$ref"
printf 'reward_id,name,points,stock\nCOFFEE,Coffee,1,\nFLASH,Flash sale,1,1000\n' >rewards.csv
loy-redeem -d redeem.db --catalogue rewards.csv >/dev/null 2>&1
sqlite3 redeem.db "SELECT member_id FROM balances WHERE points >= 10 ORDER BY member_id" >ids.txt
awk -v n="$rq" -f "$top/bench/gen-requests.awk" ids.txt >requests-$rq.csv
set -- $(measure loy-redeem -d redeem.db requests-$rq.csv)
row "loy-redeem, $rq requests in one run" "$1" "$2" "$ref"
loy-check -q -d redeem.db

if [ -n "$BENCH_BIG" ]; then
	big=$((n * 10))
	[ -s pos-$big.csv ] || awk -v n="$big" -v members="$m" -f "$top/bench/gen-pos.awk" >pos-$big.csv
	fresh bare.db
	set -- $(measure sqlite3 bare.db ".import --csv pos-$big.csv pos")
	ref=$1
	row "reference: sqlite3 .import $big POS lines" "$1" "$2" "$ref"
	fresh accrue.db
	cp members.db accrue.db
	set -- $(measure loy-accrue -d accrue.db pos-$big.csv)
	row "loy-accrue, $big lines" "$1" "$2" "$ref"
	loy-check -q -d accrue.db
	wide "$big" "loy-accrue, $big lines of $n members" "$ref"

	# -- loy-report on 1,000,000 members and 10,000,000 entries
	[ -s report-ledger.db ] || sh "$top/bench/gen-ledger.sh" report-ledger.db 1000000 10000000
	stmt="SELECT entry_id, occurred_at, posted_at, kind, points,
	    sum(points) OVER (ORDER BY entry_id) AS balance, source, ref, reason
	    FROM journal WHERE member_id = '0123457' ORDER BY entry_id"
	set -- $(measure sh -c 'for i in $(seq 200); do sqlite3 -csv -header report-ledger.db "$1"; done' sh "$stmt")
	ref=$1
	row "reference: sqlite3, one member's statement x 200" "$1" "$2" "$ref"
	set -- $(measure sh -c 'for i in $(seq 200); do loy-report -d report-ledger.db statement 0123457; done')
	row "loy-report statement, one member x 200" "$1" "$2" "$ref"
	eb="SELECT substr(occurred_at, 1, 7) AS period"
	for k in earn return adjust opening redeem cancel expire merge transfer; do
		eb="$eb, sum(points) FILTER (WHERE kind = '$k')"
	done
	eb="$eb, sum(points), count(*) FROM journal GROUP BY 1 ORDER BY 1"
	sqlite3 -csv -header report-ledger.db "$eb" >/dev/null	# the file's pages cached, as for loy
	set -- $(measure sqlite3 -csv -header report-ledger.db "$eb")
	ref=$1
	row "reference: sqlite3, points by kind and month" "$1" "$2" "$ref"
	set -- $(measure loy-report -d report-ledger.db earn-burn --by month)
	row "loy-report earn-burn --by month" "$1" "$2" "$ref"

	# -- loy-segment tiers on the same ledger, against the GROUP BY of the
	# default programme's measure: spend over the 12 months to LOY_NOW
	spend="SELECT member_id, sum(amount - returned_amount) FROM receipts
	    WHERE member_id IS NOT NULL AND status IN ('credited', 'pending')
	    AND occurred_at >= '2025-11-24' AND occurred_at < '2026-11-24' GROUP BY member_id"
	sqlite3 -csv report-ledger.db "$spend" >/dev/null	# the file's pages cached, as for loy
	set -- $(measure sqlite3 -csv report-ledger.db "$spend")
	ref=$1
	row "reference: sqlite3, each member's spend in 12 months" "$1" "$2" "$ref"
	set -- $(measure loy-segment -d report-ledger.db tiers)
	row "loy-segment tiers, changes shown, none applied" "$1" "$2" "$ref"
	fresh tiers.db
	cp report-ledger.db tiers.db
	loy-segment -d tiers.db --as-of 2026-11-22 tiers --apply >/dev/null
	set -- $(measure loy-segment -d tiers.db tiers --apply)
	row "loy-segment tiers --apply, the next night" "$1" "$2" "$ref"
	loy-check -q -d tiers.db
fi

printf '\n%s; %s cores, %s, %s, SQLite %s, %s\n' "$(date -u +%F)" "$(nproc)" \
    "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
    "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(sqlite3 -version | cut -d' ' -f1)" \
    "$(cc --version | head -1)"
printf '%-56s %10s %13s %11s\n' "job ($n rows)" time ratio "peak RSS"
printf '%s' "$rows"
echo "loy-check: every ledger consistent"
