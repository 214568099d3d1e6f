/* err.c - error messages, assertions and aborting allocation. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_err_set(struct kt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void kt_err_clear(struct kt_err *err)
{
	if (err == NULL)
		return;
	err->code = KT_OK;
	err->msg[0] = '\0';
}

void kt_assert_fail(const char *expr, const char *file, int line)
{
	fprintf(stderr, "BUG: %s:%d: assertion failed: %s\n", file, line, expr);
	abort();
}

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *kt_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *kt_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *kt_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *kt_strdup(const char *s)
{
	return kt_strndup(s, strlen(s));
}

char *kt_strndup(const char *s, size_t n)
{
	char *p = kt_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
