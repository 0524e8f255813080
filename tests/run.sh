#!/bin/sh
# Run every bats test with the programs in $1 first on PATH; end with one
# line "N passed, N failed" (", N skipped" when some were).
bin=$(cd "${1:-build/bin}" && pwd) || exit 1
cd "$(dirname "$0")" || exit 1
PATH="$bin:$PATH"
export PATH
out=$(mktemp)
bats --tap ${LOY_TESTS:-.} | tee "$out"
passed=$(grep -c '^ok ' "$out" | tr -d ' ')
skipped=$(grep -c '^ok .* # skip' "$out" | tr -d ' ')
failed=$(grep -c '^not ok ' "$out" | tr -d ' ')
rm -f "$out"
passed=$((passed - skipped))
[ "$passed" -gt 0 ] || failed=$((failed + 1))	# no test ran: that is a failure
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
