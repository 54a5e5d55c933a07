"""kvmplot - what every kvmsim plot shares: the style, readable latency units,
and saving a figure as PNG and SVG without anything that changes from one
run to the next (no dates, a fixed SVG id salt), so the same data give the
same files."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "kvmsim",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "figure.dpi": 100,
})

# Colours of the runs in overlays (tab10 without its grey), and of CPU-time categories.
RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"]
CPU_COLOURS = {
    "guest": "#2ca02c", "kvm": "#1f77b4", "poll_ok": "#17becf", "poll_fail": "#d62728",
    "task": "#9467bd", "sched": "#8c564b", "idle_exit": "#ff7f0e", "idle": "#dddddd",
    "sleep": "#dddddd", "runnable": "#e377c2", "irq": "#bcbd22", "guest_poll": "#98df8a",
}
CPU_NAMES = {
    "guest": "guest", "kvm": "KVM (exits, entries)", "poll_ok": "halt poll, succeeded",
    "poll_fail": "halt poll, failed", "task": "other host tasks", "sched": "scheduler",
    "idle_exit": "idle-state exit", "idle": "idle", "sleep": "halted, asleep",
    "runnable": "runnable, waiting for the pCPU", "irq": "host interrupt handling",
    "guest_poll": "guest idle polling (in guest mode)",
}


def cpu_name(c):
    """cpu_name - the readable name of a CPU-time category (an unknown one with spaces for _)."""
    return CPU_NAMES.get(c, c.replace("_", " "))


def run_colour(i):
    """run_colour - the colour of the i-th run."""
    return RUN_COLOURS[i % len(RUN_COLOURS)]


def time_unit(max_ns):
    """time_unit - (name, divisor) of the unit that shows latencies up to max_ns best."""
    if max_ns < 10_000:
        return "ns", 1.0
    if max_ns < 10_000_000:
        return "µs", 1e3
    return "ms", 1e6


def ns_formatter():
    """ns_formatter - a tick formatter printing nanoseconds as 500ns, 20µs, 1.5ms."""
    def fmt(v, _pos):
        if v <= 0:
            return "0"
        for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")):
            if v >= div:
                return f"{v / div:g}{unit}"
        return f"{v:g}ns"
    return FuncFormatter(fmt)


def log_ns_axis(axis):
    """log_ns_axis - a log-scale nanosecond axis labelled at 1, 2 and 5 of each decade only.

    Without this matplotlib labels minor ticks in raw numbers (2x10^3) when the data
    spans less than a decade, beside major ticks in units."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ns_formatter())
    axis.set_minor_formatter(NullFormatter())


def fmt_ns(v):
    """fmt_ns - a latency in ns as text with a readable unit ('-' for None)."""
    if v is None:
        return "-"
    for div, unit, digits in ((1e9, "s", 3), (1e6, "ms", 3), (1e3, "µs", 2)):
        if abs(v) >= div:
            return f"{v / div:.{digits}f} {unit}"
    return f"{v:.0f} ns"


def unit_label(label, unit):
    """unit_label - a metric label with its '(ns)' replaced by the unit used."""
    return label.replace("(ns)", f"({unit})")


def save(fig, outdir, name):
    """save - write fig as OUTDIR/NAME.png and .svg; return the SVG text for the HTML page."""
    png = f"{outdir}/{name}.png"
    svg = f"{outdir}/{name}.svg"
    fig.savefig(png, dpi=110, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    with open(svg, encoding="utf-8") as f:
        text = f.read()
    # drop the XML prologue and DOCTYPE: the page inlines the <svg> element
    return text[text.index("<svg"):]
