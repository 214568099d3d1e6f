/*
 * cmd_io.c - export (every record as deterministic JSON) and import (that
 * JSON back, or a CSV of client cards).  An import checks every row before
 * it writes anything; bad rows are reported by line and nothing is written
 * unless --skip-bad.  Rows are written KT_BATCH_MAX to a durable
 * transaction, cards before the records that belong to them.
 */
#include "cli.h"
#include "import.h"
#include "hlc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char export_usage[] =
	"usage: kt-node -d DIR export [--json]\n"
	"\n"
	"Prints every record, sorted by id, as one JSON document (JSON is the only\n"
	"export format; --json is accepted for symmetry).  Two nodes holding the same\n"
	"changes print the same bytes.  `import` reads it back.\n"
	"example: kt-node -d DIR export --json > backup.json\n";

static const char import_usage[] =
	"usage: kt-node -d DIR import FILE [--skip-bad]\n"
	"\n"
	"Reads FILE: a Kartoteka export (JSON, records keep their ids) or a CSV whose\n"
	"header row names client fields (name, phone, email, birthday, allergies...;\n"
	"list fields hold values separated by ';'), one client card per row.\n"
	"Every row is checked first; bad rows are reported as 'line N: problem' and\n"
	"nothing is imported, unless --skip-bad (then the good rows are imported).\n"
	"  --skip-bad   import the good rows, report and skip the bad ones\n"
	"example: kt-node -d DIR import clients.csv\n";

struct export_ctx {
	struct kt_cli *cli;
	MDB_txn *txn;
	size_t n;
};

static int export_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct export_ctx *e = ctx;
	struct kt_rec r;
	json_t *o;

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(&e->cli->st, e->txn, id, &r, &e->cli->err) != 0) {
		kt_rec_release(&r);
		return -1;
	}
	o = kt_card_json(&r);
	kt_rec_release(&r);
	fputs(e->n++ ? "," : "", stdout);
	json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return 0;
}

int cmd_export(struct kt_cli *cli, int argc, char **argv)
{
	struct export_ctx e = { cli, NULL, 0 };
	int rc;

	if (kt_cli_help(argc, argv, export_usage))
		return 0;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))
		return kt_cli_failf("export: unknown option '%s'", argv[1]);
	if (kt_cli_open(cli))
		return 1;
	if (kt_store_rdtxn(&cli->st, &e.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	/* Keys in sorted order, as JSON_SORT_KEYS would print them. */
	fputs("{\"format\":\"kartoteka-export\",\"records\":[", stdout);
	rc = kt_store_each(&cli->st, e.txn, 0, export_one, &e, &cli->err);
	mdb_txn_abort(e.txn);
	fputs("],\"version\":1}\n", stdout);
	if (rc != 0 || fflush(stdout) != 0)
		return kt_cli_failf("export: %s", cli->err.msg[0] ? cli->err.msg : "cannot write");
	return 0;
}

static int read_file(const char *path, char **data, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return kt_cli_failf("import: cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > KT_IMPORT_FILE_BYTES_MAX) {
		close(fd);
		return kt_cli_failf("import: '%s' is not a regular file of at most 1 GiB", path);
	}
	*data = kt_malloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, *data + got, (size_t)sb.st_size - got);

		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	*len = got;
	return 0;
}

/* Fills d from row r (ids parsed, new ones made); the row's strings outlive d. */
static int build_draft(struct kt_draft *d, const struct kt_import_row *r, struct kt_err *err)
{
	struct kt_id id, owner;

	memset(&owner, 0, sizeof(owner));
	if (r->id[0] != '\0') {
		if (kt_id_parse(&id, r->id) != 0)
			return kt_err_set(err, KT_EINVAL, "bad id '%s'", r->id);
	} else {
		kt_id_new(&id, kt_wall_ms());
	}
	if (r->type != KT_T_CLIENT && kt_id_parse(&owner, r->client) != 0)
		return kt_err_set(err, KT_EINVAL, "bad client id '%s'", r->client);
	kt_draft_start(d, r->type, &id, 1, &owner);
	for (uint32_t i = 0; i < r->n; i++)
		if (kt_draft_field(d, r->f[i].name, r->f[i].value,
				   r->f[i].add ? KT_OP_ADD : KT_OP_SET, err) != 0)
			return err->code;
	if (r->type == KT_T_CLIENT && !kt_draft_has(d, "name"))
		return kt_err_set(err, KT_EINVAL, "a client needs a name");
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return kt_id_cmp(a, b);
}

/* The ids of the file's records, sorted, to find duplicates and clients. */
struct idset {
	size_t n;
	struct kt_id *ids;
};

static int idset_has(const struct idset *s, const struct kt_id *id)
{
	return bsearch(id, s->ids, s->n, sizeof(*id), cmp_id) != NULL;
}

struct idrow {
	struct kt_id id;
	size_t row;
};

static int cmp_idrow(const void *a, const void *b)
{
	const struct idrow *x = a, *y = b;
	int c = kt_id_cmp(&x->id, &y->id);

	return c ? c : (x->row < y->row ? -1 : x->row > y->row);
}

/* Marks every record whose id an earlier record of the file already has. */
static void mark_duplicates(struct kt_import *im)
{
	struct idrow *v = kt_calloc(im->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; im->json && i < im->n; i++)
		if (im->rows[i].bad == NULL && kt_id_parse(&v[n].id, im->rows[i].id) == 0)
			v[n++].row = i;
	qsort(v, n, sizeof(*v), cmp_idrow);
	for (size_t i = 1; i < n; i++)
		if (kt_id_cmp(&v[i].id, &v[i - 1].id) == 0 && im->rows[v[i].row].bad == NULL)
			im->rows[v[i].row].bad = kt_strdup("the same id as an earlier record");
	free(v);
}

/* Checks every row against the schema and the store; marks bad rows. */
static void validate(struct kt_cli *cli, struct kt_import *im, struct kt_draft *d)
{
	struct idset clients = { 0, kt_calloc(im->n + 1, sizeof(struct kt_id)) };
	MDB_txn *txn = NULL;
	struct kt_rec rec;

	kt_store_rdtxn(&cli->st, &txn, NULL);
	kt_rec_init(&rec);
	for (size_t i = 0; i < im->n; i++) {
		struct kt_import_row *r = &im->rows[i];
		struct kt_err err;

		if (r->bad == NULL && build_draft(d, r, &err) != 0)
			r->bad = kt_strdup(err.msg);
		if (r->bad == NULL && im->json &&
		    kt_store_load(&cli->st, txn, &d->id, &rec, NULL) == 0)
			r->bad = kt_strdup("this record is already in the store");
		if (r->bad == NULL && r->type == KT_T_CLIENT)
			clients.ids[clients.n++] = d->id;
	}
	qsort(clients.ids, clients.n, sizeof(struct kt_id), cmp_id);
	for (size_t i = 0; i < im->n; i++) {
		struct kt_import_row *r = &im->rows[i];
		struct kt_id owner;

		if (r->bad != NULL || r->type == KT_T_CLIENT || kt_id_parse(&owner, r->client) != 0)
			continue;
		if (!idset_has(&clients, &owner) &&
		    (kt_store_load(&cli->st, txn, &owner, &rec, NULL) != 0 ||
		     rec.type != KT_T_CLIENT))
			r->bad = kt_strdup("its client is neither in the file nor in the store");
	}
	mark_duplicates(im);
	kt_rec_release(&rec);
	mdb_txn_abort(txn);
	free(clients.ids);
}

static size_t report_bad(const struct kt_import *im)
{
	size_t bad = 0;

	for (size_t i = 0; i < im->n; i++) {
		if (im->rows[i].bad == NULL)
			continue;
		if (bad++ < 100)
			fprintf(stderr, "%s %d: %s\n", im->json ? "record" : "line",
				im->rows[i].line, im->rows[i].bad);
	}
	if (bad > 100)
		fprintf(stderr, "... and %zu more bad rows\n", bad - 100);
	return bad;
}

/* Writes the good rows of one type class (cards first, then the rest). */
static int write_rows(struct kt_cli *cli, struct kt_import *im, struct kt_draft *d,
		      int clients, size_t *done, size_t total)
{
	size_t n = 0;
	int tty = isatty(2);

	for (size_t i = 0; i <= im->n; i++) {
		struct kt_import_row *r = i < im->n ? &im->rows[i] : NULL;

		if (r != NULL && (r->bad != NULL || (r->type == KT_T_CLIENT) != clients))
			continue;
		if (r != NULL && build_draft(&d[n], r, &cli->err) != 0)
			return kt_cli_failf("import: line %d: %s", r->line, cli->err.msg);
		if (r != NULL && ++n < KT_BATCH_MAX)
			continue;
		if (n > 0 && kt_store_write(&cli->st, d, n, NULL, &cli->err) != 0)
			return kt_cli_failf("import: %s (%zu records were imported before it)",
					    cli->err.msg, *done);
		*done += n;
		n = 0;
		if (tty && total > KT_BATCH_MAX)
			fprintf(stderr, "\rimported %zu of %zu", *done, total);
	}
	return 0;
}

int cmd_import(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_import im;
	struct kt_draft *d;
	const char *path = NULL;
	char *data = NULL;
	size_t len = 0, bad, done = 0;
	int skip = 0, rc = 1;

	if (kt_cli_help(argc, argv, import_usage))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--skip-bad") == 0)
			skip = 1;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return kt_cli_failf("import: unknown option '%s'", argv[i]);
		else if (path == NULL)
			path = argv[i];
		else
			return kt_cli_failf("import: one file at a time");
	}
	if (path == NULL)
		return kt_cli_failf("import: which file? (import FILE)");
	if (kt_cli_open(cli) || read_file(path, &data, &len))
		return 1;
	if (kt_import_parse(&im, data, len, &cli->err) != 0) {
		free(data);
		return kt_cli_failf("import: %s: %s; nothing imported", path, cli->err.msg);
	}
	free(data);
	d = kt_malloc(sizeof(*d) * KT_BATCH_MAX);
	validate(cli, &im, d);
	bad = report_bad(&im);
	if (bad > 0 && !skip) {
		kt_cli_failf("import: %zu bad row%s in %s; nothing imported (--skip-bad imports "
			     "the good ones)", bad, bad == 1 ? "" : "s", path);
		goto done;
	}
	if (write_rows(cli, &im, d, 1, &done, im.n - bad) != 0 ||
	    write_rows(cli, &im, d, 0, &done, im.n - bad) != 0)
		goto done;
	if (isatty(2) && im.n - bad > KT_BATCH_MAX)
		fputc('\n', stderr);
	fprintf(stderr, "imported %zu records from %s", done, path);
	if (bad > 0)
		fprintf(stderr, ", skipped %zu bad row%s", bad, bad == 1 ? "" : "s");
	fputc('\n', stderr);
	rc = 0;
done:
	free(d);
	kt_import_release(&im);
	return rc;
}
