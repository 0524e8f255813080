# The differential trial, one seed: random days of activity, run through
# loy day by day, and the books compared after each day with those of an
# independent model written from the man pages.
#
#   python3 tests/trials/differential.py BIN SEED WORK [DAYS]
#
# The model knows only what loy-accrue(1), loy-redeem(1), loy-expire(1),
# loy-init(1) and loy-ledger(5) say of the default programme, under
# settings drawn from the seed (expiry_months, return_window_days,
# earn_points and earn_amount): a receipt earns floor(total x earn_points
# / earn_amount) points, one lot expiring expiry_months later, pending for
# the return window (expiring no sooner than a day after it ends); a
# return takes back in proportion what its original earned, or at the
# current rate, no more than the balance, from its original's lots first
# (and the lots a cancel gave them back in), then soonest expiry first, a
# lot past its date last, and when the lots in date do not cover it, the
# member's lots past their date expire first, as an expiry run as of its
# day would; a duplicate changes nothing; a manual debit takes from the
# lots as a return does and is refused below zero; a redemption
# spends lots neither pending nor past their date, soonest expiry first; a
# cancel gives the points back in lots of the dates they had, and pays out
# of them first what the member's returns recorded after the redemption
# could not take back for a balance at zero (their unrecovered), oldest
# first, each an entry of the return's own from the cancel's lots; an expiry
# run as of a day takes what remains of the lots whose date has come.
#
# Each day, in this order, with LOY_NOW set: a POS file (sales of several
# lines, anonymous ones, returns of earlier sales in part or whole, more
# than is left of them, returns of receipts the ledger does not have, the
# receipts of an earlier day again), manual credits and debits (--adjust,
# with --rejects: some earlier rows again, some debits past the balance),
# redemption requests (some sent again), cancels, and expiry runs: as of
# each month's end (sometimes a few days late, catching up), as of today
# now and then.  After each day: loy-check, and the balances, lots, journal
# sums per member, kind and reference, receipts, redemptions and stock
# must be the model's.  Prints the first day that differs, what differs and
# how to replay it; exits 0 when every day agrees, 1 when one does not.
import csv
import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys

T = "%Y-%m-%d %H:%M:%S"


def ts(t):
    return None if t is None else t.strftime(T)


def add_months(t, n):
    """The same day of the month n months on, or the month's last day, at the
    same time of day."""
    m = t.month - 1 + n
    y, m = t.year + m // 12, m % 12 + 1
    last = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return t.replace(year=y, month=m, day=min(t.day, last))


def money(minor):
    s = "-" if minor < 0 else ""
    minor = abs(minor)
    return "%s%d.%02d" % (s, minor // 100, minor % 100)


class Lot:
    n = 0

    def __init__(self, member, points, earned, expires, avail, made, origin):
        Lot.n += 1
        self.id = Lot.n
        self.member, self.points, self.remaining = member, points, points
        self.earned, self.expires, self.avail = earned, expires, avail
        self.made = made            # when its entry happened
        self.origin = origin        # the purchase whose points it holds


class Model:
    def __init__(self, cfg, members):
        self.cfg = cfg
        self.members = list(members)
        self.balance = {m: 0 for m in members}
        self.lots = []
        self.journal = {}           # (member, kind, source, ref) -> [sum, count]
        self.receipts = {}          # txn -> dict
        self.adjust_refs = {}       # ref -> (member, points)
        self.rewards = {}           # id -> dict(points, stock, limit)
        self.redemptions = {}       # request -> dict
        self.early = {}             # orig -> returns that named it before it came
        self.run = 0                # the run being modelled, counted by the caller

    # -- points and lots --------------------------------------------------
    def entry(self, member, kind, points, source, ref, at):
        k = (member, kind, source, ref, ts(at))
        e = self.journal.setdefault(k, [0, 0])
        e[0] += points
        e[1] += 1
        self.balance[member] += points

    def lot_dates(self, earned, window_days):
        months = self.cfg["expiry_months"]
        avail = earned + dt.timedelta(days=window_days) if window_days else None
        if months == 0:
            return None, avail
        exp = add_months(earned, months)
        base = avail or earned
        if exp.date() <= base.date():
            exp = add_months(base + dt.timedelta(days=1), months)
        return exp, avail

    def new_lot(self, member, points, earned, window_days, made, origin):
        exp, avail = self.lot_dates(earned, window_days)
        return self.add_lot(Lot(member, points, earned, exp, avail, made, origin))

    def add_lot(self, lot):
        """A new lot, which repays what its member owes first: call it after
        the entry that made it."""
        self.lots.append(lot)
        owed = sum(l.remaining for l in self.lots if l.member == lot.member) \
            - self.balance[lot.member]
        lot.remaining -= max(0, min(lot.remaining, owed))
        return lot

    def take(self, member, points, at, first, own_lots=()):
        """Take points from the member's open lots as a return or a debit
        does: those of purchase `first` (or the lots own_lots) first,
        soonest expiry first, those that never expire after them, those
        past their date (at `at`) last."""
        day = at.date()

        def key(l):
            past = l.expires is not None and l.expires.date() <= day
            own = (first is not None and l.origin == first) or l in own_lots
            return (past, not own, l.expires is None, l.expires or at, l.id)
        for l in sorted((l for l in self.lots if l.member == member and l.remaining > 0), key=key):
            if points == 0:
                break
            t = min(points, l.remaining)
            l.remaining -= t
            points -= t
        assert points == 0 or self.cfg["allow_negative"], "took more than the lots hold"

    def due_first(self, member, points, at):
        """What a return or a debit of `points` at `at` expires first: the
        member's lots past their date at `at`, whenever they came (a cancel
        since), when those still in date hold fewer (loy-expire(1),
        Expiry)."""
        day = at.date()
        mine = [l for l in self.lots if l.member == member and l.remaining > 0]
        if points <= sum(l.remaining for l in mine
                         if l.expires is None or l.expires.date() > day):
            return []
        return [l for l in mine if l.expires is not None and l.expires.date() <= day]

    def expire_first(self, member, points, at, now):
        """Expire them, as loy-expire --as-of at's day would."""
        gone = self.due_first(member, points, at)
        p = sum(l.remaining for l in gone)
        for l in gone:
            l.remaining = 0
        if p:
            end = dt.datetime.combine(at.date(), dt.time(23, 59, 59))
            self.entry(member, "expire", -p, "expiry", at.date().isoformat(), min(end, now))

    def spendable(self, member, now):
        return sorted((l for l in self.lots if l.member == member and l.remaining > 0
                       and (l.avail is None or l.avail <= now)
                       and (l.expires is None or l.expires.date() > now.date())),
                      key=lambda l: (l.expires is None, l.expires or now, l.id))

    def rate(self, amount):
        return amount * self.cfg["earn_points"] // self.cfg["earn_amount"]

    # -- loy-accrue ---------------------------------------------------------
    def receipt(self, r, now):
        """r: txn, member ('' anonymous), at, lines [(amount)], orig."""
        txn = r["txn"]
        if txn in self.receipts:
            return                      # the same receipt again: a duplicate
        total = sum(r["amounts"])
        member = r["member"] or None
        orig = self.receipts.get(r["orig"]) if r["orig"] else None
        rec = dict(member=member, amount=total, points=0, returned_amount=0,
                   returned_points=0, at=r["at"], origin=None, unrecovered=0,
                   run=self.run)
        self.receipts[txn] = rec
        if total >= 0:
            if member is None:
                rec["status"] = "anonymous"
                return
            p = self.rate(total)
            w = self.cfg["return_window_days"]
            # a receipt that earns nothing makes no lot to wait for
            rec["status"] = "pending" if p > 0 and w and r["at"] + dt.timedelta(days=w) > now \
                else "credited"
            if p > 0:
                self.entry(member, "earn", p, "receipt", txn, r["at"])
                self.new_lot(member, p, r["at"], w, r["at"], txn)
                rec["points"] = p
            # returns of its member taken before it, which named it while
            # the ledger did not have it, count against it now, in the
            # order they were taken: the points they took stand, and what
            # they owed for its part and a balance at zero kept them from
            # taking they take now, at their time (its, when later)
            for t in self.early.pop(txn, []):
                ret = self.receipts[t]
                part = min(-ret["amount"], total - rec["returned_amount"])
                if ret["member"] != member or part <= 0:
                    continue
                ret["returned_amount"] = -part
                rec["returned_amount"] += part
                owed = min(self.rate(part), p - rec["returned_points"])
                rec["returned_points"] += owed
                short = owed + ret["points"]
                if short <= 0:
                    continue
                at = max(ret["at"], r["at"])
                self.expire_first(member, short, at, now)
                take = short if self.cfg["allow_negative"] \
                    else min(short, max(self.balance[member], 0))
                if take:
                    self.entry(member, "return", -take, "receipt", t, at)
                    self.take(member, take, at, txn)
                    ret["points"] -= take
                    ret["unrecovered"] = max(ret["unrecovered"] - take, 0)
            return
        rec["status"] = "returned"
        if member is None and orig is not None and orig["member"] is not None:
            member = rec["member"] = orig["member"]
        if member is None:
            rec["status"] = "anonymous"
            return
        back = -total
        first = None
        if orig is not None and orig["amount"] < 0:
            owed = self.rate(back)          # a return of a return
        elif orig is not None and orig["amount"] == 0:
            owed = 0
        elif orig is not None:
            left = orig["amount"] - orig["returned_amount"]
            kept = min(back, max(left, 0))
            upto = min(orig["returned_amount"] + back, orig["amount"])
            owed = max(0, orig["points"] * upto // orig["amount"] - orig["returned_points"])
            orig["returned_amount"] += kept
            orig["returned_points"] += owed
            rec["returned_amount"] = -kept
            first = r["orig"]
        else:
            owed = self.rate(back)
            if r["orig"]:
                self.early.setdefault(r["orig"], []).append(txn)
        if owed:
            self.expire_first(member, owed, r["at"], now)
        take = owed if self.cfg["allow_negative"] else min(owed, max(self.balance[member], 0))
        if take:
            self.entry(member, "return", -take, "receipt", txn, r["at"])
            self.take(member, take, r["at"], first)
            rec["points"] = -take
        # what a balance at zero kept it from taking stays owed
        rec["unrecovered"] = owed - take

    def adjust(self, member, points, ref, now):
        """'credited', 'debited', 'duplicate' or 'rejected'."""
        if ref in self.adjust_refs:
            return "duplicate" if self.adjust_refs[ref] == (member, points) else "rejected"
        due = sum(l.remaining for l in self.due_first(member, -points, now)) if points < 0 else 0
        if points < 0 and self.balance[member] - due + points < 0 \
                and not self.cfg["allow_negative"]:
            return "rejected"
        if points < 0:
            self.expire_first(member, -points, now, now)
        self.adjust_refs[ref] = (member, points)
        self.entry(member, "adjust", points, "adjustment", ref, now)
        if points > 0:
            self.new_lot(member, points, now, 0, now, None)
            return "credited"
        self.take(member, -points, now, None)
        return "debited"

    # -- loy-redeem ---------------------------------------------------------
    def redeem(self, req, member, reward, qty, at, now):
        if req in self.redemptions:
            return self.redemptions[req]["status"]
        rw = self.rewards[reward]
        d = dict(member=member, reward=reward, qty=qty, points=0, moves=[], run=self.run)
        self.redemptions[req] = d
        had = sum(x["qty"] for x in self.redemptions.values()
                  if x is not d and x["member"] == member and x["reward"] == reward
                  and x["status"] == "redeemed")
        need = rw["points"] * qty
        lots = self.spendable(member, now)
        if rw["limit"] is not None and had + qty > rw["limit"]:
            d["status"] = "refused"
        elif rw["stock"] is not None and rw["stock"] < qty:
            d["status"] = "refused"
        elif self.balance[member] < 0 or sum(l.remaining for l in lots) < need:
            d["status"] = "refused"
        else:
            d["status"] = "redeemed"
            d["points"] = need
            if rw["stock"] is not None:
                rw["stock"] -= qty
            self.entry(member, "redeem", -need, "redemption", req, at)
            left = need
            for l in lots:
                if left == 0:
                    break
                t = min(left, l.remaining)
                l.remaining -= t
                left -= t
                d["moves"].append((l, t))
        return d["status"]

    def cancel(self, req, now):
        d = self.redemptions[req]
        if d["status"] != "redeemed":
            return
        d["status"] = "cancelled"
        member = d["member"]
        self.entry(member, "cancel", d["points"], "redemption", req, now)
        back = []
        for l, t in sorted(d["moves"], key=lambda m: m[0].id):
            back.append(self.add_lot(Lot(member, t, l.earned, l.expires, l.avail, now,
                                         l.origin)))
        # the returns recorded after it, which a balance at zero kept from
        # taking back the points it spent, are paid first, oldest first
        credit = min(d["points"], self.balance[member])
        owing = sorted(((r["at"], r["run"], t) for t, r in self.receipts.items()
                        if r["member"] == member and r["amount"] < 0
                        and r["unrecovered"] > 0 and r["run"] > d["run"]))
        for at, _, t in owing:
            if credit <= 0:
                break
            ret = self.receipts[t]
            take = min(ret["unrecovered"], credit)
            when = max(at, now)
            self.entry(member, "return", -take, "receipt", t, when)
            self.take(member, take, when, None, back)
            ret["points"] -= take
            ret["unrecovered"] -= take
            credit -= take
        rw = self.rewards[d["reward"]]
        if rw["stock"] is not None:
            rw["stock"] += d["qty"]

    # -- loy-expire ---------------------------------------------------------
    def expire(self, as_of, now):
        end = dt.datetime.combine(as_of, dt.time(23, 59, 59))
        gone = {}
        for l in self.lots:
            if l.remaining > 0 and l.expires is not None and l.expires.date() <= as_of \
                    and l.made <= end:
                gone[l.member] = gone.get(l.member, 0) + l.remaining
                l.remaining = 0
        for m, p in gone.items():
            self.entry(m, "expire", -p, "expiry", as_of.isoformat(), min(end, now))
        return gone

    # -- the books, as compared ---------------------------------------------
    def books(self):
        b = {}
        b["balances"] = sorted((m, p) for m, p in self.balance.items() if p != 0)
        b["lots"] = sorted((l.member, ts(l.earned), ts(l.expires), ts(l.avail), l.points,
                            l.remaining) for l in self.lots)
        b["journal"] = sorted(k + (v[0], v[1])
                              for k, v in self.journal.items())
        b["receipts"] = sorted((t, r["member"], r["amount"], r["points"], r["status"],
                                r["returned_amount"], r["returned_points"], r["unrecovered"])
                               for t, r in self.receipts.items())
        b["redemptions"] = sorted((q, d["member"], d["reward"], d["qty"], d["status"],
                                   d["points"]) for q, d in self.redemptions.items())
        b["stock"] = sorted((k, r["stock"]) for k, r in self.rewards.items())
        return b


def ledger_books(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    q = lambda s: [tuple(r) for r in c.execute(s)]
    b = {}
    b["balances"] = sorted(q("SELECT member_id, points FROM balances WHERE points <> 0"))
    b["lots"] = sorted(q("SELECT member_id, earned_at, expires_at, available_at, points,"
                         " remaining FROM lots"))
    b["journal"] = sorted(q("SELECT member_id, kind, source, ref, occurred_at, sum(points),"
                            " count(*) FROM journal GROUP BY 1, 2, 3, 4, 5"))
    b["receipts"] = sorted(q("SELECT txn_id, member_id, amount, points, status,"
                             " returned_amount, returned_points, unrecovered FROM receipts"))
    b["redemptions"] = sorted(q("SELECT request_id, member_id, reward_id, qty, status,"
                                " points FROM redemptions"))
    b["stock"] = sorted(q("SELECT reward_id, stock FROM rewards"))
    c.close()
    return b


def diff(want, got):
    out = []
    for k in want:
        w, g = set(want[k]), set(got[k])
        if want[k] == got[k]:
            continue
        for x in sorted(w - g, key=repr)[:8]:
            out.append("  %s: model has %r" % (k, x))
        for x in sorted(g - w, key=repr)[:8]:
            out.append("  %s: loy has   %r" % (k, x))
        if w == g:
            out.append("  %s: the same rows, counted otherwise" % k)
    return out


# -- the generator -------------------------------------------------------
class Day:
    pass


def main():
    bin_, seed, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(seed)
    days = int(sys.argv[4]) if len(sys.argv) > 4 else rnd.randint(60, 150)
    ep, ea = rnd.choice([(1, "1"), (1, "1"), (3, "2"), (2, "0.50"), (1, "5"), (7, "3.25")])
    cfg = dict(expiry_months=rnd.choice([1, 1, 2, 3, 24]),
               return_window_days=rnd.choice([0, 0, 3, 10, 40]),
               earn_points=ep, earn_amount=int(round(float(ea) * 100)),
               allow_negative=rnd.random() < 0.25)
    nmem = rnd.randint(2, 7)
    members = [str(1001 + i) for i in range(nmem)]
    start = dt.datetime(2026, rnd.randint(1, 12), rnd.randint(1, 28))
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "l.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    env = dict(os.environ, LOY_DB=db, TZ="UTC", PATH=bin_ + os.pathsep + os.environ["PATH"])
    log = []

    def run(args, now, ok=(0,)):
        env["LOY_NOW"] = ts(now)
        p = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True)
        log.append("LOY_NOW='%s' %s  # exit %d" % (ts(now), " ".join(args), p.returncode))
        if p.returncode not in ok:
            raise Failure("%s exited %d: %s" % (" ".join(args), p.returncode,
                                                 p.stderr.strip()[:400]))
        return p

    def write(name, header, rows):
        with open(os.path.join(work, name), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return name

    setting = "seed %d: %d days from %s, %d members, expiry_months %d, return_window_days " \
        "%d, earn_points %d, earn_amount %s, allow_negative %s" % (
            seed, days, start.date(), nmem, cfg["expiry_months"], cfg["return_window_days"],
            ep, ea, "yes" if cfg["allow_negative"] else "no")
    model = Model(cfg, members)
    t0 = start.replace(hour=8)
    try:
        run(["loy-init", "--set", "expiry_months=%d" % cfg["expiry_months"],
             "--set", "return_window_days=%d" % cfg["return_window_days"],
             "--set", "earn_points=%d" % ep, "--set", "earn_amount=%s" % ea,
             "--set", "allow_negative=%s" % ("yes" if cfg["allow_negative"] else "no")], t0)
        write("members.csv", ["member_id", "name", "enrolled_at"],
              [[m, "Member %s" % m, ts(t0)] for m in members])
        run(["loy-enroll", "members.csv"], t0)
        rewards = [("COFFEE", "Coffee", rnd.choice([3, 5, 10]), None, None),
                   ("CINEMA", "Cinema", rnd.choice([20, 30]), rnd.randint(1, 6), 2),
                   ("BAG", "Bag", rnd.choice([60, 100]), None, None)]
        write("rewards.csv", ["reward_id", "name", "points", "stock", "per_member_limit"],
              [[r[0], r[1], r[2], "" if r[3] is None else r[3], "" if r[4] is None else r[4]]
               for r in rewards])
        run(["loy-redeem", "--catalogue", "rewards.csv"], t0)
        for r in rewards:
            model.rewards[r[0]] = dict(points=r[2], stock=r[3], limit=r[4])

        sales = []          # (txn, member, lines [(sku, qty, price, amount)])
        returned = {}       # (txn, line index) -> True
        sent = []           # rows of POS receipts sent, by receipt
        adj_sent = []
        req_sent = []
        redeemed = []
        nr = na = nq = 0
        pending_expiry = []
        late = []           # (day sent, rows, receipt): a store's file sent late

        for d in range(days):
            day = start + dt.timedelta(days=d)
            label = "day %d (%s)" % (d + 1, day.date())
            # -- the POS file ------------------------------------------------
            rows, recs = [], []
            earlier = len(sent)
            for _ in range(rnd.choice([0, 1, 2, 2, 3, 4])):
                nr += 1
                txn = "T%05d" % nr
                at = day.replace(hour=rnd.randint(8, 19), minute=rnd.randint(0, 59))
                kind = rnd.random()
                member = "" if rnd.random() < 0.1 else rnd.choice(members)
                lines, orig, held = [], "", 0
                if kind < 0.7 or not sales:
                    for i in range(rnd.randint(1, 4)):
                        if rnd.random() < 0.2:
                            qty = "%d.%03d" % (rnd.randint(0, 40), rnd.randint(1, 999))
                            price = "%d.%03d" % (rnd.randint(0, 3), rnd.randint(1, 999))
                        else:
                            qty = str(rnd.randint(1, 3))
                            price = "%d.%02d" % (rnd.randint(0, 30), rnd.randint(1, 99))
                        lines.append(("SKU-%03d" % rnd.randint(1, 50), qty, price))
                    if member:
                        sales.append((txn, member, lines))
                        # its file a few days late: returns may name it before
                        if rnd.random() < 0.12:
                            held = d + rnd.randint(1, 4)
                elif kind < 0.92:
                    # a return of an earlier sale, some of its lines
                    txn0, m0, l0 = rnd.choice(sales)
                    member = "" if rnd.random() < 0.2 else m0
                    orig = txn0
                    pick = [i for i in range(len(l0)) if rnd.random() < 0.6] or [0]
                    for i in pick:
                        if (txn0, i) in returned and rnd.random() < 0.7:
                            continue
                        returned[(txn0, i)] = True
                        sku, qty, price = l0[i]
                        lines.append((sku, "-" + qty, price))
                    if not lines:
                        nr -= 1
                        continue
                else:
                    # a return whose sale the ledger does not have
                    member = member or rnd.choice(members)
                    orig = "GONE-%d" % nr
                    lines.append(("SKU-%03d" % rnd.randint(1, 50), "-1",
                                  "%d.%02d" % (rnd.randint(0, 30), rnd.randint(1, 99))))
                r_rows = []
                amounts = []
                for i, (sku, qty, price) in enumerate(lines):
                    amount = line_amount(qty, price)
                    amounts.append(amount)
                    cell = money(amount) if rnd.random() < 0.3 else ""
                    r_rows.append([txn, member, ts(at), "S1", sku, qty, price, cell, orig])
                if rnd.random() < 0.3:
                    rnd.shuffle(r_rows)
                rec = dict(txn=txn, member=member, at=at, amounts=amounts, orig=orig)
                if held:
                    late.append((held, r_rows, rec))
                    continue
                rows.extend(r_rows)
                recs.append(rec)
                sent.append((r_rows, rec))
            for x in [x for x in late if x[0] == d]:
                late.remove(x)
                rows.extend(x[1])
                recs.append(x[2])
                sent.append((x[1], x[2]))
            # receipts of an earlier day again: duplicates (a receipt's
            # lines twice in one file would be lines of one receipt)
            again = set()
            for _ in range(rnd.choice([0, 0, 0, 1, 2])):
                if earlier:
                    k = rnd.randrange(earlier)
                    if k not in again:
                        again.add(k)
                        rows.extend(sent[k][0])
                        recs.append(sent[k][1])
            now = day.replace(hour=22)
            if rows:
                # interleave receipts' lines a little: they are gathered per file
                if rnd.random() < 0.2:
                    rnd.shuffle(rows)
                    seen, order = set(), []
                    for x in rows:
                        if x[0] not in seen:
                            seen.add(x[0])
                            order.append(x[0])
                    byid = {}
                    for rec in recs:
                        byid.setdefault(rec["txn"], rec)
                    recs = [byid[t] for t in order]
                else:
                    seen = set()
                    recs = [r for r in recs if not (r["txn"] in seen or seen.add(r["txn"]))]
                name = write("pos-%03d.csv" % d, ["txn_id", "member_id", "occurred_at", "store",
                                                   "sku", "qty", "unit_price", "amount",
                                                   "orig_txn"], rows)
                run(["loy-accrue", name], now)
                # settled in the order they first appear, but a return's
                # original later in the file is settled just before it
                infile = {rec["txn"]: rec for rec in recs}
                model.run += 1
                for rec in recs:
                    if rec["orig"] in infile:
                        model.receipt(infile[rec["orig"]], now)
                    model.receipt(rec, now)
            # -- manual credits and debits -----------------------------------
            if rnd.random() < 0.3:
                arows, exp = [], {}
                refs = set()
                for _ in range(rnd.randint(1, 3)):
                    if adj_sent and rnd.random() < 0.2:
                        row = rnd.choice(adj_sent)
                        if row[3] in refs:
                            continue
                    else:
                        na += 1
                        m = rnd.choice(members)
                        p = rnd.randint(1, 40) if rnd.random() < 0.5 else -rnd.randint(1, 60)
                        if cfg["allow_negative"] and rnd.random() < 0.3:
                            p = -rnd.randint(50, 400)
                        row = [m, str(p), "goodwill, ticket %d" % na, "CC-%d" % na]
                    refs.add(row[3])
                    arows.append(row)
                now = day.replace(hour=22, minute=10)
                name = write("adjust-%03d.csv" % d, ["member_id", "points", "reason", "ref"], arows)
                statuses = [model.adjust(r[0], int(r[1]), r[3], now) for r in arows]
                for r, s in zip(arows, statuses):
                    if s in ("credited", "debited"):
                        adj_sent.append(r)
                p = run(["loy-accrue", "--adjust", "--rejects", "rejects-%03d.csv" % d, name],
                        now, ok=(0, 1))
                got = [row["status"] for row in csv.DictReader(p.stdout.splitlines())]
                want = [s for s in statuses if s != "rejected"]
                if got != want or (p.returncode == 1) != ("rejected" in statuses):
                    raise Failure("%s: loy-accrue --adjust %s answered %s (exit %d), the model "
                                  "%s" % (label, name, got, p.returncode, statuses))
            # -- redemptions -------------------------------------------------
            if rnd.random() < 0.45:
                qrows = []
                ids = set()
                for _ in range(rnd.randint(1, 3)):
                    if req_sent and rnd.random() < 0.15:
                        row = rnd.choice(req_sent)
                        if row[0] in ids:
                            continue
                    else:
                        nq += 1
                        at = day.replace(hour=rnd.randint(8, 21), minute=rnd.randint(0, 59))
                        row = ["Q%d" % nq, rnd.choice(members),
                               rnd.choice(["COFFEE", "COFFEE", "CINEMA", "BAG"]),
                               str(rnd.choice([1, 1, 1, 2])), ts(at), "web"]
                        req_sent.append(row)
                    ids.add(row[0])
                    qrows.append(row)
                now = day.replace(hour=22, minute=20)
                name = write("req-%03d.csv" % d, ["request_id", "member_id", "reward_id", "qty",
                                                   "requested_at", "channel"], qrows)
                run(["loy-redeem", name], now)
                model.run += 1
                for r in qrows:
                    if model.redeem(r[0], r[1], r[2], int(r[3]),
                                    dt.datetime.strptime(r[4], T), now) == "redeemed" \
                            and r[0] not in redeemed:
                        redeemed.append(r[0])
            # -- cancels ------------------------------------------------------
            if redeemed and rnd.random() < 0.12:
                req = rnd.choice(redeemed)
                now = day.replace(hour=22, minute=30)
                run(["loy-redeem", "cancel", req], now)
                model.cancel(req, now)
            # -- expiry ---------------------------------------------------------
            now = day.replace(hour=23, minute=50)
            tomorrow = day + dt.timedelta(days=1)
            if tomorrow.month != day.month:
                pending_expiry.append(day.date())
            if pending_expiry and rnd.random() < 0.75:
                for as_of in pending_expiry:
                    run(["loy-expire", "--as-of", as_of.isoformat()], now)
                    model.expire(as_of, now)
                pending_expiry = []
            elif rnd.random() < 0.04:
                run(["loy-expire"], now)
                model.expire(day.date(), now)
            # -- the books --------------------------------------------------------
            run(["loy-check"], now)
            problems = diff(model.books(), ledger_books(db))
            if problems:
                raise Failure("%s: the books differ from the model's:\n%s" % (label, "\n".join(problems)))
    except Failure as e:
        print("differential: FAIL %s\n%s" % (setting, e))
        print("  the commands (in %s):\n    %s" % (work, "\n    ".join(log[-12:])))
        print("  replayed alone with: python3 %s %s %d %s%s" % (
            os.path.abspath(__file__), bin_, seed, work,
            " %s" % sys.argv[4] if len(sys.argv) > 4 else ""))
        return 1
    if os.environ.get("DIFFERENTIAL_VERBOSE"):
        b = model.books()
        print("differential: ok %s: %d receipts, %d lots, %d journal groups, %d requests" % (
            setting, len(b["receipts"]), len(b["lots"]), len(b["journal"]), len(b["redemptions"])))
    return 0


def line_amount(qty, price):
    """qty x unit_price in cents, rounded half away from zero, exactly."""
    def dec(s):
        neg = s.startswith("-")
        s = s.lstrip("-")
        whole, _, frac = s.partition(".")
        return (-1 if neg else 1) * int(whole + frac.ljust(9, "0"))  # 10^-9 units
    prod = dec(qty) * dec(price)            # 10^-18 units
    unit = 10 ** 16                         # one cent
    q, r = divmod(abs(prod), unit)
    if 2 * r >= unit:
        q += 1
    return q if prod >= 0 else -q


class Failure(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
