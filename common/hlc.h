/*
 * hlc.h - hybrid logical clock: 48 bits of Unix ms, 16 bits of counter.
 *
 * A timestamp is a u64, (ms << 16) | counter, so plain integer order is
 * clock order.  kt_hlc_now() is pure: it takes the wall clock as an
 * argument, so tests and the simulation drive time themselves.
 *
 * Bound on a clock that runs ahead: kt_hlc_recv() refuses a remote
 * timestamp more than KT_HLC_DRIFT_MAX_MS ahead of our wall clock (the
 * caller reports it and does not apply it until time catches up), so one
 * branch with a wrong clock cannot push every replica's clock into the
 * future and win every later conflict.
 */
#ifndef KT_HLC_H
#define KT_HLC_H

#include <stdint.h>

#define KT_HLC_DRIFT_MAX_MS (5ull * 60 * 1000) /* five minutes */

static inline uint64_t kt_hlc_ms(uint64_t t) { return t >> 16; }
static inline uint64_t kt_hlc_make(uint64_t ms, uint16_t c) { return (ms << 16) | c; }

/* The next local timestamp after last, given the wall clock wall_ms. */
uint64_t kt_hlc_now(uint64_t last, uint64_t wall_ms);

/*
 * Merges a received timestamp: returns 0 and stores the new clock in *out,
 * or -1 when remote is more than KT_HLC_DRIFT_MAX_MS ahead of wall_ms.
 */
int kt_hlc_recv(uint64_t last, uint64_t remote, uint64_t wall_ms, uint64_t *out);

/* The wall clock in Unix ms (CLOCK_REALTIME); the edge the rest stays off. */
uint64_t kt_wall_ms(void);

/* A monotonic clock in ns, for measuring. */
uint64_t kt_mono_ns(void);

#endif
