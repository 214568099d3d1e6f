/* test_msg.c - the sync messages: round trips, limits, malformed input. */
#include "t.h"
#include "proto/msg.h"

#include <stdlib.h>

static struct kt_msg m;

static int decode(const msgpack_sbuffer *b)
{
	struct kt_err err;
	int rc = kt_msg_decode(&m, (const uint8_t *)b->data, b->size, &err);

	return rc;
}

static void test_small_messages_round_trip(void)
{
	msgpack_sbuffer b;
	uint8_t key[KT_PUBKEY_BYTES];

	memset(key, 9, sizeof(key));
	msgpack_sbuffer_init(&b);
	kt_msg_hello(&b, 0xdeadbeefull, key, key + 16);
	T_EQ_INT(decode(&b), 0);
	T_EQ_INT(m.type, KT_MSG_HELLO);
	T_CHECK(m.a == KT_PROTO_VERSION && m.b == 0xdeadbeefull && memcmp(m.key, key, 32) == 0);
	T_CHECK(m.check != NULL && memcmp(m.check, key + 16, KT_CHAIN_CHECK_BYTES) == 0);
	kt_msg_release(&m);
	kt_msg_void(&b, 0x1234, 5, 7, KT_VOID_SEAL);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_VOID && m.a == 0x1234 && m.b == 5 && m.last == 7 &&
		m.c == KT_VOID_SEAL);
	kt_msg_release(&m);
	kt_msg_void(&b, 0x1234, 5, 4, KT_VOID_SEAL); /* last before first */
	T_CHECK(decode(&b) != 0);
	kt_msg_release(&m);
	kt_msg_void(&b, 0x1234, 5, 5, 9); /* no such reason */
	T_CHECK(decode(&b) != 0);
	kt_msg_release(&m);
	{
		/* A version 2 hello (no check value) decodes, so the hub can say "update". */
		msgpack_packer pk;

		msgpack_sbuffer_clear(&b);
		msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 4);
		msgpack_pack_uint8(&pk, KT_MSG_HELLO);
		msgpack_pack_uint8(&pk, 2);
		msgpack_pack_uint64(&pk, 7);
		msgpack_pack_bin_with_body(&pk, key, 32);
		T_EQ_INT(decode(&b), 0);
		T_CHECK(m.a == 2 && m.check == NULL);
		kt_msg_release(&m);
		/* and a version 3 one without its check value does not */
		msgpack_sbuffer_clear(&b);
		msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 4);
		msgpack_pack_uint8(&pk, KT_MSG_HELLO);
		msgpack_pack_uint8(&pk, 3);
		msgpack_pack_uint64(&pk, 7);
		msgpack_pack_bin_with_body(&pk, key, 32);
		T_CHECK(decode(&b) != 0);
		kt_msg_release(&m);
	}
	kt_msg_welcome(&b, 1700000000000ull, 42, 99, key);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_WELCOME && m.a == 1700000000000ull && m.b == 42 && m.c == 99 &&
		m.hash != NULL && memcmp(m.hash, key, KT_HASH_BYTES) == 0);
	kt_msg_release(&m);
	kt_msg_welcome(&b, 1700000000000ull, 0, 99, NULL); /* nothing acked: no hash */
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_WELCOME && m.b == 0 && m.hash == NULL);
	kt_msg_release(&m);
	{
		/* A hash that does not go with the acked seq is refused: none for 42, one for 0. */
		msgpack_packer pk;

		for (int acked = 0; acked < 2; acked++) {
			msgpack_sbuffer_clear(&b);
			msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
			msgpack_pack_array(&pk, 5);
			msgpack_pack_uint8(&pk, KT_MSG_WELCOME);
			msgpack_pack_uint64(&pk, 1700000000000ull);
			msgpack_pack_uint64(&pk, acked ? 42 : 0);
			msgpack_pack_uint64(&pk, 99);
			msgpack_pack_bin_with_body(&pk, key, acked ? 0 : KT_HASH_BYTES);
			T_CHECK(decode(&b) != 0);
			kt_msg_release(&m);
		}
	}
	kt_msg_refuse(&b, KT_REFUSE_GAP, 7, "expected seq 7");
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_GAP && m.b == 7 && m.reason.n == 14);
	kt_msg_release(&m);
	kt_msg_pull(&b, 5, 1000, 42);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_PULL && m.a == 5 && m.b == 1000 && m.c == 42);
	kt_msg_release(&m);
	kt_msg_notify(&b, 77);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_NOTIFY && m.a == 77);
	kt_msg_release(&m);
	msgpack_sbuffer_destroy(&b);
}

static void test_push_and_batch_round_trip_and_limits(void)
{
	static struct kt_bytes ch[KT_PUSH_CHANGES_MAX + 1];
	static uint8_t body[8] = "change!", sig[KT_SIG_BYTES];
	struct kt_msg_push p = { .origin = 11, .first_seq = 3, .sig = sig, .nchanges = 2,
				 .changes = ch }, two[2];
	msgpack_sbuffer b;

	for (int i = 0; i <= KT_PUSH_CHANGES_MAX; i++)
		ch[i] = (struct kt_bytes){ body, sizeof(body) };
	msgpack_sbuffer_init(&b);
	kt_msg_push(&b, &p);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_PUSH && m.npushes == 1 && m.pushes[0].origin == 11 &&
		m.pushes[0].first_seq == 3 && m.pushes[0].nchanges == 2);
	T_CHECK(m.pushes[0].changes[1].n == 8 && memcmp(m.pushes[0].changes[1].p, body, 8) == 0);
	kt_msg_release(&m);
	p.nchanges = KT_PUSH_CHANGES_MAX;
	kt_msg_push(&b, &p);
	T_EQ_INT(decode(&b), 0);
	kt_msg_release(&m);
	p.nchanges = KT_PUSH_CHANGES_MAX + 1;
	kt_msg_push(&b, &p);
	T_CHECK(decode(&b) != 0);
	kt_msg_release(&m);
	p.nchanges = 2;
	two[0] = p;
	two[1] = p;
	two[1].origin = 12;
	kt_msg_batch(&b, 100, 110, 200, two, 2, 1);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_BATCH && m.a == 100 && m.last == 110 && m.b == 200 && m.c == 1 &&
		m.npushes == 2 && m.pushes[1].origin == 12 && m.nchanges == 4);
	kt_msg_release(&m);
	/* A batch covers at least the changes it holds; an empty one may cover none. */
	{
		static const struct { uint64_t last; uint32_t pushes; int ok; } cover[] = {
			{ 103, 2, 1 }, { 102, 2, 0 }, { 99, 0, 1 }, { 98, 0, 0 },
		};

		for (size_t i = 0; i < sizeof(cover) / sizeof(cover[0]); i++) {
			kt_msg_batch(&b, 100, cover[i].last, 200, two, cover[i].pushes, 0);
			T_EQ_INT(decode(&b) == 0, cover[i].ok);
			kt_msg_release(&m);
		}
	}
	/* At most KT_BATCH_CHANGES_MAX changes in a batch, over all its pushes. */
	{
		struct kt_msg_push many[KT_BATCH_CHANGES_MAX / KT_PUSH_CHANGES_MAX + 2];
		uint32_t n = 0, total = 0;

		for (; total < KT_BATCH_CHANGES_MAX; n++) {
			many[n] = p;
			many[n].nchanges = KT_BATCH_CHANGES_MAX - total < KT_PUSH_CHANGES_MAX
					   ? KT_BATCH_CHANGES_MAX - total : KT_PUSH_CHANGES_MAX;
			total += many[n].nchanges;
		}
		kt_msg_batch(&b, 1, total, 200, many, n, 0);
		T_EQ_INT(decode(&b), 0);
		T_EQ_INT(m.nchanges, KT_BATCH_CHANGES_MAX);
		kt_msg_release(&m);
		many[n] = p;
		many[n].nchanges = 1;
		kt_msg_batch(&b, 1, total + 1, 200, many, n + 1, 0);
		T_CHECK(decode(&b) != 0);
		kt_msg_release(&m);
	}
	msgpack_sbuffer_destroy(&b);
}

/* A withheld push (msg.h): no changes, its seqs, the signed hash and its hub seq. */
static void test_a_withheld_push_and_a_refetch_round_trip(void)
{
	static uint8_t body[8] = "change!", sig[KT_SIG_BYTES], hash[KT_HASH_BYTES] = { 7 };
	struct kt_bytes ch[2] = { { body, 8 }, { body, 8 } };
	struct kt_msg_push ps[2] = {
		{ .origin = 11, .sig = sig, .nchanges = 2, .changes = ch },
		{ .origin = 12, .sig = sig, .withheld_hash = hash, .withheld_first = 4,
		  .withheld_last = 6, .withheld_at = 103 },
	};
	static const struct { uint64_t first, last, at; uint64_t cover; int ok; } cases[] = {
		{ 4, 6, 103, 104, 1 },  /* 2 changes and 3 withheld in 100..104 */
		{ 4, 6, 103, 103, 0 },  /* covers fewer seqs than it holds */
		{ 0, 6, 103, 105, 0 },  /* no seq 0 */
		{ 6, 4, 103, 105, 0 },  /* last before first */
		{ 4, 6, 0, 105, 0 },    /* no hub seq 0 */
		{ 1, KT_PUSH_CHANGES_MAX + 1, 103, 1u << 20, 0 }, /* more than a push holds */
	};
	msgpack_sbuffer b;

	msgpack_sbuffer_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ps[1].withheld_first = cases[i].first;
		ps[1].withheld_last = cases[i].last;
		ps[1].withheld_at = cases[i].at;
		kt_msg_batch(&b, 100, cases[i].cover, 200, ps, 2, 0);
		T_EQ_INT(decode(&b) == 0, cases[i].ok);
		if (cases[i].ok) {
			T_CHECK(m.npushes == 2 && m.nchanges == 2 && m.pushes[0].withheld_hash == NULL);
			T_CHECK(m.pushes[1].nchanges == 0 && m.pushes[1].withheld_hash != NULL &&
				memcmp(m.pushes[1].withheld_hash, hash, KT_HASH_BYTES) == 0);
			T_CHECK(m.pushes[1].withheld_first == 4 && m.pushes[1].withheld_last == 6 &&
				m.pushes[1].withheld_at == 103 && m.pushes[1].origin == 12);
		}
		kt_msg_release(&m);
	}
	kt_msg_refetch(&b, 12, 5, 9);
	T_EQ_INT(decode(&b), 0);
	T_CHECK(m.type == KT_MSG_REFETCH && m.a == 12 && m.b == 5 && m.last == 9);
	kt_msg_release(&m);
	{
		static const uint64_t bad[][3] = {
			{ 0, 5, 9 },                     /* no origin 0 */
			{ 12, 0, 9 },                    /* no seq 0 */
			{ 12, 9, 5 },                    /* last before first */
			{ 12, 1, KT_PUSH_CHANGES_MAX + 1 }, /* more than a push holds */
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			kt_msg_refetch(&b, bad[i][0], bad[i][1], bad[i][2]);
			T_CHECK(decode(&b) != 0);
			kt_msg_release(&m);
		}
	}
	msgpack_sbuffer_destroy(&b);
}

static void test_malformed_messages_are_refused(void)
{
	static const uint8_t huge_array[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 3 };
	static const uint8_t wrong_type[] = { 0x92, 0x09, 0x01 };
	static const uint8_t wrong_size[] = { 0x93, 0x08, 0x01, 0x02 };
	static const uint8_t not_array[] = { 0x01 };
	struct kt_err err;
	msgpack_sbuffer b;

	T_CHECK(kt_msg_decode(&m, huge_array, sizeof(huge_array), &err) != 0);
	kt_msg_release(&m);
	T_CHECK(kt_msg_decode(&m, wrong_type, sizeof(wrong_type), &err) != 0);
	kt_msg_release(&m);
	T_CHECK(kt_msg_decode(&m, wrong_size, sizeof(wrong_size), &err) != 0);
	kt_msg_release(&m);
	T_CHECK(kt_msg_decode(&m, not_array, sizeof(not_array), &err) != 0);
	kt_msg_release(&m);
	msgpack_sbuffer_init(&b);
	kt_msg_notify(&b, 1);
	for (size_t n = 0; n < b.size; n++) {
		T_CHECK(kt_msg_decode(&m, (uint8_t *)b.data, n, &err) != 0);
		kt_msg_release(&m);
	}
	msgpack_sbuffer_destroy(&b);
}

int main(void)
{
	T_RUN(test_small_messages_round_trip);
	T_RUN(test_push_and_batch_round_trip_and_limits);
	T_RUN(test_a_withheld_push_and_a_refetch_round_trip);
	T_RUN(test_malformed_messages_are_refused);
	T_DONE();
}
