/* ledger_member: what loy-enroll's import needs beyond ledger.h, for a run
 * of many members in one transaction (lib/ledger_member.c). */
#ifndef LOY_LEDGER_MEMBER_H
#define LOY_LEDGER_MEMBER_H

#include "ledger.h"

/*
 * Look-ups in the order of the input.  A file of members is usually in
 * member_id order (an export), and so is the members table: a cursor that
 * steps forward from the last member it found answers the next look-up in
 * a step or two instead of a search from the root.  Any other order costs
 * one search per look-up, as a plain look-up does.  Rows the run itself
 * writes are not looked up through it (the run knows them); a card it
 * does not find is looked up again plainly, so the answer is exact.
 */
struct ledger_bulk;

struct ledger_bulk *ledger_bulk_new(struct ledger *l);
/* Finalizes its statements: before ledger_close. */
void ledger_bulk_free(struct ledger_bulk *bk);
/* Let go of the cursors (before the run commits); they start afresh. */
void ledger_bulk_pause(struct ledger_bulk *bk);
/* The member `id` (no merges followed): 1 with v[MF_ID .. MF_FORGOTTEN_AT]
 * pointing at the stored values (NULL: none; valid until the next call of
 * ledger_bulk_member or ledger_bulk_pause), 0 not there, -1 error.  Its
 * status, tier and closed_at are read only by ledger_bulk_member_rest. */
int ledger_bulk_member(struct ledger_bulk *bk, const char *id, const char *v[MF_COUNT]);
void ledger_bulk_member_rest(struct ledger_bulk *bk, const char *v[MF_COUNT]);
/* The card's member and status, valid until the next call of ledger_bulk_card
 * or ledger_bulk_pause: 1, 0 no such card, -1 error. */
int ledger_bulk_card(struct ledger_bulk *bk, const char *card, const char **member,
    const char **status);

/*
 * A run that adds many members to a ledger that has few: the indexes of
 * members and cards that each new row enters are dropped inside the run's
 * transaction and made again at its end, one sort each instead of a random
 * insertion per row.  A run that fails or is rolled back leaves them as
 * they were.
 * Look-ups by phone or e-mail need them: ledger_bulk_indexes_on first.
 */
/* Members in the ledger, counting no further than `limit`: -1 on error. */
long ledger_member_count(struct ledger *l, long limit);
int ledger_bulk_indexes_off(struct ledger_bulk *bk);
/* Make the dropped indexes again (nothing when none is dropped): 0 or -1. */
int ledger_bulk_indexes_on(struct ledger_bulk *bk);
int ledger_bulk_indexes_dropped(const struct ledger_bulk *bk);

/* 1 if the ledger has cards that runs before this one added, 0 if not. */
int ledger_cards_before_run(struct ledger *l);
/* Add new members, whose ids the caller knows to be free (an id taken is
 * an error): one INSERT, or several members to a statement. */
int ledger_member_add(struct ledger *l, const struct member *m);
int ledger_members_insert(struct ledger_bulk *bk, const struct member *m, int n);
/* Add new cards, which the caller knows to be free, all issued at `at`:
 * card[i] to member[i]. */
int ledger_cards_insert(struct ledger_bulk *bk, const char *const *card,
    const char *const *member, int n, const char *at);
/* The card that sorts last (as SQLite orders text), malloc'd: 1, 0 the
 * ledger has no card (*card NULL), -1 error. */
int ledger_card_max(struct ledger *l, char **card);

#endif
