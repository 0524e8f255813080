#!/usr/bin/env bats
# The CSV/TSV layer, as loy-enroll reads and writes it: quoting, line
# numbers, BOM, CRLF, TSV escapes, inputs, and input that is not CSV.

load helper

NOTHING="loy-enroll: 1 bad row; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)"
NOTHING2="loy-enroll: 2 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)"

name_of() {
	q "SELECT name FROM members WHERE member_id = '$1'"
}

# ---------------------------------------------------------------- quoting

@test "quoted fields keep commas, doubled quotes and line breaks" {
	new_ledger
	cat >in.csv <<'EOF'
member_id,name,note
1,"Okafor, Chidi","a, b"
2,"Marie ""Mimi"" Dubois",""""
3,Line one,"x
line two"
4,,""
EOF
	run -0 --separate-stderr loy-enroll in.csv
	same "$output" <<'EOF'
line,member_id,status,detail
2,1,created,
3,2,created,
4,3,created,
6,4,created,
EOF
	[ "$(name_of 1)" = "Okafor, Chidi" ]
	[ "$(name_of 2)" = 'Marie "Mimi" Dubois' ]
	[ "$(name_of 3)" = "Line one" ]
	[ "$(attrs 3)" = "$(printf 'note=x\nline two')" ]	# free text keeps its lines
	[ "$(q "SELECT name IS NULL FROM members WHERE member_id = '4'")" = 1 ]
	[ "$(attrs 1)" = "note=a, b" ]
	[ "$(attrs 2)" = 'note="' ]
	ledger_ok
}

@test "a record over several lines is reported at the line it starts on" {
	new_ledger
	before=$(dump)
	cat >in.csv <<'EOF'
member_id,note,email
1,"Ann
Smith",ann@example.org
2,"Bob
""The Builder""
Jones",bob
3,Cy,cy
EOF
	run -65 --separate-stderr loy-enroll in.csv
	same "$stderr" <<EOF
loy-enroll: in.csv:4: email 'bob' does not match the programme's email_pattern
loy-enroll: in.csv:7: email 'cy' does not match the programme's email_pattern
loy-enroll: in.csv: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	same "$output" <<'EOF'
line,member_id,status,detail
2,1,created,
4,2,rejected,email 'bob' does not match the programme's email_pattern
7,3,rejected,email 'cy' does not match the programme's email_pattern
EOF
	ledger_ok
}

@test "blank lines count in line numbers" {
	new_ledger
	before=$(dump)
	printf 'member_id,email\n1,ann@example.org\n\n2,bob\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:4: email 'bob' does not match the programme's email_pattern" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a row of empty cells is a bad row said to be empty, in every program, and set aside whole" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-redeem --catalogue "$EXAMPLES/rewards.csv" >/dev/null 2>&1
	before=$(dump)
	# as a spreadsheet exports the rows below its data; blanks and tabs
	# are no value either
	printf 'member_id,name\n2001,Ann\n,\n \t, \n' >m.csv
	run -65 --separate-stderr loy-enroll m.csv
	same "$stderr" <<ERR
loy-enroll: m.csv:3: empty row
loy-enroll: m.csv:4: empty row
loy-enroll: m.csv: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected
$NOTHING2
ERR
	printf 'txn_id,member_id,occurred_at,amount\n,,,\n' >pos.csv
	run -65 --separate-stderr loy-accrue pos.csv
	[ "${stderr_lines[0]}" = "loy-accrue: pos.csv:2: empty row" ]
	printf 'member_id,points,reason,ref\n,,,\n' >adj.csv
	run -65 --separate-stderr loy-accrue --adjust adj.csv
	[ "${stderr_lines[0]}" = "loy-accrue: adj.csv:2: empty row" ]
	printf 'member_id,points,earned_at,expires_at\n,,,\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:2: empty row" ]
	printf 'event_id,member_id,event,occurred_at\n,,,\n' >ev.csv
	run -65 --separate-stderr loy-accrue --events ev.csv
	[ "${stderr_lines[0]}" = "loy-accrue: ev.csv:2: empty row" ]
	printf 'request_id,member_id,reward_id,qty\n,,,\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: empty row" ]
	printf 'reward_id,name,points\n,,\n' >cat.csv
	run -65 --separate-stderr loy-redeem --catalogue cat.csv
	[ "${stderr_lines[0]}" = "loy-redeem: cat.csv:2: empty row" ]
	printf 'member_id\n""\n' >list.csv
	run -65 --separate-stderr loy-segment save vip list.csv
	[ "${stderr_lines[0]}" = "loy-segment: list.csv:2: empty row" ]
	[ "$(dump)" = "$before" ]
	# set aside, it keeps its cells, its line and the reason
	run -1 --separate-stderr loy-enroll --rejects rej.csv m.csv
	same "$(cat rej.csv)" <<'OUT'
member_id,name,line,reason
,,3,empty row
 	, ,4,empty row
OUT
	[ "$(name_of 2001)" = Ann ]
	ledger_ok
}

@test "output quotes only the cells that need it" {
	new_ledger
	printf 'member_id,name\n1,"Okafor, Chidi"\n2,"Marie ""Mimi"" Dubois"\n3,Plain\n' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-enroll list
	[[ "${lines[1]}" == '1,active,"Okafor, Chidi",'* ]]
	[[ "${lines[2]}" == '2,active,"Marie ""Mimi"" Dubois",'* ]]
	[[ "${lines[3]}" == '3,active,Plain,'* ]]
	echo "$output" >list.csv
	[ "$(csvq list.csv "SELECT name FROM t ORDER BY member_id")" = \
	    "$(printf 'Okafor, Chidi\nMarie "Mimi" Dubois\nPlain')" ]
	ledger_ok
}

@test "the last line needs no line end" {
	new_ledger
	printf 'member_id,name\n1,Ann' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$(name_of 1)" = Ann ]
	ledger_ok
}

# ---------------------------------------------------------------- headers

@test "header names match whatever their case and spaces" {
	new_ledger
	printf ' Member_ID ,EMAIL  ,Name,Language\n1,ann@example.org,Ann,de\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$(q "SELECT name || '|' || email FROM members WHERE member_id = '1'")" = "Ann|ann@example.org" ]
	[ "$(attrs 1)" = "language=de" ]
	ledger_ok
}

@test "a header naming a column twice is refused" {
	new_ledger
	before=$(dump)
	printf 'member_id,name,Member_ID\n1,Ann,2\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: in.csv:1: header names column 'Member_ID' twice" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a header of 100000 names is read in a moment, not each name against every other" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	before=$(dump)
	# a file that is no CSV, a long line of commas: each name was compared
	# with every one before it, minutes of work with the ledger held
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "%sc%d", (i > 1 ? "," : ""), i; print "" }' >wide.csv
	run -65 --separate-stderr timeout 10 loy-enroll wide.csv
	[ "$stderr" = "loy-enroll: wide.csv:1: no column to identify members by: member_id, card, email or phone" ]
	run -65 --separate-stderr timeout 10 loy-accrue wide.csv
	[ "${stderr_lines[0]}" = "loy-accrue: wide.csv:1: no column 'txn_id' (the receipt)" ]
	# the same name twice, in another case, far apart
	{ printf 'member_id,'; cut -d, -f1-99999 wide.csv | tr -d '\n'; printf ',C7\n'; } >twice.csv
	run -65 --separate-stderr timeout 10 loy-enroll twice.csv
	[ "$stderr" = "loy-enroll: twice.csv:1: header names column 'C7' twice" ]
	# and a member with many attributes is one row as any
	{ printf 'member_id,'; cut -d, -f1-20000 wide.csv; printf '2001'; for i in $(seq 20000); do printf ',v'; done; echo; } >attrs.csv
	run -0 --separate-stderr timeout 10 loy-enroll attrs.csv
	[ "$(q "SELECT json_extract(attrs, '$.c20000') FROM members WHERE member_id = '2001'")" = v ]
	ledger_ok
}

@test "a header column without a name is refused" {
	new_ledger
	before=$(dump)
	printf 'member_id, ,name\n1,x,Ann\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$stderr" = "loy-enroll: in.csv:1: header column 2 has no name" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an empty file has no header" {
	new_ledger
	before=$(dump)
	: >empty.csv
	run -65 --separate-stderr loy-enroll empty.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: empty.csv: no header row" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a file of only a byte order mark or blank lines has no header either" {
	new_ledger
	before=$(dump)
	printf '\357\273\277' >bom.csv
	printf '\r\n\n\n' >blank.csv
	run -65 --separate-stderr loy-enroll bom.csv
	[ "$stderr" = "loy-enroll: bom.csv: no header row" ]
	run -65 --separate-stderr loy-enroll --tsv blank.csv
	[ "$stderr" = "loy-enroll: blank.csv: no header row" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a header without rows is an empty run" {
	new_ledger
	printf 'member_id,name\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$output" = "line,member_id,status,detail" ]
	same "$stderr" <<EOF
loy-enroll: in.csv: 0 rows, 0 created, 0 updated, 0 unchanged, 0 rejected
$(idle loy-enroll)
EOF
	ledger_ok
}

# ------------------------------------------------------------ BOM and CRLF

@test "a byte order mark is not part of the first column's name" {
	new_ledger
	printf '\xef\xbb\xbfmember_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$(name_of 1)" = Ann ]
	[ "$(attrs 1)" = "" ]
	ledger_ok
}

@test "line ends in CRLF are line ends, not data" {
	new_ledger
	printf 'member_id,name,language\r\n1,Ann,de\r\n2,"Bob, Jr",en\r\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	same "$output" <<'EOF'
line,member_id,status,detail
2,1,created,
3,2,created,
EOF
	[ "$(q "SELECT hex(name) FROM members WHERE member_id = '1'")" = "$(printf Ann | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	[ "$(name_of 2)" = "Bob, Jr" ]
	[ "$(attrs 1)" = "language=de" ]
	ledger_ok
}

@test "a CRLF file whose last line lost its LF: the last CR is the line end too" {
	new_ledger
	printf 'member_id,name\r\n1,Ann\r\n2,"Bob"\r' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	same "$output" <<'EOF'
line,member_id,status,detail
2,1,created,
3,2,created,
EOF
	[ "$(q "SELECT hex(name) FROM members WHERE member_id = '2'")" = 426F62 ]
	printf 'member_id\r\n3\r' >id.csv
	run -0 --separate-stderr loy-enroll id.csv
	[ "$(q "SELECT count(*) FROM members WHERE member_id = '3'")" = 1 ]
	ledger_ok
}

@test "lines ended by CR alone are refused at the header, not read as a header with no rows" {
	new_ledger
	printf 'member_id,name\r1,Ann\r2,Bob\r' >mac.csv
	before=$(dump)
	run -65 --separate-stderr loy-enroll mac.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: mac.csv:1: header column 2 has a CR in its name: a CR alone ends no line (tr '\r' '\n' converts a file so ended)" ]
	[ "$(dump)" = "$before" ]
	tr '\r' '\n' <mac.csv >unix.csv
	run -0 --separate-stderr loy-enroll unix.csv
	[ "$(name_of 2)" = Bob ]
	ledger_ok
}

@test "a BOM and CRLF together, as spreadsheets export" {
	new_ledger
	printf '\xef\xbb\xbfmember_id,email\r\n1,ann@example.org\r\n2,bob\r\n' >in.csv
	before=$(dump)
	run -65 --separate-stderr loy-enroll in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:3: email 'bob' does not match the programme's email_pattern" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# -------------------------------------------------------------------- TSV

@test "--tsv reads TSV with its escapes and writes TSV" {
	new_ledger
	printf 'member_id\tname\tnote\n1\tAnn\tsays "hi",\\tok\n2\tC:\\\\new\tline1\\nline2\n3\t"Quoted"\t\n' >in.tsv
	run -0 --separate-stderr loy-enroll --tsv in.tsv
	same "$output" <<'EOF'
line	member_id	status	detail
2	1	created	
3	2	created	
4	3	created	
EOF
	[ "$(name_of 1)" = Ann ]
	[ "$(name_of 2)" = 'C:\new' ]
	[ "$(name_of 3)" = '"Quoted"' ]
	[ "$(attrs 1)" = "$(printf 'note=says "hi",\tok')" ]
	[ "$(attrs 2)" = "$(printf 'note=line1\nline2')" ]
	ledger_ok
}

@test "--tsv escapes tabs, line breaks and backslashes in its output" {
	new_ledger
	printf 'member_id\tname\n1\tAnn\n2\tC:\\\\new\n3\tTwo\n' >in.tsv
	loy-enroll --tsv in.tsv >/dev/null 2>&1
	# (a tab or a line break in a name is refused now: as an older loy
	# stored them)
	q "UPDATE members SET name = CASE member_id WHEN '1' THEN 'Ann' || char(9) || 'Smith'
	   WHEN '3' THEN 'Two' || char(10) || 'lines' ELSE name END"
	run -0 --separate-stderr loy-enroll --tsv list
	same "$(echo "$output" | cut -f1,3)" <<'EOF'
member_id	name
1	Ann\tSmith
2	C:\\new
3	Two\nlines
EOF
	ledger_ok
}

@test "without --tsv a TSV file is one column" {
	new_ledger
	before=$(dump)
	printf 'member_id\tname\n1\tAnn\n' >in.tsv
	run -65 --separate-stderr loy-enroll in.tsv
	same "$stderr" <<'EOF'
loy-enroll: in.tsv:1: column 'member_id\tname' has a tab in its name: is the file TSV? (--tsv reads it)
loy-enroll: in.tsv:1: no column to identify members by: member_id, card, email or phone
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# ----------------------------------------------------------------- inputs

@test "reads standard input when no file is named" {
	new_ledger
	printf 'member_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr loy-enroll <in.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	[ "$stderr" = "loy-enroll: stdin: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected" ]
	[ "$(q "SELECT name FROM run_inputs")" = stdin ]
	ledger_ok
}

@test "reads standard input for -" {
	new_ledger
	printf 'member_id,email\n1,ann@example.org\n2,bob\n' >in.csv
	before=$(dump)
	run -65 --separate-stderr loy-enroll - <in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: stdin:3: email 'bob' does not match the programme's email_pattern" ]
	[ "$(dump)" = "$before" ]
	printf 'member_id,email\n1,ann@example.org\n' >good.csv
	run -0 --separate-stderr loy-enroll - <good.csv
	[ "$output" = "$(printf 'line,member_id,status,detail\n2,1,created,')" ]
	ledger_ok
}

@test "a large input, read ahead in pieces, keeps every row in order at its line" {
	new_ledger
	# 30,000 rows over many reads: every thousandth note spans two
	# lines, every 2999th row has a field too many
	awk 'BEGIN {
		print "member_id,note,phone"
		ln = 1
		for (i = 1; i <= 30000; i++) {
			ln++
			if (i % 2999 == 0) {
				printf "M%d,Name %d,,extra\n", i, i
				print ln >"bad.txt"
			} else if (i % 1000 == 0) {
				printf "M%d,\"Name %d\nsecond line\",\n", i, i
				ln++
			} else
				printf "M%d,Name %d,\n", i, i
		}
	}' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	[ "${#lines[@]}" = 30001 ]
	[ "${lines[30000]}" = "$(($(wc -l <in.csv) - 1)),M30000,created," ]
	[ "$(awk -F, 'NR > 1 { print $5 }' rej.csv)" = "$(cat bad.txt)" ]
	[ "$(awk -F, 'NR > 1 && $3 == "created"' <<<"$output" | wc -l)" = 29990 ]
	[ "$(q "SELECT count(*) FROM members")" = 29990 ]
	[ "$(attrs M7000)" = "$(printf 'note=Name 7000\nsecond line')" ]
	[ "$(attrs M7001)" = "note=Name 7001" ]
	[ "$(q "SELECT sha256 || '|' || bytes || '|' || rows FROM run_inputs")" = \
	    "$(sha256sum <in.csv | cut -d' ' -f1)|$(stat -c %s in.csv)|30000" ]
	ledger_ok
}

@test "rows that come slowly down a pipe are read whole, however the writes split them" {
	new_ledger
	{
		printf 'member_id,no'; sleep 0.2
		printf 'te\n1,An'; sleep 0.2
		printf 'n\n2,"Bob\n'; sleep 0.2
		printf 'Smith"\n3,Cy'
	} | loy-enroll >out.csv 2>err.txt
	same "$(cat out.csv)" <<'EOF'
line,member_id,status,detail
2,1,created,
3,2,created,
5,3,created,
EOF
	[ "$(attrs 2)" = "$(printf 'note=Bob\nSmith')" ]
	[ "$(attrs 3)" = note=Cy ]
	ledger_ok
}

@test "a row that begins with a stray quote, first in a piece of the input, is set aside" {
	new_ledger
	printf 'member_id,name\na"b,c\n1,Ann\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:2: row has a stray quote: a field with quotes must be quoted and its quotes doubled" ]
	[ "$(q "SELECT group_concat(member_id || '=' || name) FROM members")" = "1=Ann" ]
	[ "$(sed -n 2p rej.csv)" = '"a""b",c,2,row has a stray quote: a field with quotes must be quoted and its quotes doubled' ]
	[ -z "$(compgen -G 'rej.csv.*')" ]
	ledger_ok
}

@test "typing rows at a terminal, a run sent to the background and back goes on" {
	new_ledger
	# an interactive shell on a terminal (script(1)): the run reads the
	# header and a row, is stopped (^Z), sent to the background, where
	# reading the terminal stops it, and brought back for the last row
	{
		sleep 1; printf 'loy-enroll >out.csv 2>err.txt\n'
		sleep 1; printf 'member_id,name\n1,Ann\n'
		sleep 1; printf '\032'
		sleep 1; printf 'bg\n'
		sleep 1; printf 'jobs -l >jobs.txt\n'
		sleep 1; printf 'fg\n'
		sleep 1; printf '2,Bob\n\004'
		sleep 1; printf 'exit\n'
	} | script -qfc 'bash --norc --noprofile -i' /dev/null >/dev/null
	grep -q 'Stopped (tty input)' jobs.txt
	[ "$(cat err.txt)" = "loy-enroll: stdin: 2 rows, 2 created, 0 updated, 0 unchanged, 0 rejected" ]
	[ "$(q "SELECT group_concat(member_id || '=' || name) FROM members")" = "1=Ann,2=Bob" ]
	ledger_ok
}

@test "progress goes to stderr when it is a terminal, and nowhere else" {
	new_ledger
	awk 'BEGIN { print "member_id,name"; for (i = 1; i <= 70000; i++) print i ",M" i }' >in.csv
	# stderr on a file: the summary alone
	loy-enroll in.csv 2>err.txt >/dev/null
	[ "$(cat err.txt)" = "loy-enroll: in.csv: 70000 rows, 70000 created, 0 updated, 0 unchanged, 0 rejected" ]
	# stderr on a terminal (script(1)): the rows read so far, the line
	# cleared before the summary; stdout stays the output alone
	printf 'member_id,name\n70001,Ann\n' >more.csv
	awk 'BEGIN { print "member_id,name"; for (i = 1; i <= 70000; i++) print i ",N" i }' >in.csv
	script -qfc 'loy-enroll in.csv more.csv >out.csv' tty.txt >/dev/null
	grep -q $'\rloy-enroll: in.csv: 65536 rows\033\\[K' tty.txt
	grep -q $'\r\033\\[Kloy-enroll: in.csv: 70000 rows, 0 created, 70000 updated' tty.txt
	[ "$(wc -l <out.csv)" = 70002 ]
	! grep -q 'rows' out.csv || false
	[ "$(q "SELECT name FROM members WHERE member_id = '70000'")" = N70000 ]
	ledger_ok
}

@test "a long run shows a terminal it is working, and loy-check the invariant it checks" {
	new_ledger
	awk 'BEGIN { print "member_id,name"; for (i = 1; i <= 70000; i++) print i ",M" i }' >in.csv
	loy-enroll in.csv >/dev/null 2>&1
	# LOY_PROGRESS_AFTER=0: from the start, not after 2 s
	export LOY_PROGRESS_AFTER=0
	script -qfc 'loy-report balances >out.csv' tty.txt >/dev/null
	grep -q $'\rloy-report: working, [0-9]* s\033\\[K' tty.txt
	grep -q $'\r\033\\[K\r*$' tty.txt	# cleared at the end
	[ "$(wc -l <out.csv)" = 70001 ]
	# not when stderr is a file, nor when stdout is the terminal too
	loy-report balances >out.csv 2>err.txt
	[ ! -s err.txt ]
	script -qfc 'loy-report balances' tty.txt >/dev/null
	! grep -q working tty.txt || false
	script -qfc 'loy-check >out.csv' tty.txt >/dev/null
	grep -q $'\rloy-check: balance-equals-journal (1 of [0-9]*)\033\\[K' tty.txt
	[ "$(cat out.csv)" = invariant,subject,detail ]
	script -qfc 'loy-check -q' tty.txt >/dev/null
	! grep -q 'loy-check:' tty.txt || false
	ledger_ok
}

@test "several files are one run" {
	new_ledger
	printf 'member_id,name\n1,Ann\n2,Bob\n' >a.csv
	printf 'email,name\ncy@example.org,Cy\n' >b.csv
	run -0 --separate-stderr loy-enroll a.csv b.csv
	# each row's file named before its line, as grep names them
	same "$output" <<'EOF'
file,line,member_id,status,detail
a.csv,2,1,created,
a.csv,3,2,created,
b.csv,2,3,created,
EOF
	same "$stderr" <<'EOF'
loy-enroll: a.csv: 2 rows, 2 created, 0 updated, 0 unchanged, 0 rejected
loy-enroll: b.csv: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected
EOF
	[ "$(q "SELECT count(*) FROM runs WHERE program = 'loy-enroll'")" = 1 ]
	same "$(q "SELECT seq || '|' || name || '|' || rows FROM run_inputs ORDER BY seq")" <<'EOF'
1|a.csv|2
2|b.csv|1
EOF
	ledger_ok
}

@test "more files than the process may hold open at once are one run" {
	new_ledger
	for i in $(seq 1 40); do
		printf 'member_id,name\nm%02d,Store %d\n' "$i" "$i" >"store$(printf %02d "$i").csv"
	done
	run -0 --separate-stderr bash -c 'ulimit -n 24 && loy-enroll store*.csv'
	[ "${lines[0]}" = "file,line,member_id,status,detail" ]
	[ "${#lines[@]}" = 41 ]
	[ "${lines[40]}" = "store40.csv,2,m40,created," ]
	[ "$(q "SELECT count(*) FROM members")" = 40 ]
	[ "$(q "SELECT count(*) FROM run_inputs")" = 40 ]
	ledger_ok
}

@test "an input that cannot be opened is found before any work, whichever its turn" {
	need_modes
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >a.csv
	printf 'member_id,name\n2,Bob\n' >secret.csv
	chmod 000 secret.csv
	run -66 --separate-stderr as_user loy-enroll a.csv secret.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: cannot open 'secret.csv': Permission denied" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a bad row in the second file keeps the first file out too" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >a.csv
	printf 'member_id,email\n2,bob\n' >b.csv
	run -65 --separate-stderr loy-enroll a.csv b.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-enroll: a.csv: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected
loy-enroll: b.csv:2: email 'bob' does not match the programme's email_pattern
loy-enroll: b.csv: 1 row, 0 created, 0 updated, 0 unchanged, 1 rejected
$NOTHING
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "the same file twice is a usage error" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >a.csv
	run -64 --separate-stderr loy-enroll a.csv a.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: 'a.csv' is given twice" ]
	run -64 --separate-stderr loy-enroll a.csv ./a.csv
	[ "$stderr" = "loy-enroll: './a.csv' is given twice" ]
	ln -s a.csv link.csv
	run -64 --separate-stderr loy-enroll a.csv link.csv
	[ "$stderr" = "loy-enroll: 'link.csv' is given twice" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# A run of in.csv (3000 rows, each set aside) held up once it has read the
# file to its end, its messages waiting in a FIFO no one reads yet; "$@"
# then changes the file, and the run goes on.  Sets status and err.
changed_under() {
	{
		echo "member_id,name,birthday"
		for i in $(seq 1 3000); do echo "m$i,N,1990-13-01"; done
		echo "ok1,Ann,"
	} >in.csv
	mkfifo err.fifo
	loy-enroll --rejects rej.csv in.csv >out.csv 2>err.fifo &
	local pid=$!
	exec 8<err.fifo
	head -c 100 <&8 >/dev/null	# running, and read ahead to the end
	sleep 0.5
	"$@"
	err=$(cat <&8)
	exec 8<&-
	status=0
	wait "$pid" || status=$?
}

@test "a file that grows while it is read commits nothing: its last row may be half written" {
	new_ledger
	before=$(dump)
	changed_under sh -c 'printf "late,Bob,1990-01-01\n" >>in.csv'
	[ "$status" = 74 ]
	[ "$(printf '%s\n' "$err" | tail -1)" = "loy-enroll: in.csv: changed while it was read: 55926 bytes read, 55946 there now (a file still being written, or written anew); nothing committed: run again once it is whole" ]
	[ ! -e rej.csv ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a file cut short while it is read commits nothing" {
	new_ledger
	before=$(dump)
	changed_under truncate -s 1000 in.csv
	[ "$status" = 74 ]
	[ "$(printf '%s\n' "$err" | tail -1)" = "loy-enroll: in.csv: changed while it was read: 55926 bytes read, 1000 there now (a file still being written, or written anew); nothing committed: run again once it is whole" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "standard input that is a file read from past its start is read whole, not taken for one that changed" {
	new_ledger
	printf 'skipped line\nmember_id,name\n1,Ann\n' >in.csv
	run -0 --separate-stderr sh -c '{ read -r _; loy-enroll; } <in.csv'
	[ "${lines[1]}" = "2,1,created," ]
	ledger_ok
}

@test "a missing input file changes nothing" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >a.csv
	run -66 --separate-stderr loy-enroll a.csv missing.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: cannot open 'missing.csv': No such file or directory" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a directory is not an input file" {
	new_ledger
	before=$(dump)
	mkdir exports
	run -66 --separate-stderr loy-enroll exports
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: 'exports' is a directory" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an unreadable input file changes nothing" {
	need_modes
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >secret.csv
	chmod 000 secret.csv
	run -66 --separate-stderr as_user loy-enroll secret.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-enroll: cannot open 'secret.csv': Permission denied" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# ------------------------------------------------------------ not CSV

@test "an unterminated quote is refused" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n2,"Bob\n3,Cy\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:3: row has a quoted field that is not terminated" ]
	[ "${stderr_lines[-1]}" = "$NOTHING" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an unterminated quote set aside keeps the rest of the input, all in its field, in the rejects file" {
	new_ledger
	printf 'member_id,name\n1,Ann\n2,"Bob\n3,Cy\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:3: row has a quoted field that is not terminated" ]
	[ "$(q "SELECT member_id FROM members")" = 1 ]
	same "$(cat rej.csv)" <<'EOF'
member_id,name,line,reason
2,"Bob
3,Cy
",3,row has a quoted field that is not terminated
EOF
	ledger_ok
}

@test "a quote that runs on past 16 MB fails the run, even with --rejects: what follows it cannot be read" {
	new_ledger
	before=$(dump)
	{
		printf 'member_id,name\n1,Ann\n2,"Bob\n'
		awk 'BEGIN { for (i = 0; i < 17000; i++) printf "%01000d\n", 0 }'
		printf '"\n3,Cy\n'
	} >in.csv
	run -65 --separate-stderr bash -c 'cat in.csv | loy-enroll --rejects rej.csv'
	[ "$stderr" = "loy-enroll: stdin:3: row has a quoted field that is not terminated within 16 MB: the rest of the input cannot be read as rows" ]
	[ "$output" = "" ]
	[ -z "$(compgen -G 'rej.csv*')" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a line that runs on past 16 MB without an end fails the run, in bounded memory, even with --rejects" {
	new_ledger
	before=$(dump)
	{
		printf 'member_id,name\n1,Ann\n2,'
		head -c 20000000 /dev/zero | tr '\0' x
		printf '\n3,Cy\n'
	} >in.csv
	# address space capped, but for AddressSanitizer (make check-asan),
	# whose shadow memory alone reserves terabytes of it
	cap='ulimit -v 400000 &&'
	[ -z "${ASAN_OPTIONS:-}" ] || cap=
	run -65 --separate-stderr bash -c "$cap loy-enroll --rejects rej.csv in.csv"
	[ "$stderr" = "loy-enroll: in.csv:3: row has a line longer than 16 MB: the rest of the input cannot be read as rows (is it CSV?)" ]
	[ "$output" = "" ]
	[ -z "$(compgen -G 'rej.csv*')" ]
	[ "$(dump)" = "$before" ]
	# a device without line ends comes to an end too
	run -65 --separate-stderr bash -c "$cap timeout 60 loy-enroll /dev/zero"
	[ "$stderr" = "loy-enroll: /dev/zero:1: header has a line longer than 16 MB: the rest of the input cannot be read as rows (is it CSV?)" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "rows with too many or too few fields are refused, every one" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann,extra\n2,Bob\n3\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-enroll: in.csv:2: row has 3 fields, the header has 2
loy-enroll: in.csv:4: row has 1 field, the header has 2
loy-enroll: in.csv: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "--rejects sets aside rows that are not CSV and keeps the rest" {
	new_ledger
	printf 'member_id,name\n1,Ann,extra\n2,Bob\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	same "$output" <<'EOF'
line,member_id,status,detail
2,,rejected,"row has 3 fields, the header has 2"
3,2,created,
EOF
	[ "$(q "SELECT member_id FROM members")" = 2 ]
	[ "$(sed -n 2p rej.csv)" = '1,Ann,extra,2,"row has 3 fields, the header has 2"' ]
	ledger_ok
}

@test "invalid UTF-8 is refused, every row of it" {
	new_ledger
	before=$(dump)
	printf 'member_id,name,city\n1,Ann,K\xf6ln\n2,Bob,Berlin\n3,Cy\xff,Wien\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$output" = "" ]
	same "$stderr" <<EOF
loy-enroll: in.csv:2: row is not valid UTF-8
loy-enroll: in.csv:4: row is not valid UTF-8
loy-enroll: in.csv: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "invalid UTF-8 in the header is refused" {
	new_ledger
	before=$(dump)
	printf 'member_id,n\xe4me\n1,Ann\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	[ "$stderr" = "loy-enroll: in.csv:1: header is not valid UTF-8" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a NUL byte is refused" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n2,B\0b\n3,Cy\0\n' >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	same "$stderr" <<EOF
loy-enroll: in.csv:3: row contains a NUL byte
loy-enroll: in.csv:4: row contains a NUL byte
loy-enroll: in.csv: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected
$NOTHING2
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "a 10 MB field is refused without taking the rest down" {
	new_ledger
	before=$(dump)
	{
		printf 'member_id,name\n1,Ann\n2,'
		head -c 10000000 /dev/zero | tr '\0' x
		printf '\n3,"'
		head -c 10000000 /dev/zero | tr '\0' y
		printf '"\n4,Dan,extra\n'
	} >in.csv
	run -65 --separate-stderr loy-enroll in.csv
	same "$stderr" <<EOF
loy-enroll: in.csv:3: row has a field longer than 65536 bytes
loy-enroll: in.csv:4: row has a field longer than 65536 bytes
loy-enroll: in.csv:5: row has 3 fields, the header has 2
loy-enroll: in.csv: 4 rows, 1 created, 0 updated, 0 unchanged, 3 rejected
loy-enroll: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
EOF
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "the input's checksum, size and rows are recorded" {
	new_ledger
	printf 'member_id,note\n1,"Ann\nSmith"\n2,Bob\n' >in.csv
	run -0 --separate-stderr loy-enroll in.csv
	[ "$(q "SELECT sha256 || '|' || bytes || '|' || rows FROM run_inputs")" = \
	    "$(sha256sum <in.csv | cut -d' ' -f1)|$(stat -c %s in.csv)|2" ]
	ledger_ok
}

@test "the checksum is the same with and without the CPU's SHA instructions" {
	# files of every length around the 64-byte block and its padding
	for n in 18 55 56 63 64 65 119 120 128 1000 100000; do
		awk -v n="$n" 'BEGIN { left = n - 15; print "member_id,name"
			for (id = 1; left > 60; id++) {
				s = id ",Ann"; while (length(s) < 49) s = s "x"; print s; left -= 50 }
			s = id ","; while (length(s) < left - 1) s = s "y"; print s }' >in.csv
		[ "$(stat -c %s in.csv)" = "$n" ]
		want=$(sha256sum <in.csv | cut -d' ' -f1)
		for portable in "" 1; do
			rm -f "$LOY_DB"*
			run -0 loy-init
			LOY_SHA256_PORTABLE=$portable run -0 --separate-stderr loy-enroll in.csv
			[ "$(q "SELECT sha256 FROM run_inputs")" = "$want" ]
		done
	done
}

# ---------------------------------------------------------------- strict quoting

@test "a stray quote in a field is refused and the next line reads again" {
	new_ledger
	printf 'member_id,name\n1,Ann\n2,12" pizza\n3,"Bo"b\n4,Di\n' >in.csv
	before=$(dump)
	run -65 --separate-stderr loy-enroll in.csv
	[ "${stderr_lines[0]}" = "loy-enroll: in.csv:3: row has a stray quote: a field with quotes must be quoted and its quotes doubled" ]
	[ "${stderr_lines[1]}" = "loy-enroll: in.csv:4: row has a stray quote: a field with quotes must be quoted and its quotes doubled" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	[ "$(q "SELECT group_concat(member_id || '=' || name, ' ') FROM members")" = "1=Ann 4=Di" ]
	ledger_ok
}

@test "a row with a stray quote keeps its quoted field of several lines, and the rows after it read as rows" {
	new_ledger
	# the quote out of place, then a note that ends in a line break: its
	# closing quote starts a line, and is no opening quote of the rest
	printf 'member_id,name,note\n1,12" pizza,"call first\n"\n2,Bo,\n3,"Cy"x,"a\nb"\n4,Di,\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	same "$stderr" <<'EOF'
loy-enroll: in.csv:2: row has a stray quote: a field with quotes must be quoted and its quotes doubled
loy-enroll: in.csv:5: row has a stray quote: a field with quotes must be quoted and its quotes doubled
loy-enroll: in.csv: 4 rows, 2 created, 0 updated, 0 unchanged, 2 rejected
EOF
	same "$(cut -d, -f1,3 <<<"$output")" <<'EOF'
line,status
2,rejected
4,created
5,rejected
7,created
EOF
	same "$(cat rej.csv)" <<'EOF'
member_id,name,note,line,reason
1,"12"" pizza","call first
",2,row has a stray quote: a field with quotes must be quoted and its quotes doubled
3,"Cy""x","a
b",5,row has a stray quote: a field with quotes must be quoted and its quotes doubled
EOF
	[ "$(q "SELECT group_concat(member_id || '=' || name, ' ') FROM members")" = "2=Bo 4=Di" ]
	ledger_ok
}

@test "a dry run writes no rejects file" {
	new_ledger
	printf 'member_id,birthday\n1,1990-01-01\n2,1990-02-30\n' >in.csv
	run -1 --separate-stderr loy-enroll --dry-run --rejects rej.csv in.csv
	[ ! -e rej.csv ]
	[ -z "$(compgen -G 'rej.csv.*')" ]
	[ "${stderr_lines[2]}" = "loy-enroll: dry run: nothing committed" ]
	[ "$(q "SELECT count(*) FROM members")" = 0 ]
	ledger_ok
}

@test "a short row keeps line and reason in their columns of the rejects file" {
	new_ledger
	printf 'member_id,name,email\n1,Ann,ann@example.org\n2,Bob\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv in.csv
	same "$(cat rej.csv)" <<'OUT'
member_id,name,email,line,reason
2,Bob,,3,"row has 2 fields, the header has 3"
OUT
	ledger_ok
}

@test "the rows of several files go under the first one's header, whatever their column order" {
	new_ledger
	printf 'member_id,name,store,referrer\n1,Ann,Berlin,404\n' >shop1.csv
	printf 'member_id,store,name,referrer\n9,Hamburg,Ida,404\n' >shop2.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv shop1.csv shop2.csv
	same "$(cat rej.csv)" <<'OUT'
member_id,name,store,referrer,file,line,reason
1,Ann,Berlin,404,shop1.csv,2,referrer '404' is not a member
9,Ida,Hamburg,404,shop2.csv,2,referrer '404' is not a member
OUT
	# read back corrected, each field lands where it belongs, and the
	# file, line and reason are not member attributes
	sed 's/,404,/,,/' rej.csv >fixed.csv
	run -0 --separate-stderr loy-enroll fixed.csv
	[ "$(q "SELECT member_id || ':' || name || ':' || store || ':' || coalesce(attrs, '') FROM members ORDER BY member_id")" = "1:Ann:Berlin:
9:Ida:Hamburg:" ]
	ledger_ok
}

@test "a short or long row of a file whose columns come in another order lands in the rejects file under the first file's columns" {
	new_ledger
	printf 'member_id,name,store\n1,Ann,Berlin\n' >shop1.csv
	printf 'store,name,member_id\nHamburg,Ida\nKiel,Bo,7,x\n' >shop2.csv
	run -1 --separate-stderr loy-enroll --rejects rej.csv shop1.csv shop2.csv
	same "$(cat rej.csv)" <<'OUT'
member_id,name,store,file,line,reason
,Ida,Hamburg,shop2.csv,2,"row has 2 fields, the header has 3"
7,Bo,Kiel,x,shop2.csv,3,"row has 4 fields, the header has 3"
OUT
	ledger_ok
}

@test "files whose columns differ cannot share one rejects file: a usage error before any row is read, and nothing is committed" {
	new_ledger
	before=$(dump)
	printf 'member_id,name\n1,Ann\n' >a.csv
	printf 'member_id,name,phone\n2,Bob,+49 30 1234567\n' >b.csv
	run -64 --separate-stderr loy-enroll --rejects rej.csv a.csv b.csv
	# the one message: a.csv's rows are not read first, nor summed up
	same "$stderr" <<'ERR'
loy-enroll: b.csv:1: 3 columns, but 'a.csv' has 2: --rejects writes the rows of every file under one header; give each layout a run of its own
ERR
	[ -z "$output" ]
	printf 'member_id\n2\n' >d.csv
	run -64 --separate-stderr loy-enroll --rejects rej.csv a.csv d.csv
	[ "$stderr" = "loy-enroll: d.csv:1: 1 column, but 'a.csv' has 2: --rejects writes the rows of every file under one header; give each layout a run of its own" ]
	printf 'member_id,email\n2,bob@example.org\n' >c.csv
	run -64 --separate-stderr loy-enroll --rejects rej.csv a.csv c.csv
	[ "$stderr" = "loy-enroll: c.csv:1: no column 'name', which 'a.csv' has: --rejects writes the rows of every file under one header; give each layout a run of its own" ]
	# standard input is looked at as well, its header then read once
	run -64 --separate-stderr loy-enroll --rejects rej.csv a.csv - <b.csv
	[ "$stderr" = "loy-enroll: stdin:1: 3 columns, but 'a.csv' has 2: --rejects writes the rows of every file under one header; give each layout a run of its own" ]
	printf 'name,member_id\nBob,2\n' >e.csv
	run -0 --separate-stderr loy-enroll -n --rejects rej.csv a.csv - <e.csv
	[ "${stderr_lines[1]}" = "loy-enroll: stdin: 1 row, 1 created, 0 updated, 0 unchanged, 0 rejected" ]
	[ ! -e rej.csv ]
	[ "$(dump)" = "$before" ]
	# without --rejects they are one run
	run -0 --separate-stderr loy-enroll a.csv b.csv
	ledger_ok
}

@test "a rejects file read back and set aside again keeps its columns, generation after generation" {
	new_ledger
	printf 'member_id,name,referrer\n1,Ann,404\n' >in.csv
	run -1 --separate-stderr loy-enroll --rejects rej1.csv in.csv
	run -1 --separate-stderr loy-enroll --rejects rej2.csv rej1.csv
	same "$(cat rej2.csv)" <<'OUT'
member_id,name,referrer,line,reason,rejected_line,rejected_reason
1,Ann,404,2,referrer '404' is not a member,2,referrer '404' is not a member
OUT
	run -1 --separate-stderr loy-enroll --rejects rej3.csv rej2.csv
	[ "$(cat rej3.csv)" = "$(cat rej2.csv)" ]
	sed 's/,404,/,,/' rej3.csv >fixed.csv
	run -0 --separate-stderr loy-enroll fixed.csv
	[ "$(q "SELECT member_id || ':' || name || ':' || coalesce(attrs, '') FROM members")" = "1:Ann:" ]
	ledger_ok
}

@test "a file in UTF-16, as a spreadsheet saves Unicode text, is refused as UTF-16, not for a NUL byte" {
	new_ledger
	printf 'member_id\tname\n1\tAnn\n' | iconv -f UTF-8 -t UTF-16 >in.tsv
	before=$(dump)
	run -65 --separate-stderr loy-enroll --tsv in.tsv
	[ "$stderr" = "loy-enroll: in.tsv:1: header is UTF-16, not UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)" ]
	[ "$output" = "" ]
	[ "$(dump)" = "$before" ]
	# converted as it says, it reads
	iconv -f UTF-16 -t UTF-8 in.tsv >in8.tsv
	run -0 --separate-stderr loy-enroll --tsv in8.tsv
	[ "${lines[1]}" = "$(printf '2\t1\tcreated\t')" ]
	ledger_ok
}

@test "a number in a cell is its digits: a line break, CR or form feed before it inside the quotes is no white space to skip" {
	new_ledger
	loy-enroll "$EXAMPLES/members.csv" >/dev/null 2>&1
	loy-redeem --catalogue "$EXAMPLES/rewards.csv" >/dev/null 2>&1
	before=$(dump)
	printf 'member_id,points,reason,ref\n1001,"\n5",x,R1\n1001,"\r5",x,R2\n1001,\f5,x,R3\n1001,+5,x,R4\n' >adj.csv
	run -65 --separate-stderr loy-accrue --adjust adj.csv
	same "$stderr" <<'ERR'
loy-accrue: adj.csv:2: points '\n5' is not a whole number
loy-accrue: adj.csv:4: points '\r5' is not a whole number
loy-accrue: adj.csv:5: points '\x0c5' is not a whole number
loy-accrue: adj.csv: 4 rows, 1 credited, 0 debited, 0 duplicate, 3 rejected
loy-accrue: 3 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
ERR
	printf 'member_id,points,earned_at\n1002,"\n80",2026-01-01\n' >open.csv
	run -65 --separate-stderr loy-accrue --opening open.csv
	[ "${stderr_lines[0]}" = "loy-accrue: open.csv:2: points '\n80' is not a whole number" ]
	printf 'request_id,member_id,reward_id,qty\nW1,1001,COFFEE,"\n2"\n' >req.csv
	run -65 --separate-stderr loy-redeem req.csv
	[ "${stderr_lines[0]}" = "loy-redeem: req.csv:2: qty '\n2' is not a whole number" ]
	printf 'reward_id,name,points,stock\nTEA,Tea,"\n5",\nCAKE,Cake,5,"\r3"\n' >cat.csv
	run -65 --separate-stderr loy-redeem --catalogue cat.csv
	[ "${stderr_lines[0]}" = "loy-redeem: cat.csv:2: points '\n5' is not a whole number above zero" ]
	[ "${stderr_lines[1]}" = "loy-redeem: cat.csv:4: stock '\r3' is not a whole number (empty: unlimited)" ]
	[ "$(dump)" = "$before" ]
	# spaces and tabs around it are the cell's, and a sign is the number's
	printf 'member_id,points,reason,ref\n1001," +5\t",x,R4\n' >adj.csv
	run -0 --separate-stderr loy-accrue --adjust adj.csv
	[ "$(q "SELECT points FROM balances WHERE member_id = '1001'")" = 5 ]
	ledger_ok
}
