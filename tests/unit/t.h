/*
 * t.h - the unit test harness: one header, no library.
 *
 * A test file defines `static void test_xxx(void)` functions and lists them
 * in main() with T_RUN(test_xxx).  Each check that fails prints the file,
 * line and expression and marks the running test failed; the test goes on
 * so one run shows every broken check.  Each test prints one line,
 * "ok - name" or "not ok - name", which tests/run.sh counts.
 */
#ifndef KT_T_H
#define KT_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

static int t_failed_checks;
static int t_pass, t_fail;

#define T_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		t_failed_checks++; \
	} \
} while (0)

#define T_EQ_INT(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) { \
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
			__FILE__, __LINE__, #a, t_a_, #b, t_b_); \
		t_failed_checks++; \
	} \
} while (0)

#define T_EQ_STR(a, b) do { \
	const char *t_a_ = (a), *t_b_ = (b); \
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) { \
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
			__FILE__, __LINE__, #a, t_a_ ? t_a_ : "(null)", \
			t_b_ ? t_b_ : "(null)"); \
		t_failed_checks++; \
	} \
} while (0)

#define T_RUN(fn) do { \
	t_failed_checks = 0; \
	fn(); \
	if (t_failed_checks == 0) { t_pass++; printf("ok - %s\n", #fn); } \
	else { t_fail++; printf("not ok - %s\n", #fn); } \
	fflush(stdout); \
} while (0)

#define T_DONE() do { \
	printf("# %d passed, %d failed\n", t_pass, t_fail); \
	return t_fail ? 1 : 0; \
} while (0)

#endif
