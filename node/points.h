/*
 * points.h - the loyalty ledger's balance, and its rule: an entry may not
 * take a client's balance below zero unless someone allows it (record add
 * points --override REASON, recorded on the entry as override_reason and
 * override_by).
 *
 * A balance is the sum of the deltas of every points entry of the card's
 * whole merge group (node/safety.h's group: the root and every card merged
 * into it), which is what `client show` prints for the group's root.  A
 * delta typed now is within KT_POINTS_DELTA_MAX either way and never 0
 * (proto/schema.c); an entry stored before the bound may hold any int64,
 * so sums are kept in 128 bits, exact for any number of such entries.
 */
#ifndef KT_POINTS_H
#define KT_POINTS_H

#include "store.h"

#include <jansson.h>

struct kt_import;

/* A balance: a sum of int64 deltas, exact (no count of entries can overflow it). */
__extension__ typedef __int128 kt_points_total;

/* The sum of the deltas of the points records among r[0..n) (other types count 0). */
kt_points_total kt_points_sum(const struct kt_rec *r, size_t n);

/* t in decimal ("-150") into out (cap bytes, at least 41 to hold any); returns out. */
char *kt_points_text(kt_points_total t, char *out, size_t cap);

/*
 * t as JSON: an integer when it fits in int64 (always, but for entries
 * stored before deltas were bounded), else a string of its decimal digits.
 */
json_t *kt_points_json(kt_points_total t);

/*
 * The balance of client's whole merge group (client: any card of it) into
 * *balance.  Errors as kt_safety_load()'s (KT_ENOTFOUND for no client
 * card, KT_ETOOBIG for a group too big), store errors; err says which.
 */
int kt_points_balance(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		      kt_points_total *balance, struct kt_err *err);

/*
 * The rule for one entry of delta on a balance: 1 when it is refused (delta
 * is below zero and balance + delta would be), with the line saying why in
 * why ("the balance is 300 and this entry would make it -200"), else 0.
 */
int kt_points_refused(kt_points_total balance, long long delta, char *why, size_t cap);

/*
 * Checks the points rows of an import before anything is written
 * (cmd_io.c), in file order: each good row's balance is its group's in the
 * store (the card it is merged into counts, and a card of the file merged
 * into another counts as that one) plus the good rows of the file before
 * it.  A row the rule refuses goes ahead when it carries override_reason
 * (allowed where it was first written), or when override is not NULL (its
 * row->override is set: recorded with it); else it is marked bad with the
 * reason.  An entry dated before today (today: days since 1970-01-01), one
 * with no date (an export from before entries had one), or any when
 * as_recorded, is history: it goes in as recorded, with a note of what the
 * rule would say now.  Prints nothing; returns 0, or an error with err set
 * when the store cannot be read.
 */
int kt_points_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im, int32_t today,
		     const char *override, int as_recorded, struct kt_err *err);

#endif
