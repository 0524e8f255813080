#!/bin/sh
# bench/gen-ledger.sh DB [MEMBERS] [RECEIPTS]: a ledger for benchmarks, built
# directly with the sqlite3 shell (generate_series) instead of through the
# programs, so that a large one takes minutes, not hours.  It is a valid
# ledger (loy-check passes): loy-init makes the file, then one run record,
# MEMBERS members (default 1,000,000), RECEIPTS credited receipts (default
# 10,000,000) each with its earn entry in the journal and its lot, and the
# balances they add up to.
#
# Member i (member_id i zero-padded to 7 digits) enrolled between 2020 and
# 2024; every 10th was referred by member i/10.  Receipt j belongs to member
# j mod MEMBERS, so each member has RECEIPTS/MEMBERS of them, one in each
# 73-day stretch of the two years before GEN_END (default 2026-11-23); its
# amount is 1.00 to 100.99 and it earns 1 point a currency unit, rounded
# down, the default programme's rate.  Lots expire 24 months after earning.
# Nothing is spent or expired yet.
set -e
db=${1:?usage: gen-ledger.sh DB [MEMBERS] [RECEIPTS]}
members=${2:-1000000}
receipts=${3:-10000000}
end=${GEN_END:-2026-11-23}
rm -f "$db" "$db-wal" "$db-shm"
loy-init -d "$db" 2>/dev/null
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
BEGIN;
INSERT INTO runs(program, args, started_at, ended_at, rows_read, rows_changed, summary)
  VALUES ('gen-ledger.sh', 'bench/gen-ledger.sh $members $receipts',
          datetime('now'), datetime('now'), $receipts, $receipts, 'benchmark ledger');
CREATE TEMP TABLE g AS SELECT max(run_id) AS run, date('$end', '-730 days') AS start
  FROM runs;
INSERT INTO members(member_id, status, name, birthday, enrolled_at, referrer, tier,
    created_run, updated_run)
  SELECT printf('%07d', value), 'active', 'Member ' || value,
         date('1950-01-01', '+' || (value * 7919 % 18000) || ' days'),
         date('2020-01-01', '+' || (value % 1788) || ' days') || ' 09:00:00',
         CASE WHEN value % 10 = 0 THEN printf('%07d', value / 10) END,
         'Pearl', g.run, g.run
  FROM generate_series(1, $members), g;
DROP INDEX journal_member;
DROP INDEX lots_open;
CREATE TEMP TABLE r AS
  SELECT value AS j, printf('T%09d', value) AS txn,
         printf('%07d', (value - 1) % $members + 1) AS member,
         datetime(g.start, '+' || (((value - 1) / $members) * 73 +
           (((value - 1) % $members) * 31 + (value - 1) / $members * 17) % 73) || ' days',
           '+' || (8 + value % 12) || ' hours') AS at,
         100 + value * 37 % 10000 AS amount
  FROM generate_series(1, $receipts), g;
INSERT INTO journal(entry_id, member_id, kind, points, occurred_at, posted_at, run_id,
    source, ref)
  SELECT j, member, 'earn', amount / 100, at, at, g.run, 'receipt', txn FROM r, g;
INSERT INTO receipts(txn_id, member_id, occurred_at, store, channel, amount, lines, points,
    status, run_id, input_seq, entry_id, digest)
  SELECT txn, member, at, 'S' || (j % 50), 'pos', amount, 1, amount / 100, 'credited',
         g.run, 1, j, zeroblob(16)
  FROM r, g ORDER BY txn;
INSERT INTO lots(lot_id, member_id, entry_id, earned_at, expires_at, available_at, points,
    remaining)
  SELECT j, member, j, at, datetime(at, '+24 months'), NULL, amount / 100, amount / 100
  FROM r;
INSERT INTO balances(member_id, points, last_entry_id)
  SELECT member, sum(amount / 100), max(j) FROM r GROUP BY member ORDER BY member;
INSERT INTO run_inputs(run_id, seq, name, sha256, bytes, rows)
  SELECT g.run, 1, 'generated', '', 0, $receipts FROM g;
CREATE INDEX journal_member ON journal(member_id);
CREATE INDEX lots_open ON lots(member_id, expires_at) WHERE remaining > 0;
DROP TABLE r;
COMMIT;
PRAGMA journal_mode = WAL;
ANALYZE;
SQL
