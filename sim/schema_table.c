/* schema_table.c - key tables -> freeing, copying and the key reference (see schema.h). */
#include "sim/schema.h"
#include "sim/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "sim/dist.h"

#define FIELD(obj, off, type) ((type *)((char *)(obj) + (off)))

/* ---- free, copy ---------------------------------------------------------------- */

void cfg_free(const struct cfg_section *sec, void *obj)
{
	for (const struct cfg_key *k = sec->keys; k->name; k++) {
		void *field = FIELD(obj, k->offset, void);
		switch (k->type) {
		case CFG_STRING:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case CFG_CYCLES: {
			struct cfg_cost *c = field;
			free(c->source);
			free(c->quantiles);
			c->source = NULL;
			c->quantiles = NULL;
			c->nquantiles = 0;
			break;
		}
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
		case CFG_CYCLES: {
			const struct cfg_cost *sc = s;
			struct cfg_cost *dc = d;
			if (sc->source)
				dc->source = xstrdup(sc->source);
			if (sc->nquantiles) {
				dc->quantiles = xcalloc(sc->nquantiles, sizeof(*dc->quantiles));
				memcpy(dc->quantiles, sc->quantiles, sc->nquantiles * sizeof(*dc->quantiles));
			}
			break;
		}
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
	case CFG_BYTES:
		return "bytes (k, M, G: 4k = 4096)";
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
