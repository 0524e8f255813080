#!/bin/sh
# make fuzz: build each harness with AFL++ (afl-cc, with AddressSanitizer
# and UndefinedBehaviorSanitizer) and fuzz it for a bounded time, then print
# one line a harness: executions, paths (corpus entries), crashes, hangs.
#
#   sh fuzz/run.sh SECONDS HARNESS...
#
# FUZZ_JOBS harnesses run at a time (default 1); findings stay in
# $FUZZ_OUT/HARNESS (default build-fuzz/out).  A crash found is a bug: copy
# its input to fuzz/crashes/HARNESS-NAME, where `make check` replays it.
secs=${1:?usage: fuzz/run.sh SECONDS HARNESS...}
shift
cd "$(dirname "$0")/.." || exit 1
build=${FUZZ_BUILD:-build-fuzz}
out=${FUZZ_OUT:-$build/out}
jobs=${FUZZ_JOBS:-1}
cc=$(command -v afl-clang-fast || command -v afl-cc) || {
	echo "fuzz: afl-cc not found (make fuzz installs afl++)" >&2
	exit 1
}
mkdir -p "$build/lib" "$build/bin" "$out"
all=$*

# The library files each harness needs.
need() {
	case $1 in
	csv) echo csvio diag sha256 strmap utf8 money ;;
	money) echo money ;;
	when) echo when ;;
	*) echo "$(cd lib && ls *.c | sed 's/\.c$//')" ;;	# all of lib
	esac
}

export AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1
for h in "$@"; do
	objs=
	for m in $(need "$h"); do
		[ -f "lib/$m.c" ] || continue
		"$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -c -o "$build/lib/$m.o" "lib/$m.c" || exit 1
		objs="$objs $build/lib/$m.o"
	done
	"$cc" -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -Ifuzz -o "$build/bin/fuzz-$h" "fuzz/$h.c" $objs \
	    -lsqlite3 -lcsv -lpcre2-8 || exit 1
done
unset AFL_USE_ASAN AFL_USE_UBSAN

run_one() {
	h=$1
	[ -n "${FUZZ_RESUME:-}" ] || rm -rf "$out/$h"
	AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
	    afl-fuzz -V "$secs" -m none -t 1000 -i "fuzz/seeds/$h" -o "$out/$h" \
	    -- "$build/bin/fuzz-$h" >"$out/$h.log" 2>&1
}

while [ $# -gt 0 ]; do
	pids=
	n=0
	while [ $# -gt 0 ] && [ $n -lt "$jobs" ]; do
		run_one "$1" &
		pids="$pids $!"
		n=$((n + 1))
		shift
	done
	wait $pids
done

printf '%-10s %8s %12s %8s %8s %8s\n' harness seconds executions paths crashes hangs
status=0
for h in $all; do
	d=$out/$h/default/fuzzer_stats
	[ -f "$d" ] || { echo "$h: no statistics (see $out/$h.log)"; status=1; continue; }
	v() { sed -n "s/^$1 *: *//p" "$d"; }
	crashes=$(v saved_crashes)
	[ -n "$crashes" ] || crashes=$(v unique_crashes)
	hangs=$(v saved_hangs)
	[ -n "$hangs" ] || hangs=$(v unique_hangs)
	paths=$(v corpus_count)
	[ -n "$paths" ] || paths=$(v paths_total)
	printf '%-10s %8s %12s %8s %8s %8s\n' "$h" "$(v run_time)" "$(v execs_done)" \
	    "$paths" "$crashes" "$hangs"
	[ "${crashes:-0}" -eq 0 ] || status=1
done
exit $status
