/*
 * limits.h - every size Kartoteka accepts from outside, in one place.
 *
 * Decoders check declared counts and lengths against these and against the
 * bytes left before they allocate anything (msgpack-c's unpacker would
 * otherwise allocate a declared array of 2^32 elements up front).  Each
 * limit is tested at max and max+1.
 */
#ifndef KT_LIMITS_H
#define KT_LIMITS_H

/* One field value as typed by a user: a long note fits, a novel does not. */
#define KT_VALUE_BYTES_MAX 4096
/* A birthday further back than this many years is a typo (enum kt_when). */
#define KT_AGE_YEARS_MAX 130
/*
 * How far ahead of today a visit, patch test or assessment may be dated with
 * --future (enum kt_when): a year covers a prepaid course booked ahead;
 * further is a typo of the year.
 */
#define KT_DATE_AHEAD_DAYS_MAX 366
/*
 * The points one ledger entry adds or takes (its delta, either way): a
 * generous course's worth many times over, and far from any sum's overflow.
 * Entries written before the bound may be larger: sums are exact whatever
 * they hold (node/points.h).
 */
#define KT_POINTS_DELTA_MAX 1000000000LL
/* Field operations in one change (a card with every set filled). */
#define KT_OPS_MAX 256
/* Set elements removed by one operation (each a 16-byte tag). */
#define KT_DEL_TAGS_MAX 1024
/* An encoded change, header and sealed payload. */
#define KT_CHANGE_BYTES_MAX (1u << 20)
/* The cleartext header of a change. */
#define KT_HEADER_BYTES_MAX (64u * 1024)
/* The msgpack checker's bounds, KT_MP_DEPTH_MAX and KT_MP_COUNT_MAX, are common/mp.h's. */
/* A branch name. */
#define KT_BRANCH_BYTES_MAX 64
/* One import file: rows, and bytes in one row / line. */
#define KT_IMPORT_ROWS_MAX 10000000
#define KT_IMPORT_LINE_BYTES_MAX (256u * 1024)
#define KT_IMPORT_FILE_BYTES_MAX (1024ull * 1024 * 1024)
/* Results one search returns. */
#define KT_FIND_RESULTS_MAX 50
/* Changes written in one LMDB transaction by a batch (import, bench). */
#define KT_BATCH_MAX 1000

#endif
