/*
 * safety.h - the safety check at the chair, as a library the CLI (and the
 * web UI to come) calls: it reads the store and returns structs; callers
 * print.
 *
 * What a client must not have is gathered over her whole merge group: the
 * card the group shows under (its root: follow the alias registers up) and
 * every card merged into it, at any depth.  A card merged away keeps its own
 * fields, and what is added to it after the merge counts too, because the
 * group is read at every check; an unmerge splits the group again.  Read
 * from each card of the group (the schema's chair column says which field
 * is which, proto/schema.h):
 *   allergies, contraindications, medications - one entry per part of each
 *       list element (common/list.h: "latex, nuts" stored whole by an older
 *       version is two entries);
 *   the staff alert;
 *   patch tests, with their subject, date, status and validity.
 *
 * A visit (its services and products used) is refused when:
 *   1. words: an allergy or contraindication appears in the services or
 *      products, word by word in order, words compared by their stems in
 *      Russian, Romanian and English (kt_text_stem_phrase_in: "латекс" is
 *      in "Маска с латексом" and "Перчатки латексные"; "latex" is not in
 *      "Latexfree mask").  An entry is matched as staff type it: a note in
 *      brackets, or after ':' or a spaced dash, is not needed ("латекс
 *      (сыпь)", "никель - уши" match a visit that names латекс, никель), and
 *      entries joined by '/', '+', '&', '|' or the words и, или, and, or,
 *      și, sau match by either ("хна/басма", "орехи и мёд");
 *   2. the catalogue: a catalogue entry whose name or an alias appears in
 *      the services or products (same matching) lists a substance that
 *      matches one of her allergies, a contraindication or a medication
 *      that matches one of hers (either phrase within the other: entry
 *      "беременность" rules out client "беременность, 12 недель"), or needs
 *      a patch test and her latest one for it (subject matching the entry's
 *      name, an alias or a substance) is missing, not passed, or expired;
 *   3. the node's legacy patch_test_services setting (before the catalogue:
 *      services separated by ';'), honoured the same way.
 *
 * Fail closed: whatever the check cannot read (a store error, a damaged
 * record or index entry, a value that is not UTF-8) is an error, and the
 * caller refuses the visit with that error as the reason; an override still
 * records it.  No error ever means "nothing to refuse".
 */
#ifndef KT_SAFETY_H
#define KT_SAFETY_H

#include <stdint.h>
#include "store.h"

#define KT_SAFETY_GROUP_MAX 64  /* cards in one merge group: more is refused */
#define KT_SAFETY_ALIAS_HOPS 16 /* alias registers followed up to the root */
#define KT_SAFETY_WHY_BYTES 1024
#define KT_SAFETY_TEXT_BYTES 512 /* longest text of a patch test's fields kept */

/* One thing a client must not have, or her staff alert; text is malloc'd. */
struct kt_safety_item {
	uint8_t chair;    /* KT_CH_ALLERGY, KT_CH_CONTRA, KT_CH_MEDICATION, KT_CH_ALERT */
	struct kt_id card; /* the card of the group it is recorded on */
	char *text;
};

struct kt_safety_patch {
	struct kt_id id, card;
	char subject[KT_SAFETY_TEXT_BYTES];
	char date[11], status[16], until[11]; /* "" when unset */
};

/*
 * The node's rules a check applies, from its settings (kt-node config):
 * today (days since 1970), the legacy patch_test_services value ("" when
 * unset), and patch_test_months, the validity of a passed patch test that
 * has no valid_until (KT_SAFETY_PATCH_MONTHS when 0).
 */
#define KT_SAFETY_PATCH_MONTHS 6
struct kt_safety_rules {
	int32_t today;
	const char *legacy_patch;
	int patch_months;
	/*
	 * 1: a reason that names one of her medications says only that a
	 * medication on her card rules the service out, for a role that may
	 * not read her medications (reception: node/roles.h).
	 */
	int conceal_medications;
};

/*
 * The date `months` months after YYYY-MM-DD text date, clamped to the
 * month's end ("2026-08-31" + 6 is "2027-02-28"); "" when date is no date.
 */
void kt_safety_add_months(const char *date, int months, char out[11]);

/* Everything the check reads of a client's merge group.  kt_safety_release() frees it. */
struct kt_safety_card {
	struct kt_id root;                      /* the card the group shows under */
	struct kt_id ids[KT_SAFETY_GROUP_MAX];  /* root first, then merged cards */
	size_t nids;
	struct kt_safety_item *items;
	size_t nitems, cap_items;
	struct kt_safety_patch *patches;        /* sorted by date, then id */
	size_t npatches, cap_patches;
	/*
	 * Catalogue entries not in the store yet (an import's), checked like
	 * the store's; borrowed: the caller keeps them alive and frees them.
	 */
	const struct kt_rec *catalogue;
	size_t ncatalogue;
	int catalogue_read; /* 1: catalogue[] holds the store's entries too (read once) */
};

/*
 * Appends the store's catalogue entries to (*v)[*n..], growing *v (capacity
 * *cap, kt_realloc'd; the caller kt_rec_release()s each and frees *v).
 * Values borrow from txn.  For a caller that checks many visits (an
 * import): read once, set catalogue_read, and no check reads them again.
 * Errors: KT_ECORRUPT for an index entry naming a missing or wrong record,
 * store errors; the entries read so far stay in *v.
 */
int kt_safety_catalogue_read(struct kt_store *st, MDB_txn *txn, struct kt_rec **v, size_t *n,
			     size_t *cap, struct kt_err *err);

/*
 * Loads the merge group of client (any card of it) inside txn into *out,
 * which the caller has zeroed or released.  Errors: KT_ENOTFOUND when
 * client is no client card, KT_ETOOBIG for a group over
 * KT_SAFETY_GROUP_MAX or an alias chain over KT_SAFETY_ALIAS_HOPS,
 * KT_ECORRUPT for a damaged record or a value that is not UTF-8, store
 * errors as they come.  On error *out holds what was read (release it).
 */
int kt_safety_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		   struct kt_safety_card *out, struct kt_err *err);
void kt_safety_release(struct kt_safety_card *c);

/*
 * Adds a record not in the store yet to the group (an import's): a client
 * card's allergies, contraindications, medications and staff alert, or a
 * patch test (r->type KT_T_PATCH); other types are ignored.  Values are
 * copied.  Errors: KT_ECORRUPT for a value that is not UTF-8.
 */
int kt_safety_add_record(struct kt_safety_card *c, const struct kt_rec *r, struct kt_err *err);

/*
 * Checks the visits of an import before anything is written (cmd_io.c):
 * each good visit row of im is checked against its client's group as the
 * store and the file together make it (the file's cards, cards merged into
 * them, patch tests and catalogue entries count).  A row the check refuses
 * goes ahead when it carries an override_reason (recorded before), or,
 * when override is not NULL, is marked for one (row->override); else it is
 * marked bad with the reason.  A check that cannot read what it needs
 * marks the row bad (fail closed).  A visit dated before rules->today, or
 * any visit when as_recorded (import --as-recorded: a restore of records
 * that were checked when written), is history: it goes in as recorded and
 * its row gets a note of what the check would say now.  Prints nothing;
 * returns 0.
 */
struct kt_import;
int kt_safety_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im,
		     const struct kt_safety_rules *rules, const char *override,
		     int as_recorded);

/*
 * The state of a patch test under rules: "valid" (passed, and today not
 * past valid_until, or past its date plus rules->patch_months when it has no
 * valid_until), "pending", "FAILED" or "EXPIRED" (also a passed test with
 * neither a date nor a valid_until: nothing says it still holds).  Writes
 * the last valid day (YYYY-MM-DD, "" when none) to until[11] when not NULL.
 */
const char *kt_safety_patch_state(const struct kt_safety_patch *p,
				  const struct kt_safety_rules *rules, char *until);

/* A check's result: refused, and why in one line (every reason, "; "-joined). */
struct kt_safety_verdict {
	int refused;
	uint32_t nreasons;
	char why[KT_SAFETY_WHY_BYTES];
};

/*
 * Checks a visit's services and products used (either may be "") against
 * card and the catalogue in txn under rules.  Fills *v; returns 0, or an error
 * when a catalogue entry cannot be read (KT_ECORRUPT, store errors): the
 * caller refuses then (fail closed).
 */
int kt_safety_check(struct kt_store *st, MDB_txn *txn, const struct kt_safety_card *card,
		    const char *services, const char *products, const struct kt_safety_rules *rules,
		    struct kt_safety_verdict *v, struct kt_err *err);

/* kt_safety_load and kt_safety_check of one client in one call. */
int kt_safety_visit(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		    const char *services, const char *products, const struct kt_safety_rules *rules,
		    struct kt_safety_verdict *v, struct kt_err *err);

#endif
