/* mp.c - a non-allocating msgpack structure check (see mp.h). */
#include "mp.h"

/*
 * The walk keeps, per open container, the elements still to read, in a
 * fixed stack of depth_max + 1 entries: no recursion, so a deep input
 * cannot exhaust the C stack.
 */
struct walk {
	const uint8_t *p;
	size_t left;
};

static int need(struct walk *w, size_t k)
{
	if (w->left < k)
		return -1;
	return 0;
}

static uint64_t rd(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Reads one item header; sets *children to the number of nested items a
 * container holds (0 for scalars) and skips any payload bytes.  Returns 1
 * for a container (even an empty one, which still nests a level), 0 for a
 * scalar, -1 for bytes that are not msgpack we accept.
 */
static int item(struct walk *w, uint64_t *children, uint64_t *count)
{
	uint8_t b;
	uint64_t len = 0;
	int lb = 0, kind = 0; /* kind: 0 payload bytes, 1 array, 2 map */

	if (need(w, 1))
		return -1;
	b = *w->p++;
	w->left--;
	*children = 0;
	*count = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if ((b & 0xf0) == 0x90) {
		*children = *count = b & 0x0f;
		return 1;
	}
	if ((b & 0xf0) == 0x80) {
		*count = b & 0x0f;
		*children = *count * 2;
		return 1;
	}
	if ((b & 0xe0) == 0xa0) {
		len = b & 0x1f;
	} else {
		switch (b) {
		case 0xcc: case 0xd0: len = 1; break;
		case 0xcd: case 0xd1: len = 2; break;
		case 0xce: case 0xd2: case 0xca: len = 4; break;
		case 0xcf: case 0xd3: case 0xcb: len = 8; break;
		case 0xd9: case 0xc4: lb = 1; break;
		case 0xda: case 0xc5: lb = 2; break;
		case 0xdb: case 0xc6: lb = 4; break;
		case 0xdc: lb = 2; kind = 1; break;
		case 0xdd: lb = 4; kind = 1; break;
		case 0xde: lb = 2; kind = 2; break;
		case 0xdf: lb = 4; kind = 2; break;
		default: return -1; /* ext types and 0xc1 (never used) */
		}
		if (lb) {
			if (need(w, (size_t)lb))
				return -1;
			len = rd(w->p, lb);
			w->p += lb;
			w->left -= (size_t)lb;
		}
	}
	if (kind) {
		*count = len;
		*children = kind == 2 ? len * 2 : len;
		return 1;
	}
	if (need(w, len))
		return -1;
	w->p += len;
	w->left -= len;
	return 0;
}

int kt_mp_check(const uint8_t *p, size_t n, unsigned depth_max, uint32_t count_max,
		struct kt_err *err)
{
	uint64_t stack[KT_MP_DEPTH_MAX + 2];
	unsigned depth = 0;
	struct walk w = { p, n };

	if (depth_max > KT_MP_DEPTH_MAX)
		depth_max = KT_MP_DEPTH_MAX;
	stack[0] = 1; /* the one top-level object */
	while (depth > 0 || stack[0] > 0) {
		uint64_t children, count;
		int rc;

		if (stack[depth] == 0) {
			depth--;
			continue;
		}
		stack[depth]--;
		if ((rc = item(&w, &children, &count)) < 0)
			return kt_err_set(err, KT_ECORRUPT, "malformed msgpack at byte %zu",
					  n - w.left);
		if (rc == 0)
			continue;
		if (count > count_max || children > w.left)
			return kt_err_set(err, KT_ECORRUPT, "msgpack container of %llu items "
					  "exceeds the limit or the bytes left",
					  (unsigned long long)count);
		if (depth + 1 > depth_max)
			return kt_err_set(err, KT_ECORRUPT, "msgpack nested deeper than %u",
					  depth_max);
		if (children > 0)
			stack[++depth] = children;
	}
	if (w.left != 0)
		return kt_err_set(err, KT_ECORRUPT, "%zu trailing bytes after msgpack object",
				  w.left);
	return 0;
}

int kt_mp_unpack(const uint8_t *p, size_t n, msgpack_zone *zone, msgpack_object *obj,
		 struct kt_err *err)
{
	size_t off = 0;
	int rc;

	rc = kt_mp_check(p, n, KT_MP_DEPTH_MAX, KT_MP_COUNT_MAX, err);
	if (rc != 0)
		return rc;
	if (msgpack_unpack((const char *)p, n, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS
	    || off != n)
		return kt_err_set(err, KT_ECORRUPT, "msgpack does not unpack");
	return 0;
}
