/* policies.c - the policy registry: built-ins first, then loaded shared objects. */
#include "models/haltpoll/policies.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define MAX_POLICIES 32

static const struct hp_policy *registry[MAX_POLICIES] = { &hp_policy_kvm, &hp_policy_none,
							   &hp_policy_fixed };
static size_t nregistry = 3;

const struct hp_policy *hp_policy_find(const char *name)
{
	for (size_t i = 0; i < nregistry; i++)
		if (!strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}

size_t hp_policy_count(void)
{
	return nregistry;
}

const struct hp_policy *hp_policy_at(size_t i)
{
	return i < nregistry ? registry[i] : NULL;
}

const struct hp_policy *hp_policy_load(const char *path, char *err, size_t errlen)
{
	/* a bare file name would make dlopen() search the library path; mean the file */
	char buf[4096];
	if (!strchr(path, '/') && snprintf(buf, sizeof(buf), "./%s", path) < (int)sizeof(buf))
		path = buf;
	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!so) {
		snprintf(err, errlen, "%s", dlerror());
		return NULL;
	}
	hp_policy_entry_fn *entry = (hp_policy_entry_fn *)dlsym(so, HP_POLICY_ENTRY);
	if (!entry) {
		snprintf(err, errlen, "%s: does not export %s()", path, HP_POLICY_ENTRY);
		dlclose(so);
		return NULL;
	}
	const struct hp_policy *p = entry();
	const char *why = !p				  ? "returned no policy"
			  : p->abi != HP_POLICY_ABI	  ? "was built for another policy ABI"
			  : !p->name || !*p->name	  ? "has no name"
			  : !p->begin || !p->end	  ? "lacks begin() or end()"
			  : hp_policy_find(p->name)	  ? "reuses the name of a known policy"
			  : nregistry == MAX_POLICIES	  ? "is one policy too many"
							  : NULL;
	if (why) {
		snprintf(err, errlen, "%s: %s() %s%s%s%s", path, HP_POLICY_ENTRY, why,
			 p && p->name ? " (\"" : "", p && p->name ? p->name : "",
			 p && p->name ? "\")" : "");
		dlclose(so);
		return NULL;
	}
	registry[nregistry++] = p; /* the object stays loaded for the life of the process */
	return p;
}
