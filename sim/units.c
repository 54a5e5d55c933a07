/* units.c - numbers with units: times, rates, frequencies, counts (see units.h). */
#include "sim/units.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	/* m * factor must fit: a mantissa of more digits than that is cut to them (the digits
	 * dropped are beyond any time's or rate's resolution) */
	const __int128 lim = (((__int128)1 << 126) - 1) / (factor > 0 ? factor : 1);
	while (m > lim || m < -lim) {
		m /= 10;
		e++;
	}
	__int128 v = m * factor;
	while (e > 0) {
		if (v > ((__int128)INT64_MAX * 10) || v < -((__int128)INT64_MAX * 10))
			return -1;
		v *= 10;
		e--;
	}
	while (e < 0) { /* in steps of at most 10^36, so that d fits (a last step may round twice) */
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
	if (scale(m, e, f, ps) || *ps > SIM_INPUT_MAX) {
		*why = "time out of range (at most 1000000s)";
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

int cfg_parse_bytes(const char *s, int64_t *bytes, const char **why)
{
	/* fio's suffixes with its default kb_base (1024), any case: k = kb = kib = 1024 */
	static const struct { const char *name; int64_t f; } u[] = {
		{ "k", 1 << 10 }, { "kb", 1 << 10 }, { "kib", 1 << 10 }, { "m", 1 << 20 }, { "mb", 1 << 20 },
		{ "mib", 1 << 20 }, { "g", 1 << 30 }, { "gb", 1 << 30 }, { "gib", 1 << 30 },
	};
	__int128 m;
	int e;
	const char *rest;
	int64_t f = 0;
	if (!parse_decimal(s, &m, &e, &rest)) {
		if (!*rest)
			f = 1;
		for (size_t i = 0; i < sizeof(u) / sizeof(*u) && !f; i++)
			if (!strcasecmp(rest, u[i].name))
				f = u[i].f;
	}
	if (!f || m < 0) {
		*why = "expected a size in bytes: a whole number, or with k, M or G (binary: 4k is 4096)";
		return -1;
	}
	if (scale(m, e, f, bytes)) {
		*why = "size out of range";
		return -1;
	}
	__int128 back = *bytes; /* whole bytes only: 1.5 is no size, 1.5k is */
	for (int k = e; k < 0; k++)
		back *= 10;
	if (e < 0 && back != m * f) {
		*why = "expected a whole number of bytes";
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


int64_t cfg_time_unit_ps(const char *name)
{
	return unit_factor(time_units, name ? name : "ns");
}
