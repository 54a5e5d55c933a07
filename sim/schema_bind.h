/*
 * schema_bind.h - what the binding code shares between its files (schema.c:
 * keys and scalars; schema_values.c: distributions and costs). Not for users of
 * the schema: they include schema.h.
 */
#ifndef KVMSIM_SIM_SCHEMA_BIND_H
#define KVMSIM_SIM_SCHEMA_BIND_H

#include <stdbool.h>
#include <string.h>

#include "sim/dist.h"
#include "sim/schema.h"

struct bctx {
	struct conf_err *err;
	const struct conf_node *node;
	const char *path;
};

static inline int fail(struct bctx *b, const char *fmt, const char *what)
{
	conf_errorf(b->err, b->node, b->path, fmt, what);
	return -1;
}

/* fail_why - a parser's reason, and the text it rejected. */
static inline int fail_why(struct bctx *b, const char *why, const char *text)
{
	conf_errorf(b->err, b->node, b->path, "%s, got \"%s\"", why, text);
	return -1;
}

static inline int want_scalar(struct bctx *b, const struct conf_node *n, const char *what)
{
	if (n->kind != CONF_SCALAR) {
		conf_errorf(b->err, n, b->path, "expected %s, got a %s", what,
			    n->kind == CONF_MAP ? "map" : "list");
		return -1;
	}
	return 0;
}

static inline int range_ok(struct bctx *b, const struct cfg_key *k, double v, const char *text)
{
	if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
		conf_errorf(b->err, b->node, b->path, "%s is out of range: expected %.15g..%.15g%s%s", text,
			    k->min, k->max, k->unit ? " " : "", k->unit ? k->unit : "");
		return -1;
	}
	return 0;
}

static inline int bind_bool(struct bctx *b, bool *out, const char *s)
{
	static const char *yes[] = { "true", "yes", "on", "1", "True", "TRUE", "y", "Y" };
	static const char *no[] = { "false", "no", "off", "0", "False", "FALSE", "n", "N" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return fail(b, "expected true or false, got \"%s\"", s);
}

/* cfg_bind_dist / cfg_bind_cost - a CFG_DIST or CFG_CYCLES key's value (schema_values.c). */
int cfg_bind_dist(struct bctx *b, const struct cfg_key *k, struct dist *d, struct conf_node *n);
int cfg_bind_cost(struct bctx *b, const struct cfg_key *k, struct cfg_cost *c, struct conf_node *n);

#endif
