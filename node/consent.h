/*
 * consent.h - a client's consents per purpose (record type consent,
 * proto/schema.c; docs/PRIVACY.md "Consents"), and the rule that says
 * which one holds.
 *
 * A consent record is written once: purpose (health, marketing, photos),
 * state (given, withdrawn), date (the day she gave or withdrew it), version
 * (of the text she was shown, as "2026-01"), recorded_by (the staff
 * account), branch, note.  She changes her mind by a new record.
 *
 * The current consent of a purpose (kt_consent_current) is the latest of
 * its records by date, then by version (compared as bytes: "2026-01" <
 * "2026-02"), then by record id (a ULID, whose first 48 bits are the ms it
 * was made: the one written later wins, so a withdrawal recorded after a
 * consent of the same day and text holds; two made in one ms, which no one
 * at a desk can do, are ordered by their random bits, alike everywhere).
 * Every replica orders the same records alike.  When her cards hold no
 * record of a purpose, the card's old yes/no fields are read as a legacy
 * consent: consent_marketing for marketing, consent_photos for photos
 * (yes given, no withdrawn), dated the day the field was written, with no
 * version and no author; the latest written over her merge group counts.
 * Health has no legacy field: without a record it is not recorded.
 *
 * A client's consents are those of her whole merge group (every card
 * merged into hers and hers into another): consent is hers, not a card's.
 */
#ifndef KT_CONSENT_H
#define KT_CONSENT_H

#include <stddef.h>
#include <jansson.h>
#include "store.h"

enum kt_consent_purpose {
	KT_CONSENT_HEALTH = 1,   /* processing of her health data (the card's health part) */
	KT_CONSENT_MARKETING,    /* messages, offers, birthday greetings */
	KT_CONSENT_PHOTOS,       /* photos of her (assessments) */
	KT_CONSENT_PURPOSES = KT_CONSENT_PHOTOS,
};

/* A text version as typed: 1 to this many bytes of [A-Za-z0-9._-]. */
#define KT_CONSENT_VERSION_BYTES_MAX 32
/* A note as typed: at most this many bytes, one line. */
#define KT_CONSENT_NOTE_BYTES_MAX 500
/*
 * Consents held of one client (records and legacy ones): past this many
 * the earliest are dropped as later ones are read, so the current ones
 * stand whatever a branch wrote.
 */
#define KT_CONSENTS_MAX 4096
/* Cards of a merge group whose consents are read (kt_store_erase_group's cap). */
#define KT_CONSENT_GROUP_MAX 256

struct kt_consent {
	struct kt_id id;    /* the record; zero for a legacy consent */
	struct kt_id card;  /* the card it is on */
	int purpose;        /* enum kt_consent_purpose */
	int given;          /* 1 given, 0 withdrawn */
	int legacy;         /* read from the card's yes/no field */
	char date[11];      /* YYYY-MM-DD; "" when a record holds none (never written so) */
	char version[KT_CONSENT_VERSION_BYTES_MAX + 1]; /* "" none (legacy) */
	struct kt_id by;    /* recorded_by; zero: unknown (legacy) */
	char branch[KT_BRANCH_BYTES_MAX + 1];
	char *note;         /* NULL or owned text */
};

struct kt_consents {
	size_t n, cap;
	struct kt_consent *c; /* sorted by kt_consent_cmp: oldest first */
};

/* "health", "marketing", "photos"; NULL for another number. */
const char *kt_consent_purpose_name(int purpose);
/* The purpose of a word; 0 when it is none. */
int kt_consent_purpose_parse(const char *word);

/*
 * The order of the rule above, of two consents of one purpose: < 0 when a
 * came before b, > 0 after, 0 only for the same record.  A legacy consent
 * sorts before every record (it is read only when there is none).
 */
int kt_consent_cmp(const struct kt_consent *a, const struct kt_consent *b);

/*
 * The consent that holds for purpose among c[0..n) (any order): the
 * latest record of that purpose, else the latest legacy one, else NULL.
 */
const struct kt_consent *kt_consent_current(const struct kt_consent *c, size_t n, int purpose);

/* Whether the current consent of purpose is given (1) or not (0: withdrawn or none). */
int kt_consent_given(const struct kt_consents *s, int purpose);

/*
 * Reads the consents of client card and of every card of its merge group,
 * records and legacy fields, into *out (start it zeroed; release it with
 * kt_consents_release), sorted oldest first.  In txn; values are copied.
 * Returns 0, KT_ENOTFOUND when card is no client, or a store error.
 */
int kt_consents_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *card,
		     struct kt_consents *out, struct kt_err *err);
void kt_consents_release(struct kt_consents *s);

/*
 * A consent as JSON: {"id" (null for legacy), "card", "purpose", "state",
 * "date", "version", "recorded_by" (id or null), "recorded_by_name" (the
 * account's name now, or null), "branch", "note", "legacy"}.  In txn (the
 * account's name is read there).  The caller owns it.
 */
json_t *kt_consent_json(struct kt_store *st, MDB_txn *txn, const struct kt_consent *c);
/*
 * All of them: {"current": {"health": consent or null, "marketing": ...,
 * "photos": ...}, "history": [every consent, oldest first]}.
 */
json_t *kt_consents_json(struct kt_store *st, MDB_txn *txn, const struct kt_consents *s);

#endif
