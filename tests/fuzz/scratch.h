/*
 * scratch.h - the folder a fuzz target keeps its stores in: made once under
 * /dev/shm (else /tmp) as kt-fuzz-NAME-XXXXXX, removed at exit.
 */
#ifndef KT_FUZZ_SCRATCH_H
#define KT_FUZZ_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char scratch_made[256];

static void scratch_remove(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_made);
	if (scratch_made[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", scratch_made);
}

/* Makes the folder for target name into out (cap bytes); aborts when it cannot. */
static void scratch_dir(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/kt-fuzz-%s-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
	if (mkdtemp(out) == NULL)
		abort();
	snprintf(scratch_made, sizeof(scratch_made), "%s", out);
	atexit(scratch_remove);
}

#endif
