/* xalloc.c - allocation that cannot fail (see xalloc.h). */
#include "sim/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
	fprintf(stderr, "kvmsim: out of memory (%zu bytes)\n", size);
	exit(1); /* the work failed (cli.h EXIT_FAILED), not bad input */
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		out_of_memory(size);
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		out_of_memory(s ? strlen(s) + 1 : 1);
	return p;
}

void *xring_grow(void *ring, size_t size, unsigned *cap, unsigned *head, unsigned n, unsigned init)
{
	unsigned c = *cap ? 2 * *cap : init;
	char *r = xcalloc(c, size);
	for (unsigned i = 0; i < n; i++)
		memcpy(r + (size_t)i * size, (char *)ring + (size_t)((*head + i) & (*cap - 1)) * size, size);
	free(ring);
	*cap = c;
	*head = 0;
	return r;
}
