"""The gate report: one self-contained HTML file for reviewers and a Markdown summary for a PR.

The HTML embeds its plots (per-task candidate vs baseline with ±2·stderr bars, the latency
distribution, attack success per probe family) so it can be attached to a ticket or opened from an
air-gapped share. The Markdown is the check table plus headline numbers, small enough for a PR comment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deshi.report import esc, img_html, table_html, write_html

HTML_NAME, MD_NAME = "report.html", "summary.md"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _task_rows(results: dict[str, Any], baseline: dict[str, Any] | None) -> list[list[Any]]:
    rows = []
    for task, block in results.get("tasks", {}).items():
        for metric, m in block["metrics"].items():
            b = ((baseline or {}).get("tasks", {}).get(task, {}).get("metrics", {}).get(metric)) if baseline else None
            rows.append([task, metric, _fmt(m["value"]), _fmt(m["stderr"]), m["n"], block["errors"],
                         _fmt(b["value"]) if b else "-", _fmt(b["stderr"]) if b else "-"])
    return rows


def _task_plot(results: dict[str, Any], baseline: dict[str, Any] | None, label: str) -> str:
    plt = _plt()
    names, cand, cand_err, base, base_err = [], [], [], [], []
    for task, block in results.get("tasks", {}).items():
        metric = block["primary_metric"]
        m = block["metrics"].get(metric) or {}
        if m.get("value") is None:
            continue
        names.append(f"{task}\n{metric}")
        cand.append(m["value"])
        cand_err.append(2 * (m.get("stderr") or 0))
        b = (baseline or {}).get("tasks", {}).get(task, {}).get("metrics", {}).get(metric) or {}
        base.append(b.get("value") if b.get("value") is not None else 0.0)
        base_err.append(2 * (b.get("stderr") or 0))
    if not names:
        return '<p class="muted">no task results</p>'
    fig, axes = plt.subplots(1, len(names), figsize=(max(3.2 * len(names), 5), 3.2), squeeze=False)
    for ax, name, c, ce, b, be in zip(axes[0], names, cand, cand_err, base, base_err, strict=True):
        labels = ["candidate"] + ([label] if baseline else [])
        values = [c] + ([b] if baseline else [])
        errors = [ce] + ([be] if baseline else [])
        ax.bar(labels, values, yerr=errors, color=["#c33", "#888"][: len(values)], capsize=4)
        ax.set_title(name, fontsize=9)
    fig.suptitle("primary metric per task (error bars: ±2·stderr)", fontsize=10)
    fig.tight_layout()
    return img_html(fig, "per-task primary metric, candidate vs baseline")


def _latency_plot(timings: list[dict[str, Any]]) -> str:
    if not timings:
        return '<p class="muted">no generation requests were timed</p>'
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax1.hist([t["latency_s"] * 1000 for t in timings], bins=30, color="#c33")
    ax1.set_xlabel("end-to-end latency (ms)")
    ax1.set_ylabel("requests")
    ax2.hist([t["ttft_s"] * 1000 for t in timings], bins=30, color="#555")
    ax2.set_xlabel("time to first token (ms)")
    fig.tight_layout()
    return img_html(fig, "latency distribution")


def _probe_plot(results: dict[str, Any], baseline: dict[str, Any] | None, label: str) -> str:
    probes = results.get("probes", {})
    if not probes:
        return '<p class="muted">no probes were run</p>'
    plt = _plt()
    import numpy as np

    families = list(probes)
    x = np.arange(len(families))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(families)), 3.4))
    width = 0.38 if baseline else 0.6
    ax.bar(x, [probes[f]["asr"] or 0 for f in families], width, yerr=[2 * (probes[f]["stderr"] or 0) for f in families],
           label="candidate", color="#c33", capsize=3)
    if baseline:
        bp = baseline.get("probes", {})
        ax.bar(x + width, [(bp.get(f) or {}).get("asr") or 0 for f in families], width, label=label, color="#888")
    ax.set_xticks(x + (width / 2 if baseline else 0), [f.replace("_", "\n") for f in families], fontsize=8)
    ax.set_ylabel("attack success rate")
    ax.set_ylim(0, 1.05)
    ax.legend()
    fig.tight_layout()
    return img_html(fig, "attack success rate per probe family")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _error_rows(results_dir: Path) -> list[list[Any]]:
    rows = []
    for file in sorted((results_dir / "tasks").glob("*.jsonl")):
        for record in _read_jsonl(file):
            if record.get("error"):
                rows.append([file.stem, record.get("source", record.get("id")), record["error"][:200]])
    for record in _read_jsonl(results_dir / "probes.jsonl"):
        if record.get("error"):
            rows.append([f"probe:{record['family']}", record["id"], record["error"][:200]])
    return rows


def write_report(results_dir: Path | str, results: dict[str, Any], verdict: dict[str, Any] | None = None,
                 baseline: dict[str, Any] | None = None, out_dir: Path | str | None = None,
                 title: str | None = None) -> tuple[Path, Path]:
    """Write report.html and summary.md (into ``out_dir``, default the results dir); return both paths."""
    results_dir = Path(results_dir)
    out = Path(out_dir or results_dir)
    label = (verdict or {}).get("relative_to") or "baseline"
    model = results.get("model", {})
    status = (verdict or {}).get("status")
    heading = title or f"deshi eval: {model.get('path') or model.get('model') or 'model'}"
    sections: list[tuple[str, str]] = []
    if verdict:
        css = "pass" if status == "pass" else "fail"
        # table_html renders booleans as pass/fail badges; an undecidable check shows ERROR.
        rows = [[c["name"], c["kind"], _fmt(c["value"]), c["threshold"],
                 c["status"] == "pass" if c["status"] != "error" else "ERROR", c["detail"]] for c in verdict["checks"]]
        table = table_html(["check", "kind", "value", "threshold", "verdict", "detail"], rows)
        sections.append(("Gate verdict", f'<p id="verdict" class="{css}">{esc(status.upper())}</p>'
                         f"<p>gate: <code>{esc(verdict['gate_file'])}</code>; baseline ({esc(label)}): "
                         f"<code>{esc(verdict.get('baseline') or 'none')}</code></p>{table}"))
    sections.append(("Model under test", table_html(["field", "value"], [[k, _fmt(v)] for k, v in model.items()])))
    sections.append(("Tasks", _task_plot(results, baseline, label) + table_html(
        ["task", "metric", "value", "stderr", "n", "errors", f"{label} value", f"{label} stderr"], _task_rows(results, baseline))))
    probes = results.get("probes", {})
    probe_rows = [[f, _fmt(p["asr"]), _fmt(p["stderr"]), f"{p['successes']}/{p['n']}", p["errors"],
                   _fmt(((baseline or {}).get("probes", {}).get(f) or {}).get("asr")) if baseline else "-"]
                  for f, p in probes.items()]
    sections.append(("Safety probes", _probe_plot(results, baseline, label) + table_html(
        ["family", "attack success rate", "stderr", "successes", "errors", f"{label} ASR"], probe_rows)
        + '<p class="muted">Refusal probes count an answer without a refusal phrase as a successful attack; '
          "canary values are masked in stored outputs.</p>"))
    lat = results.get("latency", {})
    lat_rows = [[name, _fmt((lat.get(key) or {}).get("p50")), _fmt((lat.get(key) or {}).get("p95")),
                 _fmt((lat.get(key) or {}).get("p99"))] for name, key in
                (("end-to-end (ms)", "e2e_ms"), ("TTFT (ms)", "ttft_ms"), ("time per output token (ms)", "tpot_ms"))]
    lat_html = table_html(["measure", "p50", "p95", "p99"], lat_rows) + table_html(
        ["tokens/s", "output tokens", "hardware cost/hour", "cost per 1K tokens"],
        [[_fmt(lat.get("tokens_per_s")), lat.get("output_tokens"), _fmt(lat.get("hardware_cost_per_hour")),
          _fmt(lat.get("cost_per_1k_tokens"))]])
    sections.append(("Latency and cost", _latency_plot(_read_jsonl(results_dir / "timings.jsonl")) + lat_html))
    errors = _error_rows(results_dir)
    sections.append((f"Errors ({len(errors)})", table_html(["task", "example", "error"], errors) if errors
                     else "<p>The model answered every example and probe.</p>"))
    html_path = write_html(out / HTML_NAME, heading, sections)
    md_path = out / MD_NAME
    md_path.write_text(markdown_summary(results, verdict, label), encoding="utf-8")
    return html_path, md_path


def markdown_summary(results: dict[str, Any], verdict: dict[str, Any] | None, label: str = "baseline") -> str:
    lines = []
    if verdict:
        lines.append(f"## deshi gate: **{verdict['status'].upper()}**\n")
        lines.append(f"Gate `{Path(verdict['gate_file']).name}`, baseline ({label}) `{verdict.get('baseline') or 'none'}`.\n")
        lines.append("| check | kind | value | threshold | verdict |\n|---|---|---|---|---|")
        for c in verdict["checks"]:
            mark = "✅" if c["status"] == "pass" else ("❌" if c["status"] == "fail" else "⚠️")
            lines.append(f"| {c['name']} | {c['kind']} | {_fmt(c['value'])} | {c['threshold']} | {mark} {c['status']} |")
        lines.append("")
    lines.append("| task | metric | value ± stderr | n | errors |\n|---|---|---|---|---|")
    for task, block in results.get("tasks", {}).items():
        m = block["metrics"].get(block["primary_metric"], {})
        lines.append(f"| {task} | {block['primary_metric']} | {_fmt(m.get('value'))} ± {_fmt(m.get('stderr'))} | "
                     f"{m.get('n')} | {block['errors']} |")
    lat = results.get("latency", {})
    if lat:
        lines.append(f"\nLatency p50/p95/p99 {_fmt(lat['e2e_ms']['p50'])}/{_fmt(lat['e2e_ms']['p95'])}/"
                     f"{_fmt(lat['e2e_ms']['p99'])} ms, TTFT p50 {_fmt(lat['ttft_ms']['p50'])} ms, "
                     f"{_fmt(lat.get('tokens_per_s'))} tokens/s, cost/1K tokens {_fmt(lat.get('cost_per_1k_tokens'))}.")
    return "\n".join(lines) + "\n"
