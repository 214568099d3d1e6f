/*
 * bench_sync.c - replication figures (`make bench` runs it after bench.c):
 * raw ZeroMQ CURVE throughput measured in the same run; hub ingest of
 * pushed changes over CURVE, durable (a real `kt-hub run` process); a new
 * node pulling and applying every change; propagation from a commit at one
 * node to its visibility at another, both online; bytes on the wire per
 * changed field; peak memory of hub and node.
 *
 *   bench_sync [--quick] [--count N]
 *     --quick: 20,000 changes instead of 1,000,000; --count: N changes (for profiling)
 */
#include "hub.h"
#include "sync.h"
#include "card.h"
#include "store_int.h"
#include "hlc.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zmq.h>

extern char **environ;

static char root[256];

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_sync: %s: %s\n", what, msg);
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i < n ? i : n - 1];
}

/* A free loopback port: bind port 0 and read what the kernel chose. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (port == 0)
		die("free_port", "no port");
	return port;
}

/* ---- raw CURVE throughput: DEALER -> ROUTER over loopback, 200-byte messages ---- */

struct raw { void *ctx; char ep[64]; char pub[41], sec[41]; int n; };

static void *raw_receiver(void *arg)
{
	struct raw *r = arg;
	void *s = zmq_socket(r->ctx, ZMQ_ROUTER);
	int one = 1;
	char buf[512];

	zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof(one));
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, r->sec, 40);
	zmq_bind(s, r->ep);
	for (int i = 0; i < r->n; i++) {
		zmq_recv(s, buf, sizeof(buf), 0); /* identity */
		zmq_recv(s, buf, sizeof(buf), 0); /* body */
	}
	zmq_close(s);
	return NULL;
}

static double raw_curve(int n)
{
	struct raw r;
	char cpub[41], csec[41], msg[200] = { 0 };
	pthread_t th;
	void *d;
	uint64_t t0;
	int hwm = 0;

	r.ctx = zmq_ctx_new();
	r.n = n;
	snprintf(r.ep, sizeof(r.ep), "tcp://127.0.0.1:%d", free_port());
	zmq_curve_keypair(r.pub, r.sec);
	zmq_curve_keypair(cpub, csec);
	pthread_create(&th, NULL, raw_receiver, &r);
	d = zmq_socket(r.ctx, ZMQ_DEALER);
	zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, r.pub, 40);
	zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, cpub, 40);
	zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, csec, 40);
	zmq_connect(d, r.ep);
	t0 = kt_mono_ns();
	for (int i = 0; i < n; i++)
		zmq_send(d, msg, sizeof(msg), 0);
	pthread_join(th, NULL);
	zmq_close(d);
	zmq_ctx_term(r.ctx);
	return n / ((kt_mono_ns() - t0) / 1e9);
}

/* ---- a chain: a real hub process, nodes driven in-process ---- */

struct node {
	struct kt_store st;
	struct kt_sync sy;
	void *sock;
	char dir[512];
};

static char ep[64];
static pid_t hub_pid;
static void *ctx;

static void make_node(struct node *n, const char *name, struct kt_hub *h, const char *chain_from)
{
	struct kt_err err;
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41], hub_cpk[41], hub_csk[41], src[600], dst[600], cmd[2000];
	int linger = 0;
	int64_t maxmsg = KT_MSG_BYTES_MAX;

	snprintf(n->dir, sizeof(n->dir), "%s/%s", root, name);
	if (kt_store_init(n->dir, name, "RU", &err) != 0)
		die("init", err.msg);
	if (chain_from != NULL) {
		snprintf(src, sizeof(src), "%s/%s/chain.key", root, chain_from);
		snprintf(dst, sizeof(dst), "%s/chain.key", n->dir);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 600 '%s'", src, dst, dst);
		if (system(cmd) != 0)
			die("chain key", dst);
	}
	if (kt_store_open(&n->st, n->dir, &err) != 0 ||
	    kt_identity_read(n->dir, "node.key", pk, sk, cpk, csk, &err) != 0 ||
	    kt_hub_enroll(h, name, pk, &err) != 0 || kt_sync_init(&n->sy, &n->st, &err) != 0)
		die("node", err.msg);
	snprintf(src, sizeof(src), "%s/hub", root);
	if (kt_identity_read(src, "hub.key", pk, sk, hub_cpk, hub_csk, &err) != 0)
		die("hub key", err.msg);
	n->sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(n->sock, ZMQ_CURVE_SERVERKEY, hub_cpk, 40);
	zmq_setsockopt(n->sock, ZMQ_CURVE_PUBLICKEY, cpk, 40);
	zmq_setsockopt(n->sock, ZMQ_CURVE_SECRETKEY, csk, 40);
	zmq_setsockopt(n->sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(n->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
}

static void start_hub(void)
{
	char dir[512], log[512];
	char *argv[] = { "bin/kt-hub", "-d", dir, "run", NULL };
	posix_spawn_file_actions_t fa;

	snprintf(dir, sizeof(dir), "%s/hub", root);
	snprintf(log, sizeof(log), "%s/hub.log", root); /* KT_BENCH_KEEP keeps it */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (posix_spawn(&hub_pid, argv[0], &fa, NULL, argv, environ) != 0)
		die("spawn", "bin/kt-hub (run make bin/kt-hub)");
	posix_spawn_file_actions_destroy(&fa);
	usleep(300000);
}

static uint64_t sent_bytes[4];
static struct node *nodes_base;

static void sends(struct node *n, struct kt_sync_out *o)
{
	for (uint32_t i = 0; i < o->n; i++) {
		zmq_send(n->sock, o->msg[i].data, o->msg[i].size, 0);
		if (nodes_base != NULL)
			sent_bytes[n - nodes_base] += o->msg[i].size;
	}
	o->n = 0;
}

/* One wake-up for each node: messages first, then a tick. */
static void step(struct node *ns, int n, int wait_ms)
{
	zmq_pollitem_t it[4];
	struct kt_sync_out o;
	struct kt_err err;

	kt_sync_out_init(&o);
	for (int i = 0; i < n; i++)
		it[i] = (zmq_pollitem_t){ ns[i].sock, 0, ZMQ_POLLIN, 0 };
	zmq_poll(it, n, wait_ms);
	for (int i = 0; i < n; i++) {
		zmq_msg_t m;

		while ((it[i].revents & ZMQ_POLLIN) && (zmq_msg_init(&m), zmq_msg_recv(&m, ns[i].sock,
									 ZMQ_DONTWAIT) >= 0)) {
			if (kt_sync_handle(&ns[i].sy, zmq_msg_data(&m), zmq_msg_size(&m),
					   kt_wall_ms(), &o, &err) != 0)
				fprintf(stderr, "bench_sync: %s\n", err.msg);
			zmq_msg_close(&m);
			sends(&ns[i], &o);
		}
		kt_sync_tick(&ns[i].sy, kt_wall_ms(), &o, &err);
		sends(&ns[i], &o);
	}
	kt_sync_out_release(&o);
}

static void connect_node(struct node *n)
{
	struct kt_sync_out o;

	zmq_connect(n->sock, ep);
	kt_sync_out_init(&o);
	kt_sync_connect(&n->sy, kt_wall_ms(), &o);
	sends(n, &o);
	kt_sync_out_release(&o);
}

static void fill(struct node *n, uint64_t count)
{
	static struct kt_draft d[KT_BATCH_MAX];
	static char names[KT_BATCH_MAX][48];
	struct kt_err err;

	for (uint64_t done = 0; done < count;) {
		size_t b = 0;

		for (; b < KT_BATCH_MAX && done < count; b++, done++) {
			struct kt_id id;

			kt_id_new(&id, kt_wall_ms());
			snprintf(names[b], sizeof(names[b]), "Клиентка %llu", (unsigned long long)done);
			kt_draft_start(&d[b], KT_T_CLIENT, &id, 1, NULL);
			if (kt_draft_field(&d[b], "name", names[b], KT_OP_SET, &err) != 0)
				die("draft", err.msg);
		}
		if (kt_store_write(&n->st, d, b, NULL, &err) != 0)
			die("write", err.msg);
	}
}

/* CPU seconds (user + system) a process has used so far, from /proc. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Fields 14 and 15, counted after the ")" that ends the command name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long peak_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* How many changes the running hub has stored and not merged yet (read beside it). */
static uint64_t merge_lag(void)
{
	struct kt_hub h;
	struct kt_err err;
	MDB_txn *txn;
	uint64_t lag = 0;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/hub", root);
	if (kt_hub_open(&h, dir, &err) != 0)
		die("hub", err.msg);
	if (kt_store_rdtxn(&h.st, &txn, &err) == 0) {
		lag = kt_hub_merge_lag(&h, txn);
		mdb_txn_abort(txn);
	}
	kt_hub_close(&h);
	return lag;
}

/* Edits at a, each timed until b has applied it; returns bytes a sent per edit. */
static double propagation(struct node *ns, int n, uint64_t *lat)
{
	static struct kt_draft d;
	struct kt_err err;
	char note[32];
	struct kt_id id;
	uint64_t before_bytes = sent_bytes[0];

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	kt_draft_field(&d, "name", "Propagation Probe", KT_OP_SET, &err);
	kt_store_write(&ns[0].st, &d, 1, NULL, &err);
	for (int k = 0; k < 20000 && !(kt_sync_idle(&ns[0].sy) && kt_sync_idle(&ns[1].sy)); k++)
		step(ns, 2, 1);
	before_bytes = sent_bytes[0];
	for (int i = 0; i < n; i++) {
		uint64_t cur = ns[1].sy.cursor, t0;

		kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
		snprintf(note, sizeof(note), "note %d", i);
		kt_draft_field(&d, "notes", note, KT_OP_SET, &err);
		if (kt_store_write(&ns[0].st, &d, 1, NULL, &err) != 0)
			die("edit", err.msg);
		t0 = kt_mono_ns();
		/* Bounded: 10 s per edit at most. */
		for (int k = 0; ns[1].sy.cursor == cur && kt_mono_ns() - t0 < 10000000000ull; k++)
			step(ns, 2, 0);
		lat[i] = kt_mono_ns() - t0;
	}
	return (double)(sent_bytes[0] - before_bytes) / n;
}

int main(int argc, char **argv)
{
	static struct node ns[2];
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0, props = quick ? 100 : 300;
	uint64_t count = quick ? 20000 : 1000000, t0, lat[300], local;

	double raw, ingest, pull_s, bytes, hub_cpu, node_cpu;
	struct kt_hub h;
	struct kt_err err;
	char dir[512], cmd[300];

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--count") == 0 && atoll(argv[i + 1]) > 0)
			count = (uint64_t)atoll(argv[i + 1]);
	kt_crypto_init();
	snprintf(root, sizeof(root), "%s/kt-bench-sync-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL)
		die("mkdtemp", root);
	printf("Kartoteka replication benchmark (%s run, %llu changes), in %s\n\n",
	       quick ? "quick" : "full", (unsigned long long)count, root);
	raw = raw_curve(quick ? 100000 : 300000);
	printf("raw ZeroMQ CURVE, 200-byte messages one way    %9.0f msg/s\n", raw);
	ctx = zmq_ctx_new();
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", free_port());
	snprintf(dir, sizeof(dir), "%s/hub", root);
	if (kt_hub_init(dir, ep, &err) != 0 || kt_hub_open(&h, dir, &err) != 0)
		die("hub", err.msg);
	make_node(&ns[0], "centre", &h, NULL);
	make_node(&ns[1], "north", &h, "centre");
	kt_hub_close(&h);
	nodes_base = ns;
	t0 = kt_mono_ns();
	fill(&ns[0], count);
	printf("(wrote %llu changes at one node in %.1f s)\n", (unsigned long long)count,
	       (kt_mono_ns() - t0) / 1e9);
	start_hub();
	connect_node(&ns[0]);
	local = kt_sync_local_seq(&ns[0].sy);
	hub_cpu = cpu_s(hub_pid);
	node_cpu = cpu_s(getpid());
	t0 = kt_mono_ns();
	/* Bounded: a stuck push shows as a time far over any target, not a hang. */
	while (ns[0].sy.acked < local && kt_mono_ns() - t0 < 600000000000ull)
		step(ns, 1, 10);
	ingest = (double)count / ((kt_mono_ns() - t0) / 1e9);
	printf("hub ingest of pushed changes, durable, over CURVE %8.0f changes/s  = %.2f x raw "
	       "CURVE messages  [target >= 250,000]\n", ingest, ingest / raw);
	printf("  CPU per change: hub %.2f us, pushing node %.2f us (wall %.2f us)\n",
	       (cpu_s(hub_pid) - hub_cpu) * 1e6 / count, (cpu_s(getpid()) - node_cpu) * 1e6 / count,
	       1e6 / ingest);
	/*
	 * A new branch joins a chain whose hub is up to date: the pull is
	 * measured once the hub's merge (which runs behind ingest when no
	 * message waits) has caught up with the million it just took in.
	 */
	t0 = kt_mono_ns();
	while (merge_lag() > 0 && kt_mono_ns() - t0 < 300000000000ull)
		usleep(20000);
	printf("(the hub's merge caught up %.1f s after the push)\n", (kt_mono_ns() - t0) / 1e9);
	connect_node(&ns[1]);
	hub_cpu = cpu_s(hub_pid);
	node_cpu = cpu_s(getpid());
	t0 = kt_mono_ns();
	while (!(ns[1].sy.ready && kt_sync_idle(&ns[1].sy)) && kt_mono_ns() - t0 < 600000000000ull)
		step(&ns[1], 1, 10);
	pull_s = (kt_mono_ns() - t0) / 1e9;
	printf("a new node pulls and applies %llu changes in   %8.1f s  (%.0f changes/s%s)  "
	       "[target: 1,000,000 in <= 10 s]\n", (unsigned long long)count, pull_s,
	       count / pull_s, quick ? "; the full run pulls 1,000,000" : "");
	printf("  CPU per change: hub %.2f us, pulling node %.2f us (wall %.2f us)\n",
	       (cpu_s(hub_pid) - hub_cpu) * 1e6 / count, (cpu_s(getpid()) - node_cpu) * 1e6 / count,
	       pull_s * 1e6 / count);
	/* Propagation too is measured in steady state, the merge caught up. */
	while (merge_lag() > 0 && kt_mono_ns() - t0 < 300000000000ull)
		usleep(20000);
	bytes = propagation(ns, props, lat);
	printf("propagation, commit at one node to visible at another: p50 %.2f ms, p99 %.2f ms"
	       "  [target p99 <= 10 ms]\n", pct(lat, (size_t)props, 50) / 1e6,
	       pct(lat, (size_t)props, 99) / 1e6);
	printf("bytes on the wire per changed field (a one-field edit's push and pull request, "
	       "before CURVE's 33-byte box overhead): %.0f B\n", bytes);
	printf("peak memory: hub %ld KiB, node (this process, both nodes) %ld KiB\n",
	       peak_kib(hub_pid), peak_kib(getpid()));
	kill(hub_pid, SIGTERM);
	waitpid(hub_pid, NULL, 0);
	for (int i = 0; i < 2; i++) {
		zmq_close(ns[i].sock);
		kt_sync_release(&ns[i].sy);
		kt_store_close(&ns[i].st);
	}
	zmq_ctx_term(ctx);
	if (getenv("KT_BENCH_KEEP") != NULL) {
		fprintf(stderr, "bench_sync: kept %s (hub.log there)\n", root);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
