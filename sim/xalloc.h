/*
 * xalloc.h - allocation that cannot fail: on exhaustion kvmsim says so and
 * exits with status 1 (a run cannot continue without memory, and every
 * caller checking for NULL would only repeat this).
 */
#ifndef KVMSIM_SIM_XALLOC_H
#define KVMSIM_SIM_XALLOC_H

#include <stddef.h>

/* xcalloc - zeroed memory for n objects of size bytes (never NULL, even for 0). */
void *xcalloc(size_t n, size_t size);
/* xrealloc - realloc() that never returns NULL. */
void *xrealloc(void *p, size_t size);
/* xring_grow - a FIFO ring of *cap elements of size bytes (a power of 2; 0 and NULL at
 * first) holding n from index *head on: a ring twice as large (init, a power of 2, at
 * first) holding them in order from 0, the old one freed; *cap and *head follow. */
void *xring_grow(void *ring, size_t size, unsigned *cap, unsigned *head, unsigned n, unsigned init);
/* xstrdup - a copy of s; of "" when s is NULL. */
char *xstrdup(const char *s);

#endif
