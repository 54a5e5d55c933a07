/*
 * err.h - errors as values: a function that fails writes a message for a
 * person into its caller's buffer and returns -1.
 */
#ifndef KVMSIM_SIM_ERR_H
#define KVMSIM_SIM_ERR_H

#include <stddef.h>

/* errf - format the reason into why (len bytes) and return -1. */
int errf(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
