/* schema.c - key tables -> defaults, validation, binding, docs (see schema.h). */
#include "sim/schema.h"
#include "sim/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dist.h"

#define FIELD(obj, off, type) ((type *)((char *)(obj) + (off)))

/* ---- numbers with units ---------------------------------------------------- */

/*
 * parse_decimal - "12", "1.5", "-3", "2e3" -> value = m * 10^e exactly, and the
 * rest of the string (the unit). Returns -1 if no number starts s.
 */
static int parse_decimal(const char *s, __int128 *m, int *e, const char **rest)
{
	const char *p = s;
	bool neg = false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	__int128 v = 0;
	int exp10 = 0, digits = 0;
	while (isdigit((unsigned char)*p)) {
		if (v < ((__int128)1 << 100))
			v = v * 10 + (*p - '0');
		else
			exp10++;
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (v < ((__int128)1 << 100)) {
				v = v * 10 + (*p - '0');
				exp10--;
			}
			p++;
			digits++;
		}
	}
	if (!digits)
		return -1;
	if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
					  ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
		char *end;
		long x = strtol(p + 1, &end, 10);
		if (x > 40 || x < -40)
			return -1;
		exp10 += (int)x;
		p = end;
	}
	while (isspace((unsigned char)*p))
		p++;
	*m = neg ? -v : v;
	*e = exp10;
	*rest = p;
	return 0;
}

/* scale - m * 10^e * factor, rounded to nearest; -1 on overflow of int64. */
static int scale(__int128 m, int e, int64_t factor, int64_t *out)
{
	__int128 v = m * factor;
	if (m != 0 && v / m != factor)
		return -1;
	while (e > 0) {
		if (v > ((__int128)INT64_MAX * 10) || v < -((__int128)INT64_MAX * 10))
			return -1;
		v *= 10;
		e--;
	}
	if (e < 0) {
		__int128 d = 1;
		while (e < 0 && d < ((__int128)1 << 120)) {
			d *= 10;
			e++;
		}
		v = (v >= 0 ? v + d / 2 : v - d / 2) / d;
	}
	if (v > INT64_MAX || v < INT64_MIN)
		return -1;
	*out = (int64_t)v;
	return 0;
}

struct unit {
	const char *name;
	int64_t factor;
};

static const struct unit time_units[] = { { "ps", 1 },		{ "ns", 1000 },
					  { "us", 1000000 },	{ "\xc2\xb5s", 1000000 },
					  { "ms", 1000000000 }, { "s", 1000000000000 },
					  { NULL, 0 } };

static int64_t unit_factor(const struct unit *u, const char *name)
{
	for (; u->name; u++)
		if (!strcmp(u->name, name))
			return u->factor;
	return 0;
}

int cfg_parse_time(const char *s, const char *unit, sim_time_t *ps, const char **why)
{
	__int128 m;
	int e;
	const char *rest;
	if (parse_decimal(s, &m, &e, &rest)) {
		*why = "expected a time such as 20us, 1.5ms or 2s";
		return -1;
	}
	int64_t f = unit_factor(time_units, *rest ? rest : (unit ? unit : "ns"));
	if (!f) {
		*why = "expected a time unit: ps, ns, us, ms or s";
		return -1;
	}
	if (m < 0) {
		*why = "expected a time that is not negative";
		return -1;
	}
	if (scale(m, e, f, ps)) {
		*why = "time out of range (at most about 106 days)";
		return -1;
	}
	return 0;
}

int cfg_parse_rate(const char *s, double *hz, const char **why)
{
	static const struct unit u[] = { { "Hz", 1 },	 { "/s", 1 },	    { "kHz", 1000 },
					 { "KHz", 1000 }, { "MHz", 1000000 }, { NULL, 0 } };
	__int128 m;
	int e;
	const char *rest;
	if (parse_decimal(s, &m, &e, &rest)) {
		*why = "expected a rate such as 5000, 5kHz or 1MHz";
		return -1;
	}
	int64_t f = *rest ? unit_factor(u, rest) : 1;
	if (!f) {
		*why = "expected a rate unit: Hz, kHz or MHz";
		return -1;
	}
	if (m < 0) {
		*why = "expected a rate that is not negative";
		return -1;
	}
	*hz = (double)m * pow(10, e) * (double)f;
	if (!isfinite(*hz)) {
		*why = "rate out of range";
		return -1;
	}
	return 0;
}

int cfg_parse_freq_khz(const char *s, int64_t *khz, const char **why)
{
	static const struct unit u[] = { { "kHz", 1 }, { "MHz", 1000 }, { "GHz", 1000000 }, { NULL, 0 } };
	__int128 m;
	int e;
	const char *rest;
	if (parse_decimal(s, &m, &e, &rest)) {
		*why = "expected a frequency such as 2.3GHz or 2300MHz";
		return -1;
	}
	int64_t f;
	if (!strcmp(rest, "Hz")) {
		f = 1;
		e -= 3;
	} else {
		f = *rest ? unit_factor(u, rest) : 1;
	}
	if (!f || m <= 0 || scale(m, e, f, khz) || *khz <= 0) {
		*why = "expected a positive frequency: kHz, MHz or GHz (a bare number is kHz)";
		return -1;
	}
	return 0;
}

int cfg_parse_u64(const char *s, uint64_t *v, const char **why)
{
	const char *p = s;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p || !isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p))) {
		*why = "expected a whole number";
		return -1;
	}
	errno = 0;
	char *end;
	unsigned long long x = strtoull(p, &end, base);
	if (*end) {
		/* allow exponent forms like 1e6 for convenience */
		__int128 m;
		int e;
		const char *rest;
		int64_t out;
		if (base == 10 && !parse_decimal(s, &m, &e, &rest) && !*rest && m >= 0 &&
		    !scale(m, e, 1, &out)) {
			__int128 back = out;
			for (int k = e; k < 0; k++)
				back *= 10;
			if (e >= 0 || back == m) {
				*v = (uint64_t)out;
				return 0;
			}
		}
		*why = "expected a whole number";
		return -1;
	}
	if (errno == ERANGE) {
		*why = "number out of range";
		return -1;
	}
	*v = x;
	return 0;
}

/* ---- binding --------------------------------------------------------------- */

struct bctx {
	struct conf_err *err;
	const struct conf_node *node;
	const char *path;
};

static int fail(struct bctx *b, const char *fmt, const char *what)
{
	conf_errorf(b->err, b->node, b->path, fmt, what);
	return -1;
}

/* fail_why - a parser's reason, and the text it rejected. */
static int fail_why(struct bctx *b, const char *why, const char *text)
{
	conf_errorf(b->err, b->node, b->path, "%s, got \"%s\"", why, text);
	return -1;
}

static int want_scalar(struct bctx *b, const struct conf_node *n, const char *what)
{
	if (n->kind != CONF_SCALAR) {
		conf_errorf(b->err, n, b->path, "expected %s, got a %s", what,
			    n->kind == CONF_MAP ? "map" : "list");
		return -1;
	}
	return 0;
}

static int range_ok(struct bctx *b, const struct cfg_key *k, double v, const char *text)
{
	if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
		conf_errorf(b->err, b->node, b->path, "%s is out of range: expected %g..%g%s%s", text,
			    k->min, k->max, k->unit ? " " : "", k->unit ? k->unit : "");
		return -1;
	}
	return 0;
}

static int bind_bool(struct bctx *b, bool *out, const char *s)
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

static int bind_dist(struct bctx *b, const struct cfg_key *k, struct dist *d, struct conf_node *n);
static int bind_cost(struct bctx *b, const struct cfg_key *k, struct cfg_cost *c,
		     struct conf_node *n);

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
		double in_unit = (double)ps / (double)unit_factor(time_units, k->unit ? k->unit : "ns");
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
	case CFG_FREQ: {
		int64_t khz;
		if (cfg_parse_freq_khz(s, &khz, &why))
			return fail_why(b, why, s);
		if (range_ok(b, k, (double)khz, s))
			return -1;
		*(int64_t *)field = khz;
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
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		int d = levenshtein(c->key, k->name);
		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
		len += (size_t)snprintf(known + len, len < sizeof(known) ? sizeof(known) - len : 0,
					"%s%s", len ? ", " : "", k->name);
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
		if (want_scalar(&b, n, "a number"))
			return -1;
		if (n->quoted)
			return fail(&b, "expected a number, got the string \"%s\"", n->value);
		if (bind_scalar_number(&b, k, field, n->value))
			return -1;
		break;
	case CFG_CYCLES:
		if (bind_cost(&b, k, field, n))
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
		if (bind_dist(&b, k, field, n))
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

/* ---- distributions and costs ------------------------------------------------ */

static int bind_dist(struct bctx *b, const struct cfg_key *k, struct dist *d, struct conf_node *n)
{
	const char *unit = k->unit ? k->unit : "us";
	const char *why;
	if (n->kind == CONF_SCALAR) { /* a bare time: fixed */
		sim_time_t v;
		if (cfg_parse_time(n->value, unit, &v, &why)) {
			conf_errorf(b->err, n, b->path,
				    "expected a time (fixed) or a map such as {dist: exponential, mean: 20us}, got \"%s\"",
				    n->value);
			return -1;
		}
		memset(d, 0, sizeof(*d));
		d->kind = DIST_FIXED;
		d->value = v;
		return 0;
	}
	if (n->kind != CONF_MAP) {
		conf_errorf(b->err, n, b->path, "expected a time or a map such as {dist: exponential, mean: 20us}");
		return -1;
	}
	struct conf_node *kind = conf_get(n, "dist");
	if (!kind || kind->kind != CONF_SCALAR) {
		conf_errorf(b->err, n, b->path,
			    "a distribution needs \"dist:\" (fixed, uniform, exponential, normal, lognormal, pareto)");
		return -1;
	}
	int ki;
	for (ki = 0; dist_kind_names[ki]; ki++)
		if (!strcmp(dist_kind_names[ki], kind->value))
			break;
	if (!dist_kind_names[ki]) {
		conf_errorf(b->err, kind, b->path,
			    "dist: expected fixed, uniform, exponential, normal, lognormal or pareto, got \"%s\"",
			    kind->value);
		return -1;
	}
	kind->used = true;
	static const char *const need[][3] = {
		[DIST_FIXED] = { "value" },
		[DIST_UNIFORM] = { "min", "max" },
		[DIST_EXPONENTIAL] = { "mean" },
		[DIST_NORMAL] = { "mean", "sd" },
		[DIST_LOGNORMAL] = { "mean", "sigma" },
		[DIST_PARETO] = { "min", "shape" },
	};
	struct dist nd = { .kind = (enum dist_kind)ki };
	for (struct conf_node *c = n->child; c; c = c->next) {
		if (c == kind)
			continue;
		c->used = true;
		bool ok = false;
		for (int j = 0; j < 3 && need[ki][j]; j++)
			ok |= !strcmp(need[ki][j], c->key);
		char p[256];
		snprintf(p, sizeof(p), "%s.%s", b->path, c->key);
		if (!ok) {
			conf_errorf(b->err, c, p, "not a parameter of a%s %s distribution (it takes %s%s%s)",
				    strchr("aeiou", kind->value[0]) ? "n" : "", kind->value, need[ki][0], need[ki][1] ? " and " : "",
				    need[ki][1] ? need[ki][1] : "");
			return -1;
		}
		if (c->kind != CONF_SCALAR) {
			conf_errorf(b->err, c, p, "expected a plain value");
			return -1;
		}
		if (!strcmp(c->key, "sigma") || !strcmp(c->key, "shape")) {
			char *end;
			double v = strtod(c->value, &end);
			if (*end || end == c->value || !(v > 0) || !isfinite(v)) {
				conf_errorf(b->err, c, p, "expected a positive number, got \"%s\"", c->value);
				return -1;
			}
			*(!strcmp(c->key, "sigma") ? &nd.sigma : &nd.shape) = v;
			continue;
		}
		sim_time_t v;
		if (cfg_parse_time(c->value, unit, &v, &why)) {
			conf_errorf(b->err, c, p, "%s, got \"%s\"", why, c->value);
			return -1;
		}
		if (!strcmp(c->key, "value"))
			nd.value = v;
		else if (!strcmp(c->key, "mean"))
			nd.mean = v;
		else if (!strcmp(c->key, "min"))
			nd.min = v;
		else if (!strcmp(c->key, "max"))
			nd.max = v;
		else
			nd.sd = v;
	}
	for (int j = 0; j < 3 && need[ki][j]; j++)
		if (!conf_get(n, need[ki][j])) {
			conf_errorf(b->err, n, b->path, "a%s %s distribution needs %s",
				    strchr("aeiou", kind->value[0]) ? "n" : "", kind->value, need[ki][j]);
			return -1;
		}
	if (nd.kind == DIST_UNIFORM && nd.max < nd.min) {
		conf_errorf(b->err, n, b->path, "uniform: max is below min");
		return -1;
	}
	if ((nd.kind == DIST_EXPONENTIAL || nd.kind == DIST_LOGNORMAL) && nd.mean <= 0) {
		conf_errorf(b->err, n, b->path, "%s: mean must be positive", kind->value);
		return -1;
	}
	if (nd.kind == DIST_PARETO && nd.min <= 0) {
		conf_errorf(b->err, n, b->path, "pareto: min must be positive");
		return -1;
	}
	*d = nd;
	return 0;
}

static int bind_cost(struct bctx *b, const struct cfg_key *k, struct cfg_cost *c, struct conf_node *n)
{
	struct conf_node *v = n;
	if (n->kind == CONF_MAP) {
		struct conf_node *cy = conf_get(n, "cycles"), *tm = conf_get(n, "time");
		for (struct conf_node *x = n->child; x; x = x->next) {
			x->used = true;
			if (strcmp(x->key, "cycles") && strcmp(x->key, "time") && strcmp(x->key, "source") &&
			    strcmp(x->key, "cv")) {
				char p[256];
				snprintf(p, sizeof(p), "%s.%s", b->path, x->key);
				conf_errorf(b->err, x, p, "unknown key (a cost takes cycles or time, cv, and source)");
				return -1;
			}
		}
		if (!!cy == !!tm) {
			conf_errorf(b->err, n, b->path, "a cost needs exactly one of cycles: or time:");
			return -1;
		}
		struct conf_node *cvn = conf_get(n, "cv");
		if (cvn) {
			char *end;
			double cv = cvn->kind == CONF_SCALAR ? strtod(cvn->value, &end) : -1;
			if (cvn->kind != CONF_SCALAR || *end || end == cvn->value || !(cv >= 0 && cv <= 1)) {
				char p[256];
				snprintf(p, sizeof(p), "%s.cv", b->path);
				conf_errorf(b->err, cvn, p, "expected a relative spread from 0 to 1, got \"%s\"",
					    cvn->kind == CONF_SCALAR ? cvn->value : "a list or map");
				return -1;
			}
			c->cv = cv;
		}
		struct conf_node *src = conf_get(n, "source");
		if (src) {
			if (src->kind != CONF_SCALAR) {
				conf_errorf(b->err, src, b->path, "source: expected text");
				return -1;
			}
			free(c->source);
			c->source = xstrdup(src->value);
		}
		v = cy ? cy : tm;
	}
	if (v->kind != CONF_SCALAR) {
		conf_errorf(b->err, v, b->path, "expected cycles (a number), a time (e.g. 2us), or {cycles: N, source: ...}");
		return -1;
	}
	const char *why;
	uint64_t cyc;
	if (!cfg_parse_u64(v->value, &cyc, &why)) {
		if (cyc > (uint64_t)INT64_MAX / 2)
			return fail(b, "%s cycles is out of range", v->value);
		c->cycles = (int64_t)cyc;
		c->is_time = false;
		return 0;
	}
	sim_time_t t;
	if (cfg_parse_time(v->value, NULL, &t, &why) || !*v->value ||
	    isdigit((unsigned char)v->value[strlen(v->value) - 1])) {
		conf_errorf(b->err, v, b->path, "expected cycles (a whole number) or a time with its unit (e.g. 2us), got \"%s\"",
			    v->value);
		return -1;
	}
	c->time = t;
	c->is_time = true;
	return 0;
}

/* ---- defaults, free, copy ---------------------------------------------------- */

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

void cfg_free(const struct cfg_section *sec, void *obj)
{
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		void *field = FIELD(obj, k->offset, void);
		switch (k->type) {
		case CFG_STRING:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case CFG_CYCLES:
			free(((struct cfg_cost *)field)->source);
			((struct cfg_cost *)field)->source = NULL;
			break;
		case CFG_SECTION:
			cfg_free(k->sub, field);
			break;
		case CFG_LIST: {
			void **arr = field;
			size_t *count = FIELD(obj, k->count_offset, size_t);
			for (size_t i = 0; i < *count; i++)
				cfg_free(k->sub, (char *)*arr + i * k->sub->size);
			free(*arr);
			*arr = NULL;
			*count = 0;
			break;
		}
		case CFG_KV: {
			struct cfg_kv **arr = field;
			size_t *count = FIELD(obj, k->count_offset, size_t);
			for (size_t i = 0; i < *count; i++) {
				free((*arr)[i].key);
				free((*arr)[i].value);
			}
			free(*arr);
			*arr = NULL;
			*count = 0;
			break;
		}
		case CFG_INT_LIST:
			free(*(int64_t **)field);
			*(int64_t **)field = NULL;
			*FIELD(obj, k->count_offset, size_t) = 0;
			break;
		default:
			break;
		}
	}
}

void cfg_copy(const struct cfg_section *sec, void *dst, const void *src)
{
	memcpy(dst, src, sec->size);
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		void *d = FIELD(dst, k->offset, void);
		const void *s = FIELD(src, k->offset, const void);
		switch (k->type) {
		case CFG_STRING:
			if (*(char *const *)s)
				*(char **)d = xstrdup(*(char *const *)s);
			break;
		case CFG_CYCLES:
			if (((const struct cfg_cost *)s)->source)
				((struct cfg_cost *)d)->source = xstrdup(((const struct cfg_cost *)s)->source);
			break;
		case CFG_SECTION:
			cfg_copy(k->sub, d, s);
			break;
		case CFG_LIST: {
			size_t n = *FIELD(src, k->count_offset, const size_t);
			void *arr = xcalloc(1, n * k->sub->size);
			for (size_t i = 0; i < n; i++)
				cfg_copy(k->sub, (char *)arr + i * k->sub->size,
					 (const char *)*(void *const *)s + i * k->sub->size);
			*(void **)d = arr;
			break;
		}
		case CFG_KV: {
			size_t n = *FIELD(src, k->count_offset, const size_t);
			struct cfg_kv *arr = xcalloc(1, n * sizeof(*arr));
			for (size_t i = 0; i < n; i++) {
				arr[i].key = xstrdup((*(struct cfg_kv *const *)s)[i].key);
				arr[i].value = xstrdup((*(struct cfg_kv *const *)s)[i].value);
			}
			*(struct cfg_kv **)d = arr;
			break;
		}
		case CFG_INT_LIST: {
			size_t n = *FIELD(src, k->count_offset, const size_t);
			int64_t *arr = xcalloc(1, n * sizeof(*arr));
			if (n)
				memcpy(arr, *(int64_t *const *)s, n * sizeof(*arr));
			*(int64_t **)d = arr;
			break;
		}
		default:
			break;
		}
	}
}

/* ---- documentation ------------------------------------------------------------ */

static const char *type_doc(const struct cfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case CFG_BOOL:
		return "bool";
	case CFG_INT:
	case CFG_U32:
	case CFG_U64:
		return k->unit ? k->unit : "integer";
	case CFG_DOUBLE:
		return k->unit ? k->unit : "number";
	case CFG_TIME:
		snprintf(buf, len, "time (bare number: %s)", k->unit ? k->unit : "ns");
		return buf;
	case CFG_NS32:
		return "ns (u32; units accepted)";
	case CFG_RATE:
		return "rate (Hz)";
	case CFG_FREQ:
		return "frequency";
	case CFG_CYCLES:
		return "cycles or time";
	case CFG_STRING:
		return k->unit ? k->unit : "string";
	case CFG_ENUM: {
		size_t n = 0;
		buf[0] = 0;
		for (int i = 0; k->choices[i]; i++)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? " \\| " : "",
					      k->choices[i]);
		return buf;
	}
	case CFG_LIST:
		return "list of maps";
	case CFG_KV:
		return "map of strings";
	case CFG_DIST:
		snprintf(buf, len, "distribution (bare number: %s)", k->unit ? k->unit : "us");
		return buf;
	case CFG_INT_LIST:
		return "list of integers";
	case CFG_RAW:
		return k->unit ? k->unit : "list of maps";
	default:
		return "";
	}
}

void cfg_doc(FILE *f, const struct cfg_section *sec, const char *prefix, bool markdown)
{
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		char path[256], tbuf[256];
		snprintf(path, sizeof(path), "%s%s", prefix, k->name);
		if (k->type == CFG_SECTION) {
			char p[260];
			snprintf(p, sizeof(p), "%s.", path);
			cfg_doc(f, k->sub, p, markdown);
			continue;
		}
		const char *def = k->def ? k->def : (k->flags & CFG_OPTIONAL ? "unset" : "-");
		const char *type = type_doc(k, tbuf, sizeof(tbuf));
		if (markdown) {
			fprintf(f, "| `%s` | %s | %s%s%s | %s |\n", path, type, k->def ? "`" : "", def,
				k->def ? "`" : "", k->doc);
		} else {
			fprintf(f, "%-36s %-28s default %s\n    %s\n", path, type, def, k->doc);
		}
		if (k->type == CFG_LIST && k->sub) {
			char p[270];
			snprintf(p, sizeof(p), "%s.N.", path);
			cfg_doc(f, k->sub, p, markdown);
		}
	}
}
