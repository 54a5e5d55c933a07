/*
 * bench_engine.c - events/s of the bare event core over queue sizes (the hold
 * model, bench/hold.h), with and without cancellations. bench_kvmsim gives the
 * headline figures at the queue the halt-poll scenario really keeps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench/hold.h"

int main(int argc, char **argv)
{
	uint64_t target = argc > 1 ? strtoull(argv[1], NULL, 10) : 30000000;
	size_t sizes[] = { 16, 1024, 65536 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++)
		printf("hold_%zu_events_per_sec: %.0f\n", sizes[k], hold_rate(sizes[k], target, 0));
	printf("hold_1024_cancel25_events_per_sec: %.0f\n", hold_rate(1024, target, 4));
	return 0;
}
