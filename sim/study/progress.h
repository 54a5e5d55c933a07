/*
 * progress.h - how a sweep shows it is moving, on stderr: a bar redrawn in
 * place on a terminal, plain lines every few seconds otherwise (CI logs), or
 * nothing. Runs done, failed, the rate and the time left. Wall-clock values
 * only ever go to stderr, never into a data file.
 */
#ifndef KVMSIM_STUDY_PROGRESS_H
#define KVMSIM_STUDY_PROGRESS_H

#include <stddef.h>

enum progress_mode { PROGRESS_NONE, PROGRESS_BAR, PROGRESS_LINES };

struct progress {
	enum progress_mode mode;
	const char *what; /* "kvmsim sweep" */
	size_t total;     /* runs to do in this invocation */
	double t0, last;
	int drawn;        /* a bar is on screen */
};

/* progress_now - monotonic seconds. */
double progress_now(void);
void progress_start(struct progress *pr, enum progress_mode mode, const char *what, size_t total);
/* progress_update - show done (of total) and failed now if it is time to (force: always). */
void progress_update(struct progress *pr, size_t done, size_t failed, int force);
/* progress_end - clear the bar. */
void progress_end(struct progress *pr);

#endif
