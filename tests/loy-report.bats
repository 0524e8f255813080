#!/usr/bin/env bats
# loy-report: every report on a small ledger whose figures are worked out
# by hand, then on generated data against independent sqlite3 queries;
# output formats, options, a closed pipe, the HTML page in Chromium.

load helper

# Four members; six receipts, one anonymous and one return; two
# redemptions and a refusal; one expiry run.  Points expire 2 months
# after they are earned, 1 point per 1.00, a point is worth 0.01.
#
#   1001 Anna  enrolled 2026-01-10          A 100.00 (Jan), C 30.00 (Feb),
#                                           F -10.00 returns C; R1 2 x COFFEE
#   1002 Ben   enrolled 2026-01-20, by 1001 B 50.50 (Jan)
#   1003 Chen  enrolled 2026-02-05, by 1001 E 40.00 (Mar); R2 CINEMA
#   1004 Dana  enrolled 2026-02-15, Ruby    R3 refused (no points)
#   anonymous                               D 20.00 (Feb)
#
# Lots: A 100 (expires 2026-03-15), B 50 (2026-03-25), C 30 (2026-04-10),
# E 40 (2026-05-05).  The return takes 10 from C; R1 takes 40 from A (the
# soonest to expire); R2 takes 30 from E; on 2026-03-20 the 60 left in A
# expire.  Balances then: 1001 20, 1002 50, 1003 10, 1004 0: 80 in all.
base() {
	export LOY_NOW="2026-02-14 12:00:00"
	new_ledger --set expiry_months=2
	cat >members.csv <<'CSV'
member_id,name,enrolled_at,referrer
1001,Anna,2026-01-10,
1002,Ben,2026-01-20,1001
1003,Chen,2026-02-05,1001
1004,Dana,2026-02-15,
CSV
	LOY_NOW="2026-02-15 12:00:00" loy-enroll members.csv >/dev/null 2>&1
	sqlite3 "$LOY_DB" "UPDATE members SET tier = 'Ruby' WHERE member_id = '1004'"
	cat >pos.csv <<'CSV'
txn_id,member_id,occurred_at,store,channel,amount,orig_txn
A,1001,2026-01-15 10:00:00,S1,store,100.00,
B,1002,2026-01-25 11:00:00,S2,web,50.50,
C,1001,2026-02-10 12:00:00,S1,store,30.00,
D,,2026-02-11 09:00:00,S1,store,20.00,
F,1001,2026-02-12 09:30:00,S1,store,-10.00,C
CSV
	LOY_NOW="2026-02-15 12:00:00" loy-accrue pos.csv >/dev/null 2>&1
	printf 'reward_id,name,points,partner,partner_cost\nCOFFEE,Coffee,20,,\nCINEMA,Cinema ticket,30,Kino,6.50\n' >rewards.csv
	LOY_NOW="2026-02-15 12:00:00" loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty,requested_at,channel\nR1,1001,COFFEE,2,2026-02-15 10:00:00,store\n' >r1.csv
	LOY_NOW="2026-02-15 12:00:00" loy-redeem r1.csv >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,store,channel,amount\nE,1003,2026-03-05 15:00:00,S2,web,40.00\n' >pos2.csv
	LOY_NOW="2026-03-06 12:00:00" loy-accrue pos2.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty,requested_at,channel\nR2,1003,CINEMA,1,2026-03-10 10:00:00,web\nR3,1004,COFFEE,1,2026-03-11 10:00:00,web\n' >r2.csv
	LOY_NOW="2026-03-11 12:00:00" loy-redeem r2.csv >/dev/null 2>&1
	LOY_NOW="2026-03-20 12:00:00" loy-expire >/dev/null 2>&1
	export LOY_NOW="2026-03-20 12:00:00"
	ledger_ok
}

@test "statement: every entry with the running balance, and the open lots" {
	base
	run -0 --separate-stderr loy-report statement 1001
	[ "${lines[0]}" = "entry_id,occurred_at,posted_at,kind,points,balance,source,ref,reason" ]
	same "$(printf '%s\n' "$output" | cut -d, -f2,4-8)" <<'OUT'
occurred_at,kind,points,balance,source,ref
2026-01-15 10:00:00,earn,100,100,receipt,A
2026-02-10 12:00:00,earn,30,130,receipt,C
2026-02-12 09:30:00,return,-10,120,receipt,F
2026-02-15 10:00:00,redeem,-40,80,redemption,R1
2026-03-20 12:00:00,expire,-60,20,expiry,2026-03-20
OUT
	run -0 --separate-stderr loy-report statement --from 2026-02-11 --to 2026-02-28 1001
	same "$(printf '%s\n' "$output" | cut -d, -f4-6)" <<'OUT'
kind,points,balance
return,-10,120
redeem,-40,80
OUT
	run -0 --separate-stderr loy-report statement --lots 1001
	same "$output" <<OUT
lot_id,earned_at,expires_at,available_at,points,remaining,state
$(q "SELECT lot_id FROM lots WHERE entry_id = (SELECT entry_id FROM receipts WHERE txn_id = 'C')"),2026-02-10 12:00:00,2026-04-10 12:00:00,,30,20,spendable
OUT
}

@test "statement --lots of a merged member shows its survivor's open lots, where the merge moved them; its entries stay its own" {
	base
	run -0 --separate-stderr loy-enroll merge 1003 1001
	run -0 --separate-stderr loy-report statement --lots 1001
	want=$output
	[ "${#lines[@]}" = 3 ]
	run -0 --separate-stderr loy-report statement --lots 1003
	[ "$output" = "$want" ]
	[ "$stderr" = "loy-report: member '1003' was merged into '1001': the lots are theirs" ]
	run -0 --separate-stderr loy-report statement 1003
	[ "$stderr" = "" ]
	[ "$(printf '%s\n' "${lines[-1]}" | cut -d, -f4-8)" = "merge,-10,0,merge,1001" ]
	ledger_ok
}

@test "statement: an unknown member is an error" {
	base
	run -65 --separate-stderr loy-report statement 9999
	[ "$stderr" = "loy-report: unknown member '9999'" ]
	[ -z "$output" ]
	run -64 --separate-stderr loy-report statement
	[ "${stderr%%$'\n'*}" = "loy-report: statement needs one member id" ]
}

@test "--date-format reads --from and --to in another format; a date not in it, or the format alone, is a usage error" {
	base
	iso=$(loy-report earn-burn --from 2026-01-01 --to 2026-03-31)
	run -0 --separate-stderr loy-report --date-format '%d.%m.%Y' earn-burn --from 01.01.2026 --to 31.03.2026
	[ "$output" = "$iso" ]
	run -64 --separate-stderr loy-report --date-format '%d.%m.%Y' earn-burn --from 2026-01-01
	[ "${stderr%%$'\n'*}" = "loy-report: --from '2026-01-01' does not match date format '%d.%m.%Y'" ]
	run -64 --separate-stderr loy-report --date-format '%d.%m.%Y' earn-burn
	[ "${stderr%%$'\n'*}" = "loy-report: --date-format is the format of --from and --to: give one" ]
	run -64 --separate-stderr loy-report --date-format '%d.%m' earn-burn --from 01.01
	[[ "$stderr" == "loy-report: --date-format '%d.%m' gives no year"* ]]
}

@test "balances: balance, spendable, pending, past date, last activity" {
	base
	run -0 --separate-stderr loy-report balances
	# 1001's last activity is R1 (after the return F); 1003's is R2; R3 was refused
	same "$output" <<'OUT'
member_id,status,tier,balance,spendable,pending,past_date,last_activity
1001,active,Pearl,20,20,0,0,2026-02-15 10:00:00
1002,active,Pearl,50,50,0,0,2026-01-25 11:00:00
1003,active,Pearl,10,10,0,0,2026-03-10 10:00:00
1004,active,Ruby,0,0,0,0,
OUT
	# on 2026-03-25 B's 50 points are past their date, not yet expired
	LOY_NOW="2026-03-26 08:00:00" run -0 --separate-stderr loy-report balances
	[ "${lines[2]}" = "1002,active,Pearl,50,0,0,50,2026-01-25 11:00:00" ]
}

@test "a forgotten member counts in every report as before the erasure request: the totals stay exact" {
	base
	reports="balances liability earn-burn breakage tiers economics retention referrals partners redemptions"
	for r in $reports; do
		loy-report "$r" >"before.$r" 2>&1
	done
	loy-report statement 1001 >before.statement
	# 1001 referred 1002 and 1003, and holds 20 points
	loy-enroll forget 1001 1002 >/dev/null 2>&1
	for r in $reports; do
		loy-report "$r" >"after.$r" 2>&1
		diff "before.$r" "after.$r"
	done
	loy-report statement 1001 >after.statement
	diff before.statement after.statement
	[ "$(grep -c '^100[12],active,' after.balances)" = 2 ]
	ledger_ok
}

@test "balances: points in the return window are pending" {
	export LOY_NOW="2026-03-20 12:00:00"
	new_ledger --set return_window_days=14
	printf 'member_id\n7\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nX,7,2026-03-01 10:00:00,5.00\nY,7,2026-03-19 10:00:00,7.00\n' |
		loy-accrue - >/dev/null 2>&1
	run -0 --separate-stderr loy-report balances
	[ "${lines[1]}" = "7,active,Pearl,12,5,7,0,2026-03-19 10:00:00" ]
}

@test "liability: by expiry month and by tier, less the observed breakage" {
	base
	# value: points x 0.01.  Observed breakage: 60 expired, 40 + 30
	# redeemed, so 70/130 of the value is expected to be spent:
	# 50 cents x 70/130 = 26.92 -> 0.27; 20 -> 10.77 -> 0.11; 10 -> 5.38 -> 0.05;
	# all 80 -> 43.08 -> 0.43
	run -0 --separate-stderr loy-report liability
	same "$output" <<'OUT'
expires,members,lots,points,value,adjusted_value
2026-03,1,1,50,0.50,0.27
2026-04,1,1,20,0.20,0.11
2026-05,1,1,10,0.10,0.05
OUT
	run -0 --separate-stderr loy-report liability --by tier
	same "$output" <<'OUT'
tier,members,lots,points,value,adjusted_value
Pearl,3,3,80,0.80,0.43
OUT
	# the total is the ledger's balances (never below zero)
	[ "$(q "SELECT sum(max(points, 0)) FROM balances")" = 80 ]
}

@test "earn-burn: points by month, by store, by channel" {
	base
	run -0 --separate-stderr loy-report earn-burn
	same "$output" <<'OUT'
period,earned,returned,bonus,adjusted,opening,redeemed,cancelled,expired,merged,transferred,other,net,entries
2026-01,150,0,0,0,0,0,0,0,0,0,0,150,2
2026-02,30,-10,0,0,0,-40,0,0,0,0,0,-20,3
2026-03,40,0,0,0,0,-30,0,-60,0,0,0,-50,3
OUT
	run -0 --separate-stderr loy-report earn-burn --per store
	same "$output" <<'OUT'
period,store,earned,returned,bonus,adjusted,opening,redeemed,cancelled,expired,merged,transferred,other,net,entries
2026-01,S1,100,0,0,0,0,0,0,0,0,0,0,100,1
2026-01,S2,50,0,0,0,0,0,0,0,0,0,0,50,1
2026-02,,0,0,0,0,0,-40,0,0,0,0,0,-40,1
2026-02,S1,30,-10,0,0,0,0,0,0,0,0,0,20,2
2026-03,,0,0,0,0,0,-30,0,-60,0,0,0,-90,2
2026-03,S2,40,0,0,0,0,0,0,0,0,0,0,40,1
OUT
	# redemptions take their channel from the request: R1 store, R2 web;
	# weeks start on Monday: 2026-02-10 to 15 are in the week of 2026-02-09
	run -0 --separate-stderr loy-report earn-burn --per channel --from 2026-02-01 --by week
	same "$(printf '%s\n' "$output" | cut -d, -f1,2,14,15)" <<'OUT'
period,channel,net,entries
2026-02-09,store,-20,3
2026-03-02,web,40,1
2026-03-09,web,-30,1
2026-03-16,,-60,1
OUT
}

@test "breakage: what each month's earned points became" {
	base
	# Jan: A 100 + B 50 earned; 40 of A redeemed, 60 expired; B's 50 left.
	# Feb: C 30; 10 taken back by the return (other); 20 left.
	# Mar: E 40; 30 redeemed; 10 left.
	# breakage_pct = expired / earned; settled_breakage_pct = expired /
	# (expired + redeemed): 60/150 = 40.00, 60/100 = 60.00; none settled in Feb
	run -0 --separate-stderr loy-report breakage
	same "$output" <<'OUT'
cohort,earned,redeemed,expired,other,outstanding,breakage_pct,settled_breakage_pct
2026-01,150,40,60,0,50,40.00,60.00
2026-02,30,0,0,-10,20,0.00,
2026-03,40,30,0,0,10,0.00,0.00
OUT
}

@test "breakage: points received in a transfer are not earned again" {
	export LOY_NOW="2026-01-02 09:00:00"
	new_ledger --set transfers=yes
	printf 'member_id,enrolled_at\nA,2026-01-01\nB,2026-01-01\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nS1,A,2026-01-01 10:00:00,100.00\n' |
		loy-accrue - >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,A,B,40\n' >t.csv
	loy-redeem --transfers t.csv >/dev/null 2>&1
	ledger_ok
	# S1 earned 100 (1 a 1.00).  A gave 40 of them to B: 40 out of A's
	# lot and a lot of 40 for B with its date, -40 + 40 in other, 60 + 40
	# outstanding; nothing expired: 0 % of 100, none settled
	run -0 --separate-stderr loy-report breakage
	same "$output" <<'OUT'
cohort,earned,redeemed,expired,other,outstanding,breakage_pct,settled_breakage_pct
2026-01,100,0,0,0,100,0.00,
OUT
	# the man page's SQL for earned and outstanding gives the same
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block "'transfer', 'cancel'")")" = "2026-01|100|100" ]
	# B spends 30 of what A gave: 30 redeemed of the 100, 70 outstanding
	printf 'reward_id,name,points\nCUP,Cup,30\n' >c.csv
	loy-redeem --catalogue c.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR1,B,CUP,1\n' >r.csv
	loy-redeem r.csv >/dev/null 2>&1
	run -0 --separate-stderr loy-report breakage
	[ "${lines[1]}" = "2026-01,100,30,0,0,70,0.00,0.00" ]
}

@test "tiers: active members and their points by tier, every tier listed" {
	base
	run -0 --separate-stderr loy-report tiers
	same "$output" <<'OUT'
tier,members,share_pct,points,value
Pearl,3,75.00,80,0.80
Opal,0,0.00,0,0.00
Ruby,1,25.00,0,0.00
Diamond,0,0.00,0,0.00
OUT
}

@test "tiers: upgrades and downgrades per period, and a member's tier history" {
	# the default programme: Opal from 500.00 of spend in the last 12
	# months, Ruby from 2000.00; upgrades at once, downgrades at the
	# review on 01-01
	export LOY_NOW="2026-01-31 12:00:00"
	new_ledger
	printf 'member_id,enrolled_at\n1,2026-01-05\n2,2026-01-06\n3,2026-01-07\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nX,1,2026-01-10 10:00:00,2500.00\nY,2,2026-01-11 10:00:00,600.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-segment --as-of 2026-01-31 --apply tiers >/dev/null 2>&1
	export LOY_NOW="2028-01-02 12:00:00"
	loy-segment --as-of 2028-01-01 --apply tiers >/dev/null 2>&1
	run -0 --separate-stderr loy-report tiers --by month
	same "$output" <<'OUT'
period,from_tier,to_tier,movement,changes,members
2026-01,Pearl,Opal,upgrade,1,1
2026-01,Pearl,Ruby,upgrade,1,1
2028-01,Opal,Pearl,downgrade,1,1
2028-01,Ruby,Pearl,downgrade,1,1
OUT
	run -0 --separate-stderr loy-report tiers --from 2027-01-01 --by week
	same "$output" <<'OUT'
period,from_tier,to_tier,movement,changes,members
2027-12-27,Opal,Pearl,downgrade,1,1
2027-12-27,Ruby,Pearl,downgrade,1,1
OUT
	run -0 --separate-stderr loy-report statement --tiers 1
	same "$(printf '%s\n' "$output" | cut -d, -f2-7)" <<'OUT'
effective,from_tier,to_tier,reason,measure,threshold
2026-01-31,Pearl,Ruby,qualified,2500.00,2000.00
2028-01-01,Ruby,Pearl,review,0.00,0.00
OUT
	run -0 --separate-stderr loy-report tiers
	[ "${lines[1]}" = "Pearl,3,100.00,3100,31.00" ]
}

@test "tiers: a tier a merge passed to the survivor is a merge, not an upgrade" {
	export LOY_NOW="2026-01-31 12:00:00"
	new_ledger
	printf 'member_id,enrolled_at\n1,2026-01-05\n2,2026-01-06\n3,2026-01-07\n4,2026-01-08\n' |
		loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nX,1,2026-01-10 10:00:00,2500.00\nY,4,2026-01-11 10:00:00,600.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-segment --as-of 2026-01-30 --apply tiers >/dev/null 2>&1
	# one customer's three records: 1 into 2, then 2 into 3, each passing
	# the Ruby that 1 earned
	loy-enroll merge 1 2 >/dev/null 2>&1
	loy-enroll merge 2 3 >/dev/null 2>&1
	[ "$(q "SELECT member_id || ':' || reason FROM tier_history ORDER BY change_id")" = "1:qualified
4:qualified
2:merged
3:merged" ]
	run -0 --separate-stderr loy-report tiers --by month
	same "$output" <<'OUT'
period,from_tier,to_tier,movement,changes,members
2026-01,Pearl,Opal,upgrade,1,1
2026-01,Pearl,Ruby,merged,2,1
2026-01,Pearl,Ruby,upgrade,1,1
OUT
	run -0 --separate-stderr loy-report --json tiers --from 2026-01-01
	[[ "$output" == *'"movement":"merged","changes":2,"members":1'* ]]
	ledger_ok
}

@test "tiers: a tier a new version renames only in case is the same tier, by its new name" {
	export LOY_NOW="2026-01-31 12:00:00"
	new_ledger
	printf 'member_id,enrolled_at\n1,2026-01-05\n2,2026-01-06\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nX,1,2026-01-10 10:00:00,600.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-segment --as-of 2026-01-31 --apply tiers >/dev/null 2>&1
	# from 1 March Opal is OPAL; the tiers are not recalculated yet
	loy-program show | sed 's/^\[tier Opal\]$/[tier OPAL]/' >p.conf
	loy-program load --from 2026-03-01 p.conf >/dev/null 2>&1
	export LOY_NOW="2026-03-02 12:00:00"
	loy-program apply >/dev/null 2>&1
	run -0 --separate-stderr loy-report tiers
	same "$output" <<'OUT'
tier,members,share_pct,points,value
Pearl,1,50.00,0,0.00
OPAL,1,50.00,600,6.00
Ruby,0,0.00,0,0.00
Diamond,0,0.00,0,0.00
OUT
	run -0 --separate-stderr loy-report liability --by tier
	same "$output" <<'OUT'
tier,members,lots,points,value,adjusted_value
OPAL,1,1,600,6.00,6.00
OUT
	loy-segment --as-of 2026-03-01 --apply tiers >/dev/null 2>&1
	run -0 --separate-stderr loy-report tiers --by month
	same "$output" <<'OUT'
period,from_tier,to_tier,movement,changes,members
2026-01,Pearl,Opal,upgrade,1,1
2026-03,Opal,OPAL,same,1,1
OUT
	ledger_ok
}

@test "statement --tiers: money for a spend measure, counts for visits" {
	# the default programme measures spend: Opal from 500.00; from June a
	# version measures visits in the same 12 months: Opal from 1, Ruby
	# from 2, Diamond from 5
	export LOY_NOW="2026-01-31 12:00:00"
	new_ledger
	printf 'member_id,enrolled_at\nM,2026-01-05\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,M,2026-01-10 10:00:00,600.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-segment --as-of 2026-01-31 --apply tiers >/dev/null 2>&1
	export LOY_NOW="2026-05-31 12:00:00"
	loy-program show | sed 's/^measure = spend$/measure = visits/; s/^threshold = 500$/threshold = 1/
	    s/^threshold = 2000$/threshold = 2/; s/^threshold = 5000$/threshold = 5/' >p.conf
	loy-program load --from 2026-06-01 p.conf >/dev/null 2>&1
	loy-segment --as-of 2026-05-31 --apply tiers >/dev/null 2>&1
	export LOY_NOW="2026-06-15 12:00:00"
	printf 'txn_id,member_id,occurred_at,amount\nT2,M,2026-06-10 10:00:00,5.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-segment --as-of 2026-06-15 --apply tiers >/dev/null 2>&1
	# January: 600.00 spent, Opal's 500.00; June: T1 and T2 are 2 visits,
	# Ruby's 2
	run -0 --separate-stderr loy-report statement --tiers M
	same "$(printf '%s\n' "$output" | cut -d, -f2-7)" <<'OUT'
effective,from_tier,to_tier,reason,measure,threshold
2026-01-31,Pearl,Opal,qualified,600.00,500.00
2026-06-10,Opal,Ruby,qualified,2,2
OUT
	# JSON: money as exact text, counts as numbers
	run -0 --separate-stderr loy-report --json statement --tiers M
	[[ "${lines[0]}" == *'"measure":"600.00","threshold":"500.00"'* ]]
	[[ "${lines[1]}" == *'"measure":2,"threshold":2,'* ]]
}

@test "economics: members' share of sales and what the points cost" {
	base
	# sales 100 + 50.50 + 30 + 20 - 10 + 40 = 230.50, members' 210.50:
	# 91.32 %; points earned 210 (0.01 each: 2.10, 1.00 % of members'
	# sales); 70 redeemed; the cinema ticket costs 6.50: 3.09 %
	run -0 --separate-stderr loy-report economics
	same "$output" <<'OUT'
sales,member_sales,member_share_pct,purchases,points_earned,earned_value,give_back_pct,points_adjusted,points_redeemed,redeemed_value,partner_cost,partner_cost_pct
230.50,210.50,91.32,5,210,2.10,1.00,0,70,0.70,6.50,3.09
OUT
	run -0 --separate-stderr loy-report economics --by month
	same "$output" <<'OUT'
period,sales,member_sales,member_share_pct,purchases,points_earned,earned_value,give_back_pct,points_adjusted,points_redeemed,redeemed_value,partner_cost,partner_cost_pct
2026-01,150.50,150.50,100.00,2,150,1.50,1.00,0,0,0.00,0.00,0.00
2026-02,40.00,20.00,50.00,2,20,0.20,1.00,0,40,0.40,0.00,0.00
2026-03,40.00,40.00,100.00,1,40,0.40,1.00,0,30,0.30,6.50,16.25
OUT
}

@test "points are valued at the point_value of the programme version in force at the report's end, applied or not" {
	new_ledger
	printf 'member_id,name\n1001,Anna\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,1001,2026-11-20 10:00:00,100.00\n' >s.csv
	loy-accrue s.csv >/dev/null 2>&1
	# from 1 December a point is worth 0.02: loaded ahead, not applied
	printf '[programme]\npoint_value = 0.02\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	export LOY_NOW="2026-12-05 12:00:00"
	for applied in no yes; do
		run -0 --separate-stderr loy-report liability
		[ "${lines[1]}" = "2028-11,1,1,100,2.00,2.00" ]
		# November, under version 1
		run -0 --separate-stderr loy-report economics --from 2026-11-01 --to 2026-11-30
		[ "${lines[1]}" = "100.00,100.00,100.00,1,100,1.00,1.00,0,0,0.00,0.00,0.00" ]
		run -0 --separate-stderr loy-program apply
	done
	ledger_ok
}

@test "a figure past int64 is printed whole: a share of sales of 1, points valued past 9.2e18" {
	# yen: a member's purchase of 999,999,999,999,999 and an anonymous
	# return of all but 1 of it leave sales of 1
	new_ledger --set decimals=0 --set currency=JPY --set earn_amount=1000000000
	printf 'member_id,name\nA,Anna\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-11-20 10:00:00,999999999999999\nT2,,2026-11-20 11:00:00,-999999999999998\n' >s.csv
	run -0 --separate-stderr loy-accrue s.csv
	run -0 --separate-stderr loy-report economics
	[ "${lines[1]}" = "1,999999999999999,99999999999999900.00,1,999999,10000,0.00,0,0,0,0,0.00" ]
	ledger_ok
	# four credits of 999,999,999,999 points at a million dinars a point
	rm -f loyalty.db*
	new_ledger --set decimals=3 --set currency=KWD --set point_value=1000000
	printf 'member_id,name\nA,Anna\nB,Bo\n' | loy-enroll - >/dev/null 2>&1
	printf 'member_id,points,reason,ref\nA,999999999999,x,r1\nA,999999999999,x,r2\nA,999999999999,x,r3\nB,999999999999,x,r4\n' >a.csv
	run -0 --separate-stderr loy-accrue --adjust a.csv
	run -0 --separate-stderr loy-report liability
	[ "$stderr" = "" ]
	[ "${lines[1]}" = "2028-11,2,4,3999999999996,3999999999996000000.000,3999999999996000000.000" ]
	run -0 --separate-stderr loy-report --json tiers
	[ "${lines[0]}" = '{"tier":"Pearl","members":2,"share_pct":"100.00","points":3999999999996,"value":"3999999999996000000.000"}' ]
	ledger_ok
}

@test "a stored programme version that does not parse stops a report with status 65, as loy-report(1) says" {
	new_ledger
	q "DROP TRIGGER programmes_no_update; UPDATE programmes SET text = 'zzz' WHERE version = 1"
	run -65 --separate-stderr loy-report balances
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "loy-report: programme version 1:1: 'zzz' is not a section header or key = value" ]
	[ "${stderr_lines[1]}" = "loy-report: ledger '$LOY_DB': a stored programme version does not parse" ]
}

@test "promotion of an event rule is refused, not shown without participants: the ledger keeps no rule's share of an event" {
	new_ledger
	printf '[event survey]\npoints = 50\n[rule survey-double]\ntrigger = event\nevent = survey\nmultiply = 2\nfrom = 2026-11-01\nto = 2026-11-30\n' >ev.conf
	loy-program load --from 2026-01-01 ev.conf >/dev/null 2>&1
	printf 'member_id,enrolled_at\n1001,2026-01-01\n1002,2026-01-01\n' | loy-enroll - >/dev/null 2>&1
	printf 'event_id,member_id,event,occurred_at\nE1,1001,survey,2026-11-20 10:00:00\n' >e.csv
	run -0 --separate-stderr loy-accrue --events e.csv
	[ "${lines[1]}" = "E1,1001,survey,2026-11-20 10:00:00,100,credited,survey-double" ]
	run -65 --separate-stderr loy-report promotion survey-double
	[ "$output" = "" ]
	[ "$stderr" = "loy-report: rule 'survey-double' gives points on events, which the ledger keeps by event ([event survey] in economics --per rule), not by rule" ]
	run -0 --separate-stderr loy-report economics --per rule
	[ "${lines[1]}" = "[event survey],1,1,100,1.00,100.00" ]
	ledger_ok
}

@test "html names the programme as the version in force names it, applied or not" {
	new_ledger
	# from 1 December the programme is called Star Club: loaded ahead
	printf '[programme]\nprogramme = Star Club\n' >dec.conf
	run -0 --separate-stderr loy-program load --from 2026-12-01 dec.conf
	loy-report html >nov.html
	grep -q '<title>Loyalty Club' nov.html
	export LOY_NOW="2026-12-05 12:00:00"
	for applied in no yes; do
		loy-report html >dec.html
		grep -q '<title>Star Club' dec.html
		! grep -q 'Loyalty Club' dec.html || false
		run -0 --separate-stderr loy-program apply
	done
}

@test "economics: the whole time is one row, of zeros when nothing happened in it" {
	base
	run -0 --separate-stderr loy-report economics --from 2026-06-01 --to 2026-06-30
	same "$output" <<'OUT'
sales,member_sales,member_share_pct,purchases,points_earned,earned_value,give_back_pct,points_adjusted,points_redeemed,redeemed_value,partner_cost,partner_cost_pct
0.00,0.00,,0,0,0.00,,0,0,0.00,0.00,
OUT
	# as sqlite3 counts it: one row of no sales
	[ "$(q "SELECT coalesce(sum(amount), 0) FROM receipts WHERE occurred_at >= '2026-06-01' AND occurred_at < '2026-07-01'")" = 0 ]
	run -0 --separate-stderr loy-report --json economics --from 2026-06-01 --to 2026-06-30
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"sales":"0.00",'* ]]
	new_ledger -d empty.db
	run -0 --separate-stderr loy-report -d empty.db economics
	[ "${lines[1]}" = "0.00,0.00,,0,0,0.00,,0,0,0.00,0.00," ]
	# by period, a period without anything has no row
	run -0 --separate-stderr loy-report -d empty.db economics --by month
	[ "${#lines[@]}" -eq 1 ]
}

# A programme with a promotion: double points in March 2026 in store S1.
# Member 1 buys there in February (baseline) and March; member 2 buys in
# S2 both months (control); 3 buys nothing; 4 joins in March (in neither
# group's baseline, so in neither group).
promo() {
	export LOY_NOW="2026-01-01 00:00:00"
	new_ledger
	loy-program show >p.conf
	printf '\n[rule double-march]\nmultiply = 2\nfrom = 2026-03-01\nto = 2026-03-31\nstores = S1\n' >>p.conf
	loy-program load --from 2026-01-01 p.conf >/dev/null 2>&1
	export LOY_NOW="2026-04-01 12:00:00"
	printf 'member_id,enrolled_at\n1,2025-06-01\n2,2025-06-02\n3,2025-06-03\n4,2026-03-05\n' |
		loy-enroll - >/dev/null 2>&1
	cat >pos.csv <<'CSV'
txn_id,member_id,occurred_at,store,category,amount
P1,1,2026-02-10 10:00:00,S1,bakery,100.00
P2,1,2026-03-10 10:00:00,S1,wine,150.00
C1,2,2026-02-12 10:00:00,S2,bakery,200.00
C2,2,2026-03-12 10:00:00,S2,dairy,220.00
N1,4,2026-03-20 10:00:00,S2,dairy,50.00
CSV
	loy-accrue pos.csv >/dev/null 2>&1
	ledger_ok
}

@test "promotion: participants against their baseline and a control group" {
	promo
	# window 2026-03-01..31 (31 days), baseline the 31 days before.
	# participants (1): 100.00 -> 150.00 (+50 %); control (2 and 3):
	# 200.00 -> 220.00 (+10 %).  Had 1 moved as the control did: 100.00 x
	# 220/200 = 110.00, so 40.00 incremental; the rule gave 150 points
	# (the doubling of P2's 150), 1.50 at 0.01: 40.00 / 1.50 = 26.67
	run -0 --separate-stderr loy-report promotion double-march
	same "$output" <<'OUT'
rule,from,to,group,members,visits_before,visits_during,spend_before,spend_during,spend_change_pct,points,cost,expected_spend,incremental_spend,return_on_cost
double-march,2026-03-01,2026-03-31,participants,1,1,1,100.00,150.00,50.00,150,1.50,110.00,40.00,26.67
double-march,2026-03-01,2026-03-31,control,2,1,1,200.00,220.00,10.00,,,,,
OUT
	# a window of one's own: March 1-15 against February 14-28, when no
	# one bought: no change to compare with, the whole 150.00 counts as
	# incremental, 100 times the cost
	run -0 --separate-stderr loy-report promotion --from 2026-03-01 --to 2026-03-15 double-march
	same "$(printf '%s\n' "$output" | tail -n +2)" <<'OUT'
double-march,2026-03-01,2026-03-15,participants,1,0,1,0.00,150.00,,150,1.50,0.00,150.00,100.00
double-march,2026-03-01,2026-03-15,control,2,0,1,0.00,220.00,,,,,,
OUT
	run -65 --separate-stderr loy-report promotion nope
	[ "$stderr" = "loy-report: unknown rule 'nope' (loy-program show lists the rules)" ]
	run -64 --separate-stderr loy-report promotion
	[ "${stderr%%$'\n'*}" = "loy-report: promotion needs one rule name" ]
}

@test "promotion still running ends today, against a baseline of as many days; one to come is refused" {
	promo
	# on 16 March: 1-16 March (16 days) against 13-28 February, when no one
	# bought; N1 of 20 March, imported already, is after the window so far
	LOY_NOW="2026-03-16 12:00:00" run -0 --separate-stderr loy-report promotion double-march
	same "$(printf '%s\n' "$output" | tail -n +2)" <<'OUT'
double-march,2026-03-01,2026-03-16,participants,1,0,1,0.00,150.00,,150,1.50,0.00,150.00,100.00
double-march,2026-03-01,2026-03-16,control,2,0,1,0.00,220.00,,,,,,
OUT
	# --to past today alike
	LOY_NOW="2026-03-16 12:00:00" run -0 --separate-stderr loy-report promotion --from 2026-03-01 --to 2026-12-31 double-march
	[ "${lines[1]%%,participants,*}" = "double-march,2026-03-01,2026-03-16" ]
	LOY_NOW="2026-02-20 12:00:00" run -64 --separate-stderr loy-report promotion double-march
	[ "$stderr" = "loy-report: promotion double-march has not begun: its window starts on 2026-03-01" ]
	[ "$output" = "" ]
}

@test "economics by rule, earn-burn by category: what the rules gave, and on what" {
	promo
	# base rate: 100 + 150 + 200 + 220 + 50 = 720 points on 4 members'
	# 5 receipts; the promotion 150 more on one: 870 in all
	run -0 --separate-stderr loy-report economics --per rule
	same "$output" <<'OUT'
rule,awards,members,points,value,share_pct
[earn],5,3,720,7.20,82.76
double-march,1,1,150,1.50,17.24
OUT
	run -0 --separate-stderr loy-report earn-burn --per category
	same "$(printf '%s\n' "$output" | cut -d, -f1-3,14,15)" <<'OUT'
period,category,earned,net,entries
2026-02,bakery,300,300,2
2026-03,dairy,270,270,2
2026-03,wine,300,300,1
OUT
	run -64 --separate-stderr loy-report economics --per store
	[ "${stderr%%$'\n'*}" = "loy-report: --per 'store': economics is by rule only" ]
}

@test "economics by rule and earn-burn by category count what an exchange's return lines took back as a return, as the journal does" {
	promo
	# X1 brings back 50.00 of P2's wine (with the promotion's double, 100 of
	# its 300 points) and buys 80.00 of bread (80 points)
	printf 'txn_id,member_id,occurred_at,store,category,qty,amount,orig_txn\nX1,1,2026-03-15 10:00:00,S2,wine,-1,-50.00,P2\nX1,1,2026-03-15 10:00:00,S2,bakery,1,80.00,P2\n' >ex.csv
	run -0 --separate-stderr loy-accrue ex.csv
	[ "${lines[1]}" = "X1,1,2026-03-15 10:00:00,80.00,80,credited," ]
	[ "${lines[2]}" = "X1,1,2026-03-15 10:00:00,-50.00,-100,returned,returns 50.00 of 'P2'" ]
	run -0 --separate-stderr loy-report earn-burn --from 2026-03-01 --to 2026-04-01
	same "$(printf '%s\n' "$output" | cut -d, -f1-3,13)" <<'OUT'
period,earned,returned,net
2026-03,650,-100,550
OUT
	run -0 --separate-stderr loy-report earn-burn --per category --from 2026-03-01 --to 2026-04-01
	same "$(printf '%s\n' "$output" | cut -d, -f1-4,14)" <<'OUT'
period,category,earned,returned,net
2026-03,,0,-100,-100
2026-03,bakery,80,0,80
2026-03,dairy,270,0,270
2026-03,wine,300,0,300
OUT
	# the rules' cost before any return
	run -0 --separate-stderr loy-report economics --per rule
	same "$output" <<'OUT'
rule,awards,members,points,value,share_pct
[earn],6,3,800,8.00,84.21
double-march,1,1,150,1.50,15.79
OUT
	ledger_ok
}

@test "retention: enrolment-month cohorts purchasing, by months since" {
	base
	# Jan cohort (1001, 1002): both buy in Jan, 1001 in Feb, nobody in Mar.
	# Feb cohort (1003, 1004): 1003 buys in Mar.
	run -0 --separate-stderr loy-report retention
	same "$output" <<'OUT'
cohort,members,month,active,share_pct
2026-01,2,0,2,100.00
2026-01,2,1,1,50.00
2026-01,2,2,0,0.00
2026-02,2,0,0,0.00
2026-02,2,1,1,50.00
OUT
	run -0 --separate-stderr loy-report retention --to 2026-02-28
	same "$output" <<'OUT'
cohort,members,month,active,share_pct
2026-01,2,0,2,100.00
2026-01,2,1,1,50.00
2026-02,2,0,0,0.00
OUT
}

@test "referrals: referrers, their referees and what those spent" {
	base
	run -0 --separate-stderr loy-report referrals
	same "$output" <<'OUT'
referrer,referees,purchasing,purchases,spend
1001,2,2,2,90.50
OUT
	run -0 --separate-stderr loy-report referrals --from 2026-02-01
	[ "${lines[1]}" = "1001,2,1,1,40.00" ]
}

@test "partners and redemptions" {
	base
	run -0 --separate-stderr loy-report partners
	same "$output" <<'OUT'
period,partner,rewards,redemptions,units,cost
2026-03,Kino,1,1,1,6.50
OUT
	run -0 --separate-stderr loy-report redemptions
	same "$output" <<'OUT'
reward_id,name,redeemed,units,points,members,cancelled,refused
CINEMA,Cinema ticket,1,1,30,1,0,0
COFFEE,Coffee,1,2,40,1,0,1
OUT
	# a cancelled redemption gives its points back and is counted apart
	LOY_NOW="2026-03-20 12:00:00" loy-redeem cancel R2 >/dev/null 2>&1
	run -0 --separate-stderr loy-report redemptions --by month
	same "$output" <<'OUT'
period,reward_id,name,redeemed,units,points,members,cancelled,refused
2026-02,COFFEE,Coffee,1,2,40,1,0,0
2026-03,CINEMA,Cinema ticket,0,0,0,0,1,0
2026-03,COFFEE,Coffee,0,0,0,0,0,1
OUT
	run -0 --separate-stderr loy-report partners
	[ "$output" = "period,partner,rewards,redemptions,units,cost" ]
	ledger_ok
}

@test "redemptions counts a request for a reward not in the catalogue as refused under the id it gave, with an empty name" {
	base
	printf 'request_id,member_id,reward_id,qty,requested_at\nR8,1001,NOPE,1,2026-03-12 10:00:00\nR9,1001,coffee,1,2026-03-12 10:05:00\n' >r3.csv
	run -0 --separate-stderr env LOY_NOW="2026-03-12 12:00:00" loy-redeem r3.csv
	same "$output" <<'OUT'
request_id,status,reason,points,voucher
R8,refused,unknown reward 'NOPE',0,
R9,refused,unknown reward 'coffee',0,
OUT
	run -0 --separate-stderr loy-report redemptions
	same "$output" <<'OUT'
reward_id,name,redeemed,units,points,members,cancelled,refused
CINEMA,Cinema ticket,1,1,30,1,0,0
COFFEE,Coffee,1,2,40,1,0,1
NOPE,,0,0,0,0,0,1
coffee,,0,0,0,0,0,1
OUT
	# the refusals add up to the requests refused, as the ledger keeps them
	[ "$(awk -F, 'NR > 1 { n += $8 } END { print n }' <<<"$output")" = "$(q "SELECT count(*) FROM redemptions WHERE status = 'refused'")" ]
	ledger_ok
}

@test "partners, economics: a reward given a partner later does not bill what was redeemed before" {
	export LOY_NOW="2026-03-03 11:00:00"
	new_ledger
	printf 'member_id,enrolled_at\nA,2026-01-01\n' | loy-enroll - >/dev/null 2>&1
	printf 'member_id,points,reason,ref\nA,100,x,ADJ1\n' >a.csv
	loy-accrue --adjust a.csv >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' >c1.csv
	loy-redeem --catalogue c1.csv >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nQ9,A,COFFEE,1\n' >q1.csv
	loy-redeem q1.csv >/dev/null 2>&1
	# in April the coffee comes from a partner, at 2.00 each
	export LOY_NOW="2026-04-01 10:00:00"
	printf 'reward_id,name,points,partner,partner_cost\nCOFFEE,Coffee,20,Cafe,2.00\n' >c2.csv
	loy-redeem --catalogue c2.csv >/dev/null 2>&1
	export LOY_NOW="2026-04-02 10:00:00"
	printf 'request_id,member_id,reward_id,qty\nQ10,A,COFFEE,2\n' >q2.csv
	loy-redeem q2.csv >/dev/null 2>&1
	ledger_ok
	# Q9 was the programme's own coffee: nobody is owed for it; Q10's two
	# are Cafe's, 2 x 2.00 = 4.00
	run -0 --separate-stderr loy-report partners
	same "$output" <<'OUT'
period,partner,rewards,redemptions,units,cost
2026-04,Cafe,1,1,2,4.00
OUT
	# 100 points credited, 20 + 40 redeemed (0.60 at 0.01), 4.00 owed;
	# no sales to take shares of
	run -0 --separate-stderr loy-report economics
	same "$output" <<'OUT'
sales,member_sales,member_share_pct,purchases,points_earned,earned_value,give_back_pct,points_adjusted,points_redeemed,redeemed_value,partner_cost,partner_cost_pct
0.00,0.00,,0,0,0.00,,100,60,0.60,4.00,
OUT
	# loy-ledger(5)'s settlement query says the same, in minor units
	[ "$(q "SELECT partner_id || ':' || sum(qty * partner_cost) FROM redemptions
	        WHERE status = 'redeemed' AND partner_id IS NOT NULL GROUP BY partner_id")" = "Cafe:400" ]
	# Q10 as a ledger from before schema version 4 keeps it, without a
	# partner or cost: its reward, unchanged since, names Cafe, so it is
	# still Cafe's 4.00; Q9's reward changed after it: still nobody's
	sqlite3 "$LOY_DB" "UPDATE redemptions SET partner_id = NULL, partner_cost = NULL WHERE request_id = 'Q10'"
	run -0 --separate-stderr loy-report partners
	[ "${lines[*]}" = "period,partner,rewards,redemptions,units,cost 2026-04,Cafe,1,1,2,4.00" ]
	run -0 --separate-stderr loy-report economics
	[ "$(printf '%s\n' "${lines[1]}" | cut -d, -f11)" = "4.00" ]
	# and so does loy-report(1)'s SQL for partners
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block "AS partner,")")" = "2026-04|Cafe|2|400" ]
}

@test "runs: the ledger's run history" {
	base
	run -0 --separate-stderr loy-report runs
	# init, enroll, accrue, catalogue, redeem, accrue, redeem, expire
	[ "$(printf '%s\n' "$output" | cut -d, -f2 | tr '\n' ' ')" = "program loy-init loy-enroll loy-accrue loy-redeem loy-redeem loy-accrue loy-redeem loy-expire " ]
	[ "$(printf '%s\n' "${lines[3]}" | cut -d, -f2,5-9)" = "loy-accrue,5,5,0,0,pos.csv" ]
	run -0 --separate-stderr loy-report runs --from 2026-03-01
	[ "$(printf '%s\n' "$output" | cut -d, -f2 | tr '\n' ' ')" = "program loy-accrue loy-redeem loy-expire " ]
}

@test "runs: who ran each run, LOY_OPERATOR or else the login name; a LOY_OPERATOR that is no name is a usage error" {
	new_ledger
	printf 'member_id,name\n1,Ann\n' >a.csv
	printf 'member_id,name\n2,Bob\n' >b.csv
	LOY_OPERATOR='Åsa Berg' run -0 --separate-stderr loy-enroll a.csv
	run -0 --separate-stderr loy-enroll b.csv
	before=$(dump)
	LOY_OPERATOR=$'night\e[2Jshift' run -64 --separate-stderr loy-enroll b.csv
	[ "$stderr" = "loy-enroll: LOY_OPERATOR 'night\x1b[2Jshift' is not a name: it has a control character or is not UTF-8" ]
	[ "$(dump)" = "$before" ]
	run -0 --separate-stderr loy-report runs --tsv
	me=$(id -un)
	same "$(printf '%s\n' "$output" | cut -f2,13)" <<EOF
program	operator
loy-init	$me
loy-enroll	Åsa Berg
loy-enroll	$me
EOF
	[ "$(q "SELECT group_concat(operator, '|') FROM (SELECT operator FROM runs ORDER BY run_id)")" = "$me|Åsa Berg|$me" ]
	ledger_ok
}

# The SQL of loy-report(1)'s REPORTS, one block at a time.
man_sql() {
	awk '/^\.Sh REPORTS/,/^\.Sh OPTIONS/' "$BATS_TEST_DIRNAME/../man/loy-report.1" |
		awk '/^\.Bd -literal/ { on = 1; buf = ""; next }
		     /^\.Ed/ { if (on && buf ~ /SELECT/) printf "%s\036", buf; on = 0; next }
		     on { buf = buf $0 "\n" }' | sed 's/\\e/\\/g'
}

# The block of SQL of loy-report(1) that holds the text $1.
man_block() {
	man_sql | awk -v RS='\036' -v pat="$1" 'index($0, pat) { printf "%s", $0 }'
}

@test "the man page's SQL runs on a ledger and gives the reports' figures" {
	base
	local n=0 sql
	while IFS= read -r -d $'\036' sql; do
		run sqlite3 -bail -readonly "$LOY_DB" "$sql"
		[ "$status" -eq 0 ] || { echo "failed: $sql: $output" >&2; return 1; }
		n=$((n + 1))
	done < <(man_sql)
	[ "$n" -ge 14 ]
	# the liability's and earn-burn's main figures, as the page computes them
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_sql | tr '\036' '\n' | awk '/AS expires,/,/GROUP BY 1;/')")" = "2026-03|50
2026-04|20
2026-05|10" ]
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_sql | tr '\036' '\n' | awk '/AS period,/,/ORDER BY 1;/')")" = "2026-01|150|150
2026-02|30|-20
2026-03|40|-50" ]
}

@test "loy-ledger(5) lists every kind and source of entry the programs write" {
	export LOY_NOW="2026-01-01 09:00:00"
	new_ledger --set transfers=yes
	loy-program show >p.conf
	printf '\n[rule welcome]\ntrigger = signup\nbonus = 10\n\n[event survey]\npoints = 5\n' >>p.conf
	loy-program load p.conf >/dev/null 2>&1
	export LOY_NOW="2026-01-20 12:00:00"
	printf 'member_id,enrolled_at\nA,2026-01-05\nB,2026-01-05\nC,2026-01-05\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount,orig_txn\nS1,A,2026-01-10 10:00:00,100.00,\nS2,A,2026-01-11 10:00:00,-10.00,S1\n' |
		loy-accrue - >/dev/null 2>&1
	printf 'member_id,points,reason,ref\nA,5,goodwill,ADJ1\n' | loy-accrue --adjust - >/dev/null 2>&1
	printf 'member_id,points,earned_at,expires_at\nB,20,2025-12-01,2026-01-15 23:59:59\n' |
		loy-accrue --opening - >/dev/null 2>&1
	printf 'event_id,member_id,event,occurred_at\nE1,A,survey,2026-01-12 10:00:00\n' |
		loy-accrue --events - >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' | loy-redeem --catalogue - >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty\nR1,A,COFFEE,1\n' | loy-redeem - >/dev/null 2>&1
	loy-redeem cancel R1 >/dev/null 2>&1
	printf 'transfer_id,from_member,to_member,points\nX1,A,B,10\n' | loy-redeem --transfers - >/dev/null 2>&1
	loy-enroll merge C B >/dev/null 2>&1
	loy-expire >/dev/null 2>&1
	ledger_ok
	# a receipt and its return, a credit, an opening balance, the sign-up
	# rule's bonus and an event's, a redemption and its cancel, a
	# transfer, a merge, an expiry
	[ "$(q "SELECT group_concat(kind, ' ') FROM (SELECT DISTINCT kind FROM journal ORDER BY 1)")" = \
	  "adjust bonus cancel earn expire merge opening redeem return transfer" ]
	[ "$(q "SELECT group_concat(source, ' ') FROM (SELECT DISTINCT source FROM journal ORDER BY 1)")" = \
	  "adjustment event expiry merge opening receipt redemption rule transfer" ]
	local page="$BATS_TEST_DIRNAME/../man/loy-ledger.5" listed k
	# the kinds the page lists are these, and each source is named
	listed=$(awk '/^\.Ss journal/, /^\.Ss lots/' "$page" | awk '/^\.It Sy kind/, /^\.It Sy points/' |
		sed -n 's/^\.It Li \([a-z]*\)$/\1/p' | sort | tr '\n' ' ')
	[ "$listed" = "adjust bonus cancel earn expire merge opening redeem return transfer " ]
	for k in $(q "SELECT DISTINCT source FROM journal"); do
		awk '/^\.Ss journal/, /^\.Ss lots/' "$page" | awk '/^\.It Sy source , ref/, /^\.It Sy reverses/' |
			grep -qx "\.Li $k" || { echo "source $k not in loy-ledger(5)" >&2; return 1; }
	done
}

@test "output as TSV, an aligned table and JSON lines; money stays exact text" {
	base
	run -0 --separate-stderr loy-report --tsv tiers
	[ "${lines[1]}" = $'Pearl\t3\t75.00\t80\t0.80' ]
	run -0 --separate-stderr loy-report --table liability --by tier
	same "$output" <<'OUT'
tier   members  lots  points  value  adjusted_value
Pearl  3        3     80      0.80   0.43
OUT
	run -0 --separate-stderr loy-report --json tiers
	same "$output" <<'OUT'
{"tier":"Pearl","members":3,"share_pct":"75.00","points":80,"value":"0.80"}
{"tier":"Opal","members":0,"share_pct":"0.00","points":0,"value":"0.00"}
{"tier":"Ruby","members":1,"share_pct":"25.00","points":0,"value":"0.00"}
{"tier":"Diamond","members":0,"share_pct":"0.00","points":0,"value":"0.00"}
OUT
	# no value is null; every line is a JSON object
	run -0 --separate-stderr loy-report --json breakage
	[ "${lines[1]}" = '{"cohort":"2026-02","earned":30,"redeemed":0,"expired":0,"other":-10,"outstanding":20,"breakage_pct":"0.00","settled_breakage_pct":null}' ]
	for l in "${lines[@]}"; do
		[ "$(sqlite3 :memory: "SELECT json_valid('${l//\'/\'\'}')")" = 1 ]
	done
}

@test "json: an empty value is null, whether the ledger keeps it as NULL or the report as ''" {
	base
	# the redemption and the expiry have no receipt, so no store: empty in CSV, null in JSON
	run -0 --separate-stderr loy-report earn-burn --per store
	[[ "$output" == *$'\n2026-03,,0,0,0,0,0,-30,0,-60,0,0,0,-90,2\n'* ]]
	run -0 --separate-stderr loy-report --json earn-burn --per store
	[[ "$output" == *'{"period":"2026-03","store":null,"earned":0,'* ]]
	[[ "$output" != *'""'* ]]
	# a member without a tier: null in balances and in tiers alike
	sqlite3 "$LOY_DB" "UPDATE members SET tier = NULL WHERE member_id = '1003'"
	run -0 --separate-stderr loy-report --json balances
	[[ "$output" == *'{"member_id":"1003","status":"active","tier":null,'* ]]
	run -0 --separate-stderr loy-report --json tiers
	[ "${lines[4]}" = '{"tier":null,"members":1,"share_pct":"25.00","points":10,"value":"0.10"}' ]
	run -0 --separate-stderr loy-report tiers
	[ "${lines[5]}" = ',1,25.00,10,0.10' ]
}

@test "a table lines up names in Chinese, Japanese and with accents" {
	export LOY_NOW="2026-03-20 12:00:00"
	new_ledger
	printf 'member_id\n1\n2\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,store,amount\nX,1,2026-03-01 10:00:00,上海 南京路,5.00\nY,2,2026-03-02 10:00:00,Zürich HB,7.00\n' |
		loy-accrue - >/dev/null 2>&1
	run -0 --separate-stderr loy-report --table earn-burn --per store
	# each CJK character is two columns wide: 上海 南京路 takes 11, as Zürich HB 9
	same "$output" <<'OUT'
period   store        earned  returned  bonus  adjusted  opening  redeemed  cancelled  expired  merged  transferred  other  net  entries
2026-03  Zürich HB    7       0         0      0         0        0         0          0        0       0            0      7    1
2026-03  上海 南京路  5       0         0      0         0        0         0          0        0       0            0      5    1
OUT
}

@test "a report reads and changes nothing, not even the run history" {
	base
	before=$(dump)
	for r in balances liability earn-burn breakage tiers economics retention referrals partners redemptions runs; do
		loy-report "$r" >/dev/null
	done
	loy-report statement 1001 >/dev/null
	loy-report html >/dev/null
	[ "$(dump)" = "$before" ]
}

@test "options that do not fit a report, and bad values, are usage errors" {
	base
	run -64 --separate-stderr loy-report balances --by month
	[ "${stderr%%$'\n'*}" = "loy-report: balances takes no --by" ]
	run -64 --separate-stderr loy-report balances --from 2026-01-01
	[ "${stderr%%$'\n'*}" = "loy-report: balances takes no --from or --to" ]
	run -64 --separate-stderr loy-report liability --lots
	[ "${stderr%%$'\n'*}" = "loy-report: liability takes no --lots" ]
	run -64 --separate-stderr loy-report statement --lots --tiers 1001
	[ "${stderr%%$'\n'*}" = "loy-report: --lots and --tiers are two statements: give one" ]
	# the open lots are today's: a window would be silently ignored
	run -64 --separate-stderr loy-report statement --lots --from 2026-03-01 1001
	[ "$stderr" = "loy-report: statement --lots takes no --from or --to" ]
	[ -z "$output" ]
	run -64 --separate-stderr loy-report statement --lots --to 2026-01-31 1001
	[ "$stderr" = "loy-report: statement --lots takes no --from or --to" ]
	run -0 --separate-stderr loy-report statement --tiers --from 2026-03-01 1001
	run -64 --separate-stderr loy-report --json --table runs
	[ "${stderr%%$'\n'*}" = "loy-report: --json, --table and --tsv are one at a time" ]
	run -64 --separate-stderr loy-report --tsv --table runs
	[ "${stderr%%$'\n'*}" = "loy-report: --json, --table and --tsv are one at a time" ]
	run -64 --separate-stderr loy-report earn-burn --by decade
	[ "${stderr%%$'\n'*}" = "loy-report: --by 'decade' must be day, week, month, quarter or year" ]
	run -64 --separate-stderr loy-report earn-burn --by tier
	[ "${stderr%%$'\n'*}" = "loy-report: --by 'tier' must be day, week, month, quarter or year" ]
	run -64 --separate-stderr loy-report liability --by Year
	[ "${stderr%%$'\n'*}" = "loy-report: --by 'Year' must be day, week, month, quarter or year, or tier" ]
	run -64 --separate-stderr loy-report earn-burn --from 2026-02-30
	[ "${stderr%%$'\n'*}" = "loy-report: --from '2026-02-30' is not a valid date" ]
	run -64 --separate-stderr loy-report earn-burn --from 2026-03-01 --to 2026-02-01
	[ "${stderr%%$'\n'*}" = "loy-report: --to '2026-02-01' is before --from '2026-03-01'" ]
	run -64 --separate-stderr loy-report earn-burn --per sku
	[ "${stderr%%$'\n'*}" = "loy-report: --per 'sku' must be store, channel or category" ]
	run -64 --separate-stderr loy-report nonsense
	[ "${stderr%%$'\n'*}" = "loy-report: unknown report 'nonsense' (see loy-report --help)" ]
	run -64 --separate-stderr loy-report --json --table tiers
	[[ "$stderr" == *$'\nusage: loy-report '* ]]
	run -64 --separate-stderr loy-report
	run -0 loy-report --help
	[[ "$output" == *"statement MEMBER"* ]]
	run -0 loy-report --version
	[[ "$output" == "loy-report "* ]]
}

@test "a report does not wait for a writer that holds the ledger" {
	base
	hold_lock
	run -0 --separate-stderr loy-report --busy-timeout 0 tiers
	[ "${lines[1]}" = "Pearl,3,75.00,80,0.80" ]
	release_lock
}

@test "a missing ledger is exit 66" {
	run -66 --separate-stderr loy-report -d nowhere.db tiers
	[ "$stderr" = "loy-report: no ledger at 'nowhere.db' (create one with: loy-init -d 'nowhere.db')" ]
}

@test "a closed output pipe ends the report quietly" {
	base
	# enough rows to fill the pipe long after head has gone
	sqlite3 "$LOY_DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
	  INSERT INTO members(member_id, enrolled_at, created_run, updated_run)
	  SELECT 'X' || i, '2026-01-01', 1, 1 FROM n"
	run -0 bash -c 'loy-report balances 2>err.txt | head -1; echo "${PIPESTATUS[0]}"'
	[ "${lines[0]}" = "member_id,status,tier,balance,spendable,pending,past_date,last_activity" ]
	[[ "${lines[1]}" == 0 || "${lines[1]}" == 141 ]]
	[ ! -s err.txt ]
}

@test "with SIGPIPE ignored, a closed output pipe says so and exits 74, as every program does" {
	base
	sqlite3 "$LOY_DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
	  INSERT INTO members(member_id, enrolled_at, created_run, updated_run)
	  SELECT 'X' || i, '2026-01-01', 1, 1 FROM n"
	for cmd in "loy-report balances" "loy-report balances --json" "loy-enroll list"; do
		run -0 bash -c "trap '' PIPE; $cmd 2>err.txt | head -1 >/dev/null; echo \"\${PIPESTATUS[0]}\""
		[ "$output" = 74 ] || { echo "$cmd: $output" >&2; return 1; }
		[ "$(cat err.txt)" = "${cmd%% *}: cannot write the output: Broken pipe" ]
	done
	ledger_ok
}

# Render `report.html` in headless Chromium (no network): the DOM after
# loading in dom.html, the browser's messages in chrome.err.
render() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	    --user-data-dir="$BATS_TEST_TMPDIR/chrome" --host-resolver-rules='MAP * ~NOTFOUND' \
	    --enable-logging=stderr --v=0 --dump-dom "file://$PWD/report.html" >dom.html 2>chrome.err
}

# Elements of class $2 in the chart with id $1 of the rendered page.
in_chart() {
	tr '\n' ' ' <dom.html | sed -e "s/.*<svg id=\"$1\"//" -e 's#</svg>.*##' |
		grep -o "class=\"$2\"" | wc -l
}

@test "html: one self-contained page that Chromium renders with every bar and cell" {
	base
	loy-report html >report.html
	# nothing is fetched: no sources, links, imports or scripts
	run grep -Eic '(src|href)=|url\(|@import|<script|<link|<img|<iframe|<object' report.html
	[ "$output" = 0 ]
	render
	run grep -E 'CONSOLE|Uncaught|Failed to load|net::ERR_' chrome.err
	[ -z "$output" ]
	grep -q '<footer id="end">' dom.html	# the whole page was read
	# 4 tiers; Jan, Feb, Mar with earned, redeemed and expired each; points
	# expiring in 2026-03, 04, 05; the Jan cohort's months 0-2, Feb's 0-1
	[ "$(in_chart chart-tiers bar)" -eq 4 ]
	[ "$(in_chart chart-earn-burn bar)" -eq 9 ]
	[ "$(in_chart chart-liability bar)" -eq 3 ]
	[ "$(in_chart chart-retention cell)" -eq 5 ]
	# the tallest bar of each chart is the largest figure: Pearl's 3
	# members, January's 150 points, March's 50
	grep -q '<rect class="bar" data-series="members" x="[0-9]*" y="20" width="[0-9]*" height="220" fill="[^"]*"><title>Pearl members: 3</title>' dom.html
	grep -q 'height="220"[^>]*><title>2026-01 earned: 150</title>' dom.html
	grep -q 'height="220"[^>]*><title>2026-03 points: 50</title>' dom.html
}

@test "html: the page is of the whole ledger, so --from and --to are usage errors" {
	base
	run -64 --separate-stderr loy-report html --from 2026-03-01
	[ "$stderr" = "loy-report: html takes no --from or --to" ]
	[ -z "$output" ]
	run -64 --separate-stderr loy-report html --to 2026-01-31
	[ "$stderr" = "loy-report: html takes no --from or --to" ]
	run -0 --separate-stderr loy-report html
	[[ "$output" == *'<footer id="end">'* ]]
}

@test "html: a page, not a table, so --json, --table, --tsv and --safe-cells are usage errors" {
	base
	local o
	for o in --json --table --tsv --safe-cells; do
		run -64 --separate-stderr loy-report "$o" html
		[ "$stderr" = "loy-report: html writes a page, not a table: it takes no --json, --table, --tsv or --safe-cells" ]
		[ -z "$output" ]
	done
	run -0 --separate-stderr loy-report --table balances
	run -0 --separate-stderr loy-report html
	[[ "$output" == *'<footer id="end">'* ]]
}

@test "html: names from the ledger stay text: markup escaped, control characters shown, bidi overrides closed" {
	export LOY_NOW="2026-03-20 12:00:00"
	new_ledger
	# a tier named with a right-to-left override and a control character,
	# another as markup
	# (loy refuses a control character in a name now; an older loy stored
	# them, and the ledger keeps them: put there as it did)
	printf '[programme]\nprogramme = </title><script>alert(1)</script> \xe2\x80\xaeClub\n[tiers]\nmeasure = spend\n[tier \xe2\x80\xaeGoldCTL]\nthreshold = 0\n[tier "><svg onload=alert(2)>]\nthreshold = 10.00\n' >p.conf
	loy-program load p.conf >/dev/null 2>&1
	q "SELECT writefile('v2', replace(text, 'GoldCTL', 'Gold' || char(1)))
	    FROM programmes WHERE version = 2" >/dev/null
	q "DROP TRIGGER programmes_no_update;
	    UPDATE programmes SET text = CAST(readfile('v2') AS TEXT),
	      sha256 = '$(sha256sum <v2 | cut -d' ' -f1)' WHERE version = 2;
	    CREATE TRIGGER programmes_no_update BEFORE UPDATE ON programmes
	      BEGIN SELECT RAISE(ABORT, 'programme versions are kept as loaded'); END;"
	printf 'member_id,enrolled_at\n1001,2026-01-10\n' >m.csv
	loy-enroll m.csv >/dev/null 2>&1
	loy-segment tiers --apply >/dev/null 2>&1
	printf 'reward_id,name,points\nR1,"</table>CTL[31mred",20\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1
	q "UPDATE rewards SET name = replace(name, 'CTL', char(27))"
	printf 'request_id,member_id,reward_id\nQ1,1001,R1\n' >q.csv
	loy-redeem q.csv >/dev/null 2>&1 || :	# refused: no points, but a row
	loy-report html >report.html
	run grep -Eic '<script|<svg onload|</table>\x1b' report.html
	[ "$output" = 0 ]
	grep -q '<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; ' report.html
	grep -qF "$(printf '<td>&lt;/table&gt;\xe2\x90\x9b[31mred</td>')" report.html	# ESC as its picture
	# no control character on the page: the tier's \x01 as its picture
	run grep -c -P '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]' report.html
	[ "$output" = 0 ]
	# the override ends with the name (U+202C), so that it does not turn
	# "members: 1" after it into "1 :srebmem"
	grep -q "$(printf '<title>\xe2\x80\xaeGold\xe2\x90\x81\xe2\x80\xac members: 1</title>')" report.html
	grep -q "$(printf '<h1>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; \xe2\x80\xaeClub\xe2\x80\xac</h1>')" report.html
	ledger_ok
}

@test "html: an empty ledger still makes a page" {
	export LOY_NOW="2026-03-20 12:00:00"
	new_ledger
	run -0 --separate-stderr loy-report html
	[[ "$output" == *'<svg id="chart-tiers"'* ]]
	[[ "$output" == *"nothing yet"* ]]
	[ "$(printf '%s\n' "$output" | grep -c 'class="bar"')" -eq 4 ]	# the tiers, with no members
}

# ----------------------------------------------------------------------
# Generated data: 300 members enrolled over 2025-2026, 23 months of
# receipts (with anonymous sales and returns), credits and debits,
# redemptions each month, the monthly expiry run, a few cancels.  Each
# report is then compared with an independent sqlite3 query.

setup_file() {
	local dir="$BATS_FILE_TMPDIR" y m now
	export GEN="$dir/gen.db"
	(
	cd "$dir" || exit 1
	export LOY_DB="$GEN" LOY_NOW="2025-01-01 00:00:00"
	loy-init --set expiry_months=6 --set return_window_days=7 2>/dev/null
	awk 'BEGIN { srand(11); print "member_id,name,enrolled_at,referrer"
		for (i = 1; i <= 300; i++) {
			ref = i % 6 == 0 ? sprintf("G%04d", int(rand() * (i - 1)) + 1) : ""
			printf "G%04d,Name %d,2025-01-01,%s\n", i, i, ref } }' >members.csv
	loy-enroll members.csv >/dev/null 2>&1 || exit 1
	# enrolment months spread over 2025 and 2026, tiers as a segment run would set them
	sqlite3 "$GEN" "UPDATE members SET
	    enrolled_at = printf('%04d-%02d-%02d', 2025 + (substr(member_id, 2) % 2),
	      (substr(member_id, 2) * 7) % 10 + 1, substr(member_id, 2) % 28 + 1),
	    tier = CASE substr(member_id, 2) % 7 WHEN 0 THEN 'Diamond' WHEN 1 THEN 'Ruby'
	      WHEN 2 THEN 'Opal' WHEN 3 THEN 'Opal' ELSE 'Pearl' END"
	printf 'reward_id,name,points,partner,partner_cost\nCOFFEE,Coffee,20,,\nCINEMA,"Cinema, any film",150,"Kino, Berlin",6.50\nSPA,Spa day,500,Spa,30.00\n' >rewards.csv
	loy-redeem --catalogue rewards.csv >/dev/null 2>&1 || exit 1
	awk 'BEGIN { srand(5); ns = split("S1|London, Soho|上海 南京路", st, "|")
		for (r = 1; r <= 4000; r++) {
			mon = int((r - 1) * 23 / 4000); y = 2025 + int(mon / 12); m = mon % 12 + 1
			f = sprintf("pos-%04d-%02d.csv", y, m)
			if (!(f in seen)) { seen[f] = 1; print "txn_id,member_id,occurred_at,store,channel,amount,orig_txn" > f }
			when = sprintf("%04d-%02d-%02d %02d:%02d:00", y, m, int(rand() * 20) + 1, 8 + int(rand() * 12), int(rand() * 60))
			if (n > 20 && rand() < 0.03) {
				k = int(rand() * n) + 1
				printf "C%05d,%s,%s,\"%s\",store,-%s,%s\n", r, km[k], when, ks[k], ka[k], kt[k] > f
				continue
			}
			mem = rand() < 0.85 ? sprintf("G%04d", int(rand() * 300) + 1) : ""
			s = st[int(rand() * ns) + 1]
			amt = sprintf("%d.%02d", int(rand() * 150), int(rand() * 100))
			printf "T%05d,%s,%s,\"%s\",%s,%s,\n", r, mem, when, s, rand() < 0.6 ? "store" : "web", amt > f
			if (mem != "") { n++; km[n] = mem; ks[n] = s; ka[n] = amt; kt[n] = sprintf("T%05d", r) }
		} }'
	awk 'BEGIN { srand(9); split("COFFEE COFFEE COFFEE CINEMA SPA", rw, " ")
		for (q = 1; q <= 460; q++) {
			mon = int((q - 1) * 23 / 460); y = 2025 + int(mon / 12); m = mon % 12 + 1
			f = sprintf("req-%04d-%02d.csv", y, m)
			if (!(f in seen)) { seen[f] = 1; print "request_id,member_id,reward_id,qty,requested_at,channel" > f }
			printf "Q%04d,G%04d,%s,%d,%04d-%02d-25 10:00:00,%s\n", q, int(rand() * 300) + 1,
			    rw[int(rand() * 5) + 1], int(rand() * 2) + 1, y, m, rand() < 0.5 ? "web" : "app" > f
		} }'
	for y in 2025 2026; do
		for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
			[ -e "pos-$y-$m.csv" ] || continue
			now="$y-$m-26 12:00:00"
			LOY_NOW="$now" loy-accrue "pos-$y-$m.csv" >/dev/null 2>&1 || exit 1
			LOY_NOW="$now" loy-redeem "req-$y-$m.csv" >/dev/null 2>&1 || exit 1
			LOY_NOW="$now" loy-expire >/dev/null 2>&1 || exit 1
		done
	done
	printf 'member_id,points,reason,ref\nG0001,25,goodwill,A1\nG0002,-5,correction,A2\nG0150,300,complaint,A3\n' >adj.csv
	LOY_NOW="2026-11-26 12:00:00" loy-accrue --adjust adj.csv >/dev/null 2>&1 || exit 1
	LOY_NOW="2026-11-26 12:00:00" loy-redeem cancel $(sqlite3 "$GEN" "SELECT request_id FROM redemptions
	    WHERE status = 'redeemed' AND requested_at >= '2026-10-01' ORDER BY request_id LIMIT 3") >/dev/null 2>&1 || exit 1
	) || return 1
}

gen() {
	export LOY_DB="$GEN" LOY_NOW="2026-11-26 12:00:00"
	ledger_ok
}

# Minor units as decimal text, in SQL (integers only).
DEC="printf('%s%d.%02d', CASE WHEN x < 0 THEN '-' ELSE '' END, abs(x) / 100, abs(x) % 100)"

@test "generated: the ledger has what the comparisons need" {
	gen
	[ "$(q "SELECT count(*) FROM receipts")" -gt 3500 ]
	[ "$(q "SELECT count(*) FROM receipts WHERE status = 'returned'")" -gt 50 ]
	[ "$(q "SELECT count(*) FROM receipts WHERE status = 'anonymous'")" -gt 300 ]
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'redeemed'")" -gt 100 ]
	[ "$(q "SELECT count(*) FROM redemptions WHERE status = 'cancelled'")" -eq 3 ]
	[ "$(q "SELECT count(*) FROM journal WHERE kind = 'expire'")" -gt 100 ]
}

@test "generated: balances against the ledger's balances and lots" {
	gen
	loy-report balances >b.csv
	[ "$(csvq b.csv "SELECT member_id || ':' || balance FROM t ORDER BY member_id")" = \
	  "$(q "SELECT member_id || ':' || coalesce(b.points, 0) FROM members LEFT JOIN balances b USING (member_id) ORDER BY member_id")" ]
	[ "$(csvq b.csv "SELECT sum(spendable) || ' ' || sum(pending) || ' ' || sum(past_date) FROM t")" = \
	  "$(q "SELECT coalesce(sum(remaining) FILTER (WHERE (available_at IS NULL OR available_at <= '$LOY_NOW') AND date(expires_at) > date('$LOY_NOW')), 0) || ' ' ||
	           coalesce(sum(remaining) FILTER (WHERE available_at > '$LOY_NOW' AND date(expires_at) > date('$LOY_NOW')), 0) || ' ' ||
	           coalesce(sum(remaining) FILTER (WHERE date(expires_at) <= date('$LOY_NOW')), 0) FROM lots WHERE remaining > 0")" ]
	[ "$(csvq b.csv "SELECT count(*) FROM t WHERE last_activity <> ''")" = \
	  "$(q "SELECT count(*) FROM members WHERE member_id IN (SELECT member_id FROM receipts UNION SELECT member_id FROM redemptions WHERE status <> 'refused')")" ]
}

@test "generated: liability against the open lots, reconciled with the balances" {
	gen
	loy-report liability >l.csv
	[ "$(csvq l.csv "SELECT expires || ':' || points || ':' || value FROM t")" = \
	  "$(q "SELECT e || ':' || x || ':' || $DEC FROM (SELECT coalesce(strftime('%Y-%m', expires_at), 'never') AS e, sum(remaining) AS x
	        FROM lots WHERE remaining > 0 GROUP BY 1 ORDER BY 1)")" ]
	[ "$(csvq l.csv "SELECT sum(points) FROM t")" = "$(q "SELECT sum(max(points, 0)) FROM balances")" ]
	# the adjusted value: the expected share spent, from the lots' own history
	settled=$(q "SELECT -(SELECT sum(m.points) FROM lot_moves m JOIN journal j USING (entry_id) WHERE j.kind = 'expire') || ' ' ||
	    -((SELECT sum(m.points) FROM lot_moves m JOIN journal j USING (entry_id) WHERE j.kind = 'redeem')
	      + (SELECT coalesce(sum(l.points), 0) FROM lots l JOIN journal j USING (entry_id) WHERE j.kind = 'cancel'))")
	read -r e r <<<"$settled"
	[ "$e" -gt 0 ]
	[ "$r" -gt 0 ]
	[ "$(csvq l.csv "SELECT adjusted_value FROM t")" = \
	  "$(csvq l.csv "SELECT $DEC FROM (SELECT (2 * points * $r + ($e + $r)) / (2 * ($e + $r)) AS x FROM t)")" ]
	loy-report liability --by tier >lt.csv
	[ "$(csvq lt.csv "SELECT tier || ':' || points FROM t ORDER BY tier")" = \
	  "$(q "SELECT m.tier || ':' || sum(l.remaining) FROM lots l JOIN members m USING (member_id) WHERE l.remaining > 0 GROUP BY m.tier ORDER BY m.tier")" ]
}

@test "generated: earn-burn against the journal, by month and by store" {
	gen
	loy-report earn-burn >e.csv
	[ "$(csvq e.csv "SELECT period || ':' || earned || ':' || redeemed || ':' || expired || ':' || net FROM t")" = \
	  "$(q "SELECT strftime('%Y-%m', occurred_at) || ':' || sum(CASE kind WHEN 'earn' THEN points ELSE 0 END) || ':' ||
	        sum(CASE kind WHEN 'redeem' THEN points ELSE 0 END) || ':' || sum(CASE kind WHEN 'expire' THEN points ELSE 0 END) || ':' ||
	        sum(points) FROM journal GROUP BY strftime('%Y-%m', occurred_at) ORDER BY 1")" ]
	[ "$(csvq e.csv "SELECT sum(net) FROM t")" = "$(q "SELECT sum(points) FROM balances")" ]
	loy-report earn-burn --per store --by day >s.csv
	[ "$(csvq s.csv "SELECT store || ':' || sum(earned) || ':' || sum(returned) FROM t WHERE store <> '' GROUP BY store ORDER BY store")" = \
	  "$(q "SELECT r.store || ':' || sum(CASE j.kind WHEN 'earn' THEN j.points ELSE 0 END) || ':' || sum(CASE j.kind WHEN 'return' THEN j.points ELSE 0 END)
	        FROM journal j JOIN receipts r ON r.txn_id = j.ref WHERE j.source = 'receipt' GROUP BY r.store ORDER BY r.store")" ]
	loy-report earn-burn --by week --from 2026-03-01 --to 2026-03-31 >w.csv
	[ "$(csvq w.csv "SELECT sum(net) || ':' || sum(entries) FROM t")" = \
	  "$(q "SELECT sum(points) || ':' || count(*) FROM journal WHERE occurred_at BETWEEN '2026-03-01' AND '2026-03-31 23:59:59'")" ]
}

@test "generated: earn-burn and liability by quarter and by year" {
	gen
	loy-report earn-burn --by quarter >qq.csv
	# the quarter is the one its month falls in, labelled YYYY-Qn
	[ "$(csvq qq.csv "SELECT period || ':' || earned || ':' || redeemed || ':' || net FROM t")" = \
	  "$(q "SELECT p || ':' || sum(CASE kind WHEN 'earn' THEN points ELSE 0 END) || ':' || sum(CASE kind WHEN 'redeem' THEN points ELSE 0 END) || ':' ||
	        sum(points) FROM (SELECT strftime('%Y', occurred_at) || '-Q' || ((strftime('%m', occurred_at) + 2) / 3) AS p, kind, points FROM journal)
	        GROUP BY p ORDER BY p")" ]
	# more than one quarter, each a sum of its months
	[ "$(csvq qq.csv "SELECT count(*) > 1 FROM t")" = 1 ]
	loy-report earn-burn >mm.csv
	[ "$(csvq qq.csv "SELECT group_concat(period || '=' || net, ' ') FROM t")" = \
	  "$(csvq mm.csv "SELECT group_concat(q || '=' || n, ' ') FROM (SELECT substr(period, 1, 4) || '-Q' || ((substr(period, 6, 2) + 2) / 3) AS q,
	        sum(net) AS n FROM t GROUP BY q ORDER BY q)")" ]
	loy-report earn-burn --by year --from 2026-01-01 --to 2026-12-31 >yy.csv
	[ "$(csvq yy.csv "SELECT group_concat(period || '=' || net || '/' || entries, ' ') FROM t")" = \
	  "$(q "SELECT '2026=' || sum(points) || '/' || count(*) FROM journal WHERE occurred_at BETWEEN '2026-01-01' AND '2026-12-31 23:59:59'")" ]
	# the open lots by the quarter and the year they expire in
	loy-report liability --by quarter >lq.csv
	[ "$(csvq lq.csv "SELECT group_concat(expires || '=' || points, ' ') FROM t")" = \
	  "$(q "SELECT group_concat(e || '=' || p, ' ') FROM (SELECT coalesce(substr(expires_at, 1, 4) || '-Q' || ((substr(expires_at, 6, 2) + 2) / 3), 'never') AS e,
	        sum(remaining) AS p FROM lots WHERE remaining > 0 GROUP BY 1 ORDER BY min(expires_at) IS NULL, 1)")" ]
	loy-report liability --by year >ly.csv
	[ "$(csvq ly.csv "SELECT sum(points) FROM t")" = "$(q "SELECT sum(remaining) FROM lots WHERE remaining > 0")" ]
	[ "$(csvq ly.csv "SELECT count(*) FROM t WHERE expires <> 'never' AND length(expires) <> 4")" = 0 ]
	ledger_ok
}

@test "generated: breakage against lots and their moves" {
	gen
	loy-report breakage >k.csv
	[ "$(csvq k.csv "SELECT cohort || ':' || earned || ':' || outstanding FROM t")" = \
	  "$(q "SELECT strftime('%Y-%m', l.earned_at) || ':' || sum(CASE WHEN j.kind IN ('earn', 'adjust', 'opening') THEN l.points ELSE 0 END) || ':' ||
	        sum(l.remaining) FROM lots l JOIN journal j USING (entry_id) GROUP BY strftime('%Y-%m', l.earned_at) ORDER BY 1")" ]
	[ "$(csvq k.csv "SELECT sum(expired) || ':' || sum(redeemed) FROM t")" = \
	  "$(q "SELECT -sum(points) FILTER (WHERE kind = 'expire') || ':' || -sum(points) FILTER (WHERE kind IN ('redeem', 'cancel')) FROM journal")" ]
	# each cohort adds up: outstanding = earned - redeemed - expired + other
	[ "$(csvq k.csv "SELECT count(*) FROM t WHERE outstanding <> earned - redeemed - expired + other")" = 0 ]
}

@test "generated: tiers and economics against members and receipts" {
	gen
	loy-report tiers >t.csv
	[ "$(csvq t.csv "SELECT tier || ':' || members || ':' || points FROM t WHERE members > 0 ORDER BY tier")" = \
	  "$(q "SELECT tier || ':' || count(*) || ':' || sum(coalesce(b.points, 0)) FROM members LEFT JOIN balances b USING (member_id)
	        WHERE status = 'active' GROUP BY tier ORDER BY tier")" ]
	loy-report economics --by month >c.csv
	[ "$(csvq c.csv "SELECT period || ':' || sales || ':' || member_sales || ':' || points_earned FROM t")" = \
	  "$(q "SELECT p || ':' || $DEC || ':' || (SELECT $DEC FROM (SELECT sum(amount) AS x FROM receipts WHERE strftime('%Y-%m', occurred_at) = p AND member_id IS NOT NULL)) || ':' ||
	        (SELECT sum(points) FROM journal WHERE kind IN ('earn', 'return') AND strftime('%Y-%m', occurred_at) = p)
	        FROM (SELECT strftime('%Y-%m', occurred_at) AS p, sum(amount) AS x FROM receipts GROUP BY 1) ORDER BY p")" ]
}

@test "generated: retention against receipts, counted another way" {
	gen
	loy-report retention >r.csv
	[ "$(csvq r.csv "SELECT cohort || ':' || month || ':' || active FROM t WHERE active > 0")" = \
	  "$(q "SELECT c || ':' || k || ':' || n FROM (SELECT strftime('%Y-%m', m.enrolled_at) AS c,
	        (strftime('%Y', r.occurred_at) - strftime('%Y', m.enrolled_at)) * 12 + strftime('%m', r.occurred_at) - strftime('%m', m.enrolled_at) AS k,
	        count(DISTINCT r.member_id) AS n FROM receipts r JOIN members m USING (member_id) WHERE r.amount > 0 GROUP BY c, k)
	        WHERE k >= 0 ORDER BY c, k")" ]
	[ "$(csvq r.csv "SELECT DISTINCT cohort || ':' || members FROM t")" = \
	  "$(q "SELECT strftime('%Y-%m', enrolled_at) || ':' || count(*) FROM members GROUP BY strftime('%Y-%m', enrolled_at) ORDER BY 1")" ]
	# every cohort has a cell for each month from its enrolment to this month
	[ "$(csvq r.csv "SELECT count(*) FROM t")" = \
	  "$(q "SELECT sum(2026 * 12 + 11 - (strftime('%Y', c) * 12 + strftime('%m', c)) + 1) FROM (SELECT DISTINCT substr(enrolled_at, 1, 7) || '-01' AS c FROM members)")" ]
}

@test "generated: referrals, partners and redemptions against their tables" {
	gen
	loy-report referrals >f.csv
	[ "$(csvq f.csv "SELECT referrer || ':' || referees || ':' || spend FROM t ORDER BY referrer")" = \
	  "$(q "SELECT referrer || ':' || n || ':' || $DEC FROM (SELECT m.referrer, count(DISTINCT m.member_id) AS n, coalesce(sum(r.amount), 0) AS x
	        FROM members m LEFT JOIN receipts r ON r.member_id = m.member_id WHERE m.referrer IS NOT NULL GROUP BY m.referrer) ORDER BY referrer")" ]
	loy-report partners >p.csv
	[ "$(csvq p.csv "SELECT period || ':' || partner || ':' || units || ':' || cost FROM t")" = \
	  "$(q "SELECT p || ':' || partner_id || ':' || u || ':' || $DEC FROM (SELECT strftime('%Y-%m', requested_at) AS p, partner_id, sum(qty) AS u,
	        sum(qty * partner_cost) AS x FROM redemptions WHERE status = 'redeemed' AND partner_id IS NOT NULL GROUP BY 1, 2) ORDER BY p, partner_id")" ]
	loy-report redemptions >d.csv
	[ "$(csvq d.csv "SELECT reward_id || ':' || units || ':' || points || ':' || cancelled || ':' || refused FROM t")" = \
	  "$(q "SELECT reward_id || ':' || total(qty * (status = 'redeemed')) || ':' || total(points * (status = 'redeemed')) || ':' ||
	        sum(status = 'cancelled') || ':' || sum(status = 'refused') FROM redemptions GROUP BY reward_id ORDER BY reward_id" | sed 's/\.0:/:/g')" ]
	[ "$(csvq d.csv "SELECT sum(points) FROM t")" = "$(q "SELECT -sum(points) FROM journal WHERE kind IN ('redeem', 'cancel')")" ]
}

@test "generated: runs and statements against the ledger" {
	gen
	loy-report runs >u.csv
	[ "$(csvq u.csv "SELECT count(*) || ':' || sum(rows_read) FROM t")" = "$(q "SELECT count(*) || ':' || sum(rows_read) FROM runs")" ]
	for m in G0001 G0150 G0299; do
		loy-report statement "$m" >st.csv
		[ "$(csvq st.csv "SELECT count(*) || ':' || coalesce((SELECT balance FROM t ORDER BY CAST(entry_id AS INTEGER) DESC LIMIT 1), 0) FROM t")" = \
		  "$(q "SELECT count(*) || ':' || coalesce((SELECT points FROM balances WHERE member_id = '$m'), 0) FROM journal WHERE member_id = '$m'")" ]
	done
}

@test "generated: the HTML page has a bar for each month and a cell for each cohort month" {
	gen
	loy-report html >report.html
	render
	run grep -E 'CONSOLE|Uncaught|Failed to load|net::ERR_' chrome.err
	[ -z "$output" ]
	[ "$(in_chart chart-earn-burn bar)" -eq "$(q "SELECT 3 * count(DISTINCT substr(occurred_at, 1, 7)) FROM journal")" ]
	[ "$(in_chart chart-liability bar)" -eq "$(q "SELECT count(DISTINCT coalesce(substr(expires_at, 1, 7), 'never')) FROM lots WHERE remaining > 0")" ]
	[ "$(in_chart chart-retention cell)" -eq "$(loy-report retention | tail -n +2 | wc -l)" ]
	[ "$(in_chart chart-tiers bar)" -eq 4 ]
}

@test "generated: points by rule and by category add up to the journal's" {
	gen
	loy-report economics --per rule >x.csv
	[ "$(csvq x.csv "SELECT sum(points) FROM t")" = \
	  "$(q "SELECT (SELECT sum(points) FROM receipts WHERE earn IS NOT NULL) + (SELECT coalesce(sum(points), 0) FROM journal WHERE kind = 'bonus' AND source IN ('rule', 'event'))")" ]
	loy-report earn-burn --per category >y.csv
	[ "$(csvq y.csv "SELECT sum(earned) || ':' || sum(net) FROM t")" = "$(q "SELECT sum(points) FILTER (WHERE kind = 'earn') || ':' || sum(points) FROM journal")" ]
}

# ----------------------------------------------------------------------
# Merged members: one person enrolled three times, A (referred by R) in
# January, B in February, C in March; loy-enroll merges A into B, then B
# into C, so that A and B stand for C.  D was referred by A, E by B.
#
#   T1 A 100.00 (Jan 10)   T2 D 20.00 (Jan 25)   T3 E 30.00 (Feb 25)
#   Q1 A redeems COFFEE (Mar 16); merge A -> B (Mar 17)
#   T4 B 50.00 (Mar 18); merge B -> C (Mar 19)
#   T5 C 70.00 (Mar 20)   T6 A's id, credited to C, 10.00 (Mar 21)
#   Q2 C redeems COFFEE (Mar 22)
merges() {
	export LOY_NOW="2026-01-01 09:00:00"
	new_ledger --set expiry_months=12
	printf 'member_id,name,enrolled_at,referrer\nR,Rita,2026-01-02,\nA,Ann,2026-01-05,R\nB,Ann B,2026-02-10,\nC,Ann C,2026-03-15,\nD,Dan,2026-01-20,A\nE,Eve,2026-02-20,B\n' |
		LOY_NOW="2026-03-16 09:00:00" loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT1,A,2026-01-10 10:00:00,100.00\nT2,D,2026-01-25 10:00:00,20.00\nT3,E,2026-02-25 10:00:00,30.00\n' |
		LOY_NOW="2026-03-16 10:00:00" loy-accrue - >/dev/null 2>&1
	printf 'reward_id,name,points\nCOFFEE,Coffee,20\n' | LOY_NOW="2026-03-16 10:00:00" loy-redeem --catalogue - >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty,requested_at\nQ1,A,COFFEE,1,2026-03-16 11:00:00\n' |
		LOY_NOW="2026-03-16 12:00:00" loy-redeem - >/dev/null 2>&1
	LOY_NOW="2026-03-17 09:00:00" loy-enroll merge A B >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT4,B,2026-03-18 10:00:00,50.00\n' |
		LOY_NOW="2026-03-18 12:00:00" loy-accrue - >/dev/null 2>&1
	LOY_NOW="2026-03-19 09:00:00" loy-enroll merge B C >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT5,C,2026-03-20 10:00:00,70.00\nT6,A,2026-03-21 10:00:00,10.00\n' |
		LOY_NOW="2026-03-21 12:00:00" loy-accrue - >/dev/null 2>&1
	printf 'request_id,member_id,reward_id,qty,requested_at\nQ2,C,COFFEE,1,2026-03-22 11:00:00\n' |
		LOY_NOW="2026-03-22 12:00:00" loy-redeem - >/dev/null 2>&1
	export LOY_NOW="2026-03-25 12:00:00"
	[ "$(q "SELECT group_concat(member_id || '>' || merged_into, ' ') FROM members WHERE status = 'merged'")" = "A>B B>C" ]
	[ "$(q "SELECT member_id FROM receipts WHERE txn_id = 'T6'")" = C ]
	ledger_ok
}

@test "referrals and retention count a merged member as the member it was merged into" {
	merges
	# D and E were referred by A and B, who are C now; A's referral by R
	# went to B, then C, with the merges, as neither had a referrer.  C's
	# referees bought 20.00 and 30.00; C bought 230.00 in four receipts,
	# under all three ids.
	run -0 --separate-stderr loy-report referrals
	same "$output" <<'OUT'
referrer,referees,purchasing,purchases,spend
R,1,1,4,230.00
C,2,2,2,50.00
OUT
	# the January cohort is R and D (A is C now), February's E, March's C,
	# whose purchases as A (January, before C enrolled) are not counted
	# and as B (March 18) are
	run -0 --separate-stderr loy-report retention
	same "$output" <<'OUT'
cohort,members,month,active,share_pct
2026-01,2,0,1,50.00
2026-01,2,1,0,0.00
2026-01,2,2,0,0.00
2026-02,1,0,1,100.00
2026-02,1,1,0,0.00
2026-03,1,0,1,100.00
OUT
	# as the man page's SQL counts them
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'AS referees')" | sort)" = "C|2|5000
R|1|23000" ]
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'AS active')")" = "2026-01|2
2026-02|1
2026-03|1
2026-01|0|1
2026-02|0|1
2026-03|0|1" ]
	# the html page's tables are the same
	loy-report html >report.html
	grep -q '<td>C</td><td class="n">2</td><td class="n">2</td><td class="n">2</td><td class="n">50.00</td>' report.html ||
		{ grep -A3 -i referrals report.html >&2; return 1; }
}

@test "retention --to a day within a month counts the purchases up to that day, not the whole month" {
	base
	# 1001 (enrolled January 10) bought on January 15, 1002 (January 20)
	# on January 25: by January 20 only 1001 had bought
	run -0 --separate-stderr loy-report retention --to 2026-01-20
	same "$output" <<'OUT'
cohort,members,month,active,share_pct
2026-01,2,0,1,50.00
OUT
	run -0 --separate-stderr loy-report retention --to 2026-01-25
	[ "${lines[1]}" = "2026-01,2,0,2,100.00" ]
	# February to the 11th: 1001's purchase on the 10th, not 1003's
	# (enrolled February 5) on March 5
	run -0 --separate-stderr loy-report retention --to 2026-02-11
	same "$output" <<'OUT'
cohort,members,month,active,share_pct
2026-01,2,0,2,100.00
2026-01,2,1,1,50.00
2026-02,1,0,0,0.00
OUT
}

@test "retention counts every month since a cohort more than a hundred years old, not the first 1200" {
	export LOY_NOW="2026-03-10 12:00:00"
	new_ledger
	printf 'member_id,name,enrolled_at\nOLD,Olga,1920-01-01\n' | loy-enroll >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nV1,OLD,2026-03-01 10:00:00,30.00\n' |
		loy-accrue >/dev/null 2>&1
	# January 1920 to March 2026: months 0 to 1274, the purchase in the last
	run -0 --separate-stderr loy-report retention
	[ "${#lines[@]}" -eq 1276 ]
	[ "${lines[1275]}" = "1920-01,1,1274,1,100.00" ]
	[ "$(loy-report retention | awk -F, 'NR > 1 && $4 > 0' | wc -l)" -eq 1 ]
	ledger_ok
}

@test "retention --to a day still to come ends at the current month, not at months with no purchases yet" {
	base
	export LOY_NOW="2026-03-10 12:00:00"
	loy-report retention >now.csv
	run -0 --separate-stderr loy-report retention --to 2027-06-30
	same "$output" <now.csv
	# January's cohort: months 0 to 2, January to March, and no more
	[ "$(grep -c '^2026-01,' now.csv)" -eq 3 ]
	ledger_ok
}

@test "economics --per rule, redemptions and tier movements count a merged member and its survivor as one member" {
	merges
	# A, B and C earned on their receipts: one member, not three
	run -0 --separate-stderr loy-report economics --per rule
	same "$output" <<'OUT'
rule,awards,members,points,value,share_pct
[earn],6,3,280,2.80,100.00
OUT
	# A redeemed before the merges, C after: one member
	run -0 --separate-stderr loy-report redemptions
	same "$output" <<'OUT'
reward_id,name,redeemed,units,points,members,cancelled,refused
COFFEE,Coffee,2,2,40,1,0,0
OUT
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'sum(d.qty), sum(d.points)')")" = "COFFEE|2|40|1" ]
	# X reaches Opal, is merged into Y, and Y takes X's Opal by the merge:
	# an upgrade and a merge, of one member
	export LOY_NOW="2026-01-31 12:00:00"
	new_ledger -d tiers.db
	export LOY_DB="$BATS_TEST_TMPDIR/tiers.db"
	printf 'member_id,enrolled_at\nX,2026-01-05\nY,2026-01-06\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nP,X,2026-03-01 10:00:00,600.00\n' |
		LOY_NOW="2026-03-01 12:00:00" loy-accrue - >/dev/null 2>&1
	LOY_NOW="2026-03-02 12:00:00" loy-segment --as-of 2026-03-02 --apply tiers >/dev/null 2>&1
	LOY_NOW="2026-03-03 12:00:00" loy-enroll merge X Y >/dev/null 2>&1
	LOY_NOW="2026-03-04 12:00:00" loy-segment --as-of 2026-03-04 --apply tiers >/dev/null 2>&1
	export LOY_NOW="2026-03-05 12:00:00"
	[ "$(q "SELECT group_concat(member_id || ':' || to_tier, ' ') FROM tier_history")" = "X:Opal Y:Opal" ]
	ledger_ok
	run -0 --separate-stderr loy-report tiers --by month
	same "$output" <<'OUT'
period,from_tier,to_tier,movement,changes,members
2026-03,Pearl,Opal,merged,1,1
2026-03,Pearl,Opal,upgrade,1,1
OUT
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'AS changes,')")" = "2026-03|Pearl|Opal|0|1|1
2026-03|Pearl|Opal|1|1|1" ]
}

@test "promotion counts the receipts of members merged into a participant for that participant, once" {
	promo
	# 5 and 6 are records of member 1: 5 bought 80.00 in the baseline,
	# 6 40.00 in S1 in March (doubled: 40 points of the rule); both are
	# merged into 1.  Participant 1 then spent 180.00 before and 190.00
	# during (+5.56 %), the rule gave 190 points (1.90); had 1 moved as
	# the control did: 180.00 x 220/200 = 198.00, so -8.00 incremental,
	# -4.21 for each unit of cost
	printf 'member_id,enrolled_at\n5,2025-06-05\n6,2025-06-06\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,store,category,amount\nM5,5,2026-02-14 10:00:00,S2,bakery,80.00\nM6,6,2026-03-15 10:00:00,S1,wine,40.00\n' |
		loy-accrue - >/dev/null 2>&1
	loy-enroll merge 5 1 >/dev/null 2>&1
	loy-enroll merge 6 1 >/dev/null 2>&1
	ledger_ok
	run -0 --separate-stderr loy-report promotion double-march
	same "$(printf '%s\n' "$output" | tail -n +2)" <<'OUT'
double-march,2026-03-01,2026-03-31,participants,1,2,2,180.00,190.00,5.56,190,1.90,198.00,-8.00,-4.21
double-march,2026-03-01,2026-03-31,control,2,1,1,200.00,220.00,10.00,,,,,
OUT
	[ "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'AS participant,')")" = "1|190" ]
}

@test "balances: a member's last activity includes that of the members merged into it" {
	merges
	# G bought on January 4 and was merged into R, who never bought
	printf 'member_id,enrolled_at\nG,2026-01-03\n' | loy-enroll - >/dev/null 2>&1
	printf 'txn_id,member_id,occurred_at,amount\nT7,G,2026-01-04 10:00:00,5.00\n' | loy-accrue - >/dev/null 2>&1
	loy-enroll merge G R >/dev/null 2>&1
	ledger_ok
	run -0 --separate-stderr loy-report balances
	same "$output" <<'OUT'
member_id,status,tier,balance,spendable,pending,past_date,last_activity
A,merged,Pearl,0,0,0,0,
B,merged,Pearl,0,0,0,0,
C,active,Pearl,190,190,0,0,2026-03-22 11:00:00
D,active,Pearl,20,20,0,0,2026-01-25 10:00:00
E,active,Pearl,30,30,0,0,2026-02-25 10:00:00
G,merged,Pearl,0,0,0,0,
R,active,Pearl,5,5,0,0,2026-01-04 10:00:00
OUT
	[ "$(printf '%s\n' "$output" | awk -F, 'NR > 1 && $8 != "" { print $1 "|" $8 }')" = \
	  "$(sqlite3 -readonly "$LOY_DB" "$(man_block 'AS last_activity')" | sort)" ]
}

@test "--to past the last day a period can end on names that day" {
	base
	run -64 --separate-stderr loy-report earn-burn --to 9999-12-31
	[ "$stderr" = "loy-report: --to '9999-12-31' is out of range: the last day it can name is 9999-12-30" ]
	run -0 --separate-stderr loy-report earn-burn --to 9999-12-30
	[ "${lines[0]%%,*}" = period ]
	loy-check -q
}

@test "loy-report(1)'s synopsis gives statement and promotion --date-format and the output options, as the program takes them, and html none" {
	local syn form
	syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$BATS_TEST_DIRNAME/../man/loy-report.1" | tr '\n' ' ')
	for form in 'promotion Ar rule' 'statement Ar member'; do
		# the form's options: from its .Nm to its sub-command
		opts=$(sed "s/\.Cm $form.*//; s/.*\.Nm //" <<<"$syn")
		[[ "$opts" == *'.Op Fl \-date-format Ar fmt'* ]] || { echo "$form: $opts"; return 1; }
		[[ "$opts" == *'.Op Fl \-safe-cells .Op Fl \-json | Fl \-table | Fl \-tsv '* ]] ||
		    { echo "$form: $opts"; return 1; }
	done
	[[ "$syn" == *'.Op Fl \-busy-timeout Ar seconds .Cm html'* ]]
	new_ledger
	printf 'member_id\n1001\n' | loy-enroll >/dev/null 2>&1
	run -0 --separate-stderr loy-report --date-format %d.%m.%Y --from 01.11.2026 --json statement 1001
	[ "$output" = "" ]
	run -0 --separate-stderr loy-report --safe-cells --table --lots statement 1001
	[ "${lines[0]}" = "lot_id  earned_at  expires_at  available_at  points  remaining  state" ]
	ledger_ok
}

# The programme's money changed to whole units (a loy-program load or an
# operator's doing) while a report runs.
to_whole_units() {
	q "UPDATE settings SET value = '0' WHERE key = 'decimals'"
}

@test "a report prints its figures by the settings of the moment it reads them, also when they change after it opened the ledger" {
	need_faults
	new_ledger
	printf 'member_id,name\n1001,Anna\n' >m.csv
	loy-enroll m.csv 2>/dev/null >/dev/null
	printf 'txn_id,member_id,occurred_at,amount\nA,1001,2026-11-20 10:00:00,100.00\n' >p.csv
	loy-accrue p.csv >/dev/null 2>&1
	run -0 loy-report liability
	[ "${lines[1]}" = "2028-11,1,1,100,1.00,1.00" ]
	while_opened to_whole_units loy-report liability
	[ "$status" -eq 0 ]
	[ ! -s err.txt ]
	[ "$(sed -n 2p out.csv)" = "2028-11,1,1,100,1,1" ]
	run -0 loy-report liability
	[ "$(cat out.csv)" = "$output" ]
	ledger_ok
}
