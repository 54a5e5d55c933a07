/* conf.c - YAML -> conf tree (libyaml's document API keeps node marks) and --set edits. */
#include "sim/conf.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static struct conf_node *node_new(enum conf_kind kind, int line, const char *origin)
{
	struct conf_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = line;
	n->origin = origin;
	return n;
}

static void append(struct conf_node *parent, struct conf_node *c)
{
	if (parent->last)
		parent->last->next = c;
	else
		parent->child = c;
	parent->last = c;
}

void conf_free(struct conf_node *n)
{
	while (n) {
		struct conf_node *next = n->next;
		conf_free(n->child);
		free(n->key);
		free(n->value);
		free(n);
		n = next;
	}
}

const char *conf_where(const struct conf_node *n, char *buf, size_t len)
{
	if (!n)
		snprintf(buf, len, "(default)");
	else if (n->line > 0)
		snprintf(buf, len, "%s:%d", n->origin, n->line);
	else
		snprintf(buf, len, "%s", n->origin);
	return buf;
}

void conf_errorf(struct conf_err *err, const struct conf_node *n, const char *key, const char *fmt, ...)
{
	char where[512];
	int k;
	if (n && n->line == 0 && key && *key) {
		/* a command-line value: "--set KEY" (or "--duration") says it all */
		const char *sp = strchr(n->origin, ' ');
		k = snprintf(err->msg, sizeof(err->msg), "%.*s%s%s: ",
			     (int)(sp ? (size_t)(sp - n->origin) : strlen(n->origin)), n->origin,
			     sp ? " " : "", sp ? key : "");
	} else {
		k = snprintf(err->msg, sizeof(err->msg), "%s: ", conf_where(n, where, sizeof(where)));
		if (key && *key && k < (int)sizeof(err->msg))
			k += snprintf(err->msg + k, sizeof(err->msg) - (size_t)k, "%s: ", key);
	}
	if (k < (int)sizeof(err->msg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg + k, sizeof(err->msg) - (size_t)k, fmt, ap);
		va_end(ap);
	}
}

struct conf_node *conf_get(const struct conf_node *map, const char *key)
{
	if (!map || map->kind != CONF_MAP)
		return NULL;
	for (struct conf_node *c = map->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

size_t conf_count(const struct conf_node *n)
{
	size_t k = 0;
	for (const struct conf_node *c = n ? n->child : NULL; c; c = c->next)
		k++;
	return k;
}

/*
 * Duplicate keys: a set of the keys of one map, hashed (FNV-1a, open
 * addressing), so a map of n keys is checked in O(n), not O(n^2).
 */
struct keyset {
	const char **slot;
	size_t mask;
};

static void keyset_init(struct keyset *ks, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	ks->slot = xcalloc(cap, sizeof(*ks->slot));
	ks->mask = cap - 1;
}

/* keyset_add - false if key is already in the set. */
static bool keyset_add(struct keyset *ks, const char *key)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	for (size_t i = (size_t)h & ks->mask;; i = (i + 1) & ks->mask) {
		if (!ks->slot[i]) {
			ks->slot[i] = key;
			return true;
		}
		if (!strcmp(ks->slot[i], key))
			return false;
	}
}

/*
 * Converting libyaml's document into our tree. The document holds each node
 * once, aliases pointing at their anchor; the tree copies an anchored node
 * at every alias, so a few lines of nested aliases ("billion laughs") could
 * ask for gigabytes. The copies are measured as they are made (a node counts
 * as 1 byte plus its text) and may add at most the document's own size plus
 * CONF_ALIAS_SLACK to it.
 */
#define CONF_ALIAS_SLACK 65536

struct conv {
	yaml_document_t *doc;
	const char *origin;
	struct conf_err *err;
	int depth;
	size_t size, limit, own;
};

/* node_size - what a node counts toward the expansion limit. */
static size_t node_size(const yaml_node_t *yn)
{
	return 1 + (yn->type == YAML_SCALAR_NODE ? yn->data.scalar.length : 0);
}

static struct conf_node *convert(struct conv *cv, yaml_node_t *yn)
{
	int line = (int)yn->start_mark.line + 1;
	if (++cv->depth > 64) {
		snprintf(cv->err->msg, sizeof(cv->err->msg), "%s:%d: nesting deeper than 64 levels",
			 cv->origin, line);
		return NULL;
	}
	cv->size += node_size(yn);
	if (cv->size > cv->limit) {
		snprintf(cv->err->msg, sizeof(cv->err->msg),
			 "%s:%d: alias expansion limit hit: the aliases expand the document beyond %zu "
			 "bytes (twice its own %zu, plus %d)",
			 cv->origin, line, cv->limit, cv->own, CONF_ALIAS_SLACK);
		return NULL;
	}
	struct conf_node *n = NULL;
	switch (yn->type) {
	case YAML_SCALAR_NODE:
		n = node_new(CONF_SCALAR, line, cv->origin);
		n->value = xcalloc(1, yn->data.scalar.length + 1);
		memcpy(n->value, yn->data.scalar.value, yn->data.scalar.length);
		if (strlen(n->value) != yn->data.scalar.length) {
			snprintf(cv->err->msg, sizeof(cv->err->msg), "%s:%d: NUL byte in a value",
				 cv->origin, line);
			conf_free(n);
			return NULL;
		}
		n->quoted = yn->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    yn->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n = node_new(CONF_SEQ, line, cv->origin);
		for (yaml_node_item_t *it = yn->data.sequence.items.start;
		     it < yn->data.sequence.items.top; it++) {
			struct conf_node *c = convert(cv, yaml_document_get_node(cv->doc, *it));
			if (!c) {
				conf_free(n);
				return NULL;
			}
			append(n, c);
		}
		break;
	case YAML_MAPPING_NODE: {
		n = node_new(CONF_MAP, line, cv->origin);
		struct keyset ks;
		bool bad = false;
		keyset_init(&ks, (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start));
		for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; p < yn->data.mapping.pairs.top;
		     p++) {
			yaml_node_t *k = yaml_document_get_node(cv->doc, p->key);
			int kl = (int)k->start_mark.line + 1;
			if (k->type != YAML_SCALAR_NODE) {
				snprintf(cv->err->msg, sizeof(cv->err->msg),
					 "%s:%d: a key must be a plain word, not a list or a map",
					 cv->origin, kl);
				bad = true;
				break;
			}
			const char *key = (const char *)k->data.scalar.value;
			bool ctl = strlen(key) != k->data.scalar.length;
			for (const unsigned char *q = (const unsigned char *)key; *q; q++)
				ctl |= *q < 0x20 || *q == 0x7f;
			if (ctl) { /* it would break the one-line messages that name it */
				snprintf(cv->err->msg, sizeof(cv->err->msg),
					 "%s:%d: a key must be a plain word, not text with control characters",
					 cv->origin, kl);
				bad = true;
				break;
			}
			if (!keyset_add(&ks, key)) {
				snprintf(cv->err->msg, sizeof(cv->err->msg), "%s:%d: %s: key given twice",
					 cv->origin, kl, key);
				bad = true;
				break;
			}
			cv->size += node_size(k);
			struct conf_node *c = convert(cv, yaml_document_get_node(cv->doc, p->value));
			if (!c) {
				bad = true;
				break;
			}
			c->key = xstrdup(key);
			c->line = kl; /* report the key's line, where people look */
			append(n, c);
		}
		free(ks.slot);
		if (bad) {
			conf_free(n);
			return NULL;
		}
		break;
	}
	default:
		n = node_new(CONF_SCALAR, line, cv->origin);
		n->value = xstrdup("");
	}
	cv->depth--;
	return n;
}

/* parse_failed - the parser's complaint as "origin:line: problem context". */
static void parse_failed(yaml_parser_t *parser, const char *origin, struct conf_err *err)
{
	if (parser->error == YAML_MEMORY_ERROR) {
		/* not bad input: the work failed (exit 1), as xalloc.c does */
		fprintf(stderr, "kvmsim: out of memory (reading %s)\n", origin);
		exit(1);
	}
	snprintf(err->msg, sizeof(err->msg), "%s:%zu: %s%s%s", origin, parser->problem_mark.line + 1,
		 parser->problem ? parser->problem : "bad YAML", parser->context ? " " : "",
		 parser->context ? parser->context : "");
}

static struct conf_node *load(yaml_parser_t *parser, const char *origin, struct conf_err *err)
{
	yaml_document_t doc;
	if (!yaml_parser_load(parser, &doc)) {
		parse_failed(parser, origin, err);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	struct conf_node *n;
	if (!root) {
		n = node_new(CONF_MAP, 1, origin); /* an empty file is an empty map */
	} else {
		struct conv cv = { &doc, origin, err, 0, 0, 0, 0 };
		for (yaml_node_t *yn = doc.nodes.start; yn < doc.nodes.top; yn++)
			cv.own += node_size(yn);
		cv.limit = 2 * cv.own + CONF_ALIAS_SLACK;
		n = convert(&cv, root);
	}
	yaml_document_delete(&doc);
	if (!n)
		return NULL;
	/* a scenario is one document: refuse a second one rather than ignore it */
	if (!yaml_parser_load(parser, &doc)) {
		parse_failed(parser, origin, err);
		conf_free(n);
		return NULL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s:%zu: a second YAML document (after \"---\"): expected one document only",
			 origin, doc.start_mark.line + 1);
		conf_free(n);
		n = NULL;
	}
	yaml_document_delete(&doc);
	return n;
}

struct conf_node *conf_load_file(const char *path, struct conf_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	struct conf_node *n = load(&parser, path, err);
	yaml_parser_delete(&parser);
	fclose(f);
	if (n && n->kind != CONF_MAP) {
		snprintf(err->msg, sizeof(err->msg), "%s:%d: expected a map of keys at the top level",
			 path, n->line);
		conf_free(n);
		return NULL;
	}
	return n;
}

struct conf_node *conf_load_string(const char *text, const char *origin, struct conf_err *err)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	struct conf_node *n = load(&parser, origin, err);
	yaml_parser_delete(&parser);
	return n;
}

/* set_origin - mark a subtree as coming from the command line. */
static void set_origin(struct conf_node *n, const char *origin)
{
	for (; n; n = n->next) {
		n->origin = origin;
		n->line = 0;
		set_origin(n->child, origin);
	}
}

/* is_index - a --set key part that indexes a list: digits only. */
static bool is_index(const char *part)
{
	if (!*part)
		return false;
	for (; *part; part++)
		if (*part < '0' || *part > '9')
			return false;
	return true;
}

int conf_set(struct conf_node *root, const char *assignment, const char *option, struct conf_err *err)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment) {
		snprintf(err->msg, sizeof(err->msg),
			 "--set %s: expected key=value, e.g. --set vm.halt_poll_ns=100000", assignment);
		return -1;
	}
	char *path = xcalloc((size_t)(eq - assignment) + 1, 1);
	memcpy(path, assignment, (size_t)(eq - assignment));
	/* every part between dots names something: ".", "a..b" or "a." would be lost by strtok */
	size_t plen = strlen(path);
	if (path[0] == '.' || path[plen - 1] == '.' || strstr(path, "..")) {
		snprintf(err->msg, sizeof(err->msg),
			 "--set %.400s: expected a key of names joined by single dots, e.g. vm.halt_poll_ns",
			 path);
		free(path);
		return -1;
	}
	char origin[600];
	if (option)
		snprintf(origin, sizeof(origin), "%s", option);
	else
		snprintf(origin, sizeof(origin), "--set %s", path);
	/* origins must outlive the tree: keep them in a process-lifetime list */
	static char **origins;
	static size_t norigins;
	origins = xrealloc(origins, (norigins + 1) * sizeof(*origins));
	origins[norigins] = xstrdup(origin);
	const char *org = origins[norigins++];

	const char *text = eq + 1;
	struct conf_node *value;
	if (!*text) {
		value = node_new(CONF_SCALAR, 0, org);
		value->value = xstrdup("");
	} else {
		struct conf_err perr;
		value = conf_load_string(text, org, &perr);
		if (!value) {
			snprintf(err->msg, sizeof(err->msg), "%s: value is not valid YAML: %.400s", org,
				 strchr(perr.msg, ' ') ? strchr(perr.msg, ' ') + 1 : perr.msg);
			free(path);
			return -1;
		}
	}
	set_origin(value, org);

	struct conf_node *cur = root;
	char *save = NULL;
	char *tok = strtok_r(path, ".", &save);
	int rc = 0;
	while (tok) {
		char *next = strtok_r(NULL, ".", &save);
		struct conf_node *c = NULL;
		if (cur->kind == CONF_SEQ) {
			char *end;
			long idx = strtol(tok, &end, 10);
			size_t n = conf_count(cur);
			if (*end || end == tok || idx < 0 || (size_t)idx > n) {
				snprintf(err->msg, sizeof(err->msg),
					 "%s: \"%s\" is not an index of that list (it has %zu item%s; %zu adds one)",
					 org, tok, n, n == 1 ? "" : "s", n);
				rc = -1;
				break;
			}
			if ((size_t)idx == n) { /* one past the end: a new item */
				if (!next) {
					append(cur, value);
					value = NULL;
					break;
				}
				c = node_new(is_index(next) ? CONF_SEQ : CONF_MAP, 0, org);
				append(cur, c);
				cur = c;
				tok = next;
				continue;
			}
			c = cur->child;
			while (idx-- > 0)
				c = c->next;
		} else if (cur->kind == CONF_MAP) {
			c = conf_get(cur, tok);
		} else {
			snprintf(err->msg, sizeof(err->msg), "%s: \"%s\" is inside a plain value", org, tok);
			rc = -1;
			break;
		}
		if (!next) { /* the last component: replace or add */
			if (cur->kind == CONF_SEQ) {
				free(c->value);
				conf_free(c->child);
				c->kind = value->kind;
				c->value = value->value;
				c->quoted = value->quoted;
				c->child = value->child;
				c->last = value->last;
				c->origin = org;
				c->line = 0;
				value->value = NULL;
				value->child = NULL;
				conf_free(value);
			} else {
				if (c) { /* unlink the old node */
					struct conf_node **pp = &cur->child, *prev = NULL;
					while (*pp != c) {
						prev = *pp;
						pp = &(*pp)->next;
					}
					*pp = c->next;
					if (cur->last == c)
						cur->last = prev;
					c->next = NULL;
					conf_free(c);
				}
				value->key = xstrdup(tok);
				append(cur, value);
			}
			value = NULL;
			break;
		}
		if (!c) { /* a list where the next part is an index ("host.tasks.0.name"), else a map */
			c = node_new(is_index(next) ? CONF_SEQ : CONF_MAP, 0, org);
			c->key = xstrdup(tok);
			append(cur, c);
		}
		cur = c;
		tok = next;
	}
	conf_free(value);
	free(path);
	return rc;
}
