/*
 * fuzz_compare.c - `kvmsim compare BASE CAND` through the command (its JSON
 * loader, runsum.c's checks and the histogram merge of sim/study/). Input:
 * BASE, and after a NUL byte CAND (without one, the input is both).
 */
#include "tests/fuzz/fuzz_util.h"

int cmd_compare(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdout();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t blen = nul ? (size_t)(nul - data) : size;
	char base[4096], cand[4096];
	snprintf(base, sizeof(base), "%s", fuzz_file(0, ".json", data, blen));
	if (nul)
		snprintf(cand, sizeof(cand), "%s", fuzz_file(1, ".json", nul + 1, size - blen - 1));
	else
		snprintf(cand, sizeof(cand), "%s", base);
	char a0[] = "compare", a1[] = "--bootstrap", a2[] = "100", a3[] = "--max-regression", a4[] = "none";
	char *argv[] = { a0, a1, a2, a3, a4, base, cand, NULL };
	int rc = cmd_compare(7, argv);
	if (rc < 0 || rc > 2)
		abort(); /* 0 same, 1 a regression, 2 bad input: nothing else */
	return 0;
}
