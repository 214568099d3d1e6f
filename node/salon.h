/*
 * salon.h - the salon's rules as a library: the check at the chair, patch
 * tests, segments, birthdays and the head office's report.  Each function
 * reads the store inside a read transaction the caller holds and the
 * node's settings (settings.h), and returns structs or JSON; none prints.
 * The kt-node commands call them and print; a web page can call them too.
 *
 * Days are days since 1970-01-01 (proto/schema.h, kt_date_parse); `today`
 * is the branch's today, which the caller knows (cli.h: kt_cli_today).
 */
#ifndef KT_SALON_H
#define KT_SALON_H

#include <jansson.h>
#include "store.h"
#include "safety.h"
#include "settings.h"

/* ---- the check at the chair (safety.h holds the matching) ---- */

/*
 * The safety check's rules from settings s on day today: r->legacy_patch
 * borrows s->patch_test_services (keep s alive while r is used) and
 * r->patch_months is s->patch_test_months.
 */
void kt_salon_safety_rules(const struct kt_settings *s, int32_t today,
			   struct kt_safety_rules *r);

/* What the check says of one visit. */
struct kt_salon_verdict {
	int conceal;    /* in: 1 hides which medication rules it out (safety.h) */
	int refused;    /* 1: the visit goes on only with an override */
	int unreadable; /* 1: refused because the check cannot read what it needs */
	char why[KT_SAFETY_WHY_BYTES]; /* every reason, one line; "" when not refused */
};

/*
 * Checks a visit of client (any card of her merge group) at the chair:
 * its services and products used ("" for none) against her allergies,
 * contraindications, medications and patch tests, the catalogue and the
 * legacy setting (safety.h), under settings s.  Patch tests are judged on
 * the visit's date (YYYY-MM-DD; "" or a text that is no date: today).
 * Reads inside txn (NULL: a read transaction of its own).  Fail closed: whatever cannot be read fills a refusal
 * with unreadable set and the error in why.  Returns 0 with *v filled, or
 * KT_ENOTFOUND (err says why) when client is no client card.
 */
int kt_salon_chair_check(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
			 int32_t today, const struct kt_id *client, const char *services,
			 const char *products, const char *date, struct kt_salon_verdict *v,
			 struct kt_err *err);

/* ---- patch tests ---- */

/*
 * The valid_until of a new patch test dated date (YYYY-MM-DD): date plus
 * s->patch_test_months months, clamped to the month's end; "" when date is
 * no date.
 */
void kt_salon_patch_until(const struct kt_settings *s, const char *date, char out[11]);

/* ---- segments ---- */

/*
 * Segments, as salons count them (DESIGN.md), with months as 30-day
 * windows back from today so a client is not "lost" on the 1st of a month:
 *   potential  a card and no visit;
 *   lost       her last visit is more than segment_lost_months months old;
 *   regular    a visit in each of the last segment_regular_months windows
 *              (a value outside 1..24 is read as the table's default);
 *   new        one visit (until her second);
 *   active     two or more visits, recent, but not every month.
 */
enum kt_segment {
	KT_SEGMENT_POTENTIAL,
	KT_SEGMENT_LOST,
	KT_SEGMENT_REGULAR,
	KT_SEGMENT_NEW,
	KT_SEGMENT_ACTIVE,
	KT_SEGMENT_COUNT
};

struct kt_salon_segment {
	enum kt_segment segment;
	int visits;     /* visits owned by the card (not its merge group) */
	int32_t last;   /* the day of her last visit; 0 when visits is 0 */
};

/*
 * The segment of client (one card, as `client list` and the report count
 * it) on day today under settings s, from the visits it owns inside txn.
 * Fills *out always; returns 0, or the error of a read that stopped
 * (the visits read so far are counted, as `client list` always did).
 */
int kt_salon_segment(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
		     int32_t today, const struct kt_id *client, struct kt_salon_segment *out,
		     struct kt_err *err);

/* A segment's name: "potential", "lost", "regular", "new" or "active". */
const char *kt_salon_segment_name(enum kt_segment seg);

/* The segment named name, or -1 for no segment. */
int kt_salon_segment_named(const char *name);

/* ---- birthdays ---- */

/* One client whose birthday falls on a day of the list. */
struct kt_salon_birthday {
	struct kt_id id;
	char name[512]; /* her name, as namesakes of a day are ordered */
	char on[11];    /* the day it falls on, YYYY-MM-DD */
	char born[16];  /* her birthday as stored; "" when it cannot be read */
	int turns;      /* the age she turns on that day */
};

/*
 * The clients whose birthday falls on today or one of the next days days
 * (by kt_dates_birthday_on: 29 February on 28 February in other years),
 * soonest first, namesakes of a day by kt_salon_name_cmp() then id.  A card
 * merged into another is left out when the card it joined has a birthday.
 * Returns how many, in *out (malloc'd; the caller frees it; NULL when
 * none).  An index that cannot be read lists what was read.
 */
size_t kt_salon_birthdays(struct kt_store *st, MDB_txn *txn, int32_t today, long days,
			  struct kt_salon_birthday **out);

/*
 * The order of two clients' names in a list (namesakes of a day in
 * `birthdays` and the report): folded as search folds them (case and
 * accents aside), then byte by byte; NULL as "".  <0, 0 or >0 as strcmp;
 * the caller breaks a tie by id.
 */
int kt_salon_name_cmp(const char *a, const char *b);

/* ---- the report (salon_report.c) ---- */

/*
 * The head office's view of the whole store inside txn on day today under
 * settings s, as a new JSON object (the caller decrefs it):
 *   clients_per_branch       {branch: clients}, by home branch ("(none)");
 *   segments_per_branch      {branch: {segment: clients}};
 *   visits_per_branch_month  [{branch, month (YYYY-MM), currency, visits,
 *                            revenue_minor}], by branch, month, currency;
 *   birthdays_this_week      [{id, name, on, branch}], today and the six
 *                            days after, soonest first, namesakes by name;
 *   open_conflicts           conflicts plus cycles of merges;
 *   duplicate_candidates     pairs of cards sharing a phone or email.
 * A card merged into another is no client of its own here (its visits
 * are counted, by their branch).  Months are the visits' dates, the
 * local dates of the branches that recorded them.  A record that cannot
 * be read is left out.
 */
json_t *kt_salon_report(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
			int32_t today);

#endif
