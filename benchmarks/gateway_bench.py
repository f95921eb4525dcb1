"""Gateway overhead: deshi vs LiteLLM's proxy, both in front of the same mock upstream, interleaved.

Same load generator for all three targets (mock direct, LiteLLM, deshi): ``wrk`` (closed loop, one
connection per client), each request a unique deterministic chat body so deshi's cache lookup runs and
misses. deshi runs with auth, guard, metrics, cache and audit on. CPU per request comes from
/proc/<pid>/stat (utime+stime of the gateway process tree) over each run.

    .venv/bin/python benchmarks/gateway_bench.py [--duration 8] [--rounds 2] [--litellm /path/to/litellm]
    .venv/bin/python benchmarks/gateway_bench.py --soak 200000      # 200k requests through deshi
    .venv/bin/python benchmarks/gateway_bench.py --engine            # in-process engine vs HF generate
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout: use its deshi, not an installed one
RESULTS = ROOT / "benchmarks" / "results"
KEY = "sk-bench-key"

LUA = r"""
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
request = function()
  n = n + 1
  local body = '{"model":"mock","temperature":0,"max_tokens":32,"messages":[{"role":"user","content":"When is the meeting with the sales team? ref ' .. tostring(math.random(1, 1000000000)) .. '-' .. n .. '"}]}'
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "errors": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "mean": %%f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120, headers: dict | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=1, headers=headers).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def tree_cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its descendants (LiteLLM may fork workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            continue
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_wrk(url: str, clients: int, duration: float, lua: Path) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{int(duration)}s", "--timeout", "10s", "-s", str(lua), url],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            return r
    raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")


def start_mock(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "mock_upstream.py"), str(port)])
    wait_http(f"http://127.0.0.1:{port}/v1/models")
    return proc


def start_deshi(tmp: Path, upstream_port: int, port: int) -> subprocess.Popen:
    import hashlib

    import yaml

    config = {
        "host": "127.0.0.1", "port": port,
        "models": [{"name": "mock", "upstreams": [{"url": f"http://127.0.0.1:{upstream_port}/v1"}],
                    "cost": {"input_per_1k": 0.0005, "output_per_1k": 0.0015}}],
        "auth": {"enabled": True, "keys": [{"id": "bench", "sha256": hashlib.sha256(KEY.encode()).hexdigest(),
                                            "token_budget": 10**12}]},
        "guard": {"prompt_pii": "mask", "output_pii": "flag", "injection": "flag"},
        "cache": {"enabled": True, "max_entries": 10000},
        "audit": {"url": f"sqlite:///{tmp / 'audit.db'}"},
    }
    (tmp / "serve.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "deshi.cli", "serve", "--config", str(tmp / "serve.yaml")], env=env)
    wait_http(f"http://127.0.0.1:{port}/health")
    return proc


def start_litellm(litellm: str, tmp: Path, upstream_port: int, port: int) -> subprocess.Popen:
    import yaml

    config = {
        "model_list": [{"model_name": "mock", "litellm_params": {"model": "openai/mock", "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                                                                 "api_key": "none"}}],
        "litellm_settings": {"telemetry": False, "drop_params": True},
        "general_settings": {"master_key": KEY},
    }
    (tmp / "litellm.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "LITELLM_TELEMETRY": "False", "LITELLM_LOG": "ERROR", "DO_NOT_TRACK": "1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DISABLE_SCHEMA_UPDATE": "True", "NO_DOCS": "True"}
    proc = subprocess.Popen([litellm, "--config", str(tmp / "litellm.yaml"), "--host", "127.0.0.1", "--port", str(port),
                             "--num_workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=240)
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def overhead(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="gwbench-"))
    lua = tmp / "load.lua"
    lua.write_text(LUA % {"key": KEY})
    ports = {"mock": free_port(), "deshi": free_port(), "litellm": free_port()}
    procs: dict[str, subprocess.Popen] = {}
    try:
        procs["mock"] = start_mock(ports["mock"])
        procs["deshi"] = start_deshi(tmp, ports["mock"], ports["deshi"])
        litellm = args.litellm or shutil.which("litellm")
        if litellm:
            procs["litellm"] = start_litellm(litellm, tmp, ports["mock"], ports["litellm"])
        targets = [t for t in ("mock", "litellm", "deshi") if t in procs]
        # Warm-up (JIT caches, pools, first audit commit).
        for t in targets:
            run_wrk(f"http://127.0.0.1:{ports[t]}/v1/chat/completions", 4, 2, lua)
        runs: dict[str, dict[str, list[dict]]] = {str(c): {t: [] for t in targets} for c in args.clients}
        for rnd in range(args.rounds):
            for clients in args.clients:
                for t in targets:
                    cpu0 = tree_cpu_seconds(procs[t].pid)
                    r = run_wrk(f"http://127.0.0.1:{ports[t]}/v1/chat/completions", clients, args.duration, lua)
                    r["cpu_ms_per_request"] = (tree_cpu_seconds(procs[t].pid) - cpu0) * 1000 / max(1, r["requests"])
                    runs[str(clients)][t].append(r)
                    print(f"round {rnd} clients {clients:3d} {t:8s} p50 {r['p50'] / 1000:7.3f} ms  p99 {r['p99'] / 1000:7.3f} ms  "
                          f"{r['rps']:8.0f} rps  cpu {r['cpu_ms_per_request']:.3f} ms/req  non2xx {r['non2xx']}", flush=True)
        return {"targets": targets, "runs": runs, "duration_s": args.duration, "rounds": args.rounds}
    finally:
        for p in procs.values():
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(result: dict) -> dict:
    import statistics

    def med(values: list[float]) -> float:
        return statistics.median(values)

    table = {}
    for clients, by_target in result["runs"].items():
        row = {}
        for t, runs in by_target.items():
            row[t] = {k: med([r[k] for r in runs]) for k in ("p50", "p95", "p99", "rps", "cpu_ms_per_request", "non2xx")}
            for k in ("p50", "p95", "p99"):
                row[t][k] = row[t][k] / 1000.0  # ms
        for t in ("deshi", "litellm"):
            if t in row:
                row[t]["added_p50_ms"] = row[t]["p50"] - row["mock"]["p50"]
                row[t]["added_p99_ms"] = row[t]["p99"] - row["mock"]["p99"]
        table[clients] = row
    return table


def soak(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="gwsoak-"))
    lua = tmp / "load.lua"
    lua.write_text(LUA % {"key": KEY})
    mock_port, deshi_port = free_port(), free_port()
    mock = deshi = None
    try:
        mock = start_mock(mock_port)
        deshi = start_deshi(tmp, mock_port, deshi_port)
        url = f"http://127.0.0.1:{deshi_port}/v1/chat/completions"
        total, non2xx, marks = 0, 0, []
        rss_50k = None
        t0 = time.time()
        while total < args.soak:
            r = run_wrk(url, 64, 10, lua)
            total += r["requests"]
            non2xx += r["non2xx"]
            marks.append({"requests": total, "rss_mb": rss_mb(deshi.pid), "rps": r["rps"]})
            print(f"soak {total:7d} requests  rss {marks[-1]['rss_mb']:.1f} MiB  {r['rps']:.0f} rps  non2xx {non2xx}", flush=True)
            if rss_50k is None and total >= 50_000:
                rss_50k = marks[-1]["rss_mb"]
        rss_end = marks[-1]["rss_mb"]
        metrics = httpx.get(url.replace("/v1/chat/completions", "/metrics")).text
        fives = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                    if line.startswith("deshi_requests_total") and 'status="5' in line)
        stop(deshi)
        deshi = None
        from deshi.serve.audit import verify

        audit = verify(f"sqlite:///{tmp / 'audit.db'}")
        return {"requests": total, "non2xx": non2xx, "gateway_5xx": fives, "rss_mb_at_50k": rss_50k, "rss_mb_at_end": rss_end,
                "rss_growth_pct": (rss_end - rss_50k) / rss_50k * 100 if rss_50k else None, "audit_records": audit.records,
                "audit_verified": audit.ok, "wall_s": time.time() - t0, "marks": marks}
    finally:
        stop(deshi)
        stop(mock)
        shutil.rmtree(tmp, ignore_errors=True)


def engine_bench(args: argparse.Namespace) -> dict:
    """In-process engine (16 staggered concurrent clients) vs one-at-a-time and static-batch HF generate."""
    import asyncio
    import random
    import statistics

    import torch

    sys.path.insert(0, str(ROOT / "src"))
    from deshi.serve.engine import Engine, GenRequest, stream

    torch.set_num_threads(2)
    model_dir = Path(args.model) if args.model else _standin_model(Path(tempfile.mkdtemp(prefix="engbench-")))
    engine = Engine(model_dir, max_batch_size=16, batch_wait_ms=5)
    tok, model = engine.tokenizer, engine.model
    prompts = [engine.encode(f"会議の議事録 {i}: " + "売上の見通しと研修の予定について。" * (1 + i % 3)) for i in range(16)]
    n_new = args.max_tokens

    def hf_one(ids: list[int]) -> int:
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), max_new_tokens=n_new,
                             min_new_tokens=n_new, do_sample=False, pad_token_id=tok.pad_token_id)
        return out.shape[1] - len(ids)

    t = time.perf_counter()
    seq_tokens = sum(hf_one(p) for p in prompts)
    seq_s = time.perf_counter() - t
    width = max(len(p) for p in prompts)
    ids = torch.full((16, width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros((16, width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    t = time.perf_counter()
    out = model.generate(ids, attention_mask=mask, max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False,
                         pad_token_id=tok.pad_token_id)
    static_s = time.perf_counter() - t
    static_tokens = (out.shape[1] - width) * 16

    async def client(i: int, rounds: int, lat: list, ttft: list) -> int:
        await asyncio.sleep(random.Random(i).uniform(0, 0.2))  # staggered arrivals
        n = 0
        for _ in range(rounds):
            t0 = time.perf_counter()
            first = None
            async for kind, payload in stream(engine, GenRequest(prompts[i], n_new, temperature=0)):
                if first is None:
                    first = time.perf_counter() - t0
                if kind == "done":
                    n += payload.completion_tokens
            lat.append(time.perf_counter() - t0)
            ttft.append(first)
        return n

    async def run_engine() -> tuple[int, float, list, list]:
        lat, ttft = [], []
        t0 = time.perf_counter()
        counts = await asyncio.gather(*[client(i, args.engine_rounds, lat, ttft) for i in range(16)])
        return sum(counts), time.perf_counter() - t0, lat, ttft

    eng_tokens, eng_s, lat, ttft = asyncio.run(run_engine())
    engine.close()

    def pct(v, q):
        v = sorted(v)
        return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]

    seq_tps, static_tps, eng_tps = seq_tokens / seq_s, static_tokens / static_s, eng_tokens / eng_s
    return {"model": str(model_dir) if args.model else "stand-in Llama (hidden 256, 4 layers, vocab 8k), random weights",
            "max_tokens": n_new, "sequential_tokens_per_s": seq_tps, "static_batch16_tokens_per_s": static_tps,
            "engine_tokens_per_s": eng_tps, "engine_vs_sequential": eng_tps / seq_tps, "engine_vs_static_batch": eng_tps / static_tps,
            "static_vs_sequential": static_tps / seq_tps, "latency_p50_s": pct(lat, 0.5), "latency_p99_s": pct(lat, 0.99),
            "ttft_p50_s": pct(ttft, 0.5), "ttft_p99_s": pct(ttft, 0.99), "ttft_mean_s": statistics.mean(ttft)}


def _standin_model(tmp: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts = ["会議の議事録と売上の見通し、研修の予定について説明します。", "The quarterly sales outlook and training plan."] * 200
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=8000, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=8000, hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
                      num_key_value_heads=4, max_position_embeddings=512, bos_token_id=1, eos_token_id=2, pad_token_id=3)
    LlamaForCausalLM(cfg).save_pretrained(tmp)
    hf.save_pretrained(tmp)
    return tmp


def markdown(summary: dict, soak_result: dict | None, engine_result: dict | None, cmd: str) -> str:
    lines = ["## Gateway: deshi vs LiteLLM proxy (same mock upstream, same wrk load, interleaved)", "",
             f"Command: `{cmd}`", "",
             "| clients | target | p50 ms | p95 ms | p99 ms | added p50 ms | added p99 ms | RPS | CPU ms/req |",
             "|---|---|---|---|---|---|---|---|---|"]
    for clients, row in summary.items():
        for t, r in row.items():
            lines.append(f"| {clients} | {t} | {r['p50']:.3f} | {r['p95']:.3f} | {r['p99']:.3f} | "
                         f"{r.get('added_p50_ms', 0):.3f} | {r.get('added_p99_ms', 0):.3f} | {r['rps']:.0f} | {r['cpu_ms_per_request']:.3f} |")
    if soak_result:
        lines += ["", "### Soak", "", f"{soak_result['requests']} requests at 64 clients: gateway 5xx {soak_result['gateway_5xx']:.0f}, "
                  f"non-2xx {soak_result['non2xx']}, RSS {soak_result['rss_mb_at_50k']:.1f} MiB at 50k → {soak_result['rss_mb_at_end']:.1f} MiB "
                  f"at end ({soak_result['rss_growth_pct']:+.2f}%), audit {soak_result['audit_records']} records verified={soak_result['audit_verified']}."]
    if engine_result:
        e = engine_result
        lines += ["", "### In-process engine", "", f"Model: {e['model']}, {e['max_tokens']} new tokens per request.", "",
                  "| mode | output tokens/s |", "|---|---|",
                  f"| HF generate one at a time | {e['sequential_tokens_per_s']:.1f} |",
                  f"| HF generate, one static batch of 16 | {e['static_batch16_tokens_per_s']:.1f} |",
                  f"| deshi engine, 16 staggered clients | {e['engine_tokens_per_s']:.1f} |", "",
                  f"Engine vs sequential {e['engine_vs_sequential']:.2f}×, vs static batch {e['engine_vs_static_batch']:.2f}; "
                  f"latency p50 {e['latency_p50_s']:.3f} s, p99 {e['latency_p99_s']:.3f} s; TTFT p50 {e['ttft_p50_s']:.3f} s, p99 {e['ttft_p99_s']:.3f} s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--litellm", help="path to the litellm CLI (default: on PATH)")
    parser.add_argument("--soak", type=int, default=0, help="also push this many requests through deshi")
    parser.add_argument("--engine", action="store_true", help="also run the in-process engine benchmark")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--model", help="HF model dir for --engine (default: a stand-in Llama built here)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--engine-rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_json = RESULTS / "gateway.json"
    previous = json.loads(out_json.read_text()) if out_json.is_file() else {}
    result = dict(previous)
    if not args.skip_overhead:
        raw = overhead(args)
        result["overhead"] = {"raw": raw, "summary": summarise(raw)}
    if args.soak:
        result["soak"] = soak(args)
    if args.engine:
        result["engine"] = engine_bench(args)
    result["command"] = "python " + " ".join(sys.argv)
    out_json.write_text(json.dumps(result, indent=2))
    md = markdown(result.get("overhead", {}).get("summary", {}), result.get("soak"), result.get("engine"), result["command"])
    (RESULTS / "gateway.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
