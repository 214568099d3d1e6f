/* staff.c - staff accounts: load, find, hash and check passphrases (staff.h). */
#include "staff.h"
#include "card.h"
#include "roles.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void text_of(const struct kt_rec *r, const char *name, char *out, size_t cap)
{
	const struct kt_val *v = kt_card_get(r, name);

	out[0] = '\0';
	if (v != NULL && v->t == KT_V_STR)
		snprintf(out, cap, "%.*s", (int)v->n, v->s);
}

int kt_staff_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		  struct kt_staff *out, struct kt_err *err)
{
	struct kt_rec r;
	const struct kt_val *v;
	char word[32];
	int rc;

	kt_rec_init(&r);
	memset(out, 0, sizeof(*out));
	out->id = *id;
	out->grant_until = -1;
	if ((rc = kt_store_load(st, txn, id, &r, err)) == 0 && r.type != KT_T_STAFF)
		rc = kt_err_set(err, KT_ENOTFOUND, "no staff account of that id");
	if (rc == 0) {
		text_of(&r, "name", out->name, sizeof(out->name));
		text_of(&r, "role", word, sizeof(word));
		out->role = kt_role_parse(word);
		text_of(&r, "branch", out->branch, sizeof(out->branch));
		text_of(&r, "pass", out->pass, sizeof(out->pass));
		v = kt_card_get(&r, "disabled");
		out->disabled = v != NULL && v->t == KT_V_BOOL && v->i;
		text_of(&r, "grant_until", word, sizeof(word));
		if (word[0] && kt_date_parse(word, &out->grant_until) != 0)
			out->grant_until = -1;
	}
	kt_rec_release(&r);
	return rc;
}

struct walk {
	struct kt_store *st;
	MDB_txn *txn;
	kt_staff_fn fn;
	void *ctx;
	struct kt_err *err;
};

static int walk_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct walk *w = ctx;
	struct kt_staff s;

	(void)type;
	if (kt_staff_load(w->st, w->txn, id, &s, w->err) != 0)
		return 0; /* an account erased or damaged: not one to act as */
	return w->fn(w->ctx, &s);
}

int kt_staff_each(struct kt_store *st, MDB_txn *txn, kt_staff_fn fn, void *ctx,
		  struct kt_err *err)
{
	struct walk w = { st, txn, fn, ctx, err };

	return kt_store_kind(st, txn, KT_T_STAFF, NULL, walk_one, &w, err);
}

struct find {
	char *want;         /* folded name */
	const char *branch;
	struct kt_staff hit, here;
	int nhit, nhere;
	char ids[256];      /* the ids of every match, for an ambiguous name */
};

static int find_one(void *ctx, const struct kt_staff *s)
{
	struct find *f = ctx;
	char *fold = kt_text_fold(s->name, strlen(s->name)), idt[KT_ID_TEXT_BYTES];
	size_t n = strlen(f->ids);
	int same = fold != NULL && strcmp(fold, f->want) == 0;

	free(fold);
	if (!same)
		return 0;
	kt_id_format(&s->id, idt);
	if (n + KT_ID_TEXT_BYTES + 2 < sizeof(f->ids))
		snprintf(f->ids + n, sizeof(f->ids) - n, "%s%s", n ? ", " : "", idt);
	f->hit = *s;
	f->nhit++;
	if (strcmp(s->branch, f->branch) == 0) {
		f->here = *s;
		f->nhere++;
	}
	return 0;
}

int kt_staff_find(struct kt_store *st, MDB_txn *txn, const char *who, const char *branch,
		  struct kt_staff *out, struct kt_err *err)
{
	struct find f;
	struct kt_id id;
	int rc;

	if (kt_id_parse(&id, who) == 0 && kt_staff_load(st, txn, &id, out, err) == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.branch = branch;
	if ((f.want = kt_text_fold(who, strlen(who))) == NULL)
		return kt_err_set(err, KT_EINVAL, "bad staff name '%.60s'", who);
	rc = kt_staff_each(st, txn, find_one, &f, err);
	free(f.want);
	if (rc != 0)
		return rc;
	if (f.nhit == 1 || f.nhere == 1) {
		*out = f.nhit == 1 ? f.hit : f.here;
		return 0;
	}
	if (f.nhit == 0)
		return kt_err_set(err, KT_ENOTFOUND, "no staff account '%.60s' (see kt-node "
				  "staff list)", who);
	return kt_err_set(err, KT_EEXIST, "%d staff accounts are called '%.60s': name one by "
			  "its id (%s)", f.nhit, who, f.ids);
}

int kt_staff_hash(const char *pass, size_t n, char out[KT_STAFF_HASH_BYTES], struct kt_err *err)
{
	if (crypto_pwhash_str(out, pass, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return kt_err_set(err, KT_EIO, "not enough memory to hash a passphrase "
				  "(Argon2id wants 64 MiB)");
	return 0;
}

int kt_staff_check(const struct kt_staff *s, const char *pass, size_t n)
{
	if (s->pass[0] == '\0')
		return 0;
	return crypto_pwhash_str_verify(s->pass, pass, n) == 0;
}

int kt_staff_granted(const struct kt_staff *s, int32_t today)
{
	return s->grant_until >= 0 && s->grant_until >= today;
}

int kt_staff_draft(struct kt_draft *d, const struct kt_id *id, const char *name,
		   const char *role, const char *branch, const char *pass, struct kt_err *err)
{
	kt_draft_start(d, KT_T_STAFF, id, 1, NULL);
	if (kt_draft_field(d, "name", name, KT_OP_SET, err) != 0 ||
	    kt_draft_field(d, "role", role, KT_OP_SET, err) != 0 ||
	    (branch != NULL && branch[0] && kt_draft_field(d, "branch", branch, KT_OP_SET, err)) ||
	    (pass != NULL && kt_draft_field(d, "pass", pass, KT_OP_SET, err) != 0))
		return KT_EINVAL;
	return 0;
}
