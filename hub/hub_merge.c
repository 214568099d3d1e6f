/*
 * hub_merge.c - the merge behind ingest: the log after meta "merged"
 * merged on metadata alone, a slice a transaction (the machine's tick),
 * caught up before anything reads the state, and the digest.
 */
#include "hub_int.h"

/* A log read's result: 0, KT_ENOTFOUND past the end, else the error said in err. */
static int log_read(int rc, struct kt_err *err)
{
	return rc == 0 || rc == KT_ENOTFOUND ? rc : kt_mdb_err(err, rc, "read the log");
}

/*
 * Merges the log after `merged` in txn, up to max changes: *pos is where it
 * stopped.  Returns 0, or an error (a gap in the log stops the merge).
 */
static int merge_log(struct kt_store *st, MDB_txn *txn, uint64_t merged, uint64_t max,
		     uint64_t *pos, uint64_t *done, struct kt_err *err)
{
	struct kt_log_cur cur;
	struct kt_bytes b;
	uint64_t at = 0;
	int rc;

	*pos = merged;
	*done = 0;
	if ((rc = kt_log_open(st, txn, &cur)) != 0)
		return kt_mdb_err(err, rc, "read the log");
	if ((rc = log_read(kt_log_seek(&cur, merged + 1, &at, &b), err)) == 0 && at != merged + 1)
		rc = KT_ENOTFOUND; /* the change after the merge is not there */
	while (rc == 0 && *done < max) {
		if (kt_interrupted) {
			rc = kt_err_set(err, KT_EINTR, "interrupted");
			break;
		}
		if (at != *pos + 1) {
			rc = kt_err_set(err, KT_ECORRUPT, "the log skips from %llu",
					(unsigned long long)*pos);
			break;
		}
		(*pos)++;
		(*done)++;
		/*
		 * The change was checked when it was stored; one damaged since
		 * (it does not decode) is passed over, as nodes are sent it
		 * withheld, and merged when its origin sends it again (repair).
		 */
		if (kt_change_decode(&st->w_change, b.p, b.n, NULL) == 0 &&
		    (rc = kt_store_merge(st, txn, &st->w_change, NULL, 1, err)) != 0)
			break;
		rc = log_read(kt_log_next(&cur, &at, &b), err);
	}
	kt_log_close(&cur);
	if (rc == KT_ENOTFOUND && *pos > merged)
		rc = 0; /* the end of the log */
	else if (rc == KT_ENOTFOUND)
		rc = kt_err_set(err, KT_ECORRUPT, "the log lacks change %llu",
				(unsigned long long)merged + 1);
	return rc;
}

/*
 * The merge behind ingest.  One try: the log after meta "merged", up to
 * max changes, decoded and merged on metadata, and the new position, in
 * one transaction.  A try that met a full map wrote nothing and runs again.
 */
struct merging {
	struct kt_hub *h;
	uint32_t max;
	uint64_t done, left;
};

static int merge_some(void *ctx, struct kt_err *err)
{
	struct merging *mg = ctx;
	struct kt_store *st = &mg->h->st;
	uint64_t merged = 0, pos = 0;
	MDB_txn *txn;
	int rc;

	mg->done = mg->left = 0;
	if ((rc = kt_store_wbegin(st, &txn, err)) != 0)
		return rc;
	if ((rc = kt_meta_u64(st, txn, KT_HUB_META_MERGED, &merged)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the merge position");
	}
	if (merged >= st->w_logpos) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = merge_log(st, txn, merged, mg->max, &pos, &mg->done, err);
	if (rc == 0 && (rc = kt_meta_put_u64(st, txn, KT_HUB_META_MERGED, pos)) != 0)
		rc = kt_mdb_err(err, rc, "save the merge position");
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	mg->left = st->w_logpos - pos;
	return kt_store_wcommit_lazy(st, txn, err); /* undone by a power cut: merged again */
}

int kt_hub_merge(struct kt_hub *h, uint32_t max, uint64_t *left, struct kt_err *err)
{
	struct merging mg = { h, max, 0, 0 };
	int rc = kt_store_retry(&h->st, merge_some, &mg, err);

	if (left != NULL)
		*left = mg.left;
	h->inv.origin = 0; /* a tick: the invariants check the next origin in turn */
	h->inv.applied = 0;
	h->inv.out_n = h->inv.batch_pushes = h->inv.batch_changes = h->inv.push_changes = 0;
	hub_check(h);
	return rc;
}

int kt_hub_catch_up(struct kt_hub *h, struct kt_err *err)
{
	uint64_t left = 1;
	int rc = 0;

	/* Bounded: each round merges KT_HUB_MERGE_SLICE changes or ends the log. */
	while (rc == 0 && left > 0)
		rc = kt_hub_merge(h, KT_HUB_MERGE_SLICE, &left, err);
	return rc;
}

uint64_t kt_hub_merge_lag(struct kt_hub *h, MDB_txn *txn)
{
	uint64_t head = kt_log_last(&h->st, txn), merged = 0;

	kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged);
	return head > merged ? head - merged : 0;
}

int kt_hub_digest(struct kt_hub *h, uint8_t out[KT_HASH_BYTES], struct kt_err *err)
{
	uint64_t merged = 0, pos, done;
	MDB_txn *txn;
	int rc = kt_hub_catch_up(h, err);

	if (rc != KT_ENOSPC)
		return rc != 0 ? rc : kt_store_digest(&h->st, out, err);
	/*
	 * A full disk: the merge is made in a transaction that is never
	 * committed, and the digest read inside it, so the digest is the same
	 * and nothing is written.
	 */
	if ((rc = kt_store_wbegin(&h->st, &txn, err)) != 0)
		return rc;
	if ((rc = kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged)) != 0)
		rc = kt_mdb_err(err, rc, "read the merge position");
	else if (merged < h->st.w_logpos)
		rc = merge_log(&h->st, txn, merged, UINT64_MAX, &pos, &done, err);
	if (rc == 0)
		rc = kt_store_digest_in(&h->st, txn, out, err);
	mdb_txn_abort(txn);
	h->st.w_voided = 0;
	return rc;
}
