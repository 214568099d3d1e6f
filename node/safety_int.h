/*
 * safety_int.h - what the two files of the safety check (safety.c, which
 * matches and checks, and safety_load.c, which loads a merge group) both
 * use.  For those files only.
 */
#ifndef KT_SAFETY_INT_H
#define KT_SAFETY_INT_H

#include "safety.h"
#include "proto/schema.h"

#include <stddef.h>

/* Sets err to KT_ECORRUPT, "card ID has a damaged WHAT", and returns it. */
int kt_safety_damaged(struct kt_err *err, const struct kt_id *card, const char *what);

/*
 * Calls fn(ctx, field, part, len) for each part (common/list.h) of each list
 * element of r in a field the chair reads; fn returns 0 or an error.
 * Returns 0, fn's error, or KT_ECORRUPT for an element that is not UTF-8.
 */
typedef int (*part_fn)(void *ctx, const struct kt_field *f, const char *s, size_t n);

int kt_safety_chair_parts(const struct kt_rec *r, part_fn fn, void *ctx, struct kt_err *err);

#endif
