/*
 * queue.h - the in-memory connections of the in-process chain tests
 * (test_sync.c, test_sim.c): one FIFO queue per direction and node, as one
 * ZeroMQ connection keeps order, and a seeded xorshift generator.  A test
 * defines QMAX (messages a queue holds) before including it.
 */
#ifndef KT_TEST_QUEUE_H
#define KT_TEST_QUEUE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"

struct qmsg {
	uint8_t *p;
	size_t n;
};
struct queue {
	struct qmsg m[QMAX];
	size_t head, tail; /* FIFO: taken at head, put at tail */
};

/* Puts a copy of p..p+n at the tail; -1 (nothing put) when the queue is full. */
static inline int q_put(struct queue *q, const void *p, size_t n)
{
	if (q->tail - q->head >= QMAX)
		return -1;
	q->m[q->tail % QMAX].p = kt_malloc(n);
	memcpy(q->m[q->tail % QMAX].p, p, n);
	q->m[q->tail % QMAX].n = n;
	q->tail++;
	return 0;
}

/* Takes the message at the head (the caller frees m->p); 0 when the queue is empty. */
static inline int q_take(struct queue *q, struct qmsg *m)
{
	if (q->head == q->tail)
		return 0;
	*m = q->m[q->head++ % QMAX];
	return 1;
}

/* Drops every message: a lost connection. */
static inline void q_clear(struct queue *q)
{
	for (; q->head < q->tail; q->head++)
		free(q->m[q->head % QMAX].p);
	q->head = q->tail = 0;
}

/* The next of the seeded sequence *s (xorshift64), in 0..n-1. */
static inline uint32_t q_rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

#endif
