/*
 * mp.h - checks a msgpack object before msgpack-c unpacks it.
 *
 * msgpack-c's unpacker trusts declared sizes: an 8-byte input declaring an
 * array32 of 2^32 elements makes it allocate 64 GiB.  kt_mp_check() walks
 * the encoding without allocating and refuses it unless every declared
 * length fits in the bytes left, every container count is at most
 * count_max and within the bytes left (each element takes at least one
 * byte), nesting is at most depth_max, and the object ends exactly at n.
 * Only after that do we call msgpack_unpack_next().  Ext types are refused:
 * we never write them.
 */
#ifndef KT_MP_H
#define KT_MP_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <msgpack.h>
#include "err.h"

/* Nesting of msgpack containers in anything we decode. */
#define KT_MP_DEPTH_MAX 8
/* Elements in one msgpack array or map we decode. */
#define KT_MP_COUNT_MAX 4096

/* Returns 0 when p[0..n) is exactly one acceptable object, else KT_ECORRUPT. */
int kt_mp_check(const uint8_t *p, size_t n, unsigned depth_max, uint32_t count_max,
		struct kt_err *err);

/*
 * Checks p[0..n) and unpacks it into *obj, allocating from zone (which the
 * caller initialised and later destroys).  Strings and bins in *obj point
 * into p.  Returns 0 or KT_ECORRUPT.
 */
int kt_mp_unpack(const uint8_t *p, size_t n, msgpack_zone *zone, msgpack_object *obj,
		 struct kt_err *err);

/* A growable byte buffer that msgpack's packer writes to (msgpack_sbuffer). */
#define kt_mp_buf msgpack_sbuffer

#endif
