/* The ledger's invariants, each one SQL query listing its violations (the
 * settings' query lists them, for judge_settings to judge). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ledger_int.h"
#include "programme.h"
#include "sha256.h"
#include "strmap.h"

/* chain(id, up): each merged member and every member it was merged into,
 * at any depth */
#define MERGE_CHAIN \
	"WITH RECURSIVE chain(id, up) AS (" \
	"  SELECT member_id, merged_into FROM members" \
	"   WHERE status = 'merged' AND merged_into IS NOT NULL" \
	"  UNION" \
	"  SELECT c.id, m.merged_into FROM chain c JOIN members m ON m.member_id = c.up" \
	"   WHERE m.status = 'merged' AND m.merged_into IS NOT NULL) "

/* Is member `to` member `from` or one it was merged into, at any depth? */
#define MERGED_UP(from, to) \
	"EXISTS (WITH RECURSIVE up(member_id) AS (SELECT " from " UNION" \
	"    SELECT m.merged_into FROM up JOIN members m USING (member_id)" \
	"     WHERE m.merged_into IS NOT NULL) SELECT 1 FROM up WHERE member_id = " to ")"

/* referrers-form-no-loop: rows of (member, next, merged), judged by
 * judge_loops */
#define REFERRER_LOOPS "referrers-form-no-loop"
/* settings-valid: rows of (key, value), judged by judge_settings */
#define SETTINGS_VALID "settings-valid"
/* programme-versions-parse: rows of (version, text), judged by judge_version */
#define VERSIONS_PARSE "programme-versions-parse"
/* programme-versions-match-checksum: rows of (version, sha256, text), judged by
 * judge_sha256 */
#define VERSIONS_CHECKSUM "programme-versions-match-checksum"

static const struct invariant {
	const char *name;
	const char *sql;	/* rows of (subject, detail) */
} invariants[] = {
	{ "balance-equals-journal",
	  "SELECT member_id, 'balance ' || coalesce(b.points, 0) || ', journal sum ' ||"
	  "       coalesce(j.points, 0)"
	  "  FROM (SELECT member_id, sum(points) AS points FROM journal GROUP BY member_id) j"
	  "  FULL JOIN balances b USING (member_id)"
	  " WHERE coalesce(b.points, 0) <> coalesce(j.points, 0)" },
	{ "lots-equal-balance",
	  "SELECT member_id, 'open lots ' || coalesce(o.points, 0) || ', balance ' ||"
	  "       coalesce(b.points, 0)"
	  "  FROM (SELECT member_id, sum(remaining) AS points FROM lots GROUP BY member_id) o"
	  "  FULL JOIN balances b USING (member_id)"
	  " WHERE coalesce(o.points, 0) <> max(coalesce(b.points, 0), 0)" },
	{ "lot-moves-equal-lots",
	  "SELECT 'lot ' || l.lot_id, 'created ' || l.points || ', remaining ' ||"
	  "       l.remaining || ', moves ' || coalesce(m.points, 0)"
	  "  FROM lots l LEFT JOIN (SELECT lot_id, sum(points) AS points FROM lot_moves"
	  "   GROUP BY lot_id) m USING (lot_id)"
	  " WHERE l.remaining <> l.points + coalesce(m.points, 0)" },
	{ "points-are-integers",
	  "SELECT 'entry ' || entry_id, 'points ' || quote(points) || ' stored as ' ||"
	  "       typeof(points) || ', not integer'"
	  "  FROM journal WHERE typeof(points) <> 'integer'"
	  " UNION ALL "
	  "SELECT 'lot ' || lot_id, 'points ' || quote(points) || ' stored as ' ||"
	  "       typeof(points) || ', not integer'"
	  "  FROM lots WHERE typeof(points) <> 'integer'"
	  " UNION ALL "
	  "SELECT 'lot ' || lot_id, 'remaining ' || quote(remaining) || ' stored as ' ||"
	  "       typeof(remaining) || ', not integer'"
	  "  FROM lots WHERE typeof(remaining) <> 'integer'"
	  " UNION ALL "
	  "SELECT member_id, 'balance ' || quote(points) || ' stored as ' ||"
	  "       typeof(points) || ', not integer'"
	  "  FROM balances WHERE typeof(points) <> 'integer'" },
	{ "stock-is-an-integer",
	  "SELECT 'reward ' || reward_id, 'stock ' || quote(stock) || ' stored as ' ||"
	  "       typeof(stock) || ', not integer'"
	  "  FROM rewards WHERE stock IS NOT NULL AND typeof(stock) <> 'integer'" },
	{ "receipt-credited-once",
	  "SELECT 'receipt ' || r.txn_id, 'points ' || r.points ||"
	  "       ', journal ' || coalesce(j.points, 0) ||"
	  "       CASE WHEN r.entry_id IS NOT j.first THEN ', entry ' ||"
	  "        coalesce(r.entry_id, 'none') || ', its first entry ' ||"
	  "        coalesce(j.first, 'none') ELSE '' END"
	  "  FROM receipts r LEFT JOIN (SELECT ref, sum(points) AS points,"
	  "   min(entry_id) AS first FROM journal"
	  "   WHERE source = 'receipt' GROUP BY ref) j ON j.ref = r.txn_id"
	  " WHERE r.points <> coalesce(j.points, 0) OR r.entry_id IS NOT j.first"
	  " UNION ALL "
	  "SELECT 'entry ' || entry_id, 'no receipt ' || quote(ref)"
	  "  FROM journal WHERE source = 'receipt'"
	  "   AND ref NOT IN (SELECT txn_id FROM receipts)" },
	{ "receipt-entry-same-member",
	  "SELECT 'receipt ' || r.txn_id, coalesce('member ''' || r.member_id || '''', 'no member') ||"
	  "       ', its entry ' || j.entry_id || ' of member ''' || j.member_id || ''''"
	  "  FROM receipts r JOIN journal j ON j.entry_id = r.entry_id"
	  " WHERE j.member_id IS NOT r.member_id" },
	{ "receipt-later-entries-same-member",
	  "SELECT 'receipt ' || coalesce(p.txn_id, r.txn_id),"
	  "       coalesce('member ''' || CASE WHEN p.txn_id IS NULL THEN r.member_id"
	  "        ELSE p.member_id END || '''', 'no member') ||"
	  "       ', its ' || CASE WHEN p.txn_id IS NULL THEN 'entry '"
	  "        ELSE 'return ' || r.txn_id || '''s entry ' END || j.entry_id ||"
	  "       ' of member ''' || j.member_id || '''' ||"
	  "       CASE WHEN p.txn_id IS NULL THEN '' ELSE ', neither merged into the other' END"
	  "  FROM journal j JOIN receipts r ON r.txn_id = j.ref"
	  "  LEFT JOIN receipts p ON p.txn_id = r.orig_txn AND r.amount < 0"
	  "   AND r.returned_amount <> 0 AND j.member_id IS NOT p.member_id"
	  "   AND NOT " MERGED_UP("p.member_id", "j.member_id")
	  "   AND NOT " MERGED_UP("j.member_id", "p.member_id")
	  " WHERE j.source = 'receipt'"
	  "   AND ((j.member_id IS NOT r.member_id AND j.entry_id IS NOT r.entry_id)"
	  "    OR p.txn_id IS NOT NULL)" },
	/* an exchange's return lines took x off its original and t points
	 * back (its earn's "returned" and [return]): it holds them as a
	 * return does, its purchase of its sales what came back */
	{ "receipt-returned-in-range",
	  "SELECT 'receipt ' || txn_id, 'amount ' || amount || ', returned_amount ' ||"
	  "       returned_amount || ', points ' || points || ', returned_points ' || returned_points"
	  "  FROM (SELECT *, " EXCHANGED("") " AS x, " EXCHANGED_POINTS("") " AS t"
	  "        FROM receipts)"
	  " WHERE returned_amount NOT BETWEEN min(amount, 0) - x AND max(amount, 0)"
	  "    OR returned_points NOT BETWEEN 0 AND max(points + t, 0)" },
	/* what a return could not take back, for a balance at zero, and
	 * still owes: a member's return's, without rules' points (earn) */
	{ "receipt-unrecovered-of-a-return",
	  "SELECT 'receipt ' || txn_id, 'unrecovered ' || unrecovered || ', ' ||"
	  "       CASE WHEN member_id IS NULL THEN 'no member'"
	  "        WHEN amount >= 0 THEN 'not a return' ELSE 'its earn holds its points' END"
	  "  FROM receipts WHERE unrecovered <> 0"
	  "   AND (member_id IS NULL OR amount >= 0 OR earn IS NOT NULL)" },
	{ "redemption-matches-journal",
	  "SELECT 'redemption ' || r.request_id, r.status || ' for ' || r.points ||"
	  "       ' points; journal: redeemed ' || coalesce(-j.redeemed, 0) ||"
	  "       ', cancelled ' || coalesce(j.cancelled, 0) ||"
	  "       CASE WHEN r.entry_id IS NOT j.redeem_entry"
	  "        OR r.cancel_entry IS NOT j.cancel_entry THEN '; entry ' ||"
	  "        coalesce(r.entry_id, 'none') || ' and cancel entry ' ||"
	  "        coalesce(r.cancel_entry, 'none') || ', its own ' ||"
	  "        coalesce(j.redeem_entry, 'none') || ' and ' ||"
	  "        coalesce(j.cancel_entry, 'none') ELSE '' END"
	  "  FROM redemptions r LEFT JOIN (SELECT ref,"
	  "   sum(points) FILTER (WHERE kind = 'redeem') AS redeemed,"
	  "   sum(points) FILTER (WHERE kind = 'cancel') AS cancelled,"
	  "   min(entry_id) FILTER (WHERE kind = 'redeem') AS redeem_entry,"
	  "   min(entry_id) FILTER (WHERE kind = 'cancel') AS cancel_entry"
	  "   FROM journal WHERE source = 'redemption' GROUP BY ref) j ON j.ref = r.request_id"
	  " WHERE coalesce(-j.redeemed, 0) <> CASE r.status WHEN 'refused' THEN 0 ELSE r.points END"
	  "    OR coalesce(j.cancelled, 0) <> CASE r.status WHEN 'cancelled' THEN r.points ELSE 0 END"
	  "    OR r.entry_id IS NOT j.redeem_entry OR r.cancel_entry IS NOT j.cancel_entry" },
	{ "redemption-entries-same-member",
	  "SELECT 'redemption ' || r.request_id, 'member ''' || r.member_id || ''', its ' ||"
	  "       j.kind || ' entry ' || j.entry_id || ' of member ''' || j.member_id || '''' ||"
	  "       CASE j.kind WHEN 'cancel' THEN ', into which it was not merged' ELSE '' END"
	  "  FROM journal j JOIN redemptions r ON r.request_id = j.ref"
	  " WHERE j.source = 'redemption' AND j.member_id IS NOT r.member_id"
	  "   AND (j.kind = 'redeem' OR (j.kind = 'cancel' AND NOT "
	  MERGED_UP("r.member_id", "j.member_id") "))" },
	{ "code-handed-out-once",
	  "SELECT 'code ' || c.code, 'handed out for ' || quote(c.request_id) ||"
	  "       ', not a redemption of ' || c.reward_id || ' with this code'"
	  "  FROM reward_codes c LEFT JOIN redemptions r ON r.request_id = c.request_id"
	  " WHERE c.request_id IS NOT NULL AND (r.request_id IS NULL"
	  "   OR r.reward_id <> c.reward_id OR r.status = 'refused'"
	  "   OR instr(' ' || r.voucher || ' ', ' ' || c.code || ' ') = 0)"
	  " UNION ALL "
	  "SELECT 'code ' || code, 'unknown reward ''' || reward_id || ''''"
	  "  FROM reward_codes WHERE reward_id NOT IN (SELECT reward_id FROM rewards)"
	  " UNION ALL "
	  "SELECT 'code ' || code, 'unknown run ' || loaded_run"
	  "  FROM reward_codes WHERE loaded_run NOT IN (SELECT run_id FROM runs)" },
	{ "transfer-matches-journal",
	  "SELECT 'transfer ' || t.transfer_id, t.status || ' ' || t.points ||"
	  "       ' points; journal: given ' || coalesce(-j.given, 0) ||"
	  "       ', received ' || coalesce(j.received, 0) ||"
	  "       CASE WHEN t.from_entry IS NOT j.given_entry"
	  "        OR t.to_entry IS NOT j.received_entry THEN '; entries ' ||"
	  "        coalesce(t.from_entry, 'none') || ' and ' ||"
	  "        coalesce(t.to_entry, 'none') || ', its own ' ||"
	  "        coalesce(j.given_entry, 'none') || ' and ' ||"
	  "        coalesce(j.received_entry, 'none') ELSE '' END"
	  "  FROM transfers t LEFT JOIN (SELECT ref,"
	  "   sum(points) FILTER (WHERE points < 0) AS given,"
	  "   sum(points) FILTER (WHERE points > 0) AS received,"
	  "   min(entry_id) FILTER (WHERE points < 0) AS given_entry,"
	  "   min(entry_id) FILTER (WHERE points > 0) AS received_entry"
	  "   FROM journal WHERE source = 'transfer' GROUP BY ref) j ON j.ref = t.transfer_id"
	  " WHERE coalesce(-j.given, 0) <> CASE t.status WHEN 'transferred' THEN t.points ELSE 0 END"
	  "    OR coalesce(j.received, 0) <> CASE t.status WHEN 'transferred' THEN t.points ELSE 0 END"
	  "    OR t.from_entry IS NOT j.given_entry OR t.to_entry IS NOT j.received_entry"
	  " UNION ALL "
	  "SELECT 'transfer ' || t.transfer_id, 'from ''' || t.from_member || ''' to ''' ||"
	  "       t.to_member || ''', but its entry ' || j.entry_id || CASE WHEN j.points < 0"
	  "        THEN ' takes ' || -j.points || ' points from ''' ELSE ' gives ' ||"
	  "        j.points || ' points to ''' END || j.member_id || ''''"
	  "  FROM journal j JOIN transfers t ON t.transfer_id = j.ref"
	  " WHERE j.source = 'transfer' AND j.member_id IS NOT"
	  "   CASE WHEN j.points < 0 THEN t.from_member ELSE t.to_member END"
	  " UNION ALL "
	  "SELECT 'entry ' || entry_id, 'no transfer ' || quote(ref)"
	  "  FROM journal WHERE source = 'transfer'"
	  "   AND ref NOT IN (SELECT transfer_id FROM transfers)" },
	{ "receipt-references-exist",
	  "SELECT 'receipt ' || txn_id, 'unknown member ''' || member_id || ''''"
	  "  FROM receipts WHERE member_id IS NOT NULL"
	  "   AND member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'receipt ' || txn_id, 'unknown run ' || run_id"
	  "  FROM receipts WHERE run_id NOT IN (SELECT run_id FROM runs)" },
	{ "journal-member-exists",
	  "SELECT 'entry ' || entry_id, 'unknown member ''' || member_id || ''''"
	  "  FROM journal WHERE member_id NOT IN (SELECT member_id FROM members)" },
	{ "journal-run-exists",
	  "SELECT 'entry ' || entry_id, 'unknown run ' || run_id"
	  "  FROM journal WHERE run_id NOT IN (SELECT run_id FROM runs)" },
	{ "journal-reverses-exists",
	  "SELECT 'entry ' || entry_id, 'reverses unknown entry ' || reverses"
	  "  FROM journal WHERE reverses IS NOT NULL"
	  "   AND reverses NOT IN (SELECT entry_id FROM journal)" },
	{ "reversal-fits-reversed",
	  MERGE_CHAIN
	  "SELECT 'entry ' || j.entry_id, CASE"
	  "  WHEN r.kind IS NOT j.kind OR r.source IS NOT j.source OR r.ref IS NOT j.ref"
	  "   THEN 'reverses entry ' || r.entry_id || ' (' || r.kind || ', ' ||"
	  "    coalesce(r.source, 'no source') || ' ' || coalesce(r.ref, '') || '), not of its own"
	  " kind, source and ref (' || j.kind || ', ' || coalesce(j.source, 'no source') || ' ' ||"
	  "    coalesce(j.ref, '') || ')'"
	  "  WHEN -j.points > r.points"
	  "   THEN 'takes back ' || -j.points || ' points of entry ' || r.entry_id ||"
	  "    '''s ' || r.points"
	  "  ELSE 'of member ''' || j.member_id || ''', reverses entry ' || r.entry_id ||"
	  "   ' of member ''' || r.member_id || ''', not merged into it' END"
	  "  FROM journal j JOIN journal r ON r.entry_id = j.reverses"
	  " WHERE r.kind IS NOT j.kind OR r.source IS NOT j.source OR r.ref IS NOT j.ref"
	  "    OR -j.points > r.points"
	  "    OR (r.member_id <> j.member_id AND NOT EXISTS (SELECT 1 FROM chain"
	  "        WHERE chain.id = r.member_id AND chain.up = j.member_id))" },
	{ "journal-source-fits-kind",
	  MERGE_CHAIN
	  "SELECT 'entry ' || entry_id, detail FROM (SELECT entry_id, CASE"
	  "  WHEN want IS NULL THEN 'unknown kind ' || quote(kind)"
	  "  WHEN source IS NOT want AND NOT (kind = 'bonus' AND source IS 'event')"
	  "   THEN 'kind ''' || kind || ''' from ' ||"
	  "    coalesce('source ''' || source || '''', 'no source') || ', not ''' || want || '''' ||"
	  "    CASE kind WHEN 'bonus' THEN ' or ''event''' ELSE '' END"
	  "  WHEN coalesce(ref, '') = '' THEN 'kind ''' || kind || ''' with no ref'"
	  "  ELSE CASE source"
	  "  WHEN 'redemption' THEN CASE WHEN ref NOT IN (SELECT request_id FROM redemptions)"
	  "   THEN 'no redemption ' || quote(ref) END"
	  "  WHEN 'opening' THEN CASE WHEN ref NOT IN (SELECT member_id FROM members)"
	  "   THEN 'opening balance of unknown member ' || quote(ref)"
	  "   WHEN ref <> member_id AND (SELECT status FROM members m"
	  "    WHERE m.member_id = ref) <> 'merged'"
	  "   THEN 'opening balance of member ' || quote(ref) || ', another member, not merged'"
	  "   WHEN ref <> member_id AND NOT EXISTS (SELECT 1 FROM chain c"
	  "    WHERE c.id = j.ref AND c.up = j.member_id)"
	  "   THEN 'opening balance of member ' || quote(ref) || ', merged into ' ||"
	  "    (SELECT quote(m.merged_into) FROM members m WHERE m.member_id = ref) ||"
	  "    ', not into this one' END"
	  "  WHEN 'merge' THEN CASE WHEN ref NOT IN (SELECT member_id FROM members)"
	  "   THEN 'merge with unknown member ' || quote(ref)"
	  "   WHEN NOT EXISTS (SELECT 1 FROM members a, members b"
	  "    WHERE a.member_id = j.member_id AND b.member_id = j.ref"
	  "     AND (a.merged_into = b.member_id OR b.merged_into = a.member_id))"
	  "   THEN 'merge with ' || quote(ref) || ', neither merged into the other' END"
	  "  WHEN 'expiry' THEN CASE WHEN date(ref, '+0 days') IS NOT ref"
	  "   THEN 'expiry as of ' || quote(ref) || ', not a date' END"
	  "  END END AS detail"
	  "  FROM (SELECT entry_id, member_id, kind, source, ref, CASE kind"
	  "    WHEN 'earn' THEN 'receipt' WHEN 'return' THEN 'receipt'"
	  "    WHEN 'adjust' THEN 'adjustment' WHEN 'opening' THEN 'opening'"
	  "    WHEN 'bonus' THEN 'rule' WHEN 'merge' THEN 'merge' WHEN 'expire' THEN 'expiry'"
	  "    WHEN 'redeem' THEN 'redemption' WHEN 'cancel' THEN 'redemption'"
	  "    WHEN 'transfer' THEN 'transfer' END AS want FROM journal) j)"
	  " WHERE detail IS NOT NULL" },
	{ "journal-sign-fits-kind",
	  "SELECT 'entry ' || entry_id, 'kind ''' || kind || '''' ||"
	  "       coalesce(' reversing entry ' || reverses, '') || ' of ' || points ||"
	  "       ' points, ' || want"
	  "  FROM (SELECT entry_id, kind, points, reverses, CASE"
	  "    WHEN kind IN ('earn', 'opening', 'cancel') OR (kind = 'bonus' AND reverses IS NULL)"
	  "    THEN CASE WHEN points <= 0 THEN 'not positive' END"
	  "    WHEN kind IN ('return', 'expire', 'redeem', 'bonus')"
	  "    THEN CASE WHEN points >= 0 THEN 'not negative' END"
	  "    WHEN kind IN ('adjust', 'merge', 'transfer')"
	  "    THEN CASE WHEN points = 0 THEN 'neither positive nor negative' END"
	  "    END AS want FROM journal)"
	  " WHERE want IS NOT NULL" },
	{ "merge-entries-pair",
	  "SELECT 'entry ' || o.entry_id, 'merge of ' || o.points || ' points out of ''' ||"
	  "       o.member_id || ''' into ''' || o.ref || ''', but entry ' || (o.entry_id + 1) ||"
	  "       ' is not ' || -o.points || ' into it'"
	  "  FROM journal o JOIN members m ON m.member_id = o.member_id"
	  " WHERE o.kind = 'merge' AND m.status = 'merged' AND m.merged_into = o.ref"
	  "   AND NOT EXISTS (SELECT 1 FROM journal i WHERE i.entry_id = o.entry_id + 1"
	  "   AND i.kind = 'merge' AND i.member_id = o.ref AND i.ref = o.member_id"
	  "   AND i.points = -o.points)"
	  " UNION ALL "
	  "SELECT 'entry ' || i.entry_id, 'merge of ' || i.points || ' points into ''' ||"
	  "       i.member_id || ''' from ''' || i.ref || ''', but no entry out of it'"
	  "  FROM journal i"
	  " WHERE i.kind = 'merge' AND NOT EXISTS (SELECT 1 FROM members m"
	  "   WHERE m.member_id = i.member_id AND m.status = 'merged' AND m.merged_into = i.ref)"
	  "   AND NOT EXISTS (SELECT 1 FROM journal o JOIN members m ON m.member_id = o.member_id"
	  "   WHERE o.entry_id = i.entry_id - 1 AND o.kind = 'merge' AND o.member_id = i.ref"
	  "   AND o.ref = i.member_id AND m.status = 'merged' AND m.merged_into = o.ref)" },
	{ "lot-references-exist",
	  "SELECT 'lot ' || lot_id, 'unknown member ''' || member_id || ''''"
	  "  FROM lots WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'lot ' || lot_id, 'unknown entry ' || entry_id"
	  "  FROM lots WHERE entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'lot ' || l.lot_id, 'of member ''' || l.member_id || ''', its entry ' ||"
	  "       j.entry_id || ' of member ''' || j.member_id || ''''"
	  "  FROM lots l JOIN journal j ON j.entry_id = l.entry_id"
	  " WHERE j.member_id <> l.member_id" },
	{ "lot-move-references-exist",
	  "SELECT 'entry ' || entry_id || ' lot ' || lot_id, 'unknown entry ' || entry_id"
	  "  FROM lot_moves WHERE entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'entry ' || entry_id || ' lot ' || lot_id, 'unknown lot ' || lot_id"
	  "  FROM lot_moves WHERE lot_id NOT IN (SELECT lot_id FROM lots)"
	  " UNION ALL "
	  "SELECT 'entry ' || m.entry_id || ' lot ' || m.lot_id, 'entry of member ''' ||"
	  "       j.member_id || ''', lot of member ''' || l.member_id || ''''"
	  "  FROM lot_moves m JOIN journal j ON j.entry_id = m.entry_id"
	  "  JOIN lots l ON l.lot_id = m.lot_id"
	  " WHERE j.member_id <> l.member_id" },
	{ "balance-member-exists",
	  "SELECT member_id, 'balance of an unknown member'"
	  "  FROM balances WHERE member_id NOT IN (SELECT member_id FROM members)" },
	{ "member-references-exist",
	  "WITH RECURSIVE walk(start, cur) AS ("
	  "  SELECT member_id, merged_into FROM members"
	  "   WHERE status = 'merged' AND merged_into IS NOT NULL"
	  "  UNION"
	  "  SELECT w.start, m.merged_into FROM walk w JOIN members m ON m.member_id = w.cur"
	  "   WHERE m.status = 'merged' AND m.merged_into IS NOT NULL) "
	  "SELECT member_id, 'unknown referrer ''' || referrer || ''''"
	  "  FROM members WHERE referrer IS NOT NULL"
	  "   AND referrer NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT member_id, 'its own referrer' FROM members WHERE referrer = member_id"
	  " UNION ALL "
	  "SELECT member_id, CASE WHEN merged_into IS NULL"
	  "       THEN 'status ''merged'' but merged into no member'"
	  "       ELSE CASE WHEN status <> 'merged' THEN 'status ''' || status || ''' but ' ELSE '' END ||"
	  "        CASE WHEN merged_into IN (SELECT member_id FROM members)"
	  "         THEN 'merged into ''' || merged_into || ''''"
	  "         ELSE 'merged into unknown member ''' || merged_into || '''' END END"
	  "  FROM members WHERE (status = 'merged') <> (merged_into IS NOT NULL)"
	  "   OR merged_into NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT member_id, 'status ''merged'' but merged at no time' FROM members"
	  " WHERE status = 'merged' AND merged_at IS NULL"
	  " UNION ALL "
	  "SELECT member_id, 'status ''' || status || ''' but ' ||"
	  "       substr(coalesce(', merged at ''' || merged_at || '''', '') ||"
	  "        coalesce(', merged by run ' || merged_run, '') ||"
	  "        coalesce(', survivor''s referrer ''' || into_referrer || '''', ''), 3)"
	  "  FROM members WHERE status <> 'merged'"
	  "   AND coalesce(merged_at, merged_run, into_referrer) IS NOT NULL"
	  " UNION ALL "
	  "SELECT member_id, 'created by unknown run ' || created_run FROM members"
	  " WHERE created_run NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT member_id, 'updated by unknown run ' || updated_run FROM members"
	  " WHERE updated_run NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT member_id, 'merged by unknown run ' || merged_run FROM members"
	  " WHERE merged_run NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT m.member_id, 'merged into ''' || m.merged_into || ''', and its merges form a loop'"
	  "  FROM walk w JOIN members m ON m.member_id = w.start WHERE w.cur = w.start" },
	{ REFERRER_LOOPS,
	  "SELECT member_id, " LEDGER_REFERRAL_STEP("") ","
	  "       status = 'merged'"
	  "  FROM members"
	  " WHERE " LEDGER_REFERRAL_STEP("") " IS NOT NULL"
	  " ORDER BY member_id" },
	{ "merged-member-holds-nothing",
	  "SELECT m.member_id, 'merged into ' || coalesce('''' || m.merged_into || '''', 'no member') ||"
	  "       ', but holds ' || substr(coalesce((SELECT ', card ' ||"
	  "        group_concat('''' || card || '''', ', card ') FROM cards c"
	  "        WHERE c.member_id = m.member_id), '') ||"
	  "       coalesce(', balance ' || nullif(b.points, 0), '') ||"
	  "       coalesce(', open lots ' || (SELECT sum(remaining) FROM lots o"
	  "        WHERE o.member_id = m.member_id AND o.remaining > 0), ''), 3)"
	  "  FROM members m LEFT JOIN balances b USING (member_id)"
	  " WHERE m.status = 'merged' AND (coalesce(b.points, 0) <> 0"
	  "   OR EXISTS (SELECT 1 FROM cards c WHERE c.member_id = m.member_id)"
	  "   OR EXISTS (SELECT 1 FROM lots o WHERE o.member_id = m.member_id AND o.remaining > 0))" },
	{ "card-references-exist",
	  "SELECT 'card ' || card, 'unknown member ''' || member_id || ''''"
	  "  FROM cards WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'card ' || card, 'unknown run ' || run_id"
	  "  FROM cards WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'card ' || card, 'replaced by unknown card ''' || replaced_by || ''''"
	  "  FROM cards WHERE replaced_by IS NOT NULL"
	  "   AND replaced_by NOT IN (SELECT card FROM cards)"
	  " UNION ALL "
	  "SELECT 'card ' || card, CASE WHEN replaced_by IS NULL"
	  "       THEN 'status ''replaced'' but replaced by no card'"
	  "       ELSE 'status ''' || status || ''' but replaced by card ''' || replaced_by || '''' END"
	  "  FROM cards WHERE (status = 'replaced') <> (replaced_by IS NOT NULL)"
	  " UNION ALL "
	  "SELECT 'card ' || c.card, CASE WHEN r.card = c.card THEN 'replaced by itself'"
	  "       ELSE 'of member ''' || c.member_id || ''', replaced by card ''' || r.card ||"
	  "        ''' of member ''' || r.member_id || '''' END"
	  "  FROM cards c JOIN cards r ON r.card = c.replaced_by"
	  " WHERE r.card = c.card OR r.member_id IS NOT c.member_id" },
	{ "attributes-are-an-object",
	  "SELECT member_id, 'attrs is not a JSON object'"
	  "  FROM members WHERE attrs IS NOT NULL"
	  "   AND (NOT json_valid(attrs) OR json_type(attrs) <> 'object')" },
	{ "phone-key-fits-phone",
	  "SELECT member_id, 'phone_key is not its phone as phones are compared'"
	  "  FROM members WHERE phone_key IS NOT "
	  LEDGER_PHONE_KEY_IN("phone", LEDGER_PHONE_COUNTRY) },
	{ "receipt-lines-add-up",
	  "SELECT 'receipt ' || r.txn_id, 'points ' || r.points || ', earn.points ' ||"
	  "       coalesce(r.earn ->> 'points', 'none') || ', its lines and rules ' || t.s"
	  "  FROM receipts r, (SELECT r2.txn_id AS txn_id,"
	  "   coalesce((SELECT sum(s.value) FROM json_each(r2.earn, '$.lines') l,"
	  "    json_each(l.value, '$[7]') s), 0) +"
	  "   coalesce((SELECT sum(value) FROM json_each(r2.earn, '$.receipt')), 0) AS s"
	  "   FROM receipts r2 WHERE r2.earn IS NOT NULL AND json_valid(r2.earn)) t"
	  " WHERE t.txn_id = r.txn_id AND (r.points <> t.s OR r.points IS NOT r.earn ->> 'points')"
	  " UNION ALL "
	  "SELECT 'receipt ' || txn_id, 'earn is not a JSON object' FROM receipts"
	  " WHERE earn IS NOT NULL AND (NOT json_valid(earn) OR json_type(earn) <> 'object')" },
	{ "award-matches-journal",
	  "SELECT 'award ' || a.award_id, a.rule || ' gave ' || a.points || ' to ' ||"
	  "       a.member_id || '; entry ' || coalesce(j.points || ' to ' || j.member_id, 'none')"
	  "  FROM rule_awards a LEFT JOIN journal j ON j.entry_id = a.entry_id"
	  " WHERE a.points <> 0 AND (j.entry_id IS NULL OR j.points <> a.points"
	  "   OR j.member_id <> a.member_id OR j.kind <> 'bonus' OR j.ref IS NOT a.rule)"
	  " UNION ALL "
	  "SELECT 'entry ' || entry_id, 'a rule''s bonus without its award'"
	  "  FROM journal WHERE source = 'rule'"
	  "   AND entry_id NOT IN (SELECT entry_id FROM rule_awards WHERE entry_id IS NOT NULL)"
	  " UNION ALL "
	  "SELECT 'award ' || award_id, 'unknown member ''' || member_id || ''''"
	  "  FROM rule_awards WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'award ' || award_id, 'unknown run ' || run_id"
	  "  FROM rule_awards WHERE run_id NOT IN (SELECT run_id FROM runs)" },
	{ "event-matches-journal",
	  "SELECT 'event ' || e.event_id, e.status || ' for ' || e.points ||"
	  "       ' points; journal ' || coalesce(j.points, 0)"
	  "  FROM events e LEFT JOIN (SELECT ref, sum(points) AS points FROM journal"
	  "   WHERE source = 'event' GROUP BY ref) j ON j.ref = e.event_id"
	  " WHERE coalesce(j.points, 0) <> e.points"
	  " UNION ALL "
	  "SELECT 'entry ' || entry_id, 'no event ' || quote(ref)"
	  "  FROM journal WHERE source = 'event'"
	  "   AND ref NOT IN (SELECT event_id FROM events)"
	  " UNION ALL "
	  "SELECT 'event ' || event_id, 'unknown member ''' || member_id || ''''"
	  "  FROM events WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'event ' || event_id, 'unknown run ' || run_id"
	  "  FROM events WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'event ' || e.event_id, 'member ''' || e.member_id || ''', its entry ' ||"
	  "       j.entry_id || ' of member ''' || j.member_id || ''''"
	  "  FROM events e JOIN journal j ON j.entry_id = e.entry_id"
	  " WHERE j.member_id <> e.member_id" },
	{ "run-inputs-run-exists",
	  "SELECT 'run ' || run_id, 'input ' || seq || ' of an unknown run'"
	  "  FROM run_inputs WHERE run_id NOT IN (SELECT run_id FROM runs)" },
	{ "run-ended",
	  "SELECT 'run ' || run_id, program || ' started ' || started_at || ', but never ended'"
	  "  FROM runs WHERE ended_at IS NULL" },
	{ "journal-append-only",
	  "SELECT 'trigger ' || t.name, 'missing'"
	  "  FROM (SELECT 'journal_no_update' AS name UNION ALL SELECT 'journal_no_delete') t"
	  " WHERE t.name NOT IN (SELECT name FROM sqlite_schema WHERE type = 'trigger')" },
	{ "programmes-append-only",
	  "SELECT 'trigger ' || t.name, 'missing'"
	  "  FROM (SELECT 'programmes_no_update' AS name UNION ALL SELECT 'programmes_no_delete') t"
	  " WHERE t.name NOT IN (SELECT name FROM sqlite_schema WHERE type = 'trigger')" },
	{ "tier-history-chains",
	  "SELECT h.member_id, 'tier ' || coalesce(m.tier, 'none') || ', last change to ' ||"
	  "       coalesce(h.to_tier, 'none')"
	  "  FROM tier_history h JOIN members m USING (member_id)"
	  " WHERE h.change_id = (SELECT max(change_id) FROM tier_history x"
	  "   WHERE x.member_id = h.member_id) AND h.to_tier IS NOT m.tier"
	  " UNION ALL "
	  "SELECT 'tier change ' || b.change_id, 'from ' || coalesce(b.from_tier, 'none') ||"
	  "       ', the change before it to ' || coalesce(a.to_tier, 'none')"
	  "  FROM tier_history b JOIN tier_history a ON a.member_id = b.member_id"
	  "   AND a.change_id = (SELECT max(change_id) FROM tier_history x"
	  "    WHERE x.member_id = b.member_id AND x.change_id < b.change_id)"
	  " WHERE a.to_tier IS NOT b.from_tier"
	  " UNION ALL "
	  "SELECT 'tier change ' || change_id, 'unknown member ''' || member_id || ''''"
	  "  FROM tier_history WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'tier change ' || change_id, 'unknown run ' || run_id"
	  "  FROM tier_history WHERE run_id NOT IN (SELECT run_id FROM runs)" },
	{ "segment-members-exist",
	  "SELECT 'segment ' || s.name, 'members ' || s.members || ', listed ' ||"
	  "       (SELECT count(*) FROM segment_members WHERE segment = s.name)"
	  "  FROM segments s WHERE s.members <>"
	  "   (SELECT count(*) FROM segment_members WHERE segment = s.name)"
	  " UNION ALL "
	  "SELECT 'segment ' || segment, 'lists member ''' || member_id || ''', but no such segment is saved'"
	  "  FROM segment_members WHERE segment NOT IN (SELECT name FROM segments)"
	  " UNION ALL "
	  "SELECT 'segment ' || segment, 'unknown member ''' || member_id || ''''"
	  "  FROM segment_members WHERE member_id NOT IN (SELECT member_id FROM members)" },
	{ "references-exist",
	  "SELECT member_id, 'unknown last entry ' || last_entry_id FROM balances"
	  " WHERE last_entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT b.member_id, 'last entry ' || j.entry_id || ' of member ''' || j.member_id || ''''"
	  "  FROM balances b JOIN journal j ON j.entry_id = b.last_entry_id"
	  " WHERE j.member_id <> b.member_id"
	  " UNION ALL "
	  "SELECT 'receipt ' || txn_id, 'unknown entry ' || entry_id FROM receipts"
	  " WHERE entry_id IS NOT NULL AND entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'redemption ' || request_id, 'unknown run ' || run_id FROM redemptions"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'redemption ' || request_id, 'unknown entry ' || entry_id FROM redemptions"
	  " WHERE entry_id IS NOT NULL AND entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'redemption ' || request_id, 'unknown cancel entry ' || cancel_entry FROM redemptions"
	  " WHERE cancel_entry IS NOT NULL AND cancel_entry NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'transfer ' || transfer_id, 'unknown run ' || run_id FROM transfers"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'transfer ' || transfer_id, 'unknown entry ' || from_entry || ' of the giver' FROM transfers"
	  " WHERE from_entry IS NOT NULL AND from_entry NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'transfer ' || transfer_id, 'unknown entry ' || to_entry || ' of the receiver' FROM transfers"
	  " WHERE to_entry IS NOT NULL AND to_entry NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'event ' || event_id, 'unknown entry ' || entry_id FROM events"
	  " WHERE entry_id IS NOT NULL AND entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'award ' || award_id, 'unknown entry ' || entry_id FROM rule_awards"
	  " WHERE entry_id IS NOT NULL AND entry_id NOT IN (SELECT entry_id FROM journal)"
	  " UNION ALL "
	  "SELECT 'reward ' || reward_id, 'unknown partner ''' || partner_id || '''' FROM rewards"
	  " WHERE partner_id IS NOT NULL AND partner_id NOT IN (SELECT partner_id FROM partners)"
	  " UNION ALL "
	  "SELECT 'reward ' || reward_id, 'unknown run ' || updated_run FROM rewards"
	  " WHERE updated_run NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'partner ' || partner_id, 'unknown run ' || updated_run FROM partners"
	  " WHERE updated_run NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'programme version ' || version, 'unknown run ' || run_id FROM programmes"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'segment ' || name, 'unknown run ' || run_id FROM segments"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'run ' || run_id, 'a tiers run''s date, of an unknown run' FROM tier_runs"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT 'tier assignment ' || assignment_id, 'unknown member ''' || member_id || '''' FROM tier_assignments"
	  " WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'tier assignment ' || assignment_id, 'unknown run ' || run_id FROM tier_assignments"
	  " WHERE run_id NOT IN (SELECT run_id FROM runs)"
	  " UNION ALL "
	  "SELECT member_id, 'earned tier of an unknown member' FROM tier_earned"
	  " WHERE member_id NOT IN (SELECT member_id FROM members)"
	  " UNION ALL "
	  "SELECT 'progress ' || rule || ' ' || period, 'unknown member ''' || member_id || '''' FROM rule_progress"
	  " WHERE member_id NOT IN (SELECT member_id FROM members)" },
	{ SETTINGS_VALID,
	  "SELECT key, value FROM settings ORDER BY key" },
	{ VERSIONS_PARSE,
	  "SELECT 'programme version ' || version, text FROM programmes ORDER BY version" },
	{ VERSIONS_CHECKSUM,
	  "SELECT 'programme version ' || version, sha256, text FROM programmes ORDER BY version" },
	{ "integrity",
	  "SELECT 'database', quick_check FROM pragma_quick_check"
	  " WHERE quick_check <> 'ok'" },
	{ NULL, NULL }
};

static const char *const check_cols[] = { "invariant", "subject", "detail" };

/* Is the error the ledger's own damage: a damaged file, or a table or
 * column dropped from it? */
static int
damaged(struct ledger *l)
{
	const char *msg = sqlite3_errmsg(l->db);

	return (sqlite3_extended_errcode(l->db) & 0xff) == SQLITE_CORRUPT ||
	    ((sqlite3_extended_errcode(l->db) & 0xff) == SQLITE_ERROR &&
	    (strncmp(msg, "no such table: ", 15) == 0 ||
	    strncmp(msg, "no such column: ", 16) == 0));
}

/* One violation of invariant `name`: a row of loy-check's output. */
static void
violation(ledger_row_fn fn, void *ctx, const char *name, const char *subject,
    const char *detail)
{
	const char *row[3] = { name, subject, detail };

	fn(ctx, 3, check_cols, row);
}

/* A damaged file, or a schema missing a table or column, is what the check
 * is for: the invariant it hides is a violation, and the others,
 * integrity's quick_check last, still run. */
static void
unchecked(struct ledger *l, ledger_row_fn fn, void *ctx, const char *name)
{
	char *detail = sqlite3_mprintf("cannot be checked: %s", sqlite3_errmsg(l->db));

	if (!detail)
		loy_die(71, "out of memory");
	violation(fn, ctx, name, "database", detail);
	sqlite3_free(detail);
}

struct judged {
	ledger_row_fn fn;
	void *ctx;
	char **set;		/* "KEY=VALUE" of the settings valid alone */
	int n, violations;
};

/* A violation of setting key (NULL: of the settings together). */
static void
setting_violation(struct judged *j, const char *key, const char *detail)
{
	char *subject = key ? sqlite3_mprintf("setting %s", key) : NULL;

	if (key && !subject)
		loy_die(71, "out of memory");
	j->violations++;
	violation(j->fn, j->ctx, SETTINGS_VALID, key ? subject : "settings", detail);
	sqlite3_free(subject);
}

/* A problem of the programme the settings make, laid at a setting's door. */
static void
programme_violation(void *ctx, int i, const char *what)
{
	struct judged *j = ctx;
	const char *eq = i >= 0 ? strchr(j->set[i], '=') : NULL;
	char *key, *detail;

	if (!eq) {
		setting_violation(j, NULL, what);
		return;
	}
	key = sqlite3_mprintf("%.*s", (int)(eq - j->set[i]), j->set[i]);
	detail = strpbrk(eq + 1, "\r\n") ? sqlite3_mprintf("%s: %s", key, what) :
	    sqlite3_mprintf("%s '%s': %s", key, eq + 1, what);
	if (!key || !detail)
		loy_die(71, "out of memory");
	setting_violation(j, key, detail);
	sqlite3_free(key);
	sqlite3_free(detail);
}

struct version_judged {
	ledger_row_fn fn;
	void *ctx;
	const char *subject;
	int violations;
};

static void
version_violation(void *ctx, int line, const char *what)
{
	struct version_judged *v = ctx;
	char *detail = line > 0 ? sqlite3_mprintf("line %d: %s", line, what) :
	    sqlite3_mprintf("%s", what);

	if (!detail)
		loy_die(71, "out of memory");
	v->violations++;
	violation(v->fn, v->ctx, VERSIONS_PARSE, v->subject, detail);
	sqlite3_free(detail);
}

/*
 * programme-versions-parse: a stored programme version the programs could
 * not read (programme_parse_stored) stops every one of them ("a stored
 * programme version does not parse"); each of its faults is one violation.
 */
static int
judge_version(ledger_row_fn fn, void *ctx, const char *subject, const char *text, int len)
{
	struct version_judged v = { fn, ctx, subject, 0 };

	programme_check_stored(text ? text : "", text ? (size_t)len : 0, version_violation, &v);
	return v.violations;
}

/*
 * programme-versions-match-checksum: each version's text is the one stored,
 * whose SHA-256 loy-init or loy-program load kept beside it; 1 when it is
 * not.
 */
static int
judge_sha256(ledger_row_fn fn, void *ctx, const char *subject, const char *sha,
    const void *text, int len)
{
	struct sha256 c;
	char hex[65], *detail;

	sha256_init(&c);
	sha256_update(&c, text ? text : "", text ? (size_t)len : 0);
	sha256_final(&c, hex);
	if (sha && strcmp(sha, hex) == 0)
		return 0;
	if (!(detail = sqlite3_mprintf("sha256 %s, but its text's is %s",
	    sha ? sha : "none", hex)))
		loy_die(71, "out of memory");
	violation(fn, ctx, VERSIONS_CHECKSUM, subject, detail);
	sqlite3_free(detail);
	return 1;
}

/* The members' next steps along the chains of referrers, as loy-enroll
 * follows them: each member's referrer, a merged member's survivor. */
struct chains {
	struct strmap *num;	/* member id: its row's number + 1 */
	char **id, **next;
	unsigned char *merged;
	size_t n, cap;
};

static void
chains_add(struct chains *c, const char *id, const char *next, int merged)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->id = loy_xrealloc(c->id, c->cap * sizeof(*c->id));
		c->next = loy_xrealloc(c->next, c->cap * sizeof(*c->next));
		c->merged = loy_xrealloc(c->merged, c->cap);
	}
	if (!c->num)
		c->num = strmap_new();
	c->id[c->n] = loy_xstrdup(id ? id : "");
	c->next[c->n] = loy_xstrdup(next ? next : "");
	c->merged[c->n] = merged != 0;
	*strmap_slot(c->num, c->id[c->n], strlen(c->id[c->n]), NULL) =
	    (void *)(uintptr_t)(c->n + 1);
	c->n++;
}

/* One loop, from its row `first` round to it again: a violation, unless a
 * member names itself (member-references-exist says so) or every step is
 * a merge (a loop of merges, member-references-exist's too). */
static int
loop_violation(ledger_row_fn fn, void *ctx, const struct chains *c, const size_t *to,
    size_t first)
{
	char *detail = NULL, *more;
	size_t k = first, len = 0;
	int referred = 0;

	do {
		referred |= !c->merged[k];
		len++;
		k = to[k];
	} while (k != first);
	if (!referred || len == 1)
		return 0;
	do {
		more = sqlite3_mprintf("%s%s'%s' %s '%s'", detail ? detail : "",
		    detail ? ", " : "referrers form a loop: ", c->id[k],
		    c->merged[k] ? "merged into" : "referred by", c->next[k]);
		if (!more)
			loy_die(71, "out of memory");
		sqlite3_free(detail);
		detail = more;
		k = to[k];
	} while (k != first);
	violation(fn, ctx, REFERRER_LOOPS, c->id[first], detail);
	sqlite3_free(detail);
	return 1;
}

/*
 * referrers-form-no-loop: followed from referrer to referrer, a merged
 * member to its survivor, no chain comes back to where it was; each loop
 * is one violation, said once, from its member that sorts first, when
 * every row was read (done).  The violations found.
 */
static int
judge_loops(ledger_row_fn fn, void *ctx, struct chains *c, int done)
{
	size_t *to = loy_xmalloc((c->n + 1) * sizeof(*to)), *seen;
	int violations = 0;

	seen = calloc(c->n + 1, sizeof(*seen));
	if (!seen)
		loy_die(71, "out of memory");
	for (size_t i = 0; i < c->n; i++) {
		uintptr_t got = (uintptr_t)strmap_get(c->num, c->next[i], strlen(c->next[i]));

		to[i] = got ? got - 1 : c->n;	/* c->n: the chain ends */
	}
	/* each walk marks the rows it passes with its start; one that meets
	 * its own mark went round a loop, which no earlier walk found */
	for (size_t i = 0; done && i < c->n; i++) {
		size_t j = i;

		while (j < c->n && !seen[j]) {
			seen[j] = i + 1;
			j = to[j];
		}
		if (j < c->n && seen[j] == i + 1) {
			size_t first = j;

			for (size_t k = to[j]; k != j; k = to[k])
				if (k < first)
					first = k;
			violations += loop_violation(fn, ctx, c, to, first);
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		free(c->id[i]);
		free(c->next[i]);
	}
	free(c->id);
	free(c->next);
	free(c->merged);
	if (c->num)
		strmap_free(c->num);
	free(to);
	free(seen);
	return violations;
}

/*
 * settings-valid: each setting held to what loy-init --set and a programme
 * file take, then those valid alone to the programme they make together,
 * as loy-init checks its --set; both as the programs read what a ledger
 * holds (ledger_setting_stored_valid, programme_check_settings stored):
 * what passed when it was stored passes.  A setting changed by hand that
 * the programs would refuse, or read otherwise than the manual says, is
 * found here.
 */
static void
judge_setting(struct judged *j, const char *key, const char *value)
{
	char why[512];

	if (strcmp(key, LEDGER_NEXT_MEMBER_ID) == 0)
		return;	/* a counter, read as 1 when it is no number */
	if (ledger_setting_stored_valid(key, value, why, sizeof(why)) < 0) {
		setting_violation(j, key, why);
		return;
	}
	j->set = loy_xrealloc(j->set, (j->n + 1) * sizeof(char *));
	j->set[j->n] = loy_xmalloc(strlen(key) + strlen(value) + 2);
	sprintf(j->set[j->n], "%s=%s", key, value);
	j->n++;
}

/* The programme the settings make, when every one was read (done); the
 * violations found. */
static int
judge_settings(struct judged *j, int done)
{
	if (done)
		programme_check_settings(j->set, j->n, 1, programme_violation, j);
	for (int i = 0; i < j->n; i++)
		free(j->set[i]);
	free(j->set);
	return j->violations;
}

int
ledger_check(struct ledger *l, ledger_row_fn fn, void *ctx,
    void (*step)(void *ctx, const char *name, int i, int n))
{
	const int n = sizeof(invariants) / sizeof(invariants[0]) - 1;
	int violations = 0;

	fn(ctx, 3, check_cols, NULL);
	for (const struct invariant *inv = invariants; inv->name; inv++) {
		struct judged judged = { fn, ctx, NULL, 0, 0 };
		int settings = strcmp(inv->name, SETTINGS_VALID) == 0;
		int versions = strcmp(inv->name, VERSIONS_PARSE) == 0;
		int sha = strcmp(inv->name, VERSIONS_CHECKSUM) == 0;
		int loops = strcmp(inv->name, REFERRER_LOOPS) == 0;
		struct chains chains = { 0 };
		sqlite3_stmt *st;
		int rc;

		if (step)
			step(ctx, inv->name, (int)(inv - invariants) + 1, n);
		if (sqlite3_prepare_v2(l->db, inv->sql, -1, &st, NULL) != SQLITE_OK) {
			if (!damaged(l))
				return ledger_fail(l, inv->name);
			violations++;
			unchecked(l, fn, ctx, inv->name);
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *subject = (const char *)sqlite3_column_text(st, 0);
			const char *detail = (const char *)sqlite3_column_text(st, 1);

			if (settings) {
				judge_setting(&judged, subject, detail ? detail : "");
				continue;
			}
			if (loops) {
				chains_add(&chains, subject, detail, sqlite3_column_int(st, 2));
				continue;
			}
			if (versions) {
				violations += judge_version(fn, ctx, subject, detail,
				    sqlite3_column_bytes(st, 1));
				continue;
			}
			if (sha) {
				const void *text = sqlite3_column_blob(st, 2);

				violations += judge_sha256(fn, ctx, subject, detail, text,
				    sqlite3_column_bytes(st, 2));
				continue;
			}
			violations++;
			violation(fn, ctx, inv->name, subject, detail);
		}
		sqlite3_finalize(st);
		if (settings)
			violations += judge_settings(&judged, rc == SQLITE_DONE);
		if (loops)
			violations += judge_loops(fn, ctx, &chains, rc == SQLITE_DONE);
		if (rc != SQLITE_DONE && damaged(l)) {
			violations++;
			unchecked(l, fn, ctx, inv->name);
		} else if (rc != SQLITE_DONE)
			return ledger_fail(l, inv->name);
	}
	return violations;
}
