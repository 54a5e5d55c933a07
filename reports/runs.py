"""runs - the plots of `kvmsim report runs`: latency histograms and CDFs of
several runs overlaid, VM exits and halt outcomes per second, and where the
host's and the vCPUs' CPU time went. Input: the "runs" list of
report-data.json (see sim/study/cmd_report.c)."""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from kvmplot import (CPU_COLOURS, cpu_name, fmt_ns, log_ns_axis, run_colour, save)

KINDS = (("wake", "wake-up latency (interrupts that found the vCPU halted)"),
         ("irq", "interrupt latency (all interrupts)"))
BINS_PER_DECADE = 24


def _buckets(lat):
    """_buckets - (lower, upper, count) arrays of a latency histogram's non-empty buckets."""
    h = np.array(lat["histogram"], dtype=float).reshape(-1, 3)
    return h[:, 0], h[:, 0] + h[:, 1], h[:, 2]


def _edges(runs, kind):
    """_edges - log-spaced bin edges covering every run's samples of kind, or None if none has any."""
    lo, hi = math.inf, 0.0
    for r in runs:
        lat = r["latency"][kind]
        if lat["count"]:
            lo = min(lo, max(lat["min"], 1))
            hi = max(hi, lat["max"] + 1)
    if hi <= 0:
        return None
    a, b = math.floor(math.log10(lo) * 4) / 4, math.ceil(math.log10(hi) * 4) / 4
    if b - a < 0.5:
        a, b = a - 0.25, b + 0.25
    return np.logspace(a, b, int(round((b - a) * BINS_PER_DECADE)) + 1)


def _legend_below(ax, nruns):
    """_legend_below - the panel's legend under its x label, where it cannot hide data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False)


def _height(nruns):
    """_height - figure height for two panels with their legends below."""
    return 4.0 + 0.2 * nruns


def latency_hist(runs, outdir):
    """latency_hist - the share of samples per log-spaced latency bin, runs overlaid."""
    fig, axes = plt.subplots(1, 2, figsize=(11, _height(len(runs))))
    for ax, (kind, title) in zip(axes, KINDS):
        edges = _edges(runs, kind)
        ax.set_title(title)
        ax.set_xlabel("latency (log scale)")
        ax.set_ylabel("share of samples (%)")
        if edges is None:
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
            continue
        for i, r in enumerate(runs):
            lat = r["latency"][kind]
            if not lat["count"]:
                continue
            lower, _, count = _buckets(lat)
            # every kvmsim bucket is narrower than a plot bin: it goes where its lower bound is
            share, _ = np.histogram(np.maximum(lower, edges[0]), bins=edges, weights=count)
            share = 100.0 * share / lat["count"]
            ax.stairs(share, edges, color=run_colour(i), fill=True, alpha=0.12)
            ax.stairs(share, edges, color=run_colour(i), linewidth=1.5,
                      label=f"{r['label']} (n={lat['count']:,}, p99 {fmt_ns(lat['p99'])})")
        ax.set_xscale("log")
        log_ns_axis(ax.xaxis)
        ax.set_ylim(bottom=0)
        _legend_below(ax, len(runs))
    fig.suptitle("Latency distribution", fontweight="bold")
    fig.tight_layout()
    return save(fig, outdir, "latency-hist")


PCTL_TICKS = [0.1, 0.5, 0.9, 0.99, 0.999, 0.9999]


def latency_cdf(runs, outdir):
    """latency_cdf - empirical CDFs on a logit axis, where p50, p90, p99, p99.9 are evenly spaced."""
    fig, axes = plt.subplots(1, 2, figsize=(11, _height(len(runs))))
    floor, ceil = 0.05, 0.99995
    for ax, (kind, title) in zip(axes, KINDS):
        ax.set_title(title)
        ax.set_xlabel("latency (log scale)")
        ax.set_ylabel("fraction of samples at or below")
        any_data = False
        for i, r in enumerate(runs):
            lat = r["latency"][kind]
            if not lat["count"]:
                continue
            any_data = True
            _, upper, count = _buckets(lat)
            f = np.cumsum(count) / lat["count"]
            # start at the minimum with the share of the first bucket; clip to the visible range
            x = np.concatenate(([max(lat["min"], 1)], np.minimum(upper, lat["max"])))
            y = np.concatenate(([0.0], f))
            ax.step(x, np.clip(y, floor, ceil), where="post", color=run_colour(i), linewidth=1.5,
                    label=f"{r['label']} (p50 {fmt_ns(lat['p50'])}, p99.9 {fmt_ns(lat['p99.9'])})")
        if not any_data:
            ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
            continue
        ax.set_xscale("log")
        log_ns_axis(ax.xaxis)
        ax.set_yscale("logit")
        ax.set_ylim(floor, ceil)
        ax.set_yticks(PCTL_TICKS)
        ax.set_yticklabels([f"p{100 * t:g}" for t in PCTL_TICKS])
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
        _legend_below(ax, len(runs))
    fig.suptitle("Latency CDF (y: percentile, logit scale)", fontweight="bold")
    fig.tight_layout()
    return save(fig, outdir, "latency-cdf")


def _grouped_bars(ax, runs, field, ylabel, title, by_size=False):
    """_grouped_bars - per-second rates of field's categories, one bar per run in each group."""
    cats = []
    for r in runs:
        for k in r[field]:
            if k not in cats:
                cats.append(k)
    if by_size:
        cats.sort(key=lambda c: -sum(r[field].get(c, 0.0) / r["span_s"] for r in runs))
    ax.set_title(title)
    if not cats:
        ax.text(0.5, 0.5, "not in these runs", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        return
    width = min(0.8 / len(runs), 0.2)
    x = np.arange(len(cats))
    top = 0.0
    for i, r in enumerate(runs):
        rates = [r[field].get(c, 0.0) / r["span_s"] for c in cats]
        top = max(top, max(rates))
        bars = ax.bar(x + width * (i + 0.5 - len(runs) / 2), rates, width, color=run_colour(i), label=r["label"])
        if len(runs) * len(cats) <= 24:
            ax.bar_label(bars, labels=[f"{v:,.0f}" for v in rates], fontsize=7, padding=1)
    tilt = len(cats) > 3 or max(len(c) for c in cats) > 12
    ax.set_xticks(x)
    ax.set_xticklabels(cats, rotation=25 if tilt else 0, ha="right" if tilt else "center", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top * 1.12 if top > 0 else 1)
    ax.set_xlim(-0.6, len(cats) - 0.4)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.grid(axis="x", visible=False)


def exits(runs, outdir):
    """exits - VM exits by reason (most frequent first) and halt outcomes, per simulated second."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [3, 2]})
    only_hlt = all(r.get("exits_source") == "halt_exits" for r in runs)
    _grouped_bars(axes[0], runs, "exits", "exits per simulated second",
                  "VM exits: HLT (these runs record no other reasons)" if only_hlt else "VM exits by reason",
                  by_size=True)
    _grouped_bars(axes[1], runs, "halt_outcomes", "halts per simulated second",
                  "Halt outcomes (KVM statistics)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.94), ncol=min(len(runs), 6),
               frameon=False)
    fig.suptitle("VM exits and halts", fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return save(fig, outdir, "exits")


def _stacked(ax, runs, field, title, xlabel):
    """_stacked - horizontal bars of each run's CPU time split into field's categories (% of the total)."""
    cats = []
    for r in runs:
        for k in r[field]:
            if k not in cats:
                cats.append(k)
    labels = [r["label"] for r in runs]
    y = np.arange(len(runs))
    left = np.zeros(len(runs))
    for c in cats:
        share = np.array([100.0 * r[field].get(c, 0.0) / max(sum(r[field].values()), 1) for r in runs])
        ax.barh(y, share, left=left, color=CPU_COLOURS.get(c, "#999999"), label=cpu_name(c),
                edgecolor="white", linewidth=0.5)
        for yi, (l0, s) in enumerate(zip(left, share)):
            if s >= 6:
                ax.text(l0 + s / 2, yi, f"{s:.0f}", ha="center", va="center", fontsize=7)
        left += share
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)


def cpu(runs, outdir):
    """cpu - where the pCPUs' and the vCPU threads' time went, as shares of each run's total."""
    height = 3.2 + 0.35 * len(runs)
    fig, axes = plt.subplots(1, 2, figsize=(12, height))
    _stacked(axes[0], runs, "host_cpu_ps", "Host pCPU time (all pCPUs)", "share of pCPU time (%)")
    _stacked(axes[1], runs, "vcpu_cpu_ps", "vCPU thread time (all vCPUs)", "share of vCPU time (%)")
    fig.suptitle("CPU time breakdown", fontweight="bold")
    fig.tight_layout()
    return save(fig, outdir, "cpu")


def summary_rows(runs):
    """summary_rows - the page's table: one row per run."""
    head = ["run", "scenario", "wake-ups", "p50", "p90", "p99", "p99.9", "max", "irq p99", "host CPU busy"]
    rows = []
    for r in runs:
        w, q = r["latency"]["wake"], r["latency"]["irq"]
        total = sum(r["host_cpu_ps"].values())
        # pCPUs busy on average, as in sweep results (busy pCPU time / simulated time)
        busy = (total - r["host_cpu_ps"].get("idle", 0.0)) / (r["span_s"] * 1e12) if total else 0.0
        rows.append([r["label"], r["scenario"], f"{w['count']:,}"] +
                    [fmt_ns(w[k]) if w["count"] else "-" for k in ("p50", "p90", "p99", "p99.9", "max")] +
                    [fmt_ns(q["p99"]) if q["count"] else "-", f"{busy:.3f} pCPUs"])
    return head, rows


def draw(data, outdir):
    """draw - every runs figure; [(name, caption, svg)] and the summary table."""
    runs = data["runs"]
    figs = [
        ("latency-hist", "Latency histograms: share of samples per log-spaced bin.", latency_hist(runs, outdir)),
        ("latency-cdf", "Latency CDFs on a logit axis: p50, p90, p99, p99.9 evenly spaced.",
         latency_cdf(runs, outdir)),
        ("exits", "VM exits by reason and halt outcomes per simulated second.", exits(runs, outdir)),
        ("cpu", "Where the CPU time went: all pCPUs of the host, and all vCPU threads.", cpu(runs, outdir)),
    ]
    return figs, summary_rows(runs)
