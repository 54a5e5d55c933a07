/* progress.c - the sweep's progress bar and progress lines (see progress.h). */
#include "sim/study/progress.h"

#include <stdio.h>
#include <time.h>

#define BAR_WIDTH 24
#define BAR_PERIOD 0.1  /* s between redraws of the bar */
#define LINE_PERIOD 5.0 /* s between plain lines */

double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(struct progress *pr, enum progress_mode mode, const char *what, size_t total)
{
	pr->mode = total ? mode : PROGRESS_NONE;
	pr->what = what;
	pr->total = total;
	pr->t0 = pr->last = progress_now();
	pr->drawn = 0;
}

/* fmt_eta - seconds as "42s", "3m05s" or "2h10m". */
static const char *fmt_eta(double s, char *buf, size_t len)
{
	if (s != s || s < 0)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	return buf;
}

void progress_update(struct progress *pr, size_t done, size_t failed, int force)
{
	if (pr->mode == PROGRESS_NONE)
		return;
	double now = progress_now(), el = now - pr->t0;
	if (!force && now - pr->last < (pr->mode == PROGRESS_BAR ? BAR_PERIOD : LINE_PERIOD))
		return;
	pr->last = now;
	double rate = el > 0 ? (double)done / el : 0;
	char eta[32], fails[32] = "";
	fmt_eta(rate > 0 ? (double)(pr->total - done) / rate : -1, eta, sizeof(eta));
	if (failed)
		snprintf(fails, sizeof(fails), ", %zu failed", failed);
	if (pr->mode == PROGRESS_BAR) {
		char bar[BAR_WIDTH + 1];
		size_t fill = pr->total ? done * BAR_WIDTH / pr->total : 0;
		for (size_t i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = 0;
		fprintf(stderr, "\r%s [%s] %zu/%zu runs%s, %.1f runs/s, ETA %s   ", pr->what, bar, done, pr->total,
			fails, rate, eta);
		pr->drawn = 1;
	} else {
		fprintf(stderr, "%s: %zu/%zu runs%s, %.1f runs/s, ETA %s\n", pr->what, done, pr->total, fails, rate,
			eta);
	}
	fflush(stderr);
}

void progress_end(struct progress *pr)
{
	if (pr->drawn)
		fprintf(stderr, "\r%*s\r", 100, "");
	pr->drawn = 0;
}
