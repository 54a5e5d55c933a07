/*
 * policies.h - finding a halt-polling policy by name: the built-ins and those
 * loaded from shared objects (see policy.h for the interface).
 */
#ifndef KVMSIM_HALTPOLL_POLICIES_H
#define KVMSIM_HALTPOLL_POLICIES_H

#include <stddef.h>

#include "models/haltpoll/policy.h"

extern const struct hp_policy hp_policy_kvm;
extern const struct hp_policy hp_policy_none;
extern const struct hp_policy hp_policy_fixed;

/* hp_policy_find - a built-in or loaded policy by name, or NULL. */
const struct hp_policy *hp_policy_find(const char *name);

/*
 * hp_policy_load - dlopen() a policy shared object and register its policy.
 * Returns it, or NULL with a message (file, missing symbol, ABI, name clash).
 */
const struct hp_policy *hp_policy_load(const char *path, char *err, size_t errlen);

/* hp_policy_count / hp_policy_at - iterate over the known policies. */
size_t hp_policy_count(void);
const struct hp_policy *hp_policy_at(size_t i);

#endif
