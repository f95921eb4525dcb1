"""Continuous batching and shared-context scoring give the answers one-at-a-time evaluation gives."""

import pytest

from deshi.evals.models import HFModel
from evals_fixtures import COLOURS, facts, good_model, one_torch_thread  # noqa: F401

PROMPTS = ["質問: りんごの色は?\n答え:", "質問: すいかの色は?\n答え:", "質問: ふじの色は?\n答え:", "質",
           "質問: ばらの色は?\n答え:", "りんご", "質問: りんごの色は? 長い前置きのある質問です。\n答え:",
           [{"role": "system", "content": "短く"}, {"role": "user", "content": "ばらの色は?"}], "答え:"]


@pytest.fixture(scope="module")
def single():
    return HFModel(good_model(), batch_size=1)


def test_continuous_batching_refills_rows_and_matches_generate(single):
    """3 rows for 9 prompts: rows are refilled as answers end, and every answer equals HF generate's."""
    import torch
    from transformers import AutoModelForCausalLM

    batched = HFModel(good_model(), batch_size=3)
    got = batched.generate(PROMPTS, 12)
    assert batched._continuous is True
    want = single.generate(PROMPTS, 12)
    assert [g.text for g in got] == [g.text for g in want]
    assert [g.output_tokens for g in got] == [g.output_tokens for g in want]
    assert len({g.output_tokens for g in got}) > 1  # answers end at different steps: refills happened
    assert all(g.error is None and 0 < g.ttft_s <= g.latency_s for g in got)

    # Token for token what plain `model.generate` returns for each prompt alone.
    model = AutoModelForCausalLM.from_pretrained(good_model())
    tok = batched.tokenizer
    for prompt, gen in zip(PROMPTS, got, strict=True):
        ids = torch.tensor([tok(batched.render(prompt))["input_ids"]])
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                             pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)[0, ids.shape[1]:].tolist()
        if tok.eos_token_id in out:
            out = out[:out.index(tok.eos_token_id)]
        assert tok.decode(out, skip_special_tokens=True) == gen.text


def test_rows_refilled_one_at_a_time_give_the_same_tokens(single):
    """The engine itself, refilling a slot as soon as one row is free (many splices into the cache)."""
    from deshi.evals.continuous import greedy_continuous

    model = single.model
    tok = single.tokenizer
    ids = [tok(single.render(p))["input_ids"] for p in PROMPTS]
    eos = tok.eos_token_id
    reference = greedy_continuous(model, ids, 1, 10, eos, tok.pad_token_id)
    for rows in (2, 4):
        got = greedy_continuous(model, ids, rows, 10, eos, tok.pad_token_id, refill_at=1)
        assert [g.tokens for g in got] == [r.tokens for r in reference]
    assert [tok.decode(r.tokens, skip_special_tokens=True) for r in reference] == [
        g.text for g in single.generate(PROMPTS, 10)]


def test_stop_strings_end_rows_early_with_the_same_answers(single):
    batched = HFModel(good_model(), batch_size=4)
    stop = ["\n", "色"]
    got, want = batched.generate(PROMPTS, 16, stop), single.generate(PROMPTS, 16, stop)
    assert [g.text for g in got] == [g.text for g in want]
    assert all(not any(s in g.text for s in stop) for g in got)
    assert sum(g.output_tokens for g in got) <= sum(g.output_tokens for g in want)


def test_shared_context_scoring_matches_pair_scoring(single):
    """All choices of a context in one packed row: the same log-likelihoods as scoring each pair alone."""
    contexts = ["質問: りんごの色は?\n答え:", "質問: すいかの色は?\n答え:", "質"]
    gold = dict(facts())["りんご"]
    others = [c for c in COLOURS if c != gold]
    choices = [f" {others[0]}", f" {gold}", f" {others[1]}", "問: ふじの色は?\n答え: あか"]
    requests = [(c, x) for c in contexts for x in choices] + [("答え:", " あお")]
    batched = HFModel(good_model(), batch_size=4)
    got, want = batched.loglikelihood(requests), single.loglikelihood(requests)
    assert batched._packing is True
    for a, b in zip(got, want, strict=True):
        assert a.error is None and b.error is None and a.tokens == b.tokens
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
    best = max(range(4), key=lambda i: got[i].logprob)
    assert best == 1  # the memorised answer wins, as it does one at a time


def test_empty_continuation_is_an_error_for_that_request_only():
    batched = HFModel(good_model(), batch_size=4)
    got = batched.loglikelihood([("質問: りんごの色は?\n答え:", " あか"), ("質問: りんごの色は?\n答え:", ""),
                                 ("質", "問")])
    assert got[0].error is None and got[2].error is None
    assert got[1].error and "empty continuation" in got[1].error


def test_packing_self_check_falls_back_when_the_mask_is_not_honoured(single, monkeypatch):
    """A model that ignored the block mask (choices seeing each other) is caught, and scored pair by pair."""
    import deshi.evals.models as models

    real = models.pack

    def leaky(groups, pad_id, device, dtype):
        packed = real(groups, pad_id, device, dtype)
        width = packed.attention_mask.shape[-1]
        causal = packed.attention_mask.new_full((width, width), packed.attention_mask.min().item()).triu(1)
        packed.attention_mask = causal.expand_as(packed.attention_mask).clone()
        return packed

    monkeypatch.setattr(models, "pack", leaky)
    requests = [("質問: りんごの色は?\n答え:", x) for x in (" あか", " みどり", " き")]
    batched = HFModel(good_model(), batch_size=4)
    got = batched.loglikelihood(requests)
    assert batched._packing is False
    for a, b in zip(got, single.loglikelihood(requests), strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)


def test_other_model_families_keep_static_batches(tmp_path):
    """A GPT-2 directory (learned positions): no continuous batching, same answers batched or not."""
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    tok = AutoTokenizer.from_pretrained(good_model())
    config = GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt2")
    tok.save_pretrained(tmp_path / "gpt2")
    batched, alone = HFModel(tmp_path / "gpt2", batch_size=4), HFModel(tmp_path / "gpt2", batch_size=1)
    assert [g.text for g in batched.generate(PROMPTS, 6)] == [g.text for g in alone.generate(PROMPTS, 6)]
    assert batched._continuous is False
    requests = [("質問: りんごの色は?\n答え:", x) for x in (" あか", " みどり")]
    for a, b in zip(batched.loglikelihood(requests), alone.loglikelihood(requests), strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)


def test_peft_adapter_batched_equals_one_at_a_time(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(good_model())
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], lora_alpha=8))
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    lora.save_pretrained(tmp_path / "adapter")
    batched = HFModel(good_model(), adapter=tmp_path / "adapter", batch_size=4)
    alone = HFModel(good_model(), adapter=tmp_path / "adapter", batch_size=1)
    assert [g.text for g in batched.generate(PROMPTS, 8)] == [g.text for g in alone.generate(PROMPTS, 8)]
    assert batched._continuous is True
    requests = [("質問: りんごの色は?\n答え:", x) for x in (" あか", " みどり", " き")]
    got, want = batched.loglikelihood(requests), alone.loglikelihood(requests)
    assert batched._packing is True
    for a, b in zip(got, want, strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
