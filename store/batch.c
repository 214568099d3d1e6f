/*
 * store/batch.c - a pulled batch ingested on two threads.
 *
 * The writer (the caller, which holds the write transaction) applies the
 * changes in order; a helper thread makes them ready ahead of it: decodes
 * each header, hashes it, unwraps its owner's key and opens its payload
 * (kt_ready_make), a third of what a new card costs.  The helper reads the
 * store through a read transaction of its own, so a key written earlier in
 * this batch is not seen there and the writer opens that change itself;
 * nothing the helper does decides anything, so the result is the one ingest,
 * change by change, would give, whatever the timing of the two threads.
 *
 * Changes are claimed in order from one counter, by the helper or, when it
 * has not come to the next one yet (it shares its core with the hub, and a
 * thread waits milliseconds for a core here), by the writer itself, so the
 * writer never waits on a helper that is not running.  The ring holds
 * KT_RING changes; once it is full the helper brings in the file's next
 * pages (prefault()), then sleeps until half of the ring is free.
 */
#include "store_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define KT_RING 256
/*
 * How many bytes of new pages a batch needs past the end of the file is
 * learnt from the batch before: file growth per byte of change, in 16ths
 * (a new card of one name, 280 B, grows the file by ~900 B: ~3.2), taken a
 * quarter higher; the helper keeps KT_PREFAULT_AHEAD more in.
 */
#define KT_PREFAULT_RATIO_FIRST (4 * 16)
#define KT_PREFAULT_RATIO_MIN 8
#define KT_PREFAULT_RATIO_MAX (32 * 16)
#define KT_PREFAULT_AHEAD (256u << 10)
#define KT_PREFAULT_STEP (64u << 10)

struct ring {
	struct kt_store *st;
	const struct kt_bytes *ch;
	uint32_t n;
	struct kt_ready *slot;
	pthread_mutex_t mu;   /* guards what follows */
	pthread_cond_t helper_cv, writer_cv;
	uint32_t claimed;     /* changes taken, by either thread, in order */
	uint32_t made[KT_RING]; /* 1 + the index of the change ready in a slot */
	uint32_t used;        /* changes ingested */
	int stop;             /* the writer has stopped: the helper ends */
	int helper_waits, writer_waits;
	int fd;               /* the data file; -1: no prefaulting */
	uint64_t pf_target;   /* the file's bytes this batch will need, and some */
};

/*
 * Brings KT_PREFAULT_STEP bytes of the file at off into the page cache before
 * the commit writes them.  A page the kernel hands out for the first time costs
 * far more than a copy into one it has had (on the virtual machines we
 * measure on, 240-800 MB/s against 2.8 GB/s; LIMITS.md: "first writes to new
 * blocks are slow"), and a new node's first pull writes a gigabyte of new
 * pages: here that cost moves off the writer, onto the helper's core.
 * fallocate() extends the file (it never shrinks one) with zeroed blocks
 * past LMDB's last page, which no transaction holds, and reading them in
 * changes nothing; LMDB writes over them at commit, after the helper ended.
 */
static int prefault(int fd, uint64_t off)
{
	uint8_t buf[KT_PREFAULT_STEP];

	if (fallocate(fd, 0, (off_t)off, KT_PREFAULT_STEP) != 0 ||
	    pread(fd, buf, KT_PREFAULT_STEP, (off_t)off) != KT_PREFAULT_STEP)
		return -1; /* not on this file system: the writer pays as before */
	return 0;
}

/* Before the helper starts: where the file ends, and the growth of the last batch. */
static void prefault_start(struct ring *r)
{
	struct kt_store *st = r->st;
	MDB_envinfo info;
	MDB_stat stat;
	mdb_filehandle_t fd;
	uint64_t end, bytes = 0, ratio;

	r->fd = -1;
	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0 ||
	    mdb_env_get_fd(st->env, &fd) != 0)
		return;
	r->fd = fd;
	end = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
	ratio = KT_PREFAULT_RATIO_FIRST;
	if (st->pf_bytes > 0 && end > st->pf_base) {
		ratio = (end - st->pf_base) * 16 / st->pf_bytes;
		ratio = ratio < KT_PREFAULT_RATIO_MIN ? KT_PREFAULT_RATIO_MIN :
			ratio > KT_PREFAULT_RATIO_MAX ? KT_PREFAULT_RATIO_MAX : ratio;
	}
	for (uint32_t i = 0; i < r->n; i++)
		bytes += r->ch[i].n;
	r->pf_target = end + bytes * ratio * 5 / 4 / 16 + KT_PREFAULT_AHEAD;
	st->pf_base = end;
	st->pf_bytes = bytes;
	if (st->pf_done < end)
		st->pf_done = end;
}

static void *helper(void *arg)
{
	struct ring *r = arg;
	MDB_txn *rtxn = NULL;

	/* A reader of the state before this batch; without one, keys come from KEY ops only. */
	if (mdb_txn_begin(r->st->env, NULL, MDB_RDONLY, &rtxn) != 0)
		rtxn = NULL;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		uint32_t i = r->claimed;

		if (i < r->n && i - r->used < KT_RING) {
			r->claimed++;
			pthread_mutex_unlock(&r->mu);
			kt_ready_make(r->st, rtxn, 1, &r->slot[i % KT_RING], r->ch[i].p, r->ch[i].n);
			pthread_mutex_lock(&r->mu);
			r->made[i % KT_RING] = i + 1;
			if (r->writer_waits)
				pthread_cond_signal(&r->writer_cv);
		} else if (r->fd >= 0 && r->st->pf_done < r->pf_target) {
			uint64_t off = r->st->pf_done;
			int fd = r->fd;

			pthread_mutex_unlock(&r->mu);
			fd = prefault(fd, off) == 0 ? fd : -1;
			pthread_mutex_lock(&r->mu);
			r->fd = fd;
			if (fd >= 0)
				r->st->pf_done = off + KT_PREFAULT_STEP;
			if (r->writer_waits)
				pthread_cond_signal(&r->writer_cv);
		} else if (i < r->n) {
			r->helper_waits = 1; /* the ring is full: until half of it is free */
			pthread_cond_wait(&r->helper_cv, &r->mu);
			r->helper_waits = 0;
		} else {
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
	kt_change_thread_done();
	return NULL;
}

static int sequential(struct kt_store *st, MDB_txn *txn, const struct kt_bytes *ch,
		      uint32_t n, struct kt_err *err)
{
	int rc = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = kt_store_ingest(st, txn, ch[i].p, ch[i].n, err);
	return rc;
}

void kt_store_ring_release(struct kt_store *st)
{
	if (st->w_ring == NULL)
		return;
	for (int i = 0; i < KT_RING; i++)
		kt_ready_release(&st->w_ring[i]);
	free(st->w_ring);
	st->w_ring = NULL;
}

int kt_store_ingest_batch(struct kt_store *st, MDB_txn *txn, const struct kt_bytes *ch,
			  uint32_t n, struct kt_err *err)
{
	struct ring r = { .st = st, .ch = ch, .n = n };
	pthread_t th;
	int rc = 0, started;

	if (n < KT_BATCH_THREADED)
		return sequential(st, txn, ch, n, err);
	if (st->w_ring == NULL) /* kept: its plaintext buffers are sized once */
		st->w_ring = kt_calloc(KT_RING, sizeof(*st->w_ring));
	r.slot = st->w_ring;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.helper_cv, NULL);
	pthread_cond_init(&r.writer_cv, NULL);
	prefault_start(&r);
	/* Without a helper the writer claims every change. */
	started = pthread_create(&th, NULL, helper, &r) == 0;
	pthread_mutex_lock(&r.mu);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct kt_ready *s = &r.slot[i % KT_RING];
		int mine = 0;

		while (r.made[i % KT_RING] != i + 1) {
			/* The helper is behind (or never started): this one is ours. */
			if (r.claimed == i && (!started || !st->batch_test)) {
				r.claimed++;
				pthread_mutex_unlock(&r.mu);
				kt_ready_make(st, txn, 1, s, ch[i].p, ch[i].n);
				pthread_mutex_lock(&r.mu);
				r.made[i % KT_RING] = i + 1;
				mine = 1;
				break;
			}
			r.writer_waits = 1;
			pthread_cond_wait(&r.writer_cv, &r.mu);
			r.writer_waits = 0;
		}
		pthread_mutex_unlock(&r.mu);
		if (!mine && s->state == KT_READY_OPENED)
			st->ready_opened++;
		rc = kt_ready_ingest(st, txn, s, err);
		pthread_mutex_lock(&r.mu);
		r.used = i + 1;
		if (r.helper_waits && r.claimed - r.used <= KT_RING / 2)
			pthread_cond_signal(&r.helper_cv);
	}
	if (st->batch_test && started && rc == 0)
		while (r.fd >= 0 && st->pf_done < r.pf_target) {
			r.writer_waits = 1; /* the helper signals each step */
			pthread_cond_wait(&r.writer_cv, &r.mu);
			r.writer_waits = 0;
		}
	r.stop = 1;
	pthread_cond_signal(&r.helper_cv);
	pthread_mutex_unlock(&r.mu);
	if (started)
		pthread_join(th, NULL);
	/* Made ready and never ingested (the batch stopped early): wiped now. */
	for (int k = 0; k < KT_RING; k++) {
		struct kt_ready *s = &r.slot[k];

		if (r.made[k] > r.used && s->state == KT_READY_OPENED) {
			sodium_memzero(s->plain, s->c.payload_len);
			kt_hints_clear(s->hints, &s->nhints);
		}
	}
	pthread_cond_destroy(&r.helper_cv);
	pthread_cond_destroy(&r.writer_cv);
	pthread_mutex_destroy(&r.mu);
	return rc;
}
