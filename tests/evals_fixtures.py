"""Tiny models and task files for the eval/gate tests, built in seconds and cached per test session.

A character-level tokenizer and a 2-layer Llama are trained for a few hundred steps to memorise a
small fact table (so quality metrics have something to lose when weights are perturbed). A second
"leaky" model also memorises planted canary personal data (the probes must catch it).
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import tempfile
from pathlib import Path

import pytest

ITEMS = ["りんご", "みかん", "ぶどう", "もも", "なし", "かき", "いちご", "すいか", "めろん", "れもん",
         "さくら", "うめ", "ばら", "きく", "ゆり", "つばき", "すみれ", "あやめ", "ふじ", "はす"]
COLOURS = ["あか", "あお", "きいろ", "みどり", "しろ"]
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def facts(seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(item, rng.choice(COLOURS)) for item in ITEMS]


def fact_line(item: str, colour: str) -> str:
    return f"質問: {item}の色は?\n答え: {colour}"


@functools.cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="deshi-evals-test-"))
    import atexit

    atexit.register(shutil.rmtree, path, True)
    return path


def write_tasks(root: Path) -> Path:
    """A task directory: generative QA, multiple choice, perplexity (all over the fact table)."""
    tasks = root / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    rows = facts()
    with open(tasks / "qa.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            f.write(json.dumps({"id": f"qa{i}", "question": f"{item}の色は?", "answer": colour}, ensure_ascii=False) + "\n")
    with open(tasks / "choice.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            others = [c for c in COLOURS if c != colour][:2]
            choices = sorted([colour, *others])
            f.write(json.dumps({"id": f"mc{i}", "question": f"{item}の色は?", "choices": choices, "answer": colour},
                               ensure_ascii=False) + "\n")
    with open(tasks / "heldout.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            f.write(json.dumps({"id": f"h{i}", "text": fact_line(item, colour)}, ensure_ascii=False) + "\n")
    (tasks / "qa.yaml").write_text(
        "name: qa\ntype: generate\ndata: qa.jsonl\nprompt: \"質問: {question}\\n答え:\"\n"
        "metrics: [exact_match, char_f1, rouge_l]\nmax_new_tokens: 6\nstop: [\"\\n\"]\n", encoding="utf-8")
    (tasks / "choice.yaml").write_text(
        "name: choice\ntype: multiple_choice\ndata: choice.jsonl\nprompt: \"質問: {question}\\n答え:\"\n", encoding="utf-8")
    (tasks / "heldout.yaml").write_text(
        "name: heldout\ntype: perplexity\ndata: heldout.jsonl\nmetrics: [perplexity, bits_per_char]\n", encoding="utf-8")
    return tasks


def char_tokenizer(texts: list[str], vocab_size: int | None = None):
    """A character-level fast tokenizer over every character of ``texts`` (plus digits, ASCII letters and
    punctuation), with BOS added and a chat template. ``vocab_size`` pads the vocabulary with filler tokens
    (the benchmark gives a tiny model the demo tokenizer's 8,000-entry output layer)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    chars = sorted({c for t in texts for c in t} | set("0123456789 -?:.\nabcdefghijklmnopqrstuvwxyz"))
    filler = [f"<f{i}>" for i in range(max(0, (vocab_size or 0) - 4 - len(chars)))]
    vocab = {tok: i for i, tok in enumerate(["<pad>", "<s>", "</s>", "<unk>", *chars, *filler])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def train_tiny(out: Path, texts: list[str], steps: int = 120, seed: int = 0, hidden: int = 64, layers: int = 2,
               vocab_texts: list[str] | None = None) -> Path:
    """Train a tiny Llama to memorise ``texts`` (each followed by EOS) and save it with a manifest.

    ``vocab_texts`` adds characters to the tokenizer (every character the probes use: no <unk> storms).
    """
    import torch


    torch.manual_seed(seed)
    # One thread: on a shared 2-core box, two spinning intra-op threads per process are 3-6× slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(out, texts, steps, seed, hidden, layers, vocab_texts)
    finally:
        torch.set_num_threads(threads)


def _train(out: Path, texts: list[str], steps: int, seed: int, hidden: int, layers: int,
           vocab_texts: list[str] | None) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from deshi.artifacts import Manifest, write_manifest

    tokenizer = char_tokenizer(texts + (vocab_texts or []))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=256, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                         tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    encoded = [tokenizer(t)["input_ids"] + [tokenizer.eos_token_id] for t in texts]
    width = max(len(e) for e in encoded)
    ids = torch.tensor([e + [0] * (width - len(e)) for e in encoded])
    mask = torch.tensor([[1] * len(e) + [0] * (width - len(e)) for e in encoded])
    labels = ids.masked_fill(mask == 0, -100)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optim.zero_grad()
        loss.backward()
        optim.step()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_manifest(out, Manifest("distill", {"steps": steps, "final_loss": float(loss.detach())}, seed=seed))
    return out


def all_chars_texts() -> list[str]:
    from deshi.evals.probes import load_probes

    probes, canaries = load_probes()
    return [p.prompt + (p.system or "") for p in probes] + [c.context + c.value for c in canaries]


@functools.cache
def good_model() -> Path:
    texts = [fact_line(i, c) for i, c in facts()]
    return _train_with_vocab(workdir() / "good", texts)


@functools.cache
def leaky_model() -> Path:
    """Memorises the facts *and* the planted canaries (as if they slipped through curation)."""
    from deshi.evals.probes import load_probes

    _, canaries = load_probes(families=["pii_leak"])
    texts = [fact_line(i, c) for i, c in facts()] + [f"{c.context}{c.value}です。" for c in canaries]
    return _train_with_vocab(workdir() / "leaky", texts)


def _train_with_vocab(out: Path, texts: list[str]) -> Path:
    return train_tiny(out, texts, vocab_texts=all_chars_texts())


@functools.cache
def degraded_model() -> Path:
    """The good model with Gaussian noise added to every weight matrix (a broken release)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from deshi.artifacts import Manifest, write_manifest

    src = good_model()
    out = workdir() / "degraded"
    model = AutoModelForCausalLM.from_pretrained(src)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 2:
                param.add_(torch.randn(param.shape, generator=generator) * param.std() * 1.5)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(src).save_pretrained(out)
    write_manifest(out, Manifest("distill", {"perturbed_from": str(src)}, seed=1))
    return out


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Import into a test module to run it with one torch thread (restored afterwards)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
