# Generate N members as loy-enroll CSV: awk -v n=1000000 -f bench/gen-members.awk
# Deterministic (fixed seed); names with commas, quotes and CJK text; a
# referrer for every tenth member; two attribute columns.
BEGIN {
	srand(42);
	split("Anna,Chidi,王芳,Marie,Jun,Lars,Priya,Carlos,Sofia,Tom,Lena,Ömer,Zoë,José", first, ",");
	split("Schmidt,Okafor,Dubois,Tanaka,Nilsson,Raman,Méndez,Rossi,Baker,Petrova,李,O'Neil", last, ",");
	split("Berlin Mitte|London, Soho|上海 南京路|Paris \"Opéra\"|東京 銀座|Madrid", store, "|");
	split("store,web,app", chan, ",");
	print "member_id,card,name,phone,email,birthday,enrolled_at,referrer,store,channel,language,newsletter";
	for (i = 1; i <= n; i++) {
		id = sprintf("M%07d", i);
		name = first[int(rand() * 14) + 1] " " last[int(rand() * 12) + 1];
		if (i % 7 == 0)
			name = last[int(rand() * 12) + 1] ", " first[int(rand() * 14) + 1];
		st = store[int(rand() * 6) + 1];
		gsub(/"/, "\"\"", st);
		ref = (i % 10 == 0 && i > 10) ? sprintf("M%07d", int(rand() * (i - 1)) + 1) : "";
		printf "%s,%d,\"%s\",+49 30 %07d,m%d@example.org,%04d-%02d-%02d,%04d-%02d-%02d,%s,\"%s\",%s,%s,%s\n",
		    id, 60000000 + i, name, i, i,
		    1940 + int(rand() * 65), int(rand() * 12) + 1, int(rand() * 28) + 1,
		    2015 + int(rand() * 10), int(rand() * 12) + 1, int(rand() * 28) + 1,
		    ref, st, chan[int(rand() * 3) + 1], (rand() < 0.5 ? "en" : "de"),
		    (rand() < 0.3 ? "yes" : "no");
	}
}
