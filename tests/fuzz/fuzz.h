/* Shared bits of the fuzz harnesses (tests/fuzz/NAME.c). Each harness defines
 * LLVMFuzzerTestOneInput; scripts/fuzz.sh links it with libFuzzer, or with
 * replay.c (a plain main() that feeds files) for tests/fuzz/10-corpus.bats. */
#ifndef OCI_FUZZ_H
#define OCI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (embedded NULs end the string early). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits the input at the first "\n--\n": *a gets what is before (a new
 * string), the rest goes to *b (NULL when there is no separator). */
static inline void fuzz_split(const uint8_t *data, size_t size, char **a, char **b)
{
	const uint8_t *sep = size >= 4 ? memmem(data, size, "\n--\n", 4) : NULL;
	if (!sep) {
		*a = fuzz_str(data, size);
		*b = NULL;
		return;
	}
	*a = fuzz_str(data, (size_t)(sep - data));
	*b = fuzz_str(sep + 4, size - (size_t)(sep - data) - 4);
}

/* Every failure must come with a message. */
static inline void fuzz_check_err(int r, struct oci_err *err)
{
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%d%s%s\n", r, err ? ": " : "", err && err->msg ? err->msg : "");
	if (r < 0 && (!err || !err->msg || !*err->msg))
		abort();
	if (r >= 0 && err)
		abort();
}

#endif
