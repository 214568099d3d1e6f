/*
 * test_peers.c - the hub's list of peers to notify forgets the ones that
 * went (hub.h, kt_hub_peers_*): after more `kt-node sync` runs than the list
 * holds, a daemon that keeps talking is still in it, and so is one started
 * after them.
 */
#include "t.h"
#include "hub.h"

static struct kt_hub_peers ps;

static void id_of(uint8_t id[5], uint32_t k)
{
	id[0] = 0; /* libzmq's routing ids: a zero byte and a 32-bit counter */
	memcpy(id + 1, &k, 4);
}

/* 4,200 sync runs, 50 ms apart, each heard for a second; a daemon pulls every 2 s. */
static void test_past_the_limit_with_a_daemon_talking(void)
{
	uint8_t id[5], daemon[5];
	uint64_t t = 1700000000000ull, last_sweep = t, last_pull = t;

	kt_hub_peers_init(&ps, KT_HUB_PEERS_MAX);
	id_of(daemon, 0xfffffff0u);
	kt_hub_peers_heard(&ps, daemon, 5, t);
	for (uint32_t k = 0; k < 4200; k++, t += 50) {
		id_of(id, k);
		kt_hub_peers_heard(&ps, id, 5, t);
		kt_hub_peers_heard(&ps, id, 5, t + 1000);
		if (t - last_pull >= 2000) {
			kt_hub_peers_heard(&ps, daemon, 5, t);
			last_pull = t;
		}
		if (t - last_sweep >= 10000) { /* as kt-hub run does */
			kt_hub_peers_sweep(&ps, t);
			last_sweep = t;
		}
		T_CHECK(ps.n <= KT_HUB_PEERS_MAX);
	}
	T_CHECK(kt_hub_peers_has(&ps, daemon, 5));
	T_CHECK(ps.n < 400); /* only the last ~20 s of sync runs */
	id_of(id, 0xfffffff1u);
	kt_hub_peers_heard(&ps, id, 5, t);
	T_CHECK(kt_hub_peers_has(&ps, id, 5));
	id_of(id, 0);
	T_CHECK(!kt_hub_peers_has(&ps, id, 5)); /* the first sync run left long ago */
}

/* Full within the idle window: the peer heard longest ago makes room, never a talking one. */
static void test_a_full_list_drops_the_oldest(void)
{
	uint8_t id[5], talker[5];
	uint64_t t = 1000;

	kt_hub_peers_init(&ps, 8);
	id_of(talker, 99);
	for (uint32_t k = 0; k < 20; k++, t += 10) {
		id_of(id, k);
		kt_hub_peers_heard(&ps, id, 5, t);
		kt_hub_peers_heard(&ps, talker, 5, t + 1);
		T_CHECK(ps.n <= 8);
		T_CHECK(kt_hub_peers_has(&ps, talker, 5));
		T_CHECK(kt_hub_peers_has(&ps, id, 5));
	}
	id_of(id, 0);
	T_CHECK(!kt_hub_peers_has(&ps, id, 5));
	kt_hub_peers_forget(&ps, talker, 5); /* a send found it gone */
	T_CHECK(!kt_hub_peers_has(&ps, talker, 5));
	T_EQ_INT(kt_hub_peers_sweep(&ps, t + KT_HUB_PEER_IDLE_MS + 1000), 7);
	T_EQ_INT(ps.n, 0);
}

int main(void)
{
	T_RUN(test_past_the_limit_with_a_daemon_talking);
	T_RUN(test_a_full_list_drops_the_oldest);
	T_DONE();
}
