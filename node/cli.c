/* cli.c - helpers the kt-node commands share (see cli.h). */
#include "cli.h"
#include "hlc.h"
#include "text.h"
#include "dates.h"
#include "when.h"

#include <stdlib.h>
#include <string.h>

int kt_cli_fail(struct kt_cli *cli)
{
	return kt_cli_failf("%s", cli->err.msg[0] ? cli->err.msg : "failed");
}

int kt_cli_open(struct kt_cli *cli)
{
	if (cli->open)
		return 0;
	if (cli->dir == NULL)
		return kt_cli_failf("no data folder: use -d DIR");
	if (kt_store_open(&cli->st, cli->dir, &cli->err) != 0)
		return kt_cli_fail(cli);
	cli->open = 1;
	{
		struct kt_settings set;
		struct kt_err err;

		if (kt_when_zone_use(kt_cli_settings(cli, &set)->timezone, &err) != 0)
			fprintf(stderr, "kt-node: warning: setting timezone: %s; using the "
				"system's zone\n", err.msg);
	}
	return 0;
}

struct kt_opts *kt_cli_opts(struct kt_cli *cli, const char *cmd, const char *usage,
			    const struct kt_opt *tab, int argc, char **argv)
{
	kt_opts_start(&cli->opts, cmd, usage, tab, argc, argv);
	return &cli->opts;
}

int kt_cli_field_value(struct kt_cli *cli, struct kt_draft *d, int key, const char *v)
{
	uint8_t kind = key == KT_CLI_SET ? KT_OP_SET : key == KT_CLI_ADD ? KT_OP_ADD : KT_OP_DEL;
	const char *eq = strchr(v, '=');
	char name[64];

	kt_assert(key == KT_CLI_SET || key == KT_CLI_ADD || key == KT_CLI_REMOVE);
	if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(name)) {
		kt_err_set(&cli->err, KT_EINVAL, "expected FIELD=VALUE, got '%s'", v);
		return kt_cli_fail(cli);
	}
	memcpy(name, v, (size_t)(eq - v));
	name[eq - v] = '\0';
	return kt_cli_draft_field(cli, d, name, eq + 1, kind) != 0 ? 1 : 0;
}

int kt_cli_fields_keep(struct kt_cli_fields *f, int key, const char *v)
{
	/* A draft holds fewer ops than this (card.c keeps 4 for the key and tokens). */
	if (f->n >= KT_OPS_MAX - 4)
		return kt_cli_failf("too many fields in one write (limit %d)", KT_OPS_MAX - 4);
	f->key[f->n] = key;
	f->v[f->n++] = v;
	return 0;
}

int kt_cli_fields_apply(struct kt_cli *cli, const struct kt_cli_fields *f, struct kt_draft *d)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (kt_cli_field_value(cli, d, f->key[i], f->v[i]))
			return 1;
	return 0;
}

int kt_cli_draft_field(struct kt_cli *cli, struct kt_draft *d, const char *name,
		       const char *text, uint8_t kind)
{
	const struct kt_field *f = kt_schema_field_named(d->type, name);

	if (f != NULL && f->vtype == KT_VT_E164)
		return kt_cli_failf("'%s' is written from the phone: use --set phone=NUMBER", name);
	if (f != NULL && f->vtype == KT_VT_DATE && text[0] != '\0') {
		char *iso;

		if (kt_cli_open(cli))
			return 1;
		kt_assert(cli->ndates < KT_OPS_MAX); /* a draft holds fewer fields */
		iso = cli->dates[cli->ndates];
		if (kt_dates_read(kt_dates_form(cli->st.country), name, text, iso, &cli->err) != 0)
			return kt_cli_fail(cli);
		cli->ndates++;
		text = iso;
	}
	if (kt_draft_field(d, name, text, kind, &cli->err) != 0)
		return kt_cli_fail(cli);
	return 0;
}

int kt_cli_check_dates(struct kt_cli *cli, const struct kt_draft *d, int future,
		       const char *cmd)
{
	int32_t today = kt_cli_today(cli), day;

	for (uint32_t i = 0; i < d->nops; i++) {
		const struct kt_field *f = kt_schema_field(d->type, d->ops[i].field);
		char iso[11];

		if (f == NULL || f->vtype != KT_VT_DATE || d->vals[i].t != KT_V_STR ||
		    d->vals[i].n != 10)
			continue;
		memcpy(iso, d->vals[i].s, 10);
		iso[10] = '\0';
		if (kt_date_parse(iso, &day) == 0 &&
		    kt_dates_check(f, day, today, future, &cli->err) != 0)
			return kt_cli_failf("%s: %s", cmd, cli->err.msg);
	}
	return 0;
}

int32_t kt_cli_today(struct kt_cli *cli)
{
	const char *t = getenv("KT_TODAY"), *now = getenv("KT_NOW");
	int32_t days;
	char *end;
	long long s;

	kt_assert(cli->open); /* the branch's zone is set when the store opens */
	if (t != NULL && kt_date_parse(t, &days) == 0)
		return days;
	if (now != NULL && now[0] != '\0') {
		s = strtoll(now, &end, 10);
		if (*end == '\0')
			return kt_when_day(s);
	}
	return kt_when_day((int64_t)(kt_wall_ms() / 1000));
}

void kt_cli_today_text(struct kt_cli *cli, char out[11])
{
	kt_date_format(kt_cli_today(cli), out);
}

int kt_cli_id(const char *s, struct kt_id *id)
{
	if (kt_id_parse(id, s) != 0) {
		kt_cli_failf("bad id '%s' (want 26 letters and digits, as printed by client add)", s);
		return -1;
	}
	return 0;
}

void kt_cli_branch(struct kt_cli *cli, char *out, size_t cap)
{
	struct kt_store_info info;

	out[0] = '\0';
	if (kt_store_info(&cli->st, &info, NULL) == 0)
		snprintf(out, cap, "%s", info.branch);
}

const struct kt_settings *kt_cli_settings(struct kt_cli *cli, struct kt_settings *s)
{
	kt_settings_load(&cli->st, NULL, s);
	return s;
}
