# Generate redemption requests: awk -v n=100000 -f bench/gen-requests.awk ids.txt
# ids.txt holds member ids, one a line (members with points); each request
# asks for one COFFEE (1 point, unlimited), one in ten for FLASH (stock
# limited), requested_at rising through the night.  Deterministic (fixed seed).
{ m[NR] = $1 }
END {
	srand(11);
	if (!n) n = 100000;
	print "request_id,member_id,reward_id,qty,requested_at,channel";
	for (i = 1; i <= n; i++) {
		t = int(i * 21600 / (n + 1));
		printf "Q%07d,%s,%s,1,2026-11-23 %02d:%02d:%02d,web\n", i, m[int(rand() * NR) + 1],
		    rand() < 0.1 ? "FLASH" : "COFFEE", int(t / 3600), int(t / 60) % 60, t % 60;
	}
}
