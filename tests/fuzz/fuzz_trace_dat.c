/*
 * fuzz_trace_dat.c - trace_dat_read (traces/trace_dat.c, libtracecmd under
 * it) on one input written to a temporary trace.dat, seeded with the shipped
 * trace.dat sample.
 */
#include "tests/fuzz/fuzz_util.h"

#include <fcntl.h>

#include "traces/trace_dat.h"
#include "traces/trace_read.h"

static int count(void *ctx, const struct trace_event *ev)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, ".dat", data, size);
	struct trace_stats st;
	memset(&st, 0, sizeof(st));
	char err[512] = "";
	uint64_t n = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		abort();
	if (trace_dat_read(fd, "fuzz.dat", count, &n, &st, err, sizeof(err)) && !err[0])
		abort(); /* refused without saying why (trace_dat_read closes fd) */
	return 0;
}
