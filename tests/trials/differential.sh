#!/bin/bash
# The differential trial: loy's books against an independent model.
#
#   bash tests/trials/differential.sh BIN SEEDS [FIRST_SEED [DAYS]]
#
# For each seed from FIRST_SEED (default 1), tests/trials/differential.py
# draws a programme (expiry_months, return_window_days, earn_points and
# earn_amount, allow_negative) and 60 to 150 days of activity: POS files
# of sales, returns in part or whole, returns before their sale's file,
# returns of receipts the ledger does not have, duplicates; manual
# credits and debits; redemptions, retried requests and cancels; expiry
# runs at month ends (some late, catching up) and now and then.  It runs
# loy on them day by day with LOY_NOW set, and after each day compares
# the ledger (balances, lots, journal sums per member, kind, reference
# and time, receipts, redemptions, stock) with what a model written from
# the man pages says it should hold, and runs loy-check.  A seed that
# differs prints the first day it does, what differs and the commands;
# it is replayed alone with
#   python3 tests/trials/differential.py BIN SEED DIR
# and its files are kept in DIR.  Last line: "N passed, N failed".
bin=$(cd "${1:?usage: differential.sh BIN SEEDS [FIRST_SEED [DAYS]]}" && pwd) || exit 1
seeds=${2:-200}
first=${3:-1}
days=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/loy-diff.XXXXXX") || exit 1
# the files of a seed that failed stay for its replay; an interrupted run
# leaves nothing
trap 'rm -rf "$work"; exit 130' INT TERM
passed=0 failed=0
for ((s = first; s < first + seeds; s++)); do
	if python3 "$here/differential.py" "$bin" $s "$work/$s" $days; then
		passed=$((passed + 1))
		rm -rf "${work:?}/$s"
	else
		failed=$((failed + 1))
	fi
done
if [ $failed -eq 0 ]; then
	rm -rf "$work"
else
	echo "differential: the files of the seeds that failed are kept in $work"
fi
echo "differential: $seeds seeds from $first"
[ $passed -gt 0 ] || failed=$((failed + 1))	# no seed ran: that is a failure
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
