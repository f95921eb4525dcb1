"""Training, Hugging Face export parity, round trips, reserved symbols and bad-input errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sentencepiece as spm
from transformers import AutoTokenizer

from deshi.dataset import DatasetError
from deshi.tokenizer import symbols
from deshi.tokenizer.build import train_tokenizer
from deshi.tokenizer.errors import TokenizerError
from deshi.tokenizer.presegment import DELIMITER, morpheme_units, presegment
from deshi.tokenizer.train import TrainOptions, sample_documents
from tokenizer_helpers import EN_HELDOUT, JA_HELDOUT, TRICKY, compose_docs, write_jsonl

VARIED = TRICKY + JA_HELDOUT + EN_HELDOUT + compose_docs(40, seed=99)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "train.jsonl", compose_docs(400, seed=1))


@pytest.fixture(scope="module", params=[("unigram", False), ("bpe", False), ("unigram", True)], ids=["unigram", "bpe", "unigram-presegmented"])
def trained(request: pytest.FixtureRequest, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_type, presegment = request.param
    out = tmp_path_factory.mktemp(model_type)
    options = TrainOptions(japanese_charset=False, vocab_size=700, model_type=model_type, presegment=presegment)
    summary = train_tokenizer(corpus, out, options)
    assert summary.parity_mismatch == 0
    return out


def test_hf_ids_equal_sentencepiece_ids_on_varied_text(trained: Path) -> None:
    sp = spm.SentencePieceProcessor(model_file=str(trained / "sp.model"))
    hf = AutoTokenizer.from_pretrained(str(trained))
    for text in VARIED:
        assert hf.encode(text, add_special_tokens=False) == sp.encode(text), text


def test_round_trip_is_exact_including_whitespace_newlines_and_rare_characters(trained: Path) -> None:
    hf = AutoTokenizer.from_pretrained(str(trained))
    for text in VARIED:
        assert hf.decode(hf.encode(text, add_special_tokens=False)) == text


def test_reserved_symbols_are_single_tokens_with_the_configured_specials(trained: Path) -> None:
    hf = AutoTokenizer.from_pretrained(str(trained))
    for symbol in (*symbols.PII_PLACEHOLDERS, *symbols.CHAT_MARKERS, "\n"):
        ids = hf.encode(f"前{symbol}後", add_special_tokens=False)
        assert symbol in hf.convert_ids_to_tokens(ids), symbol
    assert (hf.unk_token, hf.bos_token, hf.eos_token, hf.pad_token) == ("<unk>", "<s>", "</s>", "<pad>")
    assert hf.pad_token_id == 3 and hf.unk_token_id == 0
    # digits are split one per piece so numbers tokenize consistently
    assert hf.convert_ids_to_tokens(hf.encode("2026", add_special_tokens=False)) == ["2", "0", "2", "6"]
    # byte fallback: a character never seen in training is bytes, not <unk>
    ids = hf.encode("鬱", add_special_tokens=False)
    assert hf.unk_token_id not in ids and hf.decode(ids) == "鬱"


def test_chat_template_renders_chatml_and_tokenizes_markers_as_one_token(trained: Path) -> None:
    hf = AutoTokenizer.from_pretrained(str(trained))
    messages = [{"role": "system", "content": "丁寧に答えて"}, {"role": "user", "content": "こんにちは"}]
    text = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>system\n丁寧に答えて<|im_end|>\n<|im_start|>user\nこんにちは<|im_end|>\n<|im_start|>assistant\n"
    ids = hf.encode(text, add_special_tokens=False)
    assert ids.count(hf.convert_tokens_to_ids("<|im_start|>")) == 3
    assert hf.decode(ids, skip_special_tokens=True) == "system\n丁寧に答えて\nuser\nこんにちは\nassistant\n"


def test_presegmentation_keeps_the_text_and_only_adds_boundaries() -> None:
    for text in ["東京都に住んでいます。", "  先頭の空白  と 途中の空白 ", "Python 3.11で動く"]:
        segmented = presegment(text)
        assert segmented.replace(DELIMITER, "") == text
        assert segmented.count(DELIMITER) >= 2
        assert "".join(morpheme_units(text)) == text


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
def test_presegmented_pieces_do_not_cross_word_boundaries(tmp_path: Path, model_type: str) -> None:
    # MeCab: 図書|館|から|住ん|で|い|ます|。 A presegmented model learns morphemes such as 住ん, ます,
    # 勉強 but never a piece spanning a boundary such as 館から; the raw-text model does learn those.
    nouns = ["東京", "大阪", "京都", "名古屋", "会社", "学校", "図書館", "病院", "公園"]
    particles = ["に", "で", "から", "へ", "まで"]
    verbs = ["住んでいます", "働いています", "行きます", "勉強しています", "歩きました", "帰ります"]
    rng = random.Random(0)
    docs = ["".join(rng.choice(nouns) + rng.choice(particles) + rng.choice(verbs) + "。" for _ in range(6)) for _ in range(400)]
    data = write_jsonl(tmp_path / "d.jsonl", docs)

    def multi_char_pieces(presegment: bool) -> set[str]:
        result = train_tokenizer(data, tmp_path / str(presegment), TrainOptions(japanese_charset=False, vocab_size=320 if model_type == "unigram" else 334, model_type=model_type, presegment=presegment)).result
        sp = spm.SentencePieceProcessor(model_proto=result.model_proto)
        pieces = (sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_control(i) and not sp.is_byte(i))
        return {p for p in pieces if len(p) > 1 and not p.startswith("<")}

    morphemes = {unit for doc in docs[:50] for unit in morpheme_units(doc)}

    def crosses(piece: str) -> bool:  # not inside any single morpheme: spans a word boundary
        return not any(piece in unit for unit in morphemes)

    presegmented = multi_char_pieces(True)
    assert {"ます", "勉強"} <= presegmented
    assert not any(crosses(p) for p in presegmented), presegmented
    assert any(crosses(p) for p in multi_char_pieces(False))


def test_sampling_is_seeded_and_bounded() -> None:
    docs = [f"文書{i}" for i in range(1000)]
    first, seen = sample_documents(iter(docs), 50, seed=7)
    again, _ = sample_documents(iter(docs), 50, seed=7)
    other, _ = sample_documents(iter(docs), 50, seed=8)
    assert seen == 1000 and len(first) == 50 and first == again and first != other
    assert sample_documents(iter(docs), None, 0)[0] == docs


def test_empty_dataset_is_a_clear_error(tmp_path: Path) -> None:
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(TokenizerError, match="no documents with text"):
        train_tokenizer(empty, tmp_path / "out", TrainOptions(japanese_charset=False, vocab_size=500))
    blank = write_jsonl(tmp_path / "blank.jsonl", ["   ", "\n\n"])
    with pytest.raises(TokenizerError, match="only whitespace"):
        train_tokenizer(blank, tmp_path / "out", TrainOptions(japanese_charset=False, vocab_size=500))


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        train_tokenizer(tmp_path / "nope.jsonl", tmp_path / "out", TrainOptions(japanese_charset=False, vocab_size=500))


def test_vocabulary_larger_than_the_data_supports_names_the_limit(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(TokenizerError, match=r"vocab_size 32000 is larger than the data supports .*at most \d+ pieces"):
        train_tokenizer(corpus, tmp_path / "out", TrainOptions(japanese_charset=False, vocab_size=32000))
    with pytest.raises(TokenizerError, match=r"too small .* need \d+ ids"):
        train_tokenizer(corpus, tmp_path / "out", TrainOptions(japanese_charset=False, vocab_size=300))


def test_reserved_placeholders_match_the_pii_redaction_spelling() -> None:
    expected = {"<PHONE>", "<EMAIL>", "<MY_NUMBER>", "<CORPORATE_NUMBER>", "<POSTAL_CODE>", "<ADDRESS>", "<IP>", "<CARD>", "<NAME>"}
    assert set(symbols.PII_PLACEHOLDERS) == expected
    reserved = symbols.user_defined_symbols()
    assert reserved[:2] == ["<|im_start|>", "<|im_end|>"] and reserved[-1] == "\n" and len(reserved) == len(set(reserved)) == 12


def test_japanese_charset_keeps_unseen_everyday_kanji_as_single_pieces(corpus: Path, tmp_path: Path) -> None:
    summary = train_tokenizer(corpus, tmp_path / "cs", TrainOptions(vocab_size=3550))
    sp = spm.SentencePieceProcessor(model_proto=summary.result.model_proto)
    training_text = "".join(compose_docs(400, seed=1))
    for char in "梅湿粗蔵":  # JIS level-1 kanji that the training corpus never shows
        assert char not in training_text
        assert sp.encode(char, out_type=str) == [char]
    assert len(sp.encode("鬱")) == 3  # level-2 kanji, unseen: byte fallback (3 UTF-8 bytes)
