/* schema.c - key tables -> defaults, validation and binding of a configuration tree (see schema.h). */
#include "sim/schema.h"
#include "sim/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dist.h"

#define FIELD(obj, off, type) ((type *)((char *)(obj) + (off)))

/* ---- binding --------------------------------------------------------------- */

#include "sim/schema_bind.h"

static int bind_scalar_number(struct bctx *b, const struct cfg_key *k, void *field, const char *s)
{
	const char *why = NULL;
	switch (k->type) {
	case CFG_INT: {
		uint64_t u;
		bool neg = s[0] == '-';
		if (cfg_parse_u64(neg ? s + 1 : s, &u, &why) || u > (uint64_t)INT64_MAX)
			return fail(b, "expected a whole number, got \"%s\"", s);
		int64_t v = neg ? -(int64_t)u : (int64_t)u;
		if (range_ok(b, k, (double)v, s))
			return -1;
		*(int64_t *)field = v;
		return 0;
	}
	case CFG_U32:
	case CFG_U64: {
		uint64_t v;
		if (cfg_parse_u64(s, &v, &why))
			return fail(b, "expected a whole number that is not negative, got \"%s\"", s);
		if (k->type == CFG_U32 && v > UINT32_MAX)
			return fail(b, "%s does not fit in 32 bits (at most 4294967295)", s);
		if (range_ok(b, k, (double)v, s))
			return -1;
		if (k->type == CFG_U32)
			*(uint32_t *)field = (uint32_t)v;
		else
			*(uint64_t *)field = v;
		return 0;
	}
	case CFG_DOUBLE: {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (*end || end == s || errno || !isfinite(v))
			return fail(b, "expected a number, got \"%s\"", s);
		if (range_ok(b, k, v, s))
			return -1;
		*(double *)field = v;
		return 0;
	}
	case CFG_TIME: {
		sim_time_t ps;
		if (cfg_parse_time(s, k->unit, &ps, &why))
			return fail_why(b, why, s);
		/* ranges of times are given in the key's unit */
		double in_unit = (double)ps / (double)cfg_time_unit_ps(k->unit);
		if (range_ok(b, k, in_unit, s))
			return -1;
		*(sim_time_t *)field = ps;
		return 0;
	}
	case CFG_NS32: {
		sim_time_t ps;
		if (cfg_parse_time(s, "ns", &ps, &why))
			return fail_why(b, why, s);
		if (ps % SIM_NS)
			return fail(b, "expected whole nanoseconds, got \"%s\"", s);
		if (ps / SIM_NS > UINT32_MAX)
			return fail(b, "%s does not fit the kernel's 32-bit nanoseconds (at most 4294967295)", s);
		if (range_ok(b, k, (double)(ps / SIM_NS), s))
			return -1;
		*(uint32_t *)field = (uint32_t)(ps / SIM_NS);
		return 0;
	}
	case CFG_RATE: {
		double hz;
		if (cfg_parse_rate(s, &hz, &why))
			return fail_why(b, why, s);
		if (range_ok(b, k, hz, s))
			return -1;
		*(double *)field = hz;
		return 0;
	}
	case CFG_BYTES:
	case CFG_FREQ: { /* an int64_t with units: bytes, or kHz */
		int64_t n;
		if ((k->type == CFG_BYTES ? cfg_parse_bytes : cfg_parse_freq_khz)(s, &n, &why))
			return fail_why(b, why, s);
		if (range_ok(b, k, (double)n, s))
			return -1;
		*(int64_t *)field = n;
		return 0;
	}
	default:
		return fail(b, "internal error: not a number type (%s)", s);
	}
}

static int levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	int d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

static int unknown_key(struct conf_err *err, const struct cfg_section *sec, const struct conf_node *c,
		       const char *path)
{
	const char *best = NULL;
	int bestd = 3;
	char known[600] = "";
	size_t len = 0;
	bool full = false;
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		int d = levenshtein(c->key, k->name);
		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
		if (full)
			continue; /* no name after the ellipsis */
		size_t add = strlen(k->name) + (len ? 2 : 0);
		if (len + add + 6 < sizeof(known)) { /* room for it and a last ", ..." */
			len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s", len ? ", " : "", k->name);
		} else {
			len += (size_t)snprintf(known + len, sizeof(known) - len, ", ...");
			full = true;
		}
	}
	if (best)
		conf_errorf(err, c, path, "unknown key (did you mean %s?)", best);
	else
		conf_errorf(err, c, path, "unknown key (known here: %s)", known);
	return -1;
}

static int bind_key(const struct cfg_key *k, void *obj, struct conf_node *n, const char *path,
		    struct conf_err *err)
{
	struct bctx b = { err, n, path };
	void *field = FIELD(obj, k->offset, void);
	n->used = true;
	switch (k->type) {
	case CFG_BOOL:
		if (want_scalar(&b, n, "true or false"))
			return -1;
		if (bind_bool(&b, field, n->value))
			return -1;
		break;
	case CFG_INT:
	case CFG_U32:
	case CFG_U64:
	case CFG_DOUBLE:
	case CFG_TIME:
	case CFG_NS32:
	case CFG_RATE:
	case CFG_FREQ:
	case CFG_BYTES:
		if (want_scalar(&b, n, "a number"))
			return -1;
		if (n->quoted)
			return fail(&b, "expected a number, got the string \"%s\"", n->value);
		if (bind_scalar_number(&b, k, field, n->value))
			return -1;
		break;
	case CFG_CYCLES:
		if (cfg_bind_cost(&b, k, field, n))
			return -1;
		break;
	case CFG_STRING:
		if (want_scalar(&b, n, "a string"))
			return -1;
		free(*(char **)field);
		*(char **)field = xstrdup(n->value);
		break;
	case CFG_ENUM: {
		if (want_scalar(&b, n, "one of the listed words"))
			return -1;
		int i;
		for (i = 0; k->choices[i]; i++)
			if (!strcmp(k->choices[i], n->value))
				break;
		if (!k->choices[i]) {
			char list[400] = "";
			size_t len = 0;
			for (int j = 0; k->choices[j]; j++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
							j ? ", " : "", k->choices[j]);
			conf_errorf(err, n, path, "expected one of %s, got \"%s\"", list, n->value);
			return -1;
		}
		*(int *)field = i;
		break;
	}
	case CFG_SECTION:
		if (n->kind != CONF_MAP) {
			conf_errorf(err, n, path, "expected a map of keys");
			return -1;
		}
		if (cfg_bind(k->sub, field, n, path, err))
			return -1;
		break;
	case CFG_LIST: {
		if (n->kind != CONF_SEQ) {
			conf_errorf(err, n, path, "expected a list (- item per line, or [a, b])");
			return -1;
		}
		const struct cfg_section *sub = k->sub;
		void **arr = field;
		size_t *count = FIELD(obj, k->count_offset, size_t);
		for (size_t i = 0; i < *count; i++)
			cfg_free(sub, (char *)*arr + i * sub->size);
		free(*arr);
		size_t cnt = conf_count(n);
		*arr = xcalloc(1, cnt * sub->size);
		*count = 0;
		size_t i = 0;
		for (struct conf_node *c = n->child; c; c = c->next, i++) {
			char p[256];
			snprintf(p, sizeof(p), "%s.%zu", path, i);
			void *elem = (char *)*arr + i * sub->size;
			cfg_defaults(sub, elem);
			(*count)++;
			c->used = true;
			if (c->kind != CONF_MAP) {
				conf_errorf(err, c, p, "expected a map of keys");
				return -1;
			}
			if (cfg_bind(sub, elem, c, p, err))
				return -1;
		}
		break;
	}
	case CFG_KV: {
		if (n->kind != CONF_MAP) {
			conf_errorf(err, n, path, "expected a map of key: value");
			return -1;
		}
		struct cfg_kv **arr = field;
		size_t *count = FIELD(obj, k->count_offset, size_t);
		for (size_t i = 0; i < *count; i++) {
			free((*arr)[i].key);
			free((*arr)[i].value);
		}
		free(*arr);
		*arr = xcalloc(1, conf_count(n) * sizeof(struct cfg_kv));
		*count = 0;
		for (struct conf_node *c = n->child; c; c = c->next) {
			char p[256];
			snprintf(p, sizeof(p), "%s.%s", path, c->key);
			c->used = true;
			if (c->kind != CONF_SCALAR) {
				conf_errorf(err, c, p, "expected a plain value");
				return -1;
			}
			(*arr)[*count].key = xstrdup(c->key);
			(*arr)[*count].value = xstrdup(c->value);
			(*count)++;
		}
		break;
	}
	case CFG_DIST:
		if (cfg_bind_dist(&b, k, field, n))
			return -1;
		break;
	case CFG_INT_LIST: {
		int64_t **arr = field;
		size_t *count = FIELD(obj, k->count_offset, size_t);
		free(*arr);
		*arr = NULL;
		*count = 0;
		if (n->kind == CONF_SCALAR && (!strcmp(n->value, "auto") || !*n->value))
			break;
		if (n->kind != CONF_SEQ) {
			conf_errorf(err, n, path, "expected a list of numbers, e.g. [0, 1], or auto");
			return -1;
		}
		*arr = xcalloc(1, conf_count(n) * sizeof(int64_t));
		for (struct conf_node *c = n->child; c; c = c->next) {
			struct cfg_key ik = *k;
			ik.type = CFG_INT;
			struct bctx cb = { err, c, path };
			c->used = true;
			if (want_scalar(&cb, c, "a number") ||
			    bind_scalar_number(&cb, &ik, &(*arr)[*count], c->value))
				return -1;
			(*count)++;
		}
		break;
	}
	case CFG_RAW:
		break; /* its owner binds it */
	}
	if (k->flags & CFG_OPTIONAL)
		*FIELD(obj, k->set_offset, bool) = true;
	return 0;
}

int cfg_bind(const struct cfg_section *sec, void *obj, struct conf_node *map, const char *path,
	     struct conf_err *err)
{
	if (map) {
		for (struct conf_node *c = map->child; c; c = c->next) {
			char p[256];
			snprintf(p, sizeof(p), "%s%s%s", path && *path ? path : "",
				 path && *path ? "." : "", c->key);
			const struct cfg_key *k;
			for (k = sec->keys; k->name; k++)
				if (!strcmp(k->name, c->key))
					break;
			if (!k->name)
				return unknown_key(err, sec, c, p);
			if (bind_key(k, obj, c, p, err))
				return -1;
		}
	}
	if (sec->check && sec->check(obj, map, path, err))
		return -1;
	return 0;
}

/* ---- defaults: each key's default text, bound as user input would be ------------ */

void cfg_defaults(const struct cfg_section *sec, void *obj)
{
	memset(obj, 0, sec->size);
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		if (k->type == CFG_SECTION) {
			cfg_defaults(k->sub, FIELD(obj, k->offset, void));
			continue;
		}
		if (!k->def)
			continue;
		struct conf_node n = { .kind = CONF_SCALAR, .value = (char *)k->def, .origin = "(default)" };
		struct conf_err err;
		if (bind_key(k, obj, &n, k->name, &err)) {
			fprintf(stderr, "kvmsim: internal error: bad default: %s\n", err.msg);
			abort();
		}
		if (k->flags & CFG_OPTIONAL)
			*FIELD(obj, k->set_offset, bool) = false; /* a default is not "given" */
	}
}
