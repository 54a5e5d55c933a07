/* grow.h - appending to a growable array, for the trace readers (their contract: -1 when out
 * of memory, the array as it was). */
#ifndef KVMSIM_TRACES_GROW_H
#define KVMSIM_TRACES_GROW_H

#include <stdlib.h>
#include <string.h>

/* grow_push - x (sz bytes) onto the array *a of *n elements (capacity *cap); 0, or -1 when out
 * of memory */
static inline int grow_push(void **a, size_t *n, size_t *cap, size_t sz, const void *x)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		void *na = realloc(*a, c * sz);
		if (!na)
			return -1;
		*a = na;
		*cap = c;
	}
	memcpy((char *)*a + *n * sz, x, sz);
	(*n)++;
	return 0;
}

#endif
