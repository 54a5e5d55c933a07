"""sweep - the plots of `kvmsim report sweep`: a heat map of one figure over
two swept keys, and the Pareto front of latency against host CPU. Each point
is the mean over its replicates (report-data.json, made by
sim/study/cmd_report.c, which also marks the front)."""

import matplotlib.pyplot as plt
import numpy as np

from kvmplot import fmt_ns, save, time_unit, unit_label


def _is_ns(metric):
    """_is_ns - whether a metric is a latency in ns."""
    return metric["name"].endswith("_ns")


def _fmt_value(metric, v):
    """_fmt_value - a metric's value as cell text."""
    if v is None:
        return "failed"
    if _is_ns(metric):
        return fmt_ns(v).replace(" ", "")
    if metric["name"] in ("host_cpu", "poll_cpu", "guest_cpu", "poll_success"):
        return f"{v:.3f}"
    return f"{v:,.0f}"


def _scale(metric, values):
    """_scale - (divisor, axis label) for showing a metric's values."""
    if not _is_ns(metric):
        return 1.0, metric["label"]
    top = max([v for v in values if v is not None] or [1])
    unit, div = time_unit(top)
    return div, unit_label(metric["label"], unit)


def _as_number(s):
    """_as_number - a swept value as a number for scatter axes (unit suffixes dropped)."""
    t = s.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    try:
        return float(t)
    except ValueError:
        return float("nan")


def heatmap(data, outdir):
    """heatmap - z over (x, y): a grid of cells, or a coloured scatter when a key was sampled."""
    z, x, y, pts = data["z"], data["x"], data["y"], data["points"]
    div, zlabel = _scale(z, [p["z"] for p in pts])
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#bbbbbb")
    if data["x_sampled"] or data["y_sampled"]:
        xs = np.array([_as_number(p["values"][x]) for p in pts])
        ys = np.array([_as_number(p["values"][y]) for p in pts]) if y else np.zeros(len(pts))
        zs = np.array([np.nan if p["z"] is None else p["z"] / div for p in pts])
        sc = ax.scatter(xs, ys, c=zs, cmap=cmap, s=60, edgecolor="black", linewidth=0.4, plotnonfinite=True)
        fig.colorbar(sc, ax=ax, label=zlabel)
        kinds = {q["key"]: q["kind"] for q in data["params"]}
        if kinds.get(x) == "log-uniform":
            ax.set_xscale("log")
        if y and kinds.get(y) == "log-uniform":
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(y if y else "")
        if not y:
            ax.set_yticks([])
    else:
        xv = data["x_values"] if x else [""]
        yv = data["y_values"] if y else [""]
        grid = np.full((len(yv), len(xv)), np.nan)
        sums = np.zeros_like(grid)
        counts = np.zeros_like(grid)
        for p in pts:
            if p["z"] is None:
                continue
            i = yv.index(p["values"][y]) if y else 0
            j = xv.index(p["values"][x]) if x else 0
            sums[i, j] += p["z"]
            counts[i, j] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        im = ax.imshow(np.ma.masked_invalid(grid / div), cmap=cmap, aspect="auto", origin="lower")
        fig.colorbar(im, ax=ax, label=zlabel)
        finite = grid[np.isfinite(grid)]
        mid = (finite.min() + finite.max()) / 2 / div if finite.size else 0
        if len(xv) * len(yv) <= 200:
            for i in range(len(yv)):
                for j in range(len(xv)):
                    v = grid[i, j]
                    text = "failed" if not np.isfinite(v) else _fmt_value(z, v)
                    colour = "black" if not np.isfinite(v) or v / div > mid else "white"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
        ax.set_xticks(range(len(xv)))
        ax.set_xticklabels(xv, rotation=30 if len(xv) > 6 else 0, ha="right" if len(xv) > 6 else "center")
        ax.set_yticks(range(len(yv)))
        ax.set_yticklabels(yv)
        ax.set_xlabel(x if x else "(no swept key)")
        ax.set_ylabel(y if y else "")
        ax.grid(False)
    notes = []
    if data["where"]:
        notes.append(", ".join(f"{k}={v}" for k, v in data["where"].items()))
    if data["averaged_over"]:
        scatter = data["x_sampled"] or data["y_sampled"]
        keys = ", ".join(data["averaged_over"])
        many = len(data["averaged_over"]) > 1
        notes.append(keys + ((" also vary" if many else " also varies") if scatter else ": mean over its values"
                             if not many else ": mean over their values"))
    ax.set_title(f"{z['label'].replace(' (ns)', '')}" + (f"\n({'; '.join(notes)})" if notes else ""))
    fig.suptitle("Sweep heat map (means over replicates)", fontweight="bold")
    fig.tight_layout()
    return save(fig, outdir, "heatmap")


def _point_label(data, p):
    """_point_label - a point's swept values, short."""
    return ", ".join(f"{k.split('.')[-1]}={p['values'][k]}" for k in (q["key"] for q in data["params"]))


def pareto(data, outdir):
    """pareto - every point's latency against its host CPU, the front (nothing better in both) joined."""
    lat, cost, pts = data["latency"], data["cost"], data["points"]
    ok = [p for p in pts if p["latency"] is not None and p["cost"] is not None]
    ldiv, llabel = _scale(lat, [p["latency"] for p in ok])
    cdiv, clabel = _scale(cost, [p["cost"] for p in ok])
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    if not ok:
        ax.text(0.5, 0.5, "no successful runs", ha="center", va="center", transform=ax.transAxes)
    else:
        rest = [p for p in ok if not p["pareto"]]
        front = sorted((p for p in ok if p["pareto"]), key=lambda p: (p["cost"], p["latency"]))
        for group, colour, size, name in ((rest, "#7f7f7f", 5, "dominated points"),
                                          (front, "#d62728", 7, "Pareto front")):
            xs = np.array([p["cost"] / cdiv for p in group])
            ys = np.array([p["latency"] / ldiv for p in group])
            xe = np.array([(p["cost_ci95"] or 0) / cdiv for p in group])
            ye = np.array([(p["latency_ci95"] or 0) / ldiv for p in group])
            # both figures are non-negative: an interval is not drawn below zero
            ax.errorbar(xs, ys, xerr=[np.minimum(xe, xs), xe] if len(group) else None,
                        yerr=[np.minimum(ye, ys), ye] if len(group) else None, fmt="o", color=colour,
                        markersize=size, elinewidth=0.8, alpha=0.7 if group is rest else 1.0,
                        label=f"{name} ({len(group)})")
        ax.step([p["cost"] / cdiv for p in front], [p["latency"] / ldiv for p in front], where="post",
                color="#d62728", linewidth=1.2)
        # one label per position: points of the front that coincide share it
        spots = {}
        for p in front:
            spots.setdefault((p["cost"], p["latency"]), []).append(p)
        if len(spots) <= 12:
            for (c, lt), same in spots.items():
                text = _point_label(data, same[0]) + (f" (+{len(same) - 1} alike)" if len(same) > 1 else "")
                ax.annotate(text, (c / cdiv, lt / ldiv), fontsize=7, xytext=(6, 4), textcoords="offset points")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right")
    ax.set_xlabel(clabel)
    ax.set_ylabel(llabel)
    ax.set_title("lower left is better; error bars: 95% intervals over replicates")
    fig.suptitle("Latency against host CPU", fontweight="bold")
    fig.tight_layout()
    return save(fig, outdir, "pareto")


def front_rows(data):
    """front_rows - the page's table: the Pareto front's points."""
    keys = [q["key"] for q in data["params"]]
    cols = [(data["latency"], "latency"), (data["cost"], "cost")]
    if data["z"]["name"] not in (data["latency"]["name"], data["cost"]["name"]):
        cols.append((data["z"], "z"))
    head = ["point"] + keys + ["runs ok"] + [m["name"] for m, _ in cols]
    rows = []
    for p in sorted((p for p in data["points"] if p["pareto"]), key=lambda p: (p["cost"], p["latency"])):
        rows.append([str(p["point"])] + [p["values"][k] for k in keys] + [f"{p['ok']}/{p['runs']}"] +
                    [_fmt_value(m, p[f]) for m, f in cols])
    return head, rows


def draw(data, outdir):
    """draw - the sweep figures; [(name, caption, svg)] and the Pareto-front table."""
    figs = [
        ("heatmap", f"{data['z']['name']} over {data['x'] or '-'} and {data['y'] or '-'}.", heatmap(data, outdir)),
        ("pareto", f"{data['latency']['name']} against {data['cost']['name']}; the front joined in red.",
         pareto(data, outdir)),
    ]
    return figs, front_rows(data)
