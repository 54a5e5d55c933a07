/*
 * zread.h - a file read as it is or through gzip, strictly: unlike zlib's
 * gzread(), a gzip stream cut short, damaged, or followed by anything but
 * another gzip member is an error, not a quiet end of the data.
 */
#ifndef KVMSIM_TRACES_ZREAD_H
#define KVMSIM_TRACES_ZREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <zlib.h>

#define ZREAD_MAX_LINE (1 << 20) /* longer lines are no trace's */

struct zread {
	int fd;
	bool own_fd;
	const char *name;   /* for messages */
	bool gz;            /* gzip (the file starts with its magic), else read as it is */
	bool member_end;    /* after a gzip member's end: only another member, or the end, may follow */
	bool in_eof;
	int err;            /* 0, or TRACE_READ_BAD / TRACE_READ_FAILED */
	char msg[300];      /* the error, naming the file */
	z_stream z;
	unsigned char in[1 << 16];
	unsigned char out[1 << 16];
	size_t out_pos, out_len;
};

/* zread_open - read fd (closed by zread_close if own_fd); -1 with r->msg if it cannot be read. */
int zread_open(struct zread *r, int fd, bool own_fd, const char *name);
/* zread_peek - the first bytes of the data (at most n, fewer if it is shorter); before any read. */
size_t zread_peek(struct zread *r, const void **p, size_t n);
/* zread_read - up to n bytes: > 0, 0 at the end, -1 on an error (r->err, r->msg). */
ssize_t zread_read(struct zread *r, void *buf, size_t n);
/* zread_line - the next line without its line end into *buf (grown): its length; -1 at the end or on an error. */
ssize_t zread_line(struct zread *r, char **buf, size_t *cap);
void zread_close(struct zread *r);

#endif
