/*
 * store_harness.h - what test_store.c and test_store_map.c share: the test
 * folder tmpdir (main makes it), rm_rf, and make_node, a node store in it
 * of its own chain or of another node's.  Included once, after t.h.
 */
#ifndef KT_TEST_STORE_HARNESS_H
#define KT_TEST_STORE_HARNESS_H

#include "t.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char tmpdir[256];

static inline void rm_rf(const char *p)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", p);
}

/* Makes node `name` under tmpdir sharing `chain_from`'s chain key (NULL: its own). */
static inline void make_node(struct kt_store *st, const char *name, const char *chain_from)
{
	char dir[512], src[600], dst[600], buf[256];
	struct kt_err err;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	T_CHECK(kt_store_init(dir, name, "RU", &err) == 0);
	if (chain_from != NULL) {
		snprintf(src, sizeof(src), "%s/%s/chain.key", tmpdir, chain_from);
		snprintf(dst, sizeof(dst), "%s/chain.key", dir);
		f = fopen(src, "r");
		T_CHECK(f != NULL && fgets(buf, sizeof(buf), f) != NULL);
		fclose(f);
		f = fopen(dst, "w");
		fputs(buf, f);
		fclose(f);
		chmod(dst, 0600);
	}
	T_CHECK(kt_store_open(st, dir, &err) == 0);
}

#endif
