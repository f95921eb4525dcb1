"""SentencePiece model -> Hugging Face fast tokenizer directory with the *same* ids.

Hand-built instead of ``transformers.convert_slow_tokenizer.LlamaConverter`` because that converter
assumes Llama's options (a dummy prefix ``▁`` prepended, ``legacy`` quirks, a Strip decoder) while
deshi trains without a dummy prefix and without whitespace folding so ``decode(encode(x)) == x``.
The pieces below mirror what SentencePiece does at encode time:

* normaliser: only ``" " -> "▁"`` (the SentencePiece model uses the identity rule, the data is
  already normalised by the curate stage);
* no pre-tokeniser: SentencePiece runs Viterbi (Unigram) or merges (BPE) over the whole string,
  pieces simply never contain an inner ``▁``; splitting here would change results for whitespace-only
  pieces such as ``▁▁▁▁``;
* user-defined symbols (chat markers, PII placeholders, ``\\n``) become added tokens, matched before
  the model exactly as SentencePiece's prefix matcher does;
* decoder: ``▁ -> " "``, byte-fallback pieces ``<0xE6>`` fused back into UTF-8.

``tests/test_tokenizer_train.py`` asserts id equality with ``sentencepiece`` on varied text.
"""

from __future__ import annotations

from pathlib import Path

from sentencepiece import sentencepiece_model_pb2 as sp_pb2
from tokenizers import AddedToken, Tokenizer, decoders, normalizers
from tokenizers.models import BPE, Unigram

from deshi.tokenizer import symbols
from deshi.tokenizer.errors import TokenizerError

# SentencePiece piece types (sentencepiece_model.proto): 2 unknown, 3 control, 4 user defined, 6 byte.
_UNKNOWN, _CONTROL, _USER_DEFINED = 2, 3, 4
_SPECIAL_USER_SYMBOLS = set(symbols.CHAT_MARKERS)


def load_proto(model_proto: bytes) -> sp_pb2.ModelProto:
    proto = sp_pb2.ModelProto()
    proto.ParseFromString(model_proto)
    return proto


def sp_to_tokenizers(model_proto: bytes) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that encodes and decodes exactly like the SentencePiece model."""
    proto = load_proto(model_proto)
    if proto.normalizer_spec.add_dummy_prefix or proto.normalizer_spec.remove_extra_whitespaces:
        raise TokenizerError("only SentencePiece models trained without add_dummy_prefix/remove_extra_whitespaces can be exported")
    if proto.normalizer_spec.name not in ("identity", ""):
        raise TokenizerError(f"only identity-normalised SentencePiece models can be exported (got {proto.normalizer_spec.name})")
    pieces = [(p.piece, p.score) for p in proto.pieces]
    unk_id = next(i for i, p in enumerate(proto.pieces) if p.type == _UNKNOWN)
    model_type = proto.trainer_spec.model_type
    if model_type == sp_pb2.TrainerSpec.UNIGRAM:
        model = Unigram(pieces, unk_id=unk_id, byte_fallback=True)
    elif model_type == sp_pb2.TrainerSpec.BPE:
        from transformers.tokenization_utils_base import generate_merges

        vocab = {piece: index for index, (piece, _) in enumerate(pieces)}
        # SentencePiece BPE pieces are sorted by merge order, so the id is the merge rank.
        skip = {p.piece for p in proto.pieces if p.type in (_CONTROL, _USER_DEFINED, _UNKNOWN)}
        merges = generate_merges(vocab, skip_tokens=skip)
        model = BPE(vocab, merges, unk_token=proto.pieces[unk_id].piece, fuse_unk=True, byte_fallback=True)
    else:
        raise TokenizerError("only unigram and bpe SentencePiece models can be exported")
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Replace(" ", "▁")
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    added = []
    for piece in proto.pieces:
        if piece.type == _CONTROL or piece.type == _UNKNOWN:
            added.append(AddedToken(piece.piece, special=True, normalized=False))
        elif piece.type == _USER_DEFINED:
            added.append(AddedToken(piece.piece, special=piece.piece in _SPECIAL_USER_SYMBOLS, normalized=False))
    tokenizer.add_special_tokens([t for t in added if t.special])
    tokenizer.add_tokens([t for t in added if not t.special])
    return tokenizer


def save_hf_tokenizer(model_proto: bytes, out_dir: Path, model_max_length: int = 4096) -> None:
    """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json into ``out_dir``."""
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=sp_to_tokenizers(model_proto),
        unk_token=symbols.UNK,
        bos_token=symbols.BOS,
        eos_token=symbols.EOS,
        pad_token=symbols.PAD,
        extra_special_tokens=list(symbols.CHAT_MARKERS),
        clean_up_tokenization_spaces=False,
        model_max_length=model_max_length,
        chat_template=symbols.CHAT_TEMPLATE,
    )
    fast.save_pretrained(str(out_dir))
    _portable_config(Path(out_dir))


def _portable_config(out_dir: Path) -> None:
    """Make the directory loadable by transformers 4.x too (vLLM, TGI pin older releases).

    transformers 5 writes ``tokenizer_class: TokenizersBackend`` and the chat template only to
    ``chat_template.jinja``; older readers need the class name they know, the template inline and a
    ``special_tokens_map.json``.
    """
    import json

    config_path = out_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config["chat_template"] = symbols.CHAT_TEMPLATE
    config["additional_special_tokens"] = list(symbols.CHAT_MARKERS)
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    special = {
        "unk_token": symbols.UNK,
        "bos_token": symbols.BOS,
        "eos_token": symbols.EOS,
        "pad_token": symbols.PAD,
        "additional_special_tokens": list(symbols.CHAT_MARKERS),
    }
    (out_dir / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n", encoding="utf-8")
