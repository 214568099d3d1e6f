/*
 * safety.c - the safety check at the chair (see safety.h for the rules).
 *
 * Loading walks the merge group breadth first from its root; checking
 * compares texts by word stems (common/text.h) and never prints.  The
 * catalogue is read at every check: it is small (a chain's services and
 * products, hundreds of entries), and reading it fresh means an entry
 * synced a second ago already counts.
 *
 * This file holds the matching and the checks; safety_load.c loads a
 * merge group and its patch tests; safety_int.h declares what both use.
 */
#include "safety.h"
#include "safety_int.h"
#include "card.h"
#include "list.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what an entry as typed asks to match ---- */

#define PIECES_MAX 64

/* Words that join entries: "латекс и орехи", "latex and/or nuts". */
static const char *const joins[] = {
	"и", "или", "либо", "а", "также", "кроме", "того", "плюс", "еще",
	"and", "or", "also", "plus", "etc", "si", "sau",
};

/*
 * Folded word starts, then whole words, that say how or how much, not
 * what: "аллергия на", "сильная", "возможно", "сыпь", "allergic to",
 * "severe", "rash".  An entry is matched without them ("латекс сыпь" is
 * латекс, "latex allergy" latex).
 */
static const char *const noise_starts[] = {
	"аллерг", "подозр", "непереноси", "реакц", "чувствител", "сильн", "возможн",
	"вероятн", "особенн", "покрасн", "клиент", "детств",
	"allerg", "suspect", "intoleran", "react", "sensitiv", "severe", "possib",
	"probab", "especial", "redness", "swelling", "itching", "alergi",
	"intoleranta", "posibil", "erupti",
	"нельз", "исключ", "избег", "раздраж", "анафилак", "перенос", "противопок",
	"avoid", "anaphyla", "irritat", "toler", "sensibil", "evit", "anafila", "iritat",
};
static const char *const noise_words[] = {
	"сыпь", "отек", "зуд", "крапивница", "слабая", "слабый", "года", "год", "лет", "на", "к", "у",
	"с", "со", "от", "в", "mild", "strong", "rash", "hives", "itch", "since", "to",
	"of", "from", "esp", "la", "de", "sever", "usor",
	"не", "без", "её", "ее", "неё", "нее", "ей", "её", "no", "not", "without", "cant",
	"can't", "cannot", "use", "never", "nu", "fara", "fără",
};

static int word_in(const char *f, const char *const *list, size_t n, int prefix)
{
	for (size_t i = 0; i < n; i++)
		if (prefix ? strncmp(f, list[i], strlen(list[i])) == 0 : strcmp(f, list[i]) == 0)
			return 1;
	return 0;
}

static int noise_word(const char *f)
{
	return word_in(f, noise_starts, sizeof(noise_starts) / sizeof(noise_starts[0]), 1) ||
	       word_in(f, noise_words, sizeof(noise_words) / sizeof(noise_words[0]), 0);
}

/* Whether folded token f holds no letter, or is a number with a unit ("2023г", "5мг"). */
static int no_letter(const char *f)
{
	size_t digits = 0, letters = 0;

	for (const char *p = f; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'z') || (c >= 0x80 && (c & 0xc0) != 0x80))
			letters++;
	}
	return letters == 0 || (digits > 0 && letters <= 3 && f[0] >= '0' && f[0] <= '9');
}

/* Adds piece p (its words, as typed) to out[*np] when one is left. */
static void push_piece(char **out, size_t *np, const char *p)
{
	char *k = kt_text_words_key(p);

	if (k != NULL && *np < PIECES_MAX)
		out[(*np)++] = kt_strndup(p, strlen(p));
	free(k);
}

/* The length of the separator at s[i] (0: none); '-' and '.' only between words. */
static size_t piece_sep(const char *s, size_t n, size_t i)
{
	static const char *const multi[] = { "\u2022", "\u00b7", "\u2026", "\u2014", "\u2013",
					     "\uff08", "\uff09", "\uff1a" };
	unsigned char c = (unsigned char)s[i];

	if (strchr("()[]{}:;,/+&|\\!?\t\n\r", c) && c)
		return 1;
	if (c == '-') /* a dash, not a hyphen: next to a blank or at an end */
		return i == 0 || i + 1 == n || s[i - 1] == ' ' || s[i + 1] == ' ';
	if (c == '.') /* not a decimal point */
		return !(i > 0 && i + 1 < n && s[i - 1] >= '0' && s[i - 1] <= '9' &&
			 s[i + 1] >= '0' && s[i + 1] <= '9');
	for (size_t k = 0; k < sizeof(multi) / sizeof(multi[0]); k++)
		if (i + strlen(multi[k]) <= n && memcmp(s + i, multi[k], strlen(multi[k])) == 0)
			return strlen(multi[k]);
	return 0;
}

/*
 * The phrases an allergy, condition, medication or substance as staff type
 * it asks to match (safety.h).  It is cut into pieces at brackets, ':', a
 * dash, '/', '+', '&', '|', '.', '•', '…' and such, and at joining words
 * (и, или, а также, and, or, etc, și, sau); each piece loses its words that
 * only say how or how much (noise[]: "аллергия на", "сильная", "сыпь",
 * "latex allergy", "severe") and numbers ("2023", "2019г").  So
 * "перчатки (латекс)" is перчатки and латекс, "Акнекутан (изотретиноин)"
 * both names, "латекс - орехи" both.  Every piece counts: splitting only
 * ever adds matches.  Fills out[] with up to PIECES_MAX malloc'd strings and
 * returns how many; text that leaves no piece is its own one piece.
 */
static size_t pieces_of(const char *text, char **out)
{
	size_t n = strlen(text), np = 0, o = 0;
	char *buf = kt_malloc(n + 1), *seg, *cur, *whole, *segsave = NULL;

	for (size_t i = 0; i < n;) {
		size_t k = piece_sep(text, n, i);

		if (k > 0) {
			buf[o++] = '\x01';
			i += k;
		} else {
			buf[o++] = text[i++];
		}
	}
	buf[o] = '\0';
	cur = kt_calloc(o + 1, 1);
	whole = kt_calloc(o + 1, 1);
	for (seg = strtok_r(buf, "\x01", &segsave); seg; seg = strtok_r(NULL, "\x01", &segsave)) {
		char *tok, *save = NULL;

		snprintf(whole, o + 1, "%s", seg); /* strtok_r below cuts seg */
		cur[0] = '\0';
		for (tok = strtok_r(seg, " -", &save); tok; tok = strtok_r(NULL, " -", &save)) {
			char *f = kt_text_fold(tok, strlen(tok));

			if (f == NULL || f[0] == '\0') {
				free(f);
				continue;
			}
			if (word_in(f, joins, sizeof(joins) / sizeof(joins[0]), 0)) {
				push_piece(out, &np, cur);
				cur[0] = '\0';
			} else if (!noise_word(f) && !no_letter(f)) {
				if (cur[0])
					strcat(cur, " ");
				strcat(cur, tok);
			}
			free(f);
		}
		if (cur[0] && strcmp(cur, whole) != 0)
			push_piece(out, &np, whole); /* as typed too: "анафилаксия в анамнезе" */
		push_piece(out, &np, cur);
	}
	free(whole);
	free(cur);
	free(buf);
	if (np == 0)
		out[np++] = kt_strndup(text, n);
	return np;
}

static void pieces_free(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
}

/* ---- checking a visit ---- */

static void reason(struct kt_safety_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason(struct kt_safety_verdict *v, const char *fmt, ...)
{
	size_t n = strlen(v->why);
	va_list ap;

	v->refused = 1;
	v->nreasons++;
	if (n + 3 >= sizeof(v->why))
		return;
	if (n > 0) {
		memcpy(v->why + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(v->why + n, sizeof(v->why) - n, fmt, ap);
	va_end(ap);
}

static const char *chair_words(uint8_t chair)
{
	switch (chair) {
	case KT_CH_ALLERGY: return "is allergic to";
	case KT_CH_CONTRA: return "has the contraindication";
	default: return "takes";
	}
}

/* A visit's services and products, as typed and compiled for matching. */
#define VISIT_ENTRIES_MAX 64 /* services or products told apart; the rest is one */

struct visit_text {
	const char *services, *products;
	struct kt_stem_phrase *s, *p;          /* each whole */
	struct kt_stem_phrase *e[2 * VISIT_ENTRIES_MAX]; /* each service, each product */
	size_t ne;
};

/* Compiles each list entry of text (common/list.h) into t->e. */
static void compile_entries(struct visit_text *t, const char *text)
{
	struct kt_span part;
	size_t pos = 0, n = strlen(text), k = 0;

	while (kt_list_next(text, n, &pos, &part)) {
		char *one = kt_strndup(part.s, k + 1 == VISIT_ENTRIES_MAX ? n - (size_t)(part.s - text)
									   : part.n);

		t->e[t->ne++] = kt_text_stem_compile(one);
		free(one);
		if (++k == VISIT_ENTRIES_MAX)
			break;
	}
}

/* Where a piece of text appears: in the services, the products, or NULL. */
static const char *named_in(const char *text, const struct visit_text *t)
{
	char *piece[PIECES_MAX];
	size_t np = pieces_of(text, piece);
	const char *in = NULL;

	for (size_t i = 0; in == NULL && i < np; i++) {
		struct kt_stem_phrase *n = kt_text_stem_compile(piece[i]);

		if (kt_text_stem_match(n, t->s))
			in = t->services;
		else if (kt_text_stem_match(n, t->p))
			in = t->products;
		kt_text_stem_free(n);
	}
	pieces_free(piece, np);
	return in;
}

/* Rule 1: her allergies and contraindications named in the visit. */
static void check_words(const struct kt_safety_card *c, const struct visit_text *t,
			struct kt_safety_verdict *v)
{
	for (size_t i = 0; i < c->nitems; i++) {
		const struct kt_safety_item *it = &c->items[i];
		const char *in;

		if (it->chair != KT_CH_ALLERGY && it->chair != KT_CH_CONTRA)
			continue;
		if ((in = named_in(it->text, t)) != NULL)
			reason(v, "the client %s '%.200s', named in '%.200s'",
			       chair_words(it->chair), it->text, in);
	}
}

/* Whether two conditions or substances name the same thing (either within the other). */
static int same_thing(const char *a, const char *b)
{
	char *pa[PIECES_MAX], *pb[PIECES_MAX];
	size_t na = pieces_of(a, pa), nb = pieces_of(b, pb);
	int same = 0;

	for (size_t i = 0; !same && i < na; i++)
		for (size_t j = 0; !same && j < nb; j++)
			same = kt_text_stem_phrase_in(pa[i], pb[j]) ||
			       kt_text_stem_phrase_in(pb[j], pa[i]);
	pieces_free(pa, na);
	pieces_free(pb, nb);
	return same;
}

/*
 * Whether patch test p is for one of names[0..n).  A test that clears
 * (strict) must name one in its subject ("хна", "краска для волос Estel"
 * for "краска для волос"); a subject that is only a part of a name
 * ("окрашивание" for "Окрашивание бровей хной") clears nothing, though a
 * failure of it still counts.
 */
static int patch_for(const struct kt_safety_patch *p, const char *const *names, size_t n,
		     int strict)
{
	for (size_t i = 0; i < n; i++)
		if (strict ? kt_text_stem_phrase_in(names[i], p->subject)
			   : same_thing(names[i], p->subject))
			return 1;
	return 0;
}

/* Whether p was done by the visit's day (a test dated later has not happened yet). */
static int done_by(const struct kt_safety_patch *p, const struct kt_safety_rules *rules)
{
	int32_t day;

	return kt_date_parse(p->date, &day) != 0 || day <= rules->today;
}

/*
 * Whether a later test than patches[i], of the same subject (folded) and
 * done by the visit's day, clears it.
 */
static int superseded(const struct kt_safety_card *c, size_t i, const char *const *names,
		      size_t n, const struct kt_safety_rules *rules)
{
	char *a = kt_text_fold(c->patches[i].subject, strlen(c->patches[i].subject));
	int later = 0;

	for (size_t k = i + 1; a != NULL && !later && k < c->npatches; k++) {
		char *b = kt_text_fold(c->patches[k].subject, strlen(c->patches[k].subject));

		later = b != NULL && strcmp(a, b) == 0 && done_by(&c->patches[k], rules) &&
			patch_for(&c->patches[k], names, n, 0);
		free(b);
	}
	free(a);
	return later;
}

/*
 * A service that needs a valid patch test, names[0..n) being its name,
 * aliases and substances.  Of her tests for any of them, the latest of each
 * subject counts: one that failed or is pending refuses (a reaction to an
 * ingredient stands until that ingredient is tested again and passes), and
 * then one of them must be valid.  Returns 1 when it refused.
 */
static int check_patch(const struct kt_safety_card *c, const char *const *names, size_t n,
		       const char *what, const struct kt_safety_rules *rules,
		       struct kt_safety_verdict *v)
{
	const struct kt_safety_patch *valid = NULL, *expired = NULL;
	char until[11];

	for (size_t i = c->npatches; i-- > 0;) { /* latest first */
		const struct kt_safety_patch *p = &c->patches[i];
		const char *state;

		if (!patch_for(p, names, n, 0) || superseded(c, i, names, n, rules))
			continue;
		state = kt_safety_patch_state(p, rules, until);
		if (strcmp(state, "valid") == 0) {
			if (done_by(p, rules) && patch_for(p, names, n, 1))
				valid = valid ? valid : p; /* else it clears nothing */
		} else if (strcmp(state, "EXPIRED") == 0) {
			expired = expired ? expired : p;
		} else {
			reason(v, "'%.200s' needs a patch test and hers for '%.100s' of %s is %s",
			       what, p->subject, p->date[0] ? p->date : "no date",
			       p->status[0] ? p->status : "pending");
			return 1;
		}
	}
	if (valid != NULL)
		return 0;
	if (expired == NULL) {
		reason(v, "'%.200s' needs a patch test and the client has none on record", what);
		return 1;
	}
	kt_safety_patch_state(expired, rules, until);
	reason(v, "'%.200s' needs a patch test and hers of %s expired%s%s", what,
	       expired->date[0] ? expired->date : "no date", until[0] ? " on " : "", until);
	return 1;
}

/* Rule 3: the legacy per-node setting, services separated by ';'. */
static void check_legacy(const struct kt_safety_card *c, const struct visit_text *t,
			 const struct kt_safety_rules *rules, struct kt_safety_verdict *v)
{
	char list[KT_SETTING_BYTES_MAX], *save = NULL, *tok;

	snprintf(list, sizeof(list), "%s", rules->legacy_patch ? rules->legacy_patch : "");
	for (tok = strtok_r(list, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
		const char *names[1] = { tok };

		while (*tok == ' ')
			tok++;
		names[0] = tok;
		if (*tok && named_in(tok, t) != NULL)
			check_patch(c, names, 1, tok, rules, v);
	}
}

/* ---- rule 2: the catalogue ---- */

struct cat_walk {
	struct kt_store *st;
	MDB_txn *txn;
	const struct kt_safety_card *card;
	const struct visit_text *text;
	const struct kt_safety_rules *rules;
	struct kt_safety_verdict *v;
	struct kt_err *err;
	char **names; /* the entry's name, aliases and substances, NUL-terminated */
	size_t nnames, cap_names, nsubst_from;
};

static void add_name(struct cat_walk *w, const char *s, size_t n)
{
	if (w->nnames == w->cap_names) {
		w->cap_names = w->cap_names ? w->cap_names * 2 : 8;
		w->names = kt_realloc(w->names, w->cap_names * sizeof(*w->names));
	}
	w->names[w->nnames++] = kt_strndup(s, n);
}

static void names_clear(struct cat_walk *w)
{
	for (size_t i = 0; i < w->nnames; i++)
		free(w->names[i]);
	w->nnames = 0;
}

/* The entry's names (name, aliases), then from nsubst_from its substances. */
static int entry_names(struct cat_walk *w, const struct kt_rec *r)
{
	const struct kt_val *name = kt_card_get(r, "name");
	const struct kt_field *alias = kt_schema_field_named(KT_T_CATALOGUE, "aliases");

	if (name != NULL && (name->t != KT_V_STR || !kt_text_valid(name->s, name->n)))
		return kt_safety_damaged(w->err, &r->id, "name");
	if (name != NULL)
		add_name(w, name->s, name->n);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			w->nsubst_from = w->nnames;
		for (uint32_t i = 0; i < r->nelems; i++) {
			const struct kt_field *f = kt_schema_field(r->type, r->elems[i].field);
			const struct kt_val *v = &r->elems[i].v;
			struct kt_span part;
			size_t pos = 0;

			if (f == NULL || (pass == 0 ? f != alias : f->chair != KT_CH_ALLERGY))
				continue;
			if (v->t != KT_V_STR || !kt_text_valid(v->s, v->n))
				return kt_safety_damaged(w->err, &r->id, f->name);
			while (kt_list_next(v->s, v->n, &pos, &part))
				add_name(w, part.s, part.n);
		}
	}
	return 0;
}

/*
 * Whether one of the entry's names (its name, an alias) appears in the
 * visit: all its words, by their stems, in any order ("Лазерная эпиляция"
 * is in "Эпиляция лазером"), within one service or one product (so "Пилинг
 * ступней, Химическая завивка" names no "Химический пилинг").
 */
static int entry_named(const struct cat_walk *w)
{
	int named = 0;

	for (size_t i = 0; !named && i < w->nsubst_from; i++) {
		struct kt_stem_phrase *n = kt_text_stem_compile(w->names[i]);

		for (size_t k = 0; !named && k < w->text->ne; k++)
			named = kt_text_stem_match_words(n, w->text->e[k]);
		kt_text_stem_free(n);
	}
	return named;
}

static const char *rule_words(uint8_t chair)
{
	switch (chair) {
	case KT_CH_ALLERGY: return "contains";
	case KT_CH_CONTRA: return "is ruled out by";
	default: return "is ruled out while taking";
	}
}

struct entry_part {
	struct cat_walk *w;
	const char *label;
};

/* One substance, contraindication or medication of an entry against hers. */
static int entry_part(void *ctx, const struct kt_field *f, const char *s, size_t n)
{
	struct entry_part *p = ctx;
	const struct kt_safety_card *card = p->w->card;
	char *t = kt_strndup(s, n);

	for (size_t k = 0; k < card->nitems; k++) {
		const struct kt_safety_item *it = &card->items[k];

		if (it->chair != f->chair || !same_thing(t, it->text))
			continue;
		if (it->chair == KT_CH_MEDICATION && p->w->rules->conceal_medications)
			reason(p->w->v, "'%.150s' is ruled out by a medication on the client's card "
			       "(a cosmetologist or manager sees which)", p->label);
		else
			reason(p->w->v, "'%.150s' %s '%.150s' and the client %s '%.150s'",
			       p->label, rule_words(f->chair), t, chair_words(it->chair),
			       it->text);
	}
	free(t);
	return 0;
}

/* The entry's substances, contraindications and medications against hers. */
static int entry_conflicts(struct cat_walk *w, const struct kt_rec *r, const char *label)
{
	struct entry_part p = { w, label };

	return kt_safety_chair_parts(r, entry_part, &p, w->err);
}

/* Checks the visit against one catalogue entry r. */
static int cat_entry(struct cat_walk *w, const struct kt_rec *r)
{
	const struct kt_val *pt;
	int rc = entry_names(w, r);

	if (rc == 0 && w->nsubst_from > 0 && entry_named(w)) {
		const char *label = w->names[0];

		rc = entry_conflicts(w, r, label);
		pt = kt_card_get(r, "patch_test");
		if (rc == 0 && pt != NULL && pt->t != KT_V_BOOL)
			rc = kt_safety_damaged(w->err, &r->id, "patch_test (catalogue)");
		if (rc == 0 && pt != NULL && pt->t == KT_V_BOOL && pt->i)
			check_patch(w->card, (const char *const *)w->names, w->nnames, label,
				    w->rules, w->v);
	}
	names_clear(w);
	return rc;
}

/* Loads the catalogue entry the index names as id into *r: 0, or KT_ECORRUPT. */
static int load_entry_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			 struct kt_rec *r, struct kt_err *err)
{
	int rc = kt_store_load(st, txn, id, r, err);

	if (rc == 0 && r->type != KT_T_CATALOGUE)
		rc = kt_safety_damaged(err, id, "catalogue index entry");
	if (rc == KT_ENOTFOUND) {
		char idt[KT_ID_TEXT_BYTES];

		kt_id_format(id, idt);
		rc = kt_err_set(err, KT_ECORRUPT, "the catalogue index names %s, which is "
				"not in the store", idt);
	}
	return rc;
}

static int cat_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct cat_walk *w = ctx;
	struct kt_rec r;
	int rc;

	(void)type;
	kt_rec_init(&r);
	if ((rc = load_entry_of(w->st, w->txn, id, &r, w->err)) == 0)
		rc = cat_entry(w, &r);
	kt_rec_release(&r);
	return rc;
}

struct entries {
	struct kt_store *st;
	MDB_txn *txn;
	struct kt_rec **v;
	size_t *n, *cap;
	struct kt_err *err;
};

static int keep_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct entries *e = ctx;

	(void)type;
	if (*e->n == *e->cap) {
		*e->cap = *e->cap ? *e->cap * 2 : 16;
		*e->v = kt_realloc(*e->v, *e->cap * sizeof(**e->v));
	}
	kt_rec_init(&(*e->v)[*e->n]);
	if (load_entry_of(e->st, e->txn, id, &(*e->v)[*e->n], e->err) != 0) {
		kt_rec_release(&(*e->v)[*e->n]);
		return e->err->code;
	}
	(*e->n)++;
	return 0;
}

int kt_safety_catalogue_read(struct kt_store *st, MDB_txn *txn, struct kt_rec **v, size_t *n,
			     size_t *cap, struct kt_err *err)
{
	struct entries e = { st, txn, v, n, cap, err };

	return kt_store_catalogue(st, txn, keep_one, &e, err);
}

static int check_catalogue(struct kt_store *st, MDB_txn *txn, const struct kt_safety_card *card,
			   const struct visit_text *t, const struct kt_safety_rules *rules,
			   struct kt_safety_verdict *v, struct kt_err *err)
{
	struct cat_walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.st = st;
	w.txn = txn;
	w.card = card;
	w.text = t;
	w.rules = rules;
	w.v = v;
	w.err = err;
	rc = card->catalogue_read ? 0 : kt_store_catalogue(st, txn, cat_one, &w, err);
	for (size_t i = 0; rc == 0 && i < card->ncatalogue; i++)
		rc = cat_entry(&w, &card->catalogue[i]);
	names_clear(&w);
	free(w.names);
	return rc;
}

int kt_safety_check(struct kt_store *st, MDB_txn *txn, const struct kt_safety_card *card,
		    const char *services, const char *products, const struct kt_safety_rules *rules,
		    struct kt_safety_verdict *v, struct kt_err *err)
{
	struct visit_text t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.services = services;
	t.products = products;
	t.s = kt_text_stem_compile(services);
	t.p = kt_text_stem_compile(products);
	compile_entries(&t, services);
	compile_entries(&t, products);
	memset(v, 0, sizeof(*v));
	check_words(card, &t, v);
	check_legacy(card, &t, rules, v);
	rc = check_catalogue(st, txn, card, &t, rules, v, err);
	kt_text_stem_free(t.s);
	kt_text_stem_free(t.p);
	for (size_t i = 0; i < t.ne; i++)
		kt_text_stem_free(t.e[i]);
	return rc;
}

int kt_safety_visit(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		    const char *services, const char *products, const struct kt_safety_rules *rules,
		    struct kt_safety_verdict *v, struct kt_err *err)
{
	struct kt_safety_card c;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(v, 0, sizeof(*v));
	rc = kt_safety_load(st, txn, client, &c, err);
	if (rc == 0)
		rc = kt_safety_check(st, txn, &c, services, products, rules, v,
				     err);
	kt_safety_release(&c);
	return rc;
}
