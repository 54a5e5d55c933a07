#!/usr/bin/python3
"""report.py DATA.json OUTDIR - draw a kvmsim report: the figures as PNG and
SVG in OUTDIR, and OUTDIR/report.html, one self-contained page (the SVGs
inline, no external files). `kvmsim report` writes DATA.json
(schema kvmsim-report-data/1) and runs this with /usr/bin/python3, whose
matplotlib is Debian's python3-matplotlib."""

import html
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import runs  # noqa: E402
import sweep  # noqa: E402

SCHEMA = "kvmsim-report-data/1"

CSS = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
figure svg { max-width: 100%; height: auto; }
.meta { font-size: 0.85em; color: #555; }
"""


def table(head, rows):
    """table - an HTML table."""
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def meta_lines(data):
    """meta_lines - what the page is about, one line each."""
    if data["kind"] == "runs":
        return [f"{r['label']}: {r['file']} ({r['scenario']})" for r in data["runs"]]
    lines = [f"sweep {data['sweep']}: {data['runs']} runs of {data['scenario']}"
             + (f" with {', '.join(data['set'])}" if data["set"] else "")]
    lines.append("swept: " + ", ".join(p["key"] + (" (sampled)" if p["sampled"] else "") for p in data["params"]))
    if data["failed"]:
        lines.append(f"{data['failed']} runs failed or did not run: their points show as failed")
    return lines


def page(data, figs, head, rows, outdir):
    """page - OUTDIR/report.html."""
    title = html.escape(data["title"])
    caption = "Runs" if data["kind"] == "runs" else "Pareto front (lower latency and lower cost)"
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>",
             f"<style>{CSS}</style></head><body>", f"<h1>{title}</h1>"]
    parts += [f"<p class=\"meta\">{html.escape(line)}</p>" for line in meta_lines(data)]
    parts.append(f"<h2>{caption}</h2>")
    parts.append(table(head, rows) if rows else "<p>none</p>")
    for name, cap, svg in figs:
        parts.append(f"<h2 id=\"{name}\">{html.escape(name)}</h2>")
        parts.append(f"<figure>{svg}<figcaption>{html.escape(cap)} "
                     f"Also as {name}.png and {name}.svg.</figcaption></figure>")
    parts.append("<p class=\"meta\">Made by kvmsim report from report-data.json.</p></body></html>\n")
    with open(os.path.join(outdir, "report.html"), "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


def main(argv):
    """main - read the data file, draw, write the page; exit status."""
    if len(argv) != 3:
        print("usage: report.py DATA.json OUTDIR", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        data = json.load(f)
    if data.get("schema") != SCHEMA or data.get("kind") not in ("runs", "sweep"):
        print(f"report.py: {argv[1]}: not a {SCHEMA} file", file=sys.stderr)
        return 2
    outdir = argv[2]
    figs, (head, rows) = (runs if data["kind"] == "runs" else sweep).draw(data, outdir)
    page(data, figs, head, rows, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
