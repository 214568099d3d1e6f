/*
 * hub_peers.c - the peers to NOTIFY (hub.h): ZeroMQ routing ids of the
 * connections that spoke, each with when it was last heard.
 */
#include "hub.h"

#include <string.h>

void kt_hub_peers_init(struct kt_hub_peers *ps, size_t cap)
{
	ps->n = 0;
	ps->cap = cap == 0 || cap > KT_HUB_PEERS_MAX ? KT_HUB_PEERS_MAX : cap;
}

static size_t peer_at(const struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].n == n && memcmp(ps->p[i].id, id, n) == 0)
			return i;
	return ps->n;
}

int kt_hub_peers_has(const struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	return peer_at(ps, id, n) < ps->n;
}

void kt_hub_peers_heard(struct kt_hub_peers *ps, const uint8_t *id, size_t n, uint64_t now_ms)
{
	size_t i = peer_at(ps, id, n);

	if (n == 0 || n > KT_HUB_PEER_ID_BYTES)
		return;
	if (i == ps->n && ps->n == ps->cap) {
		size_t oldest = 0;

		for (size_t k = 1; k < ps->n; k++)
			if (ps->p[k].heard_ms < ps->p[oldest].heard_ms)
				oldest = k;
		i = oldest; /* full: the one heard longest ago makes room */
	} else if (i == ps->n) {
		ps->n++;
	}
	memcpy(ps->p[i].id, id, n);
	ps->p[i].n = n;
	ps->p[i].heard_ms = now_ms;
}

void kt_hub_peers_forget(struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	size_t i = peer_at(ps, id, n);

	if (i < ps->n)
		ps->p[i] = ps->p[--ps->n];
}

size_t kt_hub_peers_sweep(struct kt_hub_peers *ps, uint64_t now_ms)
{
	size_t gone = 0;

	for (size_t i = 0; i < ps->n;)
		if (now_ms - ps->p[i].heard_ms > KT_HUB_PEER_IDLE_MS) {
			ps->p[i] = ps->p[--ps->n];
			gone++;
		} else {
			i++;
		}
	return gone;
}
