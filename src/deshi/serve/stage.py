"""Pipeline stage ``serve``: serve the gated student, query it with the openai client, report, stop.

The server runs as a real subprocess (``deshi serve``) on a free loopback port, exactly as a user runs
it; the stage is its first client. The release check reads the gate stage's verdict from the registry;
a pipeline without a gate stage must set ``force: true``, and that override lands in the audit trail.
Artifact: serve.yaml, the audit db copy (verified), a /metrics snapshot and summary.json.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.stages import StageContext, StageError, StageResult

EXTRACTION_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "department": {"type": "string", "maxLength": 12},
        "urgent": {"type": "boolean"},
    },
    "required": ["name", "department", "urgent"],
    "additionalProperties": False,
}
PROMPTS = [
    "会議の議事録を三行で要約してください。",
    "次の四半期の売上見通しについて説明してください。",
    "新しい社員研修の予定を教えてください。",
    "顧客からの問い合わせに丁寧に返信してください。",
    "情報セキュリティ規程の要点は何ですか。",
    "出張申請の手順を説明してください。",
]


class Config(StageConfig):
    requests: int = Field(12, ge=1, le=10_000, description="Chat requests sent with the openai client.")
    concurrency: int = Field(4, ge=1, le=64, description="Concurrent clients for those requests.")
    max_tokens: int = Field(32, ge=1, le=4096, description="max_tokens per request.")
    hardware_per_hour: float = Field(1.0, ge=0, description="Cost per hour of the serving machine (for cost/1K tokens).")
    force: bool = Field(False, description="Serve without a passing gate verdict (required when no gate stage ran; audited).")
    startup_timeout_s: float = Field(180.0, gt=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def _scrape(text: str) -> dict[str, Any]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, Any] = {"incidents": {}, "cost_per_1k": {}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "deshi_safety_incidents_total":
                out["incidents"][f"{sample.labels['kind']}:{sample.labels['type']}"] = sample.value
            elif sample.name == "deshi_cost_per_1k_tokens":
                out["cost_per_1k"][sample.labels["model"]] = sample.value
    return out


def run(config: Config, ctx: StageContext) -> StageResult:
    import httpx
    import openai
    import yaml

    from deshi.serve.audit import JOURNAL_SUFFIX, verify

    student = Path(ctx.require("distill")).resolve()
    gated = "gate" in ctx.outputs
    if not gated and not config.force:
        raise StageError("the serve stage needs the gate stage's verdict; add `gate` to the pipeline or set serve.force: true")
    out = ctx.stage_dir("serve")
    for stale in ("audit.db", "audit.db-wal", "audit.db-shm"):
        (out / stale).unlink(missing_ok=True)
    run_dir = out / "run"
    run_dir.mkdir(exist_ok=True)
    serve_yaml = {
        "host": "127.0.0.1",
        "models": [{"name": "student", "path": str(student), "max_batch_size": 8, "batch_wait_ms": 5,
                    "cost": {"hardware_per_hour": config.hardware_per_hour}}],
        "audit": {"url": f"sqlite:///{(run_dir / 'audit.db').resolve()}"},
        "release": {"workspace": str(ctx.workspace.resolve()), "registry_url": ctx.registry.url},
    }
    # The journal too: a fresh audit db must not replay a killed earlier run's journal into itself.
    for name in ("audit.db", "audit.db-wal", "audit.db-shm", "audit.db" + JOURNAL_SUFFIX):
        (run_dir / name).unlink(missing_ok=True)
    (out / "serve.yaml").write_text(yaml.safe_dump(serve_yaml, sort_keys=False), encoding="utf-8")
    port = _free_port()
    cmd = [sys.executable, "-m", "deshi.cli", "serve", "--config", str(out / "serve.yaml"), "--port", str(port)]
    if config.force:
        cmd.append("--force")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1"}
    log_path = out / "server.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + config.startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise StageError(f"deshi serve exited with {proc.returncode}: {log_path.read_text(errors='replace')[-800:]}")
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise StageError(f"deshi serve did not start within {config.startup_timeout_s}s; see {log_path}")
            time.sleep(0.3)
        startup_s = time.perf_counter() - started
        client = openai.OpenAI(base_url=base + "/v1", api_key="local", max_retries=0, timeout=300)
        latencies: list[float] = []
        tokens = 0

        def one(i: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            resp = client.chat.completions.create(
                model="student", messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                max_tokens=config.max_tokens, temperature=0.7, seed=ctx.seed + i)
            return time.perf_counter() - t0, resp.usage.completion_tokens

        from concurrent.futures import ThreadPoolExecutor

        t_load = time.perf_counter()
        with ThreadPoolExecutor(config.concurrency) as pool:
            for latency, n in pool.map(one, range(config.requests)):
                latencies.append(latency)
                tokens += n
        load_s = time.perf_counter() - t_load
        stream = client.chat.completions.create(
            model="student", messages=[{"role": "user", "content": "田中さん（電話 090-1234-5678）への返信を書いてください。"}],
            max_tokens=config.max_tokens, stream=True, stream_options={"include_usage": True})
        streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        extraction = client.chat.completions.create(
            model="student",
            messages=[{"role": "user", "content": "次の文から氏名と部署と緊急かどうかを抽出: 営業部の佐藤です。至急ご確認ください。"}],
            max_tokens=96, temperature=0,
            response_format={"type": "json_schema", "json_schema": {"name": "contact", "schema": EXTRACTION_SCHEMA}})
        extracted_raw = extraction.choices[0].message.content or ""
        try:
            import jsonschema

            extracted = json.loads(extracted_raw)
            jsonschema.validate(extracted, EXTRACTION_SCHEMA)
            schema_ok = True
        except Exception:
            extracted, schema_ok = extracted_raw, False
        metrics_text = httpx.get(base + "/metrics", timeout=10).text
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    (out / "metrics.prom").write_text(metrics_text, encoding="utf-8")
    shutil.copy2(run_dir / "audit.db", out / "audit.db")
    shutil.rmtree(run_dir, ignore_errors=True)
    audit = verify(f"sqlite:///{out / 'audit.db'}")
    scraped = _scrape(metrics_text)
    summary = {
        "requests": config.requests + 2,
        "startup_s": round(startup_s, 2),
        "p50_latency_s": round(_percentile(latencies, 0.5), 4),
        "p99_latency_s": round(_percentile(latencies, 0.99), 4),
        "completion_tokens_per_s": round(tokens / load_s, 2) if load_s > 0 else None,
        "cost_per_1k_tokens": scraped["cost_per_1k"].get("student"),
        "incidents": scraped["incidents"],
        "json_schema_extraction": extracted,
        "json_schema_valid": schema_ok,
        "streamed_chars": len(streamed),
        "audit_records": audit.records,
        "audit_verified": audit.ok,
        "audit_head": audit.head,
        "release": "gate verdict" if not config.force else "forced (audited)",
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_manifest(out, Manifest("serve", config, [describe_input(student)], {"requests": summary["requests"],
                                 "audit_records": audit.records}, {"startup_s": startup_s, "load_s": load_s}, ctx.seed))
    incidents = ", ".join(f"{k}={int(v)}" for k, v in sorted(scraped["incidents"].items())) or "none"
    lines = [
        f"served the student at {base} ({summary['release']}); {summary['requests']} requests via the openai client",
        f"latency p50 {summary['p50_latency_s'] * 1000:.0f} ms, p99 {summary['p99_latency_s'] * 1000:.0f} ms; "
        f"cost per 1K tokens {summary['cost_per_1k_tokens']:.4f} (hardware {config.hardware_per_hour}/h over measured throughput)",
        f"safety incidents: {incidents}; JSON-schema extraction {'valid' if schema_ok else 'INVALID'}: {json.dumps(extracted, ensure_ascii=False)[:80]}",
        f"audit trail: {audit.records} records, {'verified' if audit.ok else 'FAILED verification'} ({out / 'audit.db'}); server stopped",
    ]
    for line in lines:
        ctx.console.print(f"  {line}")
    return StageResult(out, lines, None, {k: v for k, v in summary.items() if isinstance(v, int | float)})
