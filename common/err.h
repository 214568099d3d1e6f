/*
 * err.h - one error type with a message, for every layer.
 *
 * A function that can fail returns 0 or a negative KT_E* code and fills a
 * caller-owned struct kt_err.  kt_err_set() returns the code it stores, so
 * `return kt_err_set(err, KT_EINVAL, "bad date '%s'", s);` reads like git's
 * `return error(...)`.  Messages are lower case, no full stop, with the
 * subject quoted.  The CLI prints err->msg as its one line on stderr.
 */
#ifndef KT_ERR_H
#define KT_ERR_H

#include <stddef.h>

enum {
	KT_OK = 0,
	KT_EINVAL = -1,    /* bad input from a user or a file */
	KT_ENOTFOUND = -2, /* unknown id or key */
	KT_EEXIST = -3,    /* already there */
	KT_EIO = -4,       /* the disk or LMDB failed */
	KT_ECORRUPT = -5,  /* bytes from outside that do not decode */
	KT_ECRYPTO = -6,   /* a seal that does not open, a bad key */
	KT_ETOOBIG = -7,   /* a value or count over its limit */
	KT_EREFUSED = -8,  /* a safety rule refused the write */
	KT_EFULL = -9,     /* the store is full and cannot grow */
	KT_ENOSPC = -10,   /* the disk holding the store is full */
	KT_EINTR = -11,    /* stopped by Ctrl-C or a kill (kt_interrupted) */
	KT_EDENIED = -12,  /* the staff member acting may not (node/roles.h) */
};

/* Room for the longest line we say: an import's unknown column names all a type's columns. */
#define KT_ERR_MSG_BYTES 512

struct kt_err {
	int code;
	char msg[KT_ERR_MSG_BYTES];
};

/* Stores code and the formatted message in err (which may be NULL); returns code. */
int kt_err_set(struct kt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears err to KT_OK with an empty message. */
void kt_err_clear(struct kt_err *err);

/*
 * Aborts with a message when cond is false.  For our bugs only, never for
 * bytes from outside; stays on in release builds (git's BUG()).
 */
#define kt_assert(cond) \
	((cond) ? (void)0 : kt_assert_fail(#cond, __FILE__, __LINE__))
void kt_assert_fail(const char *expr, const char *file, int line)
	__attribute__((noreturn));

/* Allocation that aborts on failure (redis zmalloc); sizes are checked first. */
void *kt_malloc(size_t n);
void *kt_calloc(size_t n, size_t size);
void *kt_realloc(void *p, size_t n);
char *kt_strdup(const char *s);
char *kt_strndup(const char *s, size_t n);

#endif
