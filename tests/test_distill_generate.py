"""Synthetic-set generation: curriculum, filters with reasons, provenance, endpoint backend, resume."""

from __future__ import annotations

import json

import httpx
import pytest

from deshi.distill.curriculum import Curriculum, CurriculumError, build_prompts
from deshi.distill.generate import Filters, HFBackend, OpenAIBackend, Sample, Sampling, run_generation
from deshi.distill.packing import render_prompt
from distill_fixtures import SENTENCES, single_thread, tiny_llama, tiny_tokenizer

single_thread()

CURRICULUM = {
    "domains": ["maintenance", "hr"],
    "tasks": [
        {"name": "sum", "type": "summarisation", "templates": ["要約してください。\n{document}"]},
        {"name": "json", "type": "extraction_json", "templates": ["JSONで抽出: {document}"]},
        {"name": "golden", "type": "qa", "source": "questions", "templates": ["{question}"]},
    ],
    "difficulties": [{"name": "easy", "max_doc_chars": 20}, {"name": "hard", "max_doc_chars": 200}],
    "prompts_per_document": 2,
}
DOCS = [{"id": f"d{i}", "text": s * 4, "meta": {"domain": ["maintenance", "hr", "sales"][i % 3]}} for i, s in enumerate(SENTENCES)]


def test_curriculum_is_deterministic_and_respects_domains_and_difficulty():
    c = Curriculum.model_validate(CURRICULUM)
    a = build_prompts(c, DOCS, ["点検間隔は？"], seed=1)
    b = build_prompts(c, DOCS, ["点検間隔は？"], seed=1)
    assert [p.id for p in a] == [p.id for p in b] and [p.text for p in a] == [p.text for p in b]
    doc_prompts = [p for p in a if p.meta["task"] != "golden"]
    assert len(doc_prompts) == 2 * sum(1 for d in DOCS if d["meta"]["domain"] != "sales")
    assert {p.meta["domain"] for p in doc_prompts} == {"maintenance", "hr"}
    easy = [p for p in doc_prompts if p.meta["difficulty"] == "easy"]
    assert easy and all(len(p.text) <= len("JSONで抽出: ") + 20 + 2 for p in easy)
    assert [p.text for p in a if p.meta["task"] == "golden"] == ["点検間隔は？"]
    with pytest.raises(CurriculumError, match="matched no document"):
        build_prompts(Curriculum.model_validate({**CURRICULUM, "domains": ["legal"], "tasks": CURRICULUM["tasks"][:1]}), DOCS, [], 0)
    with pytest.raises(ValueError, match="unknown placeholder"):
        Curriculum.model_validate({"tasks": [{"name": "x", "templates": ["{doc}"]}]})


class FixedBackend:
    """Returns canned answers per prompt and counts calls (what the teacher would have said)."""

    batch_size = 2

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def generate(self, prompts, sampling):
        self.calls.append(list(prompts))
        return [[Sample(a, lp, 5) for a, lp in self.answers[p]] for p in prompts]


def _prompts():
    c = Curriculum.model_validate({"tasks": [{"name": "q", "source": "questions", "templates": ["{question}"]}]})
    return build_prompts(c, [], ["Q1", "Q2", "Q3", "Q4"], 0)


def test_filters_reject_with_reasons_and_redact_pii(tmp_path):
    answers = {
        "Q1": [("点検間隔は30日です。", -0.5), ("点検間隔は30日です。", -0.5)],  # duplicate
        "Q2": [("申し訳ありませんが、お答えできません。", -0.4), ("担当は山田太郎、電話は03-1234-5678です。", -0.3)],
        "Q3": [("あ", -0.1), ("よくわからない回答です", -6.0)],  # too short, low quality
        "Q4": [("保証期間は2年です。", -0.8), ("ああああああああああああああああ", -0.2)],  # ok, repetitive
    }
    backend = FixedBackend(answers)
    prov = {"teacher": {"path": "/models/teacher", "sha256": "abc"}}
    result = run_generation(backend, _prompts(), Sampling(samples_per_prompt=2), Filters(min_chars=2, min_mean_logprob=-3.0), tmp_path / "set", tmp_path / "work", prov)
    assert result.kept == 2 and result.rejected == 6
    assert result.reasons == {"duplicate": 1, "refusal_or_ng_word": 1, "pii": 1, "too_short": 1, "low_quality": 1, "repetitive": 1}
    kept = [json.loads(line) for line in (tmp_path / "set" / "data" / "synthetic.jsonl").read_text().splitlines()]
    assert [k["response"] for k in kept] == ["点検間隔は30日です。", "保証期間は2年です。"]
    meta = kept[0]["meta"]
    assert meta["teacher"]["sha256"] == "abc" and meta["prompt_id"].startswith("p-") and meta["sampling"]["samples_per_prompt"] == 2
    assert kept[0]["text"] == render_prompt("Q1") + "点検間隔は30日です。"
    rejected = (tmp_path / "set" / "rejected.jsonl").read_text()
    assert "03-1234-5678" not in rejected and '"reason": "pii"' in rejected


def test_generation_resumes_without_asking_the_teacher_again(tmp_path):
    answers = {q: [("答えです。", -0.5)] for q in ("Q1", "Q2", "Q3", "Q4")}
    first = FixedBackend(answers)
    run_generation(first, _prompts()[:2], Sampling(samples_per_prompt=1), Filters(pii=False), tmp_path / "set", tmp_path / "work", {"teacher": "t"})
    second = FixedBackend(answers)
    result = run_generation(second, _prompts(), Sampling(samples_per_prompt=1), Filters(pii=False, dedup=False), tmp_path / "set", tmp_path / "work", {"teacher": "t"})
    assert sum(len(c) for c in second.calls) == 2 and result.resumed_prompts == 2 and result.kept == 4
    # another teacher: earlier answers do not count
    third = FixedBackend(answers)
    run_generation(third, _prompts(), Sampling(samples_per_prompt=1), Filters(pii=False), tmp_path / "set", tmp_path / "work", {"teacher": "other"})
    assert sum(len(c) for c in third.calls) == 4


def test_openai_compatible_endpoint_backend():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.update(body=body, path=request.url.path, auth=request.headers.get("authorization"))
        choices = []
        for i, _ in enumerate(body["prompt"]):
            for j in range(body["n"]):
                choices.append({"index": i * body["n"] + j, "text": f" 答え{i}-{j}\n質問: 次", "logprobs": {"token_logprobs": [-1.0, -0.5]}})
        return httpx.Response(200, json={"choices": choices})

    backend = OpenAIBackend("http://teacher:8000/v1", "teacher-7b", api_key="k", transport=httpx.MockTransport(handler))
    out = backend.generate(["Q1", "Q2"], Sampling(samples_per_prompt=2, temperature=0.7))
    assert seen["path"] == "/v1/completions" and seen["auth"] == "Bearer k"
    assert seen["body"]["prompt"] == [render_prompt("Q1"), render_prompt("Q2")] and seen["body"]["n"] == 2
    assert [[s.response for s in g] for g in out] == [["答え0-0", "答え0-1"], ["答え1-0", "答え1-1"]]
    assert out[0][0].mean_logprob == pytest.approx(-0.75)

    failing = OpenAIBackend("http://teacher:8000/v1", "m", transport=httpx.MockTransport(lambda r: httpx.Response(503, text="overloaded")))
    from deshi.distill.generate import GenerateError

    with pytest.raises(GenerateError, match="HTTP 503"):
        failing.generate(["Q"], Sampling(samples_per_prompt=1))


def test_hf_backend_samples_several_answers_with_teacher_logprobs():
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok), 32, 2)
    backend = HFBackend(model, tok, batch_size=2)
    out = backend.generate(["点検間隔は？", "受付時間は？"], Sampling(samples_per_prompt=3, max_new_tokens=6, seed=1))
    assert [len(g) for g in out] == [3, 3]
    for group in out:
        for sample in group:
            assert sample.mean_logprob is not None and sample.mean_logprob < 0 and 1 <= sample.tokens <= 6


def test_a_task_can_override_sampling_greedy_qa_next_to_sampled_summaries(tmp_path):
    curriculum = Curriculum.model_validate({
        "tasks": [
            {"name": "sum", "type": "summarisation", "templates": ["要約: {document}"]},
            {"name": "qa", "source": "questions", "templates": ["{question}"], "sampling": {"temperature": 0}},
        ],
    })
    prompts = build_prompts(curriculum, DOCS[:2], ["Q1", "Q2"], 0)
    plain = build_prompts(Curriculum.model_validate({"tasks": [{"name": "qa", "source": "questions", "templates": ["{question}"]}]}), [], ["Q1"], 0)
    qa = [p for p in prompts if p.meta["task"] == "qa"]
    assert [p.sampling for p in qa] == [{"temperature": 0.0}] * 2
    assert qa[0].id != plain[0].id  # other settings, other id: a resumed run never reuses sampled answers

    class Recording(FixedBackend):
        def generate(self, prompts, sampling):
            self.calls.append((list(prompts), sampling.temperature, sampling.samples_per_prompt))
            return [[Sample(f"{p}-答え{i}", -0.5, 3) for i in range(sampling.samples_per_prompt)] for p in prompts]

    backend = Recording({})
    run_generation(backend, prompts, Sampling(temperature=0.8, samples_per_prompt=2), Filters(pii=False), tmp_path / "set", tmp_path / "work", {"teacher": "t"})
    by_texts = {tuple(c[0]): c[1:] for c in backend.calls}
    assert by_texts[("Q1", "Q2")] == (0.0, 1)  # greedy, one answer per question, batched together
    assert all(v == (0.8, 2) for k, v in by_texts.items() if k != ("Q1", "Q2"))
    records = [json.loads(line) for line in (tmp_path / "set" / "data" / "synthetic.jsonl").read_text().splitlines()]
    qa_records = [r for r in records if r["meta"]["task"] == "qa"]
    assert len(qa_records) == 2 and all(r["meta"]["sampling"]["temperature"] == 0 and r["meta"]["sampling"]["samples_per_prompt"] == 1 for r in qa_records)
    assert all(r["meta"]["sampling"]["temperature"] == 0.8 for r in records if r["meta"]["task"] == "sum")
    with pytest.raises(ValueError):
        Curriculum.model_validate({"tasks": [{"name": "q", "templates": ["{document}"], "sampling": {"temperature": -1}}]})


def test_hf_backend_greedy_answers_are_the_teachers_argmax():
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok), 32, 2)
    backend = HFBackend(model, tok, batch_size=2)
    greedy = Sampling(temperature=0, samples_per_prompt=3, max_new_tokens=5, seed=1)
    assert greedy.samples_per_prompt == 1
    a = backend.generate(["点検間隔は？"], greedy)
    b = backend.generate(["点検間隔は？"], Sampling(**{**greedy.as_dict(), "seed": 7}))
    assert len(a[0]) == 1 and a[0][0].response == b[0][0].response  # no randomness: the seed does not matter
