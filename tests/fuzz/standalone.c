/*
 * standalone.c - a main() for the harnesses without libFuzzer (gcc, the
 * normal and sanitizer builds): runs LLVMFuzzerTestOneInput on each file
 * named, so the inputs kept in tests/fuzz/regress/ are ordinary tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, k;
		do {
			if (len == cap)
				buf = realloc(buf, cap = cap ? 2 * cap : 65536);
			k = fread(buf + len, 1, cap - len, f);
			len += k;
		} while (k);
		fclose(f);
		fprintf(stderr, "%s: %zu bytes\n", argv[i], len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
