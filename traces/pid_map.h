/*
 * pid_map.h - task pid -> index of the thread's record, for the per-thread
 * tables of trace check and trace replay (a trace may hold hundreds of vCPU
 * threads and millions of events; a linear search per event would not do).
 * Open addressing over a power-of-two table, grown at half full.
 */
#ifndef KVMSIM_TRACES_PID_MAP_H
#define KVMSIM_TRACES_PID_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct pid_map {
	struct {
		int32_t pid;
		size_t idx1; /* index + 1; 0: empty */
	} *slot;
	size_t cap, n;
};

/* pid_map_slot - where pid is, or the empty slot where it would go. */
static inline size_t pid_map_slot(const struct pid_map *m, int32_t pid)
{
	size_t i = ((uint32_t)pid * 2654435761u) & (m->cap - 1);
	while (m->slot[i].idx1 && m->slot[i].pid != pid)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* pid_map_get - the index stored for pid, or -1. */
static inline long pid_map_get(const struct pid_map *m, int32_t pid)
{
	if (!m->cap)
		return -1;
	size_t i = pid_map_slot(m, pid);
	return m->slot[i].idx1 ? (long)m->slot[i].idx1 - 1 : -1;
}

/* pid_map_put - remember pid's index (pid not yet in the map). */
static inline void pid_map_put(struct pid_map *m, int32_t pid, size_t idx)
{
	if (2 * (m->n + 1) > m->cap) {
		struct pid_map g = { NULL, m->cap ? 2 * m->cap : 64, 0 };
		g.slot = calloc(g.cap, sizeof(*g.slot));
		if (!g.slot) {
			fprintf(stderr, "kvmsim: out of memory\n");
			exit(3);
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->slot[i].idx1)
				g.slot[pid_map_slot(&g, m->slot[i].pid)] = m->slot[i];
		g.n = m->n;
		free(m->slot);
		*m = g;
	}
	size_t i = pid_map_slot(m, pid);
	m->slot[i].pid = pid;
	m->slot[i].idx1 = idx + 1;
	m->n++;
}

static inline void pid_map_free(struct pid_map *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->n = 0;
}

#endif
