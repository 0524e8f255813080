#!/bin/bash
# make valgrind: memcheck on a sample run of each program (every writer,
# every listing and report, loy-check, loy-program), reading the example
# data.  Passes when every run has 0 errors and 0 bytes definitely lost.
#
#   bash tests/trials/valgrind.sh BIN
bin=$(cd "${1:?usage: valgrind.sh BIN}" && pwd) || exit 1
here=$(cd "$(dirname "$0")" && pwd)
ex=$(cd "$here/../../examples" && pwd)
. "$here/lib.sh"
command -v valgrind >/dev/null || { echo "valgrind: not installed (make valgrind installs it)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/loy-vg.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export LOY_DB=$work/l.db LOY_NOW="2026-11-23 12:00:00" TZ=UTC PATH=$bin:$PATH
gen_pos 200 12 V 5 >pos.csv
printf 'member_id,points,earned_at,expires_at\n1004,30,2026-01-01,2027-01-01\n' >opening.csv

runs=0 bad=0
vg() {
	local log=$work/vg.$runs.log
	runs=$((runs + 1))
	valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
	    --error-exitcode=99 --log-file="$log" "$@" >/dev/null 2>"$work/err.txt"
	local st=$? errors lost
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1 | tr -d ,)
	lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
	printf '%-60s exit %3d  errors %s  definitely lost %s bytes\n' "$(echo "$*" | cut -c1-60)" \
	    "$st" "${errors:-0}" "${lost:-0}"
	if [ "$st" -eq 99 ] || [ "${errors:-0}" -ne 0 ] || [ "${lost:-0}" -ne 0 ]; then
		bad=$((bad + 1))
		grep -A12 -E "definitely lost in|Invalid|uninitialised|Mismatched" "$log" | head -40
	fi
}

vg loy-init --set currency=EUR
vg loy-enroll "$ex/members.csv"
vg loy-enroll --rejects rej.csv "$ex/members.csv"
vg loy-enroll list --table
vg loy-enroll duplicates
vg loy-enroll merge 1012 1011
vg loy-enroll replace-card 6001003 6009999
vg loy-accrue "$ex/pos.csv"
vg loy-accrue --auto-enroll pos.csv
vg loy-accrue --adjust "$ex/adjustments.csv"
vg loy-accrue --opening opening.csv
vg loy-redeem --catalogue "$ex/rewards.csv"
vg loy-redeem "$ex/redemptions.csv"
vg loy-redeem rewards --tsv
vg loy-redeem cancel W-1001
vg loy-expire --notice 400
vg env LOY_NOW='2029-01-01 12:00:00' loy-expire
vg loy-check
vg loy-enroll close 1007
# the ways out that fail: bad rows, rows set aside, a missing ledger
printf 'txn_id,member_id,occurred_at,amount\nB1,1001,2026-13-01 10:00:00,1.00\nB2,9999,2026-11-01 10:00:00,x\n' >bad.csv
vg loy-accrue bad.csv
vg loy-accrue --rejects rej2.csv bad.csv
printf 'member_id,name,email,birthday\n2001,"Bad ""one""",bob,1990-02-30\n' >badm.csv
vg loy-enroll badm.csv
vg loy-check -d "$work/missing.db"
[ ! -f "$ex/programme.conf" ] || {
	vg loy-program check "$ex/programme.conf"
	vg loy-program load --retroactive "$ex/programme.conf"
	vg loy-program versions
}
if [ -x "$bin/loy-report" ]; then
	for r in balances liability earn-burn tiers economics redemptions runs html; do
		vg loy-report "$r"
	done
	vg loy-report statement 1001
fi
if [ -x "$bin/loy-segment" ]; then
	for c in "--apply tiers" value rfm lapse lifecycle birthdays "best 5" never-bought referrers; do
		vg loy-segment $c
	done
	vg loy-segment --save top5 best 5
	vg loy-segment segments top5
fi
echo "valgrind: $runs runs, $bad with errors or leaks"
[ $bad -eq 0 ]
