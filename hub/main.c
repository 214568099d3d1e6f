/*
 * main.c - kt-hub: init, enroll, run (the ZeroMQ edge around hub.c's state
 * machine, with CURVE on the socket and a ZAP handler that admits only
 * enrolled, unrevoked node keys), status, digest, revoke, conflicts,
 * duplicates.
 */
#include "text.h"
#include "hub.h"
#include "store_int.h"
#include "card.h"
#include "hlc.h"
#include "when.h"
#include "opts.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include <zmq.h>

static const char usage[] =
	"usage: kt-hub -d DIR COMMAND [ARGS]\n"
	"\n"
	"The hub of a Kartoteka chain: it orders and stores every branch's changes\n"
	"(encrypted end to end: it never holds the chain key) and passes them on.\n"
	"\n"
	"commands:\n"
	"  init [--listen tcp://HOST:PORT]            make a hub in DIR\n"
	"  enroll --branch NAME --key KEY [--out F]   admit a branch's node; write its bundle\n"
	"  run                                        serve until SIGINT/SIGTERM\n"
	"  status [--json]                            enrolled branches, the head\n"
	"  digest [--json]                            the digest of the merged state\n"
	"  verify                                     check the store: changes, chains, signatures, state\n"
	"  rebuild                                    derive the merged state again from the log\n"
	"  backup --out DIR2                          a whole copy of the hub, while it runs\n"
	"  revoke (--branch NAME | --key KEY)         refuse a node from its next connection\n"
	"  conflicts [--json]                         fields two branches wrote concurrently\n"
	"  duplicates [--json]                        cards that share a phone or email (blind)\n"
	"Options go before or after the command (-d DIR too), as --opt VALUE or\n"
	"--opt=VALUE; every command has --help.\n"
	"example: kt-hub -d /var/lib/kartoteka-hub init --listen tcp://0.0.0.0:7400\n";

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("kt-hub: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * The command line's parse (common/opts.h, the kit kt-node uses too): -d
 * DIR, before the command or after it, writes hub_dir.
 */
static struct kt_opts opts;
static const char *hub_dir;

static struct kt_opts *parse(const char *cmd, const char *usage, const struct kt_opt *tab,
			     int argc, char **argv)
{
	kt_opts_start(&opts, cmd, usage, tab, argc, argv);
	return &opts;
}

/*
 * The end of a command's parse: c is kt_opts_next()'s last result.  Refuses
 * positional arguments and a missing -d DIR; returns the data folder, or
 * NULL with *rc the exit code (0 after --help).
 */
static const char *parsed(int c, int *rc)
{
	*rc = kt_opts_exit(c);
	if (c != KT_OPTS_END || kt_opts_args(&opts, 0, 0, NULL))
		return NULL;
	if (hub_dir == NULL) {
		fail("no data folder: use -d DIR");
		return NULL;
	}
	return hub_dir;
}

/* The table of a command that reads and takes --json only. */
static const struct kt_opt json_only[] = {
	{ "json", KT_OPT_FLAG, 'j', 0 },
	{ NULL, 0, 0, 0 },
};

static int cmd_init(int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "listen", KT_OPT_VALUE, 'l', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = parse("init", "usage: kt-hub -d DIR init [--listen tcp://HOST:PORT]\n\n"
		 "Makes a hub in DIR: its store and its key pair (hub.key, mode 0600).\n"
		 "example: kt-hub -d HUB init --listen tcp://127.0.0.1:7400\n", tab, argc, argv);
	const char *listen = "tcp://127.0.0.1:7400", *dir;
	struct kt_err err;
	int c, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'l': listen = o->arg; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (strncmp(listen, "tcp://", 6) != 0 || strlen(listen) > 200)
		return fail("init: --listen wants tcp://HOST:PORT, not '%s'", listen);
	if (kt_hub_init(dir, listen, &err) != 0)
		return fail("%s", err.msg);
	printf("hub made in %s, listening on %s when run\n", dir, listen);
	return 0;
}

static int meta_text(struct kt_hub *h, const char *name, char *out, size_t cap)
{
	MDB_txn *txn;
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc = -1;

	out[0] = '\0';
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return -1;
	if (mdb_get(txn, h->st.meta, &k, &v) == 0 && v.mv_size < cap) {
		memcpy(out, v.mv_data, v.mv_size);
		out[v.mv_size] = '\0';
		rc = 0;
	}
	mdb_txn_abort(txn);
	return rc;
}

static int write_bundle(const char *path, const char *dir, struct kt_hub *h, const char *branch,
			const char *key)
{
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41], listen[256];
	struct kt_err err;
	json_t *o;
	int rc;

	if (kt_identity_read(dir, "hub.key", pk, sk, cpk, csk, &err) != 0)
		return fail("%s", err.msg);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	meta_text(h, "listen", listen, sizeof(listen));
	o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "format", "kartoteka-bundle", "version", 1,
		      "branch", branch, "hub", listen, "hub_key", cpk);
	json_object_set_new(o, "node_key", json_string(key));
	{
		/* A founded chain: the node joins with an invite, whose key must be this one. */
		uint8_t check[KT_CHAIN_CHECK_BYTES];
		char hex[2 * KT_CHAIN_CHECK_BYTES + 1];
		int founded = kt_hub_chain_check(h, check) == 1;

		json_object_set_new(o, "founded", json_boolean(founded));
		if (founded) {
			kt_hex(hex, check, sizeof(check));
			json_object_set_new(o, "chain_check", json_string(hex));
		}
	}
	rc = path ? json_dump_file(o, path, JSON_SORT_KEYS | JSON_INDENT(2))
		  : json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(o);
	if (rc != 0)
		return fail("enroll: cannot write '%s'", path ? path : "(stdout)");
	if (!path)
		fputc('\n', stdout);
	return 0;
}

static int cmd_enroll(int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "key", KT_OPT_VALUE, 'k', 0 },
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = parse("enroll", "usage: kt-hub -d DIR enroll --branch NAME --key NODE_KEY [--out FILE]\n\n"
		 "Admits a branch's node (its key from `kt-node -d DIR key`) and writes the\n"
		 "bundle the node joins with (to FILE, else stdout).\n"
		 "example: kt-hub -d HUB enroll --branch North --key \"$(kt-node -d B key)\" --out b.bundle\n",
		 tab, argc, argv);
	const char *branch = NULL, *key = NULL, *out = NULL, *dir;
	uint8_t raw[KT_PUBKEY_BYTES];
	struct kt_hub h;
	struct kt_err err;
	int rc, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'b': branch = o->arg; break;
		case 'k': key = o->arg; break;
		case 'o': out = o->arg; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (branch == NULL || key == NULL)
		return fail("enroll: --branch NAME and --key NODE_KEY are required");
	if (kt_unhex(raw, sizeof(raw), key) != 0)
		return fail("enroll: bad key '%.70s' (want the 64 hex digits of `kt-node key`)", key);
	if (kt_hub_open(&h, dir, &err) != 0)
		return fail("%s", err.msg);
	rc = kt_hub_enroll(&h, branch, raw, &err) != 0 ? fail("enroll: %s", err.msg)
						       : write_bundle(out, dir, &h, branch, key);
	kt_hub_close(&h);
	return rc;
}

/* ---- run: the ZeroMQ edge ---- */

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
static int member_by_curve(struct kt_hub *h, const uint8_t ck[32], uint8_t ed[32],
			   char *branch, size_t cap)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int found = 0, rc;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	mdb_cursor_open(txn, h->st.members, &cur);
	/* Bounded by the number of enrolled branches, read once per connection. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !found;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint8_t c[32];

		if (k.mv_size == 32 && v.mv_size >= 17 &&
		    crypto_sign_ed25519_pk_to_curve25519(c, k.mv_data) == 0 &&
		    memcmp(c, ck, 32) == 0) {
			memcpy(ed, k.mv_data, 32);
			found = ((uint8_t *)v.mv_data)[8] ? 2 : 1;
			snprintf(branch, cap, "%.*s", (int)(v.mv_size - 17), (char *)v.mv_data + 17);
		}
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return found;
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
		fail("%s", err.msg);
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
		fail("run: cannot listen on %s: %s", listen, zmq_strerror(zmq_errno()));
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

/*
 * The store read whole in a child first (kt_store_walk): a store damaged in
 * its structure is named in one line, and not opened here, where following
 * a damaged page could crash the hub.  Returns 0 when it may be opened.
 */
static int structure_whole(const char *dir, const char *cmd)
{
	char msg[300];
	int rc = kt_store_walk(dir, msg, sizeof(msg));

	if (rc == 0)
		return 0;
	if (rc < 0)
		return fail("%s: %s", cmd, msg);
	return fail("%s: the hub's store in %s is damaged: %s; restore the hub from its backup "
		    "(kt-hub backup; README, \"The hub's backup\")", cmd, dir, msg);
}

static int cmd_run(int argc, char **argv)
{
	const char *dir;
	int c, rc;
	struct kt_hub h;
	struct kt_err err;
	char listen[256];
	void *ctx, *zap, *router, *mon = NULL;
	uint64_t merge_again = 0, merge_wait = 1000;
	uint64_t left = 0;
	int behind = 1;

	parse("run", "usage: kt-hub -d DIR run\n\nServes nodes on the listen endpoint "
	      "until SIGINT or SIGTERM, then stops cleanly.\nexample: kt-hub -d HUB run\n", NULL,
	      argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		;
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (structure_whole(dir, "run") != 0)
		return 1;
	if (kt_hub_open(&h, dir, &err) != 0)
		return fail("%s", err.msg);
	meta_text(&h, "listen", listen, sizeof(listen));
	{
		/* Its own store first: damage is logged, and the pushes sent withheld. */
		uint64_t pushes;
		int fixed = kt_hub_mend_pushes(&h, &err);
		int bad = kt_hub_verify(&h, &pushes, damage_logged, &h, &err);

		if (fixed > 0)
			log_plain("warn", NULL, "mended %d damaged entr%s of the push records or the "
				  "hash chain, from the log", fixed, fixed == 1 ? "y" : "ies");

		int mended = kt_hub_chain_check_mend(&h, &err);

		if (bad < 0)
			logf_("verify: %s", err.msg);
		else
			log_plain(bad ? "error" : "info", NULL, "verified %llu pushes at start: %d "
				  "damaged", (unsigned long long)pushes, bad);
		if (mended > 0)
			log_plain("warn", NULL, "mended %d damaged cop%s of the chain's check value",
				  mended, mended == 1 ? "y" : "ies");
	}
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

/* ---- status, digest, revoke ---- */

/*
 * Opens the hub in dir with a read transaction, the merge caught up first
 * when merged is set (a running hub merges behind ingest); 1, said on
 * stderr, when it cannot.
 */
static int open_reading(const char *dir, struct kt_hub *h, MDB_txn **txn, int merged)
{
	struct kt_err err;

	if (kt_hub_open(h, dir, &err) != 0)
		return fail("%s", err.msg);
	if (merged && kt_hub_catch_up(h, &err) != 0) {
		kt_hub_close(h);
		return fail("%s", err.msg);
	}
	if (kt_store_rdtxn(&h->st, txn, &err) != 0) {
		kt_hub_close(h);
		return fail("%s", err.msg);
	}
	return 0;
}

static void close_reading(struct kt_hub *h, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	kt_hub_close(h);
}

/* One compact JSON document and a newline, keys sorted (the --json form of a listing). */
static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	fputc('\n', stdout);
}

static int cmd_status(int argc, char **argv)
{
	struct kt_hub h;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int json = 0, c, rc;
	json_t *arr, *o;
	uint64_t head, lag;
	const char *dir;

	parse("status", "usage: kt-hub -d DIR status [--json]\n\nEvery enrolled branch "
	      "with its last contact and acknowledged seq, and the hub head.\n"
	      "example: kt-hub -d HUB status --json\n", json_only, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'j': json = 1; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (open_reading(dir, &h, &txn, 0) != 0)
		return 1;
	arr = json_array();
	head = kt_hub_head(&h);
	lag = kt_hub_merge_lag(&h, txn);
	mdb_cursor_open(txn, h.st.members, &cur);
	while (mdb_cursor_get(cur, &k, &v, json_array_size(arr) ? MDB_NEXT : MDB_FIRST) == 0 &&
	       v.mv_size >= 17 && k.mv_size == 32) {
		char hex[65], oid[17];
		uint8_t hash[KT_HASH_BYTES];
		uint64_t origin = kt_be64_get(v.mv_data), seq = 0, pos, ahead;

		kt_hex(hex, k.mv_data, 32);
		snprintf(oid, sizeof(oid), "%016llx", (unsigned long long)origin);
		kt_store_origin_head(&h.st, txn, origin, &seq, hash, &pos);
		ahead = kt_hub_origin_u64(&h, txn, "ahead", origin);
		o = json_pack("{s:s%, s:s, s:s, s:b, s:I, s:I, s:I}", "branch",
			      (char *)v.mv_data + 17, v.mv_size - 17, "key", hex, "node",
			      origin ? oid : "", "revoked", ((uint8_t *)v.mv_data)[8] != 0,
			      "last_contact_ms", (json_int_t)kt_hub_contact(&h, txn, k.mv_data),
			      "acked_seq", (json_int_t)seq, "pull_lag",
			      (json_int_t)(head - kt_hub_pulled(&h, txn, origin)));
		json_object_set_new(o, "clock_ahead_changes", json_integer((json_int_t)ahead));
		json_object_set_new(o, "damaged_from_seq",
				    json_integer((json_int_t)kt_hub_damaged(&h, txn, origin)));
		json_object_set_new(o, "damaged_signatures",
				    json_integer((json_int_t)kt_hub_resign_count(&h, txn, origin)));
		json_array_append_new(arr, o);
	}
	mdb_cursor_close(cur);
	close_reading(&h, txn);
	if (json) {
		o = json_pack("{s:I, s:I, s:o}", "head", (json_int_t)head, "merge_lag",
			      (json_int_t)lag, "branches", arr);
		print_json(o);
		json_decref(o);
		return 0;
	}
	printf("hub head: %llu (merged: %llu behind)\n", (unsigned long long)head,
	       (unsigned long long)lag);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *b = json_array_get(arr, i);

		time_t t = (time_t)(json_integer_value(json_object_get(b, "last_contact_ms")) / 1000);
		char when[64] = "never";

		if (t > 0)
			kt_when_text((int64_t)t, when, sizeof(when)); /* the hub machine's zone */
		char cell[4 * 16 + 16];

		const char *bn = json_string_value(json_object_get(b, "branch"));

		kt_text_cell(bn != NULL ? bn : "", 16, cell, sizeof(cell)); /* by display columns */
		printf("%s node %-16s acked seq %-8lld pull lag %-8lld last contact %s%s\n", cell,
		       json_string_value(json_object_get(b, "node")),
		       (long long)json_integer_value(json_object_get(b, "acked_seq")),
		       (long long)json_integer_value(json_object_get(b, "pull_lag")), when,
		       json_is_true(json_object_get(b, "revoked")) ? "  REVOKED" : "");
		if (json_integer_value(json_object_get(b, "clock_ahead_changes")) > 0)
			printf("%-16s   %lld changes stamped more than %llu min past the hub's clock "
			       "(its PC's clock ran ahead; later edits still win over them)\n", "",
			       (long long)json_integer_value(json_object_get(b, "clock_ahead_changes")),
			       (unsigned long long)KT_HLC_DRIFT_MAX_MS / 60000);
		if (json_integer_value(json_object_get(b, "damaged_from_seq")) > 0)
			printf("%-16s   the hub's copy of its changes from seq %lld is damaged: they "
			       "go to the other branches withheld until this branch syncs and "
			       "sends them again\n", "",
			       (long long)json_integer_value(json_object_get(b, "damaged_from_seq")));
		if (json_integer_value(json_object_get(b, "damaged_signatures")) > 0)
			printf("%-16s   %lld of its pushes have a damaged signature at the hub: this "
			       "branch signs them again at its next sync\n", "",
			       (long long)json_integer_value(json_object_get(b, "damaged_signatures")));
	}
	json_decref(arr);
	return 0;
}

static void damage_line(void *ctx, uint64_t first, uint64_t last, uint64_t origin, uint64_t seq,
			const char *what)
{
	struct kt_hub *h = ctx;
	char br[KT_BRANCH_BYTES_MAX + 1];

	kt_hub_origin_branch(h, origin, br, sizeof(br));
	printf("damaged: hub seqs %llu-%llu, change %llu of branch %s (origin %016llx): %s\n",
	       (unsigned long long)first, (unsigned long long)last, (unsigned long long)seq, br,
	       (unsigned long long)origin, what);
}

/* Removes a backup folder that was not finished: what it holds, then itself. */
static void backup_undo(const char *out)
{
	static const char *const names[] = { "data.mdb", "lock.mdb", "hub.key", "hub.key.tmp" };
	char path[4200];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		unlink(path);
	}
	rmdir(out);
}

/* Whether path (made already) lies inside the folder dir. */
static int inside(const char *path, const char *dir)
{
	char rp[4096], rd[4096];
	size_t n;

	if (realpath(path, rp) == NULL || realpath(dir, rd) == NULL)
		return 0;
	n = strlen(rd);
	return strncmp(rp, rd, n) == 0 && (rp[n] == '/' || rp[n] == '\0');
}

static int cmd_backup(int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ NULL, 0, 0, 0 },
	};
	const char *dir;
	int c;
	struct kt_hub h;
	struct kt_err err;
	struct statvfs fs;
	MDB_envinfo info;
	MDB_stat stat;
	char key[4200], text[512], out_key[4200];
	const char *out = NULL;
	uint64_t need;
	int rc;

	parse("backup", "usage: kt-hub -d DIR backup --out DIR2\n\nWrites a whole copy "
		 "of the hub into the new folder DIR2: its store, compacted,\nas one consistent "
		 "snapshot (the hub may be running), and its key.  The store is\nread whole first; "
		 "a damaged one is not copied.  To restore: stop the hub, move\nDIR aside, move "
		 "DIR2 in its place, start the hub; each branch sends again what\nit wrote since.\n"
		 "example: kt-hub -d HUB backup --out /backup/hub-2026-12-03\n", tab, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'o':
			/* A value that looks like an option is a forgotten folder. */
			if (opts.arg[0] == '\0' || opts.arg[0] == '-')
				return fail("backup: --out needs a folder to make (--out DIR2)");
			out = opts.arg;
			break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (out == NULL)
		return fail("backup: say where: --out DIR2 (a new folder)");
	if (structure_whole(dir, "backup") != 0)
		return 1;
	if (mkdir(out, 0700) != 0) {
		int e = errno;

		if (e == EEXIST)
			return fail("backup: %s exists already: name a new folder", out);
		if (e == ENOENT)
			return fail("backup: cannot make %s: the folder it goes in does not exist", out);
		if (e == ENOSPC || e == EDQUOT)
			return fail("backup: disk full where %s goes: free space and run again", out);
		return fail("backup: cannot make the folder %s: %s", out, strerror(e));
	}
	if (inside(out, dir)) {
		rmdir(out);
		return fail("backup: %s is inside the hub's folder %s: put the backup elsewhere "
			    "(another disk, ideally)", out, dir);
	}
	snprintf(key, sizeof(key), "%s/hub.key", dir);
	snprintf(out_key, sizeof(out_key), "%s/hub.key", out);
	if (kt_hub_open(&h, dir, &err) != 0) {
		backup_undo(out);
		return fail("%s", err.msg);
	}
	/* Room first: the copy holds at most the pages in use, and a margin. */
	need = mdb_env_info(h.st.env, &info) == 0 && mdb_env_stat(h.st.env, &stat) == 0 ?
	       ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize + (1u << 20) : 0;
	if (statvfs(out, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < need) {
		kt_hub_close(&h);
		backup_undo(out);
		return fail("backup: disk full in %s: the copy needs up to %.1f MiB, %.1f MiB are "
			    "free: free space and run again", out, need / 1048576.0,
			    (double)fs.f_bavail * fs.f_frsize / 1048576.0);
	}
	rc = mdb_env_copy2(h.st.env, out, MDB_CP_COMPACT);
	kt_hub_close(&h);
	if (rc != 0) {
		backup_undo(out);
		if (rc == ENOSPC || rc == EDQUOT)
			return fail("backup: disk full in %s: free space and run again", out);
		return fail("backup: cannot write the copy into %s: %s (nothing was kept there)",
			    out, mdb_strerror(rc));
	}
	if (kt_secret_read(key, text, sizeof(text), &err) != 0 ||
	    kt_secret_write(out_key, text, &err) != 0) {
		sodium_memzero(text, sizeof(text));
		backup_undo(out);
		return fail("backup: the hub's key: %s", err.msg);
	}
	sodium_memzero(text, sizeof(text));
	snprintf(out_key, sizeof(out_key), "%s/data.mdb", out);
	if (chmod(out_key, 0600) != 0) {
		backup_undo(out);
		return fail("backup: cannot make %s private: %s", out_key, strerror(errno));
	}
	{
		char msg[300];

		if (kt_store_walk(out, msg, sizeof(msg)) != 0) {
			backup_undo(out);
			return fail("backup: the copy written into %s does not read back whole (%s): "
				    "nothing was kept; check that disk", out, msg);
		}
	}
	printf("backed up the hub into %s\n", out);
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *dir;
	int c;
	struct kt_hub h;
	struct kt_err err;
	char scratch[4200];
	uint64_t pushes;
	int bad, same = 0, rc;

	parse("verify", "usage: kt-hub -d DIR verify\n\nChecks the hub's store: every "
		 "stored change against its hash chain and its branch's\nsignature, and the merged "
		 "state against the log (derived again in a scratch\nstore beside DIR).  Prints each "
		 "damaged push; a damaged change is sent\nagain by its branch at its next sync.  "
		 "Exits 1 when anything is damaged.\nexample: kt-hub -d HUB verify\n", NULL, argc,
	      argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		;
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (structure_whole(dir, "verify") != 0)
		return 1;
	if (kt_hub_open(&h, dir, &err) != 0)
		return fail("%s", err.msg);
	if ((rc = kt_hub_mend_pushes(&h, &err)) > 0)
		printf("mended: %d damaged entr%s of the push records or the hash chain, from the "
		       "log\n", rc, rc == 1 ? "y" : "ies");
	if ((bad = kt_hub_verify(&h, &pushes, damage_line, &h, &err)) < 0) {
		kt_hub_close(&h);
		return fail("verify: %s", err.msg);
	}
	if ((rc = kt_hub_chain_check_mend(&h, &err)) > 0)
		printf("mended: %d damaged cop%s of the chain's check value, from the whole one\n", rc,
		       rc == 1 ? "y" : "ies");
	else if (rc < 0 || kt_hub_chain_check(&h, (uint8_t[KT_CHAIN_CHECK_BYTES]){ 0 }) < 0) {
		printf("damaged: both copies of the chain's check value (restore the hub from a "
		       "backup)\n");
		bad++;
	}
	snprintf(scratch, sizeof(scratch), "%s.verify-XXXXXX", dir);
	if (bad == 0 && mkdtemp(scratch) != NULL) {
		char cmd[8500];

		rc = kt_hub_verify_state(&h, scratch, &same, &err);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "kt-hub: verify: could not remove %s\n", scratch);
		if (rc != 0) {
			kt_hub_close(&h);
			if (err.code == KT_ENOSPC)
				return fail("verify: every push is whole, but the merged state could not "
					    "be checked: it needs room for a scratch copy beside %s: %s",
					    dir, err.msg);
			return fail("verify: %s", err.msg);
		}
	} else if (bad == 0) {
		int saved = errno;

		kt_hub_close(&h);
		return fail("verify: every push is whole, but the merged state could not be "
			    "checked: cannot make a scratch folder beside %s: %s", dir,
			    saved == ENOSPC || saved == EDQUOT ? "disk full: free space and run again"
							       : strerror(saved));
	}
	kt_hub_close(&h);
	if (bad > 0)
		return fail("verify: %d of %llu pushes are damaged: each is sent withheld (every "
			    "later change goes on) until its branch syncs and sends it again", bad, (unsigned long long)pushes);
	if (!same)
		return fail("verify: the merged state does not match the log: stop the hub and run "
			    "kt-hub -d DIR rebuild");
	printf("verified %llu pushes: every change matches its hash chain and signature, and the "
	       "merged state matches the log\n", (unsigned long long)pushes);
	return 0;
}

static int cmd_rebuild(int argc, char **argv)
{
	struct kt_hub h;
	struct kt_err err;
	const char *dir;
	int c, rc;

	parse("rebuild", "usage: kt-hub -d DIR rebuild\n\nDerives the merged state (winning "
	      "versions, conflicts, duplicate tokens)\nagain from the log, after `kt-hub verify` "
	      "found it damaged.  Stop the hub first.\nexample: kt-hub -d HUB rebuild\n", NULL,
	      argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		;
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (kt_hub_open(&h, dir, &err) != 0)
		return fail("%s", err.msg);
	if (kt_hub_rebuild(&h, &err) != 0) {
		kt_hub_close(&h);
		return fail("rebuild: %s", err.msg);
	}
	kt_hub_close(&h);
	printf("the merged state is derived again from the log\n");
	return 0;
}

static int cmd_digest(int argc, char **argv)
{
	struct kt_hub h;
	struct kt_err err;
	uint8_t d[KT_HASH_BYTES];
	char hex[2 * KT_HASH_BYTES + 1];
	const char *dir;
	int json = 0, c, rc;

	parse("digest", "usage: kt-hub -d DIR digest [--json]\n\nThe digest of the merged state; "
	      "every converged node prints the same.\n--json prints {\"digest\": \"<hex>\"}.\n"
	      "example: kt-hub -d HUB digest\n", json_only, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'j': json = 1; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (kt_hub_open(&h, dir, &err) != 0 || kt_hub_digest(&h, d, &err) != 0)
		return fail("%s", err.msg);
	kt_hub_close(&h);
	kt_hex(hex, d, KT_HASH_BYTES);
	if (json) {
		json_t *j = json_pack("{s:s}", "digest", hex);

		json_dumpf(j, stdout, JSON_SORT_KEYS | JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		printf("%s\n", hex);
	}
	return 0;
}

static int cmd_revoke(int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "key", KT_OPT_VALUE, 'k', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_hub h;
	struct kt_err err;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int n = 0, rc, c, by_key = 0;
	const char *dir, *who = NULL;

	parse("revoke", "usage: kt-hub -d DIR revoke (--branch NAME | --key KEY)\n\n"
	      "Refuses the node from its next connection on.\n"
	      "example: kt-hub -d HUB revoke --branch North\n", tab, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'b': case 'k':
			if (who != NULL)
				return fail("revoke: usage: revoke (--branch NAME | --key KEY)");
			by_key = c == 'k';
			who = opts.arg;
			break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (who == NULL)
		return fail("revoke: usage: revoke (--branch NAME | --key KEY)");
	if (kt_hub_open(&h, dir, &err) != 0 || kt_txn_begin(h.st.env, 0, &txn) != 0)
		return fail("%s", err.msg);
	mdb_cursor_open(txn, h.st.members, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char hex[65];
		uint8_t rec[17 + KT_BRANCH_BYTES_MAX];

		kt_hex(hex, k.mv_data, 32);
		if (v.mv_size < 17 || v.mv_size > sizeof(rec) ||
		    (by_key ? strcmp(hex, who) != 0
		     : (strlen(who) != v.mv_size - 17 ||
			memcmp(who, (char *)v.mv_data + 17, v.mv_size - 17) != 0)))
			continue;
		memcpy(rec, v.mv_data, v.mv_size);
		rec[8] = 1;
		v.mv_data = rec;
		if (mdb_cursor_put(cur, &k, &v, MDB_CURRENT) == 0)
			n++;
	}
	mdb_cursor_close(cur);
	rc = n > 0 ? kt_txn_commit(txn) : (mdb_txn_abort(txn), 0);
	kt_hub_close(&h);
	if (n == 0)
		return fail("revoke: no enrolled node matches '%s'", who);
	if (rc != 0)
		return fail("revoke: %s", mdb_strerror(rc));
	printf("revoked %d node%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* The branch name of a node id, from the members (or the id in hex). */
static void branch_of(struct kt_hub *h, MDB_txn *txn, uint64_t origin, char *out, size_t cap)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	snprintf(out, cap, "%016llx", (unsigned long long)origin);
	mdb_cursor_open(txn, h->st.members, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (v.mv_size > 17 && kt_be64_get(v.mv_data) == origin) {
			snprintf(out, cap, "%.*s", (int)(v.mv_size - 17), (char *)v.mv_data + 17);
			break;
		}
	mdb_cursor_close(cur);
}

static json_t *conflict_side(struct kt_hub *h, MDB_txn *txn, const uint8_t *ver)
{
	struct kt_version v;
	char branch[80], when[64];

	kt_version_get(&v, ver);
	branch_of(h, txn, v.origin, branch, sizeof(branch));
	kt_when_text((int64_t)(kt_hlc_ms(v.hlc) / 1000), when, sizeof(when));
	return json_pack("{s:s, s:s}", "branch", branch, "time", when);
}

static int cmd_conflicts(int argc, char **argv)
{
	int json = 0, rc, c;
	struct kt_hub h;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	json_t *arr;
	const char *dir;

	parse("conflicts", "usage: kt-hub -d DIR conflicts [--json]\n\nFields two branches "
	      "wrote without seeing each other, by record and field, with\nboth branches and "
	      "times (values stay encrypted: see them with kt-node conflicts).\n"
	      "example: kt-hub -d HUB conflicts --json\n", json_only, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'j': json = 1; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (open_reading(dir, &h, &txn, 1) != 0)
		return 1;
	arr = json_array();
	mdb_cursor_open(txn, h.st.conflicts, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *key = k.mv_data;
		struct kt_id id;
		struct kt_rec r;
		char idt[KT_ID_TEXT_BYTES], fname[16];
		const struct kt_field *f;

		if (k.mv_size != KT_ID_BYTES + 2 + 32)
			continue;
		memcpy(id.b, key, KT_ID_BYTES);
		kt_rec_init(&r);
		kt_store_load(&h.st, txn, &id, &r, NULL);
		f = kt_schema_field(r.type, kt_be16_get(key + KT_ID_BYTES));
		snprintf(fname, sizeof(fname), "f%u", kt_be16_get(key + KT_ID_BYTES));
		kt_id_format(&id, idt);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:[o, o]}", "kind", "field", "record", idt,
			"type", kt_schema_type_name(r.type), "field", f ? f->name : fname, "versions",
			conflict_side(&h, txn, key + KT_ID_BYTES + 2),
			conflict_side(&h, txn, key + KT_ID_BYTES + 18)));
		kt_rec_release(&r);
	}
	mdb_cursor_close(cur);
	kt_store_merge_cycles(&h.st, txn, kt_card_cycle_json, arr, NULL);
	close_reading(&h, txn);
	if (json) {
		print_json(arr);
	} else {
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *c = json_array_get(arr, i), *vs = json_object_get(c, "versions");

			if (json_object_get(c, "stands") != NULL) {
				printf("cards merged into each other at branches at once: %s stands, "
				       "%zu cards in the cycle (review at a branch: kt-node conflicts)\n",
				       json_string_value(json_object_get(c, "stands")),
				       json_array_size(json_object_get(c, "cards")));
				continue;
			}

			printf("%s %s.%s: %s (%s) won over %s (%s)\n",
			       json_string_value(json_object_get(c, "record")),
			       json_string_value(json_object_get(c, "type")),
			       json_string_value(json_object_get(c, "field")),
			       json_string_value(json_object_get(json_array_get(vs, 1), "branch")),
			       json_string_value(json_object_get(json_array_get(vs, 1), "time")),
			       json_string_value(json_object_get(json_array_get(vs, 0), "branch")),
			       json_string_value(json_object_get(json_array_get(vs, 0), "time")));
		}
	}
	json_decref(arr);
	return 0;
}

/* One card of a duplicate pair: its id and the branch that last wrote its name. */
static json_t *dup_side(struct kt_hub *h, MDB_txn *txn, const struct kt_id *id)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, 1, NULL), k }, v;
	struct kt_version ver = { 0, 0 };
	char idt[KT_ID_TEXT_BYTES], branch[80] = "";

	if (mdb_get(txn, h->st.rec, &key, &v) == 0 && v.mv_size >= KT_VER_BYTES) {
		kt_version_get(&ver, v.mv_data);
		branch_of(h, txn, ver.origin, branch, sizeof(branch));
	}
	kt_id_format(id, idt);
	return json_pack("{s:s, s:s}", "id", idt, "branch", branch);
}

static int cmd_duplicates(int argc, char **argv)
{
	int json = 0, c, rc;
	struct kt_pair *p;
	struct kt_hub h;
	MDB_txn *txn;
	json_t *arr;
	size_t n;
	const char *dir;

	parse("duplicates", "usage: kt-hub -d DIR duplicates [--json]\n\nPairs of client cards "
	      "that carry the same phone or email, matched by blind\ntokens (the hub never sees "
	      "either): their ids and the branch that wrote each\ncard's name.  A branch joins "
	      "them with kt-node client merge.\n"
	      "example: kt-hub -d HUB duplicates --json\n", json_only, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'j': json = 1; break;
		}
	if ((dir = parsed(c, &rc)) == NULL)
		return rc;
	if (open_reading(dir, &h, &txn, 1) != 0)
		return 1;
	arr = json_array();
	n = kt_store_duplicates(&h.st, txn, &p);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o}", "a", dup_side(&h, txn, &p[i].a),
						     "b", dup_side(&h, txn, &p[i].b)));
	free(p);
	close_reading(&h, txn);
	if (json) {
		print_json(arr);
	} else {
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *a = json_object_get(json_array_get(arr, i), "a");
			json_t *b = json_object_get(json_array_get(arr, i), "b");

			printf("%s (%s)  <->  %s (%s)\n", json_string_value(json_object_get(a, "id")),
			       json_string_value(json_object_get(a, "branch")),
			       json_string_value(json_object_get(b, "id")),
			       json_string_value(json_object_get(b, "branch")));
		}
	}
	json_decref(arr);
	return 0;
}

/*
 * Ctrl-C, a kill or a closed terminal stop a reading command (verify,
 * digest, status...) at its next push or change: it ends its read, so its
 * reader slot is free at once, and exits 130; a second signal ends it at
 * once.  `run` sets its own handlers.
 */
static void on_interrupt(int sig)
{
	if (kt_interrupted)
		_exit(128 + sig);
	kt_interrupted = 1;
}

int main(int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "version", KT_OPT_FLAG, 'v', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct sigaction sa;
	int rc, c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	kt_crypto_init();
	hub_dir = getenv("KT_HUB_DIR");
	kt_opts_init(&opts, "kt-hub", &hub_dir);
	kt_opts_start_program(&opts, usage, tab, argc, argv);
	while ((c = kt_opts_next(&opts)) >= 0)
		switch (c) {
		case 'v': return printf("kt-hub 0.1.0\n"), 0;
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (opts.nargs == 0)
		return fputs(usage, stderr), 2;
	/* The command's words: argv[0] is its name; each command reads its own options. */
	argc = opts.nargs;
	argv = opts.args;
	if (!strcmp(argv[0], "init"))
		return cmd_init(argc, argv);
	if (!strcmp(argv[0], "enroll"))
		return cmd_enroll(argc, argv);
	if (!strcmp(argv[0], "run"))
		return cmd_run(argc, argv);
	if (!strcmp(argv[0], "status"))
		return cmd_status(argc, argv);
	if (!strcmp(argv[0], "digest")) {
		rc = cmd_digest(argc, argv);
		return kt_interrupted && rc != 0 ? 130 : rc; /* done before the signal: done */
	}
	if (!strcmp(argv[0], "verify")) {
		rc = cmd_verify(argc, argv);
		return kt_interrupted && rc != 0 ? 130 : rc; /* done before the signal: done */
	}
	if (!strcmp(argv[0], "rebuild"))
		return cmd_rebuild(argc, argv);
	if (!strcmp(argv[0], "backup"))
		return cmd_backup(argc, argv);
	if (!strcmp(argv[0], "revoke"))
		return cmd_revoke(argc, argv);
	if (!strcmp(argv[0], "conflicts"))
		return cmd_conflicts(argc, argv);
	if (!strcmp(argv[0], "duplicates"))
		return cmd_duplicates(argc, argv);
	return fail("unknown command '%s' (see kt-hub --help)", argv[0]);
}
