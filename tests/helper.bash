# Shared by every tests/*.bats: a fresh ledger per test, fixed "now".
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export LOY_DB="$BATS_TEST_TMPDIR/loyalty.db"
	export LOY_NOW="2026-11-23 12:00:00"
	export TMPDIR="$BATS_TEST_TMPDIR"
	# messages show phones, e-mails and birthdays (by default they read
	# ***; tests/trust.bats tests that)
	export LOY_SHOW_PERSONAL=1
	EXAMPLES="$BATS_TEST_DIRNAME/../examples"
	DATA="$BATS_TEST_DIRNAME/../../shared/data"
}

# A new ledger with the default programme (extra args: --set KEY=VALUE).
new_ledger() {
	loy-init "$@" 2>/dev/null
}

# The ledger's whole content, for "nothing changed" comparisons.
dump() {
	sqlite3 "${1:-$LOY_DB}" .dump
}

# loy-check must pass; show its report if not.
ledger_ok() {
	run loy-check -d "${1:-$LOY_DB}"
	if [ "$status" -ne 0 ]; then
		echo "loy-check failed ($status): $output" >&2
		return 1
	fi
}

# One value from the ledger.
q() {
	sqlite3 "$LOY_DB" "$1"
}

# Release what a test left behind: a lock holder it started, modes it took away.
teardown() {
	if [ -n "${LOCK_PID:-}" ]; then
		kill "$LOCK_PID" 2>/dev/null
		wait "$LOCK_PID" 2>/dev/null
	fi
	chmod -R u+w "$BATS_TEST_TMPDIR" 2>/dev/null
	for d in "${SMALL_FS[@]}"; do
		umount "$d" 2>/dev/null
	done
	return 0
}

# A file system of $2 bytes (64k, 2m) mounted on directory $1, which
# teardown unmounts; skips the test unless one can be mounted (as root).
small_fs() {
	[ "$(id -u)" -eq 0 ] || skip "not root: cannot mount a small file system"
	mkdir -p "$1"
	mount -t tmpfs -o size="$2" tmpfs "$1" 2>/dev/null || skip "cannot mount a tmpfs"
	SMALL_FS+=("$(cd "$1" && pwd)")
}

# Fill the file system directory $1 is on, to its last byte.
fill_fs() {
	cat /dev/zero >"$1/.fill" 2>/dev/null || :
}

# Compare $1 with the text on standard input; show both when they differ.
same() {
	local want
	want=$(cat)
	if [ "$1" != "$want" ]; then
		printf -- '--- expected\n%s\n--- got\n%s\n' "$want" "$1" >&2
		return 1
	fi
}

# The ledger's members, cards and attributes (not its runs), for "only the
# run record changed" comparisons.
people() {
	sqlite3 "${1:-$LOY_DB}" ".dump members cards member_attrs"
}

# A member's attributes as sorted name=value lines, wherever the ledger keeps
# them (a member_attrs table, or a JSON object in members.attrs).
attrs() {
	if [ "$(q "SELECT count(*) FROM pragma_table_info('members') WHERE name = 'attrs'")" = 1 ]; then
		q "SELECT j.key || '=' || j.value FROM members, json_each(members.attrs) AS j
		   WHERE member_id = '$1' ORDER BY j.key"
	else
		q "SELECT name || '=' || value FROM member_attrs WHERE member_id = '$1' ORDER BY name"
	fi
}

# Credit member $1 with $2 points (expiring at $3) the way the ledger keeps
# them: a run, a manual credit's entry (its ref 'give-' and the run), an
# open lot and the balance; and the lot's opening move when loy-check says
# this ledger records one.
give_points() {
	local lot

	sqlite3 "$LOY_DB" "
	INSERT INTO runs(program, args, started_at, ended_at)
	  VALUES ('test', 'give_points', '2026-11-01 10:00:00', '2026-11-01 10:00:00');
	INSERT INTO journal(member_id, kind, points, occurred_at, posted_at, run_id, source, ref,
	    reason)
	  VALUES ('$1', 'adjust', $2, '2026-11-01 10:00:00', '2026-11-01 10:00:00', last_insert_rowid(),
	    'adjustment', 'give-' || last_insert_rowid(), 'test');
	INSERT INTO lots(member_id, entry_id, earned_at, expires_at, points, remaining)
	  VALUES ('$1', last_insert_rowid(), '2026-11-01 10:00:00', '${3:-2028-11-01 10:00:00}', $2, $2);
	INSERT INTO balances(member_id, points, last_entry_id)
	  VALUES ('$1', $2, (SELECT max(entry_id) FROM journal))
	  ON CONFLICT(member_id) DO UPDATE SET points = points + excluded.points,
	    last_entry_id = excluded.last_entry_id;"
	lot=$(q "SELECT max(lot_id) FROM lots")
	if loy-check 2>/dev/null | grep -q "^lot-moves-equal-lots,lot $lot,"; then
		q "INSERT INTO lot_moves(entry_id, lot_id, points)
		   SELECT entry_id, lot_id, points FROM lots WHERE lot_id = $lot"
	fi
}

# Run SQL over CSV file $1 loaded as table t (columns named by its header).
csvq() {
	sqlite3 :memory: ".import --csv '$1' t" "$2"
}

# Run a command that file modes apply to: as root, without the capabilities
# that override them.
as_user() {
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		setpriv --inh-caps=-all \
		    --bounding-set=-dac_override,-dac_read_search,-fowner "$@"
	else
		"$@"
	fi
}

# What a run that changed nothing says last: it leaves the ledger as it
# was, unwritten, with no record of the run.
idle() {
	printf '%s: nothing changed: the ledger is as it was, with no record of the run' "$1"
}

# Skip unless strace can trace here (a container may forbid ptrace);
# `make deps` installs it.  LeakSanitizer, in make check-asan, cannot run
# under strace: the traced program is run with leaks not checked.
need_strace() {
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# Skip the test when a read-only mode does not stop as_user from writing.
need_modes() {
	local probe="$BATS_TEST_TMPDIR/mode-probe"

	: >"$probe"
	chmod 444 "$probe"
	if as_user sh -c ': >>"$1"' sh "$probe" 2>/dev/null; then
		rm -f "$probe"
		skip "running as root: file modes do not stop writes (and no setpriv to drop that)"
	fi
	rm -f "$probe"
}

# Hold the ledger's write lock from another process until release_lock.
hold_lock() {
	local got

	mkfifo "$BATS_TEST_TMPDIR/lock.in" "$BATS_TEST_TMPDIR/lock.out"
	sqlite3 "$LOY_DB" <"$BATS_TEST_TMPDIR/lock.in" >"$BATS_TEST_TMPDIR/lock.out" 2>&1 3>&- &
	LOCK_PID=$!
	exec {LOCK_W}>"$BATS_TEST_TMPDIR/lock.in" {LOCK_R}<"$BATS_TEST_TMPDIR/lock.out"
	echo "BEGIN IMMEDIATE; INSERT INTO settings VALUES ('lock', '1'); SELECT 'locked';" >&"$LOCK_W"
	read -r got <&"$LOCK_R"
	[ "$got" = locked ]
}

# Hold the ledger's write lock from another process, the SQL $1 run in its
# transaction (a setting changed, as loy-program apply changes one), to
# commit it (commit_version) while a writer waits for the ledger.
commit_sql_while() {
	local got

	rm -f "$BATS_TEST_TMPDIR/v.in" "$BATS_TEST_TMPDIR/v.out"
	mkfifo "$BATS_TEST_TMPDIR/v.in" "$BATS_TEST_TMPDIR/v.out"
	sqlite3 "$LOY_DB" <"$BATS_TEST_TMPDIR/v.in" >"$BATS_TEST_TMPDIR/v.out" 2>&1 3>&- &
	LOCK_PID=$!
	exec {LOCK_W}>"$BATS_TEST_TMPDIR/v.in" {LOCK_R}<"$BATS_TEST_TMPDIR/v.out"
	printf "BEGIN IMMEDIATE; %s\nSELECT 'locked';\n" "$1" >&"$LOCK_W"
	read -r got <&"$LOCK_R"
	[ "$got" = locked ]
}

# The same with a programme version inserted ($1 its file, $2 its
# effective_from).
commit_version_while() {
	commit_sql_while "INSERT INTO programmes (effective_from, loaded_at, run_id, source, sha256, text)
	    VALUES ('$2', '$2', 1, '$1', '$(sha256sum <"$1" | cut -d' ' -f1)', readfile('$1'));"
}

# Commit what the lock holder of commit_sql_while wrote.
commit_version() {
	echo 'COMMIT;' >&"$LOCK_W"
	exec {LOCK_W}>&- {LOCK_R}<&-
	wait "$LOCK_PID"
	LOCK_PID=
}

# Give the lock up (nothing it wrote is kept).
release_lock() {
	echo 'ROLLBACK;' >&"$LOCK_W"
	exec {LOCK_W}>&- {LOCK_R}<&-
	wait "$LOCK_PID"
	LOCK_PID=
}

# Run a program (arguments after $1) with its output in out.csv and its
# messages in err.txt while the lock holder of commit_version_while holds
# the ledger; once it waits for it, end the lock with $1 (commit_version
# or release_lock), and wait for it: its exit status in $status.
while_locked() {
	local end=$1 pid

	shift
	"$@" >out.csv 2>err.txt 3>&- {LOCK_W}>&- {LOCK_R}<&- &
	pid=$!
	wait_sleeping "$pid"
	"$end"
	status=0
	wait "$pid" || status=$?
}

# The programs built with -DLOY_FAULTS (make check builds them next to the
# others: build-faults/bin) in $FBIN, or skip the test.
faults_bin() {
	local d

	d="$(dirname "$(dirname "$(command -v loy-accrue)")")-faults/bin"
	[ -x "$d/loy-accrue" ] || return 1
	echo "$d"
}
need_faults() {
	FBIN=$(faults_bin) || skip "no fault-injection build (make check builds one)"
}

# Run a program (arguments after $1) of the faults build (need_faults) with
# its output in out.csv and its messages in err.txt; once it has opened the
# ledger and read its settings (LOY_PAUSE_OPENED), and before it reads
# anything else, run $1 (which changes the ledger), then let it go on, and
# wait for it: its exit status in $status.
while_opened() {
	local end=$1 pid

	shift
	rm -f "$BATS_TEST_TMPDIR/opened"
	LOY_PAUSE_OPENED="$BATS_TEST_TMPDIR/opened" PATH="$FBIN:$PATH" "$@" >out.csv 2>err.txt &
	pid=$!
	wait_sleeping "$pid"
	"$end"
	: >"$BATS_TEST_TMPDIR/opened"
	status=0
	wait "$pid" || status=$?
}

# Run a program (arguments after $1) of the faults build (need_faults) with
# its output in out.csv and its messages in err.txt while another writer
# holds the ledger, which it gives up once the program waits for it: the
# program's clock reads LOY_NOW as it starts and $1 once its run holds the
# ledger (LOY_NOW_AFTER_WAIT), as after a wait past midnight.  Its exit
# status in $status; skipped where a wait cannot be seen.
waited_till() {
	local at=$1 pid

	shift
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	commit_sql_while ""
	LOY_NOW_AFTER_WAIT=$at PATH="$FBIN:$PATH" "$@" >out.csv 2>err.txt 3>&- \
	    {LOCK_W}>&- {LOCK_R}<&- &
	pid=$!
	wait_sleeping "$pid"
	release_lock
	status=0
	wait "$pid" || status=$?
}

# Wait, without sleeping, until process $1 sleeps (in SQLite's busy handler);
# fails if it ends first.
wait_sleeping() {
	local state wchan call arch

	arch=$(uname -m)
	while read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null && [ "$state" != Z ]; do
		wchan= call=
		read -r wchan <"/proc/$1/wchan" 2>/dev/null || :
		read -r call _ <"/proc/$1/syscall" 2>/dev/null || :
		case "$wchan" in *nanosleep*) return 0 ;; esac
		case "$arch:$call" in
		x86_64:35 | x86_64:230 | aarch64:101 | aarch64:115) return 0 ;;
		esac
	done
	return 1
}

# None of the files after $1 that exist holds the text $1 anywhere, byte
# for byte; else say which does, and fail (a "! grep" in the middle of a
# test fails nothing: bash's -e passes over a negated command).
not_in_files() {
	local v=$1 f

	shift
	for f; do
		if [ -e "$f" ] && grep -qaF -- "$v" "$f"; then
			echo "'$f' still holds '$v'" >&2
			return 1
		fi
	done
}

# No file $1 and none of SQLite's companions ($1-wal, $1-shm, $1-journal).
no_files() {
	! compgen -G "$1*" >/dev/null
}

# Whether process $1 is making the rejects file rej.csv: under a temporary
# name, or (Linux) as a file without a name in this directory.
making_rejects() {
	compgen -G 'rej.csv.*' >/dev/null ||
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q " $PWD/#[0-9]* (deleted)$"
}

# Balances as member:points lines, in member order.
balances() {
	q "SELECT member_id || ':' || points FROM balances ORDER BY member_id"
}
