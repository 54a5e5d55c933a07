/*
 * fuzz_scenario.c - the scenario loader (YAML through libyaml, sim/conf.c,
 * the binder of sim/schema.c) and `--set`, as `kvmsim run FILE --set ...`
 * calls them. Input: the scenario file, then after each NUL byte one --set
 * assignment (at most 8).
 */
#include "tests/fuzz/fuzz_util.h"

#include "workloads/scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t flen = nul ? (size_t)(nul - data) : size;
	const char *path = fuzz_file(0, ".yaml", data, flen);

	/* the --set assignments, NUL-terminated copies */
	char *rest = NULL;
	struct scenario_set sets[8];
	size_t nsets = 0;
	if (nul) {
		size_t rlen = size - flen - 1;
		rest = malloc(rlen + 1);
		memcpy(rest, nul + 1, rlen);
		rest[rlen] = 0;
		for (char *p = rest; nsets < 8 && p <= rest + rlen; p += strlen(p) + 1)
			sets[nsets++] = (struct scenario_set){ p, NULL };
	}
	struct scenario s;
	struct conf_err err;
	memset(&s, 0, sizeof(s));
	err.msg[0] = 0;
	if (scenario_load(&s, path, sets, nsets, &err) && !err.msg[0])
		abort(); /* refused without saying why */
	scenario_free(&s);
	free(rest);
	return 0;
}
