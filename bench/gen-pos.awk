# Generate a day's POS file: awk -v n=1000000 -v members=100000 -f bench/gen-pos.awk
# About n/3.45 receipts of 1 to 6 lines, 80 % with a member (M0000001 ...,
# as bench/gen-members.awk makes them), store names with commas, quotes and
# CJK text, and 2 % returns of an earlier receipt's line (orig_txn set).
# Deterministic (fixed seed).
BEGIN {
	srand(7);
	if (!members) members = 100000;
	ns = split("Berlin Mitte|London, Soho|上海 南京路|Paris \"Opéra\"|東京 銀座|Madrid Sol|São Paulo, Centro|Zürich HB", store, "|");
	split("beverages,bakery,dairy,produce,household,wine,tobacco,fuel", cat, ",");
	print "txn_id,member_id,occurred_at,store,sku,category,qty,unit_price,channel,orig_txn";
	lines = 0; r = 0; kept = 0;
	while (lines < n) {
		r++;
		txn = sprintf("R%08d", r);
		t = int(r * 86000 / (n / 3.45 + 1));
		when = sprintf("2026-11-22 %02d:%02d:%02d", int(t / 3600) % 24, int(t / 60) % 60, t % 60);
		if (kept > 100 && rand() < 0.02) {
			# a return of one line of an earlier member receipt
			k = int(rand() * kept) + 1;
			printf "C%s,%s,%s,\"%s\",%s,%s,-1,%s,store,%s\n", txn, rm[k], when,
			    rs[k], rsku[k], rcat[k], rprice[k], rtxn[k];
			lines++;
			continue;
		}
		m = rand() < 0.8 ? sprintf("M%07d", int(rand() * members) + 1) : "";
		s = store[int(rand() * ns) + 1];
		gsub(/"/, "\"\"", s);
		ch = rand() < 0.7 ? "store" : "app";
		k = int(rand() * 6) + 1;
		for (i = 1; i <= k && lines < n; i++) {
			c = int(rand() * 8) + 1;
			sku = sprintf("%s-%04d", toupper(substr(cat[c], 1, 3)), int(rand() * 5000));
			price = sprintf("%d.%02d", int(rand() * 30), int(rand() * 100));
			qty = int(rand() * 3) + 1;
			printf "%s,%s,%s,\"%s\",%s,%s,%d,%s,%s,\n", txn, m, when, s, sku, cat[c], qty, price, ch;
			lines++;
			if (m != "" && i == 1 && kept < 5000) {
				kept++;
				rtxn[kept] = txn; rm[kept] = m; rs[kept] = s; rsku[kept] = sku;
				rcat[kept] = cat[c]; rprice[kept] = price;
			}
		}
	}
}
