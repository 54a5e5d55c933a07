"""sweep - the plots of `kvmsim report sweep`: a heat map of one figure over
two swept keys, and the Pareto front of latency against host CPU. Each point
is the mean over its replicates (report-data.json, made by
sim/study/cmd_report.c, which also marks the front)."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

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


def _units(data):
    """_units - each swept key's base unit: "ps", "Hz", "" (a plain number) or None (text)."""
    return {q["key"]: q.get("unit") for q in data["params"]}


def _number(p, key):
    """_number - a point's value of key in the key's base unit (NaN if it is not a number)."""
    v = p.get("numbers", {}).get(key)
    return float("nan") if v is None else float(v)


def _fmt_key_value(unit, number, text):
    """_fmt_key_value - a swept value with its unit: 200000 (ns) as 200µs, 20000 (Hz) as 20kHz."""
    if number is None or number != number:
        return text
    if unit == "ps":
        ns = number / 1000
        for div, name in ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")):
            if abs(ns) >= div:
                return f"{ns / div:g}{name}"
        return "0" if ns == 0 else f"{number:g}ps"
    if unit == "Hz":
        for div, name in ((1e6, "MHz"), (1e3, "kHz")):
            if abs(number) >= div:
                return f"{number / div:g}{name}"
        return f"{number:g}Hz"
    return f"{number:g}"


def _key_text(data, p, key):
    """_key_text - point p's value of key, with its unit."""
    return _fmt_key_value(_units(data).get(key), p.get("numbers", {}).get(key), p["values"][key])


def _axis_values(data, key):
    """_axis_values - key's distinct written values in numeric order (first seen, for text), and their labels."""
    seen = {}
    for p in data["points"]:
        seen.setdefault(p["values"][key], (_number(p, key), _key_text(data, p, key)))
    vals = list(seen)
    if all(seen[v][0] == seen[v][0] for v in vals):  # all numbers
        vals.sort(key=lambda v: seen[v][0])
    return vals, [seen[v][1] for v in vals]


def _z_norm(data, values):
    """_z_norm - a log colour scale when asked, or on auto when the values span more than a decade."""
    pos = [v for v in values if v is not None and v == v and v > 0]
    scale = data.get("z_scale", "auto")
    if pos and (scale == "log" or (scale == "auto" and max(pos) > 10 * min(pos))):
        return LogNorm(vmin=min(pos), vmax=max(pos)), True
    return None, False


def heatmap(data, outdir):
    """heatmap - z over (x, y): a grid of cells, or a coloured scatter when a key was sampled."""
    z, x, y, pts = data["z"], data["x"], data["y"], data["points"]
    div, zlabel = _scale(z, [p["z"] for p in pts])
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#bbbbbb")
    if data["x_sampled"] or data["y_sampled"]:
        units = _units(data)
        xs = np.array([_number(p, x) for p in pts])
        ys = np.array([_number(p, y) for p in pts]) if y else np.zeros(len(pts))
        zs = np.array([np.nan if p["z"] is None else p["z"] / div for p in pts])
        norm, logz = _z_norm(data, list(zs))
        if logz:  # a log scale has no 0: zeros take the lowest colour (grey stays for failed points)
            zs = np.where(zs <= 0, norm.vmin, zs)
        sc = ax.scatter(xs, ys, c=zs, cmap=cmap, norm=norm, s=60, edgecolor="black", linewidth=0.4,
                        plotnonfinite=True)
        fig.colorbar(sc, ax=ax, label=zlabel + (" (log scale; 0 at the bottom)" if logz else ""))
        from matplotlib.ticker import FuncFormatter
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _fmt_key_value(units.get(x), v, f"{v:g}")))
        if y:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _fmt_key_value(units.get(y), v, f"{v:g}")))
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
        xv, xlabels = _axis_values(data, x) if x else ([""], [""])
        yv, ylabels = _axis_values(data, y) if y else ([""], [""])
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
        norm, logz = _z_norm(data, list((grid / div).ravel()))
        shown = grid / div
        if logz:  # a log scale has no 0: zeros take the lowest colour (grey stays for failed points)
            shown = np.where(shown <= 0, norm.vmin, shown)
        im = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto", origin="lower")
        fig.colorbar(im, ax=ax, label=zlabel + (" (log scale; 0 at the bottom)" if logz else ""))
        finite = grid[np.isfinite(grid)]
        if logz and finite.size and finite.min() > 0:
            mid = np.sqrt(finite.min() * finite.max()) / div
        else:
            mid = (finite.min() + finite.max()) / 2 / div if finite.size else 0
        if len(xv) * len(yv) <= 200:
            for i in range(len(yv)):
                for j in range(len(xv)):
                    v = grid[i, j]
                    text = "failed" if not np.isfinite(v) else _fmt_value(z, v)
                    colour = "black" if not np.isfinite(v) or v / div > mid else "white"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
        ax.set_xticks(range(len(xv)))
        ax.set_xticklabels(xlabels, rotation=30 if len(xv) > 6 else 0, ha="right" if len(xv) > 6 else "center")
        ax.set_yticks(range(len(yv)))
        ax.set_yticklabels(ylabels)
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


def _varying(data, pts):
    """_varying - the swept keys whose value differs among pts (the others say nothing)."""
    keys = [q["key"] for q in data["params"]]
    return [k for k in keys if len({p["values"][k] for p in pts}) > 1] or keys


def _point_label(data, p, keys):
    """_point_label - a point's values of keys, each with its full key name and unit."""
    return ", ".join(f"{k}={_key_text(data, p, k)}" for k in keys)


def pareto(data, outdir):
    """pareto - every point's latency against its host CPU with 95% intervals; the front numbered
    on the plot and listed beside it (full key names, values with units)."""
    lat, cost, pts = data["latency"], data["cost"], data["points"]
    ok = [p for p in pts if p["latency"] is not None and p["cost"] is not None]
    ldiv, llabel = _scale(lat, [p["latency"] for p in ok])
    cdiv, clabel = _scale(cost, [p["cost"] for p in ok])
    fig = plt.figure(figsize=(11, 5.8))
    ax = fig.add_axes((0.08, 0.2, 0.5, 0.68))
    side = fig.add_axes((0.6, 0.2, 0.39, 0.68))  # the key to the numbers, on a grey card
    side.set_xticks([])
    side.set_yticks([])
    side.set_facecolor("#efefef")
    for spine in side.spines.values():
        spine.set_visible(False)
    if not ok:
        ax.text(0.5, 0.5, "no successful runs", ha="center", va="center", transform=ax.transAxes)
    else:
        rest = [p for p in ok if not p["pareto"]]
        front = sorted((p for p in ok if p["pareto"]), key=lambda p: (p["cost"], p["latency"]))
        handles = []
        for group, colour, size, name in ((rest, "#7f7f7f", 4, "dominated beyond the intervals"),
                                          (front, "#d62728", 6, "front (not beaten beyond the intervals)")):
            xs = np.array([p["cost"] / cdiv for p in group])
            ys = np.array([p["latency"] / ldiv for p in group])
            xe = np.array([(p["cost_ci95"] or 0) / cdiv for p in group])
            ye = np.array([(p["latency_ci95"] or 0) / ldiv for p in group])
            # both figures are non-negative: an interval is not drawn below zero
            h = ax.errorbar(xs, ys, xerr=[np.minimum(xe, xs), xe] if len(group) else None,
                            yerr=[np.minimum(ye, ys), ye] if len(group) else None, fmt="o", color=colour,
                            markersize=size, elinewidth=0.8, capsize=2, alpha=0.6 if group is rest else 1.0,
                            label=f"{name} ({len(group)})")
            handles.append(h)
        # number the front's points; points at the same place share one label ("3,4")
        spots = {}
        for p in front:
            spots.setdefault((round(p["cost"] / cdiv, 3), round(p["latency"] / ldiv, 2)), []).append(p)
        for n, ((c, lt), same) in enumerate(sorted(spots.items())):
            ax.annotate(",".join(str(p["point"]) for p in same), (c, lt), fontsize=8, fontweight="bold",
                        color="#a00000", xytext=(5, 5 if n % 2 == 0 else -11), textcoords="offset points",
                        annotation_clip=True)
        ax.set_xlim(left=0, right=max(p["cost"] + (p["cost_ci95"] or 0) for p in ok) / cdiv * 1.08)
        ax.set_ylim(bottom=0, top=max(p["latency"] + (p["latency_ci95"] or 0) for p in ok) / ldiv * 1.08)
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.08, 0.01), ncol=2, frameon=False)
        keys = _varying(data, ok)
        lines = [f"{p['point']:>4}  {_point_label(data, p, keys)}" for p in front[:24]]
        if len(front) > 24:
            lines.append(f"      ... and {len(front) - 24} more (the page's table)")
        side.text(0.02, 0.98, "The front's points (sweep point: values)\n\n" + "\n".join(lines), va="top",
                  ha="left", fontsize=7.5, family="monospace", wrap=True, transform=side.transAxes)
    ax.set_xlabel(clabel)
    ax.set_ylabel(llabel)
    ax.set_title("lower left is better; bars: 95% intervals over replicates", fontsize=9)
    fig.suptitle("Latency against host CPU", fontweight="bold")
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
        rows.append([str(p["point"])] + [_key_text(data, p, k) for k in keys] + [f"{p['ok']}/{p['runs']}"] +
                    [_fmt_value(m, p[f]) for m, f in cols])
    return head, rows


def draw(data, outdir):
    """draw - the sweep figures; [(name, caption, svg)] and the Pareto-front table."""
    figs = [
        ("heatmap", f"{data['z']['name']} over {data['x'] or '-'} and {data['y'] or '-'}.", heatmap(data, outdir)),
        ("pareto", f"{data['latency']['name']} against {data['cost']['name']}; the front (points no other beats beyond the 95% intervals) numbered in red.",
         pareto(data, outdir)),
        # the page's table lists the front's points by the numbers the plot shows
    ]
    return figs, front_rows(data)
