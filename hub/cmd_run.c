/*
 * cmd_run.c - kt-hub run: the ZeroMQ edge around hub.c's state machine,
 * with CURVE on the socket and a ZAP handler that admits only enrolled,
 * unrevoked node keys; the hub's log on stderr; the bounds on connections
 * still in their handshake; the event loop.
 */
#include "hub_cli.h"
#include "hub_store.h"
#include "hlc.h"

#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sodium.h>
#include <zmq.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * The hub's log, on stderr: one line per event,
 *   2026-12-03T10:15:02Z warn  peer 127.0.0.1 branch North key 3fa4...: text
 * with the time (UTC), a level, and, when a peer is concerned, its address,
 * branch and node key as `kt-hub enroll` takes it.  A peer's lines are
 * limited to LOG_BURST in each LOG_WINDOW_MS; the rest are counted and said
 * in one line when its next window opens, so garbage from one peer cannot
 * fill the disk.
 */
#define LOG_BURST 10
#define LOG_WINDOW_MS 60000
#define LOG_PEERS 64
#define LOG_ANON 60

struct who {
	const char *addr;   /* the peer's IP address, or NULL */
	const char *branch; /* its branch, or NULL/"" */
	const char *key;    /* its node key (hex), or NULL */
};

static struct {
	char peer[80];
	uint64_t start;
	uint32_t lines, dropped;
} log_peers[LOG_PEERS];

static void log_line(const char *level, const struct who *w, const char *fmt, va_list ap)
{
	char when[32], who[256] = "";
	time_t t = time(NULL);
	size_t n = 0;

	/* Log lines stay in UTC (ISO 8601, Z): sortable and the same at every hub. */
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (w != NULL && w->addr != NULL)
		n += (size_t)snprintf(who + n, sizeof(who) - n, " peer %s", w->addr);
	if (w != NULL && w->branch != NULL && w->branch[0] && n < sizeof(who))
		n += (size_t)snprintf(who + n, sizeof(who) - n, " branch %s", w->branch);
	if (w != NULL && w->key != NULL && n < sizeof(who))
		n += (size_t)snprintf(who + n, sizeof(who) - n, " key %s", w->key);
	fprintf(stderr, "%s %-5s%s%s", when, level, who, who[0] ? ": " : " ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void log_plain(const char *level, const struct who *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, w, fmt, ap);
	va_end(ap);
}

static void hub_log(const char *level, const struct who *w, const char *fmt, ...)
{
	char peer[80];
	uint64_t now = kt_wall_ms();
	va_list ap;
	int slot = -1, oldest = 0;

	if (w != NULL && (w->addr != NULL || w->key != NULL)) {
		snprintf(peer, sizeof(peer), "%s/%s", w->addr ? w->addr : "", w->key ? w->key : "");
		for (int i = 0; i < LOG_PEERS && slot < 0; i++)
			if (strcmp(log_peers[i].peer, peer) == 0)
				slot = i;
			else if (log_peers[i].start < log_peers[oldest].start)
				oldest = i;
		if (slot < 0) {
			slot = oldest;
			snprintf(log_peers[slot].peer, sizeof(log_peers[slot].peer), "%s", peer);
			log_peers[slot].start = now;
			log_peers[slot].lines = log_peers[slot].dropped = 0;
		}
		if (now - log_peers[slot].start >= LOG_WINDOW_MS) {
			if (log_peers[slot].dropped > 0)
				log_plain("warn", w, "%u more lines of this peer were not logged "
					  "(at most %d a minute)", log_peers[slot].dropped, LOG_BURST);
			log_peers[slot].start = now;
			log_peers[slot].lines = log_peers[slot].dropped = 0;
		}
		if (log_peers[slot].lines >= LOG_BURST) {
			log_peers[slot].dropped++;
			return;
		}
		if (w->key == NULL) { /* peers with no key: at most LOG_ANON a minute in all */
			static uint64_t anon_start;
			static uint32_t anon_lines, anon_dropped;

			if (now - anon_start >= LOG_WINDOW_MS) {
				if (anon_dropped > 0)
					log_plain("warn", NULL, "%u more lines of peers with no key were "
						  "not logged (at most %d a minute)", anon_dropped,
						  LOG_ANON);
				anon_start = now;
				anon_lines = anon_dropped = 0;
			}
			if (anon_lines >= LOG_ANON) {
				anon_dropped++;
				return;
			}
			anon_lines++;
		}
		log_peers[slot].lines++;
	}
	va_start(ap, fmt);
	log_line(level, w, fmt, ap);
	va_end(ap);
}

#define logf_(...) log_plain("info", NULL, __VA_ARGS__)

/*
 * Connections still in their handshake.  Until CURVE has authenticated a
 * peer, libzmq buffers what it sends up to ZMQ_MAXMSGSIZE (16 MiB) a
 * connection, so a peer with no key could make the hub hold that much per
 * connection it opens.  The hub bounds it: a handshake must end within
 * HANDSHAKE_MS (ZMQ_HANDSHAKE_IVL), at most PENDING_PER_ADDR connections of
 * one address and PENDING_MAX in all may be in one (a socket monitor tells
 * of each accepted one), and a connection past either is shut at once.  So
 * unauthenticated peers can make the hub hold at most PENDING_MAX x 16 MiB
 * (128 MiB) beyond its own, for at most 5 s per connection.  An enrolled
 * node's connection leaves the count when the ZAP handler admits its key
 * (milliseconds after it connects); one refused retries with backoff.
 */
#define HANDSHAKE_MS 5000
#define PENDING_MAX 8
#define PENDING_PER_ADDR 4
static struct {
	int fd;
	char addr[64];
	uint64_t since;
} pending[PENDING_MAX + 64]; /* room for enrolled branches' addresses past the cap */
static size_t npending;

static void pending_drop(size_t i)
{
	pending[i] = pending[--npending];
}

/*
 * Addresses whose key the ZAP handler admitted in the last KNOWN_MS: a flood
 * from other addresses, filling the PENDING_MAX handshakes, does not shut
 * an enrolled branch out (its address still has its own PENDING_PER_ADDR).
 * The bound grows by PENDING_PER_ADDR x 16 MiB per such address, and only
 * enrolled branches' addresses get there.
 */
#define KNOWN_MAX 1024
#define KNOWN_MS (24ull * 3600 * 1000)
static struct {
	char addr[64];
	uint64_t ok_ms;
} known[KNOWN_MAX];

static int known_addr(const char *addr)
{
	for (size_t i = 0; i < KNOWN_MAX && known[i].addr[0]; i++)
		if (strcmp(known[i].addr, addr) == 0)
			return kt_wall_ms() - known[i].ok_ms < KNOWN_MS;
	return 0;
}

static void remember_addr(const char *addr)
{
	size_t i, oldest = 0;

	for (i = 0; i < KNOWN_MAX && known[i].addr[0]; i++) {
		if (strcmp(known[i].addr, addr) == 0)
			break;
		if (known[i].ok_ms < known[oldest].ok_ms)
			oldest = i;
	}
	if (i == KNOWN_MAX)
		i = oldest; /* full: the one admitted longest ago makes room */
	snprintf(known[i].addr, sizeof(known[i].addr), "%s", addr);
	known[i].ok_ms = kt_wall_ms();
}

/* The ZAP handler admitted a key from addr: its oldest connection in a handshake is done. */
static void pending_admitted(const char *addr)
{
	size_t oldest = npending;

	remember_addr(addr);
	for (size_t i = 0; i < npending; i++)
		if (strcmp(pending[i].addr, addr) == 0 &&
		    (oldest == npending || pending[i].since < pending[oldest].since))
			oldest = i;
	if (oldest < npending)
		pending_drop(oldest);
}

/* One event of the router's monitor: a connection accepted, or one that ended. */
static void on_monitor(void *mon)
{
	uint8_t ev[6];
	char junk[256];
	uint16_t event;
	uint32_t fd;
	int more = 0;
	size_t sz = sizeof(more);

	if (zmq_recv(mon, ev, sizeof(ev), ZMQ_DONTWAIT) != 6)
		return;
	zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &sz);
	if (more)
		zmq_recv(mon, junk, sizeof(junk), 0); /* the endpoint */
	memcpy(&event, ev, 2);
	memcpy(&fd, ev + 2, 4);
	for (size_t i = 0; i < npending;) /* a handshake this old has ended, one way or the other */
		if (kt_wall_ms() - pending[i].since > HANDSHAKE_MS || (event != ZMQ_EVENT_ACCEPTED &&
								     pending[i].fd == (int)fd))
			pending_drop(i);
		else
			i++;
	if (event == ZMQ_EVENT_ACCEPTED) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		char addr[64] = "?";
		size_t same = 0;

		if (getpeername((int)fd, (struct sockaddr *)&sa, &len) == 0)
			getnameinfo((struct sockaddr *)&sa, len, addr, sizeof(addr), NULL, 0,
				    NI_NUMERICHOST);
		for (size_t i = 0; i < npending; i++)
			same += strcmp(pending[i].addr, addr) == 0;
		if ((npending >= PENDING_MAX && !known_addr(addr)) || same >= PENDING_PER_ADDR ||
		    npending == sizeof(pending) / sizeof(pending[0])) {
			struct who w = { addr, NULL, NULL };

			shutdown((int)fd, SHUT_RDWR); /* libzmq sees the end and closes it */
			hub_log("warn", &w, "refused a connection: %s connections are in their "
				"handshake (at most %d of one address, %d in all)",
				npending == PENDING_MAX ? "too many" : "this address's",
				PENDING_PER_ADDR, PENDING_MAX);
			return;
		}
		pending[npending].fd = (int)fd;
		snprintf(pending[npending].addr, sizeof(pending[npending].addr), "%s", addr);
		pending[npending++].since = kt_wall_ms();
	}
}

/*
 * Finds the enrolled member whose CURVE key is ck; writes its Ed25519 key
 * and branch.  Returns 1 for a member that may connect, 2 for a revoked
 * one, 0 for a key no member's is.
 */
struct by_curve {
	const uint8_t *ck;
	uint8_t *ed;
	char *branch;
	size_t cap;
	int found;
};

/* A kt_member_fn: stops at the member whose Ed25519 key converts to f->ck. */
static int curve_match(void *ctx, const uint8_t key[KT_PUBKEY_BYTES], const struct kt_member *m)
{
	struct by_curve *f = ctx;
	uint8_t c[32];

	if (crypto_sign_ed25519_pk_to_curve25519(c, key) != 0 || memcmp(c, f->ck, 32) != 0)
		return 0;
	memcpy(f->ed, key, 32);
	f->found = m->revoked ? 2 : 1;
	snprintf(f->branch, f->cap, "%.*s", (int)m->branch_len, m->branch);
	return 1;
}

static int member_by_curve(struct kt_hub *h, const uint8_t ck[32], uint8_t ed[32],
			   char *branch, size_t cap)
{
	struct by_curve f = { ck, ed, branch, cap, 0 };
	MDB_txn *txn;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	/* Bounded by the number of enrolled branches, read once per connection. */
	kt_member_each(&h->st, txn, curve_match, &f);
	mdb_txn_abort(txn);
	return f.found;
}

static void zap_reply(void *zap, struct kt_hub *h)
{
	char frames[7][256];
	size_t lens[7];
	uint8_t ed[32];
	char user[65] = "", addr[64] = "?", branch[KT_BRANCH_BYTES_MAX + 1] = "";
	int n = 0, more = 1, ok = 0, found = 0;

	while (more && n < 7) {
		int k = zmq_recv(zap, frames[n], sizeof(frames[n]), 0);
		size_t sz = sizeof(more);

		lens[n++] = k < 0 ? 0 : (size_t)k;
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &sz);
	}
	while (more) { /* drain a request with more frames than ZAP has */
		char junk[64];
		size_t sz = sizeof(more);

		zmq_recv(zap, junk, sizeof(junk), 0);
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &sz);
	}
	if (n > 3 && lens[3] > 0 && lens[3] < sizeof(addr))
		snprintf(addr, sizeof(addr), "%.*s", (int)lens[3], frames[3]);
	if (n == 7 && lens[5] == 5 && memcmp(frames[5], "CURVE", 5) == 0 && lens[6] == 32)
		found = member_by_curve(h, (uint8_t *)frames[6], ed, branch, sizeof(branch));
	if (found)
		kt_hex(user, ed, 32);
	if (found == 1) {
		ok = 1;
		pending_admitted(addr);
	} else if (found == 2) {
		struct who w = { addr, branch, user };

		hub_log("warn", &w, "refused a connection: this key is revoked (kt-hub enroll "
			"lets it back in)");
		user[0] = '\0';
	} else {
		char hex[65] = "?";
		struct who w = { addr, NULL, NULL };

		if (n == 7 && lens[6] == 32)
			kt_hex(hex, (uint8_t *)frames[6], 32);
		hub_log("warn", &w, "refused a connection: its key is not enrolled (CURVE key %s, "
			"which `kt-node key --curve` prints at the node that holds it)", hex);
	}
	zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(zap, frames[1], n > 1 ? lens[1] : 0, ZMQ_SNDMORE);
	zmq_send(zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
	zmq_send(zap, ok ? "OK" : found == 2 ? "revoked" : "not enrolled",
		 ok ? 2 : found == 2 ? 7 : 12, ZMQ_SNDMORE);
	zmq_send(zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(zap, "", 0, 0);
}

static struct kt_hub_peers peers;

/* Sends b to the peer id; -1 when the peer is gone (ROUTER_MANDATORY): it says hello again. */
static int send_to(void *router, const uint8_t *id, size_t n, const msgpack_sbuffer *b)
{
	if (zmq_send(router, id, n, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -1;
	return zmq_send(router, b->data, b->size, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* One message from a node: identity frame, then the message with its User-Id. */
static void serve_one(void *router, struct kt_hub *h)
{
	uint8_t id[256], key[32];
	int idn = zmq_recv(router, id, sizeof(id), 0), more = 0;
	size_t sz = sizeof(more);
	const char *user;
	struct kt_hub_out out;
	struct kt_err err;
	zmq_msg_t msg;
	int rc;

	zmq_getsockopt(router, ZMQ_RCVMORE, &more, &sz);
	if (idn <= 0 || !more)
		return;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, router, 0) < 0)
		goto done;
	user = zmq_msg_gets(&msg, "User-Id");
	if (user == NULL || kt_unhex(key, 32, user) != 0)
		goto done;
	kt_hub_out_init(&out);
	rc = kt_hub_handle(h, key, zmq_msg_data(&msg), zmq_msg_size(&msg), kt_wall_ms(), &out,
			   &err);
	if (rc != 0 || out.note[0]) {
		char branch[KT_BRANCH_BYTES_MAX + 1];
		struct who w = { zmq_msg_gets(&msg, "Peer-Address"), branch, user };

		kt_hub_branch_of(h, key, branch, sizeof(branch), NULL);
		if (rc != 0)
			hub_log(rc == KT_EREFUSED ? "warn" : "error", &w, "%s", err.msg);
		if (out.note[0])
			hub_log("warn", &w, "%s", out.note);
	}
	kt_hub_peers_heard(&peers, id, (size_t)idn, kt_wall_ms());
	for (uint32_t i = 0; i < out.n; i++) {
		if (!out.m[i].to_all) {
			send_to(router, id, (size_t)idn, &out.m[i].msg);
			continue;
		}
		for (size_t p = 0; p < peers.n;) /* a peer gone leaves the list */
			if (send_to(router, peers.p[p].id, peers.p[p].n, &out.m[i].msg) != 0)
				kt_hub_peers_forget(&peers, peers.p[p].id, peers.p[p].n);
			else
				p++;
	}
	kt_hub_out_release(&out);
done:
	zmq_msg_close(&msg);
}

static void *router_open(void *ctx, const char *dir, const char *listen)
{
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41];
	int one = 1, linger = 1000, handshake = HANDSHAKE_MS;
	int64_t maxmsg = KT_MSG_BYTES_MAX;
	struct kt_err err;
	void *r;

	if (kt_identity_read(dir, "hub.key", pk, sk, cpk, csk, &err) != 0) {
		kt_cli_failf("%s", err.msg);
		return NULL;
	}
	r = zmq_socket(ctx, ZMQ_ROUTER);
	zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof(one));
	zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, csk, 40);
	zmq_setsockopt(r, ZMQ_ZAP_DOMAIN, "kartoteka", 9);
	zmq_setsockopt(r, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(r, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(r, ZMQ_HANDSHAKE_IVL, &handshake, sizeof(handshake));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	if (zmq_bind(r, listen) != 0) {
		kt_cli_failf("run: cannot listen on %s: %s", listen, zmq_strerror(zmq_errno()));
		zmq_close(r);
		return NULL;
	}
	return r;
}

static void damage_logged(void *ctx, uint64_t first, uint64_t last, uint64_t origin,
			  uint64_t seq, const char *what)
{
	(void)ctx;
	log_plain("error", NULL, "damaged store: hub seqs %llu-%llu, change %llu of origin %016llx: "
		  "%s; sent withheld until that branch sends it again",
		  (unsigned long long)first, (unsigned long long)last, (unsigned long long)seq,
		  (unsigned long long)origin, what);
}

/* Its own store first, at start: damage is logged, and the pushes sent withheld. */
static void check_at_start(struct kt_hub *h)
{
	struct kt_err err;
	uint64_t pushes;
	int fixed = kt_hub_mend_pushes(h, &err);
	int bad = kt_hub_verify(h, &pushes, damage_logged, h, &err);

	if (fixed > 0)
		log_plain("warn", NULL, "mended %d damaged entr%s of the push records or the "
			  "hash chain, from the log", fixed, fixed == 1 ? "y" : "ies");

	int mended = kt_hub_chain_check_mend(h, &err);

	if (bad < 0)
		logf_("verify: %s", err.msg);
	else
		log_plain(bad ? "error" : "info", NULL, "verified %llu pushes at start: %d "
			  "damaged", (unsigned long long)pushes, bad);
	if (mended > 0)
		log_plain("warn", NULL, "mended %d damaged cop%s of the chain's check value",
			  mended, mended == 1 ? "y" : "ies");
}

/*
 * After a merged erasure, the store rewritten into a fresh file when no
 * command holds it (store/rewrite.c); else it stays due, tried each tick.
 * Returns 0, or -1 when the store could not be opened again.
 */
static int rewrite_tick(struct kt_hub *h)
{
	struct kt_err err = { 0 };
	int rc = kt_store_rewrite(&h->st, 1, &err);

	if (rc == 0)
		logf_("erasure: the store is rewritten into a fresh file (no erased byte left)");
	else if (rc < 0)
		log_plain("error", NULL, "erasure: %s", err.msg);
	return h->st.env == NULL ? -1 : 0;
}

int kt_hub_cmd_run(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR run\n\nServes nodes on the listen endpoint until SIGINT or "
		"SIGTERM, then stops cleanly.\nexample: kt-hub -d HUB run\n";
	const char *dir;
	int rc;
	struct kt_hub h;
	struct kt_err err;
	char listen[256];
	void *ctx, *zap, *router, *mon = NULL;
	uint64_t merge_again = 0, merge_wait = 1000;
	uint64_t left = 0;
	int behind = 1;

	if ((dir = kt_hub_cli_parse_plain(cli, "run", usage, NULL, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_cli_structure_whole(dir, "run") != 0)
		return 1;
	if (kt_hub_open(&h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	kt_hub_cli_listen(&h, listen, sizeof(listen));
	check_at_start(&h);
	if (kt_interrupted) { /* stopped during the check at start */
		kt_hub_close(&h);
		return 130;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	kt_hub_peers_init(&peers, KT_HUB_PEERS_MAX);
	ctx = zmq_ctx_new();
	zap = zmq_socket(ctx, ZMQ_REP);
	zmq_bind(zap, "inproc://zeromq.zap.01");
	if ((router = router_open(ctx, dir, listen)) == NULL) {
		zmq_close(zap);
		zmq_ctx_term(ctx);
		kt_hub_close(&h);
		return 1;
	}
	if (zmq_socket_monitor(router, "inproc://kt-hub-monitor", ZMQ_EVENT_ACCEPTED |
			       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED) == 0 &&
	    (mon = zmq_socket(ctx, ZMQ_PAIR)) != NULL &&
	    zmq_connect(mon, "inproc://kt-hub-monitor") != 0) {
		zmq_close(mon);
		mon = NULL;
	}
	if (mon == NULL)
		log_plain("warn", NULL, "no socket monitor: connections in their handshake are not "
			  "counted");
	logf_("serving on %s", listen);
	/*
	 * The event loop: the one endless loop, until a signal.  Messages come
	 * first; once none came for KT_HUB_MERGE_QUIET_MS, the merge catches up
	 * a slice at a time (so a pull right after a push never waits on it).
	 */
	while (!stopping) {
		zmq_pollitem_t items[3] = { { zap, 0, ZMQ_POLLIN, 0 }, { router, 0, ZMQ_POLLIN, 0 },
					    { mon, 0, ZMQ_POLLIN, 0 } };
		uint64_t voided = h.st.voided;

		static uint64_t checked;
		int freed;

		if (kt_wall_ms() - checked >= KT_READER_CHECK_MS) {
			kt_hub_peers_sweep(&peers, kt_wall_ms());
			if ((freed = kt_store_reader_check(&h.st)) > 0)
				logf_("freed %d reader slot%s of stopped commands", freed,
				      freed == 1 ? "" : "s");
			checked = kt_wall_ms();
			if (!behind && rewrite_tick(&h) != 0)
				break;
		}
		if (zmq_poll(items, mon != NULL ? 3 : 2, behind ? KT_HUB_MERGE_QUIET_MS : 500) < 0)
			continue; /* EINTR: a signal, checked above */
		if (mon != NULL && (items[2].revents & ZMQ_POLLIN))
			on_monitor(mon);
		if (items[0].revents & ZMQ_POLLIN)
			zap_reply(zap, &h);
		if (items[1].revents & ZMQ_POLLIN) {
			serve_one(router, &h);
			behind = 1; /* it may have been a push: merge once nothing waits */
		}
		if (!behind || ((items[0].revents | items[1].revents) & ZMQ_POLLIN) ||
		    kt_wall_ms() < merge_again)
			continue;
		if (kt_hub_merge(&h, KT_HUB_MERGE_SLICE, &left, &err) != 0) {
			/* Serving goes on; the merge tries again after 1 s, doubling to 60 s. */
			log_plain("error", NULL, "merge: %s (tried again in %llu s)", err.msg,
				  (unsigned long long)merge_wait / 1000);
			merge_again = kt_wall_ms() + merge_wait;
			merge_wait = merge_wait * 2 > 60000 ? 60000 : merge_wait * 2;
			continue; /* still behind */
		}
		merge_wait = 1000;
		behind = left > 0;
		if (!behind && h.st.rewrite_due && rewrite_tick(&h) != 0)
			break; /* the store could not be opened again: stop, as a broken store does */
		if (h.st.voided > voided)
			logf_("merge: %llu changes naming a record under another type or owner "
			      "were void", (unsigned long long)(h.st.voided - voided));
	}
	if (mon != NULL)
		zmq_close(mon);
	zmq_close(router);
	zmq_close(zap);
	zmq_ctx_term(ctx);
	kt_hub_close(&h);
	logf_("stopped");
	return 0;
}
