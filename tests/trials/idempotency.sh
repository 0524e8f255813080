#!/bin/bash
# The idempotency property: the same POS data cut into random pieces and
# imported in random order, with repeats, makes the same ledger (canonical
# dump, tests/trials/lib.sh) as one import of the whole.
#
#   bash tests/trials/idempotency.sh BIN [TRIALS [SEED]]
#
# How the data is cut follows loy-accrue(1): a receipt is first imported
# whole, all its lines in one input (lines of one receipt in two inputs of
# the same run, or a receipt that is not whole when first seen, is not the
# same data); once credited, its lines sent again, whole or split over
# several files, change nothing.  And a return comes after the receipt it
# returns (before it, it is a return at the current rate, as documented,
# and a balance may not cover it).  So each trial:
#   1. deals the sales receipts at random into 1-8 pieces, imports them in
#      a random order, 1 to 3 pieces a run, each piece again at random;
#   2. sends all sales again cut at random line boundaries, receipts split
#      over pieces, one piece a run;
#   3. deals the returns into pieces the same way and imports them, then
#      all of them again;
# and compares with one import of the whole file.
bin=$(cd "${1:?usage: idempotency.sh BIN [TRIALS [SEED]]}" && pwd) || exit 1
trials=${2:-10}
seed=${3:-$$}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PATH=$bin:$PATH
RANDOM=$seed
work=$(mktemp -d "${TMPDIR:-/tmp}/loy-idem.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export LOY_NOW="2026-11-23 12:00:00" TZ=UTC
failed=0 runs=0

gen_members 120 >members.csv
loy-init -d base.db 2>/dev/null && loy-enroll -d base.db members.csv >/dev/null 2>&1 || exit 1

# accrue FILE...: one run; must not fail.
accrue() {
	runs=$((runs + 1))
	loy-accrue -d piece.db "$@" >/dev/null 2>err.txt || {
		echo "idempotency: trial $t: loy-accrue $* exited $?: $(head -c 300 err.txt)"
		return 1
	}
}

# deal FILE N PREFIX: receipts of FILE (header first) into N pieces at random.
deal() {
	awk -v n="$2" -v p="$3" -v seed="$RANDOM" 'BEGIN { srand(seed) }
		NR == 1 { h = $0; for (i = 1; i <= n; i++) print h > (p i); next }
		{ split($0, f, ","); if (f[1] != last) { k = 1 + int(rand() * n); last = f[1] }
		  print > (p k) }' "$1"
}

# import the pieces PREFIX1..PREFIXn in random order, 1-3 a run, repeats.
import_pieces() {
	local prefix=$1 n=$2 order=() i j
	for ((i = 1; i <= n; i++)); do order+=("$prefix$i"); done
	for ((i = n - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		local x=${order[$i]}; order[$i]=${order[$j]}; order[$j]=$x
	done
	i=0
	while [ $i -lt $n ]; do
		local k=$((1 + RANDOM % 3)) run=()
		for ((j = 0; j < k && i < n; j++, i++)); do run+=("${order[$i]}"); done
		accrue "${run[@]}" || return 1
		if [ $((RANDOM % 3)) -eq 0 ]; then	# a piece imported before, again
			accrue "${order[$((RANDOM % i))]}" || return 1
		fi
	done
}

for ((t = 1; t <= trials; t++)); do
	rm -f piece* whole.db* sales* returns* again*
	gen_pos $((100 + RANDOM % 300)) 120 "T$t-" $((seed + t)) >pos.csv
	# returns are the receipts T<t>-R<n> (gen_pos)
	awk -F, 'NR == 1 || $1 !~ /-R[0-9]+$/' pos.csv >sales.csv
	awk -F, 'NR == 1 || $1 ~ /-R[0-9]+$/' pos.csv >returns.csv
	cp base.db whole.db && loy-accrue -d whole.db pos.csv >/dev/null 2>&1 || {
		echo "idempotency: trial $t: the whole import failed"; failed=$((failed + 1)); continue; }
	cp base.db piece.db
	n=$((1 + RANDOM % 8))
	deal sales.csv $n piece-s
	import_pieces piece-s $n || { failed=$((failed + 1)); continue; }
	# all sales again, cut anywhere between lines: receipts split over files
	m=$((2 + RANDOM % 4))
	awk -v n=$m -v seed=$RANDOM 'BEGIN { srand(seed) } NR == 1 { h = $0; k = 1; print h > ("again" k); next }
		{ if (rand() < 0.05 && k < n) { k++; print h > ("again" k) } print > ("again" k) }' sales.csv
	ok=1
	for f in again*; do accrue "$f" || { ok=0; break; }; done
	[ $ok -eq 1 ] || { failed=$((failed + 1)); continue; }
	n=$((1 + RANDOM % 4))
	deal returns.csv $n piece-r
	import_pieces piece-r $n && accrue returns.csv || { failed=$((failed + 1)); continue; }
	if ! diff <(canon whole.db) <(canon piece.db) >diff.txt; then
		echo "idempotency: FAIL trial $t: the pieces made another ledger: $(head -6 diff.txt | tr '\n' ' ')"
		failed=$((failed + 1))
		continue
	fi
	if ! loy-check -d piece.db >/dev/null 2>&1; then
		echo "idempotency: FAIL trial $t: loy-check"
		failed=$((failed + 1))
	fi
done
echo "idempotency: $trials trials (seed $seed), $runs imports of pieces; $failed failed"
[ $failed -eq 0 ]
