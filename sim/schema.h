/*
 * schema.h - binding configuration trees to C structs through a key table.
 *
 * One table per section names each key with its type, unit, default, range
 * and a line of documentation. The same table validates input (every error
 * names origin, line and key, and says what was expected), fills defaults (the
 * default is text, parsed exactly as user input would be), frees what binding
 * allocated, and prints the key reference (`kvmsim keys`, the README table).
 *
 * Defaults, binding and validation are in schema.c; freeing, copying and the
 * key reference in schema_table.c; numbers with units in units.c (units.h).
 */
#ifndef KVMSIM_SIM_SCHEMA_H
#define KVMSIM_SIM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/conf.h"
#include "sim/time.h"
#include "sim/units.h"

enum cfg_type {
	CFG_BOOL,     /* bool */
	CFG_INT,      /* int64_t */
	CFG_U32,      /* uint32_t */
	CFG_U64,      /* uint64_t */
	CFG_DOUBLE,   /* double */
	CFG_TIME,     /* sim_time_t in ps; a bare number is in `unit` */
	CFG_NS32,     /* uint32_t ns (kernel parameters); units accepted */
	CFG_RATE,     /* double, events per second */
	CFG_FREQ,     /* int64_t kHz */
	CFG_BYTES,    /* int64_t bytes; k, M, G suffixes (binary) accepted */
	CFG_CYCLES,   /* struct cfg_cost: cycles, or a time; or {cycles|time, cv, dist, source},
		       * or {quantiles: [...], source} */
	CFG_STRING,   /* char * (owned) */
	CFG_ENUM,     /* int: index into choices */
	CFG_SECTION,  /* nested struct at offset, keys in sub */
	CFG_LIST,     /* array of sub structs: pointer at offset, size_t count at count_offset */
	CFG_KV,       /* free-form map of strings: struct cfg_kv * at offset, count at count_offset */
	CFG_DIST,     /* struct dist (sim/dist.h); a bare time means fixed */
	CFG_INT_LIST, /* int64_t * at offset, count at count_offset */
	CFG_RAW,      /* consumed and documented here, bound by its owner */
};

#define CFG_OPTIONAL 1u /* may stay unset: bool at set_offset says whether it was given */

/* How one occurrence of a cost varies around its value. */
enum cfg_cost_dist {
	CFG_COST_NORMAL,    /* normal with relative standard deviation cv, cut at 0 (cv 0: fixed) */
	CFG_COST_LOGNORMAL, /* lognormal with mean = the value and relative standard deviation cv */
	CFG_COST_EMPIRICAL, /* quantiles at evenly spaced probabilities 0, 1/n, .., 1, interpolated */
};

/* A cost: cycles, or a time when the profile gives one; with where it comes from. */
struct cfg_cost {
	int64_t cycles;
	sim_time_t time; /* used instead of cycles when is_time */
	bool is_time;
	double cv;       /* relative spread of one occurrence, 0: fixed */
	int dist;        /* enum cfg_cost_dist */
	int64_t *quantiles; /* CFG_COST_EMPIRICAL: n+1 values, cycles or (is_time) ps, non-decreasing */
	size_t nquantiles;
	char *source;
};

struct cfg_kv {
	char *key, *value;
};

struct cfg_section;

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	const char *unit;
	const char *def;
	double min, max; /* inclusive; both 0: unchecked */
	const char *doc;
	const struct cfg_section *sub;
	const char *const *choices;
	size_t count_offset;
	size_t set_offset;
	unsigned flags;
};

struct cfg_section {
	const char *name;
	const struct cfg_key *keys;
	size_t size;
	/* cross-key checks after binding; map may be NULL when nothing was given */
	int (*check)(void *obj, const struct conf_node *map, const char *path, struct conf_err *err);
};

/* cfg_defaults - zero obj and apply every key's default. */
void cfg_defaults(const struct cfg_section *sec, void *obj);
/* cfg_bind - bind map (may be NULL) onto obj (defaults already applied). */
int cfg_bind(const struct cfg_section *sec, void *obj, struct conf_node *map, const char *path,
	     struct conf_err *err);
void cfg_free(const struct cfg_section *sec, void *obj);
/* cfg_copy - deep copy of a bound struct (strings and lists duplicated). */
void cfg_copy(const struct cfg_section *sec, void *dst, const void *src);

/* cfg_doc - the key reference: a Markdown table (markdown) or aligned text. */
void cfg_doc(FILE *f, const struct cfg_section *sec, const char *prefix, bool markdown);

#endif
