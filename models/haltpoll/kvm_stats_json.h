/*
 * kvm_stats_json.h - a vCPU's halt-polling statistics as a JSON object, with
 * the names of KVM's binary stats (KVM_GET_STATS_FD) and debugfs files, and
 * only those the modelled release keeps (docs/kernel-behaviour.md §1.8). Histograms are arrays of
 * HALT_POLL_HIST_COUNT counts, bucket k holding [2^(k-1), 2^k) ns.
 */
#ifndef KVMSIM_HALTPOLL_KVM_STATS_JSON_H
#define KVMSIM_HALTPOLL_KVM_STATS_JSON_H

#include <jansson.h>

#include "models/haltpoll/kvm_halt.h"

json_t *kvm_vcpu_stat_json(const struct kvm_vcpu_stat *st, const struct kvm_era *e);

#endif
