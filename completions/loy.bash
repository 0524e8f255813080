# bash completion for loy(1) and its programs: loy, loy-init, loy-enroll,
# loy-accrue, loy-expire, loy-redeem, loy-check, loy-program, loy-report and
# loy-segment.  It needs
# nothing but bash.
# Installed as share/bash-completion/completions/loy, with a link to it for
# each loy-*.

# Split the command line into words as the shell will, in _loy_w, and
# _loy_cword its last: bash breaks words at '=', so "--db=x" comes as three
# and is put back together.  Then the word being completed, in _loy_cur,
# and the one before it, in _loy_prev; for "--opt=value" these are the
# value and the option.  _loy_rl is the part of the word that a completion
# replaces (what follows the last '=').
_loy_words()
{
	local i w

	_loy_w=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((${#_loy_w[@]} > 1)) && [[ $w == = || ${_loy_w[-1]} == *= ]]; then
			_loy_w[-1]+=$w
		else
			_loy_w+=("$w")
		fi
	done
	_loy_cword=$((${#_loy_w[@]} - 1))
	_loy_cur=${_loy_w[_loy_cword]}
	_loy_prev=
	((_loy_cword > 0)) && _loy_prev=${_loy_w[_loy_cword - 1]}
	_loy_rl=${COMP_WORDS[COMP_CWORD]}
	[[ $_loy_rl == = ]] && _loy_rl=
	if [[ $_loy_cur == --*=* ]]; then
		_loy_prev=${_loy_cur%%=*}
		_loy_cur=${_loy_cur#*=}
	fi
}

# Make the completions, written for all of _loy_cur, replace only _loy_rl.
_loy_fix()
{
	local pre=${_loy_cur%"$_loy_rl"} i

	[[ $pre ]] || return 0
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
	done
}

# Add the lines a command prints to COMPREPLY, one completion each; of
# --table and --tsv, which a form that reads no input takes one at a time,
# not the one the line does not have when it has the other.  A form that
# reads input takes both (TSV read, a table written): its caller sets
# _loy_both.
_loy_add()
{
	local line w had=" "

	[[ $_loy_both ]] || for w in "${COMP_WORDS[@]:0:COMP_CWORD}"; do
		[[ $w == --table || $w == --tsv ]] && had+="$w "
	done
	while IFS= read -r line; do
		[[ $line == --table && $had == *" --tsv "* ]] && continue
		[[ $line == --tsv && $had == *" --table "* ]] && continue
		COMPREPLY+=("$line")
	done < <("$@" 2>/dev/null)
}

# Whether the words before the one being completed hold both --table and
# --tsv, which only a form that reads input takes.
_loy_table_tsv()
{
	local w had=" "

	for w in "${COMP_WORDS[@]:1:COMP_CWORD - 1}"; do
		[[ $w == --table || $w == --tsv ]] && had+="$w "
	done
	[[ $had == *" --table "* && $had == *" --tsv "* ]]
}

_loy_files()
{
	compopt -o filenames 2>/dev/null
	_loy_add compgen -f -- "$1"
}

# Values of the options the programs share; returns 1 if $1 is none of them.
# $3: the fields --map may name.
_loy_value()
{
	local opt=$1 cur=$2 head last

	case $opt in
	-d | --db | --rejects | -[!-]*d)
		_loy_files "$cur"
		;;
	--busy-timeout)
		_loy_add compgen -W "0 10 60 300 600 3600" -- "$cur"
		;;
	--date-format)
		_loy_add compgen -W "%Y-%m-%d %d.%m.%Y %d/%m/%Y %m/%d/%Y %Y%m%d" -- "$cur"
		;;
	--map)
		# field=column[,field=column...]: the field names
		head=${cur%"${cur##*,}"}
		last=${cur##*,}
		[[ $last == *=* ]] && return 0
		_loy_add compgen -P "$head" -S = -W "$3" -- "$last"
		compopt -o nospace 2>/dev/null
		;;
	--reason)
		;;
	*)
		return 1
		;;
	esac
	_loy_fix
	return 0
}

# The operands before the word being completed, in the caller's `first`
# (the first of them), `nops` (how many) and `dashdash` (set after `--`):
# options and their values left out.  $1: the options besides -d, --db,
# --busy-timeout, --date-format, --map and --rejects that take a value.
_loy_operands()
{
	local i w

	for ((i = 1; i < _loy_cword; i++)); do
		w=${_loy_w[i]}
		if [[ -z $dashdash ]]; then
			case " -d --db --busy-timeout --date-format --map --rejects${1:+ $1} " in
			*" $w "*)
				((i++))
				continue
				;;
			esac
			case $w in
			-[!-]*d)
				((i++))
				continue
				;;
			--)
				dashdash=1
				continue
				;;
			-?*)
				continue
				;;
			esac
		fi
		[[ $first ]] || first=$w
		((nops++))
	done
}

_loy_settings()
{
	loy-init --settings 2>/dev/null | sed '1d; s/,.*//' | grep . ||
	    printf '%s\n' programme currency decimals timezone earn_points \
	    earn_amount point_value tiers expiry_months expiry_policy expiry_years \
	    transfers allow_negative \
	    identify_by return_window_days future_tolerance_hours \
	    segment_months value_spend value_visits value_tenure_months \
	    lapse_k lapse_min_purchases lifecycle_new_days \
	    lifecycle_active_days lifecycle_lapsed_days \
	    phone_pattern phone_country email_pattern
}

_loy_init()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl key

	COMPREPLY=()
	_loy_words
	case $_loy_prev in
	-d | --db)
		_loy_files "$_loy_cur"
		_loy_fix
		return
		;;
	--set)
		if [[ $_loy_cur == *=* ]]; then
			key=${_loy_cur%%=*}
			case $key in
			decimals)
				_loy_add compgen -P "$key=" -W "0 2 3" -- "${_loy_cur#*=}"
				;;
			allow_negative | transfers)
				_loy_add compgen -P "$key=" -W "yes no" -- "${_loy_cur#*=}"
				;;
			expiry_policy)
				_loy_add compgen -P "$key=" -W "months year-end rolling never" \
				    -- "${_loy_cur#*=}"
				;;
			value_spend | value_visits)
				# a threshold, or the median of the members'
				_loy_add compgen -P "$key=" -W "median" -- "${_loy_cur#*=}"
				;;
			phone_country)
				# a country calling code, or none
				_loy_add compgen -P "$key=" -W "none" -- "${_loy_cur#*=}"
				;;
			timezone)
				local IFS=$'\n' zone
				for zone in $(cd /usr/share/zoneinfo 2>/dev/null &&
				    compgen -f -- "${_loy_cur#*=}"); do
					[[ -d /usr/share/zoneinfo/$zone ]] && zone+=/
					COMPREPLY+=("$key=$zone")
				done
				[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] &&
				    compopt -o nospace 2>/dev/null
				;;
			esac
		else
			_loy_add compgen -S = -W "$(_loy_settings)" -- "$_loy_cur"
			compopt -o nospace 2>/dev/null
		fi
		_loy_fix
		return
		;;
	esac
	[[ $_loy_cur == -* ]] && _loy_add compgen -W "-d --db --set --settings
	    -h --help -V --version" -- "$_loy_cur"
}

_loy_check()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl

	COMPREPLY=()
	_loy_words
	_loy_value "$_loy_prev" "$_loy_cur" && return
	[[ $_loy_cur == -* ]] && _loy_add compgen -W "-d --db --busy-timeout
	    -q --quiet --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
}

_loy_enroll_verbs="close reopen forget merge add-card replace-card list cards
    duplicates"

_loy_enroll()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl _loy_both=''
	local first='' nops=0 dashdash=''

	COMPREPLY=()
	_loy_words
	_loy_value "$_loy_prev" "$_loy_cur" "member_id card name phone email
	    birthday enrolled_at referrer store channel" && return

	_loy_operands "--reason"

	if [[ -z $dashdash && $_loy_cur == -* ]]; then
		# a verb reads no input; a listing writes nothing; --reason is
		# for close, reopen and forget
		case $first in
		close | reopen | forget)
			_loy_add compgen -W "-d --db --busy-timeout -n --dry-run --reason
			    --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		merge | add-card | replace-card)
			_loy_add compgen -W "-d --db --busy-timeout -n --dry-run
			    --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		list | cards | duplicates)
			_loy_add compgen -W "-d --db --busy-timeout --safe-cells --table
			    --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		'')
			# an import, unless a verb follows: --table and --tsv both;
			# with both no verb follows, nor --reason
			_loy_both=1
			_loy_add compgen -W "-d --db --busy-timeout --clear-empty
			    --date-format -n --dry-run --map $(_loy_table_tsv || echo --reason)
			    --rejects --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		*)
			_loy_both=1
			_loy_add compgen -W "-d --db --busy-timeout --clear-empty
			    --date-format -n --dry-run --map --rejects --safe-cells
			    --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		esac
		return
	fi
	if ((nops == 0)); then
		# a verb takes one of --table and --tsv
		_loy_table_tsv || _loy_add compgen -W "$_loy_enroll_verbs" -- "$_loy_cur"
		_loy_files "$_loy_cur"
		return
	fi
	case " $_loy_enroll_verbs " in
	*[[:space:]]"$first"[[:space:]]*)
		# member ids and card numbers: nothing to offer
		;;
	*)
		_loy_files "$_loy_cur"
		;;
	esac
}

_loy_accrue()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl _loy_both='' i fields form=''
	local opts files=''

	COMPREPLY=()
	_loy_words
	fields="txn_id member_id card phone email occurred_at store sku category
	    qty amount unit_price channel line orig_txn description"
	# --adjust, --opening and --auto-enroll go alone
	for ((i = 1; i < _loy_cword; i++)); do
		case ${_loy_w[i]} in
		--adjust)
			form=--adjust
			fields="member_id points reason ref"
			;;
		--opening)
			form=--opening
			fields="member_id points earned_at expires_at"
			;;
		--auto-enroll)
			form=--auto-enroll
			;;
		--events)
			form=--events
			fields="event_id member_id event occurred_at"
			;;
		--explain | --explain=*)
			form=--explain
			;;
		esac
	done
	# a file on the line: --explain takes none
	for ((i = 1; i < _loy_cword; i++)); do
		case ${_loy_w[i]} in
		-d | --db | --busy-timeout | --date-format | --explain | --map | --rejects | -[!-]*d)
			((i++))
			;;
		--)
			((i + 1 < _loy_cword)) && files=1
			break
			;;
		-?*)
			;;
		*)
			files=1
			;;
		esac
	done
	if [[ $_loy_prev == --explain ]]; then
		_loy_add compgen -W "member= receipt= entry=" -- "$_loy_cur"
		compopt -o nospace 2>/dev/null
		return
	fi
	_loy_value "$_loy_prev" "$_loy_cur" "$fields" && return
	if [[ $_loy_cur == -* ]]; then
		case $form in
		--adjust)
			# no dates to read
			opts="--adjust"
			;;
		--opening)
			opts="--opening --date-format"
			;;
		--auto-enroll)
			opts="--auto-enroll --date-format"
			;;
		--events)
			opts="--events --date-format"
			;;
		--explain)
			# it reads no input and writes nothing
			_loy_add compgen -W "-d --db --explain --busy-timeout
			    --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
			return
			;;
		*)
			opts="--adjust --auto-enroll --date-format --events --opening"
			[[ $files ]] || opts+=" --explain"
			;;
		esac
		# opening balances land whole or not at all: no --rejects
		[[ $form == --opening ]] || opts+=" --rejects"
		# every form but --explain reads input: --table and --tsv both
		_loy_both=1
		_loy_add compgen -W "-d --db $opts --busy-timeout -n --dry-run
		    --map --safe-cells --table --tsv -h --help -V
		    --version" -- "$_loy_cur"
		return
	fi
	_loy_files "$_loy_cur"
}

_loy_expire()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl i form=''

	COMPREPLY=()
	_loy_words
	# --notice goes alone: not with --as-of or -n
	for ((i = 1; i < _loy_cword; i++)); do
		case ${_loy_w[i]} in
		--notice | --notice=*)
			form=notice
			;;
		--as-of | --as-of=* | --date-format | --date-format=* | -n | -n?* | --dry-run)
			form=expire
			;;
		esac
	done
	case $_loy_prev in
	--as-of)
		# a date, today or earlier
		return
		;;
	--notice)
		_loy_add compgen -W "7 14 30 60 90" -- "$_loy_cur"
		_loy_fix
		return
		;;
	esac
	_loy_value "$_loy_prev" "$_loy_cur" && return
	[[ $_loy_cur == -* ]] || return
	case $form in
	notice)
		_loy_add compgen -W "-d --db --busy-timeout --safe-cells --table
		    --tsv -h --help -V --version" -- "$_loy_cur"
		;;
	expire)
		_loy_add compgen -W "-d --db --as-of --busy-timeout --date-format
		    -n --dry-run --safe-cells --table --tsv -h --help -V
		    --version" -- "$_loy_cur"
		;;
	*)
		_loy_add compgen -W "-d --db --as-of --busy-timeout --date-format
		    -n --dry-run --notice --safe-cells --table --tsv -h --help
		    -V --version" -- "$_loy_cur"
		;;
	esac
}

_loy_redeem()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl _loy_both=''
	local i w first='' nops=0 dashdash='' catalogue='' requests='' fields

	COMPREPLY=()
	_loy_words
	# --catalogue, --codes, --transfers: every operand is a file, and the
	# fields are the rewards', the codes' or the transfers'; --first-come,
	# --draw and --window are for requests, and each of the two sorts
	# goes alone
	for ((i = 1; i < _loy_cword; i++)); do
		case ${_loy_w[i]} in
		--catalogue | --codes | --transfers) catalogue=${_loy_w[i]} ;;
		--first-come | --draw | --draw=*) requests=order ;;
		--window | --window=*) [[ $requests ]] || requests=window ;;
		esac
	done
	if [[ $catalogue == --catalogue ]]; then
		fields="reward_id name points cash_price stock partner partner_cost
		    tiers segments valid_from valid_to per_member_limit"
	elif [[ $catalogue == --codes ]]; then
		fields="reward_id code partner"
	elif [[ $catalogue == --transfers ]]; then
		fields="transfer_id from_member to_member points requested_at"
	else
		fields="request_id member_id reward_id qty requested_at channel"
	fi
	_loy_value "$_loy_prev" "$_loy_cur" "$fields" && return
	# --window FROM,TO: two dates; nothing to offer
	[[ $_loy_prev == --window ]] && return
	# --draw=SEED: a seed is any text; nothing to offer
	[[ ${_loy_w[_loy_cword]} == --draw=* ]] && return

	_loy_operands "--window"
	[[ $catalogue ]] && first=

	if [[ -z $dashdash && $_loy_cur == -* ]]; then
		case $first in
		rewards | codes)
			_loy_add compgen -W "-d --db --busy-timeout --safe-cells
			    --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		cancel)
			_loy_add compgen -W "-d --db --busy-timeout -n --dry-run
			    --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur"
			;;
		*)
			# requests or one of --catalogue, --codes and --transfers
			# read input: --table and --tsv both
			_loy_both=1
			if [[ $catalogue ]]; then
				# one of --catalogue, --codes and --transfers; no order
				# of requests, no window; a code file has no dates
				w=--date-format
				[[ $catalogue == --codes ]] && w=
				_loy_add compgen -W "-d --db --busy-timeout $catalogue
				    $w -n --dry-run --map --rejects --safe-cells
				    --table --tsv -h --help -V --version" -- "$_loy_cur"
			elif [[ $requests ]]; then
				# requests: no catalogue, codes or transfers
				w="--window"
				[[ $requests == order ]] || w+=" --draw --draw= --first-come"
				_loy_add compgen -W "-d --db --busy-timeout --date-format $w
				    -n --dry-run --map --rejects --safe-cells --table --tsv
				    -h --help -V --version" -- "$_loy_cur"
			else
				_loy_add compgen -W "-d --db --busy-timeout --catalogue --codes
				    --date-format --draw --draw= --first-come -n --dry-run --map
				    --rejects --safe-cells --table --transfers --tsv --window
				    -h --help -V --version" -- "$_loy_cur"
			fi
			;;
		esac
		return
	fi
	if [[ -z $catalogue ]] && ((nops == 0)); then
		_loy_add compgen -W "cancel codes rewards" -- "$_loy_cur"
		_loy_files "$_loy_cur"
		return
	fi
	case $first in
	cancel | codes | rewards)
		# request ids, or nothing more: nothing to offer
		;;
	*)
		_loy_files "$_loy_cur"
		;;
	esac
}

_loy_program()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl
	local first='' nops=0 dashdash=''

	COMPREPLY=()
	_loy_words
	case $_loy_prev in
	--from | --as-of | --to)
		return
		;;
	esac
	_loy_value "$_loy_prev" "$_loy_cur" && return
	_loy_operands "--from --as-of --to"
	if [[ $_loy_cur == -* ]]; then
		case $first in
		check) _loy_add compgen -W "-h --help -V --version" -- "$_loy_cur" ;;
		load) _loy_add compgen -W "-d --db --busy-timeout --date-format -n
		    --dry-run --from --retroactive --safe-cells --table --tsv -h --help
		    -V --version" -- "$_loy_cur" ;;
		apply) _loy_add compgen -W "-d --db --busy-timeout -n --dry-run
		    --safe-cells --table --tsv -h --help -V --version" -- "$_loy_cur" ;;
		show) _loy_add compgen -W "-d --db --busy-timeout --as-of --date-format
		    -h --help -V --version" -- "$_loy_cur" ;;
		versions) _loy_add compgen -W "-d --db --busy-timeout --safe-cells --table
		    --tsv -h --help -V --version" -- "$_loy_cur" ;;
		what-if) _loy_add compgen -W "-d --db --busy-timeout --date-format --from
		    --to --safe-cells --table --tsv -h --help -V --version" \
		    -- "$_loy_cur" ;;
		# no verb yet: the options of every form
		*) _loy_add compgen -W "-d --db --as-of --busy-timeout --date-format -n
		    --dry-run --from --retroactive --safe-cells --table --to --tsv -h
		    --help -V --version" -- "$_loy_cur" ;;
		esac
		return
	fi
	if ((nops == 0)); then
		_loy_add compgen -W "check load apply show versions what-if" -- "$_loy_cur"
	elif ((nops == 1)) && [[ $first == check || $first == load || $first == what-if ]]; then
		_loy_files "$_loy_cur"
	fi
}

# The options that loy-report's report $1 takes besides -d, --busy-timeout,
# -h and -V, in _loy_takes: a period, --by, --per, the statement's
# --lots and --tiers; html takes none and writes no table.
_loy_report_takes()
{
	case $1 in
	statement)
		_loy_takes="--from --to --lots --tiers"
		;;
	balances)
		_loy_takes=
		;;
	liability)
		_loy_takes="--by"
		;;
	earn-burn | economics)
		_loy_takes="--from --to --by --per"
		;;
	breakage | tiers | partners | redemptions)
		_loy_takes="--from --to --by"
		;;
	html)
		_loy_takes=
		return
		;;
	*)
		_loy_takes="--from --to"
		;;
	esac
	_loy_takes+=" --json --safe-cells --table --tsv"
}

_loy_report()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl _loy_takes
	local i w o v ok first='' nops=0 seen=' ' reports='' opts='' by='' per=''

	COMPREPLY=()
	_loy_words
	# the operands before this word, and the options on the line that only
	# some reports take
	for ((i = 1; i < _loy_cword; i++)); do
		w=${_loy_w[i]}
		case $w in
		--by | --by=* | --from | --from=* | --json | --lots | --per | --per=* | \
		    --safe-cells | --table | --tiers | --to | --to=* | --tsv)
			seen+="${w%%=*} "
			;;
		esac
		case $w in
		--by) by=${_loy_w[i + 1]} ;;
		--by=*) by=${w#*=} ;;
		--per) per=${_loy_w[i + 1]} ;;
		--per=*) per=${w#*=} ;;
		esac
		case $w in
		-d | --db | --busy-timeout | --date-format | --from | --to | --by | --per | \
		    -[!-]*d)
			((i++))
			continue
			;;
		-?*)
			continue
			;;
		esac
		[[ $first ]] || first=$w
		((nops++))
	done
	case $_loy_prev in
	--from | --to)
		return
		;;
	--by)
		# by tier: liability alone
		case $first in
		'' | liability) _loy_add compgen -W "day week month quarter year tier" -- "$_loy_cur" ;;
		*) _loy_add compgen -W "day week month quarter year" -- "$_loy_cur" ;;
		esac
		return
		;;
	--per)
		case $first in
		earn-burn) _loy_add compgen -W "store channel category" -- "$_loy_cur" ;;
		economics) _loy_add compgen -W "rule" -- "$_loy_cur" ;;
		*) _loy_add compgen -W "store channel category rule" -- "$_loy_cur" ;;
		esac
		return
		;;
	esac
	_loy_value "$_loy_prev" "$_loy_cur" && return
	# the report given, or those that take every option on the line, and the
	# options they take: one of --json, --table and --tsv, one of --lots and
	# --tiers, and the open lots in no period
	for v in ${first:-statement balances liability earn-burn breakage tiers economics
	    promotion retention referrals partners redemptions runs html}; do
		_loy_report_takes "$v"
		ok=1
		for o in $seen; do
			[[ " $_loy_takes " == *" $o "* ]] || ok=
		done
		# by tier: liability; per rule: economics; per store, channel or
		# category: earn-burn
		[[ $by == tier && $v != liability || $per == rule && $v != economics ||
		    $per && $per != rule && $v == economics ]] && ok=
		[[ $ok || $first ]] || continue
		reports+=" $v"
		for o in $_loy_takes; do
			case $o in
			--json | --table | --tsv)
				[[ $seen == *" --json "* || $seen == *" --table "* ||
				    $seen == *" --tsv "* ]] && continue
				;;
			--lots)
				[[ $seen == *" --lots "* || $seen == *" --tiers "* ||
				    $seen == *" --from "* || $seen == *" --to "* ]] && continue
				;;
			--tiers)
				[[ $seen == *" --lots "* || $seen == *" --tiers "* ]] && continue
				;;
			--from | --to)
				[[ $seen == *" --lots "* ]] && continue
				;;
			esac
			[[ " $opts " == *" $o "* ]] || opts+=" $o"
			# the format of --from and --to, where they are taken
			[[ $o == --from && " $opts " != *" --date-format "* ]] &&
			    opts+=" --date-format"
		done
	done
	if [[ $_loy_cur == -* ]]; then
		_loy_add compgen -W "-d --db --busy-timeout $opts -h --help -V --version" \
		    -- "$_loy_cur"
		return
	fi
	if ((nops == 0)); then
		_loy_add compgen -W "$reports" -- "$_loy_cur"
	fi
}

# The options that loy-segment's sub-command $1 takes besides those every
# one takes, in _loy_takes: --map and --rejects are for tiers only with
# --assign, --replace for a list only with --save.
_loy_segment_takes()
{
	case $1 in
	tiers)
		_loy_takes="-n --dry-run --apply --assign${assign:+ --map --rejects}"
		;;
	save)
		_loy_takes="-n --dry-run --map --rejects --replace"
		;;
	birthdays)
		# -n only with --save: a list writes nothing
		_loy_takes="--from --save --to --with-contact${saving:+ --replace -n --dry-run}"
		;;
	*)
		_loy_takes="--save --with-contact${saving:+ --replace -n --dry-run}"
		;;
	esac
}

_loy_segment()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl _loy_takes _loy_both=''
	local i w o v ok first='' nops=0 fields seen=' ' assign='' saving='' both=''
	local verbs='' opts=''

	COMPREPLY=()
	_loy_words
	case $_loy_prev in
	--as-of | --from | --to | --save)
		return
		;;
	--assign)
		_loy_files "$_loy_cur"
		return
		;;
	esac
	# --map: the fields of the tiers assigned by hand, or of the list save reads
	fields=member_id
	for ((i = 1; i < _loy_cword; i++)); do
		case ${_loy_w[i]} in
		--assign | --assign=*) fields="member_id tier until reason" ;;
		esac
	done
	_loy_value "$_loy_prev" "$_loy_cur" "$fields" && return
	# the operands before this word, and the options on the line that only
	# some sub-commands take
	for ((i = 1; i < _loy_cword; i++)); do
		w=${_loy_w[i]}
		case $w in
		--apply | --assign | --assign=* | --from | --from=* | --map | --map=* | \
		    --rejects | --rejects=* | --replace | --save | --save=* | --to | --to=* | \
		    --with-contact | -n | --dry-run)
			seen+="${w%%=*} "
			;;
		esac
		case $w in
		-d | --db | --busy-timeout | --as-of | --assign | --date-format | --from | \
		    --to | --save | --map | --rejects | -[!-]*d)
			((i++))
			continue
			;;
		-?*)
			continue
			;;
		esac
		[[ $first ]] || first=$w
		((nops++))
	done
	[[ $seen == *" --assign "* ]] && assign=1
	[[ $seen == *" --save "* ]] && saving=1
	_loy_table_tsv && both=1
	# the sub-command given, or those that take every option on the line,
	# and the options they take; --table and --tsv together only save and
	# tiers --assign, which read input
	for v in ${first:-tiers value rfm lapse lifecycle birthdays best never-bought
	    referrers segments save}; do
		_loy_segment_takes "$v"
		ok=1
		for o in $seen; do
			[[ " $_loy_takes " == *" $o "* ]] || ok=
		done
		[[ $both && $v != save && ! ($v == tiers && $assign) ]] && ok=
		[[ $ok || $first ]] || continue
		verbs+=" $v"
		for o in $_loy_takes; do
			[[ " $opts " == *" $o "* ]] || opts+=" $o"
		done
	done
	# save and tiers --assign read input: --table and --tsv both, and so
	# before the sub-command while save is one that may follow
	[[ $first == save || $assign || (-z $first && " $verbs " == *" save "*) ]] &&
	    _loy_both=1
	if [[ $_loy_cur == -* ]]; then
		_loy_add compgen -W "-d --db --as-of --busy-timeout --date-format $opts
		    --safe-cells --table --tsv -h --help -V --version" \
		    -- "$_loy_cur"
		return
	fi
	if ((nops == 0)); then
		_loy_add compgen -W "$verbs" -- "$_loy_cur"
	elif ((nops == 1)); then
		case $first in
		value)
			_loy_add compgen -W "stranger butterfly barnacle true-friend" -- "$_loy_cur"
			;;
		lifecycle)
			_loy_add compgen -W "new active at-risk lapsed won-back closed forgotten" -- "$_loy_cur"
			;;
		save)
			;;
		esac
	elif ((nops == 2)) && [[ $first == save ]]; then
		_loy_files "$_loy_cur"
	fi
}

# The loy programs on PATH, without their "loy-" prefix.
_loy_programs()
{
	local IFS=$'\n' p

	for p in $(compgen -c loy-); do
		printf '%s\n' "${p#loy-}"
	done | sort -u
}

_loy()
{
	local _loy_w _loy_cword _loy_cur _loy_prev _loy_rl prog fn

	COMPREPLY=()
	_loy_words
	if ((COMP_CWORD == 1)); then
		if [[ $_loy_cur == -* ]]; then
			_loy_add compgen -W "-h --help -V --version" -- "$_loy_cur"
		else
			_loy_add compgen -W "help $(_loy_programs)" -- "$_loy_cur"
		fi
		return
	fi
	prog=${COMP_WORDS[1]}
	case $prog in
	help)
		# a program's page, or loy-ledger(5) and loy-programme(5)
		((COMP_CWORD == 2)) &&
		    _loy_add compgen -W "$(_loy_programs) ledger programme" -- "$_loy_cur"
		return
		;;
	-*)
		return
		;;
	esac

	# "loy enroll ..." completes as "loy-enroll ..." does
	fn=_loy_${prog//-/_}
	if ! declare -F "$fn" >/dev/null; then
		# another loy program, with a completion of its own
		declare -F __load_completion >/dev/null &&
		    __load_completion "loy-$prog" 2>/dev/null
		fn=$(complete -p "loy-$prog" 2>/dev/null |
		    sed -n 's/.*-F \([^ ]*\).*/\1/p')
	fi
	if [[ $fn ]] && declare -F "$fn" >/dev/null; then
		local COMP_WORDS=("loy-$prog" "${COMP_WORDS[@]:2}")
		local COMP_CWORD=$((COMP_CWORD - 1))
		local COMP_LINE=${COMP_LINE/#loy $prog/loy-$prog}
		local COMP_POINT=$((COMP_POINT - 1))
		"$fn" "loy-$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	else
		_loy_files "$_loy_cur"
	fi
}

complete -F _loy loy
complete -F _loy_accrue loy-accrue
complete -F _loy_init loy-init
complete -F _loy_enroll loy-enroll
complete -F _loy_expire loy-expire
complete -F _loy_redeem loy-redeem
complete -F _loy_check loy-check
complete -F _loy_program loy-program
complete -F _loy_report loy-report
complete -F _loy_segment loy-segment
