/*
 * fuzz_util.h - what the libFuzzer harnesses of tests/fuzz/ share: the
 * readers take file names, so each input is written to one temporary file
 * per process (rewritten for every input, removed at exit).
 */
#ifndef KVMSIM_TESTS_FUZZ_UTIL_H
#define KVMSIM_TESTS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_tmp[2][4096];

static void fuzz_tmp_remove(void)
{
	for (int i = 0; i < 2; i++)
		if (fuzz_tmp[i][0])
			unlink(fuzz_tmp[i]);
}

/* fuzz_file - write data to temporary file k (0 or 1) with suffix; its path. */
static inline const char *fuzz_file(int k, const char *suffix, const uint8_t *data, size_t size)
{
	if (!fuzz_tmp[k][0]) {
		const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(fuzz_tmp[k], sizeof(fuzz_tmp[k]), "%s/kvmsim-fuzz-%ld-%d%s", dir, (long)getpid(), k, suffix);
		atexit(fuzz_tmp_remove);
	}
	FILE *f = fopen(fuzz_tmp[k], "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(fuzz_tmp[k]);
		abort();
	}
	return fuzz_tmp[k];
}

/* fuzz_quiet_stdout - the commands print their results: into /dev/null. */
static inline void fuzz_quiet_stdout(void)
{
	if (!freopen("/dev/null", "w", stdout))
		abort();
}

#endif
