"""Human-readable audit of a curation run: ``summary.md`` and ``report.html`` (from stats.json only).

Both are built from the counts in ``stats.json``, so they can be shared with reviewers without
exposing any document text or personal data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deshi.report import esc, table_html, write_html

STEP_HELP = {
    "normalise": "NFKC, control characters, whitespace, HTML remnants",
    "language": "Japanese by script share",
    "quality": "length, repetition, symbols, advertising keywords",
    "content": "adult / discrimination / violence words on morpheme boundaries",
    "pii": "personal data replaced, masked or document dropped",
    "dedup": "exact hash, then MinHash LSH near duplicates (first of each cluster kept)",
}


def step_rows(stats: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name, step in stats["steps"].items():
        reasons = ", ".join(f"{k}: {v}" for k, v in step["reasons"].items()) or "-"
        rows.append([name, step["seen"], step["kept"], step["changed"], step["dropped"], reasons])
    return rows


def summary_markdown(stats: dict[str, Any]) -> str:
    inp, out = stats["input"], stats["output"]
    lines = [
        "# Curation summary",
        "",
        f"- input: {inp['records']} records from {inp['files']} file(s); {inp['quarantined']} quarantined "
        f"({', '.join(f'{k}: {v}' for k, v in inp['quarantine_reasons'].items()) or 'none'})",
        f"- output: {out['documents']} documents in {out['shards']} {out['format']} shard(s); {out['dropped']} dropped",
        "",
        "| step | seen | kept | changed | dropped | drop reasons |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} |" for r in step_rows(stats)]
    lines += ["", "## PII detections per type (counts only)", ""]
    if stats["pii"]:
        lines += ["| type | detections |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in stats["pii"].items()]
    else:
        lines.append("none (or the PII step was disabled)")
    return "\n".join(lines) + "\n"


def _bar(labels: list[str], values: list[int], unit: str) -> str:
    """A horizontal bar chart in plain HTML/CSS: no plotting library to import (matplotlib's import and
    PNG rendering cost ~1.5 s per run), readable offline and by screen readers."""
    top = max(values) or 1
    rows = "".join(
        f'<tr><td>{esc(label)}</td><td style="min-width:420px"><div style="background:#c33;height:1em;'
        f'width:{100 * value / top:.1f}%"></div></td><td style="text-align:right">{value} {esc(unit)}</td></tr>'
        for label, value in zip(labels, values, strict=True)
    )
    return f"<table>{rows}</table>"


def write_reports(out: Path, stats: dict[str, Any]) -> Path:
    """Write summary.md and report.html into ``out``; returns the HTML path."""
    (out / "summary.md").write_text(summary_markdown(stats), encoding="utf-8")
    sections = [
        ("Overview", f"<pre>{summary_markdown(stats).split(chr(10) + chr(10))[1]}</pre>"),
        ("Steps", table_html(["step", "seen", "kept", "changed", "dropped", "drop reasons"], step_rows(stats))
         + "<ul>" + "".join(f"<li><b>{k}</b>: {v}</li>" for k, v in STEP_HELP.items()) + "</ul>"),
    ]
    drops = [(f"{name}: {reason}", count) for name, step in stats["steps"].items() for reason, count in step["reasons"].items()]
    drops += [(f"quarantine: {k}", v) for k, v in stats["input"]["quarantine_reasons"].items()]
    if drops:
        sections.append(("Drops per reason", _bar([d[0] for d in drops], [d[1] for d in drops], "documents")))
    if stats["pii"]:
        sections.append(("PII per type", table_html(["type", "detections"], list(stats["pii"].items()))
                         + _bar(list(stats["pii"]), list(stats["pii"].values()), "detections")))
    return write_html(out / "report.html", "deshi curate report", sections)
