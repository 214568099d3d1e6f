/*
 * cmd_import_write.c - the import command's writing (cmd_import.h): rows
 * become drafts, KT_BATCH_MAX per kt_store_write() (one durable
 * transaction each), cards first so that a visit's client exists; each
 * batch notes how far the file got (meta "import:<hash>"), so a run that
 * stopped is resumed, and a file imported whole, or changed since a run of
 * it stopped, is refused unless --again.
 */
#include "cmd_import.h"
#include "hlc.h"
#include "when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note_pack(uint8_t b[IMPORT_NOTE_BYTES], uint8_t pass, uint64_t row, uint64_t n,
		      uint64_t finished)
{
	b[0] = pass;
	kt_be64_put(b + 1, row);
	kt_be64_put(b + 9, n);
	kt_be64_put(b + 17, finished);
}

/* Fills draft slot from row r; the row's strings outlive the write. */
static int build_draft(struct importer *x, const struct kt_import_row *r, size_t slot,
		       struct kt_err *err)
{
	struct kt_draft *d = &x->d[slot];
	struct kt_id id, owner;
	int rc;

	memset(&owner, 0, sizeof(owner));
	if (r->id[0] == '\0')
		kt_id_new(&id, kt_wall_ms());
	else if (kt_id_parse(&id, r->id) != 0)
		return kt_err_set(err, KT_EINVAL, "bad id '%s'", r->id);
	if (!kt_schema_self_owned(r->type) && kt_id_parse(&owner, r->client) != 0)
		return kt_err_set(err, KT_EINVAL, "bad client id '%s'", r->client);
	kt_draft_start(d, r->type, &id, 1, &owner);
	for (uint32_t i = 0; i < r->n; i++)
		if ((rc = kt_draft_field(d, r->f[i].name, r->f[i].value,
					 r->f[i].add ? KT_OP_ADD : KT_OP_SET, err)) != 0)
			return rc;
	/* A new card from a spreadsheet belongs here, as with `client add`. */
	if (!x->im.json && r->type == KT_T_CLIENT && x->branch[0] != '\0' &&
	    !kt_draft_has(d, "home_branch") && d->nops < KT_OPS_MAX - 4 &&
	    (rc = kt_draft_field(d, "home_branch", x->branch, KT_OP_SET, err)) != 0)
		return rc;
	/* A visit from a spreadsheet: as `visit add`, this branch and currency unless named. */
	if (!x->im.json && r->type == KT_T_VISIT && x->branch[0] != '\0' &&
	    !kt_draft_has(d, "branch") && d->nops < KT_OPS_MAX - 5 &&
	    (rc = kt_draft_field(d, "branch", x->branch, KT_OP_SET, err)) != 0)
		return rc;
	if (!x->im.json && r->type == KT_T_VISIT && x->currency[0] != '\0' &&
	    !kt_draft_has(d, "currency") && d->nops < KT_OPS_MAX - 5 &&
	    (rc = kt_draft_field(d, "currency", x->currency, KT_OP_SET, err)) != 0)
		return rc;
	if (r->override != NULL &&
	    ((rc = kt_draft_field(d, "override_reason", r->override, KT_OP_SET, err)) != 0 ||
	     (rc = kt_draft_field(d, "override_by", x->by, KT_OP_SET, err)) != 0))
		return rc;
	if (r->merged_into != NULL) {
		struct kt_op *op = &d->ops[d->nops];

		/* The parser capped fields at KT_OPS_MAX - 4: room for this and the extras. */
		kt_assert(d->nops < KT_OPS_MAX - 3);
		if (kt_id_parse(&x->alias[slot], r->merged_into) != 0)
			return kt_err_set(err, KT_EINVAL, "bad merged_into '%s'", r->merged_into);
		memset(op, 0, sizeof(*op));
		op->field = KT_F_ALIAS;
		op->kind = KT_OP_ALIAS;
		op->arg = x->alias[slot].b;
		op->arg_len = KT_ID_BYTES;
		d->nops++;
	}
	return 0;
}

/*
 * Writes drafts 0..n-1 as one durable transaction, with the note that the
 * rows of pass before row `next` are written, and shows progress.
 */
static int flush(struct importer *x, size_t n, uint8_t pass, uint64_t next)
{
	uint8_t note[IMPORT_NOTE_BYTES];

	note_pack(note, pass, next, x->before + x->done + n, 0);
	if (kt_store_write_noting(&x->cli->st, x->d, n, x->note_name, note, sizeof(note), NULL,
				  &x->cli->err) != 0) {
		if (x->shown)
			fputc('\n', stderr);
		return kt_cli_failf("import: %s; %zu of %zu records were imported before it, and "
				    "importing the file again goes on from there", x->cli->err.msg,
				    x->done, x->total);
	}
	x->done += n;
	if (x->tty) {
		fprintf(stderr, "\rimported %zu of %zu", x->done, x->total);
		x->shown = 1;
	}
	return 0;
}

/*
 * Writes the good rows that own themselves (clients = 1: cards, catalogue
 * entries) or the rest (0), which belong to cards written before.
 */
int kt_importer_write(struct importer *x, int clients)
{
	uint8_t pass = clients ? 1 : 2;
	size_t n = 0, i;

	for (i = 0; i < x->im.n; i++) {
		const struct kt_import_row *r = &x->im.rows[i];

		if (r->bad != NULL || kt_schema_self_owned(r->type) != clients ||
		    pass < x->from_pass || (pass == x->from_pass && i < x->from_row))
			continue; /* bad, of the other pass, or written by a run that stopped */
		if (build_draft(x, r, n, &x->cli->err) != 0)
			return kt_cli_failf("import: %s %d: %s", x->im.json ? "record" : "line",
					    r->line, x->cli->err.msg);
		if (++n == KT_BATCH_MAX) {
			if (flush(x, n, pass, i + 1) != 0)
				return 1;
			n = 0;
		}
	}
	return n > 0 ? flush(x, n, pass, i) : 0;
}

/*
 * The file at this path: meta "import-path:<hash of its real path>" names the
 * note of the last import from it.  When that import stopped half way and the
 * file has changed since, importing it now would card again the rows the
 * stopped run wrote: refused unless --again.  Returns 0 to go on, 1 (said).
 */
static int changed_since_stopped(struct importer *x)
{
	char real[4096], name[48], other[48];
	uint8_t h[KT_HASH_BYTES], note[IMPORT_NOTE_BYTES];
	MDB_txn *txn;
	size_t n;
	uint64_t written = 0;
	int stopped = 0;

	if (realpath(x->path, real) == NULL)
		return 0;
	kt_hash(h, real, strlen(real));
	kt_hex(other, h, 16);
	snprintf(name, sizeof(name), "import-path:%.32s", other);
	if (kt_store_rdtxn(&x->cli->st, &txn, NULL) != 0)
		return 0;
	if (kt_meta_text(&x->cli->st, txn, name, other, sizeof(other)) == 0 &&
	    strcmp(other, x->note_name) != 0 &&
	    kt_meta_copy(&x->cli->st, txn, other, note, sizeof(note), &n) == 0 &&
	    n == IMPORT_NOTE_BYTES) {
		stopped = kt_be64_get(note + 17) == 0 ? 1 : 2;
		written = kt_be64_get(note + 9);
	}
	mdb_txn_abort(txn);
	if (stopped == 2)
		return kt_cli_failf("import: '%s' was imported whole before (%llu records) and has "
				    "changed since: importing it again would card its old rows twice; "
				    "import a file of the new rows only, or add --again", x->path,
				    (unsigned long long)written);
	if (stopped)
		return kt_cli_failf("import: an import of '%s' stopped half way (%llu records "
				    "written) and the file has changed since: importing it now would "
				    "card those rows again; import the file as it was to finish, or "
				    "add --again to import this one whole as new records", x->path,
				    (unsigned long long)written);
	/* This import is the path's last: noted before its first batch (best effort). */
	kt_meta_save(&x->cli->st, name, x->note_name, strlen(x->note_name));
	return 0;
}

/*
 * Reads how far an earlier run of this file got.  Returns 0 to go on (from
 * the start, or resuming), or 1 (said) for a file imported whole before
 * without --again.
 */
int kt_importer_resume(struct importer *x)
{
	uint8_t b[IMPORT_NOTE_BYTES];
	uint64_t finished = 0;
	MDB_txn *txn;
	size_t n;

	if (x->total == 0)
		return 0; /* nothing to write: nothing to resume or refuse */
	if (kt_store_rdtxn(&x->cli->st, &txn, &x->cli->err) != 0)
		return kt_cli_fail(x->cli);
	if (kt_meta_copy(&x->cli->st, txn, x->note_name, b, sizeof(b), &n) == 0 &&
	    n == IMPORT_NOTE_BYTES) {
		x->from_pass = b[0];
		x->from_row = kt_be64_get(b + 1);
		x->before = kt_be64_get(b + 9);
		finished = kt_be64_get(b + 17);
	}
	mdb_txn_abort(txn);
	if (finished != 0 && !x->again) {
		char when[64];

		kt_when_text((int64_t)(finished / 1000), when, sizeof(when));
		return kt_cli_failf("import: '%s' was imported whole on %s (%llu records); to "
				    "import it again as new records, add --again", x->path, when,
				    (unsigned long long)x->before);
	}
	if (finished == 0 && x->from_pass == 0 && !x->again && changed_since_stopped(x) != 0)
		return 1;
	if (finished != 0 || x->from_pass == 0) {
		x->from_pass = 0;
		x->from_row = 0;
		x->before = 0;
	} else {
		fprintf(stderr, "resuming '%s': %llu records were written by a run that stopped; "
			"importing the rest\n", x->path, (unsigned long long)x->before);
	}
	return 0;
}

/* Notes the file imported whole (best effort: a failure only leaves it resumable). */
void kt_importer_finished(struct importer *x)
{
	uint8_t note[IMPORT_NOTE_BYTES];

	note_pack(note, 3, 0, x->before + x->done, kt_wall_ms());
	kt_meta_save(&x->cli->st, x->note_name, note, sizeof(note));
}
