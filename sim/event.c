/*
 * event.c - pending-event set: a 4-ary min-heap of (time, seq|slot) keys over a
 * slot pool that holds the (action, subject, object) triples.
 *
 * Heap entries are 16 bytes and each node's four children share one 64-byte
 * cache line, which is what makes a 4-ary heap faster than a binary one here.
 */
#include "sim/event.h"
#include "sim/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_BITS 24
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define SEQ_LIMIT (UINT64_C(1) << (64 - SLOT_BITS))
#define COMPACT_MIN 1024

/*
 * A heap entry is one 128-bit key: time (never negative) in the high half,
 * seq << SLOT_BITS | slot in the low half, so one unsigned compare orders by
 * time and then FIFO, and child selection compiles to conditional moves.
 */
typedef unsigned __int128 hkey_t;

static inline hkey_t hkey(sim_time_t t, uint64_t key)
{
	return ((hkey_t)(uint64_t)t << 64) | key;
}
static inline sim_time_t hkey_time(hkey_t k)
{
	return (sim_time_t)(uint64_t)(k >> 64);
}
static inline uint32_t hkey_slot(hkey_t k)
{
	return (uint32_t)((uint64_t)k & SLOT_MASK);
}

struct slot {
	sim_action_fn *action; /* NULL: free, or a cancelled tombstone still in the heap */
	void *subject;
	void *object;
	uint32_t gen;
	uint32_t next_free;
};

struct sim {
	sim_time_t now;
	hkey_t *heap; /* heap[0] is the root; see heap_grow() for alignment */
	void *heap_raw;
	size_t n, cap;
	struct slot *slots;
	uint32_t nslots, free_head;
	size_t tombstones;
	uint64_t seq;
	uint64_t fired;
	bool stop;
	/*
	 * root_spent: heap[0] is the event now firing, already released. The first
	 * event its action schedules replaces it with one sift-down instead of a
	 * pop and a push; if the action schedules none, the root is popped after.
	 */
	bool root_spent;
};

#define NO_SLOT UINT32_MAX

struct sim *sim_new(void)
{
	struct sim *sim = xcalloc(1, sizeof(*sim));
	sim->free_head = NO_SLOT;
	return sim;
}

void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	free(sim->heap_raw);
	free(sim->slots);
	free(sim);
}

sim_time_t sim_now(const struct sim *sim)
{
	return sim->now;
}

/*
 * heap_grow - double the heap. The array is placed so that entry 1 starts a
 * cache line: children 4i+1..4i+4 then always share one line.
 */
static void heap_grow(struct sim *sim)
{
	size_t cap = sim->cap ? sim->cap * 2 : 256;
	size_t bytes = (cap + 4) * sizeof(hkey_t);
	void *raw = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	if (!raw) {
		fprintf(stderr, "kvmsim: out of memory (event heap of %zu)\n", cap);
		exit(1); /* EXIT_FAILED: the work could not be done */
	}
	hkey_t *heap = (hkey_t *)raw + 3;
	if (sim->n)
		memcpy(heap, sim->heap, sim->n * sizeof(*heap));
	free(sim->heap_raw);
	sim->heap_raw = raw;
	sim->heap = heap;
	sim->cap = cap;
}

static inline void sift_up(hkey_t *h, size_t i, hkey_t e)
{
	while (i > 0) {
		size_t p = (i - 1) >> 2;
		if (e >= h[p])
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

/* min_child - index of the least of the children c..c+3 (all four present), branch-free. */
static inline size_t min4(const hkey_t *h, size_t c)
{
	hkey_t k0 = h[c], k1 = h[c + 1], k2 = h[c + 2], k3 = h[c + 3];
	size_t a = c + (k1 < k0);
	hkey_t ka = k1 < k0 ? k1 : k0;
	size_t b = c + 2 + (k3 < k2);
	hkey_t kb = k3 < k2 ? k3 : k2;
	return kb < ka ? b : a;
}

static inline void sift_down(hkey_t *h, size_t n, size_t i, hkey_t e)
{
	for (;;) {
		size_t c = 4 * i + 1;
		size_t best;
		if (c + 4 <= n) {
			best = min4(h, c);
		} else {
			if (c >= n)
				break;
			best = c;
			for (size_t j = c + 1; j < n; j++)
				if (h[j] < h[best])
					best = j;
		}
		if (h[best] >= e)
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = e;
}

/*
 * pop_root - remove heap[0]. Floyd's method: move the hole down to a leaf along
 * the least children without comparing against the displaced last entry, then
 * sift that entry up from the hole; it is usually large, so the climb is short.
 */
static inline void pop_root(hkey_t *h, size_t n)
{
	hkey_t e = h[n];
	size_t i = 0;
	for (;;) {
		size_t c = 4 * i + 1;
		if (c + 4 > n)
			break;
		size_t best = min4(h, c);
		h[i] = h[best];
		i = best;
	}
	size_t c = 4 * i + 1;
	if (c < n) {
		size_t best = c;
		for (size_t j = c + 1; j < n; j++)
			if (h[j] < h[best])
				best = j;
		h[i] = h[best];
		i = best;
	}
	sift_up(h, i, e);
}

/* settle - pop a spent root, before anything that looks at the heap as a whole. */
static inline void settle(struct sim *sim)
{
	if (sim->root_spent) {
		sim->root_spent = false;
		if (--sim->n)
			pop_root(sim->heap, sim->n);
	}
}

static uint32_t slot_alloc(struct sim *sim)
{
	if (sim->free_head != NO_SLOT) {
		uint32_t s = sim->free_head;
		sim->free_head = sim->slots[s].next_free;
		return s;
	}
	if ((uint64_t)sim->nslots >= SLOT_MASK) {
		fprintf(stderr, "kvmsim: more than %llu events pending at once\n",
			(unsigned long long)SLOT_MASK);
		exit(1); /* EXIT_FAILED: the work could not be done */
	}
	uint32_t n = sim->nslots ? sim->nslots * 2 : 256;
	if ((uint64_t)n > SLOT_MASK)
		n = (uint32_t)SLOT_MASK;
	sim->slots = xrealloc(sim->slots, n * sizeof(struct slot));
	for (uint32_t s = n; s-- > sim->nslots + 1;) {
		sim->slots[s] = (struct slot){ .gen = 1, .next_free = sim->free_head };
		sim->free_head = s;
	}
	uint32_t s = sim->nslots;
	sim->slots[s] = (struct slot){ .gen = 1, .next_free = NO_SLOT };
	sim->nslots = n;
	return s;
}

static inline void slot_release(struct sim *sim, uint32_t s)
{
	sim->slots[s].action = NULL;
	sim->slots[s].next_free = sim->free_head;
	sim->free_head = s;
}

static int cmp_key(const void *a, const void *b)
{
	hkey_t x = *(const hkey_t *)a, y = *(const hkey_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * renumber - the sequence counter is about to overflow its 40 bits (after ~10^12
 * schedules): sort the pending entries, which leaves a valid heap, and give them
 * fresh sequence numbers in the same order.
 */
static void renumber(struct sim *sim)
{
	qsort(sim->heap, sim->n, sizeof(*sim->heap), cmp_key);
	for (size_t i = 0; i < sim->n; i++)
		sim->heap[i] = hkey(hkey_time(sim->heap[i]),
				    ((uint64_t)i << SLOT_BITS) | hkey_slot(sim->heap[i]));
	sim->seq = sim->n;
}

sim_handle_t sim_at(struct sim *sim, sim_time_t t, sim_action_fn *action, void *subject,
		    void *object)
{
	assert(action);
	if (t < sim->now) {
		fprintf(stderr, "kvmsim: internal error: event scheduled in the past (%lld < %lld)\n",
			(long long)t, (long long)sim->now);
		abort();
	}
	if (sim->seq >= SEQ_LIMIT) {
		settle(sim);
		renumber(sim);
	}
	uint32_t s = slot_alloc(sim);
	struct slot *sl = &sim->slots[s];
	sl->action = action;
	sl->subject = subject;
	sl->object = object;
	hkey_t k = hkey(t, (sim->seq++ << SLOT_BITS) | s);
	if (sim->root_spent) {
		sim->root_spent = false;
		sift_down(sim->heap, sim->n, 0, k);
	} else {
		if (sim->n == sim->cap)
			heap_grow(sim);
		sift_up(sim->heap, sim->n++, k);
	}
	return ((uint64_t)sl->gen << 32) | s;
}

static inline struct slot *handle_slot(const struct sim *sim, sim_handle_t h)
{
	uint32_t s = (uint32_t)h;
	if (h == SIM_NO_EVENT || s >= sim->nslots)
		return NULL;
	struct slot *sl = &sim->slots[s];
	if (sl->gen != (uint32_t)(h >> 32) || !sl->action)
		return NULL;
	return sl;
}

bool sim_pending(const struct sim *sim, sim_handle_t h)
{
	return handle_slot(sim, h) != NULL;
}

sim_time_t sim_event_time(const struct sim *sim, sim_handle_t h)
{
	/* Rarely used (diagnostics and tests): a linear search keeps slots small. */
	if (!sim_pending(sim, h))
		return SIM_TIME_MAX;
	uint32_t s = (uint32_t)h;
	for (size_t i = sim->root_spent; i < sim->n; i++)
		if (hkey_slot(sim->heap[i]) == s)
			return hkey_time(sim->heap[i]);
	return SIM_TIME_MAX;
}

/* compact - drop tombstones from the heap and rebuild it (O(n), amortised O(1) per cancel). */
static void compact(struct sim *sim)
{
	settle(sim);
	size_t k = 0;
	for (size_t i = 0; i < sim->n; i++) {
		uint32_t s = hkey_slot(sim->heap[i]);
		if (sim->slots[s].action)
			sim->heap[k++] = sim->heap[i];
		else
			slot_release(sim, s);
	}
	sim->n = k;
	sim->tombstones = 0;
	if (k > 1)
		for (size_t i = (k - 2) / 4 + 1; i-- > 0;)
			sift_down(sim->heap, k, i, sim->heap[i]);
}

bool sim_cancel(struct sim *sim, sim_handle_t h)
{
	struct slot *sl = handle_slot(sim, h);
	if (!sl)
		return false;
	sl->action = NULL;
	sl->gen++;
	sim->tombstones++;
	if (sim->tombstones > COMPACT_MIN && sim->tombstones * 2 > sim->n)
		compact(sim);
	return true;
}

sim_handle_t sim_postpone(struct sim *sim, sim_handle_t h, sim_time_t dt)
{
	struct slot *sl = handle_slot(sim, h);
	if (!sl)
		return SIM_NO_EVENT;
	sim_time_t t = sim_event_time(sim, h);
	sim_action_fn *action = sl->action;
	void *subject = sl->subject, *object = sl->object;
	sim_cancel(sim, h);
	return sim_at(sim, sim_time_add_sat(t, dt), action, subject, object);
}

void sim_stop(struct sim *sim)
{
	sim->stop = true;
}

uint64_t sim_run_until(struct sim *sim, sim_time_t end)
{
	uint64_t fired = 0;
	sim->stop = false;
	while (sim->n) {
		hkey_t top = sim->heap[0];
		if (hkey_time(top) > end)
			break;
		uint32_t s = hkey_slot(top);
		struct slot *sl = &sim->slots[s];
		sim_action_fn *action = sl->action;
		if (!action) { /* a cancelled event's tombstone */
			if (--sim->n)
				pop_root(sim->heap, sim->n);
			sim->tombstones--;
			slot_release(sim, s);
			continue;
		}
		void *subject = sl->subject, *object = sl->object;
		sl->gen++;
		slot_release(sim, s);
		sim->now = hkey_time(top);
		fired++;
		sim->root_spent = true;
		action(sim, subject, object);
		settle(sim);
		if (sim->stop)
			break;
	}
	if (!sim->stop && end != SIM_TIME_MAX && end > sim->now)
		sim->now = end;
	sim->fired += fired;
	return fired;
}

uint64_t sim_events_fired(const struct sim *sim)
{
	return sim->fired;
}

size_t sim_events_pending(const struct sim *sim)
{
	return sim->n - sim->tombstones - sim->root_spent;
}

size_t sim_queue_capacity(const struct sim *sim)
{
	return sim->cap;
}
