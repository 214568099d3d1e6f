/*
 * cmd_io.c - `import`: a Kartoteka export (JSON) back, or a CSV of client
 * cards or visits; its options, and the checks of its rows (`export` is
 * cmd_export.c's; the writing, cmd_import_write.c's).
 *
 * Import reads and checks the whole file before it writes anything: the
 * parser (import.h) checks every value against the schema, then this file
 * checks the rows against the store (ids already there, owners and merge
 * targets that exist) and against each other (an id twice).  Any bad row
 * stops the import with every bad row reported, unless --skip-bad.  Rows are
 * then written KT_BATCH_MAX drafts per kt_store_write() (one durable
 * transaction each), cards first so that a visit's client exists.  An
 * interrupted import leaves whole batches: importing the same export again
 * with --skip-bad skips what is there ("already exists") and writes the
 * rest.  A CSV has no ids, so its rows would be imported twice.
 */
#include "cmd_import.h"
#include "card.h"
#include "contacts.h"
#include "import.h"
#include "phone.h"
#include "points.h"
#include "safety.h"
#include "salon.h"
#include "dates.h"
#include "hlc.h"
#include "when.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char import_usage[] =
	"usage: kt-node -d DIR import FILE [--skip-bad] [--as-recorded] [--again]\n"
	"                            [--future] [--override REASON [--by NAME]]\n"
	"                            [--encoding NAME] [--no-duplicates]\n"
	"\n"
	"Imports FILE, either:\n"
	"- a Kartoteka export (JSON, what `export` prints), or its \"records\" array\n"
	"  alone: every record keeps its id;\n"
	"- a CSV of client cards (a spreadsheet saved as \"CSV UTF-8\"): the header row\n"
	"  names the columns (name, phone, email, birthday, allergies, ...; name is\n"
	"  required, or its parts: surname, given_name, patronymic, joined in the\n"
	"  file's order), in English, Russian, Romanian or Chinese (below; case,\n"
	"  accents and blanks aside), one card per row;\n"
	"- a CSV of visits: a header naming a visit's columns (date, services, amount,\n"
	"  specialist, ...) and the client by client (her card's id), phone or email\n"
	"  (a name column, when there, must fit the card found).  Each visit must find\n"
	"  exactly one card of this node: import the cards first.  A date is needed.\n"
	"A CSV's separator is ',' or, when the header row has none, ';' or a tab; a\n"
	"first line \"sep=;\" names it.  A list field's cell holds several entries\n"
	"separated by ';' or ',' (\"латекс, орехи\").  Empty cells are skipped; every\n"
	"row has as many cells as the header (empty ones past it are padding); empty\n"
	"lines, CRLF and quoted cells with new lines are read; a \"№\" or \"#\" column\n"
	"is passed over.  Excel's \"Unicode text\" (UTF-16) is read; a file in a\n"
	"Windows code page needs --encoding (cp1251 Russian, cp1250 Romanian, gbk\n"
	"Chinese).  A workbook (.xlsx, .xls), a PDF or a web page is refused: save it\n"
	"as CSV UTF-8.  A phone in scientific notation (7,91235E+10: the spreadsheet\n"
	"rounded it) is a bad row; --skip-bad imports that row without the phone.\n"
	"Every row is checked before anything is written.  Bad rows are printed as\n"
	"'line N: problem' ('record N' in JSON) and nothing is imported, unless\n"
	"--skip-bad.  Progress shows on a terminal; the last line says what was done.\n"
	"Visits dated today or later are checked at the chair as `visit add` checks\n"
	"them, against the store and the file's own cards, patch tests and catalogue: a\n"
	"refused visit is a bad row unless it carries an override_reason, or --override\n"
	"REASON is given (it is recorded on each such visit, with --by NAME, else\n"
	"$USER).  Visits dated before today are history: they come back as recorded,\n"
	"with a warning line for each the check would refuse now.\n"
	"Points entries follow the rule of `record add points`: one dated today or later\n"
	"that would take her balance (the store's and the file's entries before it)\n"
	"below zero is a bad row unless it carries an override_reason or --override\n"
	"is given; older ones, and undated ones, are history (a warning line).\n"
	"A card whose phone or email is on a card of the store or on another card of\n"
	"the file gets a warning line naming it, and is imported.\n"
	"A date is YYYY-MM-DD or as the branch's country writes it (DD.MM.YYYY in RU,\n"
	"MD, RO...; YYYY/MM/DD or YYYY年MM月DD日 in CN...); a two-digit year, a\n"
	"day/month with slashes, a birthday after today or over 130 years ago, and a\n"
	"visit, patch test or assessment dated after today are bad rows.\n"
	"  --future        visits, patch tests, assessments dated ahead are meant\n"
	"                  (at most 366 days after today)\n"
	"  --skip-bad      import the good rows, report and skip the bad ones\n"
	"  --as-recorded   a restore of this chain's export: every visit comes back as\n"
	"                  it was recorded (each was checked when written), warnings only\n"
	"  --encoding NAME the file's character set when it is not UTF-8 (cp1251, ...)\n"
	"  --no-duplicates a card whose phone or email is on another card is a bad row\n"
	"An import stopped half way (Ctrl-C, a kill, a full disk) has written whole\n"
	"batches only, and notes how far it got with them: the same file imported again\n"
	"goes on from there and never cards a row twice.  A file imported whole is\n"
	"refused the second time, unless --again (import it again, as new cards); so is\n"
	"a file changed since it was imported from the same path, whole or half way\n"
	"(its rows already carded would be carded again).\n"
	"  --again         import a file this node imported whole before, once more\n"
	"example: kt-node -d /var/lib/kartoteka import clients.csv\n"
	"         kt-node -d /var/lib/kartoteka import visits.csv\n";

/* The header names import reads, printed after import --help. */
static void import_columns_help(void)
{
	static const struct {
		uint8_t type;
		const char *what;
	} kinds[] = {
		{ KT_T_CLIENT, "Columns of a file of client cards (also id, merged_into):" },
		{ KT_T_VISIT, "Columns of a file of visits (also id; the client by client, or a "
		  "card's\nphone, email and name as above):" },
	};
	char text[8192];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		kt_import_columns_text(kinds[i].type, text, sizeof(text));
		printf("\n%s\n%s", kinds[i].what, text);
	}
}

/* ---- import: reading and checking ---- */

/* A record id of the file and the row holding it, to sort and search. */
struct idrow {
	struct kt_id id;
	size_t row;
};

static int read_file(const char *path, char **data, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	int fd = open(path, O_RDONLY), e;

	if (fd < 0)
		return kt_cli_failf("import: cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > KT_IMPORT_FILE_BYTES_MAX) {
		close(fd);
		return kt_cli_failf("import: '%s' is not a regular file of at most %llu MiB",
				    path, KT_IMPORT_FILE_BYTES_MAX >> 20);
	}
	*data = kt_malloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, *data + got, (size_t)sb.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	e = errno;
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(*data);
		return kt_cli_failf("import: cannot read '%s': %s", path,
				    got < (size_t)sb.st_size && e ? strerror(e) : "it changed size");
	}
	*len = got;
	return 0;
}

static int cmp_idrow(const void *a, const void *b)
{
	const struct idrow *x = a, *y = b;
	int c = kt_id_cmp(&x->id, &y->id);

	return c ? c : (x->row < y->row ? -1 : x->row > y->row);
}

/*
 * Sorts the rows that name an id into *out (the caller frees it) and marks
 * every later row with the id of an earlier one bad.
 */
static size_t index_ids(struct kt_import *im, struct idrow **out)
{
	struct idrow *v = kt_calloc(im->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < im->n; i++)
		if (kt_id_parse(&v[n].id, im->rows[i].id) == 0)
			v[n++].row = i;
	qsort(v, n, sizeof(*v), cmp_idrow);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (kt_id_cmp(&v[i].id, &v[first].id) != 0) {
			first = i;
			continue;
		}
		kt_import_mark_bad(im, &im->rows[v[i].row], "record %s appears twice (also "
				   "record %d)", im->rows[v[i].row].id, im->rows[v[first].row].line);
	}
	*out = v;
	return n;
}

/* Marks the rows whose id the store already holds. */
static int check_new(struct importer *x, MDB_txn *txn, struct kt_rec *rec)
{
	for (size_t i = 0; i < x->im.n; i++) {
		struct kt_import_row *r = &x->im.rows[i];
		struct kt_id id;
		int rc;

		if (r->bad != NULL || kt_id_parse(&id, r->id) != 0)
			continue;
		rc = kt_store_load(&x->cli->st, txn, &id, rec, &x->cli->err);
		if (rc == 0)
			kt_import_mark_bad(&x->im, r, "record %s already exists", r->id);
		else if (rc != KT_ENOTFOUND)
			return kt_cli_failf("import: %s", x->cli->err.msg);
	}
	return 0;
}

/* The first row of the file holding id, or NULL (ids is sorted). */
static const struct idrow *find_id(const struct idrow *ids, size_t n, const struct kt_id *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (kt_id_cmp(&ids[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && kt_id_cmp(&ids[lo].id, id) == 0 ? &ids[lo] : NULL;
}

/*
 * Why the card `want` (a text id) cannot own or absorb a record, or NULL
 * when it is a good card of the file or a card of the store.
 */
static const char *client_problem(struct importer *x, MDB_txn *txn, struct kt_rec *rec,
				  const struct idrow *ids, size_t nids, const char *want,
				  char *buf, size_t cap)
{
	const struct kt_import_row *c = NULL;
	const struct idrow *hit;
	struct kt_id id;

	if (kt_id_parse(&id, want) != 0)
		return "is not an id";
	if ((hit = find_id(ids, nids, &id)) != NULL) {
		c = &x->im.rows[hit->row];
		if (c->bad == NULL)
			return c->type == KT_T_CLIENT ? NULL : "is not a client card";
	}
	if (kt_store_load(&x->cli->st, txn, &id, rec, NULL) == 0)
		return rec->type == KT_T_CLIENT ? NULL : "is not a client card";
	if (c != NULL)
		snprintf(buf, cap, "is record %d, which is bad", c->line);
	else
		snprintf(buf, cap, "is neither in the file nor in this store");
	return buf;
}

/* Marks records whose owner or merge target is no card the import can count on. */
static void check_clients(struct importer *x, MDB_txn *txn, struct kt_rec *rec,
			  const struct idrow *ids, size_t nids)
{
	char buf[64];

	for (size_t i = 0; i < x->im.n; i++) {
		struct kt_import_row *r = &x->im.rows[i];
		const char *why;

		if (r->bad != NULL)
			continue;
		if (!kt_schema_self_owned(r->type) &&
		    (why = client_problem(x, txn, rec, ids, nids, r->client, buf, sizeof(buf))))
			kt_import_mark_bad(&x->im, r, "client %s %s", r->client, why);
		else if (r->merged_into != NULL &&
			 (why = client_problem(x, txn, rec, ids, nids, r->merged_into, buf,
					       sizeof(buf))))
			kt_import_mark_bad(&x->im, r, "merged_into %s %s", r->merged_into, why);
	}
}

/* Catalogue names' keys (kt_text_words_key), each with the line that brought it (0: the store). */
struct cat_name {
	char *fold;
	int line;
};

struct cat_names {
	struct kt_store *st;
	MDB_txn *txn;
	struct cat_name *v;
	size_t n, cap;
	struct kt_err *err;
};

static void push_name(struct cat_names *c, char *fold, int line)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = kt_realloc(c->v, c->cap * sizeof(*c->v));
	}
	c->v[c->n++] = (struct cat_name){ fold, line };
}

static int store_name(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct cat_names *c = ctx;
	const struct kt_val *v;
	struct kt_rec r;
	char *f;
	int rc;

	(void)type;
	kt_rec_init(&r);
	if ((rc = kt_store_load(c->st, c->txn, id, &r, c->err)) == 0 &&
	    (v = kt_card_get(&r, "name")) != NULL && v->t == KT_V_STR &&
	    (f = kt_strndup(v->s, v->n)) != NULL) {
		char *k = kt_text_words_key(f);

		free(f);
		if (k != NULL)
			push_name(c, k, 0);
	}
	kt_rec_release(&r);
	return rc;
}

static int by_fold(const void *a, const void *b)
{
	return strcmp(((const struct cat_name *)a)->fold, ((const struct cat_name *)b)->fold);
}

/*
 * A catalogue entry is found by its name (catalog show NAME, the chair's
 * check), so a new entry named as one in the store or as an earlier row of
 * the file (compared by kt_text_words_key: case, accents, blanks and
 * punctuation aside) is a bad row, as is one with no name.  Rows of an
 * export keep their ids and names: two branches may each have added a
 * "Пилинг" offline, and a restore brings both back.
 * Returns 1 (printed) when the store cannot be read.
 */
static int check_catalogue_names(struct importer *x, MDB_txn *txn)
{
	struct cat_names c = { &x->cli->st, txn, NULL, 0, 0, &x->cli->err };
	size_t nstore;
	int rc;

	for (size_t i = 0; i < x->im.n && c.n == 0; i++)
		if (x->im.rows[i].type == KT_T_CATALOGUE)
			c.n = 1; /* the file has some: read the store's */
	if (c.n == 0)
		return 0;
	c.n = 0;
	rc = kt_store_catalogue(&x->cli->st, txn, store_name, &c, &x->cli->err);
	nstore = c.n;
	if (nstore > 0)
		qsort(c.v, nstore, sizeof(*c.v), by_fold);
	for (size_t i = 0; rc == 0 && i < x->im.n; i++) {
		struct kt_import_row *r = &x->im.rows[i];
		struct cat_name key, *hit = NULL;
		const char *name = NULL;

		if (r->bad != NULL || r->type != KT_T_CATALOGUE || r->id[0] != '\0')
			continue; /* an export's entries come back as they were, same names or not */
		for (uint32_t k = 0; k < r->n; k++)
			if (strcmp(r->f[k].name, "name") == 0)
				name = r->f[k].value;
		if (name == NULL || (key.fold = kt_text_words_key(name)) == NULL) {
			kt_import_mark_bad(&x->im, r, "a catalogue entry needs a name (a letter or "
					   "digit)");
			continue;
		}
		if (nstore > 0)
			hit = bsearch(&key, c.v, nstore, sizeof(*c.v), by_fold);
		for (size_t k = nstore; hit == NULL && k < c.n; k++)
			if (strcmp(c.v[k].fold, key.fold) == 0)
				hit = &c.v[k];
		if (hit != NULL && hit->line == 0)
			kt_import_mark_bad(&x->im, r, "'%s' is in the catalogue already (change it "
					   "with catalog edit)", name);
		else if (hit != NULL)
			kt_import_mark_bad(&x->im, r, "'%s' is named on %s %d already", name,
					   x->im.json ? "record" : "line", hit->line);
		if (hit != NULL)
			free(key.fold);
		else
			push_name(&c, key.fold, r->line);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].fold);
	free(c.v);
	return rc != 0 ? kt_cli_failf("import: %s", x->cli->err.msg) : 0;
}

/*
 * Each row's dates against the branch's today, as `visit add` and `client
 * add` judge them (kt_dates_check(): a birthday after today, a visit after
 * today without --future): such a row is bad.
 */
static void check_dates(struct importer *x)
{
	int32_t today = kt_cli_today(x->cli), day;
	struct kt_err err;

	for (size_t i = 0; i < x->im.n; i++) {
		struct kt_import_row *r = &x->im.rows[i];

		for (uint32_t k = 0; r->bad == NULL && k < r->n; k++) {
			const struct kt_field *f = kt_schema_field_named(r->type, r->f[k].name);

			if (f != NULL && f->vtype == KT_VT_DATE &&
			    kt_date_parse(r->f[k].value, &day) == 0 &&
			    kt_dates_check(f, day, today, x->future, &err) != 0)
				kt_import_mark_bad(&x->im, r, "%s", err.msg);
		}
	}
}

/* ---- import: the client a CSV visit names ---- */

/* Candidates one phone or email is looked up among (kt_store_find's prefix hits). */
#define REF_HITS_MAX 64

/* Whether every word of `some` is a word of `all` (both kt_text_words_key forms). */
static int words_within(const char *some, const char *all)
{
	size_t an = strlen(all);

	while (*some) {
		size_t k = strcspn(some, " ");
		int found = 0;

		for (const char *a = all; !found && a < all + an; a += strcspn(a, " ") + 1)
			found = strcspn(a, " ") == k && memcmp(a, some, k) == 0;
		if (!found)
			return 0;
		some += k + (some[k] == ' ');
	}
	return 1;
}

/*
 * Whether card rec has exactly the phone (E.164 under the node's country,
 * e164: the row's) or the email (folded, fold: the row's) the row gives.  A
 * number either side cannot read never matches: it names nobody.
 */
static int card_has(struct importer *x, const struct kt_rec *rec, const char *e164,
		    const char *fold)
{
	const struct kt_val *v = kt_card_get(rec, e164 ? "phone" : "email");
	const struct kt_val *norm = kt_rec_phone_e164(rec);
	char text[KT_PHONE_TEXT_MAX + 1], mine[KT_PHONE_BYTES], *f;
	int same;

	if (e164 != NULL && norm != NULL && norm->t == KT_V_STR)
		return norm->n == strlen(e164) && memcmp(norm->s, e164, norm->n) == 0;
	if (v == NULL || v->t != KT_V_STR)
		return 0;
	if (e164 != NULL) {
		if (v->n > KT_PHONE_TEXT_MAX)
			return 0;
		memcpy(text, v->s, v->n);
		text[v->n] = '\0';
		return kt_phone_e164(text, x->cli->st.country, mine) == 0 && strcmp(mine, e164) == 0;
	}
	if ((f = kt_text_fold(v->s, v->n)) == NULL)
		return 0;
	same = strcmp(f, fold) == 0;
	free(f);
	return same;
}

/*
 * The cards (each counted once, by the card it is merged into) whose phone
 * (phone = 1) or email is v: their number into *n, the first two into
 * out[2].  Returns 0, a reason the row is bad in why (a number that does
 * not read), or -1 (printed) for a store error.
 */
static int cards_by(struct importer *x, MDB_txn *txn, struct kt_rec *rec, int phone,
		    const char *v, struct kt_id out[2], int *n, char *why, size_t cap)
{
	struct kt_id hits[REF_HITS_MAX], roots[REF_HITS_MAX];
	char e164[KT_PHONE_BYTES], *fold = NULL;
	int nh, nr = 0;

	*n = 0;
	if (phone && (strlen(v) > KT_PHONE_TEXT_MAX || kt_phone_e164(v, x->cli->st.country, e164) != 0)) {
		snprintf(why, cap, "phone '%.64s' is not a number this node reads (country %s), so "
			 "it names nobody; name her by client id or email", v, x->cli->st.country);
		return 1;
	}
	if (!phone && (fold = kt_text_fold(v, strlen(v))) == NULL)
		return 0;
	nh = kt_store_find(&x->cli->st, txn, phone ? e164 : v, hits, REF_HITS_MAX, NULL,
			   &x->cli->err);
	for (int i = 0; i < nh; i++) {
		struct kt_id root;
		int rc = kt_store_load(&x->cli->st, txn, &hits[i], rec, &x->cli->err), seen = 0;

		if (rc != 0) {
			free(fold);
			kt_cli_failf("import: %s", x->cli->err.msg);
			return -1;
		}
		if (rec->type != KT_T_CLIENT || !card_has(x, rec, phone ? e164 : NULL, fold))
			continue;
		kt_store_alias_root(&x->cli->st, txn, &hits[i], &root);
		for (int k = 0; k < nr && !seen; k++)
			seen = kt_id_cmp(&roots[k], &root) == 0;
		if (!seen)
			roots[nr++] = root;
	}
	free(fold);
	if (nh < 0) {
		kt_cli_failf("import: %s", x->cli->err.msg);
		return -1;
	}
	*n = nr;
	for (int k = 0; k < nr && k < 2; k++)
		out[k] = roots[k];
	return 0;
}

/* Whether the name a row gives is the name of card id (every word of it); 1 also when unread. */
static int name_fits(struct importer *x, MDB_txn *txn, struct kt_rec *rec, const struct kt_id *id,
		     const char *name, char *card_name, size_t cap)
{
	const struct kt_val *v;
	char *mine, *theirs, *text;
	int fits = 1;

	card_name[0] = '\0';
	if (kt_store_load(&x->cli->st, txn, id, rec, NULL) != 0 ||
	    (v = kt_card_get(rec, "name")) == NULL || v->t != KT_V_STR)
		return 1; /* no name to check against: the owner check says what is wrong */
	snprintf(card_name, cap, "%.*s", (int)v->n, v->s);
	text = kt_strndup(v->s, v->n);
	mine = kt_text_words_key(name);
	theirs = kt_text_words_key(text);
	if (mine != NULL && theirs != NULL)
		fits = words_within(mine, theirs);
	free(text);
	free(mine);
	free(theirs);
	return fits;
}

/*
 * Finds the card each CSV visit names by phone or email (and checks a
 * client id against them, and the name the row gives against the card):
 * exactly one card must match, else the row is bad, naming what it found.
 * Returns 0, or 1 (printed) when the store cannot be read.
 */
static int resolve_visits(struct importer *x, MDB_txn *txn, struct kt_rec *rec)
{
	for (size_t i = 0; i < x->im.n; i++) {
		struct kt_import_row *r = &x->im.rows[i];
		const char *by[2] = { r->by_phone, r->by_email };
		struct kt_id id, given, found[2];
		char why[256] = "", idt[2][KT_ID_TEXT_BYTES], card_name[128];
		int have = kt_id_parse(&given, r->client) == 0, n, rc;

		if (r->bad != NULL || r->type != KT_T_VISIT ||
		    (r->by_phone == NULL && r->by_email == NULL && r->by_name == NULL))
			continue; /* a JSON visit, or one named by id alone: the owner check's */
		/* Compared by the card each is merged into; a given id stays the owner. */
		if (have)
			kt_store_alias_root(&x->cli->st, txn, &given, &id);
		for (int k = 0; k < 2 && r->bad == NULL; k++) {
			const char *what = k == 0 ? "phone" : "email";

			if (by[k] == NULL)
				continue;
			if ((rc = cards_by(x, txn, rec, k == 0, by[k], found, &n, why, sizeof(why))) < 0)
				return 1;
			if (rc > 0 || why[0]) {
				kt_import_mark_bad(&x->im, r, "%s", why);
				break;
			}
			kt_id_format(&found[0], idt[0]);
			kt_id_format(&found[1], idt[1]);
			if (n == 0)
				kt_import_mark_bad(&x->im, r, "no card has %s '%.64s' (import the cards "
						   "first)", what, by[k]);
			else if (n > 1)
				kt_import_mark_bad(&x->im, r, "%s '%.64s' is on %d cards (%s, %s%s): "
						   "name her by client id, or merge the cards first",
						   what, by[k], n, idt[0], idt[1], n > 2 ? ", ..." : "");
			else if (have && kt_id_cmp(&found[0], &id) != 0)
				kt_import_mark_bad(&x->im, r, "%s '%.64s' is card %s, not client %s",
						   what, by[k], idt[0], r->client);
			id = found[0];
			have = 1;
		}
		if (r->bad != NULL || !have)
			continue;
		if (r->by_name != NULL && !name_fits(x, txn, rec, kt_id_parse(&given, r->client) == 0
						     ? &given : &id, r->by_name, card_name,
						     sizeof(card_name))) {
			kt_import_mark_bad(&x->im, r, "the card found is '%s', not '%.64s' (check the "
					   "row's phone or email)", card_name, r->by_name);
			continue;
		}
		if (r->client[0] == '\0')
			kt_id_format(&id, r->client);
	}
	return 0;
}

/*
 * Whether a run of this file stopped half way (its note says how far it
 * got, and not that it finished): the rows it wrote are cards now.
 */
static int stopped_run(struct importer *x, MDB_txn *txn)
{
	uint8_t b[IMPORT_NOTE_BYTES];
	size_t n;

	return !x->again && kt_meta_copy(&x->cli->st, txn, x->note_name, b, sizeof(b), &n) == 0 &&
	       n == IMPORT_NOTE_BYTES && b[0] != 0 && kt_be64_get(b + 17) == 0;
}

/* The checks against the store and within the file; 1 (printed) on failure. */
static int check_rows(struct importer *x)
{
	struct idrow *ids;
	struct kt_rec rec;
	MDB_txn *txn;
	size_t nids;
	int rc;

	if (kt_store_rdtxn(&x->cli->st, &txn, &x->cli->err) != 0)
		return kt_cli_fail(x->cli);
	kt_rec_init(&rec);
	check_dates(x);
	nids = index_ids(&x->im, &ids);
	rc = resolve_visits(x, txn, &rec);
	if (rc == 0)
		rc = check_new(x, txn, &rec);
	if (rc == 0)
		check_clients(x, txn, &rec, ids, nids);
	if (rc == 0)
		rc = check_catalogue_names(x, txn);
	if (rc == 0 && kt_contact_import(&x->cli->st, txn, &x->im, x->no_duplicates,
					 !stopped_run(x, txn), &x->cli->err) != 0)
		rc = kt_cli_failf("import: %s", x->cli->err.msg);
	if (rc == 0 && kt_points_import(&x->cli->st, txn, &x->im, kt_cli_today(x->cli),
					x->override, x->as_recorded, &x->cli->err) != 0)
		rc = kt_cli_failf("import: %s", x->cli->err.msg);
	if (rc == 0) {
		struct kt_settings set;
		struct kt_safety_rules rules;

		kt_salon_safety_rules(kt_cli_settings(x->cli, &set), kt_cli_today(x->cli), &rules);
		kt_safety_import(&x->cli->st, txn, &x->im, &rules, x->override, x->as_recorded);
	}
	kt_rec_release(&rec);
	mdb_txn_abort(txn);
	free(ids);
	return rc;
}

/*
 * Prints each bad row, and each good row that lost a value (row->dropped),
 * on a line of its own (the first 100); returns how many rows are bad, with
 * the rows that lost a value in *dropped.
 */
static size_t report_bad(const struct kt_import *im, size_t *dropped)
{
	size_t bad = 0, said = 0;

	*dropped = 0;
	for (size_t i = 0; i < im->n; i++) {
		const char *what = im->rows[i].bad ? im->rows[i].bad : im->rows[i].dropped;

		if (what == NULL)
			continue;
		if (im->rows[i].bad != NULL)
			bad++;
		else
			(*dropped)++;
		if (said++ < 100) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", what);
			kt_text_one_line(why); /* a value quoted in it stays on its line */
			fprintf(stderr, "%s %d: %s\n", im->json ? "record" : "line",
				im->rows[i].line, why);
		}
	}
	if (said > 100)
		fprintf(stderr, "... and %zu more\n", said - 100);
	return bad;
}

static const char catalog_import_usage[] =
	"usage: kt-node -d DIR catalog import FILE.csv [--skip-bad]\n"
	"\n"
	"Adds catalogue entries from a CSV whose header names their fields (see\n"
	"`catalog --help`); a name in the catalogue already or twice in the file is a\n"
	"bad row, which --skip-bad passes over.\n"
	"example: kt-node -d DIR catalog import services.csv --skip-bad\n";

/*
 * Reads import's options into x, the file into *path.  type as for
 * kt_cli_import_as() (its usage is catalog import's for KT_T_CATALOGUE).
 * Returns -1 to go on, else the exit code (0 after --help).
 */
static int import_args(struct importer *x, uint8_t type, int argc, char **argv,
		       const char **path, int *skip)
{
	static const struct kt_opt opts[] = {
		{ "skip-bad", KT_OPT_FLAG, 's', 0 },
		{ "again", KT_OPT_FLAG, 'a', 0 },
		{ "as-recorded", KT_OPT_FLAG, 'r', 0 },
		{ "future", KT_OPT_FLAG, 'f', 0 },
		{ "no-duplicates", KT_OPT_FLAG, 'D', 0 },
		{ "encoding", KT_OPT_VALUE, 'e', 0 },
		{ "override", KT_OPT_VALUE, 'o', 0 },
		{ "by", KT_OPT_VALUE, 'b', 0 },
		{ NULL, 0, 0, 0 },
	};
	int catalogue = type == KT_T_CATALOGUE, c;
	struct kt_opts *o = kt_cli_opts(x->cli, catalogue ? "catalog import" : "import",
					catalogue ? catalog_import_usage : import_usage, opts,
					argc, argv);

	*path = NULL;
	*skip = 0;
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 's': *skip = 1; break;
		case 'a': x->again = 1; break;
		case 'r': x->as_recorded = 1; break;
		case 'f': x->future = 1; break;
		case 'D': x->no_duplicates = 1; break;
		case 'e': x->encoding = o->arg; break;
		case 'o':
			x->override = o->arg;
			if (!kt_text_says_something(x->override))
				return kt_cli_failf("import: an override needs a reason: "
						    "--override 'REASON'");
			break;
		case 'b':
			x->by = o->arg;
			if (!kt_text_says_something(x->by))
				return kt_cli_failf("import: --by needs the name of who gives "
						    "the override");
			break;
		}
	if (c == KT_OPTS_HELP && !catalogue)
		import_columns_help();
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (o->nargs > 1)
		return kt_cli_failf("import: one file at a time ('%s' and '%s')", o->args[0],
				    o->args[1]);
	if (o->nargs == 1)
		*path = o->args[0];
	if (*path == NULL)
		return kt_cli_failf("import: which file? (import FILE [--skip-bad])");
	if (x->by == NULL) {
		const char *user = getenv("USER");

		x->by = user != NULL && kt_text_says_something(user) ? user : "unknown";
	}
	return -1;
}

/* Prints the imported rows' notes (past visits the check would refuse today). */
static void report_notes(const struct kt_import *im)
{
	size_t notes = 0;

	for (size_t i = 0; i < im->n; i++) {
		if (im->rows[i].note == NULL || im->rows[i].bad != NULL)
			continue;
		if (notes++ < 100)
			fprintf(stderr, "warning: %s %d: %s\n", im->json ? "record" : "line",
				im->rows[i].line, im->rows[i].note);
	}
	if (notes > 100)
		fprintf(stderr, "warning: ... and %zu more\n", notes - 100);
}

/* Checks, reports and writes the parsed rows; returns the exit code. */
static int import_rows(struct importer *x, int skip)
{
	struct kt_settings set;
	size_t bad, dropped;

	if (check_rows(x) != 0)
		return 1;
	bad = report_bad(&x->im, &dropped);
	if (bad + dropped > 0 && !skip)
		return kt_cli_failf("import: %zu bad row%s in '%s'; nothing imported "
				    "(--skip-bad imports the good ones)", bad + dropped,
				    bad + dropped == 1 ? "" : "s", x->path);
	x->total = x->im.n - bad;
	x->tty = isatty(2);
	kt_cli_branch(x->cli, x->branch, sizeof(x->branch));
	snprintf(x->currency, sizeof(x->currency), "%s", kt_cli_settings(x->cli, &set)->currency);
	x->d = kt_malloc(sizeof(*x->d) * KT_BATCH_MAX);
	x->alias = kt_calloc(KT_BATCH_MAX, sizeof(*x->alias));
	if (kt_importer_resume(x) != 0 || kt_importer_write(x, 1) != 0 ||
	    kt_importer_write(x, 0) != 0)
		return 1;
	if (x->done + x->before > 0)
		kt_importer_finished(x);
	if (x->shown)
		fputc('\n', stderr);
	report_notes(&x->im);
	fprintf(stderr, "imported %zu record%s from %s", x->done, x->done == 1 ? "" : "s",
		x->path);
	if (x->before > 0)
		fprintf(stderr, " (and %llu before, by the run that stopped)",
			(unsigned long long)x->before);
	if (bad > 0)
		fprintf(stderr, ", skipped %zu bad row%s", bad, bad == 1 ? "" : "s");
	if (dropped > 0)
		fprintf(stderr, ", %zu row%s imported without the value named above", dropped,
			dropped == 1 ? "" : "s");
	fputc('\n', stderr);
	return 0;
}

int cmd_import(struct kt_cli *cli, int argc, char **argv)
{
	return kt_cli_import_as(cli, argc, argv, 0);
}

int kt_cli_import_as(struct kt_cli *cli, int argc, char **argv, uint8_t type)
{
	struct importer x;
	char *data = NULL;
	size_t len = 0;
	int skip, rc;

	memset(&x, 0, sizeof(x));
	x.cli = cli;
	if ((rc = import_args(&x, type, argc, argv, &x.path, &skip)) >= 0)
		return rc;
	if (kt_cli_act(cli, type == KT_T_CATALOGUE ? "catalog import" : "import",
		       type == KT_T_CATALOGUE ? KT_CAN_CATALOGUE : KT_CAN_IMPORT) ||
	    read_file(x.path, &data, &len) != 0)
		return 1;
	{
		/* The note is named by what the rows are: the file's bytes and how they are read. */
		uint8_t h[KT_HASH_BYTES], *in = kt_malloc(len + 1);
		char hex[33];

		in[0] = type;
		memcpy(in + 1, data, len);
		kt_hash(h, in, len + 1);
		free(in);
		kt_hex(hex, h, 16);
		snprintf(x.note_name, sizeof(x.note_name), "import:%s", hex);
	}
	if (x.encoding != NULL) {
		/* --encoding cp1251: the file in UTF-8 is what is parsed (the note keeps its bytes). */
		char *utf8 = NULL;
		size_t n = 0;

		rc = kt_import_decode(data, len, x.encoding, &utf8, &n, &cli->err);
		free(data);
		data = utf8;
		len = n;
		if (rc != 0) {
			kt_import_release(&x.im);
			return kt_cli_failf("import: '%s': %s; nothing imported", x.path, cli->err.msg);
		}
	}
	rc = kt_import_parse_dates(&x.im, data, len, type, kt_dates_form(cli->st.country),
				   &cli->err);
	free(data); /* the rows hold copies */
	if (rc != 0)
		rc = kt_cli_failf("import: '%s': %s; nothing imported", x.path, cli->err.msg);
	else
		rc = import_rows(&x, skip);
	free(x.d);
	free(x.alias);
	kt_import_release(&x.im);
	return rc;
}
