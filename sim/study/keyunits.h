/*
 * keyunits.h - swept values as numbers in their key's base unit, for the
 * results tables: times in ps, rates in Hz, counts and probabilities as
 * they are. A value stays text in the plan (as `--set` takes it); its number
 * comes from the schema's own parsers (sim/schema.h), given the key's type
 * and bare-number unit, which sim/study learns from `kvmsim keys --markdown`
 * of the kvmsim binary itself, so it links no model.
 */
#ifndef KVMSIM_STUDY_KEYUNITS_H
#define KVMSIM_STUDY_KEYUNITS_H

#include <stddef.h>

enum ku_kind { KU_TEXT, KU_TIME, KU_RATE, KU_PLAIN };

struct key_unit {
	enum ku_kind kind;
	char bare[8]; /* KU_TIME: the unit of a bare number ("ns", "us", "s") */
};

/*
 * ku_lookup - the units of keys (a swept key such as host.tasks.0.load.period or
 * vms.1.halt_poll_ns, as `kvmsim keys` documents it) from the key reference of binary
 * kvmsim; a key it does not know, or when it cannot be run, is KU_TEXT.
 */
void ku_lookup(const char *kvmsim, const char *const *keys, size_t nkeys, struct key_unit *out);

/* ku_unit - the base unit of k's numbers: "ps", "Hz", "" (a plain number) or NULL (text). */
const char *ku_unit(const struct key_unit *k);

/* ku_value - text as a number in k's base unit; NaN if it is not one (a distribution, a name). */
double ku_value(const struct key_unit *k, const char *text);

#endif
