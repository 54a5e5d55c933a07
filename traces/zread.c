/* zread.c - plain or gzip input read strictly (zread.h). */
#include "traces/zread.h"
#include "traces/trace_stats.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* fail - note the first error; always -1. */
static int fail(struct zread *r, int err, const char *what, const char *why)
{
	if (!r->err) {
		r->err = err;
		snprintf(r->msg, sizeof(r->msg), "%s: %s%s%s", r->name, what, why ? ": " : "", why ? why : "");
	}
	return -1;
}

/* fill_in - more compressed (or plain) input; -1 on an I/O error, 0 at the end of the file. */
static ssize_t fill_in(struct zread *r)
{
	if (r->in_eof)
		return 0;
	ssize_t k;
	do
		k = read(r->fd, r->in, sizeof(r->in));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return fail(r, TRACE_READ_FAILED, "cannot read", strerror(errno));
	if (!k)
		r->in_eof = true;
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)k;
	return k;
}

/* produce - append to r->out what the next step of the input gives; its byte count, 0 at the end, -1 on error. */
static ssize_t produce(struct zread *r)
{
	unsigned char *dst = r->out + r->out_len;
	size_t room = sizeof(r->out) - r->out_len;
	if (r->err)
		return -1;
	if (!r->gz) {
		if (!r->z.avail_in && fill_in(r) <= 0)
			return r->err ? -1 : 0;
		size_t k = r->z.avail_in < room ? r->z.avail_in : room;
		memcpy(dst, r->z.next_in, k);
		r->z.next_in += k;
		r->z.avail_in -= (uInt)k;
		r->out_len += k;
		return (ssize_t)k;
	}
	for (;;) {
		if (!r->z.avail_in && fill_in(r) < 0)
			return -1;
		if (r->member_end) {
			if (!r->z.avail_in)
				return 0; /* the last member ended with the file */
			if (r->z.next_in[0] != 0x1f)
				return fail(r, TRACE_READ_BAD, "data that is not gzip after the end of the compressed stream",
					    NULL);
			inflateReset(&r->z);
			r->member_end = false;
		}
		if (!r->z.avail_in)
			return fail(r, TRACE_READ_BAD, "the compressed data ends early (a truncated gzip file)", NULL);
		r->z.next_out = dst;
		r->z.avail_out = (uInt)room;
		int zr = inflate(&r->z, Z_NO_FLUSH);
		size_t got = room - r->z.avail_out;
		if (zr == Z_STREAM_END)
			r->member_end = true;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return fail(r, TRACE_READ_BAD, "the compressed data is damaged", r->z.msg ? r->z.msg : "bad data");
		r->out_len += got;
		if (got)
			return (ssize_t)got;
	}
}

int zread_open(struct zread *r, int fd, bool own_fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->own_fd = own_fd;
	r->name = name;
	ssize_t k = fill_in(r);
	if (k < 0)
		return -1;
	r->gz = k >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
	if (r->gz && inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
		r->gz = false;
		return fail(r, TRACE_READ_FAILED, "cannot start gzip decompression", NULL);
	}
	r->z.next_in = r->in; /* as read, whatever inflateInit2 did */
	r->z.avail_in = (uInt)k;
	return 0;
}

size_t zread_peek(struct zread *r, const void **p, size_t n)
{
	while (r->out_len < n && produce(r) > 0)
		;
	*p = r->out;
	return r->out_len < n ? r->out_len : n;
}

ssize_t zread_read(struct zread *r, void *buf, size_t n)
{
	if (r->out_pos == r->out_len) {
		r->out_pos = r->out_len = 0;
		ssize_t k = produce(r);
		if (k <= 0)
			return k;
	}
	size_t k = r->out_len - r->out_pos < n ? r->out_len - r->out_pos : n;
	memcpy(buf, r->out + r->out_pos, k);
	r->out_pos += k;
	return (ssize_t)k;
}

ssize_t zread_line(struct zread *r, char **buf, size_t *cap)
{
	size_t len = 0;
	if (!*buf) {
		*cap = 4096;
		*buf = xcalloc(1, *cap);
	}
	for (;;) {
		if (r->out_pos == r->out_len) {
			r->out_pos = r->out_len = 0;
			ssize_t k = produce(r);
			if (k < 0)
				return -1;
			if (!k) {
				if (!len)
					return -1;
				break; /* the last line, without a newline */
			}
		}
		const unsigned char *s = r->out + r->out_pos;
		size_t avail = r->out_len - r->out_pos;
		const unsigned char *nl = memchr(s, '\n', avail);
		size_t k = nl ? (size_t)(nl - s) : avail;
		if (len + k >= ZREAD_MAX_LINE)
			return fail(r, TRACE_READ_BAD, "a line longer than 1 MiB (not a text trace)", NULL);
		if (len + k + 1 > *cap) {
			while (len + k + 1 > *cap)
				*cap *= 2;
			*buf = xrealloc(*buf, *cap);
		}
		memcpy(*buf + len, s, k);
		len += k;
		r->out_pos += k + (nl ? 1 : 0);
		if (nl)
			break;
	}
	while (len && (*buf)[len - 1] == '\r')
		len--;
	(*buf)[len] = 0;
	return (ssize_t)len;
}

void zread_close(struct zread *r)
{
	if (r->gz)
		inflateEnd(&r->z);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
