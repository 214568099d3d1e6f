/*
 * contacts.h - a card's phone and email as keys, to tell when a card being
 * written shares one with another card (client add and edit, import).
 *
 * A phone's key is its E.164 under the node's country; a phone that does
 * not parse has no key and is never a duplicate of anything.  A stored
 * card's key is its phone_e164 copy (client field 23, written by the
 * branch that typed the phone) when it has one, else its phone read under
 * this node's country.  An email's key is its fold (case and accents; an
 * email whose fold is over KT_CONTACT_EMAIL_BYTES - 1 bytes has none).
 * kt_store_find() gives the candidates, by prefix and by last digits; only
 * equal keys count, so "+7 912 345-67-8" is no duplicate of
 * "+7 912 345-67-89".  Duplicates are a note for people, never a merge:
 * `client merge` joins cards.
 */
#ifndef KT_CONTACTS_H
#define KT_CONTACTS_H

#include "store.h"
#include "phone.h"

#define KT_CONTACT_EMAIL_BYTES 512 /* an address is at most 254 bytes (RFC 5321) */
#define KT_CONTACT_NAME_BYTES 256  /* a card's name as a note shows it, cut */
#define KT_CONTACT_HITS_MAX 8      /* other cards one check names at most */

/* What makes two cards one client's: the phone's E.164 and the folded email ("": none). */
struct kt_contact {
	char phone[KT_PHONE_BYTES];
	char email[KT_CONTACT_EMAIL_BYTES];
};

/* Bits of kt_contact_same() and kt_contact_hit.same. */
#define KT_CONTACT_PHONE 1
#define KT_CONTACT_EMAIL 2

/* The keys of a phone and an email as typed (either may be NULL or ""), under country. */
void kt_contact_of_text(const char *phone, const char *email, const char *country,
			struct kt_contact *k);

/* The keys of client card r (its phone_e164 copy first), its phone read under country. */
void kt_contact_of_card(const struct kt_rec *r, const char *country, struct kt_contact *k);

/* Which keys a and b share: KT_CONTACT_PHONE, KT_CONTACT_EMAIL or'ed, 0 when none. */
int kt_contact_same(const struct kt_contact *a, const struct kt_contact *b);

/* Another card holding a phone or email: the card its group shows under. */
struct kt_contact_hit {
	struct kt_id card;
	int same;                          /* KT_CONTACT_* bits */
	char name[KT_CONTACT_NAME_BYTES];  /* its name, on one line, cut at a character */
};

/*
 * The live client cards of the store other than self's merge group (self
 * may be NULL: a card not written yet) that hold k's phone or email, each
 * counted once by the card its group shows under (merged cards count as
 * that card), in the order search finds them: at most cap into out.
 * Returns how many, or a negative KT_E* with err set (a store error, a
 * candidate the store cannot load).
 */
int kt_contact_find(struct kt_store *st, MDB_txn *txn, const struct kt_contact *k,
		    const struct kt_id *self, struct kt_contact_hit *out, int cap,
		    struct kt_err *err);

/*
 * The note for hit h of a card given phone and email as typed (NULL when
 * not given): "phone +7 912 345-67-89 is also on ID NAME (client merge can
 * join them)", "email ... is also on ...", or "phone ... and email ... are
 * also on ...".  Into out (cap bytes, NUL-terminated, one line).
 */
void kt_contact_note(const struct kt_contact_hit *h, const char *phone, const char *email,
		     char *out, size_t cap);

/*
 * Checks the client cards of an import before anything is written
 * (cmd_io.c): each good card row whose phone or email is on a card of the
 * store (other than the one it is merged into) or on another good card row
 * of the file gets a note saying so (kt_import_note: "phone X is also on ID
 * NAME ...", "... is also on line N of this file"), or, when refuse
 * (import --no-duplicates), is marked bad with it.  Of two rows of the file
 * that share one, the later is the one named.  Rows merged into one
 * another (merged_into, one hop) are one client and never named.  With
 * against_store 0 (the file's import stopped half way and is run again:
 * the cards it wrote would be named as duplicates of their own rows) only
 * the file's rows are compared.  Returns 0, or an error with err set when
 * the store cannot be read.
 */
struct kt_import;
int kt_contact_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im, int refuse,
		      int against_store, struct kt_err *err);

#endif
