"""Small corpora and a tiny HF model for the tokenizer tests (built in seconds, no downloads)."""

from __future__ import annotations

import json
import random
from pathlib import Path

DATA = Path(__file__).parent / "data"


def _paragraphs(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


JA_SENTENCES = _paragraphs("ja_train_sentences.txt")
JA_HELDOUT = _paragraphs("ja_independent.txt")
EN_HELDOUT = _paragraphs("en_independent.txt")
EN_SENTENCES = [
    "The report is due on Friday.",
    "Please restart the server after the update.",
    "Our team shipped version 2.4 last week.",
    "Contact support if the problem persists.",
]

# Text that stresses exact round trips and HF/SentencePiece parity: whitespace runs, tabs, newlines,
# digits, symbols, emoji, half-width katakana, rare kanji (byte fallback) and reserved symbols.
TRICKY = [
    "  先頭に空白が二つ、末尾にも空白  ",
    "改行\n\nが二つ\tタブも\t\tあります\n",
    "電話は<PHONE>、メールは<EMAIL>です。<NAME>様より",
    "<|im_start|>user\nこんにちは<|im_end|>\n<|im_start|>assistant\n",
    "価格は1,234,567円（税込）、割引率は12.5%です。",
    "絵文字😀🎌も使えます🍣🍺！",
    "ｶﾀｶﾅ半角と全角カタカナ、そして龘靐齉の珍しい漢字。",
    "def f(x):\n    return x ** 2  # コメント\n",
    "Mixed English and 日本語 text, with   three spaces.",
    "\n先頭の改行",
    "最後の空白 ",
    "123456789012345678901234567890",
    "ÀÉÎõü ñ ß Ωμέγα Привет مرحبا",
]


def compose_docs(n_docs: int, seed: int = 0) -> list[str]:
    """Documents of 3-8 pool sentences with numbers, English, placeholders and newlines mixed in."""
    rng = random.Random(seed)
    docs = []
    placeholders = ["<PHONE>", "<EMAIL>", "<NAME>", "<ADDRESS>"]
    for _ in range(n_docs):
        parts = []
        for _ in range(rng.randint(3, 8)):
            roll = rng.random()
            if roll < 0.1:
                parts.append(rng.choice(EN_SENTENCES))
            elif roll < 0.2:
                parts.append(f"注文番号は{rng.randint(1000, 999999)}、金額は{rng.randint(100, 99999)}円です。")
            elif roll < 0.25:
                parts.append(f"連絡先: {rng.choice(placeholders)}")
            else:
                parts.append(rng.choice(JA_SENTENCES))
        docs.append(("\n" if rng.random() < 0.3 else "").join(parts))
    return docs


def write_jsonl(path: Path, texts: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for index, text in enumerate(texts):
            handle.write(json.dumps({"id": f"d{index}", "text": text, "meta": {}}, ensure_ascii=False) + "\n")
    return path


def build_tiny_base(out_dir: Path, tie: bool = True, vocab_size: int = 400, seed: int = 0) -> Path:
    """An English-centric base: byte-level BPE trained mostly on English + tiny LlamaForCausalLM."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(EN_SENTENCES * 20 + EN_HELDOUT * 5 + JA_SENTENCES[:3], trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         tie_word_embeddings=tie, bos_token_id=0, eos_token_id=1)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(out_dir))
    fast.save_pretrained(str(out_dir))
    return out_dir
