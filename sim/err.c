/* err.c - errors as values (see err.h). */
#include "sim/err.h"

#include <stdarg.h>
#include <stdio.h>

int errf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}
