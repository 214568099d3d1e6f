/*
 * hub_check.c - the machine's invariants (kt_hub_invariants, hub.h): what
 * must hold after every message and every tick, checked cheaply from what
 * the machine remembers between calls (struct kt_hub's inv, and its table
 * of origins in h->w).
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The table's entry for origin, made when add is set and there is room; NULL: none. */
static struct kt_hub_seen *seen_of(struct kt_hub *h, uint64_t origin, int add)
{
	struct kt_hub_seen *s = h->w->seen;

	for (uint32_t i = 0; i < h->inv.nseen; i++)
		if (s[i].origin == origin)
			return &s[i];
	if (!add || origin == 0 || h->inv.nseen == KT_HUB_SEEN_MAX)
		return NULL;
	s[h->inv.nseen] = (struct kt_hub_seen){ origin, 0, 0 };
	return &s[h->inv.nseen++];
}

void hub_seen_origin(struct kt_hub *h, uint64_t origin)
{
	h->inv.origin = origin;
}

void hub_seen_pulled(struct kt_hub *h, uint64_t origin, uint64_t pulled)
{
	struct kt_hub_seen *s = seen_of(h, origin, 1);

	if (s != NULL && pulled < s->pulled)
		s->pulled = pulled; /* the node says it stands lower (restored from a backup) */
}

void hub_seen_applied(struct kt_hub *h, uint64_t origin, uint64_t seq,
		      const uint8_t hash[KT_HASH_BYTES])
{
	h->inv.applied = 1;
	h->inv.applied_origin = origin;
	h->inv.applied_seq = seq;
	memcpy(h->inv.applied_hash, hash, KT_HASH_BYTES);
}

/* Origin s's chain head and pulled cursor, against what was last seen of them. */
static int origin_holds(struct kt_hub *h, MDB_txn *txn, struct kt_hub_seen *s, char *why,
			size_t cap)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t head = 0, pos, pulled = kt_hub_pulled(h, txn, s->origin);

	kt_store_origin_head(&h->st, txn, s->origin, &head, hash, &pos);
	if (head < s->head) {
		snprintf(why, cap, "origin %016llx's chain head moved back from %llu to %llu",
			 (unsigned long long)s->origin, (unsigned long long)s->head,
			 (unsigned long long)head);
		return -1;
	}
	if (pulled < s->pulled) {
		snprintf(why, cap, "origin %016llx's pulled cursor moved back from %llu to %llu",
			 (unsigned long long)s->origin, (unsigned long long)s->pulled,
			 (unsigned long long)pulled);
		return -1;
	}
	s->head = head;
	s->pulled = pulled;
	return 0;
}

/* The counts of the last message, within the limits the wire allows. */
static int counts_hold(const struct kt_hub *h, char *why, size_t cap)
{
	if (h->inv.out_n > KT_HUB_OUT_MAX)
		snprintf(why, cap, "a message made the hub say %u messages, over %d",
			 h->inv.out_n, KT_HUB_OUT_MAX);
	else if (h->inv.batch_pushes > KT_BATCH_PUSHES_MAX)
		snprintf(why, cap, "a batch of %u pushes, over %d", h->inv.batch_pushes,
			 KT_BATCH_PUSHES_MAX);
	else if (h->inv.batch_changes > KT_BATCH_CHANGES_MAX)
		snprintf(why, cap, "a batch of %u changes, over %d", h->inv.batch_changes,
			 KT_BATCH_CHANGES_MAX);
	else if (h->inv.push_changes > KT_PUSH_CHANGES_MAX)
		snprintf(why, cap, "a push of %u changes, over %d", h->inv.push_changes,
			 KT_PUSH_CHANGES_MAX);
	else
		return 0;
	return -1;
}

/* The log's end and the merge's position, and the push just stored. */
static int store_holds(struct kt_hub *h, MDB_txn *txn, uint64_t head, char *why, size_t cap)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t merged = 0;

	kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged);
	if (head < h->inv.head) {
		snprintf(why, cap, "the log's last position moved back from %llu to %llu",
			 (unsigned long long)h->inv.head, (unsigned long long)head);
		return -1;
	}
	if (merged > head) {
		snprintf(why, cap, "the merge stands at %llu, past the log's end at %llu",
			 (unsigned long long)merged, (unsigned long long)head);
		return -1;
	}
	if (h->inv.applied &&
	    (kt_chain_get(&h->st, txn, h->inv.applied_origin, h->inv.applied_seq, hash, NULL) != 0 ||
	     memcmp(hash, h->inv.applied_hash, KT_HASH_BYTES) != 0)) {
		snprintf(why, cap, "after a push of origin %016llx, the chain's entry for its change "
			 "%llu is not that change's hash", (unsigned long long)h->inv.applied_origin,
			 (unsigned long long)h->inv.applied_seq);
		return -1;
	}
	return 0;
}

int kt_hub_invariants(struct kt_hub *h, char *why, size_t cap)
{
	struct kt_hub_seen *s = NULL;
	MDB_txn *txn;
	uint64_t head;
	int rc;

	why[0] = '\0';
	if (counts_hold(h, why, cap) != 0)
		return -1;
	if (h->w == NULL || kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0; /* nothing to check against: not a violation */
	head = kt_log_last(&h->st, txn);
	rc = store_holds(h, txn, head, why, cap);
	if (h->inv.origin != 0)
		s = seen_of(h, h->inv.origin, 1);
	else if (h->inv.nseen > 0)
		s = &h->w->seen[h->inv.turn++ % h->inv.nseen]; /* a tick: one origin in turn */
	if (rc == 0 && s != NULL)
		rc = origin_holds(h, txn, s, why, cap);
	mdb_txn_abort(txn);
	if (rc == 0)
		h->inv.head = head;
	return rc;
}

void hub_check(struct kt_hub *h)
{
	char why[256], when[32];
	time_t t;

	if (kt_hub_invariants(h, why, sizeof(why)) == 0)
		return;
	/* A bug: one line in the hub's log form, and never a write more. */
	t = time(NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(stderr, "%s fatal invariant broken: %s\n", when, why);
	fflush(stderr);
	abort();
}
