#!/usr/bin/env bats
# loy-segment: tiers recalculated day by day (upgrade at once, downgrade at
# the review with soft landing and grace, assignments as a floor), value
# classes, RFM, lapse by each member's own rhythm, lifecycle, lists and
# named segments.  Every figure below is worked out by hand from the
# purchases the test makes.

load helper

TIERS="member_id,old_tier,new_tier,measure,threshold,reason,effective"

# A ledger whose programme has tiers Silver (0), Gold (100.00) and Platinum
# (300.00) by spend over a rolling 12 months, reviewed every 1 July; extra
# args are sed expressions applied to the programme file first.
tiered() {
	new_ledger
	cat >prog.conf <<'EOF'
[programme]
programme = Test Club
currency = EUR
decimals = 2

[tiers]
measure = spend
window = rolling
months = 12
review = annual
review_date = 07-01
grace_days = 0
soft_landing = no

[tier Silver]
threshold = 0

[tier Gold]
threshold = 100

[tier Platinum]
threshold = 300
EOF
	for e in "$@"; do
		sed -i "$e" prog.conf
	done
	loy-program load --from 2020-01-01 prog.conf >/dev/null 2>&1
}

# Members (member_id,enrolled_at) as arguments "ID:DATE".
members() {
	{
		echo member_id,name,phone,email,enrolled_at
		for m in "$@"; do
			echo "${m%%:*},Name ${m%%:*},,${m%%:*}@example.org,${m#*:}"
		done
	} >members.csv
	loy-enroll members.csv >/dev/null 2>&1
}

# Purchases "MEMBER DATE AMOUNT" on standard input.  Receipt numbers
# run on across the calls of one test (buy.n), so no two receipts share
# one.
buy() {
	local n=0 m d a
	[ -f buy.n ] && n=$(cat buy.n)
	{
		echo txn_id,member_id,occurred_at,amount
		while read -r m d a; do
			n=$((n + 1))
			echo "T$n,$m,$d 10:00:00,$a"
		done
	} >buy.csv
	echo "$n" >buy.n
	loy-accrue buy.csv >/dev/null 2>&1
}

history() {
	q "SELECT member_id || ':' || coalesce(from_tier, '') || '>' || coalesce(to_tier, '') ||
	   ':' || reason || ':' || effective FROM tier_history
	   ORDER BY effective, member_id, change_id"
}

@test "an option that does not go with the sub-command is a usage error (64) before any ledger is opened" {
	# no ledger at all: the usage error comes first, not 66
	run -64 --separate-stderr loy-segment -d none.db -n best 10
	[ "$stderr" = "loy-segment: best writes nothing: it takes no -n (only with --save)" ]
	run -64 --separate-stderr loy-segment -d none.db --apply value
	[ "$stderr" = "loy-segment: --apply and --assign are for tiers" ]
	run -64 --separate-stderr loy-segment -d none.db --save 'bad name' rfm
	[ "${stderr:0:38}" = "loy-segment: segment name 'bad name' m" ]
	[ ! -e none.db ]
	run -66 --separate-stderr loy-segment -d none.db best 10
}

@test "a member who qualifies is upgraded on that day, not before" {
	tiered
	members A:2024-01-01 B:2024-01-01
	buy <<EOF
A 2026-03-01 60.00
A 2026-03-05 50.00
B 2026-03-05 99.99
EOF
	run -0 --separate-stderr loy-segment --as-of 2026-03-04 tiers --apply
	[ "$output" = "$TIERS" ]
	# 60.00 + 50.00 = 110.00 >= Gold's 100.00; B's 99.99 is not
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,110.00,100.00,qualified,2026-03-05
OUT
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Gold
B:Silver" ]
	[ "$(history)" = "A:Silver>Gold:qualified:2026-03-05" ]
	ledger_ok
}

@test "a member whose purchases came before the enrolment moves up on the enrolment day, not on a day before it" {
	tiered
	# an export read newest first enrols A at a later purchase than its
	# first: the 1 March purchase lies before A's enrolment on 10 March
	members A:2026-03-10 B:2026-01-01
	buy <<EOF
A 2026-03-01 150.00
B 2026-03-01 150.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers
	same "$output" <<OUT
$TIERS
B,Silver,Gold,150.00,100.00,qualified,2026-03-05
OUT
	loy-segment --as-of 2026-02-28 tiers --apply >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-03-12 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,150.00,100.00,qualified,2026-03-10
B,Silver,Gold,150.00,100.00,qualified,2026-03-01
OUT
	[ "$(q "SELECT count(*) FROM tier_history h JOIN members m USING (member_id)
	        WHERE h.effective < substr(m.enrolled_at, 1, 10)")" = 0 ]
	ledger_ok
}

@test "without --apply nothing changes; a second run on the same date changes nothing" {
	tiered
	members A:2024-01-01
	echo "A 2026-03-05 350.00" | buy
	before=$(dump)
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers
	same "$output" <<OUT
$TIERS
A,Silver,Platinum,350.00,300.00,qualified,2026-03-05
OUT
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers --apply
	[ "${lines[1]}" = "A,Silver,Platinum,350.00,300.00,qualified,2026-03-05" ]
	tiers=$(people)
	hist=$(history)
	before=$(dump | grep -v '^INSERT INTO runs')
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers --apply
	[ "$output" = "$TIERS" ]
	[ "$stderr" = "loy-segment: tiers as of 2026-03-05 were applied by an earlier run: nothing to recalculate, nothing recorded" ]
	[ "$(people)" = "$tiers" ]
	[ "$(history)" = "$hist" ]
	# not even the date again: the last applied run is still the one with changes
	[ "$(dump | grep -v '^INSERT INTO runs')" = "$before" ]
	[ "$(sqlite3 "$LOY_DB" "SELECT count(*) FROM tier_history WHERE run_id = (SELECT max(run_id) FROM tier_runs)")" = 1 ]
	ledger_ok
}

@test "a downgrade waits for the review date, and spending points does not cost the tier" {
	tiered
	members A:2024-01-01
	echo "A 2025-03-01 350.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2025-03-01 tiers --apply
	[ "${lines[1]}" = "A,Silver,Platinum,350.00,300.00,qualified,2025-03-01" ]
	# the points are spent: the balance is not the measure
	q "INSERT INTO runs(program, args, started_at) VALUES ('test', 'spend', '2025-03-02')"
	q "INSERT INTO journal(member_id, kind, points, occurred_at, posted_at, run_id)
	   VALUES ('A', 'adjust', -350, '2025-03-02 10:00:00', '2025-03-02 10:00:00',
	   (SELECT max(run_id) FROM runs))"
	# the review of 2025-07-01 judges 2024-07-01 .. 2025-06-30: 350.00, kept
	run -0 --separate-stderr loy-segment --as-of 2025-07-01 tiers --apply
	[ "$output" = "$TIERS" ]
	# by 2026-06-30 the purchase has left the window, but no review yet
	run -0 --separate-stderr loy-segment --as-of 2026-06-30 tiers --apply
	[ "$output" = "$TIERS" ]
	# the review of 2026-07-01 judges 2025-07-01 .. 2026-06-30: nothing
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,0.00,0.00,review,2026-07-01
OUT
	[ "$(q "SELECT tier FROM members WHERE member_id = 'A'")" = Silver ]
}

@test "a review whose window holds only a return lands on the lowest tier, not on none" {
	tiered
	members A:2024-01-01
	echo "A 2025-03-01 350.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2025-03-01 tiers --apply
	# a return of a receipt the ledger does not know, at the current rate
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-03-01 10:00:00,-40.00,NOPE\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	# the review of 2026-07-01 judges 2025-07-01 .. 2026-06-30: -40.00
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,-40.00,0.00,review,2026-07-01
OUT
	[ "$(q "SELECT tier FROM members WHERE member_id = 'A'")" = Silver ]
	ledger_ok
}

@test "a member whose tier a new version no longer has lands on its lowest tier, not on none, when the measure reaches no threshold" {
	tiered
	members A:2024-01-01 B:2024-01-01
	echo "B 2026-03-01 150.00" | buy
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-03-01 10:00:00,-40.00,NOPE\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers --apply
	# from 1 April Silver is Bronze, loaded ahead, applied or not
	sed -i 's/^\[tier Silver\]$/[tier Bronze]/' prog.conf
	loy-program load --from 2026-04-01 prog.conf >/dev/null 2>&1
	cp "$LOY_DB" ahead.db
	for apply in no yes; do
		cp ahead.db "$LOY_DB"
		[ "$apply" = no ] || LOY_NOW="2026-04-01 00:05:00" run -0 --separate-stderr loy-program apply
		LOY_NOW="2026-04-03 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-04-02 tiers --apply
		same "$output" <<OUT
$TIERS
A,Silver,Bronze,-40.00,0.00,qualified,2026-04-01
OUT
		[ "$(q "SELECT member_id || ':' || quote(tier) FROM members ORDER BY 1")" = "A:'Bronze'
B:'Gold'" ]
		ledger_ok
	done
}

@test "a tier a new version renames only in case keeps its members, in the new spelling, until the review" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	echo "B 2025-05-01 150.00" | buy
	echo "C 2026-05-01 20.00" | buy
	printf 'member_id,tier,until,reason\nC,Gold,2026-12-31,VIP gift\n' >assign.csv
	run -0 --separate-stderr loy-segment --as-of 2025-05-01 tiers --apply
	run -0 --separate-stderr loy-segment --as-of 2026-05-31 --assign assign.csv tiers --apply
	# from 1 June Gold is GOLD; B's spend of May 2025 has left the window,
	# but B keeps the tier until the review of 1 July, C the assigned one
	sed -i 's/^\[tier Gold\]$/[tier GOLD]/' prog.conf
	loy-program load --from 2026-06-01 prog.conf >/dev/null 2>&1
	LOY_NOW="2026-06-03 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-06-02 tiers --apply
	same "$output" <<OUT
$TIERS
B,Gold,GOLD,0.00,100.00,renamed,2026-06-01
C,Gold,GOLD,20.00,100.00,renamed,2026-06-01
OUT
	[ "$(q "SELECT member_id || ':' || coalesce(tier, '') FROM members ORDER BY 1")" = "A:Silver
B:GOLD
C:GOLD" ]
	ledger_ok
	LOY_NOW="2026-07-02 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,GOLD,Silver,0.00,0.00,review,2026-07-01
OUT
	same "$(history)" <<OUT
B:Silver>Gold:qualified:2025-05-01
C:Silver>Gold:assigned:2026-05-31
B:Gold>GOLD:renamed:2026-06-01
C:Gold>GOLD:renamed:2026-06-01
B:GOLD>Silver:review:2026-07-01
OUT
	ledger_ok
}

@test "a member enrolled in the lowest tier of a version loaded ahead keeps it on the days before that version" {
	tiered
	members A:2024-01-01
	echo "A 2026-11-20 150.00" | buy
	LOY_NOW="2026-11-30 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-11-29 tiers --apply
	# from 1 December the lowest tier is Bronze
	sed -i 's/^\[tier Silver\]$/[tier Bronze]/' prog.conf
	loy-program load --from 2026-12-01 prog.conf >/dev/null 2>&1
	# the night after 30 November: B bought that evening, enrolled by the
	# import in the lowest tier of the version in force, and C just
	# enrolled; then tiers as of 30 November
	printf 'txn_id,member_id,occurred_at,amount\nT9,B,2026-11-30 18:00:00,20.00\n' >pos.csv
	LOY_NOW="2026-12-01 00:30:00" run -0 --separate-stderr loy-accrue --auto-enroll pos.csv
	printf 'member_id,name\nC,Name C\n' >c.csv
	LOY_NOW="2026-12-01 00:40:00" run -0 --separate-stderr loy-enroll c.csv
	[ "$(q "SELECT group_concat(member_id || ':' || tier, ' ') FROM members")" = "A:Gold B:Bronze C:Bronze" ]
	LOY_NOW="2026-12-01 01:00:00" run -0 --separate-stderr loy-segment --as-of 2026-11-30 tiers --apply
	same "$output" <<OUT
$TIERS
OUT
	LOY_NOW="2026-12-02 01:00:00" run -0 --separate-stderr loy-segment --as-of 2026-12-01 tiers --apply
	same "$output" <<OUT
$TIERS
OUT
	[ "$(q "SELECT group_concat(member_id || ':' || tier, ' ') FROM members")" = "A:Gold B:Bronze C:Bronze" ]
	[ "$(history)" = "A:Silver>Gold:qualified:2026-11-29" ]
	ledger_ok
}

@test "a member enrolled in the lowest tier of a version loaded ahead, spelt otherwise, keeps that spelling on the days before" {
	tiered
	members A:2024-01-01
	LOY_NOW="2026-11-30 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-11-29 tiers --apply
	# from 1 December the lowest tier is SILVER
	sed -i 's/^\[tier Silver\]$/[tier SILVER]/' prog.conf
	loy-program load --from 2026-12-01 prog.conf >/dev/null 2>&1
	printf 'member_id,name\nC,Name C\n' >c.csv
	LOY_NOW="2026-12-01 00:40:00" run -0 --separate-stderr loy-enroll c.csv
	LOY_NOW="2026-12-01 01:00:00" run -0 --separate-stderr loy-segment --as-of 2026-11-30 tiers --apply
	same "$output" <<OUT
$TIERS
OUT
	LOY_NOW="2026-12-02 01:00:00" run -0 --separate-stderr loy-segment --as-of 2026-12-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,SILVER,0.00,0.00,renamed,2026-12-01
OUT
	[ "$(q "SELECT group_concat(member_id || ':' || tier, ' ') FROM members")" = "A:SILVER C:SILVER" ]
	[ "$(history)" = "A:Silver>SILVER:renamed:2026-12-01" ]
	ledger_ok
}

@test "a run catching up over a version that renames the lowest tier and one that names it back moves members there and back" {
	tiered
	members A:2024-01-01
	LOY_NOW="2026-11-30 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-11-29 tiers --apply
	sed -i 's/^\[tier Silver\]$/[tier Bronze]/' prog.conf
	loy-program load --from 2026-12-01 prog.conf >/dev/null 2>&1
	sed -i 's/^\[tier Bronze\]$/[tier Silver]/' prog.conf
	loy-program load --from 2026-12-05 prog.conf >/dev/null 2>&1
	# as nightly runs would have
	LOY_NOW="2026-12-06 01:00:00" run -0 --separate-stderr loy-segment --as-of 2026-12-05 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Bronze,0.00,0.00,qualified,2026-12-01
A,Bronze,Silver,0.00,0.00,qualified,2026-12-05
OUT
	[ "$(q "SELECT tier FROM members")" = Silver ]
	ledger_ok
}

@test "soft landing drops one tier at a review" {
	tiered 's/soft_landing = no/soft_landing = yes/'
	members A:2024-01-01
	echo "A 2025-03-01 350.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2025-03-01 tiers --apply
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Gold,0.00,100.00,soft-landing,2026-07-01
OUT
	[ "$(history)" = "A:Silver>Platinum:qualified:2025-03-01
A:Platinum>Gold:soft-landing:2026-07-01" ]
}

@test "a grace period delays the downgrade, and a purchase in it counts" {
	tiered 's/grace_days = 0/grace_days = 30/'
	members A:2024-01-01 B:2024-01-01
	buy <<EOF
A 2025-03-01 350.00
B 2025-03-01 350.00
B 2026-07-15 120.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2025-03-01 tiers --apply
	[ "${#lines[@]}" = 3 ]
	# the review is 2026-07-01; its downgrades land 30 days later
	run -0 --separate-stderr loy-segment --as-of 2026-07-30 tiers --apply
	[ "$output" = "$TIERS" ]
	# A had nothing in the window; B's 120.00 of 2026-07-15 keeps Gold
	run -0 --separate-stderr loy-segment --as-of 2026-07-31 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,0.00,0.00,review,2026-07-31
B,Platinum,Gold,120.00,100.00,review,2026-07-31
OUT
}

@test "a review lands once, on its own version's grace period, when a version with another grace period takes effect before the landing" {
	# soft landing; the review of 2026-07-01 lands on that day (no grace),
	# and a version of 2026-07-15 gives 30 days of grace
	tiered 's/soft_landing = no/soft_landing = yes/'
	members A:2024-01-01
	buy <<EOF
A 2025-06-01 350.00
A 2025-09-01 50.00
EOF
	sed 's/grace_days = 0/grace_days = 30/' prog.conf >graced.conf
	loy-program load --from 2026-07-15 graced.conf >/dev/null 2>&1
	loy-segment --as-of 2025-06-01 tiers --apply >/dev/null 2>&1
	# one tier down at the review, not a second at 2026-07-31 as if the
	# review of 2026-07-01 had had the new version's grace period
	run -0 --separate-stderr loy-segment --as-of 2026-08-15 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Gold,50.00,100.00,soft-landing,2026-07-01
OUT
	ledger_ok
	# the other way round: 30 days of grace at the review, none from
	# 2026-07-15 on: the review still lands, 30 days after it
	export LOY_DB="$BATS_TEST_TMPDIR/second.db"
	rm -f buy.n
	tiered 's/grace_days = 0/grace_days = 30/'
	members A:2024-01-01
	buy <<EOF
A 2025-06-01 350.00
A 2025-09-01 50.00
EOF
	sed -i 's/grace_days = 30/grace_days = 0/' prog.conf
	loy-program load --from 2026-07-15 prog.conf >/dev/null 2>&1
	loy-segment --as-of 2025-06-01 tiers --apply >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-08-15 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,50.00,0.00,review,2026-07-31
OUT
	ledger_ok
}

@test "ten reviews of anniversaries land on one day, each after the grace period of its own version, when ten versions give ten grace periods" {
	# versions from 1, 3, ..., 19 July 2026 with 40, 38, ..., 22 days of
	# grace: the anniversaries on those days all land on 10 August
	tiered 's/review = annual/review = anniversary/'
	members M0:2024-07-01 M1:2024-07-03 M2:2024-07-05 M3:2024-07-07 M4:2024-07-09 \
	    M5:2024-07-11 M6:2024-07-13 M7:2024-07-15 M8:2024-07-17 M9:2024-07-19
	for k in 0 1 2 3 4 5 6 7 8 9; do
		echo "M$k 2025-06-01 350.00"
	done | buy
	loy-segment --as-of 2025-06-01 tiers --apply >/dev/null 2>&1
	for k in 0 1 2 3 4 5 6 7 8 9; do
		sed "s/grace_days = 0/grace_days = $((40 - 2 * k))/" prog.conf >v$k.conf
		loy-program load --from "2026-07-$(printf %02d $((1 + 2 * k)))" v$k.conf >/dev/null 2>&1
	done
	# not M0 and M1 left in Platinum, as if no more than eight reviews
	# could land on a day
	run -0 --separate-stderr loy-segment --as-of 2026-08-20 tiers --apply
	same "$output" <<OUT
$TIERS
M0,Platinum,Silver,0.00,0.00,review,2026-08-10
M1,Platinum,Silver,0.00,0.00,review,2026-08-10
M2,Platinum,Silver,0.00,0.00,review,2026-08-10
M3,Platinum,Silver,0.00,0.00,review,2026-08-10
M4,Platinum,Silver,0.00,0.00,review,2026-08-10
M5,Platinum,Silver,0.00,0.00,review,2026-08-10
M6,Platinum,Silver,0.00,0.00,review,2026-08-10
M7,Platinum,Silver,0.00,0.00,review,2026-08-10
M8,Platinum,Silver,0.00,0.00,review,2026-08-10
M9,Platinum,Silver,0.00,0.00,review,2026-08-10
OUT
	ledger_ok
}

@test "a tier earned in the grace period holds at the landing, as one earned after it does, though a return has taken the measure below it since" {
	tiered 's/grace_days = 0/grace_days = 30/'
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	# A and B buy 120.00 (Gold) and return 30.00 of it ten days later: A
	# between the review of 1 July and its landing on 31 July, B after;
	# C qualified for Gold on 5 July, and is left with 95.00 by 31 July
	buy <<EOF
A 2026-07-10 120.00
B 2026-08-10 120.00
C 2026-07-05 100.00
EOF
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-07-20 10:00:00,-30.00,T1\nR2,B,2026-08-20 10:00:00,-30.00,T2\nR3,C,2026-07-31 09:00:00,-5.00,T3\n' >ret.csv
	loy-accrue ret.csv >/dev/null 2>&1
	cp "$LOY_DB" catchup.db
	for d in 2026-06-30 2026-07-01 2026-07-10 2026-07-20 2026-07-30 2026-07-31 2026-08-10 2026-08-31; do
		run -0 --separate-stderr loy-segment --as-of $d tiers --apply
	done
	same "$(history)" <<'EOF'
C:Silver>Gold:qualified:2026-07-05
A:Silver>Gold:qualified:2026-07-10
B:Silver>Gold:qualified:2026-08-10
EOF
	[ "$(q "SELECT group_concat(member_id || ':' || tier, ' ') FROM members")" = "A:Gold B:Gold C:Gold" ]
	ledger_ok
	# one run catching up over the same days ends the same
	LOY_DB=catchup.db
	run -0 --separate-stderr loy-segment --as-of 2026-06-30 tiers --apply
	run -0 --separate-stderr loy-segment --as-of 2026-08-31 tiers --apply
	same "$(history)" <<'EOF'
C:Silver>Gold:qualified:2026-07-05
A:Silver>Gold:qualified:2026-07-10
B:Silver>Gold:qualified:2026-08-10
EOF
	ledger_ok
}

@test "a tier earned in the grace period holds at the landing though a version since has raised its threshold, as one earned after the landing does" {
	tiered 's/grace_days = 0/grace_days = 30/'
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	# from 10 July Gold takes 150.00: A reached Gold's 100.00 on 5 July,
	# in the grace period, under the version in force then; C, Platinum,
	# drops at the landing to the Gold it reached on 5 July; B spends as
	# much after, under the new version: no Gold
	sed -i 's/threshold = 100/threshold = 150/' prog.conf
	loy-program load --from 2026-07-10 prog.conf >/dev/null 2>&1
	buy <<EOF
C 2025-06-01 400.00
A 2026-07-05 120.00
C 2026-07-05 120.00
B 2026-08-05 120.00
EOF
	cp "$LOY_DB" catchup.db
	run -0 --separate-stderr loy-segment --as-of 2025-06-01 tiers --apply
	run -0 --separate-stderr loy-segment --as-of 2026-06-30 tiers --apply
	for d in 2026-07-01 2026-07-05 2026-07-10 2026-07-30; do
		run -0 --separate-stderr loy-segment --as-of $d tiers --apply
	done
	run -0 --separate-stderr loy-segment --as-of 2026-07-31 tiers --apply
	same "$output" <<OUT
$TIERS
C,Platinum,Gold,120.00,100.00,review,2026-07-31
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-08-31 tiers --apply
	[ "$output" = "$TIERS" ]
	[ "$(q "SELECT group_concat(member_id || ':' || tier, ' ') FROM members")" = "A:Gold B:Silver C:Gold" ]
	ledger_ok
	# one run catching up over the same days ends the same
	hist=$(history)
	LOY_DB=catchup.db
	run -0 --separate-stderr loy-segment --as-of 2025-06-01 tiers --apply
	run -0 --separate-stderr loy-segment --as-of 2026-08-31 tiers --apply
	same "$(history)" <<<"$hist"
	ledger_ok
}

@test "an assigned tier is a floor until it expires" {
	tiered
	members A:2024-01-01 B:2024-01-01
	# a tier named in any case is the programme's
	printf 'member_id,tier,until,reason\nA,PLATINUM,2026-08-31,status match\nB,gold,2026-12-31,VIP gift\n' >assign.csv
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Platinum,0.00,300.00,assigned,2026-06-01
B,Silver,Gold,0.00,100.00,assigned,2026-06-01
OUT
	[ "$stderr" = "loy-segment: assign.csv: 2 rows, 2 assigned, 0 unchanged, 0 rejected" ]
	# the same file again: recognised, nothing changes, nothing is written
	before=$(dump)
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	[ "$output" = "$TIERS" ]
	same "$stderr" <<EOF
loy-segment: assign.csv: 2 rows, 0 assigned, 2 unchanged, 0 rejected
$(idle loy-segment)
EOF
	[ "$(dump)" = "$before" ]
	[ "$(q "SELECT count(*) FROM tier_assignments")" = 2 ]
	[ "$(q "SELECT member_id || ':' || tier || ':' || starts || ':' || until || ':' || reason FROM tier_assignments ORDER BY 1")" = "A:Platinum:2026-06-01:2026-08-31:status match
B:Gold:2026-06-01:2026-12-31:VIP gift" ]
	# B can move up from the floor
	echo "B 2026-06-10 400.00" | buy
	# the review of 2026-07-01 leaves A where the assignment holds it
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,Gold,Platinum,400.00,300.00,qualified,2026-06-10
OUT
	# the day after it expires, A goes back to the tier A earned
	run -0 --separate-stderr loy-segment --as-of 2026-08-31 tiers --apply
	[ "$output" = "$TIERS" ]
	[ "$(q "SELECT member_id || ':' || tier FROM tier_earned")" = "A:Silver" ]
	run -0 --separate-stderr loy-segment --as-of 2026-09-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,0.00,0.00,assignment-ended,2026-09-01
OUT
	[ "$(q "SELECT count(*) FROM tier_earned")" = 0 ]
	ledger_ok
}

@test "a tier assigned to a member that is merged into another since is a floor for the survivor, until it expires" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	printf 'member_id,tier,until,reason\nA,Platinum,2026-08-31,status match\n' >assign.csv
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	[ "${lines[1]}" = "A,Silver,Platinum,0.00,300.00,assigned,2026-06-01" ]
	# A's record is a duplicate of B's: the status match is the person's
	LOY_NOW="2026-06-05 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	run -0 --separate-stderr loy-segment --as-of 2026-06-05 tiers --apply
	same "$output" <<OUT
$TIERS
B,Silver,Platinum,0.00,300.00,assigned,2026-06-02
OUT
	# and it ends for the survivor as it would have for A
	run -0 --separate-stderr loy-segment --as-of 2026-09-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,Platinum,Silver,0.00,0.00,assignment-ended,2026-09-01
OUT
	[ "$(history)" = "A:Silver>Platinum:assigned:2026-06-01
B:Silver>Platinum:assigned:2026-06-02
B:Platinum>Silver:assignment-ended:2026-09-01" ]
	ledger_ok
}

@test "a tier the merged member held goes to the survivor when higher, until the survivor's review" {
	tiered
	members A:2024-01-01 B:2024-01-01
	echo "A 2025-01-10 350.00" | buy
	loy-segment --as-of 2025-01-10 tiers --apply >/dev/null 2>&1
	# nightly runs: A holds Platinum, its purchase out of the window now,
	# until the review of 1 July
	run -0 --separate-stderr loy-segment --as-of 2026-02-28 tiers --apply
	[ "$output" = "$TIERS" ]
	[ "$(q "SELECT tier FROM members WHERE member_id = 'A'")" = Platinum ]
	LOY_NOW="2026-03-01 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Platinum
B:Platinum" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers --apply
	[ "$output" = "$TIERS" ]
	# the review judges the purchases of both: none in the window
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,Platinum,Silver,0.00,0.00,review,2026-07-01
OUT
	[ "$(history)" = "A:Silver>Platinum:qualified:2025-01-10
B:Silver>Platinum:merged:2026-03-01
B:Platinum>Silver:review:2026-07-01" ]
	ledger_ok
}

@test "a merge that passes the merged member's tier to the survivor says so in its detail, with the day it holds from" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01
	echo "A 2025-01-10 350.00" | buy
	echo "D 2025-01-10 150.00" | buy
	loy-segment --as-of 2025-01-10 tiers --apply >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-02-28 tiers --apply
	LOY_NOW="2026-03-01 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	same "$output" <<'OUT'
member_id,status,detail
A,merged,"into B, 350 points moved, tier of B Silver to Platinum from 2026-03-01"
OUT
	[ "$stderr" = "" ]
	# a dry run says the same, and keeps nothing
	LOY_NOW="2026-03-01 12:00:00" run -0 --separate-stderr loy-enroll -n merge D C
	[ "${lines[1]}" = 'D,merged,"into C, 150 points moved, tier of C Silver to Gold from 2026-03-01"' ]
	[ "$(q "SELECT tier FROM members WHERE member_id = 'C'")" = Silver ]
	# the survivor's tier is the higher: the detail names no tier
	LOY_NOW="2026-03-01 12:00:00" run -0 --separate-stderr loy-enroll merge C D
	[ "${lines[1]}" = 'C,merged,"into D, 0 points moved"' ]
	[ "$(history)" = "A:Silver>Platinum:qualified:2025-01-10
D:Silver>Gold:qualified:2025-01-10
B:Silver>Platinum:merged:2026-03-01" ]
	ledger_ok
}

@test "a merge after missed nightly runs passes the tier from the day after the last run, which the next run reviews in order" {
	tiered
	members A:2024-01-01 B:2024-01-01
	echo "A 2025-01-10 350.00" | buy
	loy-segment --as-of 2025-01-10 tiers --apply >/dev/null 2>&1
	# no run since: the next one counts A's purchases for B from
	# 2025-01-11 on, and so A's Platinum, which the review of 1 July 2026
	# takes away
	LOY_NOW="2026-08-01 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	[ "${lines[1]}" = 'A,merged,"into B, 350 points moved, tier of B Silver to Platinum from 2025-01-11"' ]
	[ "$(history)" = "A:Silver>Platinum:qualified:2025-01-10
B:Silver>Platinum:merged:2025-01-11" ]
	LOY_NOW="2026-08-01 12:00:00" run -0 --separate-stderr loy-segment --as-of 2026-08-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,Platinum,Silver,0.00,0.00,review,2026-07-01
OUT
	[ "$(q "SELECT group_concat(effective, ' ') FROM (SELECT effective FROM tier_history
	    WHERE member_id = 'B' ORDER BY change_id)")" = "2025-01-11 2026-07-01" ]
	[ "$(q "SELECT tier FROM members WHERE member_id = 'B'")" = Silver ]
	ledger_ok
}

@test "a merge passes no tier of a member closed before the last tiers run, which no run has reviewed since" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01 E:2024-01-01
	echo "A 2024-03-10 350.00" | buy
	echo "C 2024-03-10 350.00" | buy
	echo "D 2026-07-20 350.00" | buy
	loy-segment --as-of 2024-03-10 tiers --apply >/dev/null 2>&1
	# A keeps the Platinum it held when it was closed: the runs since,
	# which took C's away on 1 July 2025, pass closed members by
	LOY_NOW="2024-03-11 12:00:00" loy-enroll close A >/dev/null 2>&1
	loy-segment --as-of 2026-07-30 tiers --apply >/dev/null 2>&1
	# D, closed after the last run, held its Platinum until then
	LOY_NOW="2026-07-31 12:00:00" loy-enroll close D >/dev/null 2>&1
	LOY_NOW="2026-08-01 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	LOY_NOW="2026-08-01 12:00:00" run -0 --separate-stderr loy-enroll merge D E
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Platinum
B:Silver
C:Silver
D:Platinum
E:Platinum" ]
	[ "$(history)" = "A:Silver>Platinum:qualified:2024-03-10
C:Silver>Platinum:qualified:2024-03-10
C:Platinum>Silver:review:2025-07-01
D:Silver>Platinum:qualified:2026-07-20
E:Silver>Platinum:merged:2026-07-31" ]
	ledger_ok
}

@test "a merge keeps the survivor's tier when it is the higher, and a lower one under an assignment as what it earned" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01 E:2024-01-01 F:2024-01-01
	echo "A 2025-11-10 150.00" | buy
	echo "C 2025-11-10 350.00" | buy
	echo "E 2025-11-10 150.00" | buy
	printf 'member_id,tier,until\nB,Platinum,2026-08-31\nF,Gold,2026-08-31\n' >assign.csv
	loy-segment --as-of 2026-02-28 --assign assign.csv tiers --apply >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || tier FROM tier_earned ORDER BY 1")" = "B:Silver
F:Silver" ]
	# C's Platinum is above D's Silver; A's Gold is below B's assigned
	# Platinum, above the Silver B earned under it; E's Gold is F's
	# assigned one, and what F earned now
	LOY_NOW="2026-03-01 12:00:00" loy-enroll merge D C >/dev/null 2>&1
	LOY_NOW="2026-03-01 12:00:00" loy-enroll merge A B >/dev/null 2>&1
	LOY_NOW="2026-03-01 12:00:00" loy-enroll merge E F >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Gold
B:Platinum
C:Platinum
D:Silver
E:Gold
F:Gold" ]
	[ "$(q "SELECT member_id || ':' || tier FROM tier_earned")" = "B:Gold" ]
	[ "$(q "SELECT count(*) FROM tier_history WHERE reason = 'merged'")" = 0 ]
	# when the assignment ends, B holds the Gold it earned through A
	run -0 --separate-stderr loy-segment --as-of 2026-09-01 tiers --apply
	same "$output" <<OUT
$TIERS
B,Platinum,Gold,150.00,100.00,assignment-ended,2026-09-01
OUT
	ledger_ok
}

@test "a version without an assigned tier says so on load, and the tiers run says what it did with the assignment" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	printf 'member_id,tier,until,reason\nA,Gold,2026-12-31,status match\nB,Gold,2026-06-05,gift\nC,Platinum,2026-12-31,\n' >assign.csv
	loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply >/dev/null 2>&1
	# Gold is Amber from 10 June: B's assignment ends before then, C's
	# Platinum is in the new version too
	sed 's/tier Gold/tier Amber/' prog.conf >renamed.conf
	run -0 --separate-stderr loy-program load --from 2026-06-10 renamed.conf
	[ "$stderr" = "loy-program: renamed.conf: version 3 has no tier 'Gold', assigned to member 'A' until 2026-12-31: from 2026-06-10 the assignment holds the member in no tier, and loy-segment tiers moves them to the tier they earned" ]
	run -0 --separate-stderr loy-segment --as-of 2026-06-15 tiers --apply
	same "$output" <<OUT
$TIERS
A,Gold,Silver,0.00,0.00,assignment-void,2026-06-10
B,Gold,Silver,0.00,0.00,assignment-ended,2026-06-06
OUT
	[ "$stderr" = "loy-segment: member 'A': tier 'Gold', assigned until 2026-12-31, is not in programme version 3: from 2026-06-10 the assignment holds the member in no tier" ]
	ledger_ok
}

@test "a member moved out of an assigned tier a new version removed is moved as the assignment void, not as qualified" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	echo "B 2026-05-10 150.00" | buy
	printf 'member_id,tier,until\nB,Platinum,2026-12-31\n' >assign.csv
	loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply >/dev/null 2>&1
	# the version of 10 June has no Platinum: B falls to the Gold it
	# earned, moved down by an assignment that holds no one, not by a
	# qualification; later purchases qualify as ever
	sed '/^\[tier Platinum\]$/,$d' prog.conf >removed.conf
	loy-program load --from 2026-06-10 removed.conf >/dev/null 2>&1
	echo "A 2026-06-12 150.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2026-06-15 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,150.00,100.00,qualified,2026-06-12
B,Platinum,Gold,150.00,100.00,assignment-void,2026-06-10
OUT
	[ "$stderr" = "loy-segment: member 'B': tier 'Platinum', assigned until 2026-12-31, is not in programme version 3: from 2026-06-10 the assignment holds the member in no tier" ]
	[ "$(history)" = "B:Silver>Platinum:assigned:2026-06-01
B:Platinum>Gold:assignment-void:2026-06-10
A:Silver>Gold:qualified:2026-06-12" ]
	ledger_ok
}

@test "a member whose assignment ended the day a new version removed its tier is moved as the assignment ended, not as qualified" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	echo "B 2026-05-10 150.00" | buy
	printf 'member_id,tier,until\nB,Platinum,2026-06-09\n' >assign.csv
	loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply >/dev/null 2>&1
	# Platinum held B until 9 June; the version of 10 June has none: B
	# falls to the Gold it earned as the assignment's end moves it, as
	# when Platinum stays
	sed '/^\[tier Platinum\]$/,$d' prog.conf >removed.conf
	loy-program load --from 2026-06-10 removed.conf >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-06-15 tiers --apply
	same "$output" <<OUT
$TIERS
B,Platinum,Gold,150.00,100.00,assignment-ended,2026-06-10
OUT
	[ "$(history)" = "B:Silver>Platinum:assigned:2026-06-01
B:Platinum>Gold:assignment-ended:2026-06-10" ]
	ledger_ok
}

@test "the same assignments again that day write nothing, with merged members and an assigned tier held" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	loy-enroll merge C B >/dev/null 2>&1
	echo "C 2026-05-10 150.00" | buy
	printf 'member_id,tier,until\nA,Platinum,2026-08-31\n' >assign.csv
	loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-06-02 --assign assign.csv tiers --apply
	[ "$stderr" = "loy-segment: assign.csv: 1 row, 1 assigned, 0 unchanged, 0 rejected" ]
	# the same file that day: the assignment is there, every tier is as
	# the first run left it (B's by C's receipt, A's earned Silver kept)
	before=$(dump)
	run -0 --separate-stderr loy-segment --as-of 2026-06-02 --assign assign.csv tiers --apply
	[ "$output" = "$TIERS" ]
	same "$stderr" <<EOF
loy-segment: assign.csv: 1 row, 0 assigned, 1 unchanged, 0 rejected
$(idle loy-segment)
EOF
	[ "$(dump)" = "$before" ]
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Platinum
B:Gold
C:Silver" ]
	[ "$(q "SELECT count(*) || ':' || max(as_of) FROM tier_runs")" = "2:2026-06-02" ]
	ledger_ok
}

@test "a later, lower assignment moves the member down to it as assigned, not as a review" {
	tiered
	members A:2024-01-01
	echo "A 2026-03-01 50.00" | buy
	printf 'member_id,tier,until\nA,Platinum,2026-12-31\n' >high.csv
	printf 'member_id,tier,until\nA,Gold,2026-12-31\n' >lower.csv
	printf 'member_id,tier,until\nA,Silver,2026-12-31\n' >lowest.csv
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign high.csv tiers --apply
	[ "${lines[1]}" = "A,Silver,Platinum,50.00,300.00,assigned,2026-06-01" ]
	# no review on 2026-06-10 (it is on 1 July): the new assignment decides
	run -0 --separate-stderr loy-segment --as-of 2026-06-10 --assign lower.csv tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Gold,50.00,100.00,assigned,2026-06-10
OUT
	# one no higher than the earned tier: the member holds the earned tier again
	run -0 --separate-stderr loy-segment --as-of 2026-06-20 --assign lowest.csv tiers --apply
	same "$output" <<OUT
$TIERS
A,Gold,Silver,50.00,0.00,assignment-ended,2026-06-20
OUT
	[ "$(history)" = "A:Silver>Platinum:assigned:2026-06-01
A:Platinum>Gold:assigned:2026-06-10
A:Gold>Silver:assignment-ended:2026-06-20" ]
	ledger_ok
}

@test "bad assignments are listed and nothing is written" {
	tiered
	members A:2024-01-01
	printf 'member_id,tier,until\nA,Bronze,2026-08-31\nZ,Gold,2026-08-31\nA,Gold,2026-05-31\nA,Gold,someday\n' >assign.csv
	before=$(dump)
	run -65 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	same "$stderr" <<ERR
loy-segment: assign.csv:2: tier 'Bronze' is not one of the programme's tiers
loy-segment: assign.csv:3: unknown member 'Z'
loy-segment: assign.csv:4: until '2026-05-31' is before the as-of date, 2026-06-01
loy-segment: assign.csv:5: until 'someday' is not an ISO 8601 date
loy-segment: assign.csv: 4 rows, 0 assigned, 0 unchanged, 4 rejected
loy-segment: 4 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
ERR
	[ "$(dump)" = "$before" ]
}

@test "a corrected rejects file of assignments read back keeps no rejection as the assignment's reason" {
	tiered
	members A:2024-01-01
	printf 'member_id,tier,until\nA,Bronze,2026-08-31\n' >assign.csv
	run -1 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv --rejects rej.csv tiers --apply
	[ "$(head -1 rej.csv)" = "member_id,tier,until,line,rejected_reason" ]
	sed -i 's/Bronze/Gold/' rej.csv
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign rej.csv tiers --apply
	[ "$(q "SELECT member_id || ':' || tier || ':' || coalesce(reason, '-') FROM tier_assignments")" = "A:Gold:-" ]
	ledger_ok
}

@test "catching up after missed nights equals running every night" {
	tiered 's/soft_landing = no/soft_landing = yes/' 's/grace_days = 0/grace_days = 10/'
	members A:2024-01-01 B:2024-01-01 C:2025-06-20
	buy <<EOF
A 2025-06-01 350.00
B 2025-06-01 150.00
B 2026-06-20 40.00
B 2026-07-05 70.00
C 2026-06-25 320.00
A 2026-07-20 90.00
A 2026-07-25 15.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2025-06-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Platinum,350.00,300.00,qualified,2025-06-01
B,Silver,Gold,150.00,100.00,qualified,2025-06-01
OUT
	cp "$LOY_DB" nightly.db
	# one catch-up run to 2026-05-31, then every night to 2026-08-15
	loy-segment -d nightly.db --as-of 2026-05-31 tiers --apply >/dev/null 2>&1
	d=2026-06-01
	while [ "$d" != 2026-08-16 ]; do
		loy-segment -d nightly.db --as-of "$d" tiers --apply >/dev/null 2>&1
		d=$(date -d "$d + 1 day" +%F)
	done
	run -0 --separate-stderr loy-segment --as-of 2026-08-15 tiers --apply
	# nothing changes at the review of 2025-07-01 (both kept their measure)
	# A: Platinum since 2025-06-01; review 2026-07-01 judges 2025-07-01 ..
	#    2026-06-30 (nothing): soft landing to Gold, on 07-11 after the grace;
	#    90.00 + 15.00 by 07-25 makes Gold again: no change there
	# B: Gold since 2025-06-01; by the landing (07-11) 40.00 + 70.00 = 110.00
	#    in the window: Gold kept
	# C: Platinum on 2026-06-25 (enrolled after the window began)
	same "$output" <<OUT
$TIERS
A,Platinum,Gold,0.00,100.00,soft-landing,2026-07-11
C,Silver,Platinum,320.00,300.00,qualified,2026-06-25
OUT
	same "$(LOY_DB=nightly.db history)" <<<"$(history)"
	[ "$(q "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Gold
B:Gold
C:Platinum" ]
	[ "$(sqlite3 nightly.db "SELECT member_id || ':' || tier FROM members ORDER BY 1")" = "A:Gold
B:Gold
C:Platinum" ]
}

@test "a cron run after midnight as of the sales day ends where a monthly catch-up does; as of the day begun it misses that day's upgrade" {
	tiered
	members A:2024-01-01
	buy <<<"A 2025-04-01 60.00"
	run -0 --separate-stderr loy-segment --as-of 2025-04-01 tiers --apply
	loy-segment --as-of 2026-03-30 tiers --apply >/dev/null 2>&1
	cp "$LOY_DB" yesterday.db
	cp "$LOY_DB" today.db
	# run at 02:30 as of the day begun, the night before, as of 31 March
	LOY_NOW="2026-03-31 02:30:00" loy-segment -d today.db tiers --apply >/dev/null 2>&1
	# 50.00 on 31 March, the last day the window (rolling 12 months) still
	# holds the 60.00 of 1 April 2025: 110.00, Gold on that day
	printf 'txn_id,member_id,occurred_at,amount\nT9,A,2026-03-31 18:00:00,50.00\n' >mar31.csv
	# the night after, at 02:30 on 1 April: the POS file, then the tiers
	export LOY_NOW="2026-04-01 02:30:00"
	for db in yesterday.db today.db; do
		loy-accrue -d $db mar31.csv >/dev/null 2>&1
	done
	run -0 --separate-stderr loy-segment -d yesterday.db --as-of "$(date -d "${LOY_NOW% *} - 1 day" +%F)" tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,110.00,100.00,qualified,2026-03-31
OUT
	# as of 1 April, a day without its purchases yet, whose window has lost
	# the 60.00 of 1 April 2025: no upgrade, ever
	run -0 --separate-stderr loy-segment -d today.db tiers --apply
	same "$output" <<<"$TIERS"
	# the monthly catch-up, on 1 May as of 30 April, ends where the
	# nightly runs as of the sales day do
	loy-accrue mar31.csv >/dev/null 2>&1
	export LOY_NOW="2026-05-01 03:00:00"
	for d in 2026-04-01 2026-04-02 2026-04-30; do
		loy-segment -d yesterday.db --as-of $d tiers --apply >/dev/null 2>&1
		loy-segment -d today.db --as-of $d tiers --apply >/dev/null 2>&1
	done
	run -0 --separate-stderr loy-segment --as-of "$(date -d "${LOY_NOW% *} - 1 day" +%F)" tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,110.00,100.00,qualified,2026-03-31
OUT
	same "$(LOY_DB=yesterday.db history)" <<<"$(history)"
	[ "$(history)" = "A:Silver>Gold:qualified:2026-03-31" ]
	[ "$(LOY_DB=today.db history)" = "" ]
	[ "$(sqlite3 today.db "SELECT tier FROM members WHERE member_id = 'A'")" = Silver ]
	ledger_ok
	ledger_ok yesterday.db
	ledger_ok today.db
}

@test "a catch-up run counts a return from the day it was made, and ends where nightly runs would have" {
	tiered 's/Silver/Pearl/' 's/Gold/Opal/'
	members A:2024-01-01
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers --apply
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP1,A,2026-03-02 10:00:00,150.00,\n' >mar2.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-03-05 10:00:00,-150.00,P1\n' >mar5.csv
	cp "$LOY_DB" nightly.db
	# every night: the day's receipts, then the tiers
	loy-accrue -d nightly.db mar2.csv >/dev/null 2>&1
	for d in 2026-03-02 2026-03-03 2026-03-04; do
		loy-segment -d nightly.db --as-of "$d" tiers --apply >/dev/null 2>&1
	done
	loy-accrue -d nightly.db mar5.csv >/dev/null 2>&1
	loy-segment -d nightly.db --as-of 2026-03-06 tiers --apply >/dev/null 2>&1
	# the nights of 2 to 5 March missed: one run on 6 March; A was Opal
	# from 2 March, and the return of 5 March downgrades nothing before
	# the review of 1 July
	loy-accrue mar2.csv >/dev/null 2>&1
	loy-accrue mar5.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-03-06 tiers --apply
	same "$output" <<OUT
$TIERS
A,Pearl,Opal,150.00,100.00,qualified,2026-03-02
OUT
	same "$(LOY_DB=nightly.db history)" <<<"$(history)"
	[ "$(history)" = "A:Pearl>Opal:qualified:2026-03-02" ]
	[ "$(q "SELECT tier FROM members WHERE member_id = 'A'")" = Opal ]
	[ "$(sqlite3 nightly.db "SELECT tier FROM members WHERE member_id = 'A'")" = Opal ]
	ledger_ok
	ledger_ok nightly.db
}

@test "the measure can be points earned, or visits, and an average per month" {
	tiered 's/measure = spend/measure = visits/' 's/threshold = 100/threshold = 2/' \
	    's/threshold = 300/threshold = 3/'
	members A:2024-01-01
	buy <<EOF
A 2026-03-01 10.00
A 2026-03-02 10.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2026-03-02 tiers
	[ "${lines[1]}" = "A,Silver,Gold,2,2,qualified,2026-03-02" ]
	rm -f "$LOY_DB"*
	tiered 's/measure = spend/measure = points/' 's/window = rolling/window = monthly-average/' \
	    's/months = 12/months = 3/'
	members A:2024-01-01
	# 330 points in 3 months: 110 a month, Gold (100) but not Platinum (300)
	echo "A 2026-03-01 330.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers
	[ "${lines[1]}" = "A,Silver,Gold,110,100,qualified,2026-03-01" ]
}

@test "bad as-of dates are refused" {
	new_ledger
	printf 'member_id,enrolled_at\nA,2025-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	before=$(dump)
	run -64 --separate-stderr loy-segment --as-of 2026-13-01 tiers --apply
	[ "$stderr" = "loy-segment: --as-of '2026-13-01' is not a valid date" ]
	run -64 --separate-stderr loy-segment --as-of 2024-12-31 tiers
	[ "$stderr" = "loy-segment: --as-of '2024-12-31' is before the ledger's first date, 2025-01-01" ]
	run -64 --separate-stderr loy-segment --as-of 2026-11-24 lapse
	[ "$stderr" = "loy-segment: --as-of '2026-11-24' is in the future" ]
	[ "$(dump)" = "$before" ]
}

@test "--date-format with no date to read is refused, naming the options whose format it is, as loy-report and loy-expire" {
	new_ledger
	printf 'member_id,enrolled_at,birthday\nA,2025-01-01,1990-11-30\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'member_id\nA\n' >list.csv
	before=$(dump)
	run -64 --separate-stderr loy-segment --date-format %d.%m.%Y value
	[ "$output" = "" ]
	[ "$stderr" = "loy-segment: --date-format is the format of --as-of: give it" ]
	run -64 --separate-stderr loy-segment --date-format %d.%m.%Y --with-contact lapse
	[ "$stderr" = "loy-segment: --date-format is the format of --as-of: give it" ]
	run -64 --separate-stderr loy-segment --date-format %d.%m.%Y save vip list.csv
	[ "$stderr" = "loy-segment: --date-format is the format of --as-of: give it" ]
	run -64 --separate-stderr loy-segment --date-format %d.%m.%Y tiers --apply
	[ "$stderr" = "loy-segment: --date-format is the format of --as-of and --assign: give one" ]
	run -64 --separate-stderr loy-segment --date-format %d.%m.%Y birthdays
	[ "$stderr" = "loy-segment: --date-format is the format of --as-of, --from and --to: give one" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-segment --date-format %d.%m.%Y --as-of 20.11.2026 value
	run -0 --separate-stderr loy-segment --date-format %d.%m.%Y --from 01.11.2026 birthdays
	[ "${lines[1]}" = "A,1990-11-30,2026-11-30,36" ]
	printf 'member_id,tier,until\n' >as.csv
	run -0 --separate-stderr loy-segment -n --date-format %d.%m.%Y --assign as.csv tiers
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "tiers without thresholds are given by hand: held while assigned, then the lowest again" {
	new_ledger --set tiers=Bronze,Silver,Gold
	printf 'member_id,enrolled_at\nA,2025-01-01\nB,2025-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "A 2026-11-20 900.00" | buy
	# no measure reaches a tier, and no review takes one away
	run -0 --separate-stderr loy-segment tiers --apply
	[ "$output" = "member_id,old_tier,new_tier,measure,threshold,reason,effective" ]
	printf 'member_id,tier,until\nB,gold,2026-12-31\n' >as.csv
	run -0 --separate-stderr loy-segment --assign as.csv tiers --apply
	same "$output" <<'EOF'
member_id,old_tier,new_tier,measure,threshold,reason,effective
B,Bronze,Gold,0.00,,assigned,2026-11-23
EOF
	[ "$(q "SELECT group_concat(member_id || '=' || tier) FROM members")" = "A=Bronze,B=Gold" ]
	LOY_NOW="2027-02-01 12:00:00" run -0 --separate-stderr loy-segment tiers --apply
	same "$output" <<'EOF'
member_id,old_tier,new_tier,measure,threshold,reason,effective
B,Gold,Bronze,0.00,,assignment-ended,2027-01-01
EOF
	[ "$(q "SELECT group_concat(member_id || '=' || tier) FROM members")" = "A=Bronze,B=Bronze" ]
	LOY_NOW="2027-02-01 12:00:00" ledger_ok
}

@test "tiers are not recalculated backwards" {
	tiered
	members A:2024-01-01
	loy-segment --as-of 2026-03-05 tiers --apply >/dev/null 2>&1
	run -64 --separate-stderr loy-segment --as-of 2026-03-04 tiers --apply
	[ "$stderr" = "loy-segment: --as-of '2026-03-04' is before the last tier run, as of 2026-03-05: tiers are not recalculated backwards" ]
}

@test "tiers is no list: --save and --with-contact are refused, nothing saved or changed" {
	tiered
	members A:2024-01-01
	echo "A 2026-03-05 350.00" | buy
	before=$(dump)
	run -64 --separate-stderr loy-segment --as-of 2026-03-05 --save upgraded tiers --apply
	[ "$output" = "" ]
	[ "$stderr" = "loy-segment: tiers: --save and --with-contact are for lists" ]
	run -64 --separate-stderr loy-segment --as-of 2026-03-05 --with-contact tiers
	[ "$stderr" = "loy-segment: tiers: --save and --with-contact are for lists" ]
	[ "$(dump)" = "$before" ]
	[ "$(q "SELECT count(*) FROM segments")" = 0 ]
}

@test "a list or look-up without --save takes no -n; with --save, -n saves nothing" {
	tiered
	members A:2024-01-01
	echo "A 2026-03-05 350.00" | buy
	before=$(dump)
	for c in "value" "rfm" "lapse" "lifecycle" "best 3" "never-bought" "referrers" "segments" "birthdays"; do
		run -64 --separate-stderr loy-segment -n $c
		[ "$output" = "" ]
		[ "$stderr" = "loy-segment: ${c%% *} writes nothing: it takes no -n (only with --save)" ] ||
		    { echo "$c: $stderr" >&2; return 1; }
	done
	run -0 --separate-stderr loy-segment -n --save big best 3
	[ "${stderr_lines[-1]}" = "loy-segment: dry run: nothing committed" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

# ------------------------------------------------------------------ lapse

# A household refilling its gas bottle every 30 days, last on 2026-10-02;
# a member buying twice a year, last on 2026-05-01.
rhythms() {
	new_ledger
	members G:2025-01-01 H:2024-01-01
	buy <<EOF
G 2026-01-05 20.00
G 2026-02-04 20.00
G 2026-03-06 20.00
G 2026-04-05 20.00
G 2026-05-05 20.00
G 2026-06-04 20.00
G 2026-07-04 20.00
G 2026-08-03 20.00
G 2026-09-02 20.00
G 2026-10-02 20.00
H 2024-05-01 80.00
H 2024-11-01 80.00
H 2025-05-01 80.00
H 2025-11-01 80.00
H 2026-05-01 80.00
EOF
}

LAPSE="member_id,purchases,last_purchase,interval_days,expected,days_overdue,risk"

@test "lapse: the monthly gas bottle is flagged six weeks on, the twice-a-year buyer is not" {
	rhythms
	# the programme's lapse_k, set the way an operator does: edit and load,
	# in force from 1 November (a run as of a day takes that day's version)
	loy-program show | tail -n +2 | sed 's/^lapse_k = 2$/lapse_k = 1.25/' >p.conf
	grep -qx 'lapse_k = 1.25' p.conf
	run -0 --separate-stderr loy-program load --from 2026-11-01 p.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'lapse_k'")" = 1.25 ]
	# G: median interval 30 days, 42 days away > 1.25 x 30: due 2026-11-01
	run -0 --separate-stderr loy-segment --as-of 2026-11-13 lapse
	same "$output" <<OUT
$LAPSE
G,10,2026-10-02,30,2026-11-01,12,1.40
OUT
	# H: intervals 184, 181, 184, 184: median 184; 42 days away is nothing
	run -0 --separate-stderr loy-segment --as-of 2026-06-12 lapse
	[ "$output" = "$LAPSE" ]
	# nor on 2026-11-13, 196 days on (1.25 x 184 = 230)
	run -0 --separate-stderr loy-segment --as-of 2026-11-13 lapse
	[ "${#lines[@]}" = 2 ]
	[ "${lines[1]%%,*}" = G ]
}

@test "lapse: with the default k of 2 a monthly buyer is flagged after 60 days" {
	rhythms
	run -0 --separate-stderr loy-segment --as-of 2026-11-13 lapse
	[ "$output" = "$LAPSE" ]
	# a member whose 30-day rhythm broke on 2026-07-30: 60 days later is not
	# past 2 x 30, 61 days is
	rm -f "$LOY_DB"*
	new_ledger
	members G:2025-01-01
	buy <<EOF
G 2026-05-01 20.00
G 2026-05-31 20.00
G 2026-06-30 20.00
G 2026-07-30 20.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2026-09-28 lapse
	[ "$output" = "$LAPSE" ]
	run -0 --separate-stderr loy-segment --as-of 2026-09-29 lapse
	same "$output" <<OUT
$LAPSE
G,4,2026-07-30,30,2026-08-29,31,2.03
OUT
}

# ------------------------------------------------------------------ segments

# A: 4 visits, 200.00; B: 1, 250.00; C: 5, 50.00; D: 1, 20.00; E: none.
valued() {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01 E:2024-01-01
	buy <<EOF
A 2026-02-01 50.00
A 2026-04-01 50.00
A 2026-06-01 50.00
A 2026-08-01 50.00
B 2026-09-01 250.00
C 2026-01-10 10.00
C 2026-03-10 10.00
C 2026-05-10 10.00
C 2026-07-10 10.00
C 2026-09-10 10.00
D 2026-10-01 20.00
D 2025-10-01 500.00
EOF
}

VALUE="member_id,class,visits,spend,tenure_months"

@test "value classes from the programme's thresholds" {
	valued
	loy-program show | tail -n +2 | sed -e 's/^value_spend = median$/value_spend = 100/' \
	    -e 's/^value_visits = median$/value_visits = 3/' >p.conf
	run -0 --separate-stderr loy-program load p.conf
	[ "$(q "SELECT value FROM settings WHERE key = 'value_spend'")" = 100 ]
	[ "$(q "SELECT value FROM settings WHERE key = 'value_visits'")" = 3 ]
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 value
	# D's 500.00 of 2025-10-01 is outside the 12 months
	same "$output" <<OUT
$VALUE
A,true-friend,4,200.00,34
B,butterfly,1,250.00,34
C,barnacle,5,50.00,34
D,stranger,1,20.00,34
E,stranger,0,0.00,34
OUT
	[ "$stderr" = "loy-segment: value: loyal from 3 purchases in 12 months, high value from 100.00" ]
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 value butterfly
	[ "$output" = "$VALUE
B,butterfly,1,250.00,34" ]
}

@test "value: tenure counts a month whole on the last day of a shorter month, as an expiry counts it" {
	new_ledger --set value_tenure_months=1 --set value_visits=1 --set value_spend=0.01
	printf 'member_id,enrolled_at\n1,2024-02-29\n2,2026-01-31\n3,2026-01-28\n4,2026-01-29 18:00:00\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1,2026-02-01 10:00:00,5.00\nB,2,2026-02-01 10:00:00,5.00\nC,3,2026-02-01 10:00:00,5.00\nD,4,2026-02-01 10:00:00,5.00\n' >pos.csv
	loy-accrue pos.csv >/dev/null 2>&1
	# 31 January (or 29) + 1 month is 28 February, as an expiry counts it
	run -0 --separate-stderr loy-segment --as-of 2026-02-28 value
	same "$output" <<OUT
$VALUE
1,true-friend,1,5.00,24
2,true-friend,1,5.00,1
3,true-friend,1,5.00,1
4,true-friend,1,5.00,1
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-02-27 value
	[ "$(echo "$output" | cut -d, -f1,5 | tr '\n' ' ')" = "member_id,tenure_months 1,23 2,0 3,0 4,0 " ]
	# a 29 February enrolment has its year on 28 February, as its birthday would
	run -0 --separate-stderr loy-segment --as-of 2025-02-28 value
	[ "$(echo "$output" | cut -d, -f1,5 | tr '\n' ' ')" = "member_id,tenure_months 1,12 " ]
	run -0 --separate-stderr loy-segment --as-of 2025-02-27 value
	[ "$(echo "$output" | cut -d, -f1,5 | tr '\n' ' ')" = "member_id,tenure_months 1,11 " ]
	ledger_ok
}

@test "value classes from the medians when the programme sets none" {
	valued
	# buyers' spend 20, 50, 200, 250: the median is taken as 200.00;
	# their visits 1, 1, 4, 5: 4
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 value
	[ "$stderr" = "loy-segment: value: loyal from 4 purchases in 12 months (the median), high value from 200.00 (the median)" ]
	[ "$(echo "$output" | cut -d, -f1,2 | tr '\n' ' ')" = "member_id,class A,true-friend B,butterfly C,barnacle D,stranger E,stranger " ]
}

@test "value: a median spend of 0.00 makes no member who spent nothing of high value" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01
	# A and B return all they bought, C buys for 0.00, D for 50.00: the
	# buyers' spend 0, 0, 0, 50 has the median 0.00
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,A,2026-03-01 10:00:00,40.00,
R1,A,2026-03-02 10:00:00,-40.00,S1
S2,B,2026-03-01 10:00:00,30.00,
R2,B,2026-03-02 10:00:00,-30.00,S2
S3,C,2026-03-01 10:00:00,0.00,
S4,D,2026-03-01 10:00:00,50.00,
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 value
	same "$output" <<OUT
$VALUE
A,barnacle,1,0.00,34
B,barnacle,1,0.00,34
C,barnacle,1,0.00,34
D,true-friend,1,50.00,34
OUT
	[ "$stderr" = "loy-segment: value: loyal from 1 purchase in 12 months (the median), high value from 0.01 (the median, 0.00, is no spend)" ]
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 value butterfly
	[ "$output" = "$VALUE" ]
	ledger_ok
}

@test "rfm: scores 1 to 5 by quintile" {
	valued
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 rfm
	# recency: A 114 days, B 83, C 74, D 53: 4 scored members, so a score is
	# 1 + 5 x (members worse) / 4
	# A: recency worst (0 worse) 1; visits 4 (2 worse) 3; spend 200 (2) 3
	# B: 83 days (1 worse) 2; 1 visit (0) 1; 250 (3) 4
	# C: 74 (2) 3; 5 (3) 4; 50 (1) 2
	# D: 53 (3) 4; 1 (0) 1; 20 (0) 1
	same "$output" <<OUT
member_id,recency_days,frequency,monetary,r,f,m,rfm
A,114,4,200.00,1,3,3,133
B,83,1,250.00,2,1,4,214
C,74,5,50.00,3,4,2,342
D,53,1,20.00,4,1,1,411
OUT
}

@test "a segment's settings are those of the programme version in force on its as-of date, applied or not" {
	new_ledger
	printf 'member_id,name,enrolled_at\n1001,Anna,2026-11-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# from 1 December a member is new for 10 days: loaded ahead, not applied
	printf '[programme]\nlifecycle_new_days = 10\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	export LOY_NOW="2026-12-05 12:00:00"
	run -0 --separate-stderr loy-segment lifecycle
	[ "${lines[1]}" = "1001,lapsed,2026-11-01,," ]
	run -0 --separate-stderr loy-segment lifecycle --as-of 2026-11-20
	[ "${lines[1]}" = "1001,new,2026-11-01,," ]
	# the same after loy-program apply: 20 November had 90 days
	run -0 --separate-stderr loy-program apply
	run -0 --separate-stderr loy-segment lifecycle --as-of 2026-11-20
	[ "${lines[1]}" = "1001,new,2026-11-01,," ]
	run -0 --separate-stderr loy-segment lifecycle
	[ "${lines[1]}" = "1001,lapsed,2026-11-01,," ]
	ledger_ok
}

@test "lifecycle: new, active, at risk, lapsed, won back, closed" {
	new_ledger
	members N:2026-10-24 A:2024-01-01 R:2024-01-01 L:2024-01-01 W:2024-01-01 \
	    X:2024-01-01 Z:2024-01-01
	buy <<EOF
A 2026-11-13 10.00
R 2026-08-15 10.00
L 2026-05-07 10.00
W 2026-01-27 10.00
W 2026-11-03 10.00
X 2026-11-01 10.00
EOF
	loy-enroll close X >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 lifecycle
	# N joined 30 days ago; A bought 10 days ago; R 100 days ago (> 90);
	# L 200 days ago (> 180); W came back after 280 days, 20 days ago;
	# Z never bought
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,active,2024-01-01,2026-11-13,10
L,lapsed,2024-01-01,2026-05-07,200
N,new,2026-10-24,,
R,at-risk,2024-01-01,2026-08-15,100
W,won-back,2024-01-01,2026-11-03,20
X,closed,2024-01-01,2026-11-01,22
Z,lapsed,2024-01-01,,
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 lifecycle at-risk
	[ "$output" = "member_id,state,enrolled,last_purchase,days_since
R,at-risk,2024-01-01,2026-08-15,100" ]
}

@test "lists as of a past date leave out the members who joined after it" {
	new_ledger
	printf 'member_id,birthday,enrolled_at\nA,1990-06-10,2024-01-01\nB,1991-06-12,2026-03-01 10:00:00\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "A 2025-05-01 10.00" | buy
	# as of 2025-06-20 B was no member yet: not new, no stranger, no birthday
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,active,2024-01-01,2025-05-01,50
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 value
	same "$output" <<OUT
member_id,class,visits,spend,tenure_months
A,true-friend,1,10.00,17
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 birthdays
	same "$output" <<OUT
member_id,birthday,date,age
A,1990-06-10,2025-06-10,35
OUT
	# on the day B joined, B is listed
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 lifecycle new
	[ "$output" = "member_id,state,enrolled,last_purchase,days_since
B,new,2026-03-01,," ]
}

@test "lists as of a past date name a member closed after it as active, and one closed by then as closed" {
	new_ledger
	printf 'member_id,birthday,enrolled_at,referrer\nA,1990-06-10,2024-01-01,\nB,1991-06-12,2024-01-01,A\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "A 2025-05-01 10.00" | buy
	echo "B 2025-05-02 20.00" | buy
	LOY_NOW="2026-01-10 12:00:00" loy-enroll close A >/dev/null 2>&1
	# as of 2025-06-20 A was a member: in every list as the other members
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,active,2024-01-01,2025-05-01,50
B,active,2024-01-01,2025-05-02,49
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 birthdays
	same "$output" <<OUT
member_id,birthday,date,age
A,1990-06-10,2025-06-10,35
B,1991-06-12,2025-06-12,34
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 referrers
	[ "$output" = "member_id,referred,buyers,spend
A,1,1,20.00" ]
	# the day before the closing too; from the day of it, closed
	run -0 --separate-stderr loy-segment --as-of 2026-01-09 lifecycle
	[ "${lines[1]}" = "A,lapsed,2024-01-01,2025-05-01,253" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-10 lifecycle
	[ "${lines[1]}" = "A,closed,2024-01-01,2025-05-01,254" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-10 birthdays --from 2026-06-01
	[ "$output" = "member_id,birthday,date,age
B,1991-06-12,2026-06-12,35" ]
	run -0 --separate-stderr loy-segment referrers
	[ "$output" = "member_id,referred,buyers,spend" ]
	ledger_ok
}

@test "lists as of a past date show a member merged into another after it as a member of its own, with its own purchases" {
	new_ledger
	printf 'member_id,birthday,enrolled_at,referrer\nA,1990-06-10,2024-01-01,\nB,1991-06-12,2024-01-01,\nC,1992-06-14,2024-01-01,A\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "A 2025-05-01 10.00" | buy
	echo "B 2025-05-02 20.00" | buy
	echo "C 2025-05-03 5.00" | buy
	LOY_NOW="2026-01-10 12:00:00" loy-enroll merge A B >/dev/null 2>&1
	# as of 2025-06-20 A was a member, B without A's purchase
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,active,2024-01-01,2025-05-01,50
B,active,2024-01-01,2025-05-02,49
C,active,2024-01-01,2025-05-03,48
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 best 5
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,20.00,1
A,2,10.00,1
C,3,5.00,1
OUT
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 birthdays
	[ "${lines[1]}" = "A,1990-06-10,2025-06-10,35" ]
	run -0 --separate-stderr loy-segment --as-of 2025-06-20 referrers
	[ "$output" = "member_id,referred,buyers,spend
A,1,1,5.00" ]
	# the day before the merge too; from the day of it, one member, B
	run -0 --separate-stderr loy-segment --as-of 2026-01-09 best 5
	[ "${lines[2]}" = "A,2,10.00,1" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-10 best 5
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,30.00,2
C,2,5.00,1
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-01-10 lifecycle
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[1]}" = "B,lapsed,2024-01-01,2025-05-02,253" ]
	run -0 --separate-stderr loy-segment referrers
	[ "$output" = "member_id,referred,buyers,spend
B,1,1,5.00" ]
	ledger_ok
}

@test "birthdays in a period across the year end, a 29 February in a common year" {
	new_ledger
	printf 'member_id,name,phone,email,birthday,enrolled_at\nA,Ann,+49 30 1234567,ann@example.org,1990-12-30,2024-01-01\nB,Bo,,,1984-02-29,2024-01-01\nC,Cy,,,1970-01-02,2024-01-01\nD,Di,,,1980-06-15,2024-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-segment birthdays --from 2026-12-15 --to 2027-03-01 --with-contact
	same "$output" <<OUT
member_id,birthday,date,age,name,phone,email
A,1990-12-30,2026-12-30,36,Ann,+49 30 1234567,ann@example.org
C,1970-01-02,2027-01-02,57,Cy,,
B,1984-02-29,2027-02-28,43,Bo,,
OUT
	# the default period: the as-of date's month
	run -0 --separate-stderr loy-segment --as-of 2026-06-20 birthdays
	[ "$output" = "member_id,birthday,date,age
D,1980-06-15,2026-06-15,46" ]
	run -64 --separate-stderr loy-segment birthdays --from 2026-12-15 --to 2026-12-01
	[ "$stderr" = "loy-segment: --to is before --from" ]
}

@test "birthdays: a period of a whole year is one across 29 February too" {
	new_ledger
	printf 'member_id,birthday,enrolled_at\nA,1990-03-01,2022-01-01\nB,1984-02-29,2022-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# 2023-03-01 to 2024-03-01 is a year, as 2024-03-01 to 2025-03-01 is
	run -0 --separate-stderr loy-segment birthdays --from 2023-03-01 --to 2024-03-01
	same "$output" <<OUT
member_id,birthday,date,age
A,1990-03-01,2023-03-01,33
B,1984-02-29,2024-02-29,40
A,1990-03-01,2024-03-01,34
OUT
	run -0 --separate-stderr loy-segment birthdays --from 2024-03-01 --to 2025-03-01
	[ "${#lines[@]}" = 4 ]
	run -64 --separate-stderr loy-segment birthdays --from 2023-03-01 --to 2024-03-02
	[ "$stderr" = "loy-segment: --from and --to are more than a year apart" ]
	run -64 --separate-stderr loy-segment birthdays --from 2024-02-29 --to 2025-03-01
	[ "$stderr" = "loy-segment: --from and --to are more than a year apart" ]
}

@test "birthdays in the last month loy keeps: --from alone runs to 9999-12-31, as --to does" {
	new_ledger
	printf 'member_id,birthday,enrolled_at\nA,1999-12-31,2022-01-01\nB,1999-12-05,2022-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# a month on from 9999-12-01 is past the years loy keeps: the period
	# ends on the last day it does, not on an overflowed day number
	run -0 --separate-stderr loy-segment birthdays --from 9999-12-01
	same "$output" <<OUT
member_id,birthday,date,age
B,1999-12-05,9999-12-05,8000
A,1999-12-31,9999-12-31,8000
OUT
	# and a period of one day there is not more than a year long
	run -0 --separate-stderr loy-segment birthdays --from 9999-12-31 --to 9999-12-31
	same "$output" <<OUT
member_id,birthday,date,age
A,1999-12-31,9999-12-31,8000
OUT
}

@test "birthdays --from a day the next month lacks runs to that month's end, its last days not left out" {
	new_ledger
	printf 'member_id,birthday,enrolled_at\nA,1990-02-28,2020-01-01\nB,1990-02-27,2020-01-01\nC,1992-02-29,2020-01-01\nD,1990-03-01,2020-01-01\nE,1990-01-31,2020-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# 2027 has no 31 February: the period from 31 January ends on 28
	# February, the day A turns 37 and C's 29 February falls on
	run -0 --separate-stderr loy-segment birthdays --from 2027-01-31
	same "$output" <<OUT
member_id,birthday,date,age
E,1990-01-31,2027-01-31,37
B,1990-02-27,2027-02-27,37
A,1990-02-28,2027-02-28,37
C,1992-02-29,2027-02-28,35
OUT
	# from a day February has, up to the day before it a month on
	run -0 --separate-stderr loy-segment birthdays --from 2027-01-28
	same "$output" <<OUT
member_id,birthday,date,age
E,1990-01-31,2027-01-31,37
B,1990-02-27,2027-02-27,37
OUT
	# a leap year's February ends on the 29th
	run -0 --separate-stderr loy-segment birthdays --from 2028-01-30
	[ "${lines[4]}" = "C,1992-02-29,2028-02-29,36" ]
	[ "${#lines[@]}" = 5 ]
}

@test "a return that names no purchase the ledger holds is deducted from spend on its own day" {
	tiered
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	# A buys 150.00 and brings 60.00 back without naming the receipt; B buys
	# 120.00 and returns all of it as its own receipt; C only returns
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,A,2026-03-01 10:00:00,150.00,
R1,A,2026-03-02 10:00:00,-60.00,
S2,B,2026-03-01 10:00:00,120.00,
R2,B,2026-03-03 10:00:00,-120.00,X9
R3,C,2026-03-03 10:00:00,-10.00,
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# on 1 March A (150.00) and B (120.00) qualify for Gold; by 3 March A
	# has 90.00 and B 0.00: neither does
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers
	same "$output" <<OUT
$TIERS
A,Silver,Gold,150.00,100.00,qualified,2026-03-01
B,Silver,Gold,120.00,100.00,qualified,2026-03-01
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-03-03 tiers
	[ "$output" = "$TIERS" ]
	# best: A 90.00 in 1 visit, B 0.00 in 1; C bought nothing
	run -0 --separate-stderr loy-segment --as-of 2026-03-31 best 3
	same "$output" <<OUT
member_id,rank,spend,visits
A,1,90.00,1
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-03-31 never-bought
	[ "$output" = "member_id,enrolled,days_enrolled
C,2024-01-01,820" ]
	ledger_ok
}

@test "value and rfm deduct a return in the window from spend when the last purchase was before it" {
	tiered
	members A:2024-01-01 B:2024-01-01
	# A last bought in January 2025 and brings 30.00 back, naming no
	# receipt the ledger holds, in June 2026; B buys 50.00 in May 2026
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,A,2025-01-10 10:00:00,100.00,
S2,B,2026-05-01 10:00:00,50.00,
R1,A,2026-06-01 10:00:00,-30.00,X9
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# the window of 12 months to 23 November 2026 holds A's return alone:
	# A spent -30.00 in it (loy-segment(1)'s SQL), not 0.00
	run -0 --separate-stderr loy-segment rfm
	same "$output" <<OUT
member_id,recency_days,frequency,monetary,r,f,m,rfm
A,682,0,-30.00,1,1,1,111
B,206,1,50.00,3,3,3,333
OUT
	run -0 --separate-stderr loy-segment value
	same "$output" <<OUT
member_id,class,visits,spend,tenure_months
A,stranger,0,-30.00,34
B,true-friend,1,50.00,34
OUT
	[ "$(q "SELECT member_id, sum(CASE WHEN occurred_at >= '2025-11-24'
	        THEN amount - returned_amount ELSE 0 END) FROM receipts GROUP BY 1")" = "A|-3000
B|5000" ]
	ledger_ok
}

@test "a return taken before its purchase is deducted from spend once, off the purchase as one after it is" {
	tiered
	members A:2024-01-01
	# the return comes a night before the purchase it names
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-03-02 10:00:00,-40.00,P1\n' >night1.csv
	run -0 --separate-stderr loy-accrue night1.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP1,A,2026-03-01 10:00:00,120.00,\n' >night2.csv
	run -0 --separate-stderr loy-accrue night2.csv
	# 120.00 - 40.00 = 80.00 from 2 March, the day R1 was made, as if R1
	# had come after P1: no Gold (100.00) that day; on 1 March, before
	# R1, P1 was whole
	run -0 --separate-stderr loy-segment --as-of 2026-03-02 tiers
	[ "$output" = "$TIERS" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-02 best 1
	[ "${lines[1]}" = "A,1,80.00,1" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers
	[ "${lines[1]}" = "A,Silver,Gold,120.00,100.00,qualified,2026-03-01" ]
	[ "$(q "SELECT txn_id || ':' || returned_amount FROM receipts ORDER BY txn_id")" = "P1:4000
R1:-4000" ]
	ledger_ok
}

@test "value, rfm, best and referrers as of a past day count a return or an exchange only from the day it was made" {
	tiered
	printf 'member_id,enrolled_at,referrer\nA,2024-01-01,\nB,2024-01-01,A\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	# A buys 114.00 and brings 44.00 of it back in June; B, whom A
	# referred, buys 80.00 and trades 30.00 of it for 40.00 of other goods
	# in June
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,sku,qty,amount,orig_txn
S1,A,2026-05-10 10:00:00,A,1,114.00,
S2,B,2026-05-10 11:00:00,A,1,80.00,
R1,A,2026-06-15 10:00:00,A,-1,-44.00,S1
X1,B,2026-06-20 10:00:00,A,-1,-30.00,S2
X1,B,2026-06-20 10:00:00,B,1,40.00,S2
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# as of 1 June neither came back yet: A 114.00, B 80.00, as a run on
	# that day said
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 best 2
	same "$output" <<OUT
member_id,rank,spend,visits
A,1,114.00,1
B,2,80.00,1
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 rfm
	same "$output" <<OUT
member_id,recency_days,frequency,monetary,r,f,m,rfm
A,22,1,114.00,1,1,3,113
B,22,1,80.00,1,1,1,111
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 value
	same "$output" <<OUT
member_id,class,visits,spend,tenure_months
A,true-friend,1,114.00,29
B,barnacle,1,80.00,29
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 referrers
	[ "${lines[1]}" = "A,1,1,80.00" ]
	# as of 16 June A's return counts (70.00), B's exchange not yet
	run -0 --separate-stderr loy-segment --as-of 2026-06-16 best 2
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,80.00,1
A,2,70.00,1
OUT
	# today both: A 70.00, B 80.00 - 30.00 + 40.00 = 90.00 in 2 visits
	run -0 --separate-stderr loy-segment best 2
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,90.00,2
A,2,70.00,1
OUT
	run -0 --separate-stderr loy-segment referrers
	[ "${lines[1]}" = "A,1,1,90.00" ]
	# loy-segment(1)'s SQL, its window from 2 June 2025, as of 1 June
	[ "$(q "SELECT member_id,
	       sum(amount - returned_amount + coalesce(
	             (SELECT sum(CASE WHEN x.status = 'returned' THEN -x.returned_amount
	                              ELSE coalesce(x.earn->>'returned', 0) END)
	                FROM receipts x
	               WHERE x.orig_txn = r.txn_id AND r.amount >= 0
	                 AND x.occurred_at >= date('2026-06-01', '+1 day')), 0))
	  FROM receipts r
	 WHERE member_id IS NOT NULL AND status <> 'anonymous'
	   AND occurred_at >= '2025-06-02' AND occurred_at < date('2026-06-01', '+1 day')
	 GROUP BY member_id")" = "A|11400
B|8000" ]
	ledger_ok
}

@test "a return made before the purchase it names counts whole on its own day until the purchase is made, as nightly runs counted it" {
	tiered 's/review_date = 07-01/review_date = 03-04/'
	printf 'member_id,enrolled_at,referrer\nZ,2024-01-01,\nA,2024-01-01,Z\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-03-01 tiers --apply
	# A buys 110.00 on 2 March and brings 40.00 back on 3 March of P1, a
	# receipt of 5 March (its till's clock ran slow)
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP0,A,2026-03-02 10:00:00,110.00,\n' >mar2.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nR1,A,2026-03-03 10:00:00,-40.00,P1\n' >mar3.csv
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nP1,A,2026-03-05 10:00:00,80.00,\n' >mar5.csv
	cp "$LOY_DB" nightly.db
	# every night: the day's receipts, then the tiers; R1 takes 40.00 off
	# the spend from 3 March, and off P1 from 5 March: A is Gold from 2
	# March, Silver at the review of 4 March (70.00), Gold again on 5 March
	for d in 2 3 4 5; do
		[ ! -f mar$d.csv ] || loy-accrue -d nightly.db mar$d.csv >/dev/null 2>&1
		loy-segment -d nightly.db --as-of 2026-03-0$d tiers --apply >/dev/null 2>&1
	done
	[ "$(LOY_DB=nightly.db history)" = "A:Silver>Gold:qualified:2026-03-02
A:Gold>Silver:review:2026-03-04
A:Silver>Gold:qualified:2026-03-05" ]
	# the nights missed: one run on 5 March ends where they did
	loy-accrue mar2.csv >/dev/null 2>&1
	loy-accrue mar3.csv >/dev/null 2>&1
	loy-accrue mar5.csv >/dev/null 2>&1
	[ "$(q "SELECT txn_id || ':' || returned_amount FROM receipts ORDER BY txn_id")" = "P0:0
P1:4000
R1:-4000" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,110.00,100.00,qualified,2026-03-02
A,Gold,Silver,70.00,0.00,review,2026-03-04
A,Silver,Gold,150.00,100.00,qualified,2026-03-05
OUT
	same "$(history)" <<<"$(LOY_DB=nightly.db history)"
	# as of 3 or 4 March A spent 70.00, as of 5 March 150.00
	run -0 --separate-stderr loy-segment --as-of 2026-03-04 best 1
	[ "${lines[1]}" = "A,1,70.00,1" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-04 referrers
	[ "${lines[1]}" = "Z,1,1,70.00" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 best 1
	[ "${lines[1]}" = "A,1,150.00,2" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-05 referrers
	[ "${lines[1]}" = "Z,1,1,150.00" ]
	# loy-segment(1)'s SQL, as of 4 March
	[ "$(sqlite3 "$LOY_DB" -cmd ".parameter set :day \"'2026-03-04'\"" \
	    -cmd ".parameter set :first \"'2025-03-05'\"" "SELECT member_id,
	       sum(amount - returned_amount + coalesce(
	             (SELECT sum(CASE WHEN x.status = 'returned' THEN -x.returned_amount
	                              ELSE coalesce(x.earn->>'returned', 0) END)
	                FROM receipts x
	               WHERE x.orig_txn = r.txn_id AND r.amount >= 0
	                 AND x.occurred_at >= date(:day, '+1 day')), 0)
	           + coalesce(
	             (SELECT r.returned_amount FROM receipts o
	               WHERE o.txn_id = r.orig_txn AND r.status = 'returned'
	                 AND o.occurred_at >= date(:day, '+1 day')), 0))
	  FROM receipts r
	 WHERE member_id IS NOT NULL AND status <> 'anonymous'
	   AND occurred_at >= :first AND occurred_at < date(:day, '+1 day')
	 GROUP BY member_id")" = "A|7000" ]
	ledger_ok
	ledger_ok nightly.db
}

@test "a ledger of schema 9 gets its returns' share of their purchases when migrated" {
	tiered
	members A:2024-01-01
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
P1,A,2026-03-01 10:00:00,100.00,
R1,A,2026-03-02 10:00:00,-30.00,P1
R2,A,2026-03-03 10:00:00,-50.00,P1
R3,A,2026-03-04 10:00:00,-40.00,P1
R4,A,2026-03-04 11:00:00,-5.00,
EOF
	run -0 --separate-stderr loy-accrue pos.csv
	# as schema 9 left them: the returns kept nothing, P1 all that came back
	sqlite3 "$LOY_DB" "UPDATE receipts SET returned_amount = 0 WHERE status = 'returned';
	    UPDATE receipts SET returned_amount = 12000 WHERE txn_id = 'P1';
	    PRAGMA user_version = 9"
	run -0 --separate-stderr loy-check
	# P1 at most its 100.00; R1 30.00, R2 50.00, R3 the 20.00 left (negative, as
	# their amounts), R4 nothing
	same "$(q "SELECT txn_id || ':' || returned_amount FROM receipts ORDER BY txn_id")" <<'EOF'
P1:10000
R1:-3000
R2:-5000
R3:-2000
R4:0
EOF
	# spend: 100.00 - 100.00, then R3's 20.00 over and R4's 5.00: -25.00
	run -0 --separate-stderr loy-segment --as-of 2026-03-31 value
	[[ "$output" == *"A,"*",1,-25.00,"* ]]
	ledger_ok
}

@test "best N, never bought and top referrers" {
	new_ledger
	printf 'member_id,enrolled_at,referrer\nA,2024-01-01,\nB,2024-01-01,A\nC,2024-01-01,A\nD,2024-01-01,B\nE,2026-01-01,A\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	buy <<EOF
A 2026-05-01 90.00
B 2026-05-01 120.00
C 2026-05-01 90.00
C 2026-06-01 0.50
D 2026-06-01 90.50
EOF
	run -0 --separate-stderr loy-segment best 3
	# A, C and D all 90.50 or less: C 90.50 in 2 visits before D in 1
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,120.00,1
C,2,90.50,2
D,3,90.50,1
OUT
	run -0 --separate-stderr loy-segment never-bought
	[ "$output" = "member_id,enrolled,days_enrolled
E,2026-01-01,326" ]
	run -0 --separate-stderr loy-segment referrers
	# A referred B, C (both bought: 120.00 + 90.50) and E; B referred D
	same "$output" <<OUT
member_id,referred,buyers,spend
A,3,2,210.50
B,1,1,90.50
OUT
}

@test "best N leaves out a member who bought but whose returns took back all of it, or more" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	# B returns all it bought; C buys 20.00 and brings 40.00 back
	cat >pos.csv <<'EOF'
txn_id,member_id,occurred_at,amount,orig_txn
S1,A,2026-03-01 10:00:00,100.00,
S2,B,2026-03-01 10:00:00,50.00,
R2,B,2026-03-02 10:00:00,-50.00,S2
S3,C,2026-03-01 10:00:00,20.00,
R3,C,2026-03-02 10:00:00,-40.00,
EOF
	loy-accrue pos.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-segment best 3
	same "$output" <<OUT
member_id,rank,spend,visits
A,1,100.00,1
OUT
	# they bought, and are no strangers to rfm
	run -0 --separate-stderr loy-segment rfm
	same "$output" <<OUT
member_id,recency_days,frequency,monetary,r,f,m,rfm
A,267,1,100.00,1,1,4,114
B,267,1,0.00,1,1,2,112
C,267,1,-20.00,1,1,1,111
OUT
	ledger_ok
}

@test "a forgotten member is in no list for outreach, and lifecycle says forgotten" {
	new_ledger
	printf 'member_id,name,email,birthday,enrolled_at,referrer\nA,Ann,a@example.org,1990-11-25,2024-01-01,\nB,Bob,b@example.org,1980-11-28,2024-01-01,A\nC,Cy,c@example.org,1970-11-10,2024-01-01,B\nD,Di,d@example.org,1960-11-12,2024-01-01,A\nE,Ed,e@example.org,,2024-01-01,\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	buy <<EOF
A 2026-01-01 100.00
A 2026-03-01 10.00
A 2026-05-01 10.00
B 2026-02-01 50.00
C 2026-03-01 20.00
EOF
	# an erasure request: A, who spent most, and D, who never bought
	loy-enroll forget A D >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --with-contact --save gala best 2
	same "$output" <<OUT
member_id,rank,spend,visits,name,phone,email
B,1,50.00,1,Bob,,b@example.org
C,2,20.00,1,Cy,,c@example.org
OUT
	[ "$(q "SELECT group_concat(member_id) FROM segment_members WHERE segment = 'gala'")" = "B,C" ]
	# the medians are those of the members listed: B's 50.00, not A's 120.00
	run -0 --separate-stderr loy-segment value
	same "$output" <<OUT
member_id,class,visits,spend,tenure_months
B,true-friend,1,50.00,34
C,barnacle,1,20.00,34
E,stranger,0,0.00,34
OUT
	run -0 --separate-stderr loy-segment rfm
	same "$output" <<OUT
member_id,recency_days,frequency,monetary,r,f,m,rfm
B,295,1,50.00,1,1,3,113
C,267,1,20.00,3,1,1,311
OUT
	# A's rhythm broke (every 60 days, 206 days since): not for a win-back
	run -0 --separate-stderr loy-segment lapse
	[ "$output" = "member_id,purchases,last_purchase,interval_days,expected,days_overdue,risk" ]
	run -0 --separate-stderr loy-segment lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,forgotten,2024-01-01,2026-05-01,206
B,lapsed,2024-01-01,2026-02-01,295
C,lapsed,2024-01-01,2026-03-01,267
D,forgotten,2024-01-01,,
E,lapsed,2024-01-01,,
OUT
	run -0 --separate-stderr loy-segment lifecycle lapsed
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
B,lapsed,2024-01-01,2026-02-01,295
C,lapsed,2024-01-01,2026-03-01,267
E,lapsed,2024-01-01,,
OUT
	run -0 --separate-stderr loy-segment birthdays
	same "$output" <<OUT
member_id,birthday,date,age
C,1970-11-10,2026-11-10,56
B,1980-11-28,2026-11-28,46
OUT
	run -0 --separate-stderr loy-segment never-bought
	[ "$output" = "member_id,enrolled,days_enrolled
E,2024-01-01,1057" ]
	# A, who referred B and D, is not listed; the members referred count
	# forgotten or not (the books stay)
	run -0 --separate-stderr loy-segment referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
B,1,1,20.00
OUT
	# as of a day before the request too: the erasure is not undone
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 best 1
	[ "$output" = "member_id,rank,spend,visits
B,1,50.00,1" ]
	ledger_ok
}

@test "referrers as of a past day lists no referrer enrolled after it; one merged since refers as itself" {
	new_ledger
	# X referred R, and was merged into S, enrolled later, on 2026-06-05;
	# Z, enrolled later still, is named as the referrer of Q, enrolled
	# before it
	printf 'member_id,enrolled_at,referrer\nX,2024-01-01,\nR,2024-01-01,X\nS,2026-06-01,\nZ,2026-07-01,\nQ,2024-01-01,Z\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	LOY_NOW="2026-06-05 12:00:00" loy-enroll merge X S >/dev/null 2>&1
	echo "R 2024-06-01 40.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2025-01-01 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
X,1,1,40.00
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-06-04 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
X,1,1,40.00
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-06-05 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
S,1,1,40.00
OUT
	run -0 --separate-stderr loy-segment referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
S,1,1,40.00
Z,1,0,0.00
OUT
	ledger_ok
}

@test "lists as of a day between a member's closing and its merge show it closed, not active" {
	new_ledger
	printf 'member_id,enrolled_at\nA,2026-01-01\nB,2026-01-01\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "A 2026-01-01 10.00" | buy
	LOY_NOW="2026-01-02 12:00:00" loy-enroll close A >/dev/null 2>&1
	LOY_NOW="2026-01-06 12:00:00" run -0 --separate-stderr loy-enroll merge A B
	# the merge keeps the day A was closed
	[ "$(q "SELECT closed_at FROM members WHERE member_id = 'A'")" = "2026-01-02 12:00:00" ]
	# as of the day before the closing A was active; between the closing
	# and the merge it was closed; from the merge on it is B's
	run -0 --separate-stderr loy-segment --as-of 2026-01-01 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,new,2026-01-01,2026-01-01,0
B,new,2026-01-01,,
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-01-03 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,closed,2026-01-01,2026-01-01,2
B,new,2026-01-01,,
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-01-03 best 5
	same "$output" <<OUT
member_id,rank,spend,visits
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-01-03 never-bought
	same "$output" <<OUT
member_id,enrolled,days_enrolled
B,2026-01-01,2
OUT
	run -0 --separate-stderr loy-segment --as-of 2026-01-06 lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
B,new,2026-01-01,2026-01-01,5
OUT
	[ "$(q "SELECT merged_at FROM members WHERE member_id = 'A'")" = "2026-01-06 12:00:00" ]
	# and as a referrer: closed between the two dates, not listed
	printf 'member_id,enrolled_at,referrer\nX,2026-01-01,\nY,2026-01-01,\nC,2026-01-01,X\n' >r.csv
	loy-enroll r.csv >/dev/null 2>&1
	LOY_NOW="2026-01-02 12:00:00" loy-enroll close X >/dev/null 2>&1
	LOY_NOW="2026-01-06 12:00:00" loy-enroll merge X Y >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-01-01 referrers
	[ "$output" = "member_id,referred,buyers,spend
X,1,0,0.00" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-03 referrers
	[ "$output" = "member_id,referred,buyers,spend" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-06 referrers
	[ "$output" = "member_id,referred,buyers,spend
Y,1,0,0.00" ]
	ledger_ok
}

@test "referrers as of a day before a merge count the referrer the merge copied onto the survivor once, as the duplicate's" {
	new_ledger
	# D, a duplicate of S, was referred by R; S had no referrer until
	# the merge of 2026-06-05 gave it D's; T had its own, Q, kept
	printf 'member_id,enrolled_at,referrer\nR,2024-01-01,\nQ,2024-01-01,\nS,2024-01-01,\nD,2024-02-01,R\nT,2024-01-01,Q\nE,2024-02-01,R\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	echo "S 2024-06-01 40.00" | buy
	echo "D 2024-06-02 5.00" | buy
	LOY_NOW="2026-06-05 12:00:00" loy-enroll merge D S >/dev/null 2>&1
	LOY_NOW="2026-06-05 12:00:00" loy-enroll merge E T >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || coalesce(referrer, '-') FROM members WHERE member_id IN ('S', 'T') ORDER BY 1")" = "S:R
T:Q" ]
	# before the merge R referred D and E, each a member of its own, and
	# Q referred T
	run -0 --separate-stderr loy-segment --as-of 2026-06-04 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
R,2,1,5.00
Q,1,0,0.00
OUT
	# from the merge on R referred S, with D's purchase, and Q referred T
	run -0 --separate-stderr loy-segment --as-of 2026-06-05 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
R,1,1,45.00
Q,1,0,0.00
OUT
	ledger_ok
}

@test "referrers as of a day before two merges into one member in one second count each referral once, also once the member is forgotten" {
	new_ledger
	# Z, referred by R1, and A, referred by R2, are duplicates of B, which
	# had no referrer: merged into it back to back, in one second, so
	# that Z's merge gave B the referrer R1 before A's
	printf 'member_id,enrolled_at,referrer\nR1,2026-01-01,\nR2,2026-01-01,\nB,2026-01-01,\nZ,2026-01-01,R1\nA,2026-01-01,R2\n' >m.csv
	LOY_NOW="2026-01-01 00:00:00" loy-enroll m.csv >/dev/null 2>&1
	LOY_NOW="2026-01-10 12:00:00" loy-enroll merge Z B >/dev/null 2>&1
	LOY_NOW="2026-01-10 12:00:00" loy-enroll merge A B >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || coalesce(into_referrer, '-') FROM members WHERE merged_into = 'B' ORDER BY 1")" = "A:R1
Z:-" ]
	run -0 --separate-stderr loy-segment --as-of 2026-01-05 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
R1,1,0,0.00
R2,1,0,0.00
OUT
	# forgetting B rewrites the run that last changed each of its records;
	# before that day, B still had no referrer, so Z counts for R1 and A for R2
	LOY_NOW="2026-01-10 12:00:00" loy-enroll forget B >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-01-05 referrers
	same "$output" <<OUT
member_id,referred,buyers,spend
R1,1,0,0.00
R2,1,0,0.00
OUT
	# each merge recorded by its own run
	[ "$(q "SELECT count(DISTINCT merged_run) FROM members WHERE merged_into = 'B' AND merged_run IN (SELECT run_id FROM runs WHERE args LIKE '% merge %')")" = 2 ]
	ledger_ok
}

@test "save: a list becomes a named segment; an existing name needs --replace" {
	valued
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 --save top best 2
	same "$output" <<OUT
member_id,rank,spend,visits
B,1,250.00,1
A,2,200.00,4
OUT
	[ "$stderr" = "loy-segment: segment 'top': 2 members as of 2026-11-23" ]
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 --with-contact best 1
	[ "$output" = "member_id,rank,spend,visits,name,phone,email
B,1,250.00,1,Name B,,B@example.org" ]
	run -0 --separate-stderr loy-segment segments top
	[ "$output" = "member_id
A
B" ]
	# segment_member_in, as rewards and earning rules ask it
	run -0 --separate-stderr loy-segment segments top A C
	[ "$output" = "member_id,in
A,yes
C,no" ]
	run -65 --separate-stderr loy-segment segments nosuch A
	[ "$stderr" = "loy-segment: no segment 'nosuch'" ]
	before=$(dump)
	printf 'member_id\nC\n' >list.csv
	run -65 --separate-stderr loy-segment save top list.csv
	[ "$output" = "" ]
	[ "$stderr" = "loy-segment: segment 'top' exists (saved as of 2026-11-23); --replace saves over it" ]
	[ "$(dump)" = "$before" ]
	printf 'member_id,note\nC,x\nD,y\nC,z\nQ,w\n' >list.csv
	run -65 --separate-stderr loy-segment save --replace top list.csv
	[ "$output" = "" ]
	[ "${stderr%%$'\n'*}" = "loy-segment: list.csv:5: unknown member 'Q'" ]
	[ "$(dump)" = "$before" ]
	printf 'member_id,note\nC,x\nD,y\nC,z\n' >list.csv
	run -0 --separate-stderr loy-segment save --replace top list.csv
	same "$output" <<OUT
segment,members,as_of
top,2,2026-11-23
OUT
	[ "$(q "SELECT group_concat(member_id) FROM segment_members WHERE segment = 'top'")" = "C,D" ]
	run -0 --separate-stderr loy-segment segments
	[ "$output" = "segment,as_of,members,source,run_id
top,2026-11-23,2,list.csv,$(q "SELECT max(run_id) FROM runs")" ]
	ledger_ok
}

@test "save and tiers --assign read a member_id written as 17850.0 as 17850, as the other programs do" {
	new_ledger
	members 17850:2024-01-01 17851:2024-01-01
	printf 'member_id\n17850.0\n17851.00\n' >list.csv
	run -0 --separate-stderr loy-segment save top list.csv
	[ "$stderr" = "loy-segment: list.csv: 2 rows, 2 saved, 0 duplicate, 0 rejected" ]
	run -0 --separate-stderr loy-segment segments top
	[ "$output" = "member_id
17850
17851" ]
	printf 'member_id,tier,until\n17850.0,Ruby,2026-12-31\n' >match.csv
	run -0 --separate-stderr loy-segment --assign match.csv tiers --apply
	[ "${lines[1]%%,*}" = 17850 ]
	[ "$(q "SELECT tier FROM members WHERE member_id = '17850'")" = Ruby ]
	ledger_ok
}

@test "segments takes --with-contact only with a segment's name alone, whose members it lists" {
	new_ledger
	members A:2024-01-01 B:2024-01-01
	printf 'member_id\nA\n' | loy-segment save top >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --with-contact segments top
	[ "$output" = "member_id,name,phone,email
A,Name A,,A@example.org" ]
	run -64 --separate-stderr loy-segment --with-contact segments
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-segment: segments: --with-contact needs a segment's name alone, whose members it lists" ]
	run -64 --separate-stderr loy-segment --with-contact segments top A
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-segment: segments: --with-contact needs a segment's name alone, whose members it lists" ]
	ledger_ok
}

@test "segments NAME MEMBER answers for a merged id as for the member it stands for, whenever the segment was saved" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	loy-enroll merge B A >/dev/null 2>&1
	# saved after the merge: B is saved as A
	printf 'member_id\nB\n' | loy-segment save top >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments top A B C
	same "$output" <<OUT
member_id,in
A,yes
B,yes
C,no
OUT
	ledger_ok
}

@test "segments NAME MEMBER refuses an id no member has, and answers no for a member not in it, closed, forgotten or merged" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01 E:2024-01-01
	printf 'member_id\nA\n' | loy-segment save top >/dev/null 2>&1
	loy-enroll close B >/dev/null 2>&1
	loy-enroll forget C >/dev/null 2>&1
	loy-enroll merge D E >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments top A B C D E
	same "$output" <<OUT
member_id,in
A,yes
B,no
C,no
D,no
E,no
OUT
	# a typo is not a no: each id no member has is named, nothing printed
	run -65 --separate-stderr loy-segment segments top A nobody Z
	[ "$output" = "" ]
	same "$stderr" <<ERR
loy-segment: unknown member 'nobody'
loy-segment: unknown member 'Z'
ERR
	ledger_ok
}

@test "segments counts the members a segment lists: two merged into one since it was saved are one" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	printf 'member_id\nA\nB\nC\n' | loy-segment save gala >/dev/null 2>&1
	loy-enroll merge B A >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments gala
	same "$output" <<OUT
member_id
A
C
OUT
	run -0 --separate-stderr loy-segment segments
	same "$output" <<OUT
segment,as_of,members,source,run_id
gala,2026-11-23,2,stdin,$(q "SELECT run_id FROM segments")
OUT
	# the ledger keeps the snapshot as saved
	[ "$(q "SELECT members FROM segments")" = 3 ]
	ledger_ok
}

@test "a saved segment lists no member forgotten or closed since: not with --with-contact, in its count, or in a copy" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01 D:2024-01-01 E:2024-01-01
	printf 'member_id\nA\nB\nC\nD\nE\n' | loy-segment save gala >/dev/null 2>&1
	# A asks to be erased, B leaves, D is merged into E: E stands for it
	loy-enroll forget A >/dev/null 2>&1
	loy-enroll close B >/dev/null 2>&1
	loy-enroll merge D E >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments gala
	same "$output" <<OUT
member_id
C
E
OUT
	run -0 --separate-stderr loy-segment --with-contact segments gala
	same "$output" <<OUT
member_id,name,phone,email
C,Name C,,C@example.org
E,Name E,,E@example.org
OUT
	run -0 --separate-stderr loy-segment segments
	same "$output" <<OUT
segment,as_of,members,source,run_id
gala,2026-11-23,2,stdin,$(q "SELECT run_id FROM segments")
OUT
	run -0 --separate-stderr loy-segment --save gala2 segments gala
	[ "$(q "SELECT group_concat(member_id) FROM (SELECT member_id FROM segment_members WHERE segment = 'gala2' ORDER BY 1)")" = "C,E" ]
	# a reopened member is listed again; the snapshot is kept as saved
	loy-enroll reopen B >/dev/null 2>&1
	run -0 --separate-stderr loy-segment segments gala
	same "$output" <<OUT
member_id
B
C
E
OUT
	[ "$(q "SELECT members FROM segments WHERE name = 'gala'")" = 5 ]
	ledger_ok
}

@test "save refuses a forgotten or a closed member: a bad row, set aside with --rejects" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	loy-enroll forget A >/dev/null 2>&1
	loy-enroll close B >/dev/null 2>&1
	printf 'member_id\nA\nB\nC\n' >list.csv
	before=$(dump)
	run -65 --separate-stderr loy-segment save gala list.csv
	[ "$output" = "" ]
	same "$stderr" <<ERR
loy-segment: list.csv:2: member 'A' was forgotten on 2026-11-23: it is in no segment
loy-segment: list.csv:3: member 'B' is closed
loy-segment: list.csv: 3 rows, 1 saved, 0 duplicate, 2 rejected
loy-segment: 2 bad rows; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
ERR
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-segment --rejects rej.csv save gala list.csv
	same "$output" <<OUT
segment,members,as_of
gala,1,2026-11-23
OUT
	same "$(cat rej.csv)" <<OUT
member_id,line,reason
A,2,member 'A' was forgotten on 2026-11-23: it is in no segment
B,3,member 'B' is closed
OUT
	[ "$(q "SELECT group_concat(member_id) FROM segment_members")" = C ]
	ledger_ok
}

@test "tiers --assign refuses a forgotten member: no tier given by hand to a member who asked to be erased" {
	tiered
	members A:2024-01-01 B:2024-01-01
	loy-enroll forget A >/dev/null 2>&1
	printf 'member_id,tier,until\nA,Gold,2026-12-31\nB,Gold,2026-12-31\n' >assign.csv
	before=$(dump)
	run -65 --separate-stderr loy-segment --assign assign.csv tiers --apply
	same "$stderr" <<ERR
loy-segment: assign.csv:2: member 'A' was forgotten on 2026-11-23: no tier is assigned to it by hand
loy-segment: assign.csv: 2 rows, 1 assigned, 0 unchanged, 1 rejected
loy-segment: 1 bad row; nothing committed, not even the rows counted above (--rejects FILE sets bad rows aside and commits the rest)
ERR
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-segment --rejects rej.csv --assign assign.csv tiers --apply
	[ "$(q "SELECT group_concat(member_id) FROM tier_assignments")" = B ]
	ledger_ok
}

@test "lifecycle with --with-contact names no forgotten member, and with --save saves no forgotten or closed one" {
	new_ledger
	members A:2024-01-01 B:2024-01-01 C:2024-01-01
	loy-enroll forget A >/dev/null 2>&1
	loy-enroll close B >/dev/null 2>&1
	run -0 --separate-stderr loy-segment lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
A,forgotten,2024-01-01,,
B,closed,2024-01-01,,
C,lapsed,2024-01-01,,
OUT
	run -0 --separate-stderr loy-segment --with-contact lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since,name,phone,email
B,closed,2024-01-01,,,Name B,,B@example.org
C,lapsed,2024-01-01,,,Name C,,C@example.org
OUT
	run -0 --separate-stderr loy-segment --with-contact lifecycle forgotten
	[ "$output" = "member_id,state,enrolled,last_purchase,days_since,name,phone,email" ]
	run -0 --separate-stderr loy-segment --save life lifecycle
	same "$output" <<OUT
member_id,state,enrolled,last_purchase,days_since
C,lapsed,2024-01-01,,
OUT
	[ "$(q "SELECT group_concat(member_id) FROM segment_members WHERE segment = 'life'")" = C ]
	ledger_ok
}

@test "an assignment on a day already recalculated takes effect that day" {
	tiered
	members A:2024-01-01
	loy-segment --as-of 2026-06-01 tiers --apply >/dev/null 2>&1
	printf 'member_id,tier,until\nA,Gold,2026-06-30\n' >assign.csv
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,0.00,100.00,assigned,2026-06-01
OUT
	# and a second run that day changes nothing
	run -0 --separate-stderr loy-segment --as-of 2026-06-01 tiers --apply
	[ "$output" = "$TIERS" ]
	ledger_ok
}

@test "anniversary reviews: each member on the day they joined" {
	tiered 's/review = annual/review = anniversary/'
	members M:2024-03-10 N:2024-09-15
	buy <<EOF
M 2025-03-01 350.00
N 2025-03-01 350.00
EOF
	loy-segment --as-of 2025-03-01 tiers --apply >/dev/null 2>&1
	# M's review of 2025-03-10 judges 2024-03-10 .. 2025-03-09 (350.00: kept),
	# that of 2026-03-10 judges 2025-03-10 .. 2026-03-09 (nothing); N's
	# reviews fall on 15 September
	run -0 --separate-stderr loy-segment --as-of 2026-11-23 tiers --apply
	same "$output" <<OUT
$TIERS
M,Platinum,Silver,0.00,0.00,review,2026-03-10
N,Platinum,Silver,0.00,0.00,review,2026-09-15
OUT
}

@test "loy-check finds a tier history that does not chain, and a segment miscounted" {
	tiered
	members A:2024-01-01 B:2024-01-01
	echo "A 2026-03-05 150.00" | buy
	loy-segment --as-of 2026-03-05 tiers --apply >/dev/null 2>&1
	printf 'member_id\nA\n' | loy-segment save s >/dev/null 2>&1
	ledger_ok
	q "UPDATE members SET tier = 'Platinum' WHERE member_id = 'A';
	   INSERT INTO segment_members VALUES ('s', 'B')"
	run -65 --separate-stderr loy-check
	same "$output" <<OUT
invariant,subject,detail
tier-history-chains,A,"tier Platinum, last change to Gold"
segment-members-exist,segment s,"members 1, listed 2"
OUT
}

@test "a merged member's purchases count for the member it was merged into" {
	tiered
	members A:2024-01-01 B:2024-01-01
	buy <<EOF
A 2026-03-01 60.00
B 2026-03-02 50.00
EOF
	loy-enroll merge B A >/dev/null 2>&1
	run -0 --separate-stderr loy-segment --as-of 2026-03-02 tiers
	same "$output" <<OUT
$TIERS
A,Silver,Gold,110.00,100.00,qualified,2026-03-02
OUT
	# a list as of a day from the merge on; as of a day before it the
	# two were members each of their own
	run -0 --separate-stderr loy-segment best 5
	[ "$output" = "member_id,rank,spend,visits
A,1,110.00,2" ]
	run -0 --separate-stderr loy-segment --as-of 2026-03-02 best 5
	[ "$output" = "member_id,rank,spend,visits
A,1,60.00,1
B,2,50.00,1" ]
}

@test "a calendar-year window starts again on 1 January" {
	tiered 's/window = rolling/window = calendar-year/'
	members A:2024-01-01
	echo "A 2025-12-20 150.00" | buy
	run -0 --separate-stderr loy-segment --as-of 2025-12-20 tiers --apply
	[ "${lines[1]}" = "A,Silver,Gold,150.00,100.00,qualified,2025-12-20" ]
	# the review of 2026-07-01 judges 2026-01-01 .. 2026-06-30: nothing
	run -0 --separate-stderr loy-segment --as-of 2026-07-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Gold,Silver,0.00,0.00,review,2026-07-01
OUT
}

@test "a review on 1 January of a calendar-year window shows the measure of the year it judged" {
	export LOY_NOW="2027-01-01 12:00:00"
	tiered 's/window = rolling/window = calendar-year/' 's/review_date = 07-01/review_date = 01-01/'
	members A:2024-01-01 B:2024-01-01
	buy <<EOF
A 2025-03-01 350.00
B 2025-03-01 350.00
A 2026-12-31 80.00
B 2026-05-01 150.00
EOF
	run -0 --separate-stderr loy-segment --as-of 2025-03-01 tiers --apply
	[ "${#lines[@]}" = 3 ]
	# the review of 2027-01-01 judges 2026: A's 80.00 is Silver's, and so
	# is the 0.00 of the new year; B's 150.00 is Gold's
	run -0 --separate-stderr loy-segment --as-of 2027-01-01 tiers --apply
	same "$output" <<OUT
$TIERS
A,Platinum,Silver,80.00,0.00,review,2027-01-01
B,Platinum,Gold,150.00,100.00,review,2027-01-01
OUT
	ledger_ok
}

@test "a run across a change of the tier measure stops at the change" {
	tiered
	members A:2024-01-01
	echo "A 2026-05-01 20.00" | buy
	loy-segment --as-of 2026-05-30 tiers --apply >/dev/null 2>&1
	sed -i 's/measure = spend/measure = visits/; s/threshold = 100/threshold = 1/; s/threshold = 300/threshold = 5/' prog.conf
	loy-program load --from 2026-06-01 --retroactive prog.conf >/dev/null 2>&1
	before=$(dump)
	run -65 --separate-stderr loy-segment --as-of 2026-06-02 tiers --apply
	[ "$stderr" = "loy-segment: programme version 3 measures tiers otherwise from 2026-06-01: run loy-segment --as-of 2026-05-31 tiers --apply first" ]
	[ "$(dump)" = "$before" ]
	loy-segment --as-of 2026-05-31 tiers --apply >/dev/null 2>&1
	# from 2026-06-01, 1 visit in the window makes Gold
	run -0 --separate-stderr loy-segment --as-of 2026-06-02 tiers --apply
	same "$output" <<OUT
$TIERS
A,Silver,Gold,1,1,qualified,2026-06-01
OUT
}

@test "save: a foreign column by --map, bad rows set aside with --rejects" {
	valued
	printf 'kunde\nA\nNOBODY\nB\n' >list.csv
	run -1 --separate-stderr loy-segment --map member_id=kunde --rejects bad.csv save mixed list.csv
	same "$output" <<OUT
segment,members,as_of
mixed,2,2026-11-23
OUT
	same "$(cat bad.csv)" <<OUT
kunde,line,reason
NOBODY,3,unknown member 'NOBODY'
OUT
	[ "$(q "SELECT group_concat(member_id) FROM segment_members WHERE segment = 'mixed'")" = "A,B" ]
	ledger_ok
}

@test "--map and --rejects go with save and --assign, --replace with --save and save; elsewhere they are usage errors, not ignored" {
	export LOY_NOW="2026-11-23 12:00:00"
	new_ledger
	members A:2026-01-05 B:2026-02-01
	buy <<'EOF2'
A 2026-03-01 50.00
B 2026-03-02 20.00
EOF2
	local before
	before=$(dump)
	run -64 --separate-stderr loy-segment --rejects bad.csv best 2
	[ "$stderr" = "loy-segment: best: --map and --rejects are for save and --assign" ]
	[ -z "$output" ]
	[ ! -e bad.csv ]
	run -64 --separate-stderr loy-segment --map member_id=Id rfm
	[ "$stderr" = "loy-segment: rfm: --map and --rejects are for save and --assign" ]
	run -64 --separate-stderr loy-segment --rejects bad.csv tiers
	[ "$stderr" = "loy-segment: tiers: --map and --rejects are for save and --assign" ]
	run -64 --separate-stderr loy-segment --replace best 2
	[ "$stderr" = "loy-segment: best: --replace is for --save and save" ]
	run -64 --separate-stderr loy-segment --replace tiers
	[ "$stderr" = "loy-segment: tiers: --replace is for --save and save" ]
	[ "$(dump)" = "$before" ]
	# where they belong
	run -0 --separate-stderr loy-segment --save top best 1
	run -0 --separate-stderr loy-segment --replace --save top best 2
	[ "$stderr" = "loy-segment: segment 'top': 2 members as of 2026-11-23" ]
	printf 'Id\nB\nZ\n' >list.csv
	run -1 --separate-stderr loy-segment --replace --map member_id=Id --rejects bad.csv save top list.csv
	[ "$(sed -n 2p bad.csv)" = "Z,3,unknown member 'Z'" ] || { cat bad.csv; false; }
	ledger_ok
}

@test "a member_id with a line break or another control character is a bad row for save and --assign" {
	tiered
	members A:2024-01-01 B:2024-01-01
	before=$(dump)
	printf 'member_id\n"A\nB"\nB\n' >list.csv
	run -65 --separate-stderr loy-segment save top list.csv
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-segment: list.csv:2: member_id 'A\nB' has a control character" ]
	printf 'member_id,tier,until,reason\n"A\tB",gold,2026-12-31,VIP gift\n' >assign.csv
	run -65 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	[ "${stderr_lines[0]}" = "loy-segment: assign.csv:2: member_id 'A\tB' has a control character" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}

@test "an --assign reason with an escape is a bad row; its lines and tabs are its own" {
	tiered
	members A:2024-01-01 B:2024-01-01
	before=$(dump)
	printf 'member_id,tier,until,reason\nA,gold,2026-12-31,"VIP\033[2J"\nB,gold,2026-12-31,"VIP,\nsee mail"\n' >assign.csv
	run -65 --separate-stderr loy-segment --as-of 2026-06-01 --assign assign.csv tiers --apply
	[ "${stderr_lines[0]}" = "loy-segment: assign.csv:2: reason 'VIP\x1b[2J' has a control character" ]
	[ "$(dump)" = "$before" ]
	run -1 --separate-stderr loy-segment --as-of 2026-06-01 --rejects rej.csv --assign assign.csv tiers --apply
	[ "$(q "SELECT group_concat(member_id) FROM tier_assignments")" = B ]
	ledger_ok
}

@test "--help's usage gives the lists --table and --tsv, as loy-segment(1)'s synopsis does" {
	run -0 loy-segment --help
	usage=$(sed -n '1,/^Classify/p' <<<"$output" | tr -s ' \n' ' ')
	[[ "$usage" == *"[--save name [--replace]] [--safe-cells] [--table | --tsv] value [class] | rfm |"* ]]
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy-segment.1" |
	    grep -qx '\.Op Fl \\-table | Fl \\-tsv'
	new_ledger
	run -0 --separate-stderr loy-segment --tsv best 3
	[ "$output" = "$(printf 'member_id\trank\tspend\tvisits')" ]
	ledger_ok
}

@test "--help's usage and loy-segment(1)'s synopsis give every form --date-format, tiers --assign its --map and --rejects and --table and --tsv together, as save, and tiers without one of them, as the program takes them" {
	run -0 loy-segment --help
	usage=$(sed -n '1,/^Classify/p' <<<"$output" | tr -s ' \n' ' ')
	[[ "$usage" == *"loy-segment [-nV] [-d ledger] [--busy-timeout seconds] [--as-of date] [--date-format fmt] [--apply] [--safe-cells] [--table | --tsv] tiers "* ]]
	[[ "$usage" == *"loy-segment [-n] [-d ledger] [--busy-timeout seconds] [--as-of date] [--date-format fmt] [--apply] --assign file [--map field=column,...] [--rejects file] [--safe-cells] [--table] [--tsv] tiers "* ]]
	[[ "$usage" == *"loy-segment [-d ledger] [--busy-timeout seconds] [--as-of date] [--date-format fmt] [--with-contact] [--save name"* ]]
	[[ "$usage" == *"loy-segment [-n] [-d ledger] [--busy-timeout seconds] [--as-of date] [--date-format fmt] [--map field=column,...] [--rejects file] [--replace] [--safe-cells] [--table] [--tsv] save name [file] "* ]]
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$BATS_TEST_DIRNAME/../man/loy-segment.1" | tr '\n' ' ')
	[ "$(grep -o '\.Op Fl \\-as-of Ar date \.Op Fl \\-date-format Ar fmt' <<<"$synopsis" | wc -l)" = 4 ]
	[[ "$synopsis" == *'.Op Fl \-apply .Op Fl \-safe-cells .Op Fl \-table | Fl \-tsv .Cm tiers'* ]]
	[[ "$synopsis" == *'.Fl \-assign Ar file .Op Fl \-map Ar field Ns = Ns Ar column Ns ,... .Op Fl \-rejects Ar file .Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Cm tiers'* ]]
	[[ "$synopsis" == *'.Op Fl \-replace .Op Fl \-safe-cells .Op Fl \-table .Op Fl \-tsv .Cm save'* ]]
	tiered
	members A:2024-01-01 B:2024-01-01
	printf 'member_id,tier,until\nA,gold,31.12.2026\nC,gold,31.12.2026\n' >assign.csv
	run -1 --separate-stderr loy-segment --as-of 01.06.2026 --date-format %d.%m.%Y --rejects rej.csv \
	    --assign assign.csv --table tiers --apply
	[ "$stderr" = "loy-segment: assign.csv:3: unknown member 'C'
loy-segment: assign.csv: 2 rows, 1 assigned, 0 unchanged, 1 rejected" ]
	[ "$(awk '{ print $1, $3, $7 }' <<<"$output")" = "member_id new_tier effective
A Gold 2026-06-01" ]
	[ "$(q "SELECT member_id || ' ' || until FROM tier_assignments")" = "A 2026-12-31" ]
	printf 'member_id\nA\nB\n' | {
		run -0 --separate-stderr loy-segment --table save pair
		same "$output" <<-EOF
		segment  members  as_of
		pair     2        $(date -d "${LOY_NOW% *}" +%F)
		EOF
	}
	# save and --assign read TSV and write a table; tiers alone writes only
	printf 'member_id\nB\n' | {
		run -0 --separate-stderr loy-segment --tsv --table save one
		[ "$(awk '{ print $1, $2 }' <<<"$output")" = "segment members
one 1" ]
	}
	printf 'member_id\ttier\tuntil\nB\tgold\t31.12.2026\n' >assign.tsv
	run -0 --separate-stderr loy-segment --as-of 01.06.2026 --date-format %d.%m.%Y \
	    --assign assign.tsv --tsv --table tiers --apply
	[ "$(awk '{ print $1, $3 }' <<<"$output")" = "member_id new_tier
B Gold" ]
	run -64 --separate-stderr loy-segment --tsv --table tiers
	[ "${stderr_lines[0]}" = "loy-segment: --table and --tsv are one at a time" ]
	ledger_ok
}

@test "tiers --apply that waited for another writer measures with the programme version that writer loaded" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	tiered
	members A:2024-01-01
	echo "A 2026-11-02 60.00" | buy
	# from 1 November Gold from 50.00: committed while the run waits
	sed 's/^threshold = 100$/threshold = 50/' prog.conf >low.conf
	commit_version_while low.conf "2026-11-01 00:00:00"
	while_locked commit_version loy-segment --apply --busy-timeout 10 tiers --as-of 2026-11-20
	[ "$status" = 0 ]
	[ "$(history)" = "A:Silver>Gold:qualified:2026-11-20" ]
	# --assign alike, of a tier only a version committed meanwhile has
	sed 's/^\[tier Platinum\]$/[tier Diamond]/' low.conf >ren.conf
	printf 'member_id,tier,until\nA,Diamond,2026-12-31\n' >vip.csv
	commit_version_while ren.conf "2026-11-21 00:00:00"
	while_locked commit_version loy-segment --apply --busy-timeout 10 --assign vip.csv tiers --as-of 2026-11-21
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT tier FROM members WHERE member_id = 'A'")" = Diamond ]
	ledger_ok
}

@test "a list saved with --save that waited for another writer is drawn with the programme version that writer loaded" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	members A:2026-11-01
	# from 1 November a member is new for 10 days, not 90: A joined 22 days ago
	loy-program show | tail -n +2 | sed 's/^lifecycle_new_days = 90$/lifecycle_new_days = 10/' >ten.conf
	grep -qx 'lifecycle_new_days = 10' ten.conf
	commit_version_while ten.conf "2026-11-01 00:00:00"
	while_locked commit_version loy-segment --busy-timeout 10 --save fresh lifecycle new
	[ "$status" = 0 ]
	[ "$(cat out.csv)" = "member_id,state,enrolled,last_purchase,days_since" ]
	[ "$(q "SELECT count(*) FROM segment_members")" = 0 ]
	ledger_ok
}

# The programme's money changed to whole units while a list runs.
to_whole_units() {
	q "UPDATE settings SET value = '0' WHERE key = 'decimals'"
}

@test "a list prints its figures by the settings of the moment it reads them, also when they change after it opened the ledger" {
	need_faults
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,100.00\n' >p.csv
	loy-accrue p.csv >/dev/null 2>&1
	run -0 loy-segment rfm
	[ "${lines[1]}" = "1001,3,1,100.00,1,1,1,111" ]
	while_opened to_whole_units loy-segment rfm
	[ "$status" -eq 0 ]
	[ ! -s err.txt ]
	[ "$(sed -n 2p out.csv)" = "1001,3,1,10000,1,1,1,111" ]
	run -0 loy-segment rfm
	[ "$(cat out.csv)" = "$output" ]
	ledger_ok
}

# The ledger's days in Pago Pago (UTC-11), where today is never the day it
# is in Kiritimati (UTC+14).
far_west() {
	q "UPDATE settings SET value = 'Pacific/Pago_Pago' WHERE key = 'timezone'"
}

# Today in Kiritimati, the same before and after the run ($1), else skip.
same_far_east_day() {
	[ "$(TZ=Pacific/Kiritimati date +%F)" = "$1" ] ||
		skip "the day changed in Kiritimati while the test ran"
}

@test "save that waited for another writer saves as of today in the time zone that writer left" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	members A:2026-11-01
	far_west
	printf 'member_id\nA\n' >list.csv
	day=$(TZ=Pacific/Kiritimati date +%F)
	commit_sql_while "UPDATE settings SET value = 'Pacific/Kiritimati' WHERE key = 'timezone';"
	LOY_NOW= while_locked commit_version loy-segment --busy-timeout 10 save mail list.csv
	same_far_east_day "$day"
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(cat out.csv)" = "segment,members,as_of
mail,1,$day" ]
	[ "$(q "SELECT name || ',' || as_of || ',' || members FROM segments")" = "mail,$day,1" ]
	ledger_ok
}

@test "a list saved with --save that waited for another writer prints its money with the decimals and is saved as of the day of the time zone that writer left" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	new_ledger
	members A:2026-11-01
	echo "A 2026-11-02 100.00" | buy
	far_west
	day=$(TZ=Pacific/Kiritimati date +%F)
	commit_sql_while "UPDATE settings SET value = '0' WHERE key = 'decimals';
	    UPDATE settings SET value = 'Pacific/Kiritimati' WHERE key = 'timezone';"
	LOY_NOW= while_locked commit_version loy-segment --busy-timeout 10 --save top best 1
	same_far_east_day "$day"
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(cat out.csv)" = "member_id,rank,spend,visits
A,1,10000,1" ]
	[ "$(q "SELECT name || ',' || as_of || ',' || members FROM segments")" = "top,$day,1" ]
	ledger_ok
}

@test "tiers --apply and --assign that waited for another writer print the measure with the decimals, and --assign starts on the day of the time zone, that writer left" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	tiered
	members A:2024-01-01 B:2024-01-01
	echo "A 2026-11-02 160.00" | buy
	commit_sql_while "UPDATE settings SET value = '0' WHERE key = 'decimals';"
	while_locked commit_version loy-segment --apply --busy-timeout 10 tiers --as-of 2026-11-20
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(cut -d, -f1-4 out.csv)" = "member_id,old_tier,new_tier,measure
A,Silver,Gold,16000" ]
	[ "$(history)" = "A:Silver>Gold:qualified:2026-11-20" ]
	# --assign, as of today: in Kiritimati, not Pago Pago
	far_west
	printf 'member_id,tier,until\nB,Gold,2099-12-31\n' >vip.csv
	day=$(TZ=Pacific/Kiritimati date +%F)
	commit_sql_while "UPDATE settings SET value = 'Pacific/Kiritimati' WHERE key = 'timezone';"
	LOY_NOW= while_locked commit_version loy-segment --apply --busy-timeout 10 --assign vip.csv tiers
	same_far_east_day "$day"
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(q "SELECT member_id || ',' || tier || ',' || starts FROM tier_assignments")" = "B,Gold,$day" ]
	[ "$(sed -n 2p out.csv | cut -d, -f1-4)" = "B,Silver,Gold,0" ]
	ledger_ok
}

@test "tiers --assign without --apply is a dry run that waits for another writer, as a run does, and commits nothing" {
	[ -r /proc/self/wchan ] || [ -r /proc/self/syscall ] ||
		skip "cannot see whether a process waits (no /proc/PID/wchan)"
	tiered
	members A:2024-01-01
	printf 'member_id,tier,until\nA,Gold,2099-12-31\n' >vip.csv
	before=$(dump)
	commit_sql_while "DELETE FROM settings WHERE 0;"
	while_locked release_lock loy-segment --busy-timeout 10 --assign vip.csv tiers
	[ "$status" = 0 ] || { cat err.txt; false; }
	[ "$(sed -n 2p out.csv | cut -d, -f1-3)" = "A,Silver,Gold" ]
	[ "$(tail -1 err.txt)" = "loy-segment: dry run: nothing committed" ]
	[ "$(dump)" = "$before" ]
	ledger_ok
}
