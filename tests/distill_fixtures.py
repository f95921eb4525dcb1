"""Tiny tokenizer and Llama models for the distillation tests (built in well under a second)."""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "ポンプA-12の点検間隔は6か月です。",
    "冷却塔B-3の点検間隔は3か月です。",
    "受付時間は平日9時から17時までです。",
    "東京本社の会議室は予約制です。",
    "新しい経費精算システムは来月から使えます。",
    "安全靴の着用は工場内で必須です。",
    "問い合わせは総務部までお願いします。",
    "大阪工場のボイラーC-7の点検間隔は12か月です。",
]


def tiny_tokenizer(vocab_size: int = 320):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(SENTENCES * 4 + ["質問: 回答: "], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="</s>", bos_token="<s>", pad_token="<pad>", unk_token="<unk>"
    )


def tiny_llama(vocab_size: int, hidden: int = 32, layers: int = 2, seed: int = 0, tie: bool = False):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=tie,
        bos_token_id=2,
        eos_token_id=3,
        pad_token_id=0,
    )
    return LlamaForCausalLM(config)


def save_model(model, tokenizer, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def synthetic_set(path: Path, n: int = 40) -> Path:
    """A small synthetic set in the generate stage's record format."""
    import json

    path.mkdir(parents=True, exist_ok=True)
    data = path / "data"
    data.mkdir(exist_ok=True)
    rows = []
    for i in range(n):
        s = SENTENCES[i % len(SENTENCES)]
        rows.append({"id": f"s{i}", "text": s, "prompt": f"次の文を繰り返してください。{s}", "response": s, "meta": {"task": "copy"}})
    (data / "synthetic.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def single_thread():
    """Small models on a shared 2-core box run far faster on one thread (no OpenMP oversubscription)."""
    import torch

    torch.set_num_threads(1)
