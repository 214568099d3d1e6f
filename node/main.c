/*
 * main.c - kt-node: global options, dispatch to the commands, and the
 * commands about the node itself (init, key, config, status, digest).
 */
#include "cli.h"
#include "hlc.h"
#include "phone.h"
#include "text.h"
#include "when.h"
#include "seal.h"

#include <locale.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

static const char usage[] =
	"usage: kt-node -d DIR COMMAND [ARGS]\n"
	"\n"
	"Keeps a salon branch's client cards offline, in DIR.\n"
	"\n"
	"commands:\n"
	"  init --branch NAME [--country CC]   make a new node in DIR\n"
	"  key [--json]                        print this node's public key\n"
	"  client add|edit|show|find|list      client cards; client consent, dossier:\n"
	"                                      consents, everything held about her\n"
	"  visit add CLIENT_ID --service NAME  record a visit (with safety checks)\n"
	"  record add|edit|show                patch tests, assessments, care plans,\n"
	"                                      feedback, loyalty points\n"
	"  birthdays [--days N] [--marketing]  birthdays coming up\n"
	"  export [--json] / import FILE       all records as JSON; JSON or CSV in\n"
	"  status [--json] / digest [--json]   the node's state\n"
	"  config [list|get NAME|set NAME VALUE] [--json]  settings of this node\n"
	"  join BUNDLE [--invite FILE]         join a hub's chain\n"
	"  invite --key KEY --out FILE         seal the chain key to a new node\n"
	"  sync [--timeout S]                  one full push and pull with the hub\n"
	"  run                                 keep syncing with the hub (a daemon)\n"
	"  duplicates [--json]                 cards that share a phone or email\n"
	"  conflicts [--json]                  fields two branches wrote concurrently\n"
	"  report [--json]                     the head-office view of the whole chain\n"
	"  catalog add|edit|show|list|import   the chain's services and products, with\n"
	"                                      what the safety check needs of them\n"
	"  backup FILE / restore FILE          the whole node in one file sealed under\n"
	"                                      a passphrase, taken while it works\n"
	"  staff add|list|disable|enable|passwd|grant   staff accounts and roles\n"
	"  audit [--client ID] [--staff NAME]  who read which cards, at every branch\n"
	"  keyfile new FILE                    make a key file (for a USB stick)\n"
	"  seal-keys / unseal-keys             seal the node's keys under a key file or\n"
	"                                      a passphrase / write them in clear again\n"
	"\n"
	"A node whose keys are sealed unlocks them as each command starts: a key file\n"
	"from --key-file FILE, KT_KEY_FILE or the setting key_file; a passphrase from\n"
	"KT_NODE_PASS or typed.\n"
	"\n"
	"Every command acts as one member of staff: --as NAME (or KT_STAFF), with her\n"
	"passphrase in KT_PASS or typed; naming nobody, the founding account made by\n"
	"init, while it has no passphrase.\n"
	"Every command has --help.  Every command that reads has --json.  Options go\n"
	"before or after the command's words (-d DIR too), as --opt VALUE or\n"
	"--opt=VALUE; -- ends them (client find -- -5).\n"
	"example: kt-node -d /var/lib/kartoteka client find Анна\n";

/* ---- init, key ---- */

static const char init_usage[] =
	"usage: kt-node -d DIR init --branch NAME [--country CC] [--staff NAME]\n"
	"                          [--role ROLE] [--pass-file FILE | --ask-pass]\n"
	"                          [--key-file F | --seal-pass-file F | --seal-ask-pass]\n"
	"\n"
	"Makes a new node in DIR (created if missing): the store, a node id, its key\n"
	"pair (Ed25519, with the CURVE pair derived from it) and a chain key (key\n"
	"files mode 0600), and the node's founding staff account.  Refuses a\n"
	"folder that already holds a node, and changes nothing there.\n"
	"  --branch NAME   the branch this node serves (required)\n"
	"  --country CC    default country for phone numbers (ISO code, default RU)\n"
	"  --staff NAME    the founding account's name (default admin)\n"
	"  --role ROLE     its role: manager (default) or head_office\n"
	"  --pass-file F   its passphrase, F's first line (else $KT_PASS, or typed\n"
	"                  twice with --ask-pass).  With none the node is open:\n"
	"                  commands that name nobody act as the founding account,\n"
	"                  until `staff passwd` gives it a passphrase.\n"
	"  --key-file F    seal the node's keys from birth under key file F (kt-node\n"
	"                  keyfile new F; outside DIR, kept as the setting key_file)\n"
	"  --seal-pass-file F, --seal-ask-pass   or under a node passphrase (F's\n"
	"                  first line, or typed twice); no clear key is ever written\n"
	"example: kt-node -d /var/lib/kartoteka init --branch Centre --country RU "
	"--staff 'Ольга Петрова' --ask-pass\n";

/* The founding account's passphrase hash into hash ("" none); 0 or 1 (said). */
static int init_pass(const char *file, int ask, char hash[KT_STAFF_HASH_BYTES])
{
	struct kt_secret_ask a = { "init", "passphrase", file, "KT_PASS", "--pass-file FILE", 1,
				   KT_STAFF_PASS_MIN, KT_STAFF_PASS_MAX };
	char pass[KT_STAFF_PASS_MAX + 2];
	struct kt_err err;
	int rc;

	hash[0] = '\0';
	if (file == NULL && !ask && getenv("KT_PASS") == NULL)
		return 0;
	if (ask)
		a.env = "KT_PASS_ASKED_NOT_ENV"; /* --ask-pass: the terminal, not $KT_PASS */
	if (kt_cli_secret(&a, pass, sizeof(pass)))
		return 1;
	rc = kt_staff_hash(pass, strlen(pass), hash, &err);
	sodium_memzero(pass, sizeof(pass));
	return rc != 0 ? kt_cli_failf("init: %s", err.msg) : 0;
}

int cmd_init(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "country", KT_OPT_VALUE, 'c', 0 },
		{ "staff", KT_OPT_VALUE, 's', 0 },
		{ "role", KT_OPT_VALUE, 'r', 0 },
		{ "pass-file", KT_OPT_VALUE, 'p', 0 },
		{ "ask-pass", KT_OPT_FLAG, 'a', 0 },
		{ "seal-pass-file", KT_OPT_VALUE, 'P', 0 },
		{ "seal-ask-pass", KT_OPT_FLAG, 'A', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "init", init_usage, opts, argc, argv);
	const char *branch = NULL, *country = KT_PHONE_REGION_DEFAULT, *staff = "admin";
	const char *role = "manager", *pfile = NULL, *seal_pfile = NULL;
	char hash[KT_STAFF_HASH_BYTES], kabs[4096];
	struct kt_lock lock;
	struct kt_id fid;
	int c, ask = 0, rc, open, seal_ask = 0, sealed;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'b': branch = o->arg; break;
		case 'c': country = o->arg; break;
		case 's': staff = o->arg; break;
		case 'r': role = o->arg; break;
		case 'p': pfile = o->arg; break;
		case 'a': ask = 1; break;
		case 'P': seal_pfile = o->arg; break;
		case 'A': seal_ask = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (cli->dir == NULL)
		return kt_cli_failf("init: no data folder: use -d DIR");
	if (branch == NULL || branch[0] == '\0')
		return kt_cli_failf("init: --branch NAME is required");
	if (strlen(branch) > KT_BRANCH_BYTES_MAX || !kt_text_valid(branch, strlen(branch)))
		return kt_cli_failf("init: bad branch name '%s'", branch);
	if (!kt_phone_region_known(country))
		return kt_cli_failf("init: unknown country '%s' (want an ISO code like RU, RO, CN)",
				    country);
	if (strcmp(role, "manager") != 0 && strcmp(role, "head_office") != 0)
		return kt_cli_failf("init: the founding account is a manager or head_office, "
				    "not '%s'", role);
	if (staff[0] == '\0' || strlen(staff) > KT_STAFF_NAME_BYTES_MAX ||
	    !kt_text_valid(staff, strlen(staff)) || !kt_text_says_something(staff))
		return kt_cli_failf("init: bad staff name '%.60s'", staff);
	if (pfile != NULL && ask)
		return kt_cli_failf("init: --pass-file or --ask-pass, not both");
	/* The node's seal (never $KT_NODE_PASS alone: a sealed init is asked for by name). */
	sealed = cli->key_file != NULL || seal_pfile != NULL || seal_ask;
	if (sealed && (rc = kt_cli_seal_lock("init", cli->dir, cli->key_file, seal_pfile, seal_ask,
					     &lock, kabs, sizeof(kabs))) != 0)
		return 1;
	if (init_pass(pfile, ask, hash)) {
		if (sealed)
			kt_lock_wipe(&lock);
		return 1;
	}
	rc = kt_store_init_sealed(cli->dir, branch, country, sealed ? &lock : NULL,
				  cli->key_file != NULL ? kabs : NULL, &cli->err);
	if (sealed)
		kt_lock_wipe(&lock);
	if (rc != 0)
		return kt_cli_fail(cli);
	open = hash[0] == '\0';
	rc = kt_cli_open(cli) || kt_cli_found(cli, staff, role, open ? NULL : hash, &fid);
	sodium_memzero(hash, sizeof(hash));
	if (rc)
		return 1; /* the node stands; its founding account is made at its next command */
	printf("node for branch %s made in %s\n", branch, cli->dir);
	return 0;
}

static const char key_usage[] =
	"usage: kt-node -d DIR key [--curve] [--json]\n"
	"\n"
	"Prints this node's public key (Ed25519, 64 hex digits): it identifies the node\n"
	"to a hub,\n"
	"which enrolls it and derives the node's CURVE key from it.  --curve prints that\n"
	"CURVE key (hex), the form the hub's log gives for a key it does not know.\n"
	"--json prints both: {\"key\": \"<Ed25519 hex>\", \"curve\": \"<CURVE hex>\"}.\n"
	"example: kt-hub -d HUB enroll --branch North --key \"$(kt-node -d B key)\"\n";

int cmd_key(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "curve", KT_OPT_FLAG, 'c', 0 },
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "key", key_usage, opts, argc, argv);
	char path[4200], text[512], *p;
	int curve = 0, json = 0, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'c': curve = 1; break;
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (cli->dir == NULL)
		return kt_cli_failf("key: no data folder: use -d DIR");
	snprintf(path, sizeof(path), "%s/node.key", cli->dir);
	/* A sealed file is opened as the store opens it (its setting names the key file). */
	if (kt_secret_kind(path, &cli->err) > 0 && kt_cli_open(cli))
		return 1;
	if (kt_secret_open(path, text, sizeof(text), NULL, &cli->err) != 0)
		return kt_cli_fail(cli);
	p = strstr(text, "public ");
	if (p == NULL || strspn(p + 7, "0123456789abcdef") != 64)
		return kt_cli_failf("'%s' holds no public key", path);
	if (curve || json) {
		uint8_t ed[32], x[32];
		char hex[65], ed_hex[65];

		snprintf(ed_hex, sizeof(ed_hex), "%.64s", p + 7);
		if (kt_unhex(ed, sizeof(ed), ed_hex) != 0 ||
		    crypto_sign_ed25519_pk_to_curve25519(x, ed) != 0)
			return kt_cli_failf("'%s' holds no usable public key", path);
		kt_hex(hex, x, sizeof(x));
		if (json)
			kt_cli_print_json(json_pack("{s:s, s:s}", "key", ed_hex, "curve", hex));
		else
			printf("%s\n", hex);
		return 0;
	}
	printf("%.64s\n", p + 7);
	return 0;
}

/* ---- config ---- */

static const char config_usage_head[] =
	"usage: kt-node -d DIR config [list | get NAME | set NAME VALUE] [--json]\n"
	"\n"
	"Shows or changes this node's settings:\n";
static const char config_usage_tail[] =
	"Which services need a patch test is chain-wide now, in the catalogue:\n"
	"  kt-node -d DIR catalog add --service 'Hair dye' --set patch_test=yes\n"
	"(a patch_test_services value set here before is still honoured at this node).\n"
	"--json (list, get): {\"settings\": [{\"name\", \"value\", \"default\",\n"
	"\"description\"}, ...]}; get prints the one setting's object.\n"
	"example: kt-node -d DIR config set segment_lost_months 3\n";

/*
 * config's usage: each setting's line from the settings table, its default
 * in brackets when it has one, so a default is written in one place.
 */
static const char *config_usage(void)
{
	static char text[4096];
	size_t n = strlen(config_usage_head);

	memcpy(text, config_usage_head, n + 1);
	for (size_t i = 0; i < kt_settings_count; i++) {
		const struct kt_setting_def *s = &kt_settings_table[i];

		if (s->help != NULL)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      s->def[0] ? "  %-22s  %s (%s)\n" : "  %-22s  %s\n",
					      s->name, s->help, s->def);
		kt_assert(n < sizeof(text));
	}
	kt_assert(n + strlen(config_usage_tail) < sizeof(text));
	memcpy(text + n, config_usage_tail, strlen(config_usage_tail) + 1);
	return text;
}

static int config_set(struct kt_cli *cli, const struct kt_setting_def *s, const char *value)
{
	char *end;
	long v;

	if (s->kind == KT_SETTING_NUMBER) {
		v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < s->lo || v > s->hi)
			return kt_cli_failf("config: '%s' wants a number from %d to %d, not '%s'",
					    s->name, s->lo, s->hi, value);
	}
	if (strcmp(s->name, "patch_test_services") == 0 && value[0] != '\0')
		return kt_cli_failf("config: patch_test_services moved to the chain-wide "
				    "catalogue: kt-node catalog add --service NAME --set "
				    "patch_test=yes (config set patch_test_services '' clears it)");
	if (strcmp(s->name, "timezone") == 0 && value[0] != '\0' &&
	    kt_when_zone_check(value, &cli->err) != 0)
		return kt_cli_failf("config: %s", cli->err.msg);
	if (strcmp(s->name, "country") == 0 && !kt_phone_region_known(value))
		return kt_cli_failf("config: unknown country '%s' (want an ISO code like RU)",
				    value);
	if (!kt_text_valid(value, strlen(value)))
		return kt_cli_failf("config: value is not valid UTF-8");
	if (kt_store_set_setting(&cli->st, s->name, value, &cli->err) != 0)
		return kt_cli_fail(cli);
	return 0;
}

/* A setting and its value as {"name", "value", "default", "description"}. */
static json_t *setting_json(const struct kt_setting_def *s, const char *val)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "name", s->name, "value", val, "default",
			 s->def, "description", s->what);
}

int cmd_config(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "config", config_usage(), opts, argc, argv);
	const struct kt_setting_def *s;
	char val[KT_SETTING_BYTES_MAX];
	int json = 0, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	argc = o->nargs + 1; /* the subcommand and its words, as argv[1..] */
	argv = o->args - 1;
	if (kt_cli_open(cli))
		return 1;
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0)) {
		json_t *a = json ? json_array() : NULL;

		for (size_t i = 0; i < kt_settings_count; i++) {
			s = &kt_settings_table[i];
			kt_settings_text(&cli->st, NULL, s, val);
			if (a != NULL)
				json_array_append_new(a, setting_json(s, val));
			else
				printf("%s=%s\n", s->name, val);
		}
		if (a != NULL)
			kt_cli_print_json(json_pack("{s:o}", "settings", a));
		return 0;
	}
	if (argc < 3 || (s = kt_settings_find(argv[2])) == NULL)
		return kt_cli_failf("config: unknown setting '%s' (see config --help)",
				    argc >= 3 ? argv[2] : "");
	if (strcmp(argv[1], "get") == 0 && argc == 3) {
		kt_settings_text(&cli->st, NULL, s, val);
		if (json)
			kt_cli_print_json(setting_json(s, val));
		else
			printf("%s\n", val);
		return 0;
	}
	if (strcmp(argv[1], "set") == 0 && argc == 4)
		return json ? kt_opts_fail(o, "--json is for list and get") :
		       kt_cli_act(cli, "config set", KT_CAN_NODE) ? 1 :
								      config_set(cli, s, argv[3]);
	return kt_cli_failf("config: expected list, get NAME or set NAME VALUE");
}

/* ---- status, digest ---- */

static const char status_usage[] =
	"usage: kt-node -d DIR status [--json]\n"
	"\n"
	"Shows the node: branch, node id, changes in its log, records, store size,\n"
	"its hub, the changes the hub does not hold yet, and the last sync.\n"
	"example: kt-node -d DIR status --json\n";

/* The node's sync facts: hub endpoint, acknowledged seq, last sync time, void changes. */
static void sync_facts(struct kt_cli *cli, char *hub, size_t cap, uint64_t *acked,
		       uint64_t *last, uint64_t *voided)
{
	MDB_txn *txn;

	hub[0] = '\0';
	*acked = *last = *voided = 0;
	if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
		return;
	kt_meta_text(&cli->st, txn, "hub", hub, cap);
	kt_meta_u64(&cli->st, txn, "acked", acked);
	kt_meta_u64(&cli->st, txn, "last_sync", last);
	kt_meta_u64(&cli->st, txn, "voided", voided);
	mdb_txn_abort(txn);
}

/* Void changes as runs: one origin, consecutive seqs, one reason. */
#define VOID_RUNS_SHOWN 20
struct void_runs {
	struct kt_void_run r[VOID_RUNS_SHOWN];
	uint32_t n;
	long more; /* runs past the ones kept */
};

static void void_run_add(void *ctx, uint64_t origin, uint64_t seq, int reason)
{
	struct void_runs *v = ctx;
	struct kt_void_run *last = v->n > 0 ? &v->r[v->n - 1] : NULL;

	if (last != NULL && last->origin == origin && last->last + 1 == seq &&
	    last->reason == reason)
		last->last = seq;
	else if (v->n < VOID_RUNS_SHOWN)
		v->r[v->n++] = (struct kt_void_run){ origin, seq, seq, reason };
	else
		v->more++;
}

/* Prints (or adds to o, as "void_changes") each run with its branch's name. */
static void void_runs_show(struct kt_cli *cli, const struct void_runs *v, json_t *o)
{
	json_t *a = o != NULL ? json_array() : NULL;
	MDB_txn *txn;

	if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
		return;
	for (uint32_t i = 0; i < v->n; i++) {
		const struct kt_void_run *r = &v->r[i];
		char br[KT_BRANCH_BYTES_MAX + 1], seqs[48], id[17];

		kt_origin_branch(&cli->st, txn, r->origin, br, sizeof(br));
		if (r->first == r->last)
			snprintf(seqs, sizeof(seqs), "seq %llu", (unsigned long long)r->first);
		else
			snprintf(seqs, sizeof(seqs), "seqs %llu-%llu", (unsigned long long)r->first,
				 (unsigned long long)r->last);
		snprintf(id, sizeof(id), "%016llx", (unsigned long long)r->origin);
		if (a != NULL)
			json_array_append_new(a, json_pack("{s:s, s:s?, s:I, s:I, s:s}", "origin", id,
							   "branch", br[0] ? br : NULL, "first",
							   (json_int_t)r->first, "last",
							   (json_int_t)r->last, "reason",
							   kt_void_reason_text(r->reason)));
		else
			printf("           branch %s (origin %s) %s: %s\n", br[0] ? br : "?", id,
			       seqs, kt_void_reason_text(r->reason));
	}
	mdb_txn_abort(txn);
	if (a != NULL)
		json_object_set_new(o, "void_changes", a);
	else if (v->more > 0)
		printf("           and %ld more runs (kt-node status --json lists the first %d)\n",
		       v->more, VOID_RUNS_SHOWN);
}

/* Withheld changes (store.h "holes"), up to VOID_RUNS_SHOWN listed. */
struct holes {
	struct kt_cli *cli;
	json_t *a;   /* NULL: printed */
	uint32_t n;
};

static void hole_show(void *ctx, const struct kt_hole *h)
{
	struct holes *hs = ctx;
	char br[KT_BRANCH_BYTES_MAX + 1], id[17];
	MDB_txn *txn;

	if (hs->n++ >= VOID_RUNS_SHOWN)
		return;
	br[0] = '\0';
	if (kt_store_rdtxn(&hs->cli->st, &txn, NULL) == 0) {
		kt_origin_branch(&hs->cli->st, txn, h->origin, br, sizeof(br));
		mdb_txn_abort(txn);
	}
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)h->origin);
	if (hs->a != NULL)
		json_array_append_new(hs->a, json_pack("{s:s, s:s?, s:I, s:I}", "origin", id,
						       "branch", br[0] ? br : NULL, "first",
						       (json_int_t)h->first, "last",
						       (json_int_t)h->last));
	else
		printf("           branch %s (origin %s) seqs %llu-%llu\n", br[0] ? br : "?", id,
		       (unsigned long long)h->first, (unsigned long long)h->last);
}

int cmd_status(struct kt_cli *cli, int argc, char **argv)
{
	struct holes hs = { cli, NULL, 0 };
	long nholes;
	struct void_runs vr = { .n = 0 };
	struct kt_store_info in;
	char nid[17], hub[256], when[64] = "never";
	uint64_t acked, last, voided;
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "status", status_usage, opts, argc, argv);
	int json = 0, c;
	json_t *o;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli))
		return 1;
	if (kt_store_info(&cli->st, &in, &cli->err) != 0)
		return kt_cli_fail(cli);
	sync_facts(cli, hub, sizeof(hub), &acked, &last, &voided);
	snprintf(nid, sizeof(nid), "%016llx", (unsigned long long)in.node_id);
	if (last)
		kt_when_text((int64_t)(last / 1000), when, sizeof(when));
	if (!json) {
		printf("branch:    %s\nnode id:   %s\nchanges:   %llu (own seq %llu)\n"
		       "records:   %llu\nstore:     %.1f MiB used of %.0f MiB mapped\n"
		       "country:   %s\nhub:       %s\npending:   %llu changes not yet held by "
		       "the hub\nlast sync: %s\n", in.branch, nid,
		       (unsigned long long)in.changes, (unsigned long long)in.seq,
		       (unsigned long long)in.records, in.used_bytes / 1048576.0,
		       in.map_bytes / 1048576.0, cli->st.country,
		       hub[0] ? hub : "none (standalone)", (unsigned long long)(in.seq - acked),
		       when);
		if (voided > 0) {
			printf("void:      %llu changes from other branches are kept without "
			       "effect; every other change is applied:\n",
			       (unsigned long long)voided);
			kt_store_voids(&cli->st, 0, void_run_add, &vr);
			void_runs_show(cli, &vr, NULL);
		}
		if ((nholes = kt_store_holes(&cli->st, 0, NULL, NULL)) > 0) {
			printf("withheld:  %ld pushes of other branches were damaged in the hub's "
			       "store and are not here yet; later changes are applied, and these "
			       "come at a sync once their branch has sent them again:\n", nholes);
			kt_store_holes(&cli->st, 0, hole_show, &hs);
		}
		if (kt_cli_logins_open(cli))
			printf("staff:     open: commands that name nobody act as the founding "
			       "account, which has no passphrase (kt-node staff passwd)\n");
		if (cli->st.clock_offset >= 2000 || cli->st.clock_offset <= -2000)
			printf("clock:     this PC is %lld s %s the hub; writes use the hub's time\n",
			       (long long)(cli->st.clock_offset > 0 ? cli->st.clock_offset
								    : -cli->st.clock_offset) / 1000,
			       cli->st.clock_offset > 0 ? "behind" : "ahead of");
		kt_cli_erased_status(cli, NULL); /* node/cmd_erase.c */
		kt_cli_keys_status(cli, NULL);   /* node/cmd_seal.c */
		return 0;
	}
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}", "branch", in.branch,
		      "node_id", nid, "changes", (json_int_t)in.changes, "seq", (json_int_t)in.seq,
		      "records", (json_int_t)in.records, "used_bytes", (json_int_t)in.used_bytes,
		      "map_bytes", (json_int_t)in.map_bytes, "country", cli->st.country,
		      "pending", (json_int_t)(in.seq - acked));
	json_object_set_new(o, "hub", hub[0] ? json_string(hub) : json_null());
	json_object_set_new(o, "last_sync_ms", last ? json_integer((json_int_t)last) : json_null());
	json_object_set_new(o, "clock_offset_ms", json_integer((json_int_t)cli->st.clock_offset));
	json_object_set_new(o, "staff_open", json_boolean(kt_cli_logins_open(cli)));
	json_object_set_new(o, "voided", json_integer((json_int_t)voided));
	kt_store_voids(&cli->st, 0, void_run_add, &vr);
	void_runs_show(cli, &vr, o);
	hs.a = json_array();
	kt_store_holes(&cli->st, 0, hole_show, &hs);
	json_object_set_new(o, "withheld", hs.a);
	kt_cli_erased_status(cli, o);
	kt_cli_keys_status(cli, o);
	kt_cli_print_json(o);
	return 0;
}

static const char digest_usage[] =
	"usage: kt-node -d DIR digest [--json]\n"
	"\n"
	"Prints the BLAKE2b digest of the node's state (winning versions, set tags,\n"
	"aliases, erasures): two replicas with the same changes print the same.\n"
	"--json prints {\"digest\": \"<hex>\"}.\n"
	"example: kt-node -d DIR digest\n";

int cmd_digest(struct kt_cli *cli, int argc, char **argv)
{
	uint8_t d[KT_HASH_BYTES];
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "digest", digest_usage, opts, argc, argv);
	int json = 0, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli))
		return 1;
	if (kt_store_digest(&cli->st, d, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_cli_print_digest(d, json);
	return 0;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(struct kt_cli *, int, char **);
} commands[] = {
	{ "init", cmd_init }, { "key", cmd_key }, { "config", cmd_config },
	{ "status", cmd_status }, { "digest", cmd_digest }, { "client", cmd_client },
	{ "visit", cmd_visit }, { "record", cmd_record }, { "birthdays", cmd_birthdays },
	{ "export", cmd_export }, { "import", cmd_import }, { "join", cmd_join },
	{ "invite", cmd_invite }, { "sync", cmd_sync }, { "run", cmd_run },
	{ "duplicates", cmd_duplicates }, { "conflicts", cmd_conflicts },
	{ "report", cmd_report }, { "catalog", cmd_catalog }, { "catalogue", cmd_catalog },
	{ "backup", cmd_backup }, { "restore", cmd_restore }, { "staff", cmd_staff },
	{ "audit", cmd_audit }, { "keyfile", cmd_keyfile }, { "seal-keys", cmd_seal_keys },
	{ "unseal-keys", cmd_unseal_keys },
};

int main(int argc, char **argv)
{
	struct kt_cli cli;
	const struct kt_cli_program prog = { "kt-node", KT_VERSION, usage, &cli.key_file };
	int rc;

	/*
	 * Ctrl-C, a kill or a closed terminal: the command stops at its next
	 * record or write, closes the store and exits 130 (below); a second
	 * signal ends it at once (its reader slot is freed by the next command
	 * that opens the store, or by a daemon within 10 s).
	 */
	kt_cli_catch_signals(&kt_interrupted);

	setlocale(LC_ALL, "C");
	kt_crypto_init();
	memset(&cli, 0, sizeof(cli));
	cli.dir = getenv("KT_DIR");
	if ((rc = kt_cli_program(&cli.opts, &prog, &cli.dir, &cli.as, argc, argv)) != KT_CLI_RUN)
		return rc;
	/* The command's words: argv[0] is its name, as each cmd_x() expects. */
	argc = cli.opts.nargs;
	argv = cli.opts.args;
	/*
	 * A sealed node's keys unlock as the store opens (common/seal.h).  For
	 * init and seal-keys --key-file names the key to seal under, so it is
	 * taken from the command's words when they read them.
	 */
	kt_unlock_from(&cli.key_file, kt_cli_ask_node_pass);
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[0], commands[k].name) == 0) {
			rc = commands[k].fn(&cli, argc, argv);
			/* What it read is audited, even when it failed after reading. */
			if (cli.audit != NULL && kt_cli_audit_flush(&cli) != 0)
				rc = 1;
			if (cli.open)
				kt_store_close(&cli.st);
			if (kt_interrupted && strcmp(argv[0], "run") != 0) {
				if (rc == 0) /* stopped while it printed: said here, once */
					fprintf(stderr, "kt-node: %s: interrupted\n", argv[0]);
				return 130;
			}
			return rc;
		}
	return kt_cli_failf("unknown command '%s' (see kt-node --help)", argv[0]);
}
