/*
 * fuzz_hub.c - libFuzzer target for the hub's handling of one message
 * (kt_hub_handle, hub/hub.h) from an enrolled node that said hello, on a real
 * hub store (under /dev/shm when there is one).  The first byte picks the
 * sender: the enrolled node, or an enrolled key that never said hello; the
 * rest is the message.  State carries over from one input to the next, as
 * at a running hub.
 */
#include "hub.h"
#include "crypto.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sodium.h>
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


static struct kt_hub hub;
static uint8_t key[2][KT_PUBKEY_BYTES];
static struct kt_hub_out out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[256];
	struct kt_err err;
	msgpack_sbuffer b;
	uint8_t check[KT_CHAIN_CHECK_BYTES] = { 1 };

	(void)argc;
	(void)argv;
	kt_crypto_init();
	scratch_dir("hub", dir, sizeof(dir));
	strcat(dir, "/hub");
	if (kt_hub_init(dir, "tcp://127.0.0.1:1", &err) != 0 || kt_hub_open(&hub, dir, &err) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		kt_random(key[i], sizeof(key[i]));
		if (kt_hub_enroll(&hub, i ? "Quiet" : "Fuzz", key[i], &err) != 0)
			abort();
	}
	kt_hub_out_init(&out);
	msgpack_sbuffer_init(&b);
	kt_msg_hello(&b, 0x1234, key[0], check);
	kt_hub_handle(&hub, key[0], (uint8_t *)b.data, b.size, 1790000000000ull, &out, &err);
	msgpack_sbuffer_destroy(&b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_err err;

	if (size < 1)
		return 0;
	kt_hub_handle(&hub, key[data[0] & 1], data + 1, size - 1, 1790000000000ull, &out, &err);
	if (data[0] & 2)
		kt_hub_merge(&hub, 100, NULL, &err); /* the merge behind ingest, now and then */
	return 0;
}
