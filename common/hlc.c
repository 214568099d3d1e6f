/* hlc.c - hybrid logical clock (see hlc.h). */
#include "hlc.h"

#include <time.h>

uint64_t kt_hlc_now(uint64_t last, uint64_t wall_ms)
{
	uint64_t wall = kt_hlc_make(wall_ms, 0);

	/* The counter wraps into the ms part, which keeps the order strict. */
	return wall > last ? wall : last + 1;
}

int kt_hlc_recv(uint64_t last, uint64_t remote, uint64_t wall_ms, uint64_t *out)
{
	uint64_t t;

	if (kt_hlc_ms(remote) > wall_ms + KT_HLC_DRIFT_MAX_MS)
		return -1;
	t = kt_hlc_now(last, wall_ms);
	*out = remote >= t ? remote + 1 : t;
	return 0;
}

uint64_t kt_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t kt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
