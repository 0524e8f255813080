#!/bin/bash
# The crash trial: kill a writer at a random moment, check the ledger, run
# the same command again, and compare with an uninterrupted run.
#
#   bash tests/trials/crash.sh BIN FAULTS_BIN TRIALS [SEED [SIZE]]
#
# BIN holds the programs; FAULTS_BIN the same built with -DLOY_FAULTS (see
# lib/faults.c; "-" for none: then every trial is a real kill -9).  A
# scenario of SIZE (default 1: 200 members, 600 receipts) runs every kind
# of writer once, uninterrupted, keeping the ledger after each step.  Each
# trial takes one step (in turn), starts from the ledger before it, and
# kills the step's process:
#   - injected: at its Kth write, sync or truncate of the ledger's files
#     (K drawn from 1 to the number the step makes); of these, a quarter
#     torn (half the write lands first), and half power cuts (the writes
#     since each file's last sync lost, all of them or some at random);
#   - kill -9: after a random delay up to the step's uninterrupted time.
# Then loy-check must pass; if the step had printed its output (which a
# writer does only once its run has committed) the books must hold the run
# already; the same command is run again; and the ledger's
# canonical dump (tests/trials/lib.sh) must equal the uninterrupted one's,
# and a rejects file, if the step writes one, must be whole.  Prints one
# line a failure and a summary; exits 1 if any trial failed.
bin=$(cd "${1:?usage: crash.sh BIN FAULTS_BIN TRIALS [SEED [SIZE]]}" && pwd) || exit 1
fbin=${2:--}
[ "$fbin" = - ] || fbin=$(cd "$fbin" && pwd) || exit 1
trials=${3:-100}
seed=${4:-$$}
size=${5:-1}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
RANDOM=$seed

work=$(mktemp -d "${TMPDIR:-/tmp}/loy-crash.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
D=$work/data
mkdir -p "$D" "$work/ref" "$work/t"
export LOY_NOW="2026-11-23 12:00:00" TZ=UTC LOY_DB
unset LOY_CRASH_AT LOY_CRASH_TORN LOY_FULL_AT LOY_IOERR_AT LOY_FAULTS_COUNT

gen_members $((200 * size)) >"$D/members.csv"
gen_pos $((600 * size)) $((200 * size)) P 11 >"$D/pos1.csv"
{ gen_pos $((300 * size)) $((200 * size)) Q 12; echo 'BAD1,1001,2026-13-40 10:00:00,x,y,z,1,1.00,store,'; } >"$D/pos2.csv"
gen_pos $((100 * size)) $((200 * size)) S 13 | sed 's/2026-1[01]-[0-9][0-9] /2026-11-23 /' >"$D/pos3.csv"
printf 'member_id,points,reason,ref\n1003,50,"goodwill, late",CC-1\n1005,-10,correction,CC-2\n1007,25,survey,CC-3\n' >"$D/adjust.csv"
printf 'reward_id,name,points,stock,per_member_limit\nCOFFEE,Coffee,20,,\nCINEMA,"Cinema, any film",50,40,2\nBAG,Bag,200,3,1\n' >"$D/rewards.csv"
{
	echo 'request_id,member_id,reward_id,qty,requested_at,channel'
	for i in $(seq 1 $((60 * size))); do
		echo "W$i,$((1001 + (i * 7) % (200 * size))),$(case $((i % 3)) in 0) echo COFFEE ;; 1) echo CINEMA ;; *) echo BAG ;; esac),1,2026-11-23 09:00:00,web"
	done
} >"$D/requests.csv"

# The scenario: one command a step, run in the trial's directory.
steps=(
	"loy-init --set expiry_months=24"
	"loy-enroll $D/members.csv"
	"loy-accrue $D/pos1.csv"
	"loy-accrue --rejects rej.csv $D/pos2.csv"
	"loy-accrue --adjust $D/adjust.csv"
	"loy-redeem --catalogue $D/rewards.csv"
	"loy-redeem $D/requests.csv"
	"loy-redeem cancel W3 W6"
	"loy-enroll merge 1012 1011"
	"LOY_NOW='2028-11-15 12:00:00' loy-expire"
	"loy-enroll close 1020"
	"loy-program load --from 2026-11-23 $here/../../examples/programme.conf"
	"loy-accrue --rejects rej.csv $D/pos3.csv"
	"loy-segment --apply tiers"
	"loy-segment --save best10 best 10"
)
nsteps=${#steps[@]}

# Run step $1 in directory $2 on ledger $2/l.db with the programs of $3
# (PATH), extra environment in $4; its exit status.
run_step() {
	(cd "$2" && LOY_DB=$2/l.db PATH="$3:$PATH" eval "$4 ${steps[$1]}" >out.csv 2>err.txt)
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The uninterrupted run: ledger, dump, status, time, and number of
# writes+syncs+truncates (with the faults build) after each step.
declare -a ref_status ref_again ref_ms ref_ops
dir=$work/ref
for ((i = 0; i < nsteps; i++)); do
	t0=$(now_ms)
	run_step $i "$dir" "$bin" ""
	ref_status[$i]=$?
	ref_ms[$i]=$(($(now_ms) - t0))
	cp "$dir/l.db" "$work/ref$i.db"
	canon "$dir/l.db" >"$work/ref$i.canon"
	[ ! -f "$dir/rej.csv" ] || cp "$dir/rej.csv" "$work/ref$i.rej"
	rm -f "$dir/rej.csv"
	# the same step again: what a re-run after a run that did commit says
	mkdir -p "$work/again" && rm -f "$work/again/"*
	cp "$work/ref$i.db" "$work/again/l.db"
	run_step $i "$work/again" "$bin" ""
	ref_again[$i]=$?
	if [ "$fbin" != - ]; then
		rm -rf "$work/count" && mkdir -p "$work/count"
		[ $i -eq 0 ] || cp "$work/ref$((i - 1)).db" "$work/count/l.db"
		run_step $i "$work/count" "$fbin" "LOY_FAULTS_COUNT=$work/count/n"
		ref_ops[$i]=$(awk '{ s += $1 } END { print s + 0 }' "$work/count/n")
	fi
	[ -z "${CRASH_VERBOSE:-}" ] || echo "step $i '${steps[$i]}': status ${ref_status[$i]}," \
	    "again ${ref_again[$i]}, ${ref_ms[$i]} ms, ${ref_ops[$i]:-?} writes+syncs"
	case ${ref_status[$i]} in 0 | 1) ;; *)
		echo "crash: the uninterrupted step '${steps[$i]}' exited ${ref_status[$i]}:" >&2
		cat "$dir/err.txt" >&2
		exit 1 ;;
	esac
done

failed=0 injected=0 torn=0 power=0 killed=0 notkilled=0 injnot=0
fail() {
	failed=$((failed + 1))
	echo "crash: FAIL trial $t, step $i ('${steps[$i]}'), $how: $*"
}

for ((t = 1; t <= trials; t++)); do
	i=$(((t - 1) % nsteps))
	[ -z "${CRASH_VERBOSE:-}" ] || [ $((t % 100)) -ne 0 ] || echo "crash: $t trials, $failed failed" >&2
	dir=$work/t
	rm -rf "$dir" && mkdir -p "$dir"
	[ $i -eq 0 ] || cp "$work/ref$((i - 1)).db" "$dir/l.db"
	mode=$((RANDOM % 5))
	[ "$fbin" != - ] || mode=2
	if [ $mode -ne 2 ] && [ "${ref_ops[$i]:-0}" -gt 0 ]; then
		k=$((RANDOM % ref_ops[$i] + 1))
		env="LOY_CRASH_AT=$k"
		how="crash at write/sync $k of ${ref_ops[$i]}"
		case $mode in
		1)
			env="$env LOY_CRASH_TORN=1"
			how="$how (torn)"
			torn=$((torn + 1)) ;;
		3 | 4)
			env="$env LOY_CRASH_POWER=$((mode - 2))"
			how="$how (power cut $((mode - 2)))"
			power=$((power + 1)) ;;
		esac
		injected=$((injected + 1))
		run_step $i "$dir" "$fbin" "$env"
		st=$?
	else
		delay=$((RANDOM % (ref_ms[$i] + 1)))
		how="kill -9 after ${delay} ms"
		(cd "$dir" && LOY_DB=$dir/l.db PATH="$bin:$PATH" exec bash -c "exec ${steps[$i]}" \
		    >"$dir/out.csv" 2>"$dir/err.txt") &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -9 $pid 2>/dev/null
		{ wait $pid; } 2>/dev/null
		st=$?
		killed=$((killed + 1))
	fi
	if [ $st -ne 137 ]; then
		if [ $mode -ne 2 ] && [ "${ref_ops[$i]:-0}" -gt 0 ]; then
			injnot=$((injnot + 1))
		else
			notkilled=$((notkilled + 1))
		fi
	fi
	# after the kill: a ledger (if the step had made one) that checks out
	if [ -f "$dir/l.db" ] && ! "$bin/loy-check" -d "$dir/l.db" >"$dir/check.txt" 2>&1; then
		fail "loy-check after the kill: $(head -c 300 "$dir/check.txt")"
		continue
	fi
	# a run that printed its output had committed (a writer prints only
	# after its commit): the books hold it already, power cut or not
	if [ -s "$dir/out.csv" ] && ! canon "$dir/l.db" | cmp -s - "$work/ref$i.canon"; then
		fail "the run printed its output, but the books do not hold it"
		continue
	fi
	# a rejects file is whole or absent
	if [ -f "$dir/rej.csv" ] && ! cmp -s "$dir/rej.csv" "$work/ref$i.rej"; then
		fail "rejects file half-written"
		continue
	fi
	rm -f "$dir/rej.csv"
	run_step $i "$dir" "$bin" ""
	st2=$?
	if [ $st2 -ne "${ref_status[$i]}" ] && [ $st2 -ne "${ref_again[$i]}" ]; then
		fail "re-run exited $st2 (uninterrupted: ${ref_status[$i]}, again: ${ref_again[$i]}): $(head -c 300 "$dir/err.txt")"
		continue
	fi
	if ! "$bin/loy-check" -d "$dir/l.db" >"$dir/check.txt" 2>&1; then
		fail "loy-check after the re-run: $(head -c 300 "$dir/check.txt")"
		continue
	fi
	if ! canon "$dir/l.db" | cmp -s - "$work/ref$i.canon"; then
		fail "ledger differs from the uninterrupted run: $(canon "$dir/l.db" | diff - "$work/ref$i.canon" | head -5 | tr '\n' ' ')"
		continue
	fi
done
echo "crash: $trials trials over $nsteps steps (seed $seed, size $size): $injected injected" \
    "($torn torn, $power power cuts, $injnot not reached), $killed kill -9 ($((killed - notkilled)) mid-run," \
    "$notkilled finished first); $failed failed"
[ $failed -eq 0 ]
