# Shared by every tests/*.bats: a fresh ledger per test, fixed "now".
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export LOY_DB="$BATS_TEST_TMPDIR/loyalty.db"
	export LOY_NOW="2026-11-23 12:00:00"
	export TMPDIR="$BATS_TEST_TMPDIR"
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
