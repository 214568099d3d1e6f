/* msg.c - encode and decode the sync messages (layout in msg.h). */
#include "msg.h"
#include "mp.h"
#include "id.h"

#include <string.h>

static void start(msgpack_sbuffer *out, msgpack_packer *pk, uint8_t type, uint32_t n)
{
	msgpack_sbuffer_clear(out);
	msgpack_packer_init(pk, out, msgpack_sbuffer_write);
	msgpack_pack_array(pk, n);
	msgpack_pack_uint8(pk, type);
}

void kt_msg_hello(msgpack_sbuffer *out, uint64_t origin, const uint8_t key[KT_PUBKEY_BYTES],
		  const uint8_t check[KT_CHAIN_CHECK_BYTES])
{
	msgpack_packer pk;

	start(out, &pk, KT_MSG_HELLO, 5);
	msgpack_pack_uint8(&pk, KT_PROTO_VERSION);
	msgpack_pack_uint64(&pk, origin);
	msgpack_pack_bin_with_body(&pk, key, KT_PUBKEY_BYTES);
	msgpack_pack_bin_with_body(&pk, check, KT_CHAIN_CHECK_BYTES);
}

static void three(msgpack_sbuffer *out, uint8_t type, uint64_t a, uint64_t b, uint64_t c,
		  int n)
{
	msgpack_packer pk;

	start(out, &pk, type, (uint32_t)n + 1);
	msgpack_pack_uint64(&pk, a);
	if (n > 1)
		msgpack_pack_uint64(&pk, b);
	if (n > 2)
		msgpack_pack_uint64(&pk, c);
}

void kt_msg_welcome(msgpack_sbuffer *out, uint64_t now_ms, uint64_t acked, uint64_t head,
		    const uint8_t hash[KT_HASH_BYTES])
{
	msgpack_packer pk;

	start(out, &pk, KT_MSG_WELCOME, 5);
	msgpack_pack_uint64(&pk, now_ms);
	msgpack_pack_uint64(&pk, acked);
	msgpack_pack_uint64(&pk, head);
	msgpack_pack_bin_with_body(&pk, hash, acked ? KT_HASH_BYTES : 0);
}

void kt_msg_ack(msgpack_sbuffer *out, uint64_t origin, uint64_t acked)
{
	three(out, KT_MSG_ACK, origin, acked, 0, 2);
}

void kt_msg_pull(msgpack_sbuffer *out, uint64_t after, uint64_t credit, uint64_t own)
{
	three(out, KT_MSG_PULL, after, credit, own, 3);
}

void kt_msg_notify(msgpack_sbuffer *out, uint64_t head)
{
	three(out, KT_MSG_NOTIFY, head, 0, 0, 1);
}

void kt_msg_refetch(msgpack_sbuffer *out, uint64_t origin, uint64_t first, uint64_t last)
{
	three(out, KT_MSG_REFETCH, origin, first, last, 3);
}

void kt_msg_void(msgpack_sbuffer *out, uint64_t origin, uint64_t first, uint64_t last,
		 int reason)
{
	msgpack_packer pk;

	start(out, &pk, KT_MSG_VOID, 5);
	msgpack_pack_uint64(&pk, origin);
	msgpack_pack_uint64(&pk, first);
	msgpack_pack_uint64(&pk, last);
	msgpack_pack_uint64(&pk, (uint64_t)reason);
}

void kt_msg_refuse(msgpack_sbuffer *out, int code, uint64_t expected, const char *reason)
{
	msgpack_packer pk;
	size_t n = strlen(reason);

	if (n > KT_REASON_BYTES_MAX)
		n = KT_REASON_BYTES_MAX;
	start(out, &pk, KT_MSG_REFUSE, 4);
	msgpack_pack_uint64(&pk, (uint64_t)code);
	msgpack_pack_uint64(&pk, expected);
	msgpack_pack_str_with_body(&pk, reason, n);
}

static void pack_changes(msgpack_packer *pk, const struct kt_msg_push *p)
{
	msgpack_pack_array(pk, p->nchanges);
	for (uint32_t i = 0; i < p->nchanges; i++)
		msgpack_pack_bin_with_body(pk, p->changes[i].p, p->changes[i].n);
}

void kt_msg_push(msgpack_sbuffer *out, const struct kt_msg_push *p)
{
	msgpack_packer pk;

	start(out, &pk, KT_MSG_PUSH, 5);
	msgpack_pack_uint64(&pk, p->origin);
	msgpack_pack_uint64(&pk, p->first_seq);
	pack_changes(&pk, p);
	msgpack_pack_bin_with_body(&pk, p->sig, KT_SIG_BYTES);
}

void kt_msg_batch(msgpack_sbuffer *out, uint64_t first, uint64_t last, uint64_t head,
		  const struct kt_msg_push *pushes, uint32_t n, int more)
{
	msgpack_packer pk;

	start(out, &pk, KT_MSG_BATCH, 6);
	msgpack_pack_uint64(&pk, first);
	msgpack_pack_uint64(&pk, last);
	msgpack_pack_uint64(&pk, head);
	msgpack_pack_array(&pk, n);
	for (uint32_t i = 0; i < n; i++) {
		static const uint8_t none[KT_PUBKEY_BYTES];

		const struct kt_msg_push *p = &pushes[i];

		msgpack_pack_array(&pk, p->withheld_hash != NULL ? 6 : 5);
		msgpack_pack_uint64(&pk, p->origin);
		msgpack_pack_bin_with_body(&pk, p->sig, KT_SIG_BYTES);
		msgpack_pack_bin_with_body(&pk, p->key ? p->key : none, KT_PUBKEY_BYTES);
		if (p->withheld_hash != NULL)
			msgpack_pack_array(&pk, 0);
		else
			pack_changes(&pk, p);
		msgpack_pack_str_with_body(&pk, p->branch ? p->branch : "",
					   p->branch ? p->branch_len : 0);
		if (p->withheld_hash != NULL) {
			msgpack_pack_array(&pk, 4);
			msgpack_pack_uint64(&pk, p->withheld_first);
			msgpack_pack_uint64(&pk, p->withheld_last);
			msgpack_pack_bin_with_body(&pk, p->withheld_hash, KT_HASH_BYTES);
			msgpack_pack_uint64(&pk, p->withheld_at);
		}
	}
	msgpack_pack_uint64(&pk, more ? 1 : 0);
}

void kt_msg_sig_input(uint8_t out[KT_SIG_INPUT_BYTES], uint64_t origin, uint64_t seq,
		      const uint8_t hash[KT_HASH_BYTES])
{
	memcpy(out, "kt-push", 8);
	kt_be64_put(out + 8, origin);
	kt_be64_put(out + 16, seq);
	memcpy(out + 24, hash, KT_HASH_BYTES);
}

static int u64_at(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int bin_at(const msgpack_object *o, uint32_t want, const uint8_t **p, uint32_t *n)
{
	if (o->type != MSGPACK_OBJECT_BIN || (want && o->via.bin.size != want))
		return -1;
	*p = (const uint8_t *)o->via.bin.ptr;
	if (n != NULL)
		*n = o->via.bin.size;
	return 0;
}

/* Reads an array of change bins into m's storage for push p. */
static int read_changes(struct kt_msg *m, struct kt_msg_push *p, const msgpack_object *o,
			struct kt_err *err)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 ||
	    o->via.array.size > KT_PUSH_CHANGES_MAX ||
	    m->nchanges + o->via.array.size > sizeof(m->changes) / sizeof(m->changes[0]))
		return kt_err_set(err, KT_ECORRUPT, "bad list of changes");
	p->changes = &m->changes[m->nchanges];
	p->nchanges = o->via.array.size;
	for (uint32_t i = 0; i < p->nchanges; i++) {
		struct kt_bytes *b = &m->changes[m->nchanges++];

		if (bin_at(&o->via.array.ptr[i], 0, &b->p, &b->n) != 0 || b->n == 0 ||
		    b->n > KT_CHANGE_BYTES_MAX)
			return kt_err_set(err, KT_ECORRUPT, "a change is not bytes of a sane size");
	}
	return 0;
}

static int decode_batch(struct kt_msg *m, const msgpack_object *a, struct kt_err *err)
{
	const msgpack_object *l = &a[4];
	uint64_t withheld = 0;

	if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->last) || u64_at(&a[3], &m->b) ||
	    m->a == 0 || m->last + 1 < m->a || l->type != MSGPACK_OBJECT_ARRAY ||
	    l->via.array.size > KT_BATCH_PUSHES_MAX || u64_at(&a[5], &m->c) || m->c > 1)
		return kt_err_set(err, KT_ECORRUPT, "bad batch");
	m->npushes = l->via.array.size;
	for (uint32_t i = 0; i < m->npushes; i++) {
		const msgpack_object *e = &l->via.array.ptr[i];
		struct kt_msg_push *p = &m->pushes[i];
		int rc;

		if (e->type != MSGPACK_OBJECT_ARRAY ||
		    (e->via.array.size != 5 && e->via.array.size != 6) ||
		    u64_at(&e->via.array.ptr[0], &p->origin) ||
		    bin_at(&e->via.array.ptr[1], KT_SIG_BYTES, &p->sig, NULL) ||
		    bin_at(&e->via.array.ptr[2], KT_PUBKEY_BYTES, &p->key, NULL) ||
		    e->via.array.ptr[4].type != MSGPACK_OBJECT_STR ||
		    e->via.array.ptr[4].via.str.size > KT_BRANCH_BYTES_MAX)
			return kt_err_set(err, KT_ECORRUPT, "bad push in a batch");
		p->branch = e->via.array.ptr[4].via.str.size > 0 ?
			    e->via.array.ptr[4].via.str.ptr : NULL;
		p->branch_len = e->via.array.ptr[4].via.str.size;
		p->withheld_hash = NULL;
		p->withheld_first = p->withheld_last = p->withheld_at = 0;
		if (e->via.array.size == 6) {
			const msgpack_object *w = &e->via.array.ptr[5];

			/* Withheld: no changes, the origin seqs and the signed hash. */
			if (e->via.array.ptr[3].type != MSGPACK_OBJECT_ARRAY ||
			    e->via.array.ptr[3].via.array.size != 0 ||
			    w->type != MSGPACK_OBJECT_ARRAY || w->via.array.size != 4 ||
			    u64_at(&w->via.array.ptr[0], &p->withheld_first) ||
			    u64_at(&w->via.array.ptr[1], &p->withheld_last) ||
			    bin_at(&w->via.array.ptr[2], KT_HASH_BYTES, &p->withheld_hash, NULL) ||
			    u64_at(&w->via.array.ptr[3], &p->withheld_at) || p->withheld_at == 0 ||
			    p->withheld_at > UINT64_MAX - KT_PUSH_CHANGES_MAX ||
			    p->withheld_first == 0 || p->withheld_last < p->withheld_first ||
			    p->withheld_last - p->withheld_first >= KT_PUSH_CHANGES_MAX)
				return kt_err_set(err, KT_ECORRUPT, "bad withheld push in a batch");
			p->changes = &m->changes[m->nchanges];
			p->nchanges = 0;
			withheld += p->withheld_last - p->withheld_first + 1;
			continue;
		}
		if ((rc = read_changes(m, p, &e->via.array.ptr[3], err)) != 0)
			return rc;
	}
	if (m->nchanges + withheld > m->last + 1 - m->a)
		return kt_err_set(err, KT_ECORRUPT, "a batch holds more changes than the seqs it covers");
	return 0;
}

/* The expected array size of each type (0: not a type). */
static const uint8_t sizes[11] = { 0, 5, 5, 5, 3, 4, 4, 6, 2, 5, 4 };

static int decode_body(struct kt_msg *m, const msgpack_object *a, uint32_t size,
		       struct kt_err *err)
{
	struct kt_msg_push *p = &m->pushes[0];
	uint32_t n;

	switch (m->type) {
	case KT_MSG_HELLO:
		if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->b) ||
		    bin_at(&a[3], KT_PUBKEY_BYTES, &m->key, NULL) ||
		    (size == 5) != (m->a >= 3) ||
		    (size == 5 && bin_at(&a[4], KT_CHAIN_CHECK_BYTES, &m->check, NULL)))
			return kt_err_set(err, KT_ECORRUPT, "bad hello");
		return 0;
	case KT_MSG_PUSH:
		p->key = NULL;
		if (u64_at(&a[1], &p->origin) || u64_at(&a[2], &p->first_seq) ||
		    p->first_seq == 0 || bin_at(&a[4], KT_SIG_BYTES, &p->sig, NULL))
			return kt_err_set(err, KT_ECORRUPT, "bad push");
		m->npushes = 1;
		return read_changes(m, p, &a[3], err);
	case KT_MSG_REFUSE:
		if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->b) ||
		    a[3].type != MSGPACK_OBJECT_STR || a[3].via.str.size > KT_REASON_BYTES_MAX)
			return kt_err_set(err, KT_ECORRUPT, "bad refusal");
		m->reason.p = (const uint8_t *)a[3].via.str.ptr;
		m->reason.n = a[3].via.str.size;
		return 0;
	case KT_MSG_BATCH:
		return decode_batch(m, a, err);
	case KT_MSG_WELCOME:
		if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->b) || u64_at(&a[3], &m->c) ||
		    bin_at(&a[4], 0, &m->hash, &n) || n != (m->b ? KT_HASH_BYTES : 0))
			return kt_err_set(err, KT_ECORRUPT, "bad welcome");
		if (m->b == 0)
			m->hash = NULL;
		return 0;
	case KT_MSG_VOID:
		if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->b) || u64_at(&a[3], &m->last) ||
		    u64_at(&a[4], &m->c) || m->b == 0 || m->last < m->b || m->c == 0 ||
		    m->c > KT_VOID_REASON_MAX)
			return kt_err_set(err, KT_ECORRUPT, "bad void report");
		return 0;
	case KT_MSG_REFETCH:
		if (u64_at(&a[1], &m->a) || u64_at(&a[2], &m->b) || u64_at(&a[3], &m->last) ||
		    m->a == 0 || m->b == 0 || m->last < m->b || m->last - m->b >= KT_PUSH_CHANGES_MAX)
			return kt_err_set(err, KT_ECORRUPT, "bad refetch");
		return 0;
	default: /* ACK, PULL, NOTIFY: integers only */
		for (uint32_t i = 1; i < sizes[m->type]; i++)
			if (u64_at(&a[i], i == 1 ? &m->a : i == 2 ? &m->b : &m->c))
				return kt_err_set(err, KT_ECORRUPT, "bad message field");
		return 0;
	}
}

int kt_msg_decode(struct kt_msg *m, const uint8_t *p, size_t n, struct kt_err *err)
{
	msgpack_object o;
	uint64_t type;
	int rc;

	m->npushes = 0;
	m->nchanges = 0;
	m->key = m->hash = m->check = NULL;
	m->a = m->b = m->c = m->last = 0;
	msgpack_zone_init(&m->zone, 2048);
	if (n > KT_MSG_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "message of %zu bytes is over the limit", n);
	if ((rc = kt_mp_unpack(p, n, &m->zone, &o, err)) != 0)
		return rc;
	if (o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size < 2 ||
	    u64_at(&o.via.array.ptr[0], &type) || type == 0 || type > KT_MSG_REFETCH ||
	    (o.via.array.size != sizes[type] &&
	     !(type == KT_MSG_HELLO && o.via.array.size == 4))) /* version 2: said so */
		return kt_err_set(err, KT_ECORRUPT, "not a sync message");
	m->type = (uint8_t)type;
	return decode_body(m, o.via.array.ptr, o.via.array.size, err);
}

void kt_msg_release(struct kt_msg *m)
{
	msgpack_zone_destroy(&m->zone);
}
