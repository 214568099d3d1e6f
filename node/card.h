/*
 * card.h - from what users type to drafts, and from records to JSON.
 *
 * Drafts: kt_draft_field() parses one FIELD=VALUE through the schema and
 * adds the operation; the text must outlive the write (values borrow it).
 *
 * JSON: a record is rendered as {"id", "type", "client" (not for a card),
 * "fields": {name: value}}.  LWW fields appear when set; sets appear as
 * sorted arrays of distinct values (the same allergy added at two branches
 * shows once); money as a string with two decimals ("1500.00"), other
 * numbers as numbers, booleans as true/false; a field number this build does
 * not know as "f<number>".  kt_card_json() is what `export --json` and
 * `client show --json` print, so converged nodes print the same bytes.
 */
#ifndef KT_CARD_H
#define KT_CARD_H

#include <jansson.h>
#include "store.h"

void kt_draft_start(struct kt_draft *d, uint8_t type, const struct kt_id *id, int create,
		    const struct kt_id *owner);

/*
 * A draft that merges client card merged into kept: one ALIAS op (the
 * merge rules, proto/merge.h).  The op borrows kept->b: keep kept alive
 * until the draft is written.
 */
void kt_draft_alias(struct kt_draft *d, const struct kt_id *merged, const struct kt_id *kept);

/* kind: KT_OP_SET (LWW and write-once fields), KT_OP_ADD or KT_OP_DEL (set fields). */
int kt_draft_field(struct kt_draft *d, const char *name, const char *text, uint8_t kind,
		   struct kt_err *err);

/* Parses "FIELD=VALUE" and adds it with kt_draft_field(). */
int kt_draft_assign(struct kt_draft *d, const char *arg, uint8_t kind, struct kt_err *err);

/* Whether the draft already has an operation on field name. */
int kt_draft_has(const struct kt_draft *d, const char *name);

/*
 * Drops from r every field and set element of a part (proto/schema.h enum
 * kt_part) not in reads, so what is printed of r is what the role may
 * read; returns the mask of the parts dropped (0: none).
 */
int kt_card_keep(struct kt_rec *r, int reads);

/* The fields of r as a JSON object (see above); the caller owns it. */
json_t *kt_card_fields(const struct kt_rec *r);
/* The whole record as a JSON object; the caller owns it. */
json_t *kt_card_json(const struct kt_rec *r);

/* Text of field name of r into out ("" when unset); sets joined with ", ". */
const char *kt_card_text(const struct kt_rec *r, const char *name, char *out, size_t cap);

/* The winning value of a field by name, or NULL. */
const struct kt_val *kt_card_get(const struct kt_rec *r, const char *name);

#endif
