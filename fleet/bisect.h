/*
 * bisect.h - the largest count that still meets a target, by bisection.
 *
 * The predicate must be monotone: true for 1..k and false above (more VMs
 * on a host never make its latency better). bisect_max asks it about
 * ceil(log2(hi + 1)) counts at most, never about one twice.
 */
#ifndef KVMSIM_FLEET_BISECT_H
#define KVMSIM_FLEET_BISECT_H

/* bisect_pred - 1 if n meets the target, 0 if not, or a negative error that stops the search. */
typedef int (*bisect_pred)(int n, void *ctx);

/*
 * bisect_max - the largest n in 1..hi with pred(n) true, 0 if pred(1) is false
 * (or hi < 1), in *best; *evals counts the predicate's calls. Returns 0, or the
 * predicate's negative error.
 */
int bisect_max(int hi, bisect_pred pred, void *ctx, int *best, int *evals);

#endif
