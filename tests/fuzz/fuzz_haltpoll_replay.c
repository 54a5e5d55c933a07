/*
 * fuzz_haltpoll_replay.c - `kvmsim haltpoll replay` on an input file, through
 * the command itself (cmd_replay.c reads the lines; replay.h feeds them to the
 * kernel's halt handler). The first input byte picks the kernel release and
 * architecture, so old and new eras and s390's "invalid" wake-ups are reached.
 */
#include "tests/fuzz/fuzz_util.h"

int cmd_haltpoll_replay(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdout();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kernels[] = { "4.3", "5.1", "5.8", "5.10.7", "6.1", "6.11", "6.12", "6.18" };
	static const char *const arches[] = { "x86", "powerpc", "s390", "arm64" };
	if (!size)
		return 0;
	char kernel[16], arch[16];
	snprintf(kernel, sizeof(kernel), "%s", kernels[data[0] & 7]);
	snprintf(arch, sizeof(arch), "%s", arches[(data[0] >> 3) & 3]);
	const char *path = fuzz_file(0, ".halts", data + 1, size - 1);
	char a0[] = "replay", a1[] = "--kernel", a3[] = "--arch", a5[] = "--stats-json", a6[] = "/dev/null";
	char p[4096];
	snprintf(p, sizeof(p), "%s", path);
	char *argv[] = { a0, a1, kernel, a3, arch, a5, a6, p, NULL };
	int rc = cmd_haltpoll_replay(8, argv);
	if (rc != 0 && rc != 2)
		abort(); /* only bad input can fail here */
	return 0;
}
