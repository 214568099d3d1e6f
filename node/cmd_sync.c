/*
 * cmd_sync.c - joining a chain and talking to its hub: join, invite, sync.
 * The ZeroMQ edge around sync.c's state machine.
 */
#include "cli.h"
#include "seal.h"
#include "sync.h"
#include "hlc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

static int meta_set_text(struct kt_cli *cli, const char *name, const char *value)
{
	int rc = kt_meta_save(&cli->st, name, value, strlen(value));

	if (rc != 0) {
		kt_mdb_err(&cli->err, rc, "write");
		return kt_cli_fail(cli);
	}
	return 0;
}

static int meta_get_text(struct kt_cli *cli, const char *name, char *out, size_t cap)
{
	MDB_txn *txn;
	int rc;

	out[0] = '\0';
	if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
		return -1;
	rc = kt_meta_text(&cli->st, txn, name, out, cap);
	mdb_txn_abort(txn);
	return rc == 0 ? 0 : -1;
}

/* The node's own public key in hex. */
static int own_key(struct kt_cli *cli, char hex[65], uint8_t cpk_raw[32], uint8_t csk_raw[32])
{
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41];

	if (kt_identity_read(cli->dir, "node.key", pk, sk, cpk, csk, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_hex(hex, pk, 32);
	if (cpk_raw != NULL)
		zmq_z85_decode(cpk_raw, cpk);
	if (csk_raw != NULL)
		zmq_z85_decode(csk_raw, csk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	return 0;
}

static const char invite_usage[] =
	"usage: kt-node -d DIR invite --key NODE_KEY --out FILE\n"
	"\n"
	"Seals this node's chain key to another node's public key (crypto_box_seal),\n"
	"so that node can join the chain and read its cards.  Only that node can open it.\n"
	"example: kt-node -d A invite --key \"$(kt-node -d B key)\" --out b.invite\n";

int cmd_invite(struct kt_cli *cli, int argc, char **argv)
{
	const char *key = NULL, *out = NULL;
	uint8_t ed[32], cpk[32], sealed[KT_KEY_BYTES + crypto_box_SEALBYTES];
	char hex[2 * sizeof(sealed) + 1];
	static const struct kt_opt opts[] = {
		{ "key", KT_OPT_VALUE, 'k', 0 },
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "invite", invite_usage, opts, argc, argv);
	json_t *o;
	int rc, c;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case 'k': key = op->arg; break;
		case 'o': out = op->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (key == NULL || out == NULL)
		return kt_cli_failf("invite: --key NODE_KEY and --out FILE are required");
	if (kt_unhex(ed, 32, key) != 0 || crypto_sign_ed25519_pk_to_curve25519(cpk, ed) != 0)
		return kt_cli_failf("invite: bad key '%.70s' (want the 64 hex digits of `kt-node key`)",
				    key);
	if (kt_cli_act(cli, "invite", KT_CAN_NODE))
		return 1;
	crypto_box_seal(sealed, cli->st.chain_key, KT_KEY_BYTES, cpk);
	kt_hex(hex, sealed, sizeof(sealed));
	o = json_pack("{s:s, s:i, s:s, s:s}", "format", "kartoteka-invite", "version", 1, "for",
		      key, "sealed_chain_key", hex);
	rc = json_dump_file(o, out, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(o);
	if (rc != 0)
		return kt_cli_failf("invite: cannot write '%s'", out);
	return 0;
}

static const char join_usage[] =
	"usage: kt-node -d DIR join BUNDLE_FILE [--invite INVITE_FILE]\n"
	"\n"
	"Joins the chain of the hub that wrote BUNDLE_FILE (kt-hub enroll).  The first\n"
	"node of a chain joins without an invite: its chain key founds the chain.  Every\n"
	"other node joins with the invite an existing node made for it (kt-node invite),\n"
	"which carries the chain key sealed to this node.  Cards this node made before\n"
	"it joined are kept: they are re-sealed under the chain key and replicate.\n"
	"example: kt-node -d B join b.bundle --invite b.invite\n";

/* Opens the invite at path, made for this node's key `own`, into key. */
static int open_invite(struct kt_cli *cli, const char *path, const char *own,
		       uint8_t key[KT_KEY_BYTES])
{
	uint8_t cpk[32], csk[32], sealed[KT_KEY_BYTES + crypto_box_SEALBYTES];
	char hex[65];
	json_error_t je;
	json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	const char *forwho = json_string_value(json_object_get(o, "for"));
	const char *s = json_string_value(json_object_get(o, "sealed_chain_key"));

	if (o == NULL || forwho == NULL || s == NULL ||
	    kt_unhex(sealed, sizeof(sealed), s) != 0) {
		json_decref(o);
		return kt_cli_failf("join: '%s' is not an invite", path);
	}
	if (strcmp(forwho, own) != 0 || own_key(cli, hex, cpk, csk) != 0) {
		json_decref(o);
		return kt_cli_failf("join: '%s' is an invite for another node", path);
	}
	json_decref(o);
	if (crypto_box_seal_open(key, sealed, sizeof(sealed), cpk, csk) != 0) {
		sodium_memzero(csk, sizeof(csk));
		return kt_cli_failf("join: the invite does not open with this node's key");
	}
	sodium_memzero(csk, sizeof(csk));
	return 0;
}

/*
 * Takes the chain's key: the node's own cards, if any, are re-sealed under
 * it (kt_store_rekey) between writing chain.key.new and renaming it over
 * chain.key, so a crash at any point leaves a store and a key that match.
 */
static int take_chain_key(struct kt_cli *cli, const uint8_t key[KT_KEY_BYTES])
{
	char tmp[4200], dst[4200], text[80];
	int rc = 1;

	kt_hex(text, key, KT_KEY_BYTES);
	strcat(text, "\n");
	snprintf(tmp, sizeof(tmp), "%s/chain.key.new", cli->dir);
	snprintf(dst, sizeof(dst), "%s/chain.key", cli->dir);
	unlink(tmp);
	/* Sealed as chain.key is, under the unlock that opened it (common/seal.h). */
	if (kt_secret_write_like(tmp, text, dst, &cli->err) != 0) {
		sodium_memzero(text, sizeof(text));
		return kt_cli_fail(cli);
	}
	sodium_memzero(text, sizeof(text));
	if (kt_store_rekey(&cli->st, key, &cli->err) != 0) {
		unlink(tmp);
		return kt_cli_fail(cli);
	}
	if (rename(tmp, dst) == 0)
		rc = 0;
	return rc ? kt_cli_failf("join: cannot replace the chain key (run any command to finish)")
		  : 0;
}

int cmd_join(struct kt_cli *cli, int argc, char **argv)
{
	const char *bundle = NULL, *invite = NULL, *hub, *hub_key, *for_key;
	char own[65];
	json_error_t je;
	static const struct kt_opt opts[] = {
		{ "invite", KT_OPT_VALUE, 'i', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "join", join_usage, opts, argc, argv);
	json_t *o;
	struct kt_store_info info;
	int c;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case 'i': invite = op->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 1, NULL))
		return kt_opts_exit(c);
	if (op->nargs == 1)
		bundle = op->args[0];
	if (bundle == NULL)
		return kt_cli_failf("join: which bundle? (join BUNDLE_FILE)");
	if (kt_cli_act(cli, "join", KT_CAN_NODE) || own_key(cli, own, NULL, NULL))
		return 1;
	if ((o = json_load_file(bundle, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return kt_cli_failf("join: cannot read '%s': %s", bundle, je.text);
	hub = json_string_value(json_object_get(o, "hub"));
	hub_key = json_string_value(json_object_get(o, "hub_key"));
	for_key = json_string_value(json_object_get(o, "node_key"));
	if (hub == NULL || hub_key == NULL || strlen(hub_key) != 40 || for_key == NULL) {
		json_decref(o);
		return kt_cli_failf("join: '%s' is not a hub bundle", bundle);
	}
	if (strcmp(for_key, own) != 0) {
		json_decref(o);
		return kt_cli_failf("join: '%s' was made for another node's key", bundle);
	}
	if (invite == NULL && json_is_true(json_object_get(o, "founded"))) {
		kt_cli_failf("join: the chain of %s has its chain key already: ask a branch of the "
			     "chain for an invite (kt-node invite) and join with --invite FILE", hub);
		json_decref(o); /* it owns hub */
		return 1;
	}
	if (invite != NULL) {
		uint8_t key[KT_KEY_BYTES];
		const char *check;
		int rc;

		if (kt_store_info(&cli->st, &info, NULL) == 0 && info.changes > 0)
			printf("re-keying this node's %llu changes under the chain's key\n",
			       (unsigned long long)info.changes);
		rc = open_invite(cli, invite, own, key);
		if (rc == 0 && (check = json_string_value(json_object_get(o, "chain_check"))) != NULL) {
			uint8_t want[KT_CHAIN_CHECK_BYTES], got[KT_CHAIN_CHECK_BYTES];

			kt_chain_check(got, key);
			if (kt_unhex(want, sizeof(want), check) != 0 ||
			    memcmp(want, got, sizeof(got)) != 0)
				rc = kt_cli_failf("join: the invite '%s' carries the key of another "
						  "chain than the one of %s: ask a branch of this "
						  "chain for an invite", invite, hub);
		}
		if (rc == 0)
			rc = take_chain_key(cli, key);
		sodium_memzero(key, sizeof(key));
		if (rc != 0) {
			json_decref(o);
			return 1;
		}
	}
	if (meta_set_text(cli, "hub", hub) || meta_set_text(cli, "hub_key", hub_key)) {
		json_decref(o);
		return 1;
	}
	printf("joined the chain of %s\n", hub);
	json_decref(o);
	return 0;
}

static const char sync_usage[] =
	"usage: kt-node -d DIR sync [--timeout SECONDS]\n"
	"\n"
	"One full push and pull with the hub: exits 0 when the hub holds every local\n"
	"change and this node has everything the hub had; non-zero, with one line,\n"
	"when the hub does not answer, or stops moving the exchange on, for SECONDS\n"
	"(default 10).  A first catch-up takes as long as it needs and shows its\n"
	"progress on a terminal; interrupted (Ctrl-C), it resumes where it stopped.\n"
	"Local work is never affected.\n"
	"example: kt-node -d DIR sync --timeout 30\n";

static void *refusal_monitor(void *ctx, void *d);

/*
 * A DEALER connected to the hub with this node's CURVE keys, and in *mon
 * (NULL when it cannot be made) the monitor of its handshakes, attached
 * before it connects so no event of the first connection is missed.
 */
static void *dealer_open(struct kt_cli *cli, void *ctx, const char *hub, const char *hub_key,
			 void **mon)
{
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41];
	int linger = 0;
	int64_t maxmsg = KT_MSG_BYTES_MAX;
	void *d;

	*mon = NULL;
	if (kt_identity_read(cli->dir, "node.key", pk, sk, cpk, csk, &cli->err) != 0) {
		kt_cli_fail(cli);
		return NULL;
	}
	d = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, hub_key, 40);
	zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, cpk, 40);
	zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, csk, 40);
	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(d, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	*mon = refusal_monitor(ctx, d);
	if (zmq_connect(d, hub) != 0) {
		kt_cli_failf("sync: cannot connect to %s: %s", hub, zmq_strerror(zmq_errno()));
		if (*mon != NULL)
			zmq_close(*mon);
		*mon = NULL;
		zmq_close(d);
		return NULL;
	}
	return d;
}

/*
 * A PAIR socket that hears the dealer's connections and handshakes (libzmq's
 * socket monitor), so sync can say the hub refused this node's key, or that
 * the hub answers but the secure handshake never completes (its key is not
 * the one in this node's bundle), instead of only "did not answer"; NULL
 * when the monitor cannot be made (then only the plain timeout line is
 * given).
 */
#define SEEN_REFUSED 1    /* the hub's ZAP handler refused this node's key */
#define SEEN_CONNECTED 2  /* a TCP connection to the hub was made */
#define SEEN_SECURED 4    /* a CURVE handshake completed */
static void *refusal_monitor(void *ctx, void *d)
{
	static unsigned serial; /* one endpoint per dealer: the daemon makes new ones */
	char ep[64];
	void *m;

	snprintf(ep, sizeof(ep), "inproc://kt-sync-monitor-%u", serial++);
	if (zmq_socket_monitor(d, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_CONNECTED |
				      ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
		return NULL;
	if ((m = zmq_socket(ctx, ZMQ_PAIR)) == NULL)
		return NULL;
	if (zmq_connect(m, ep) != 0) {
		zmq_close(m);
		return NULL;
	}
	return m;
}

/* What the monitor m reported since it was last read: SEEN_* bits. */
static int seen_events(void *m)
{
	int seen = 0;
	zmq_msg_t ev;

	while (m != NULL) {
		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, m, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&ev);
			break;
		}
		if (zmq_msg_size(&ev) >= 2) {
			uint16_t event;

			memcpy(&event, zmq_msg_data(&ev), 2);
			if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
			    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
				seen |= SEEN_REFUSED;
			else if (event == ZMQ_EVENT_CONNECTED)
				seen |= SEEN_CONNECTED;
			else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
				seen |= SEEN_SECURED;
		}
		if (zmq_msg_more(&ev)) { /* the second frame: the endpoint */
			zmq_msg_close(&ev);
			zmq_msg_init(&ev);
			zmq_msg_recv(&ev, m, ZMQ_DONTWAIT);
		}
		zmq_msg_close(&ev);
	}
	return seen;
}

static void send_out(void *d, struct kt_sync_out *o)
{
	/*
	 * Never blocks: a DEALER whose only connection was refused (a revoked
	 * key) has no pipe left and a blocking send would wait for ever; a
	 * message not sent now is sent again by the resend timer.
	 */
	for (uint32_t i = 0; i < o->n; i++)
		zmq_send(d, o->msg[i].data, o->msg[i].size, ZMQ_DONTWAIT);
	o->n = 0;
}

/*
 * The sync machine found itself broken (KT_SYNC_EBROKEN: a bug of ours, not
 * the hub's bytes): one line, and the process ends there, writing nothing
 * more (not even what kt_sync_release would save).
 */
static void stop_if_broken(struct kt_cli *cli, const char *cmd)
{
	if (cli->err.code != KT_SYNC_EBROKEN)
		return;
	fprintf(stderr, "kt-node: %s: %s\n", cmd, cli->err.msg);
	exit(1);
}

/*
 * A long exchange (a first catch-up) shows how far it is on a terminal, a
 * few times a second once it has taken a second; the line is wiped at the end.
 */
static void progress(const struct kt_sync *s, uint64_t start_ms, uint64_t *shown_ms, int done)
{
	uint64_t now = kt_wall_ms();

	if (!isatty(STDERR_FILENO) || (!done && (now - start_ms < 1000 || now - *shown_ms < 250)))
		return;
	if (done) {
		if (*shown_ms != 0)
			fprintf(stderr, "\r\033[K");
		return;
	}
	*shown_ms = now;
	fprintf(stderr, "\rsync: %llu of %llu changes of the chain here (%.0f%%)\033[K",
		(unsigned long long)s->cursor, (unsigned long long)s->head,
		s->head ? 100.0 * (double)s->cursor / (double)s->head : 100.0);
}

/*
 * Talks to the hub until idle; returns 0 then, 1 when timeout_ms passed
 * without the hub answering or the exchange moving on (the cursor or what
 * the hub acknowledged), 2 when what the hub sent could not be taken (the
 * reason in cli->err; nothing of it was applied).
 */
static int converse(struct kt_cli *cli, void *d, void *mon, struct kt_sync *s,
		    uint64_t timeout_ms, int *was_refused)
{
	struct kt_sync_out out;
	uint64_t start = kt_wall_ms(), deadline = start + timeout_ms, shown = 0;
	uint64_t cursor = s->cursor, acked = s->acked;
	int rc = 1;

	kt_sync_out_init(&out);
	kt_sync_connect(s, kt_wall_ms(), &out);
	send_out(d, &out);
	/* Bounded: every timeout_ms the exchange moves on, or it ends. */
	while (kt_wall_ms() < deadline && !kt_interrupted) {
		zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
		zmq_msg_t m;

		if (zmq_poll(&it, 1, 100) > 0 && (it.revents & ZMQ_POLLIN)) {
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, d, 0) >= 0 &&
			    kt_sync_handle(s, zmq_msg_data(&m), zmq_msg_size(&m), kt_wall_ms(), &out,
					   &cli->err) != 0) {
				stop_if_broken(cli, "sync");
				zmq_msg_close(&m);
				send_out(d, &out); /* what the hub should still hear (a fork shown) */
				rc = 2; /* what the hub sent cannot be taken: asking again will not help */
				break;
			}
			zmq_msg_close(&m);
		} else if (kt_sync_tick(s, kt_wall_ms(), &out, &cli->err) != 0) {
			stop_if_broken(cli, "sync");
			fprintf(stderr, "kt-node: sync: %s\n", cli->err.msg);
		}
		send_out(d, &out);
		if (kt_sync_idle(s)) {
			rc = 0;
			break;
		}
		if (s->cursor != cursor || s->acked != acked) {
			cursor = s->cursor;
			acked = s->acked;
			deadline = kt_wall_ms() + timeout_ms;
		}
		progress(s, start, &shown, 0);
		if ((*was_refused |= seen_events(mon)) & SEEN_REFUSED)
			break; /* asking again will be refused again */
	}
	progress(s, start, &shown, 1);
	kt_sync_out_release(&out);
	return rc;
}

int cmd_sync(struct kt_cli *cli, int argc, char **argv)
{
	char hub[256], hub_key[64];
	double timeout = 10;
	struct kt_sync s;
	void *ctx, *d, *mon;
	static const struct kt_opt opts[] = {
		{ "timeout", KT_OPT_VALUE, 't', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "sync", sync_usage, opts, argc, argv);
	int rc, was_refused = 0, c;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case 't': {
			const char *v = op->arg;
			char *end;

			timeout = strtod(v, &end);
			if (*v == '\0' || *end != '\0' || timeout <= 0 || timeout > 86400)
				return kt_cli_failf("sync: --timeout wants seconds, not '%s'", v);
			break;
		}
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli))
		return 1;
	if (meta_get_text(cli, "hub", hub, sizeof(hub)) != 0 ||
	    meta_get_text(cli, "hub_key", hub_key, sizeof(hub_key)) != 0)
		return kt_cli_failf("sync: this node has not joined a chain (kt-node join BUNDLE)");
	if (kt_sync_init(&s, &cli->st, &cli->err) != 0)
		return kt_cli_fail(cli);
	s.one_shot = 1;
	ctx = zmq_ctx_new();
	if ((d = dealer_open(cli, ctx, hub, hub_key, &mon)) == NULL) {
		zmq_ctx_term(ctx);
		kt_sync_release(&s);
		return 1;
	}
	rc = converse(cli, d, mon, &s, (uint64_t)(timeout * 1000), &was_refused);
	was_refused |= seen_events(mon);
	if (mon != NULL)
		zmq_close(mon);
	zmq_close(d);
	zmq_ctx_term(ctx);
	kt_sync_release(&s);
	if (s.ahead_ms > KT_HLC_DRIFT_MAX_MS)
		fprintf(stderr, "kt-node: sync: warning: this PC's clock ran ahead: its last change is "
			"stamped %llu min past the chain's time (the hub flags it; later edits "
			"elsewhere still win over it); writes now use the hub's time\n",
			(unsigned long long)(s.ahead_ms / 60000));
	if (rc == 2)
		return kt_cli_failf("sync: %s", cli->err.msg);
	if (rc != 0 && kt_interrupted)
		return kt_cli_failf("sync: interrupted; what was applied is kept, and the next "
				    "sync goes on from there");
	if (rc != 0 && (was_refused & (SEEN_CONNECTED | SEEN_SECURED | SEEN_REFUSED)) ==
		       SEEN_CONNECTED)
		return kt_cli_failf("sync: the hub at %s answers, but its key is not the one in this "
				    "node's bundle (a hub made again, or restored without its "
				    "hub.key): ask the chain's IT person for a new bundle (kt-hub "
				    "enroll) and run kt-node join with it; local work is unaffected",
				    hub);
	if (rc != 0 && (was_refused & SEEN_REFUSED))
		return kt_cli_failf("sync: the hub at %s refused this node's key (revoked, or not "
				    "enrolled there): ask the chain's IT person to enroll this node "
				    "again (kt-hub enroll, then kt-node join); local work is "
				    "unaffected", hub);
	if (rc != 0)
		return kt_cli_failf("sync: the hub at %s did not answer or move on for %.0f s "
				    "(unreachable, or refused this node); local work is unaffected",
				    hub, timeout);
	return 0;
}

static const char run_usage[] =
	"usage: kt-node -d DIR run\n"
	"\n"
	"Keeps this node in sync with its hub until SIGINT or SIGTERM: pushes local\n"
	"changes within 100 ms of their commit, pulls when the hub announces new\n"
	"changes, and reconnects with backoff (0.1 s doubling to 30 s) when the hub is\n"
	"gone.  Local reads and writes never wait for it.\n"
	"example: kt-node -d /var/lib/kartoteka run\n";

static volatile sig_atomic_t run_stop;

static void run_signal(int sig)
{
	(void)sig;
	run_stop = 1;
}

/*
 * A full disk pauses the daemon instead of failing every message: one line,
 * then nothing is taken from the hub for a pause that doubles from 5 s to
 * 5 min while the disk stays full (what came meanwhile is dropped: the hub
 * has it, and a new hello after the pause asks again).  Local reading and
 * the hub's copy are unaffected.
 */
#define RUN_FULL_PAUSE_MS 5000
#define RUN_FULL_PAUSE_MAX_MS 300000
static uint64_t paused_until, pause_ms;

static void run_error(struct kt_cli *cli)
{
	stop_if_broken(cli, "run");
	if (cli->err.code != KT_ENOSPC) {
		fprintf(stderr, "kt-node: run: %s\n", cli->err.msg);
		return;
	}
	pause_ms = pause_ms == 0 ? RUN_FULL_PAUSE_MS : pause_ms * 2 > RUN_FULL_PAUSE_MAX_MS ?
		   RUN_FULL_PAUSE_MAX_MS : pause_ms * 2;
	paused_until = kt_wall_ms() + pause_ms;
	fprintf(stderr, "kt-node: run: %s; syncing again in %llu s\n", cli->err.msg,
		(unsigned long long)pause_ms / 1000);
}

/* One wake-up of the daemon: a message from the hub, or a tick. */
static void run_step(struct kt_cli *cli, void *d, struct kt_sync *s, struct kt_sync_out *out)
{
	zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t m;
	int paused = paused_until != 0;

	if (paused && kt_wall_ms() >= paused_until) {
		paused_until = 0;
		paused = 0;
		kt_sync_connect(s, kt_wall_ms(), out); /* start over: the hub resends */
	}
	if (zmq_poll(&it, 1, 100) > 0 && (it.revents & ZMQ_POLLIN)) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, d, 0) >= 0 && !paused) {
			if (kt_sync_handle(s, zmq_msg_data(&m), zmq_msg_size(&m), kt_wall_ms(), out,
					   &cli->err) != 0)
				run_error(cli);
			else if (s->ready && paused_until == 0)
				pause_ms = 0; /* the disk took it: the next full disk pauses 5 s again */
		}
		zmq_msg_close(&m);
	}
	send_out(d, out);
	if (paused_until != 0)
		return;
	if (kt_sync_tick(s, kt_wall_ms(), out, &cli->err) != 0)
		run_error(cli);
	send_out(d, out);
}

int cmd_run(struct kt_cli *cli, int argc, char **argv)
{
	char hub[256], hub_key[64];
	struct kt_sync s;
	struct kt_sync_out out;
	int ivl = 100, ivl_max = 30000, backoff = 1000;
	void *ctx, *d, *mon;
	struct kt_opts *op = kt_cli_opts(cli, "run", run_usage, NULL, argc, argv);
	int c;

	while ((c = kt_opts_next(op)) >= 0)
		;
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli))
		return 1;
	if (meta_get_text(cli, "hub", hub, sizeof(hub)) != 0 ||
	    meta_get_text(cli, "hub_key", hub_key, sizeof(hub_key)) != 0)
		return kt_cli_failf("run: this node has not joined a chain (kt-node join BUNDLE)");
	if (kt_sync_init(&s, &cli->st, &cli->err) != 0)
		return kt_cli_fail(cli);
	signal(SIGINT, run_signal);
	signal(SIGTERM, run_signal);
	ctx = zmq_ctx_new();
	if ((d = dealer_open(cli, ctx, hub, hub_key, &mon)) == NULL) {
		zmq_ctx_term(ctx);
		return 1;
	}
	zmq_setsockopt(d, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(d, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max));
	fprintf(stderr, "kt-node: syncing with %s\n", hub);
	kt_sync_out_init(&out);
	kt_sync_connect(&s, kt_wall_ms(), &out);
	send_out(d, &out);
	/* The event loop: the one endless loop, until a signal. */
	while (!run_stop && !kt_interrupted) { /* a signal before run_signal was set: kt_interrupted */
		static uint64_t checked, unsecured_ms;
		static int told;
		uint64_t now = kt_wall_ms();
		int ev;

		run_step(cli, d, &s, &out);
		if (s.ready)
			backoff = 1000;
		ev = seen_events(mon);
		if (ev & SEEN_SECURED) {
			unsecured_ms = 0;
			told = 0;
		} else if ((ev & SEEN_CONNECTED) && unsecured_ms == 0) {
			unsecured_ms = now;
		}
		if (unsecured_ms != 0 && now - unsecured_ms >= KT_SYNC_RESEND_MS * 2 && !told) {
			/* Told once: the hub answers, and no handshake has completed since. */
			fprintf(stderr, "kt-node: the hub at %s answers, but its key is not the one in "
				"this node's bundle (a hub made again, or restored without its "
				"hub.key): ask the chain's IT person for a new bundle, run kt-node "
				"join with it and start kt-node run again; still trying\n", hub);
			told = 1;
		}
		if (ev & SEEN_REFUSED) {
			/*
			 * libzmq does not reconnect after a refused handshake: a new
			 * dealer after a backoff (1 s doubling to 30 s), so a node
			 * enrolled again syncs again on its own.
			 */
			fprintf(stderr, "kt-node: the hub at %s refused this node's key (revoked, "
				"or not enrolled there); trying again in %d s\n", hub,
				backoff / 1000);
			if (mon != NULL)
				zmq_close(mon);
			zmq_close(d);
			mon = NULL;
			for (int waited = 0; waited < backoff && !run_stop; waited += 100)
				usleep(100 * 1000);
			backoff = backoff < 15000 ? backoff * 2 : 30000;
			if ((d = dealer_open(cli, ctx, hub, hub_key, &mon)) == NULL)
				break;
			zmq_setsockopt(d, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
			zmq_setsockopt(d, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max));
					kt_sync_connect(&s, kt_wall_ms(), &out);
			send_out(d, &out);
			continue;
		}
		if (now - checked >= KT_READER_CHECK_MS) {
			int freed = kt_store_reader_check(&cli->st);

			if (freed > 0)
				fprintf(stderr, "kt-node: freed %d reader slot%s of stopped "
					"commands\n", freed, freed == 1 ? "" : "s");
			checked = now;
			if (kt_sync_idle(&s) && kt_cli_rewrite_tick(cli) != 0)
				break;
		}
	}
	kt_sync_out_release(&out);
	if (mon != NULL)
		zmq_close(mon);
	if (d != NULL)
		zmq_close(d);
	zmq_ctx_term(ctx);
	kt_sync_release(&s);
	fprintf(stderr, "kt-node: stopped\n");
	return 0;
}
