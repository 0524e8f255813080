#!/usr/bin/env bats
# completions/loy.bash: what the bash completion offers.

load helper

# Complete the words given, the last being the word under the cursor, as
# bash splits them (at '=' too); print the completions, one a line.
complete_bash() {
	local fn=$1
	shift
	source "$BATS_TEST_DIRNAME/../completions/loy.bash"
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}"
}

# Complete the command line given, the cursor at its end, with the zsh
# completion (tests/complete.zsh); print the matches, one a line.
complete_zsh() {
	timeout 60 zsh -f "$BATS_TEST_DIRNAME/complete.zsh" \
	    "$BATS_TEST_DIRNAME/../completions" "$1"
}

# Complete the words given, the last being the word under the cursor, in
# bash and, when it is installed, in zsh; print the completions, one a
# line, each after the shell's name.
complete_both() {
	local fn=$1
	shift
	complete_bash "$fn" "$@" | sed 's/^/bash /'
	if command -v zsh >/dev/null; then
		complete_zsh "$*" | sed 's/^/zsh /'
	fi
}

# In $output of complete_both, each shell offers every option of $1 and
# none of $2.
offers() {
	local sh o
	for sh in bash $(command -v zsh >/dev/null && echo zsh); do
		for o in $1; do
			grep -qxF -- "$sh $o" <<<"$output" ||
			    { echo "$sh does not offer $o: $output"; return 1; }
		done
		for o in $2; do
			! grep -qxF -- "$sh $o" <<<"$output" ||
			    { echo "$sh offers $o: $output"; return 1; }
		done
	done
}

@test "loy-program before the verb offers every option its synopsis takes there" {
	run -0 complete_bash _loy_program loy-program -
	for o in -d --db -n --dry-run --from --to --as-of --date-format --retroactive --busy-timeout \
	    --safe-cells --table --tsv -h --help -V --version; do
		grep -qxF -- "$o" <<<"$output" || { echo "missing $o in: $output"; return 1; }
	done
}

@test "loy-program after a verb still offers -V and --version" {
	for verb in load apply show versions what-if check; do
		run -0 complete_bash _loy_program loy-program "$verb" --v
		[ "$output" = "--version" ] || { echo "$verb: $output"; return 1; }
	done
}

@test "loy-redeem --draw= offers no file names: a seed is any text" {
	touch requests.csv
	run -0 complete_bash _loy_redeem loy-redeem --draw = ""
	[ "$output" = "" ]
	run -0 complete_bash _loy_redeem loy-redeem --draw = re
	[ "$output" = "" ]
	# --draw without '=' takes no seed: the next word is an operand
	run -0 complete_bash _loy_redeem loy-redeem --draw req
	[ "$output" = "requests.csv" ]
}

@test "loy-segment --map offers member_id for save, the assignment's fields with --assign" {
	run -0 complete_bash _loy_segment loy-segment --map = ""
	[ "$output" = "member_id=" ]
	run -0 complete_bash _loy_segment loy-segment --assign tiers.csv --map = ""
	[ "$output" = "member_id=
tier=
until=
reason=" ]
	# bash splits the word at each '=', and replaces only what follows the last
	run -0 complete_bash _loy_segment loy-segment --assign = tiers.csv --map = member_id = No,t
	[ "$output" = "No,tier=" ]
}

@test "loy-init --set offers every setting loy-init --settings lists, in bash with loy-init on the PATH or not, and in zsh" {
	local want got
	want=$(loy-init --settings | sed '1d; s/,.*//' | sort)
	[ "$(wc -l <<<"$want")" -ge 20 ]
	run -0 complete_bash _loy_init loy-init --set ""
	[ "$(sed 's/=$//' <<<"$output" | sort)" = "$want" ]
	# a completion loaded where loy-init is not on the PATH has its own list
	PATH=/usr/bin:/bin run -0 complete_bash _loy_init loy-init --set ""
	got=$(sed 's/=$//' <<<"$output" | sort)
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	got=$(sed -n '/^_loy_settings() {/,/^  )/p' "$BATS_TEST_DIRNAME/../completions/_loy" |
	    sed -n "s/^    '\([a-z_]*\):.*/\1/p" | sort)
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
}

@test "loy-init --set offers median for value_spend and value_visits, as the zsh completion does" {
	# bash splits the word at '=', and replaces only what follows it
	for key in value_spend value_visits; do
		run -0 complete_bash _loy_init loy-init --set "$key" = ""
		[ "$output" = "median" ] || { echo "$key: $output"; return 1; }
		run -0 complete_bash _loy_init loy-init --set "$key" = me
		[ "$output" = "median" ] || { echo "$key: $output"; return 1; }
	done
	run -0 complete_bash _loy_init loy-init --set lapse_k = ""
	[ "$output" = "" ]
	grep -q "value_spend|value_visits) _values 'threshold, or median' median" \
	    "$BATS_TEST_DIRNAME/../completions/_loy"
}

@test "loy-init --set offers none for phone_country, as the zsh completion does" {
	run -0 complete_bash _loy_init loy-init --set phone_country = ""
	[ "$output" = "none" ]
	run -0 complete_bash _loy_init loy-init --set phone_country = 4
	[ "$output" = "" ]
	grep -q "phone_country) _values 'country calling code (44), or none' none" \
	    "$BATS_TEST_DIRNAME/../completions/_loy"
}

@test "every option a program's --help lists is in its man page and in the bash and zsh completions" {
	local p o opts page zsh bash offered missing=
	for p in loy-init loy-check loy-enroll loy-accrue loy-expire loy-redeem \
	    loy-program loy-report loy-segment; do
		opts=$("$p" --help | grep -oE -- '(^|[][ ,|])--?[a-zA-Z][a-z-]*' |
		    sed 's/^[][ ,|]//' | sort -u)
		[ -n "$opts" ]
		page=$(MANWIDTH=200 man -l "$BATS_TEST_DIRNAME/../man/$p.1" 2>/dev/null)
		zsh=$(sed -n "/^_$p() {/,/^}/p" "$BATS_TEST_DIRNAME/../completions/_loy")
		bash=$(complete_bash "_loy_${p#loy-}" "$p" -)
		# what zsh offers, when it is installed
		offered=$zsh
		command -v zsh >/dev/null && offered=$(complete_zsh "$p -")
		for o in $opts; do
			grep -qE -- "(^|[][ ,|])$o([][ ,|=]|$)" <<<"$page" || missing+=" $p(1):$o"
			grep -qE -- "[{',)*]$o[]=+[,}-]" <<<"$zsh" || missing+=" zsh:$p:$o"
			grep -qE -- "(^|[{',)*])$o([]=+[,}-]|$)" <<<"$offered" ||
			    missing+=" zsh offers:$p:$o"
			grep -qxF -- "$o" <<<"$bash" || missing+=" bash:$p:$o"
		done
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "loy-accrue --explain offers none of -n, --map, --rejects and --date-format, --opening no --rejects: the program refuses them" {
	run -0 complete_bash _loy_accrue loy-accrue --explain member=1001 -
	for o in -n --dry-run --map --rejects --date-format --adjust --opening --events; do
		! grep -qxF -- "$o" <<<"$output" || { echo "offers $o: $output"; return 1; }
	done
	grep -qxF -- --table <<<"$output"
	run -64 loy-accrue --explain member=1001 --map txn_id=Bon
	run -0 complete_bash _loy_accrue loy-accrue --opening -
	! grep -qxF -- --rejects <<<"$output" || false
	grep -qxF -- --date-format <<<"$output"
	run -64 loy-accrue --opening --rejects bad.csv opening.csv
	run -0 complete_bash _loy_accrue loy-accrue --adjust -
	grep -qxF -- --rejects <<<"$output"
	# zsh: each of them and --explain exclude each other, --opening and --rejects too
	local zsh
	zsh=$(sed -n '/^_loy-accrue() {/,/^}/p' "$BATS_TEST_DIRNAME/../completions/_loy")
	grep -qF -- "-n --dry-run --date-format --map --rejects *)--explain=" <<<"$zsh"
	grep -qF -- "'(--explain)*--map=" <<<"$zsh"
	grep -qF -- "'(--explain --opening)--rejects=" <<<"$zsh"
	grep -qF -- "--explain --rejects)--opening[" <<<"$zsh"
	grep -qF -- "'(--adjust --explain)--date-format=" <<<"$zsh"
	grep -qF -- "'(-n --dry-run --explain)'{-n,--dry-run}" <<<"$zsh"
}

@test "loy-redeem --codes offers no --date-format, nor --date-format --codes: the program refuses them together" {
	run -0 complete_both _loy_redeem loy-redeem --codes -
	offers "--map --rejects -n" "--date-format"
	run -64 --separate-stderr loy-redeem --codes --date-format %d.%m.%Y codes.csv
	[ "${stderr_lines[0]}" = "loy-redeem: --codes reads no dates: it takes no --date-format" ]
	run -0 complete_both _loy_redeem loy-redeem --catalogue -
	offers "--date-format" ""
	run -0 complete_both _loy_redeem loy-redeem --transfers -
	offers "--date-format" ""
	# zsh: --date-format and --codes exclude each other
	local zsh
	zsh=$(sed -n '/^_loy-redeem() {/,/^}/p' "$BATS_TEST_DIRNAME/../completions/_loy")
	grep -qF -- "--window --date-format)--codes[" <<<"$zsh"
	grep -qF -- "\$input'(--codes)--date-format=" <<<"$zsh"
}

@test "loy-redeem offers --first-come, --draw and --window only for requests, and one of --catalogue, --codes and --transfers at a time" {
	local form o
	for form in --catalogue --codes --transfers; do
		run -0 complete_bash _loy_redeem loy-redeem "$form" -
		for o in --first-come --draw --draw= --window --catalogue --codes --transfers; do
			[ "$o" = "$form" ] && continue
			! grep -qxF -- "$o" <<<"$output" || { echo "$form offers $o: $output"; return 1; }
		done
		grep -qxF -- --rejects <<<"$output"
		run -64 loy-redeem "$form" --window '2026-11-01,2026-11-30' x.csv
	done
	run -0 complete_bash _loy_redeem loy-redeem --first-come -
	for o in --catalogue --codes --transfers --draw --first-come; do
		! grep -qxF -- "$o" <<<"$output" || { echo "--first-come offers $o: $output"; return 1; }
	done
	grep -qxF -- --window <<<"$output"
	run -64 loy-redeem --first-come --catalogue x.csv
	run -0 complete_bash _loy_redeem loy-redeem --window '2026-11-01,2026-11-30' -
	grep -qxF -- --draw <<<"$output"
	! grep -qxF -- --catalogue <<<"$output" || false
}

@test "loy-enroll after a verb offers only the options the verb takes" {
	local o
	run -0 complete_bash _loy_enroll loy-enroll list -
	for o in -n --dry-run --map --rejects --date-format --reason --clear-empty; do
		! grep -qxF -- "$o" <<<"$output" || { echo "list offers $o: $output"; return 1; }
	done
	grep -qxF -- --table <<<"$output"
	run -0 complete_bash _loy_enroll loy-enroll close 1001 -
	grep -qxF -- --reason <<<"$output"
	grep -qxF -- -n <<<"$output"
	! grep -qxF -- --rejects <<<"$output" || false
	run -0 complete_bash _loy_enroll loy-enroll merge -
	! grep -qxF -- --reason <<<"$output" || false
	run -0 complete_bash _loy_enroll loy-enroll members.csv -
	grep -qxF -- --rejects <<<"$output"
	grep -qxF -- --clear-empty <<<"$output"
	! grep -qxF -- --reason <<<"$output" || false
	# before any operand, every option of every form
	run -0 complete_bash _loy_enroll loy-enroll -
	grep -qxF -- --reason <<<"$output"
	grep -qxF -- --map <<<"$output"
}

@test "loy help offers ledger and programme, the pages loy-ledger(5) and loy-programme(5) it shows, besides the programs" {
	run -0 complete_bash _loy loy help ""
	grep -qxF ledger <<<"$output"
	grep -qxF programme <<<"$output"
	grep -qxF enroll <<<"$output"
	run -0 complete_bash _loy loy help le
	[ "$output" = "ledger" ]
	sed -n '/^_loy_main() {/,/^}/p' "$BATS_TEST_DIRNAME/../completions/_loy" |
	    grep -q 'ledger\\:.*programme\\:'
}

@test "loy-report offers --date-format where --from and --to are taken" {
	run -0 complete_both _loy_report loy-report earn-burn --
	offers "--date-format --from --to" ""
	run -0 complete_both _loy_report loy-report balances --
	offers "--json" "--date-format --from"
}

@test "loy-program offers --date-format where --from, --to or --as-of is taken" {
	run -0 complete_both _loy_program loy-program load -
	offers "--date-format --from" ""
	run -0 complete_both _loy_program loy-program show -
	offers "--date-format --as-of" ""
	run -0 complete_both _loy_program loy-program what-if -
	offers "--date-format --from --to" ""
	run -0 complete_both _loy_program loy-program apply -
	offers "-n" "--date-format"
	run -0 complete_both _loy_program loy-program versions -
	offers "--table" "--date-format"
	run -0 complete_both _loy_program loy-program check -
	offers "-h" "--date-format"
	# its value, and the verb after it
	run -0 complete_bash _loy_program loy-program --date-format %d.
	[ "$output" = "%d.%m.%Y" ]
	run -0 complete_both _loy_program loy-program --date-format %d.%m.%Y s
	offers "show" ""
}

@test "loy-segment after a sub-command offers only the options it takes, and after an option only the sub-commands that take it" {
	new_ledger
	run -0 complete_both _loy_segment loy-segment best 10 -
	offers "--save --with-contact --as-of --table" \
	    "--apply --assign --from --to --map --rejects --replace -n --dry-run"
	run -64 loy-segment -n best 10
	run -0 complete_both _loy_segment loy-segment --save top best 10 -
	offers "--replace -n --with-contact" "--apply --assign"
	run -0 complete_both _loy_segment loy-segment -n ""
	offers "tiers save" "value best rfm"
	run -64 loy-segment --rejects bad.csv best 10
	run -64 loy-segment --from 2026-11-01 best 10
	run -64 loy-segment --apply best 10
	run -0 complete_both _loy_segment loy-segment --save vip value -
	offers "--replace --with-contact" "--assign --map"
	run -0 complete_both _loy_segment loy-segment birthdays -
	offers "--from --to --save" "--apply --rejects --replace"
	run -0 complete_both _loy_segment loy-segment tiers -
	offers "--apply --assign -n" "--save --with-contact --from --to --map --rejects --replace"
	run -64 loy-segment --with-contact tiers
	run -64 loy-segment --map member_id=Nr tiers
	# --map and --rejects are for the file --assign gives
	run -0 complete_both _loy_segment loy-segment --assign tiers.csv tiers -
	offers "--map --rejects --apply" "--save --from"
	run -0 complete_both _loy_segment loy-segment save vip -
	offers "--map --rejects --replace -n" "--save --with-contact --apply --assign --from --to"
	run -64 loy-segment --save other save vip list.csv
	run -64 loy-segment --with-contact save vip list.csv
	# before the sub-command, every option; after one, the sub-commands
	# that take it
	run -0 complete_both _loy_segment loy-segment -
	offers "--apply --assign --from --to --map --rejects --replace --save --with-contact" ""
	run -0 complete_both _loy_segment loy-segment --apply ""
	offers "tiers" "value save"
	run -0 complete_both _loy_segment loy-segment --from 2026-11-01 ""
	offers "birthdays" "tiers value best save"
	run -0 complete_both _loy_segment loy-segment --with-contact ""
	offers "value best segments" "tiers save"
	ledger_ok
}

@test "loy-report after a report offers only the options it takes, and --by and --per the values it takes" {
	new_ledger
	run -0 complete_both _loy_report loy-report balances -
	offers "--json --table --tsv --safe-cells -d" "--from --to --by --per --lots --tiers"
	run -64 loy-report --from 2026-01-01 balances
	run -64 loy-report --lots balances
	run -0 complete_both _loy_report loy-report liability -
	offers "--by --json" "--from --to --per --lots"
	run -64 loy-report --to 2026-11-30 liability
	run -0 complete_both _loy_report loy-report earn-burn -
	offers "--from --to --by --per" "--lots --tiers"
	run -0 complete_both _loy_report loy-report statement 1001 -
	offers "--from --to --lots --tiers" "--by --per"
	run -64 loy-report --by month statement 1001
	# html writes a page: no table, no period
	run -0 complete_both _loy_report loy-report html -
	offers "-d --busy-timeout" "--json --table --tsv --safe-cells --from --to --by"
	run -64 loy-report --table html
	run -64 loy-report --from 2026-01-01 html
	# one of --lots and --tiers, --lots in no period, one of --json, --table and --tsv
	run -0 complete_both _loy_report loy-report --lots statement 1001 -
	offers "--json" "--tiers --from --to"
	run -64 loy-report --lots --from 2026-01-01 statement 1001
	run -0 complete_both _loy_report loy-report --json runs -
	offers "--from --safe-cells" "--table --tsv"
	run -64 loy-report --json --table runs
	# after an option, the reports that take it
	run -0 complete_both _loy_report loy-report --lots ""
	offers "statement" "balances html"
	run -0 complete_both _loy_report loy-report --per store ""
	offers "earn-burn" "economics balances"
	run -0 complete_both _loy_report loy-report --from 2026-01-01 ""
	offers "runs statement tiers" "balances liability html"
	# by tier: liability alone; per rule: economics alone
	run -0 complete_both _loy_report loy-report tiers --by ""
	offers "day week month" "tier"
	run -64 loy-report --by tier tiers
	run -0 complete_both _loy_report loy-report liability --by ""
	offers "day week month tier" ""
	run -0 complete_both _loy_report loy-report economics --per ""
	offers "rule" "store channel category"
	run -64 loy-report --per store economics
	run -0 complete_both _loy_report loy-report earn-burn --per ""
	offers "store channel category" "rule"
	run -64 loy-report --per rule earn-burn
	ledger_ok
}

@test "zsh's loy-enroll, loy-redeem and loy-program after a verb offer only the options the verb takes, as bash's do" {
	new_ledger
	run -0 complete_both _loy_enroll loy-enroll list -
	offers "--table --safe-cells -d" "-n --dry-run --map --rejects --date-format --reason"
	run -64 loy-enroll -n list
	run -0 complete_both _loy_enroll loy-enroll close 1001 -
	offers "--reason -n" "--map --rejects --date-format --clear-empty"
	run -64 loy-enroll --clear-empty close 1001
	run -0 complete_both _loy_enroll loy-enroll merge 1001 -
	offers "-n" "--reason --map --rejects"
	run -64 loy-enroll --reason dup merge 1002 1001
	run -0 complete_both _loy_enroll loy-enroll members.csv -
	offers "--map --rejects --date-format --clear-empty -n" "--reason"
	run -0 complete_both _loy_redeem loy-redeem cancel -
	offers "-n --table" "--catalogue --codes --transfers --first-come --draw --window --map --rejects --date-format"
	run -64 loy-redeem --window 2026-11-01,2026-11-30 cancel R1
	run -0 complete_both _loy_redeem loy-redeem rewards -
	offers "--table --tsv" "-n --dry-run --map --rejects --catalogue"
	run -64 loy-redeem -n rewards
	run -0 complete_both _loy_program loy-program check -
	offers "-h -V" "-d -n --from --to --as-of --retroactive --table"
	run -64 loy-program --table check programme.txt
	run -0 complete_both _loy_program loy-program show -
	offers "--as-of -d" "-n --from --to --retroactive --table --tsv --safe-cells"
	run -64 loy-program --table show
	run -0 complete_both _loy_program loy-program apply -
	offers "-n --table" "--as-of --from --to --retroactive"
	run -64 loy-program --from 2026-11-01 apply
	run -0 complete_both _loy_program loy-program what-if -
	offers "--from --to" "--as-of --retroactive"
	ledger_ok
}

@test "loy-accrue offers no --explain after a file: --explain takes none" {
	new_ledger
	printf 'txn_id,member_id,occurred_at,amount\n' >sales.csv
	run -0 complete_both _loy_accrue loy-accrue sales.csv -
	offers "--auto-enroll --map --rejects" "--explain"
	run -64 loy-accrue sales.csv --explain member=1001
	run -0 complete_both _loy_accrue loy-accrue -d loyalty.db -
	offers "--explain" ""
	ledger_ok
}

@test "--table and --tsv are offered together where the program reads input (TSV read, a table written), one at a time where it only writes" {
	# a form that reads input takes both
	for cmd in "_loy_enroll loy-enroll" "_loy_enroll loy-enroll members.tsv" \
	    "_loy_accrue loy-accrue" "_loy_accrue loy-accrue --adjust" "_loy_accrue loy-accrue --events" \
	    "_loy_redeem loy-redeem" "_loy_redeem loy-redeem --catalogue" \
	    "_loy_segment loy-segment save vip" "_loy_segment loy-segment --assign match.tsv tiers"; do
		set -- $cmd
		run -0 complete_both "$@" --table --
		offers "--safe-cells --tsv" ""
		run -0 complete_both "$@" --tsv --
		offers "--safe-cells --table" ""
	done
	# one that only writes takes one of them
	for cmd in "_loy_check loy-check" "_loy_expire loy-expire" "_loy_enroll loy-enroll list" \
	    "_loy_enroll loy-enroll close 1001" "_loy_accrue loy-accrue --explain member=1001" \
	    "_loy_redeem loy-redeem cancel R1" "_loy_redeem loy-redeem rewards" \
	    "_loy_segment loy-segment best" "_loy_segment loy-segment tiers" \
	    "_loy_program loy-program versions" "_loy_program loy-program load p.conf"; do
		set -- $cmd
		run -0 complete_both "$@" --table --
		offers "--safe-cells" "--tsv"
		run -0 complete_both "$@" --tsv --
		offers "--safe-cells" "--table"
	done
	# as the programs take them
	new_ledger
	printf 'member_id\tname\n1001\tAnn\n' >members.tsv
	run -0 --separate-stderr loy-enroll --table --tsv members.tsv
	[ "${lines[1]}" = "2     1001       created" ]
	for c in "loy-check" "loy-expire --notice 30" "loy-enroll list" "loy-accrue --explain member=1001" \
	    "loy-redeem rewards" "loy-segment best 3" "loy-program versions"; do
		run -64 --separate-stderr $c --table --tsv
		[ "${stderr_lines[0]}" = "${c%% *}: --table and --tsv are one at a time" ]
	done
	ledger_ok
}

@test "after --table and --tsv, loy-enroll offers no verb and loy-segment only save and tiers --assign, the forms that take both" {
	touch members.tsv
	# loy-enroll: an import, no verb, no --reason
	run -0 complete_both _loy_enroll loy-enroll --table --tsv ""
	offers "members.tsv" "close reopen forget merge add-card replace-card list cards duplicates"
	run -0 complete_both _loy_enroll loy-enroll --tsv --table -
	offers "--map --rejects --clear-empty" "--reason"
	# one of them: a verb may follow
	run -0 complete_both _loy_enroll loy-enroll --table ""
	offers "close list members.tsv" ""
	run -0 complete_both _loy_enroll loy-enroll --table -
	offers "--reason" ""
	# loy-segment: save, or tiers with --assign
	run -0 complete_both _loy_segment loy-segment --table --tsv ""
	offers "save" "tiers value rfm lapse lifecycle birthdays best never-bought referrers segments"
	run -0 complete_both _loy_segment loy-segment --table --tsv -
	offers "--map --rejects --replace -n" "--with-contact --save --from --to --apply"
	run -0 complete_both _loy_segment loy-segment --table --tsv --assign members.tsv ""
	offers "tiers" "save value best"
	# before the sub-command one of them leaves the other while save may follow
	run -0 complete_both _loy_segment loy-segment --tsv -
	offers "--table" ""
	run -0 complete_both _loy_segment loy-segment --tsv --with-contact -
	offers "" "--table"
	# as the programs take them
	new_ledger
	printf 'member_id\tname\n1001\tAnn\n' >members.tsv
	run -0 --separate-stderr loy-enroll --table --tsv members.tsv
	run -64 --separate-stderr loy-enroll --table --tsv close 1001
	[ "${stderr_lines[0]}" = "loy-enroll: --table and --tsv are one at a time" ]
	run -64 --separate-stderr loy-enroll --table --tsv --reason moved members.tsv
	[ "${stderr_lines[0]}" = "loy-enroll: --reason is for close, reopen and forget" ]
	run -64 --separate-stderr loy-segment --table --tsv best 3
	[ "${stderr_lines[0]}" = "loy-segment: --table and --tsv are one at a time" ]
	run -64 --separate-stderr loy-segment --table --tsv tiers
	[ "${stderr_lines[0]}" = "loy-segment: --table and --tsv are one at a time" ]
	printf 'member_id\n1001\n' >vip.tsv
	run -0 --separate-stderr loy-segment --tsv --table save vip vip.tsv
	[ "${lines[1]%% *}" = vip ]
	ledger_ok
}

@test "bash offers no options for the value of an option that takes one, and options after one that takes none" {
	local p o arg out bad= n=0
	for p in loy-init loy-check loy-enroll loy-accrue loy-expire loy-redeem \
	    loy-program loy-report loy-segment; do
		# each long option of --help, and its value's name if it takes one
		while read -r o arg; do
			case $o in --help | --version | --settings) continue ;; esac
			n=$((n + 1))
			out=$(complete_bash "_loy_${p#loy-}" "$p" "$o" -)
			if [ -n "$arg" ] && [ -n "$out" ]; then
				bad+=" $p:$o(offers $(echo $out | cut -c1-40))"
			elif [ -z "$arg" ] && [ -z "$out" ]; then
				bad+=" $p:$o(offers nothing)"
			fi
		done < <("$p" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\)\(\[=[A-Z]*\]\)\{0,1\}\( [A-Z][A-Z=,.]*\)\{0,1\}  .*/\2 \4/p')
	done
	[ "$n" -ge 90 ]
	[ -z "$bad" ] || { echo "after an option:$bad"; return 1; }
}

# A program's options as "-x", "--long", each followed by " ARG" when it
# takes a value and "[=ARG]" when it may: from --help ($1), from the
# OPTIONS of its man page ($1 page), from its zsh completion ($1 zsh).
options_of() {
	local p=$1 line v
	case $2 in
	'')
		"$p" --help | sed -n 's/^ \{1,\}\(-[a-zA-Z], \)\{0,1\}\(--[a-z-]*\)\(\[=[A-Z]*\]\)\{0,1\}\( [A-Z][A-Z=,.]*\)\{0,1\}  .*/\1\2\3\4/p' |
		    sed -e 's/\[=[A-Z]*\]$/[=ARG]/' -e 's/ [A-Z][A-Z=,.]*$/ ARG/' |
		    sed -e 's/^\(-[a-zA-Z]\), \(--[a-z-]*\)\(.*\)$/\1\3\n\2\3/'
		;;
	page)
		sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/$p.1" |
		    grep '^\.It Fl' | while IFS= read -r line; do
			v=
			case $line in
			*'Ns Op ='*) v='[=ARG]' ;;
			*' Ar '* | *' Cm '*) v=' ARG' ;;
			esac
			grep -o 'Fl \\\{0,1\}-\{0,1\}[a-zA-Z][a-z-]*' <<<"$line" |
			    sed -e 's/^Fl \\-/--/' -e 's/^Fl /-/' -e "s/\$/$v/"
		done
		;;
	zsh)
		# {-d+,--db=}: the comma ends one and starts the other
		sed -n "/^_$p() {/,/^}/p" "$BATS_TEST_DIRNAME/../completions/_loy" |
		    sed 's/,-/,,-/g' | grep -oE "[{',)*]--?[a-zA-Z][a-z-]*(\+|=-|=)?[[,}]" |
		    sed -E -e 's/^.//' -e 's/.$//' -e 's/(\+|=)$/ ARG/' -e 's/=-$/[=ARG]/'
		;;
	esac | sort -u
}

@test "the options of each program's --help are the OPTIONS of its page and its zsh completion's, each taking a value alike, and bash offers them, and none besides" {
	local p o help bad=
	for p in loy-init loy-check loy-enroll loy-accrue loy-expire loy-redeem \
	    loy-program loy-report loy-segment; do
		help=$(options_of "$p")
		[ "$(wc -l <<<"$help")" -ge 8 ]
		[ "$(options_of "$p" page)" = "$help" ] ||
		    bad+=$'\n'"$p(1) OPTIONS: $(diff <(echo "$help") <(options_of "$p" page) | grep '^[<>]' | tr '\n' ' ')"
		[ "$(options_of "$p" zsh)" = "$help" ] ||
		    bad+=$'\n'"zsh $p: $(diff <(echo "$help") <(options_of "$p" zsh) | grep '^[<>]' | tr '\n' ' ')"
		# bash offers --draw and --draw= for loy-redeem
		[ "$(complete_bash "_loy_${p#loy-}" "$p" - | sed 's/=$//' | sort -u)" = \
		    "$(sed 's/[[ ].*//' <<<"$help" | sort -u)" ] ||
		    bad+=$'\n'"bash $p: $(complete_bash "_loy_${p#loy-}" "$p" - | tr '\n' ' ')"
		# and the synopsis names none that --help does not
		for o in $(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/$p.1" |
		    grep -o 'Fl \\\{0,1\}-\{0,1\}[a-zA-Z][a-zA-Z-]*' |
		    sed -e 's/^Fl \\-/--/' -e 's/^Fl \([a-zA-Z]\)$/-\1/' -e 's/^Fl \([a-zA-Z]*\)$/\1/' |
		    sed '/^-/!s/./-&\n/g'); do
			grep -q -- "^$o\($\|[[ ]\)" <<<"$help" || bad+=$'\n'"$p(1) SYNOPSIS: $o"
		done
	done
	# loy itself: -h and -V
	[ "$(sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy.1" |
	    grep '^\.It Fl')" = '.It Fl h , Fl \-help
.It Fl V , Fl \-version' ] || bad+=$'\n'"loy(1) OPTIONS"
	[ "$(complete_bash _loy loy - | sort)" = "$(printf '%s\n' --help --version -V -h | sort)" ] ||
	    bad+=$'\n'"bash loy"
	[ -z "$bad" ] || { echo "differ:$bad"; return 1; }
}

@test "--busy-timeout is in the usage and the man page's synopsis of every program that takes it, in each form that names a ledger" {
	local p usage syn nd nb missing=
	for p in loy-init loy-check loy-enroll loy-accrue loy-expire loy-redeem \
	    loy-program loy-report loy-segment; do
		"$p" --help | grep -q -- --busy-timeout || continue
		usage=$("$p" --help | sed -n '1,/^[A-Z][a-z]/p' | tr -s ' \n' ' ')
		nd=$(grep -oF '[-d ledger]' <<<"$usage" | wc -l)
		nb=$(grep -oF '[-d ledger] [--busy-timeout seconds]' <<<"$usage" | wc -l)
		[ "$nd" -gt 0 ] && [ "$nb" = "$nd" ] || missing+=" $p:usage($nb of $nd)"
		syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$BATS_TEST_DIRNAME/../man/$p.1")
		nd=$(grep -cxF '.Op Fl d Ar ledger' <<<"$syn" || :)
		nb=$(grep -A1 -xF '.Op Fl d Ar ledger' <<<"$syn" |
		    grep -cxF '.Op Fl \-busy-timeout Ar seconds' || :)
		[ "$nd" -gt 0 ] && [ "$nb" = "$nd" ] || missing+=" $p(1):synopsis($nb of $nd)"
	done
	# loy-init makes a new file, which nothing else holds: it takes none
	run loy-init --busy-timeout 5 --settings
	[ "$status" -eq 64 ]
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "--safe-cells is in the usage and the man page's synopsis of every program that takes it, beside each form's output options" {
	local p usage syn nfmt nsafe missing=
	for p in loy-init loy-check loy-enroll loy-accrue loy-expire loy-redeem \
	    loy-program loy-report loy-segment; do
		"$p" --help | grep -q -- --safe-cells || continue
		usage=$("$p" --help | sed -n '1,/^[A-Z][a-z]/p' | tr -s ' \n' ' ')
		# each form's output options start with --json or --table: one
		# of them ([--table | --tsv]) or both ([--table] [--tsv])
		nfmt=$(grep -oE '\[--(json|table|tsv)[] |]' <<<"$usage" | grep -c -v -e '--tsv' || :)
		nsafe=$(grep -oE '\[--safe-cells\] \[--(json|table|tsv)[] |]' <<<"$usage" | wc -l)
		[ "$nfmt" -gt 0 ] && [ "$nsafe" = "$nfmt" ] || missing+=" $p:usage($nsafe of $nfmt)"
		syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$BATS_TEST_DIRNAME/../man/$p.1")
		nfmt=$(grep -cE '^\.Op Fl \\-(json|table)' <<<"$syn" || :)
		nsafe=$(grep -A1 -xF '.Op Fl \-safe-cells' <<<"$syn" |
		    grep -cE '^\.Op Fl \\-(json|table|tsv)' || :)
		[ "$nfmt" -gt 0 ] && [ "$nsafe" = "$nfmt" ] || missing+=" $p(1):synopsis($nsafe of $nfmt)"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}
