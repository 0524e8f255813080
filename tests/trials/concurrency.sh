#!/bin/bash
# The concurrency trial: 4 writers (loy-accrue, loy-redeem, loy-expire,
# loy-enroll) and 8 readers (loy-check, loy-report, listings) on one ledger
# for DURATION seconds, then the books are checked against what the writers
# were given.
#
#   bash tests/trials/concurrency.sh BIN [DURATION [BUSY_TIMEOUT]]
#
# Each writer loops over new input (and, every third time, input it gave
# before, which must change nothing); each reader loops over its query.
# Fails when a writer fails (a busy ledger past its wait included), a
# reader fails or a loy-check reports a violation, or when the final
# ledger does not hold exactly: every receipt imported once, its points in
# the journal once; every request answered once; every member enrolled;
# balances, lots and the journal in agreement (loy-check).
bin=$(cd "${1:?usage: concurrency.sh BIN [DURATION [BUSY_TIMEOUT]]}" && pwd) || exit 1
duration=${2:-60}
busy=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PATH=$bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/loy-conc.XXXXXX") || exit 1
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
export LOY_DB=$work/l.db LOY_NOW="2026-11-23 12:00:00" TZ=UTC
cd "$work" || exit 1
members=300

loy-init --set expiry_months=1 2>/dev/null || exit 1
gen_members $members >members.csv
loy-enroll members.csv >/dev/null 2>&1 || exit 1
printf 'reward_id,name,points\nCOFFEE,Coffee,5\n' >rewards.csv
loy-redeem --catalogue rewards.csv >/dev/null 2>&1 || exit 1
end=$(($(date +%s) + duration))
mkdir -p log

# writer NAME: loop `step N` until the time is up; log each status.
writer() {
	local name=$1 n=0 st
	while [ "$(date +%s)" -lt $end ]; do
		n=$((n + 1))
		step_$name $n >"log/$name.$n.out" 2>"log/$name.$n.err"
		st=$?
		echo "$n $st" >>"log/$name.status"
		if [ $((n % 3)) -eq 0 ] && [ $n -gt 1 ]; then
			# the input of the run before, again: must change nothing
			again_$name $((n - 1)) >"log/$name.$n.again" 2>>"log/$name.$n.err"
			echo "$n-again $?" >>"log/$name.status"
		fi
	done
}
step_accrue() {
	gen_pos 40 $members "A$1-" "$1" >"pos$1.csv"
	loy-accrue --busy-timeout $busy "pos$1.csv"
}
again_accrue() { loy-accrue --busy-timeout $busy "pos$1.csv"; }
step_redeem() {
	{
		echo 'request_id,member_id,reward_id,qty,requested_at'
		for i in 1 2 3 4 5; do
			echo "Q$1-$i,$((1001 + (RANDOM % members))),COFFEE,1,2026-11-23 10:00:00"
		done
	} >"req$1.csv"
	loy-redeem --busy-timeout $busy "req$1.csv"
}
again_redeem() { loy-redeem --busy-timeout $busy "req$1.csv"; }
step_expire() { loy-expire --busy-timeout $busy; }
again_expire() { loy-expire --busy-timeout $busy; }
step_enroll() {
	{
		echo 'member_id,name,email'
		for i in 1 2 3; do echo "N$1-$i,New member $1-$i,n$1.$i@example.org"; done
		echo "$((1001 + $1 % members)),Member renamed $1,"
	} >"mem$1.csv"
	loy-enroll --busy-timeout $busy "mem$1.csv"
}
again_enroll() { loy-enroll --busy-timeout $busy "mem$1.csv"; }

# reader NAME COMMAND...: loop until the time is up; log failures.
reader() {
	local name=$1 n=0
	shift
	while [ "$(date +%s)" -lt $end ]; do
		n=$((n + 1))
		if ! "$@" >/dev/null 2>"log/r-$name.err"; then
			echo "reader $name run $n exited $?: $(head -c 300 "log/r-$name.err")" >>log/readers.fail
		fi
	done
	echo "$n" >"log/r-$name.count"
}

for w in accrue redeem expire enroll; do writer $w & done
reader check1 loy-check &
reader check2 loy-check &
reader rfm loy-segment rfm &
reader list loy-enroll list &
reader rewards loy-redeem rewards &
reader notice loy-expire --notice 30 &
if [ -x "$bin/loy-report" ]; then
	reader balances loy-report balances &
	reader liability loy-report liability &
else
	reader check4 loy-check &
	reader list2 loy-enroll list &
fi
wait

failed=0
bad() { failed=$((failed + 1)); echo "concurrency: FAIL: $*"; }
runs=0
for w in accrue redeem expire enroll; do
	while read -r n st; do
		runs=$((runs + 1))
		[ "$st" -eq 0 ] || bad "$w run $n exited $st: $(head -c 300 "log/$w.${n%-again}.err")"
	done <"log/$w.status"
done
[ ! -s log/readers.fail ] || { bad "readers:"; head -5 log/readers.fail; }
reads=$(cat log/r-*.count | awk '{ s += $1 } END { print s }')

# The books against the inputs.
sql() { sqlite3 -batch "$LOY_DB" "$1"; }
want_receipts=$(cat pos*.csv 2>/dev/null | grep -v '^txn_id' | cut -d, -f1 | sort -u | wc -l)
got_receipts=$(sql "SELECT count(*) FROM receipts")
[ "$want_receipts" -eq "$got_receipts" ] || bad "receipts: $got_receipts in the ledger, $want_receipts imported"
twice=$(sql "SELECT count(*) FROM (SELECT ref FROM journal WHERE source = 'receipt' AND kind = 'earn'
	GROUP BY ref HAVING count(*) > 1)")
[ "$twice" -eq 0 ] || bad "$twice receipts credited more than once"
diff=$(sql "SELECT count(*) FROM receipts r WHERE r.points != coalesce((SELECT sum(points)
	FROM journal j WHERE j.source = 'receipt' AND j.ref = r.txn_id AND j.kind IN ('earn', 'return')), 0)
	AND r.status IN ('credited', 'returned')")
[ "$diff" -eq 0 ] || bad "$diff receipts whose points differ from their journal entries"
want_req=$(cat req*.csv 2>/dev/null | grep -v '^request_id' | cut -d, -f1 | sort -u | wc -l)
got_req=$(sql "SELECT count(*) FROM redemptions")
[ "$want_req" -eq "$got_req" ] || bad "redemptions: $got_req answered, $want_req asked"
redeemed=$(sql "SELECT count(*) || ' ' || total(points) FROM redemptions WHERE status = 'redeemed'")
entries=$(sql "SELECT count(*) || ' ' || total(-points) FROM journal WHERE kind = 'redeem'")
[ "$redeemed" = "$entries" ] || bad "redemptions $redeemed, journal redeem entries $entries"
want_mem=$((members + $(cat mem*.csv 2>/dev/null | grep -c '^N')))
got_mem=$(sql "SELECT count(*) FROM members")
[ "$want_mem" -eq "$got_mem" ] || bad "members: $got_mem in the ledger, $want_mem enrolled"
loy-check >log/final-check 2>&1 || bad "final loy-check: $(head -c 300 log/final-check)"
totals=$(sql "SELECT (SELECT total(points) FROM journal) || ' ' || (SELECT total(points) FROM balances)
	|| ' ' || (SELECT total(remaining) FROM lots WHERE remaining > 0)")
echo "concurrency: ${duration}s, 4 writers ($runs runs), 8 readers ($reads runs); $got_receipts receipts," \
    "$got_req requests, $got_mem members; journal/balances/open lots $totals; $failed failed"
[ $failed -eq 0 ]
