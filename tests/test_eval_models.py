"""Models under test: batching must not change answers; failures are recorded per example."""

import json
import time

import httpx
import pytest

from deshi.evals.models import HFModel, OpenAIEndpoint
from deshi.evals.runner import evaluate, load_results
from deshi.evals.tasks import load_tasks
from evals_fixtures import good_model, one_torch_thread, workdir, write_tasks  # noqa: F401


@pytest.fixture(scope="module")
def model():
    return HFModel(good_model(), batch_size=8)


def test_batched_generation_equals_one_at_a_time(model):
    prompts = ["質問: りんごの色は?\n答え:", "質問: すいかの色は?\n答え:", "質問: ふじの色は?\n答え:", "質",
               [{"role": "system", "content": "短く"}, {"role": "user", "content": "ばらの色は?"}]]
    batched = model.generate(prompts, 8, ["\n"])
    single = HFModel(good_model(), batch_size=1).generate(prompts, 8, ["\n"])
    assert [g.text for g in batched] == [g.text for g in single]
    assert batched[0].text.strip()  # the memorised answer, not an empty string
    assert all(g.error is None and g.ttft_s <= g.latency_s for g in batched)


def test_batched_loglikelihood_equals_one_at_a_time(model):
    requests = [("質問: りんごの色は?\n答え:", " あか"), ("質問: りんごの色は?\n答え:", " みどり"), ("質", "問")]
    batched = model.loglikelihood(requests)
    single = HFModel(good_model(), batch_size=1).loglikelihood(requests)
    for a, b in zip(batched, single, strict=True):
        assert a.tokens == b.tokens
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
    rolling = model.loglikelihood_rolling(["質問: りんごの色は?\n答え: みどり"])[0]
    assert rolling.tokens == len("質問: りんごの色は?\n答え: みどり")


def test_sliced_head_scoring_equals_full_logits(model, monkeypatch):
    """Large batches score from hidden states with the LM head in slices; same numbers as full logits."""
    import deshi.evals.models as models

    requests = [("質", "問: りんごの色は?\n答え: みどり" * 3), ("質問: りんごの色は?\n答え:", " あか"), ("質", "問")]
    texts = ["質問: りんごの色は?\n答え: みどり" * 4, "質問"]
    full = model.loglikelihood(requests), model.loglikelihood_rolling(texts)
    monkeypatch.setattr(models, "_BIG_LOGITS", 0)
    monkeypatch.setattr(models, "_HEAD_SLICE", 16)
    assert model._decoder_and_head() is not None
    sliced = model.loglikelihood(requests), model.loglikelihood_rolling(texts)
    for a, b in zip([*full[0], *full[1]], [*sliced[0], *sliced[1]], strict=True):
        assert a.error is None and b.error is None and a.tokens == b.tokens
        assert a.logprob == pytest.approx(b.logprob, abs=1e-3)


def test_examples_the_model_fails_on_are_recorded_not_skipped(model, monkeypatch, tmp_path):
    tasks = load_tasks([write_tasks(workdir())])
    real = model.model.forward
    poison = str(model.tokenizer("すいか", add_special_tokens=False)["input_ids"])[1:-1]

    def flaky(*args, **kwargs):
        # Any forward pass that reads the poisoned prompt fails: continuous batching, then the static
        # batches it falls back to, then that example alone.
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None and any(poison in str(row) for row in ids.tolist()):
            raise RuntimeError("simulated CUDA error")
        return real(*args, **kwargs)

    monkeypatch.setattr(model.model, "forward", flaky)
    summary = evaluate(model, [t for t in tasks if t.name == "qa"], tmp_path / "res", resamples=50)
    qa = summary["tasks"]["qa"]
    assert qa["errors"] == 1 and qa["n"] == 20
    assert qa["metrics"]["exact_match"]["n"] == 19
    records = [json.loads(x) for x in (tmp_path / "res/tasks/qa.jsonl").read_text().splitlines()]
    failed = [r for r in records if r["error"]]
    assert len(failed) == 1 and "simulated CUDA error" in failed[0]["error"] and "qa.jsonl:" in failed[0]["source"]
    assert load_results(tmp_path / "res")["errors"] == 1


def _sse(events):
    for event in events:
        time.sleep(0.01)
        yield f"data: {json.dumps(event)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def test_openai_endpoint_streams_and_times_requests():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((request.url.path, body))
        if "boom" in json.dumps(body):
            return httpx.Response(500, json={"error": {"message": "model crashed"}})
        if request.url.path.endswith("/chat/completions"):
            events = [{"choices": [{"delta": {"content": p}}]} for p in ("あ", "か")]
        elif body.get("echo"):
            text = body["prompt"]
            return httpx.Response(200, json={"choices": [{"logprobs": {
                "text_offset": list(range(len(text))), "token_logprobs": [None] + [-0.5] * (len(text) - 1)}}]})
        else:
            events = [{"choices": [{"text": p}]} for p in ("みど", "り\n余計")]
        events.append({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}})
        return httpx.Response(200, content=_sse(events), headers={"content-type": "text/event-stream"})

    endpoint = OpenAIEndpoint("http://gateway.local", "student", transport=httpx.MockTransport(handler))
    chat, text, failed = endpoint.generate([[{"role": "user", "content": "色は?"}], "色は?", "boom"], 8, ["\n"])
    assert chat.text == "あか" and chat.error is None
    assert text.text == "みどり" and text.output_tokens == 2 and text.prompt_tokens == 7
    assert 0 < chat.ttft_s < chat.latency_s
    assert failed.error == "HTTP 500: model crashed"
    assert seen[0][0] == "/v1/chat/completions" and seen[1][0] == "/v1/completions"
    ll = endpoint.loglikelihood([("質問", "答え")])[0]
    assert ll.tokens == 2 and ll.logprob == pytest.approx(-1.0)


def test_peft_adapter_is_applied(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(good_model())
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], lora_alpha=8))
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 2.0)  # a deliberately strong adapter, so its effect is visible
    lora.save_pretrained(tmp_path / "adapter")
    plain = HFModel(good_model())
    adapted = HFModel(good_model(), adapter=tmp_path / "adapter")
    assert adapted.describe()["adapter"] == str(tmp_path / "adapter")
    request = [("質問: りんごの色は?\n答え:", " みどり")]
    assert adapted.loglikelihood(request)[0].logprob != pytest.approx(plain.loglikelihood(request)[0].logprob, abs=1e-3)


def test_deshi_eval_cli_writes_results_and_report(tmp_path, capsys):
    from test_gate import run_cli

    out = tmp_path / "res"
    code, output = run_cli(["eval", str(good_model()), "--tasks", str(write_tasks(workdir())), "--probe-family",
                            "pii_leak", "--out", str(out), "--hardware-cost-per-hour", "3.0", "--resamples", "100"], capsys)
    assert code == 0, output
    results = load_results(out)
    assert set(results["tasks"]) == {"qa", "choice", "heldout"}
    assert results["tasks"]["qa"]["metrics"]["exact_match"]["value"] == 1.0
    assert results["latency"]["cost_per_1k_tokens"] == pytest.approx(3.0 / 3600 / results["latency"]["tokens_per_s"] * 1000)
    assert results["model_artifact_id"].startswith("distill-")
    assert (out / "report.html").is_file() and "probe:pii_leak" in output
    code, output = run_cli(["eval", str(tmp_path / "nope"), "--tasks", str(write_tasks(workdir())), "--out", str(out)], capsys)
    assert code == 2 and "no config.json" in output
