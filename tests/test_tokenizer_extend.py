"""Vocabulary extension: unchanged text keeps identical logits, new rows are the mean of their pieces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from deshi.tokenizer.build import train_tokenizer
from deshi.tokenizer.errors import TokenizerError
from deshi.tokenizer.extend import ExtendOptions, extend_tokenizer_and_model
from deshi.tokenizer.train import TrainOptions
from tokenizer_helpers import EN_HELDOUT, JA_HELDOUT, build_tiny_base, compose_docs, write_jsonl


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("ext") / "ja.jsonl", compose_docs(300, seed=5))


def _logits(model: torch.nn.Module, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


@pytest.mark.parametrize("tie", [True, False])
def test_byte_level_bpe_extension_keeps_old_logits_and_shortens_japanese(dataset: Path, tmp_path: Path, tie: bool) -> None:
    base = build_tiny_base(tmp_path / "base", tie=tie)
    out = tmp_path / "extended"
    summary = extend_tokenizer_and_model(base, dataset, out, ExtendOptions(new_tokens=150))
    assert len(summary.added) == 150 and summary.model_type == "BPE"

    old_tok, new_tok = AutoTokenizer.from_pretrained(str(base)), AutoTokenizer.from_pretrained(str(out))
    old_model, new_model = AutoModelForCausalLM.from_pretrained(str(base)), AutoModelForCausalLM.from_pretrained(str(out))
    assert len(new_tok) == len(old_tok) + 150
    assert new_model.get_input_embeddings().weight.shape[0] == len(new_tok)
    assert new_model.config.tie_word_embeddings == tie

    for text in EN_HELDOUT:  # English: the new (Japanese) tokens do not apply, tokenization is unchanged
        ids = old_tok.encode(text)
        assert new_tok.encode(text) == ids
        old, new = _logits(old_model, ids), _logits(new_model, ids)
        assert torch.equal(new[..., : old.shape[-1]], old)
    ja_old = sum(len(old_tok.encode(t)) for t in JA_HELDOUT)
    ja_new = sum(len(new_tok.encode(t)) for t in JA_HELDOUT)
    assert ja_new < 0.8 * ja_old
    for text in JA_HELDOUT + EN_HELDOUT:
        assert new_tok.decode(new_tok.encode(text)) == text

    old_in = old_model.get_input_embeddings().weight
    new_in = new_model.get_input_embeddings().weight
    old_out = old_model.get_output_embeddings().weight
    new_out = new_model.get_output_embeddings().weight
    for new in summary.added:
        piece_ids = [t.id for t in old_tok.backend_tokenizer.model.tokenize(new.token)]
        assert piece_ids == new.pieces and len(piece_ids) >= 2
        assert torch.allclose(new_in[new.id], old_in[piece_ids].mean(0), atol=0, rtol=0)
        assert torch.allclose(new_out[new.id], old_out[piece_ids].mean(0), atol=0, rtol=0)
    recorded = json.loads((out / "new_tokens.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in recorded] == [n.id for n in summary.added]


def test_mean_of_all_initialisation(dataset: Path, tmp_path: Path) -> None:
    base = build_tiny_base(tmp_path / "base", tie=True)
    summary = extend_tokenizer_and_model(base, dataset, tmp_path / "out", ExtendOptions(new_tokens=20, init="mean-of-all"))
    old = AutoModelForCausalLM.from_pretrained(str(base)).get_input_embeddings().weight
    new = AutoModelForCausalLM.from_pretrained(str(tmp_path / "out")).get_input_embeddings().weight
    for token in summary.added:
        assert torch.allclose(new[token.id], old.mean(0), atol=1e-6)


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_extension_of_a_deshi_sentencepiece_tokenizer(dataset: Path, tmp_path: Path, model_type: str) -> None:
    base = tmp_path / "base"
    options = TrainOptions(vocab_size=700, model_type=model_type, character_coverage=0.98, japanese_charset=False)
    train_tokenizer(write_jsonl(tmp_path / "small.jsonl", compose_docs(150, seed=8)), base, options)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(str(base))
    out = tmp_path / "out"
    summary = extend_tokenizer_and_model(base, dataset, out, ExtendOptions(new_tokens=60))
    assert summary.model_type == {"unigram": "Unigram", "bpe": "BPE"}[model_type] and len(summary.added) == 60
    new_tok = AutoTokenizer.from_pretrained(str(out))
    old_model, new_model = AutoModelForCausalLM.from_pretrained(str(base)), AutoModelForCausalLM.from_pretrained(str(out))
    unchanged = 0
    for text in EN_HELDOUT + JA_HELDOUT:
        ids_old, ids_new = tokenizer.encode(text), new_tok.encode(text)
        assert new_tok.decode(ids_new) == text
        if ids_old == ids_new:
            unchanged += 1
            old, new = _logits(old_model, ids_old), _logits(new_model, ids_new)
            assert torch.equal(new[..., : old.shape[-1]], old)
    assert unchanged >= 1
    assert sum(len(new_tok.encode(t)) for t in JA_HELDOUT) < sum(len(tokenizer.encode(t)) for t in JA_HELDOUT)


def test_base_model_without_tokenizer_is_a_clear_error(dataset: Path, tmp_path: Path) -> None:
    base = build_tiny_base(tmp_path / "base")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        (base / name).unlink(missing_ok=True)
    with pytest.raises(TokenizerError, match="has no tokenizer"):
        extend_tokenizer_and_model(base, dataset, tmp_path / "out", ExtendOptions(new_tokens=5))
    with pytest.raises(TokenizerError, match="does not exist"):
        extend_tokenizer_and_model(tmp_path / "missing", dataset, tmp_path / "out", ExtendOptions(new_tokens=5))


def test_empty_dataset_for_extension_is_a_clear_error(tmp_path: Path) -> None:
    base = build_tiny_base(tmp_path / "base")
    with pytest.raises(TokenizerError, match="no documents with text"):
        extend_tokenizer_and_model(base, write_jsonl(tmp_path / "e.jsonl", []), tmp_path / "out", ExtendOptions(new_tokens=5))
