#!/bin/sh
# make demo: a fresh ledger in demo/, the sample members enrolled, the result shown.
set -e
bin=$(cd "${1:-build/bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$bin:$PATH"
export PATH
mkdir -p "$top/demo"
cd "$top/demo"
rm -f loyalty.db loyalty.db-wal loyalty.db-shm
export LOY_DB="$top/demo/loyalty.db"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step loy init
loy init
step loy enroll examples/members.csv
loy enroll --table "$top/examples/members.csv"
step "loy enroll examples/members.csv    # the same file again: nothing changes"
loy enroll "$top/examples/members.csv" | tail -n +2 | cut -d, -f3 | sort | uniq -c
step loy enroll duplicates
loy enroll --table duplicates
step loy enroll merge 1012 1001
loy enroll --table merge 1012 1001
step "loy program load --from 2026-11-01 examples/programme.conf    # the club's earning rules, tiers and expiry"
loy program --table load --from 2026-11-01 "$top/examples/programme.conf"
step "loy accrue examples/pos.csv    # the night's POS file: receipts into points"
loy accrue --table "$top/examples/pos.csv"
step "loy accrue examples/pos.csv    # the same file again: every receipt a duplicate"
loy accrue "$top/examples/pos.csv" | cut -d, -f1,6
step "loy accrue --adjust examples/adjustments.csv    # the call centre's corrections"
loy accrue --adjust --table "$top/examples/adjustments.csv"
step "loy accrue --opening examples/opening.csv    # balances carried over from the old system"
loy accrue --opening --table "$top/examples/opening.csv"
step "loy accrue --events examples/events.csv    # surveys, app installs, reviews: points within each event's limit"
loy accrue --events --table "$top/examples/events.csv"
step "loy accrue --explain member=1001    # every point of a member: its line, its rule, the programme version"
loy accrue --explain member=1001 --table
sed -e 's/^from = 2026-12-01/from = 2026-11-01/' -e 's/^to = 2026-12-31/to = 2026-11-30/' \
    "$top/examples/programme.conf" >"$top/demo/november-double.conf"
step "loy program what-if demo/november-double.conf --from 2026-11-01 --to 2026-11-30    # what double points in November would have cost"
loy program --table what-if --from 2026-11-01 --to 2026-11-30 "$top/demo/november-double.conf"
step "loy redeem --catalogue examples/rewards.csv    # the reward catalogue"
loy redeem --catalogue --table "$top/examples/rewards.csv"
step "loy redeem --codes examples/partner-codes.csv    # the cinema's ticket codes"
loy redeem --codes --table "$top/examples/partner-codes.csv"
step "loy redeem examples/redemptions.csv    # the morning's requests"
loy redeem --table "$top/examples/redemptions.csv"
step "loy redeem cancel W-1004    # a coffee voucher given back"
loy redeem --table cancel W-1004
step "loy redeem --catalogue examples/prize.csv; loy redeem --draw=demo-2026 examples/draw.csv    # a lucky draw for one prize"
loy redeem --catalogue "$top/examples/prize.csv" >/dev/null
loy redeem --table --draw=demo-2026 "$top/examples/draw.csv"
step "loy expire --notice 730    # points expiring in the next two years, for an SMS merge"
loy expire --notice 730 --table
step "loy expire    # the monthly run: the old system's points past their date leave"
loy expire --table
step "loy segment tiers --apply    # the nightly tier run: upgrades at once, downgrades at the review"
loy segment --table tiers --apply
step "loy segment --assign examples/status-match.csv tiers --apply    # a tier by hand, a floor until it expires"
loy segment --table --assign "$top/examples/status-match.csv" tiers --apply
step "loy segment value; loy segment lifecycle    # who is worth what, and where each member stands"
loy segment --table value
loy segment --table lifecycle
step "loy segment birthdays --with-contact    # this month's birthdays, for the greetings"
loy segment --table --with-contact birthdays
step "loy segment best 3 --save gala    # invite the best three, and keep who was invited"
loy segment --table --save gala best 3
step "loy segment referrers    # who brought the most members"
loy segment --table referrers
step loy enroll list
loy enroll --table list
step loy check
loy check && echo "ledger consistent: $LOY_DB"
step "loy report --table tiers    # members by tier"
loy report --table tiers
step "loy report --table earn-burn    # points earned and spent, by month"
loy report --table earn-burn
step "loy report --table liability    # what the outstanding points are worth, by expiry month"
loy report --table liability
step "loy report --table economics    # members' share of sales, what the points cost"
loy report --table economics
step "loy report --table statement 1003    # one member's statement"
loy report --table statement 1003
step "loy report html > demo/report.html    # all of it as one page, charts included"
loy report html >"$top/demo/report.html"
echo "the HTML report: $top/demo/report.html"
