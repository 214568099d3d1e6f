/*
 * store_harness.h - the test folder and the node stores in it, shared by
 * test_store.c, test_store_map.c and sync_harness.h: tmpdir (made by
 * tmpdir_make, removed by tmpdir_done), rm_rf, copy_chain_key and
 * make_node.  Included once, after t.h; its checks fail the running test.
 */
#ifndef KT_TEST_STORE_HARNESS_H
#define KT_TEST_STORE_HARNESS_H

#include "t.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char tmpdir[256];

/*
 * Readies the test program: the crypto library, and tmpdir made as
 * $TMPDIR/kt-test-<name>-XXXXXX (/tmp without TMPDIR); -1 when it cannot.
 */
static inline int tmpdir_make(const char *name)
{
	kt_crypto_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-%s-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* Removes p and all below it; -1 (said on stderr) when it cannot. */
static inline int rm_rf(const char *p)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd) == 0)
		return 0;
	fprintf(stderr, "cannot remove %s\n", p);
	return -1;
}

/* The end of main: tmpdir removed (said on stderr when it cannot), the tests counted (t.h). */
static inline int tmpdir_done(void)
{
	rm_rf(tmpdir);
	T_DONE();
}

/* Copies the chain key of node folder from_dir into node folder to_dir (mode 0600). */
static inline void copy_chain_key(const char *from_dir, const char *to_dir)
{
	char src[600], dst[600], buf[256];
	FILE *f;

	snprintf(src, sizeof(src), "%s/chain.key", from_dir);
	snprintf(dst, sizeof(dst), "%s/chain.key", to_dir);
	f = fopen(src, "r");
	T_CHECK(f != NULL && fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	f = fopen(dst, "w");
	fputs(buf, f);
	fclose(f);
	chmod(dst, 0600);
}

/* Makes node `name` under tmpdir sharing `chain_from`'s chain key (NULL: its own). */
static inline void make_node(struct kt_store *st, const char *name, const char *chain_from)
{
	char dir[512], from[512];
	struct kt_err err;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	T_CHECK(kt_store_init(dir, name, "RU", &err) == 0);
	if (chain_from != NULL) {
		snprintf(from, sizeof(from), "%s/%s", tmpdir, chain_from);
		copy_chain_key(from, dir);
	}
	T_CHECK(kt_store_open(st, dir, &err) == 0);
}

#endif
