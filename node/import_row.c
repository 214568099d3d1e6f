/*
 * import_row.c - the storage every imported row's strings live in, and the
 * building of one row: each value checked through a scratch draft (the
 * schema).  Under both readers, JSON (import.c) and CSV (import_csv.c);
 * declared in import_int.h and import.h.
 *
 * Memory stays within a small multiple of the file: a row's strings are
 * copied into large chunks rather than malloc'd one by one, and a row holds
 * at most KT_OPS_MAX values (the scratch draft refuses more).
 */
#include "import.h"
#include "import_int.h"
#include "card.h"
#include "proto/limits.h"
#include "proto/schema.h"
#include "dates.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- storage ---- */

/* First chunk small (a fuzz input or a short file), then doubling to the max. */
#define CHUNK_BYTES_MIN (16u * 1024)
#define CHUNK_BYTES_MAX (1u << 20)

struct kt_import_chunk {
	struct kt_import_chunk *next;
	size_t used, cap;
	max_align_t data[]; /* aligned for any struct we put there */
};

static void *store_alloc(struct kt_import *im, size_t n, size_t align)
{
	struct kt_import_chunk *c = im->chunks;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

	if (c == NULL || at > c->cap || c->cap - at < n) {
		size_t cap = c ? c->cap * 2 : CHUNK_BYTES_MIN;

		cap = cap > CHUNK_BYTES_MAX ? CHUNK_BYTES_MAX : cap;
		cap = cap < n ? n : cap; /* n <= the file size, checked first */
		c = kt_malloc(sizeof(*c) + cap);
		c->cap = cap;
		c->used = 0;
		if (n > CHUNK_BYTES_MAX / 4 && im->chunks != NULL) {
			/* A big value gets a chunk of its own; the current one stays in use. */
			c->next = im->chunks->next;
			im->chunks->next = c;
			c->used = n;
			return (char *)c->data;
		}
		c->next = im->chunks;
		im->chunks = c;
		at = 0;
	}
	c->used = at + n;
	return (char *)c->data + at;
}

const char *kt_import_strndup(struct kt_import *im, const char *s, size_t n)
{
	char *p = store_alloc(im, n + 1, 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A row message formatted into the import's own storage (bad, note). */
static const char *row_text_v(struct kt_import *im, const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		n = 0;
	return kt_import_strndup(im, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

const char *kt_import_row_text(struct kt_import *im, const char *fmt, ...)
{
	va_list ap;
	const char *t;

	va_start(ap, fmt);
	t = row_text_v(im, fmt, ap);
	va_end(ap);
	return t;
}

void kt_import_mark_bad(struct kt_import *im, struct kt_import_row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad != NULL)
		return;
	va_start(ap, fmt);
	r->bad = row_text_v(im, fmt, ap);
	va_end(ap);
}

void kt_import_note(struct kt_import *im, struct kt_import_row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->note != NULL)
		return;
	va_start(ap, fmt);
	r->note = row_text_v(im, fmt, ap);
	va_end(ap);
}

void kt_import_release(struct kt_import *im)
{
	struct kt_import_chunk *c;

	if (im == NULL)
		return;
	for (c = im->chunks; c != NULL;) {
		struct kt_import_chunk *next = c->next;

		free(c);
		c = next;
	}
	free(im->rows);
	memset(im, 0, sizeof(*im));
}

/* ---- rows ---- */

struct parser *kt_import_parser_new(struct kt_import *im)
{
	struct parser *p = kt_calloc(1, sizeof(*p));

	p->im = im;
	p->d = kt_malloc(sizeof(*p->d));
	return p;
}

void kt_import_parser_free(struct parser *p)
{
	if (p != NULL) {
		free(p->d);
		free(p->parts);
	}
	free(p);
}

void kt_import_row_begin(struct parser *p, int line, uint8_t type)
{
	struct kt_import *im = p->im;
	struct kt_id zero;

	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = kt_realloc(im->rows, im->cap * sizeof(*im->rows));
	}
	p->r = &im->rows[im->n++];
	memset(p->r, 0, sizeof(*p->r));
	p->r->line = line;
	p->r->type = type;
	p->ntmp = 0;
	p->named = 0;
	p->nparts = 0;
	memset(&zero, 0, sizeof(zero));
	kt_draft_start(p->d, type, &zero, 1, &zero);
}

void kt_import_row_bad(struct parser *p, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (p->r->bad != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kt_import_mark_bad(p->im, p->r, "%s", buf);
}

/* Checks one value (NUL-terminated text) through the schema and keeps it. */
void kt_import_row_value(struct parser *p, const struct kt_field *f, const char *text)
{
	struct kt_err err;
	uint8_t add = f->merge == KT_M_SET;

	uint32_t had = p->d->nops;
	char iso[11];

	if (p->r->bad != NULL)
		return;
	if (f->vtype == KT_VT_DATE && text[0] != '\0') {
		/* A date as the branch writes it (25.11.1990) is kept as ISO. */
		if (kt_dates_read(p->im->date_form, f->name, text, iso, &err) != 0) {
			kt_import_row_bad(p, "%s", err.msg);
			return;
		}
		text = kt_import_strndup(p->im, iso, strlen(iso)); /* the scratch draft borrows it */
	}
	if (kt_draft_field(p->d, f->name, text, add ? KT_OP_ADD : KT_OP_SET, &err) != 0) {
		kt_import_row_bad(p, "%s", err.msg);
		return;
	}
	if (p->d->nops == had)
		return; /* a list entry the row has already ("мёд; Мёд"), or one that says nothing */
	/* Kept once per op the draft took, which refuses past KT_OPS_MAX - 4: tmp cannot overflow. */
	kt_assert(p->ntmp < KT_OPS_MAX);
	p->tmp[p->ntmp].name = f->name;
	p->tmp[p->ntmp].value = kt_import_strndup(p->im, text, strlen(text));
	p->tmp[p->ntmp].add = add;
	p->ntmp++;
	if (strcmp(f->name, "name") == 0 && p->r->type == KT_T_CLIENT && text[0] != '\0')
		p->named = 1;
}

void kt_import_row_end(struct parser *p)
{
	struct kt_import_row *r = p->r;

	if (r->bad == NULL && r->type == KT_T_CLIENT && !p->named)
		kt_import_row_bad(p, "a client needs a name");
	if (r->bad == NULL && r->type == KT_T_VISIT && r->client[0] == '\0' &&
	    r->by_phone == NULL && r->by_email == NULL)
		kt_import_row_bad(p, "the visit names no client (her card's id, phone or email)");
	if (r->bad != NULL || p->ntmp == 0)
		return;
	r->f = store_alloc(p->im, p->ntmp * sizeof(*r->f), _Alignof(struct kt_import_field));
	memcpy(r->f, p->tmp, p->ntmp * sizeof(*r->f));
	r->n = p->ntmp;
}
