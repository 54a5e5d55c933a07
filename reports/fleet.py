"""fleet.py - plots of a `kvmsim plan --json` document: per candidate policy
and placement, the fleet's energy (halt polling's share marked), its
utilisation and polling share, and the VMs refused or placed past the
latency target; beside them, the most VMs per host each policy allows.

    python3 reports/fleet.py PLAN.json OUT.png     (writes OUT.png and OUT.svg)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvmplot  # noqa: E402
from kvmplot import plt  # noqa: E402


def main():
    if len(sys.argv) != 3 or not sys.argv[2].endswith(".png"):
        sys.exit("usage: fleet.py PLAN.json OUT.png")
    with open(sys.argv[1], encoding="utf-8") as f:
        j = json.load(f)
    if j.get("schema") != "kvmsim-plan/1":
        sys.exit(f"fleet.py: {sys.argv[1]}: not a kvmsim-plan/1 document")
    fleet, search = j["fleet"], j["search"]
    ncol = 4 if fleet else 1
    fig, axes = plt.subplots(1, ncol, figsize=(3.4 * ncol, 3.6), squeeze=False)
    axes = axes[0]
    target = j["target_p99_ns"] / 1e3

    # most VMs per host per policy (and VM type, host cores)
    ax = axes[0]
    labels = [f"{s['policy']}\n{s['type']} ({s['cores']} cores)" for s in search]
    vals = [s["max_vms"] for s in search]
    ax.barh(range(len(vals)), vals, color=kvmplot.run_colour(0))
    for i, s in enumerate(search):
        ax.text(vals[i], i, (" >=" if s["at_search_bound"] else " ") + str(vals[i]), va="center", fontsize=7)
    ax.set_yticks(range(len(vals)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("VMs per host")
    ax.set_title(f"most VMs per host, p99 <= {target:g} us")

    if fleet:
        names = [f"{f['policy']}\n{f['placement']}" for f in fleet]
        x = range(len(fleet))
        ax = axes[1]
        poll = [f["poll_energy_kwh"] for f in fleet]
        rest = [f["energy_kwh"] - p for f, p in zip(fleet, poll)]
        ax.bar(x, rest, color="#bbbbbb", label="all but polling")
        ax.bar(x, poll, bottom=rest, color=kvmplot.CPU_COLOURS["poll_fail"], label="halt polling")
        ax.set_xticks(list(x), names, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("energy (kWh)")
        ax.set_title(f"fleet energy over {j['days']:g} day(s)")
        ax.legend()

        ax = axes[2]
        w = 0.4
        ax.bar([i - w / 2 for i in x], [100 * f["util"] for f in fleet], w, label="CPU busy", color=kvmplot.run_colour(0))
        ax.bar([i + w / 2 for i in x], [100 * f["poll_share"] for f in fleet], w, label="polling, % of busy",
               color=kvmplot.CPU_COLOURS["poll_ok"])
        ax.set_xticks(list(x), names, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("%")
        ax.set_title("utilisation and polling share")
        ax.legend()

        ax = axes[3]
        ax.bar([i - w / 2 for i in x], [f["refused"] for f in fleet], w, label="VMs refused", color=kvmplot.run_colour(1))
        ax.bar([i + w / 2 for i in x], [f["violations"] for f in fleet], w, label="placed past the target",
               color=kvmplot.run_colour(3))
        ax.set_xticks(list(x), names, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("VMs")
        ax.set_title("refusals and latency-target violations")
        ax.legend()

    fig.tight_layout()
    out = sys.argv[2]
    kvmplot.save(fig, os.path.dirname(out) or ".", os.path.basename(out)[:-4])


if __name__ == "__main__":
    main()
