/*
 * test_hlc.c - the hybrid logical clock: strictly increasing whatever the
 * wall clock does, and its bound on a remote clock that runs ahead.
 */
#include "t.h"
#include "hlc.h"

#define WALL 1700000000000ull

static void test_layout(void)
{
	T_CHECK(kt_hlc_make(WALL, 7) == ((WALL << 16) | 7));
	T_CHECK(kt_hlc_ms(kt_hlc_make(WALL, 0xffff)) == WALL);
	T_CHECK(kt_hlc_ms(kt_hlc_make(123456, 7)) == 123456);
	/* Integer order is clock order: ms first, then counter. */
	T_CHECK(kt_hlc_make(WALL, 0xffff) < kt_hlc_make(WALL + 1, 0));
	T_CHECK(kt_hlc_make(WALL, 1) < kt_hlc_make(WALL, 2));
}

static void test_now_follows_a_clock_that_moves_forward(void)
{
	uint64_t t = kt_hlc_now(0, WALL);

	T_CHECK(t == kt_hlc_make(WALL, 0));
	t = kt_hlc_now(t, WALL + 5);
	T_CHECK(t == kt_hlc_make(WALL + 5, 0)); /* a new ms resets the counter */
}

static void test_now_counts_when_the_clock_stands_still(void)
{
	uint64_t t = kt_hlc_now(0, WALL);

	for (uint16_t c = 1; c <= 1000; c++) {
		uint64_t n = kt_hlc_now(t, WALL);

		T_CHECK(n == kt_hlc_make(WALL, c));
		T_CHECK(n > t);
		t = n;
	}
	/* Past 0xffff the counter carries into the ms: still strictly increasing. */
	t = kt_hlc_make(WALL, 0xffff);
	T_CHECK(kt_hlc_now(t, WALL) == kt_hlc_make(WALL + 1, 0));
}

static void test_now_is_monotonic_when_the_clock_goes_back(void)
{
	uint64_t t = kt_hlc_now(0, WALL + 1000), first = t;

	/* The wall clock jumps back a second, then creeps forward again. */
	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t n = kt_hlc_now(t, WALL + i);

		T_CHECK(n > t);
		t = n;
	}
	T_CHECK(kt_hlc_ms(t) >= kt_hlc_ms(first));
	/* Once the wall clock passes the clock again, the clock follows it. */
	T_CHECK(kt_hlc_now(t, WALL + 5000) == kt_hlc_make(WALL + 5000, 0));
	/* A clock set to zero (a dead CMOS battery) never moves the HLC back. */
	T_CHECK(kt_hlc_now(t, 0) == t + 1);
}

/* A pseudo-random walk of the wall clock, forwards, still and backwards. */
static void test_now_is_monotonic_over_a_random_walk(void)
{
	uint64_t wall = WALL, t = 0, x = 88172645463325252ull;

	for (int i = 0; i < 100000; i++) {
		uint64_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (x % 4) {
		case 0: wall += x % 50; break;
		case 1: break;
		case 2: wall -= x % 30; break;
		default: wall += 1; break;
		}
		n = kt_hlc_now(t, wall);
		T_CHECK(n > t);
		T_CHECK(kt_hlc_ms(n) >= wall); /* never behind the wall clock */
		t = n;
	}
}

static void test_recv_merges_a_remote_clock_ahead(void)
{
	uint64_t last = kt_hlc_make(WALL, 3), out = 0;
	uint64_t remote = kt_hlc_make(WALL + 1000, 5);

	T_EQ_INT(kt_hlc_recv(last, remote, WALL, &out), 0);
	T_CHECK(out > remote && out > last);
	T_CHECK(out == remote + 1);
	/* Later local times stay after what we received. */
	T_CHECK(kt_hlc_now(out, WALL) > out);
	T_CHECK(kt_hlc_now(out, WALL + 10) > remote);
}

static void test_recv_of_a_remote_clock_behind(void)
{
	uint64_t out = 0;

	/* Remote behind us: our clock just moves on. */
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(WALL, 0), kt_hlc_make(WALL - 10, 0), WALL, &out), 0);
	T_CHECK(out == kt_hlc_make(WALL, 1));
	/* Wall clock ahead of both: it wins. */
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(WALL, 9), kt_hlc_make(WALL + 1, 4), WALL + 2, &out), 0);
	T_CHECK(out == kt_hlc_make(WALL + 2, 0));
	/* Equal to what the local clock would give next: strictly after it. */
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(WALL, 0), kt_hlc_make(WALL, 1), WALL, &out), 0);
	T_CHECK(out == kt_hlc_make(WALL, 2));
	/* Remote equal to last. */
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(WALL, 4), kt_hlc_make(WALL, 4), WALL, &out), 0);
	T_CHECK(out > kt_hlc_make(WALL, 4));
}

static void test_recv_bounds_a_clock_ahead_at_max_and_over(void)
{
	uint64_t out = 0;
	uint64_t at_max = kt_hlc_make(WALL + KT_HLC_DRIFT_MAX_MS, 0);
	uint64_t at_max_end = kt_hlc_make(WALL + KT_HLC_DRIFT_MAX_MS, 0xfffe);
	uint64_t over = kt_hlc_make(WALL + KT_HLC_DRIFT_MAX_MS + 1, 0);
	uint64_t far = kt_hlc_make(WALL + 365ull * 24 * 3600 * 1000, 0);

	T_EQ_INT(kt_hlc_recv(0, at_max, WALL, &out), 0);
	T_CHECK(out == at_max + 1);
	T_EQ_INT(kt_hlc_recv(0, at_max_end, WALL, &out), 0);
	T_CHECK(out == at_max_end + 1);
	out = 12345;
	T_EQ_INT(kt_hlc_recv(0, over, WALL, &out), -1);
	T_CHECK(out == 12345); /* refused: the clock is not touched */
	T_EQ_INT(kt_hlc_recv(kt_hlc_make(WALL, 0), far, WALL, &out), -1);
	T_EQ_INT(kt_hlc_recv(0, UINT64_MAX, WALL, &out), -1);
	/* The same timestamp is accepted once our wall clock has caught up. */
	T_EQ_INT(kt_hlc_recv(0, over, WALL + 1, &out), 0);
	T_CHECK(out == over + 1);
}

static void test_wall_and_monotonic_clocks_move(void)
{
	uint64_t w = kt_wall_ms(), a = kt_mono_ns(), b = kt_mono_ns();

	T_CHECK(w > WALL); /* after November 2023 */
	T_CHECK(b >= a);
}

int main(void)
{
	T_RUN(test_layout);
	T_RUN(test_now_follows_a_clock_that_moves_forward);
	T_RUN(test_now_counts_when_the_clock_stands_still);
	T_RUN(test_now_is_monotonic_when_the_clock_goes_back);
	T_RUN(test_now_is_monotonic_over_a_random_walk);
	T_RUN(test_recv_merges_a_remote_clock_ahead);
	T_RUN(test_recv_of_a_remote_clock_behind);
	T_RUN(test_recv_bounds_a_clock_ahead_at_max_and_over);
	T_RUN(test_wall_and_monotonic_clocks_move);
	T_DONE();
}
