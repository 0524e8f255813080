# Shared by the trust trials (tests/trials/*.sh) and tests/trust.bats:
# the canonical dump of a ledger and the generated data the trials use.
# bash.

# The books of ledger $1, in an order and a form that do not depend on how
# they were written: every table but the run records, each row without the
# columns that number rows or runs or stamp the wall clock (ids, run ids,
# posting and loading times, input line numbers) and without vouchers'
# random codes, sorted;
# then the journal's sums per member and kind and per source and reference,
# and the grand totals.
CANON_SKIP_TABLES=" runs run_inputs tier_runs sqlite_sequence sqlite_stat1 "
CANON_SKIP_COLUMNS=" run_id created_run updated_run loaded_run entry_id lot_id change_id assignment_id cancel_entry from_entry to_entry last_entry_id reverses posted_at loaded_at voucher input_seq "
canon() {
	local db=$1 t cols c n order sql=
	for t in $(sqlite3 -readonly "$db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
		case $CANON_SKIP_TABLES in *" $t "*) continue ;; esac
		cols= order= n=1
		for c in $(sqlite3 -readonly "$db" "SELECT name FROM pragma_table_info('$t')"); do
			case $CANON_SKIP_COLUMNS in *" $c "*) continue ;; esac
			n=$((n + 1))
			cols="$cols, quote(\"$c\")"
			order="$order${order:+, }$n"
		done
		sql="$sql SELECT '$t'$cols FROM \"$t\" ORDER BY $order;"
	done
	# a receipt's explanation (receipts.earn) names the input lines its
	# lines were on: where they came from, not what they are
	sqlite3 -batch -readonly "$db" <<SQL | sed -E 's/"line":[0-9]+,//g'
.mode list
.headers off
$sql
SELECT 'journal-member', member_id, kind, sum(points), count(*)
  FROM journal GROUP BY member_id, kind ORDER BY 2, 3;
SELECT 'journal-ref', source, ref, kind, sum(points), count(*)
  FROM journal GROUP BY source, ref, kind ORDER BY 2, 3, 4;
SELECT 'redemption-voucher', request_id, voucher IS NOT NULL FROM redemptions ORDER BY 2;
SELECT 'totals', (SELECT count(*) FROM journal), (SELECT total(points) FROM journal),
  (SELECT count(*) FROM lot_moves), (SELECT total(points) FROM lot_moves),
  (SELECT total(points) FROM balances), (SELECT total(remaining) FROM lots);
SQL
}

# Copy ledger $1 to $2 (no companions: a closed ledger has none).
ledger_copy() {
	rm -f "$2" "$2-wal" "$2-shm" "$2-journal"
	cp "$1" "$2"
	[ ! -f "$1-wal" ] || cp "$1-wal" "$2-wal"
}

# Members 1001..(1000+$1), with names, phones, e-mails and a card each.
gen_members() {
	awk -v n="$1" 'BEGIN {
		print "member_id,card,name,phone,email,birthday,store";
		for (i = 1; i <= n; i++)
			printf "%d,6%06d,\"Member %d, Jr.\",+4420%07d,m%d@example.org,19%02d-%02d-%02d,S%d\n",
			    1000 + i, i, i, i, i, 50 + i % 50, 1 + i % 12, 1 + i % 28, i % 5;
	}'
}

# $1 receipts of 1 to 4 lines for members 1001..(1000+$2) between
# 2026-10-01 and 2026-11-22, ids prefixed $3, 10 % anonymous, then 5 %
# returns of earlier ones (orig_txn set), seed $4.  A receipt's lines stay
# together.
gen_pos() {
	awk -v n="$1" -v members="$2" -v p="$3" -v seed="${4:-1}" 'BEGIN {
		srand(seed);
		print "txn_id,member_id,occurred_at,store,sku,category,qty,unit_price,channel,orig_txn";
		for (r = 1; r <= n; r++) {
			m = rand() < 0.1 ? "" : 1001 + int(rand() * members);
			d = int(rand() * 52);
			when = sprintf("2026-%02d-%02d %02d:%02d:00", d < 31 ? 10 : 11,
			    d < 31 ? d + 1 : d - 30, 8 + int(rand() * 12), int(rand() * 60));
			k = 1 + int(rand() * 4);
			for (i = 1; i <= k; i++)
				printf "%s%05d,%s,%s,\"Store %d, \"\"Main\"\"\",SKU-%03d,food,%d,%d.%02d,store,\n",
				    p, r, m, when, r % 7, int(rand() * 500), 1 + int(rand() * 3),
				    int(rand() * 40), int(rand() * 100);
			if (m != "") { nk++; km[nk] = m; kt[nk] = sprintf("%s%05d", p, r); kw[nk] = when; }
		}
		for (j = 1; j <= nk; j += 20)
			printf "%sR%05d,%s,%s,Store 1,SKU-001,food,-1,3.50,store,%s\n",
			    p, j, km[j], "2026-11-22 20:00:00", kt[j];
	}'
}
