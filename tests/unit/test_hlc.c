/* test_hlc.c - the hybrid logical clock and its bound on clocks that run ahead. */
#include "t.h"
#include "hlc.h"

static void test_now_is_monotonic(void)
{
	uint64_t t = kt_hlc_now(0, 1000);

	T_CHECK(t == kt_hlc_make(1000, 0));
	T_CHECK(kt_hlc_now(t, 1000) == t + 1);        /* same ms: the counter moves */
	T_CHECK(kt_hlc_now(t + 5, 999) == t + 6);     /* the wall clock went back */
	T_CHECK(kt_hlc_now(t, 2000) == kt_hlc_make(2000, 0));
	T_CHECK(kt_hlc_ms(kt_hlc_make(123456, 7)) == 123456);
}

static void test_recv_bounds_a_clock_ahead(void)
{
	uint64_t wall = 1700000000000ull, out = 0;
	uint64_t at_max = kt_hlc_make(wall + KT_HLC_DRIFT_MAX_MS, 0);
	uint64_t over = kt_hlc_make(wall + KT_HLC_DRIFT_MAX_MS + 1, 0);

	T_EQ_INT(kt_hlc_recv(0, at_max, wall, &out), 0);
	T_CHECK(out > at_max);
	T_EQ_INT(kt_hlc_recv(0, over, wall, &out), -1);
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(wall, 0), kt_hlc_make(wall - 10, 0), wall, &out), 0);
	T_CHECK(out == kt_hlc_make(wall, 1));
}

int main(void)
{
	T_RUN(test_now_is_monotonic);
	T_RUN(test_recv_bounds_a_clock_ahead);
	T_DONE();
}
