#!/bin/sh
# make bench: each loy job against a reference measured in the same run,
# printed as one table (seconds, ratio to the reference, peak RSS).
# BENCH_N sets the row count (default 1000000).
set -e
bin=$(cd "${1:-build/bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_N:-1000000}
out="$top/bench/out"
mkdir -p "$out"
cd "$out"
PATH="$bin:$PATH"

# seconds and peak RSS (KB) of a command, its output discarded
measure() {
	/usr/bin/time -f '%e %M' -o time.txt "$@" >/dev/null 2>cmd.err || {
		echo "bench: failed: $*" >&2
		cat cmd.err >&2
		exit 1
	}
	cat time.txt
}

row() {	# name seconds rss reference-seconds
	awk -v name="$1" -v s="$2" -v kb="$3" -v ref="$4" 'BEGIN {
		printf "%-44s %8.2f s %8.2f x %8.1f MB\n", name, s, s / ref, kb / 1024 }'
}

echo "bench: generating $n members" >&2
[ -s members-$n.csv ] || awk -v n="$n" -f "$top/bench/gen-members.awk" >members-$n.csv

rm -f bare.db keyed.db keyed.db-wal ledger.db ledger.db-wal ledger.db-shm
set -- $(measure sqlite3 bare.db ".import --csv members-$n.csv members")
ref=$1 ref_kb=$2
# the same import into a WAL table keyed and indexed as the ledger's members
sqlite3 keyed.db "PRAGMA journal_mode=WAL; CREATE TABLE members(member_id TEXT PRIMARY KEY,
    card, name, phone, email, birthday, enrolled_at, referrer, store, channel, language,
    newsletter) WITHOUT ROWID; CREATE INDEX members_phone ON members(phone);
    CREATE INDEX members_email ON members(email)" >/dev/null
set -- $(measure sqlite3 keyed.db ".import --csv --skip 1 members-$n.csv members")
keyed=$1 keyed_kb=$2
loy-init -d ledger.db 2>/dev/null
set -- $(measure loy-enroll -d ledger.db members-$n.csv)
enroll=$1 enroll_kb=$2
set -- $(measure loy-enroll -d ledger.db members-$n.csv)
again=$1 again_kb=$2

printf '\n%-44s %10s %10s %11s\n' "job ($n rows)" time ratio "peak RSS"
row "reference: sqlite3 .import into a bare table" "$ref" "$ref_kb" "$ref"
row "sqlite3 .import, keyed + indexed WAL table" "$keyed" "$keyed_kb" "$ref"
row "loy-enroll, new ledger" "$enroll" "$enroll_kb" "$ref"
row "loy-enroll, same file again (all unchanged)" "$again" "$again_kb" "$ref"
loy-check -q -d ledger.db && echo "loy-check: ledger consistent"
