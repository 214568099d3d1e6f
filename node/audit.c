/*
 * audit.c - the audit of reads (cli.h: kt_cli_audit and the flush;
 * docs/PRIVACY.md).  A command notes each card it shows; the notes are
 * grouped into events (one command's reads of one kind and parts), and an
 * event becomes audit records of at most AUDIT_CARDS cards each, all
 * written in one transaction when the command ends: reads cost no commit
 * of their own, and `make bench` (bench_audit) says what a read adds.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Cards one audit record names: a change holds KT_OPS_MAX ops, 7 of them its fields. */
#define AUDIT_CARDS 240

struct audit_ev {
	char what[24];
	int parts, all;
	char *reason;
	char parts_text[96];
	size_t n, cap;
	char (*ids)[KT_ID_TEXT_BYTES];
};

struct kt_audit_q {
	size_t n, cap;
	struct audit_ev *ev;
};

static struct audit_ev *event(struct kt_cli *cli, const char *what, int parts, int all,
			      const char *reason)
{
	struct kt_audit_q *q = cli->audit;
	struct audit_ev *e;

	if (q == NULL)
		q = cli->audit = kt_calloc(1, sizeof(*q));
	for (size_t i = 0; i < q->n; i++) {
		e = &q->ev[i];
		if ((reason == NULL) == (e->reason == NULL) &&
		    (reason == NULL || strcmp(reason, e->reason) == 0) && e->parts == parts &&
		    e->all == all && strcmp(e->what, what) == 0)
			return e;
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 4;
		q->ev = kt_realloc(q->ev, q->cap * sizeof(*q->ev));
	}
	e = &q->ev[q->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->what, sizeof(e->what), "%s", what);
	e->parts = parts;
	e->all = all;
	e->reason = reason != NULL ? kt_strdup(reason) : NULL;
	kt_schema_parts_text(parts, e->parts_text, sizeof(e->parts_text));
	return e;
}

static void add_card(struct audit_ev *e, const struct kt_id *card)
{
	char idt[KT_ID_TEXT_BYTES];

	kt_id_format(card, idt);
	if (e->n > 0 && strcmp(e->ids[e->n - 1], idt) == 0)
		return; /* the same card again, at once: one read */
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->ids = kt_realloc(e->ids, e->cap * sizeof(*e->ids));
	}
	memcpy(e->ids[e->n++], idt, KT_ID_TEXT_BYTES);
}

void kt_cli_audit_reason(struct kt_cli *cli, const char *what, int parts,
			 const struct kt_id *card, const char *reason)
{
	add_card(event(cli, what, parts, 0, reason), card);
}

void kt_cli_audit(struct kt_cli *cli, const char *what, int parts, const struct kt_id *card)
{
	kt_cli_audit_reason(cli, what, parts, card, NULL);
}

void kt_cli_audit_all(struct kt_cli *cli, const char *what, int parts, const char *reason)
{
	struct kt_id every;

	/* It names the zero id, so `audit --client ID` finds it in her range's neighbour. */
	memset(&every, 0, sizeof(every));
	add_card(event(cli, what, parts, 1, reason), &every);
}

static void q_free(struct kt_cli *cli)
{
	struct kt_audit_q *q = cli->audit;

	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++) {
		free(q->ev[i].ids);
		free(q->ev[i].reason);
	}
	free(q->ev);
	free(q);
	cli->audit = NULL;
}

/* The drafts of event e from its card `from` on (at most AUDIT_CARDS); 0 or -1 (err). */
static int draft(struct kt_cli *cli, struct audit_ev *e, size_t from, struct kt_draft *d,
		 const char *branch)
{
	struct kt_id id;
	size_t to = from + AUDIT_CARDS < e->n ? from + AUDIT_CARDS : e->n;
	struct kt_err *err = &cli->err;
	const struct kt_field *cards = kt_schema_field_named(KT_T_AUDIT, "clients");

	kt_id_new(&id, kt_store_now(&cli->st));
	kt_draft_start(d, KT_T_AUDIT, &id, 1, &cli->me.id);
	if (kt_draft_field(d, "what", e->what, KT_OP_SET, err) ||
	    (e->parts_text[0] && kt_draft_field(d, "parts", e->parts_text, KT_OP_SET, err)) ||
	    (branch[0] && kt_draft_field(d, "branch", branch, KT_OP_SET, err)) ||
	    kt_draft_field(d, "staff", cli->me.name, KT_OP_SET, err) ||
	    (e->all && kt_draft_field(d, "all", "yes", KT_OP_SET, err)) ||
	    (e->reason && kt_draft_field(d, "reason", e->reason, KT_OP_SET, err)))
		return -1;
	/*
	 * The cards as ADD ops made here, not by kt_draft_field: each id is
	 * canonical text already (kt_id_format), and the draft's check of a list
	 * entry against every other one would make a record of 240 cards cost
	 * 240 x 240 folds.
	 */
	for (size_t i = from; i < to; i++) {
		kt_assert(d->nops < KT_OPS_MAX);
		d->ops[d->nops] = (struct kt_op){ .field = cards->num, .kind = KT_OP_ADD };
		d->vals[d->nops++] = (struct kt_val){ .t = KT_V_STR, .s = e->ids[i],
						      .n = KT_ID_TEXT_BYTES - 1 };
	}
	return 0;
}

int kt_cli_audit_write(struct kt_cli *cli, const struct kt_draft *first, size_t nfirst)
{
	struct kt_audit_q *q = cli->audit;
	struct kt_draft *d = NULL;
	static char branch[KT_BRANCH_BYTES_MAX + 1];
	size_t nd = nfirst, cap = nfirst + 4;
	int rc = 0;

	if ((q == NULL || q->n == 0) && nfirst == 0)
		return q_free(cli), 0;
	kt_assert(cli->acting && cli->open);
	kt_cli_branch(cli, branch, sizeof(branch));
	d = kt_calloc(cap, sizeof(*d));
	if (nfirst > 0)
		memcpy(d, first, nfirst * sizeof(*d));
	for (size_t i = 0; q != NULL && i < q->n && rc == 0; i++) {
		struct audit_ev *e = &q->ev[i];

		for (size_t from = 0; rc == 0 && (from == 0 || from < e->n); from += AUDIT_CARDS) {
			if (nd == cap) {
				cap *= 2;
				d = kt_realloc(d, cap * sizeof(*d));
			}
			rc = draft(cli, e, from, &d[nd++], branch);
		}
	}
	if (rc == 0 && kt_store_write(&cli->st, d, nd, NULL, &cli->err) != 0)
		rc = -1;
	free(d);
	q_free(cli);
	if (rc == 0)
		return 0;
	return nfirst ? kt_cli_fail(cli)
		      : kt_cli_failf("cannot write the audit of this read: %s", cli->err.msg);
}

int kt_cli_audit_flush(struct kt_cli *cli)
{
	return kt_cli_audit_write(cli, NULL, 0);
}
