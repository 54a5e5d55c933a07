/*
 * conf.h - configuration trees: YAML files and command-line overrides.
 *
 * A file is read (libyaml) into a small tree of maps, sequences and scalars
 * that remembers where each node came from (file and line), so a binder can
 * say exactly which line holds a bad value. `--set a.b.0.c=value` edits the
 * tree before binding, creating maps on the way; the value is read as YAML,
 * so `--set vm.workload={type: periodic, period: 1ms}` works too.
 */
#ifndef KVMSIM_SIM_CONF_H
#define KVMSIM_SIM_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum conf_kind { CONF_MAP, CONF_SEQ, CONF_SCALAR };

struct conf_node {
	enum conf_kind kind;
	char *key;    /* the key of a map entry, NULL for sequence items and roots */
	char *value;  /* scalar text */
	bool quoted;  /* a quoted scalar is always a string */
	int line;     /* 1-based; 0 for command-line values */
	const char *origin; /* file name, or "--set" */
	bool used;    /* consumed by a binder (anything left is an unknown key) */
	struct conf_node *child, *last, *next;
};

/* An error for a person: "origin:line: key: message". */
struct conf_err {
	char msg[1024];
};

struct conf_node *conf_load_file(const char *path, struct conf_err *err);
struct conf_node *conf_load_string(const char *text, const char *origin, struct conf_err *err);
void conf_free(struct conf_node *n);

/*
 * conf_set - apply "path=value" to root (a map). Errors about the value name
 * `option` ("--duration"), or "--set path" when option is NULL.
 */
int conf_set(struct conf_node *root, const char *assignment, const char *option, struct conf_err *err);

/* conf_get - the child of a map by key, or NULL. */
struct conf_node *conf_get(const struct conf_node *map, const char *key);
size_t conf_count(const struct conf_node *n);

/* conf_where - "origin:line" (or "--set") of a node, for messages. */
const char *conf_where(const struct conf_node *n, char *buf, size_t len);

/* conf_errorf - format err as "where: key: message". */
void conf_errorf(struct conf_err *err, const struct conf_node *n, const char *key, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

#endif
