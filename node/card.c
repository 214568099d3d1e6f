/* card.c - drafts from typed fields, records to JSON (see card.h). */
#include "card.h"
#include "text.h"
#include "list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_draft_start(struct kt_draft *d, uint8_t type, const struct kt_id *id, int create,
		    const struct kt_id *owner)
{
	d->type = type;
	d->create = (uint8_t)create;
	d->id = *id;
	memset(&d->owner, 0, sizeof(d->owner));
	if (owner != NULL)
		d->owner = *owner;
	d->nops = 0;
}

void kt_draft_alias(struct kt_draft *d, const struct kt_id *merged, const struct kt_id *kept)
{
	kt_draft_start(d, KT_T_CLIENT, merged, 0, NULL);
	memset(&d->ops[0], 0, sizeof(d->ops[0]));
	d->ops[0].field = KT_F_ALIAS;
	d->ops[0].kind = KT_OP_ALIAS;
	d->ops[0].arg = kept->b;
	d->ops[0].arg_len = KT_ID_BYTES;
	d->nops = 1;
}

/*
 * A list value typed with separators is several entries (common/list.h):
 * one op per entry, each borrowing its part of text.  The op at d->nops is
 * filled in for the whole text, which the schema has checked (size, UTF-8;
 * every part of valid UTF-8 cut at separators and blanks is valid too).
 */
static int list_entries(struct kt_draft *d, const struct kt_field *f, const char *text,
			struct kt_err *err)
{
	struct kt_op first = d->ops[d->nops];
	struct kt_span part;
	size_t pos = 0, n = strlen(text);
	uint32_t k = 0;

	while (kt_list_next(text, n, &pos, &part)) {
		int dup = 0;

		for (uint32_t i = 0; i < d->nops && !dup; i++) { /* "мёд, Мёд" is one entry */
			char *a, *b;

			if (d->ops[i].field != first.field || d->ops[i].kind != first.kind ||
			    d->vals[i].t != KT_V_STR)
				continue;
			a = kt_text_fold(d->vals[i].s, d->vals[i].n);
			b = kt_text_fold(part.s, part.n);
			dup = a != NULL && b != NULL && strcmp(a, b) == 0;
			free(a);
			free(b);
		}
		if (dup) {
			k++;
			continue;
		}
		{
			char *one = kt_strndup(part.s, part.n);
			int says = kt_text_says_something(one);

			free(one);
			if (!says)
				return kt_err_set(err, KT_EINVAL, "'%.*s' is no entry for '%s' (it "
						  "needs a letter or digit)", (int)part.n, part.s,
						  f->name);
		}
		if (d->nops >= KT_OPS_MAX - 4)
			return kt_err_set(err, KT_ETOOBIG, "too many fields in one write "
					  "(limit %d)", KT_OPS_MAX - 4);
		d->ops[d->nops] = first;
		memset(&d->vals[d->nops], 0, sizeof(d->vals[0]));
		d->vals[d->nops].t = KT_V_STR;
		d->vals[d->nops].s = part.s;
		d->vals[d->nops].n = (uint32_t)part.n;
		d->nops++;
		k++;
	}
	if (k == 0)
		return kt_err_set(err, KT_EINVAL, "empty value for '%s'", f->name);
	return 0;
}

int kt_draft_field(struct kt_draft *d, const char *name, const char *text, uint8_t kind,
		   struct kt_err *err)
{
	static char scratch[KT_VALUE_BYTES_MAX + 1];
	const struct kt_field *f = kt_schema_field_named(d->type, name);
	struct kt_op *op;
	int rc;

	if (f == NULL)
		return kt_err_set(err, KT_EINVAL, "unknown field '%s' for a %s", name,
				  kt_schema_type_name(d->type));
	if (f->merge == KT_M_SET && kind == KT_OP_SET)
		kind = KT_OP_ADD; /* --set on a list adds to it */
	if (f->merge != KT_M_SET && kind != KT_OP_SET)
		return kt_err_set(err, KT_EINVAL, "'%s' is not a list: use --set %s=VALUE",
				  name, name);
	if (f->merge == KT_M_ONCE && !d->create)
		return kt_err_set(err, KT_EINVAL, "'%s' is written once and cannot be changed",
				  name);
	if (f->merge != KT_M_SET && kt_draft_has(d, name))
		return kt_err_set(err, KT_EINVAL, "'%s' is given twice (a field holds one value)",
				  name);
	if (d->nops >= KT_OPS_MAX - 4) /* room for the key and token ops */
		return kt_err_set(err, KT_ETOOBIG, "too many fields in one write (limit %d)",
				  KT_OPS_MAX - 4);
	op = &d->ops[d->nops];
	memset(op, 0, sizeof(*op));
	if ((rc = kt_schema_parse(f, text, &d->vals[d->nops], scratch, err)) != 0)
		return rc;
	op->field = f->num;
	op->kind = kind;
	if (f->merge == KT_M_SET)
		return list_entries(d, f, text, err);
	d->nops++;
	return 0;
}

int kt_draft_assign(struct kt_draft *d, const char *arg, uint8_t kind, struct kt_err *err)
{
	const char *eq = strchr(arg, '=');
	char name[64];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return kt_err_set(err, KT_EINVAL, "expected FIELD=VALUE, got '%s'", arg);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	return kt_draft_field(d, name, eq + 1, kind, err);
}

int kt_draft_has(const struct kt_draft *d, const char *name)
{
	const struct kt_field *f = kt_schema_field_named(d->type, name);

	for (uint32_t i = 0; f != NULL && i < d->nops; i++)
		if (d->ops[i].field == f->num)
			return 1;
	return 0;
}

static json_t *val_json(const struct kt_field *f, const struct kt_val *v)
{
	char buf[64];

	switch (v->t) {
	case KT_V_BOOL:
		return json_boolean(v->i);
	case KT_V_INT:
		if (f != NULL && f->vtype == KT_VT_MONEY) {
			kt_schema_format(f, v, buf, sizeof(buf));
			return json_string(buf);
		}
		return json_integer(v->i);
	case KT_V_STR:
		return json_stringn(v->s, v->n);
	case KT_V_BIN: {
		char *hex = kt_malloc((size_t)v->n * 2 + 1);
		json_t *j;

		kt_hex(hex, (const uint8_t *)v->s, v->n);
		j = json_string(hex);
		free(hex);
		return j;
	}
	default:
		return json_null();
	}
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* The live values of one set field, sorted and distinct. */
static json_t *set_json(const struct kt_rec *r, uint16_t field)
{
	json_t **items = kt_malloc(sizeof(json_t *) * (r->nelems + 1));
	json_t *arr = json_array();
	const char *prev = NULL;
	size_t n = 0;

	for (uint32_t i = 0; i < r->nelems; i++)
		if (r->elems[i].field == field && r->elems[i].v.t == KT_V_STR &&
		    (items[n] = json_stringn(r->elems[i].v.s, r->elems[i].v.n)) != NULL)
			n++;
	qsort(items, n, sizeof(items[0]), cmp_json_str);
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(items[i]);

		if (prev != NULL && strcmp(v, prev) == 0) {
			json_decref(items[i]);
		} else {
			json_array_append_new(arr, items[i]); /* arr keeps it alive */
			prev = v;
		}
	}
	free(items);
	return arr;
}

json_t *kt_card_fields(const struct kt_rec *r)
{
	json_t *o = json_object();
	char name[16];

	for (uint32_t i = 0; i < r->nfields; i++) {
		const struct kt_rfield *rf = &r->fields[i];
		const struct kt_field *f = kt_schema_field(r->type, rf->field);

		if (rf->v.t == KT_V_NIL)
			continue;
		snprintf(name, sizeof(name), "f%u", rf->field);
		json_object_set_new(o, f ? f->name : name, val_json(f, &rf->v));
	}
	for (uint32_t i = 0; i < r->nelems; i++) {
		const struct kt_field *f = kt_schema_field(r->type, r->elems[i].field);

		snprintf(name, sizeof(name), "f%u", r->elems[i].field);
		if (json_object_get(o, f ? f->name : name) == NULL)
			json_object_set_new(o, f ? f->name : name, set_json(r, r->elems[i].field));
	}
	return o;
}

json_t *kt_card_json(const struct kt_rec *r)
{
	char idt[KT_ID_TEXT_BYTES];
	json_t *o = json_object();

	kt_id_format(&r->id, idt);
	json_object_set_new(o, "id", json_string(idt));
	json_object_set_new(o, "type", json_string(kt_schema_type_name(r->type)));
	if (!kt_schema_self_owned(r->type)) {
		kt_id_format(&r->owner, idt);
		json_object_set_new(o, "client", json_string(idt));
	}
	if (!kt_id_is_zero(&r->alias)) {
		kt_id_format(&r->alias, idt);
		json_object_set_new(o, "merged_into", json_string(idt));
	}
	json_object_set_new(o, "fields", kt_card_fields(r));
	return o;
}

const struct kt_val *kt_card_get(const struct kt_rec *r, const char *name)
{
	const struct kt_field *f = kt_schema_field_named(r->type, name);

	return f ? kt_rec_get(r, f->num) : NULL;
}

const char *kt_card_text(const struct kt_rec *r, const char *name, char *out, size_t cap)
{
	const struct kt_field *f = kt_schema_field_named(r->type, name);
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL)
		return out;
	if (f->merge != KT_M_SET) {
		const struct kt_val *v = kt_rec_get(r, f->num);

		if (v != NULL)
			kt_schema_format(f, v, out, cap);
		return out;
	}
	{
		json_t *arr = set_json(r, f->num), *it;
		size_t i;

		json_array_foreach(arr, i, it) {
			int k = snprintf(out + n, cap - n, "%s%s", i ? ", " : "",
					 json_string_value(it));
			if (k < 0 || (size_t)k >= cap - n)
				break;
			n += (size_t)k;
		}
		json_decref(arr);
	}
	return out;
}

int kt_card_keep(struct kt_rec *r, int reads)
{
	uint32_t k = 0;
	int dropped = 0;

	for (uint32_t i = 0; i < r->nfields; i++) {
		int part = kt_schema_part(r->type, r->fields[i].field);

		if (reads & part)
			r->fields[k++] = r->fields[i];
		else
			dropped |= part;
	}
	r->nfields = k;
	k = 0;
	for (uint32_t i = 0; i < r->nelems; i++) {
		int part = kt_schema_part(r->type, r->elems[i].field);

		if (reads & part)
			r->elems[k++] = r->elems[i];
		else
			dropped |= part;
	}
	r->nelems = k;
	return dropped;
}
