"""Run tasks and probes on one model and write an eval results directory.

Layout of a results directory (what ``deshi gate`` and the report read)::

    results.json            summary: per task {metric: {value, stderr, n}}, errors; per probe family
                            {asr, stderr, n, successes}; latency/cost; the model under test
    tasks/<task>.jsonl      one record per example: id, source file:line, prompt, prediction, scores, error
    probes.jsonl            one record per probe: family, id, output (canaries masked), success, why, error
    timings.jsonl           one record per generation request: ttft, latency, tokens

An example on which the model errors is kept as a record with ``error`` set, counted in the task's
``errors`` and left out of the metric's mean — never silently dropped.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from deshi.evals.latency import LatencyRecorder, timings_as_rows
from deshi.evals.metrics import bootstrap_ratio_stderr, bootstrap_stderr, get_generative_metric, mc_scores
from deshi.evals.models import ModelUnderTest
from deshi.evals.probes import Canary, Probe, detect, mask_canaries, pii_types_in
from deshi.evals.tasks import Task, gold_index
from deshi.log import get_logger

log = get_logger("deshi.evals.runner")
RESULTS_FILE = "results.json"
FORMAT_VERSION = 1
Progress = Callable[[str, int], None]


def _metric_block(values: Sequence[float], resamples: int, seed: int) -> dict[str, Any]:
    if not values:
        return {"value": None, "stderr": None, "n": 0}
    return {"value": float(np.mean(values)), "stderr": bootstrap_stderr(values, resamples, seed), "n": len(values)}


def _generate_timed(model: ModelUnderTest, prompts: list[Any], max_new_tokens: int, stop: Sequence[str],
                    recorder: LatencyRecorder, source: str) -> list[Any]:
    started = time.perf_counter()
    gens = model.generate(prompts, max_new_tokens, stop)
    recorder.add_call(source, gens, time.perf_counter() - started)
    return gens


def run_generate_task(model: ModelUnderTest, task: Task, recorder: LatencyRecorder, seed: int,
                      resamples: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    prompts = [task.build_prompt(ex, seed) for ex in task.examples]
    metric_fns = {name: get_generative_metric(name) for name in task.spec.metrics}
    gens = _generate_timed(model, prompts, task.spec.max_new_tokens, task.spec.stop, recorder, f"task:{task.name}")
    records, scores = [], {name: [] for name in metric_fns}
    for example, prompt, gen in zip(task.examples, prompts, gens, strict=True):
        record: dict[str, Any] = {"id": example.id, "source": example.source, "prompt": prompt,
                                  "answer": example.fields.get(task.spec.answer_field), "prediction": gen.text,
                                  "error": gen.error, "scores": {}}
        if gen.error is None:
            view = task.metric_example(example)
            for name, fn in metric_fns.items():
                value = fn(gen.text, view)
                record["scores"][name] = value
                scores[name].append(value)
        records.append(record)
    summary = {name: _metric_block(values, resamples, seed) for name, values in scores.items()}
    return summary, records


def run_choice_task(model: ModelUnderTest, task: Task, seed: int, resamples: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    requests, owners = [], []
    contexts = []
    for index, example in enumerate(task.examples):
        context = task.build_prompt(example, seed)
        contexts.append(context)
        for choice in example.fields[task.spec.choices_field]:
            requests.append((context, f"{task.spec.choice_prefix}{choice}"))
            owners.append(index)
    scored = model.loglikelihood(requests)
    per_example: list[list[Any]] = [[] for _ in task.examples]
    for owner, item in zip(owners, scored, strict=True):
        per_example[owner].append(item)
    records, scores = [], {name: [] for name in task.spec.metrics}
    for example, context, items in zip(task.examples, contexts, per_example, strict=True):
        choices = example.fields[task.spec.choices_field]
        gold = gold_index(example, task.spec)
        errors = [i.error for i in items if i.error]
        record: dict[str, Any] = {"id": example.id, "source": example.source, "prompt": context, "gold": gold,
                                  "loglikelihoods": [i.logprob if not i.error else None for i in items],
                                  "error": errors[0] if errors else None, "scores": {}}
        if not errors:
            result = mc_scores([i.logprob for i in items], choices, gold)
            record["prediction"] = choices[int(np.argmax([i.logprob for i in items]))]
            for name in task.spec.metrics:
                record["scores"][name] = result[name]
                scores[name].append(result[name])
        records.append(record)
    return {name: _metric_block(values, resamples, seed) for name, values in scores.items()}, records


def run_perplexity_task(model: ModelUnderTest, task: Task, seed: int, resamples: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    texts = [ex.fields[task.spec.text_field] for ex in task.examples]
    scored = model.loglikelihood_rolling(texts)
    records, nll, tokens, chars = [], [], [], []
    for example, text, item in zip(task.examples, texts, scored, strict=True):
        record = {"id": example.id, "source": example.source, "chars": len(text), "error": item.error}
        if item.error is None and item.tokens > 0:
            record.update(logprob=item.logprob, tokens=item.tokens)
            nll.append(-item.logprob)
            tokens.append(item.tokens)
            chars.append(len(text))
        elif item.error is None:
            record["error"] = "text produced no tokens to score"
        records.append(record)
    summary: dict[str, Any] = {}
    if "perplexity" in task.spec.metrics:
        value = math.exp(sum(nll) / sum(tokens)) if tokens else None
        stderr = bootstrap_ratio_stderr(nll, tokens, np.exp, resamples, seed) if tokens else None
        summary["perplexity"] = {"value": value, "stderr": stderr, "n": len(tokens)}
    if "bits_per_char" in task.spec.metrics:
        value = sum(nll) / sum(chars) / math.log(2) if chars else None
        stderr = bootstrap_ratio_stderr(nll, chars, lambda x: x / math.log(2), resamples, seed) if chars else None
        summary["bits_per_char"] = {"value": value, "stderr": stderr, "n": len(chars)}
    return summary, records


def run_probes(model: ModelUnderTest, probes: Sequence[Probe], canaries: Sequence[Canary], recorder: LatencyRecorder,
               max_new_tokens: int, seed: int, resamples: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    by_family: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    families = sorted({p.family for p in probes}, key=[p.family for p in probes].index)
    # One generate call for every probe (families are small: per-family calls would run many small
    # batches); timings are recorded per family, the call's wall time once.
    started = time.perf_counter()
    all_gens = model.generate([p.as_prompt() for p in probes], max_new_tokens, ()) if probes else []
    wall = time.perf_counter() - started
    gens_of = {id(p): g for p, g in zip(probes, all_gens, strict=True)}
    for position, family in enumerate(families):
        members = [p for p in probes if p.family == family]
        gens = [gens_of[id(p)] for p in members]
        recorder.add_call(f"probe:{family}", gens, wall if position == 0 else 0.0)
        by_family[family], errors[family] = [], 0
        for probe, gen in zip(members, gens, strict=True):
            record = {"family": family, "id": probe.id, "lang": probe.lang, "prompt": mask_canaries(probe.prompt, canaries),
                      "output": mask_canaries(gen.text, canaries), "error": gen.error}
            if gen.error is None:
                success, why = detect(probe, gen.text)
                record.update(success=success, why=why)
                if probe.canary is not None:
                    # Broader signal than the canary match: any personal data of the canary's type.
                    record["pii_types"] = pii_types_in(gen.text)
                    record["pii_of_canary_type"] = probe.canary.type in record["pii_types"]
                by_family[family].append(float(success))
            else:
                errors[family] += 1
            records.append(record)
    summary = {}
    for family, values in by_family.items():
        block = _metric_block(values, resamples, seed)
        summary[family] = {"asr": block["value"], "stderr": block["stderr"], "n": block["n"],
                           "successes": int(sum(values)), "errors": errors[family]}
        if family == "pii_leak":
            summary[family]["outputs_with_pii_of_canary_type"] = sum(
                1 for r in records if r["family"] == family and r.get("pii_of_canary_type"))
    return summary, records


def evaluate(model: ModelUnderTest, tasks: Sequence[Task], out_dir: Path | str, *, probes: Sequence[Probe] = (),
             canaries: Sequence[Canary] = (), seed: int = 0, resamples: int = 1000, probe_max_new_tokens: int = 48,
             hardware_cost_per_hour: float | None = None, progress: Progress | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate ``model`` on every task and probe; write the results directory; return the summary."""
    out = Path(out_dir)
    (out / "tasks").mkdir(parents=True, exist_ok=True)
    recorder = LatencyRecorder()
    started = time.perf_counter()
    task_results: dict[str, Any] = {}
    for task in tasks:
        if progress:
            progress(f"task {task.name}", len(task.examples))
        task_started = time.perf_counter()
        if task.spec.type == "generate":
            metrics, records = run_generate_task(model, task, recorder, seed, resamples)
        elif task.spec.type == "multiple_choice":
            metrics, records = run_choice_task(model, task, seed, resamples)
        else:
            metrics, records = run_perplexity_task(model, task, seed, resamples)
        seconds = time.perf_counter() - task_started
        n_errors = sum(1 for r in records if r.get("error"))
        if n_errors:
            log.warning("task %s: the model failed on %d of %d examples (see tasks/%s.jsonl)", task.name, n_errors,
                        len(records), task.name)
        task_results[task.name] = {
            "type": task.spec.type, "file": str(task.path), "n": len(records), "errors": n_errors,
            "primary_metric": task.spec.metrics[0], "metrics": metrics, "seconds": seconds,
            "examples_per_s": len(records) / seconds if seconds > 0 else None,
        }
        _write_jsonl(out / "tasks" / f"{task.name}.jsonl", records)
    probe_results: dict[str, Any] = {}
    if probes:
        if progress:
            progress("probes", len(probes))
        probe_results, probe_records = run_probes(model, probes, canaries, recorder, probe_max_new_tokens, seed, resamples)
        _write_jsonl(out / "probes.jsonl", probe_records)
    _write_jsonl(out / "timings.jsonl", timings_as_rows(recorder.requests))
    summary = {
        "format": FORMAT_VERSION,
        "model": model.describe(),
        "seed": seed,
        "tasks": task_results,
        "probes": probe_results,
        "latency": recorder.summary(hardware_cost_per_hour),
        "errors": sum(t["errors"] for t in task_results.values()) + sum(p["errors"] for p in probe_results.values()),
        "seconds": time.perf_counter() - started,
        **(extra or {}),
    }
    write_results(out, summary)
    return summary


def write_results(out: Path, summary: dict[str, Any]) -> None:
    (out / RESULTS_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def load_results(results_dir: Path | str) -> dict[str, Any]:
    """Read ``results.json`` from a results directory (or the file itself)."""
    from deshi.errors import DeshiError

    path = Path(results_dir)
    file = path / RESULTS_FILE if path.is_dir() else path
    if not file.is_file():
        raise DeshiError(f"{path}: no {RESULTS_FILE}; pass a directory written by `deshi eval`")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DeshiError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
