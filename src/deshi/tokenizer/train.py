"""Train a Japanese-aware SentencePiece tokenizer on a dataset and export it for Hugging Face.

Why SentencePiece: it is what Japanese tokenizers (llm-jp, rinna, Swallow's extension) are built
with, it handles text without spaces, and with ``byte_fallback`` no input is ever ``<unk>``. BPE is the
default model type and Unigram the alternative, chosen by measurement (docs/tokenizer.md). Options are
chosen so the round trip is exact: identity normalisation (the data is already NFKC-normalised by
the curate stage), no dummy prefix, no whitespace folding; digits are split one per piece so numbers
tokenize consistently.
"""

from __future__ import annotations

import io
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deshi.dataset import iter_texts
from deshi.log import get_logger
from deshi.tokenizer import symbols
from deshi.tokenizer.charset import japanese_required_chars
from deshi.tokenizer.errors import TokenizerError
from deshi.tokenizer.presegment import morpheme_units

log = get_logger(__name__)

# SentencePiece skips training lines longer than max_sentence_length bytes; we cut long lines into
# chunks instead so nothing is silently ignored (4 bytes per char worst case, plus delimiters).
MAX_CHUNK_CHARS = 2000
MAX_SENTENCE_BYTES = MAX_CHUNK_CHARS * 8


@dataclass
class TrainOptions:
    vocab_size: int = 32000
    model_type: str = "bpe"  # or "unigram"; BPE measured better on held-out text (docs/tokenizer.md)
    presegment: bool = False  # measured: MeCab short units cap pieces at ~1.5 chars (docs/tokenizer.md)
    sample_docs: int | None = 200_000
    max_sentences: int = 3_000_000
    character_coverage: float = 0.9995
    japanese_charset: bool = True  # kana + JIS level-1 kanji always single pieces (charset.py)
    seed: int = 0
    num_threads: int = 2


@dataclass
class TrainResult:
    model_proto: bytes
    documents: int
    documents_seen: int
    characters: int
    lines: int
    timings: dict[str, float] = field(default_factory=dict)
    docs: list[str] = field(default_factory=list, repr=False)  # the sample, for a peer trained on the same data


def sample_documents(texts: Iterable[str], limit: int | None, seed: int) -> tuple[list[str], int]:
    """Reservoir sample of ``limit`` documents in one streaming pass (all of them when limit is None).

    Keeps memory bounded by the sample for corpora far larger than RAM; returns (sample, seen).
    """
    rng = random.Random(seed)
    sample: list[str] = []
    seen = 0
    for text in texts:
        seen += 1
        if limit is None or len(sample) < limit:
            sample.append(text)
        else:
            slot = rng.randrange(seen)
            if slot < limit:
                sample[slot] = text
    return sample, seen


def training_lines(docs: Iterable[str]) -> Iterator[str]:
    """Documents -> SentencePiece training lines (split at newlines, long lines chunked).

    Newlines are not lost: ``\\n`` is a user-defined symbol, always its own piece.
    """
    for doc in docs:
        for line in doc.split("\n"):
            if not line.strip():
                continue
            for start in range(0, len(line), MAX_CHUNK_CHARS):
                yield line[start : start + MAX_CHUNK_CHARS]


def morpheme_counts(lines: Iterable[str]) -> Counter[str]:
    """How often each morpheme (with its leading whitespace) occurs: the pre-segmented training set.

    SentencePiece then trains on morphemes as weighted "sentences" (``input_format=tsv``), so no
    piece can cross a word boundary, and EM runs over unique morphemes instead of every line, which
    is also much faster on large corpora. Tabs are dropped (they cannot be inside a TSV field; a
    tab still encodes through byte fallback).
    """
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(unit.replace("\t", "") for unit in morpheme_units(line))
    counts.pop("", None)
    return counts


def seed_pieces(counts: Counter[str], limit: int = 1_000_000, max_len: int = 16) -> list[tuple[str, int]]:
    """Candidate pieces for Unigram EM: every substring of every morpheme, weighted by frequency.

    Hand-written because SentencePiece's own seeding keeps only substrings that are followed by at
    least two different characters (suffix-array branching nodes). A morpheme that is its own
    training "sentence" is always followed by the sentence end, so ``会社`` or ``勉強`` would
    never become a candidate and the model would stay at single characters.
    """
    seeds: Counter[str] = Counter()
    for unit, count in counts.items():
        piece = unit.replace(" ", "▁")
        n = len(piece)
        for start in range(n):
            for end in range(start + 2, min(n, start + max_len) + 1):
                seeds[piece[start:end]] += count
    ranked = sorted(seeds.items(), key=lambda item: (-item[1] * len(item[0]), item[0]))
    return ranked[:limit]


def train_sentencepiece(lines: list[str], options: TrainOptions, stats: str = "") -> bytes:
    """Run the SentencePiece trainer in memory; translate its size errors into actionable ones.

    With ``presegment`` the lines are cut into MeCab morphemes and SentencePiece sees
    a weighted morpheme list (plus explicit seed pieces for Unigram, see ``seed_pieces``).
    """
    import sentencepiece as spm

    if options.model_type not in ("unigram", "bpe"):
        raise TokenizerError(f"model_type must be 'unigram' or 'bpe' (got {options.model_type!r})")
    model = io.BytesIO()
    kwargs = dict(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type=options.model_type,
        vocab_size=options.vocab_size,
        character_coverage=options.character_coverage,
        byte_fallback=True,
        split_digits=True,
        normalization_rule_name="identity",
        add_dummy_prefix=False,
        remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True,
        # False: pieces may include Japanese punctuation (しました。, 、) and SentencePiece can seed
        # sentence-final phrases; with True, 。 and 、 are always separate tokens (-35% chars/token measured
        # on the demo held-out set, see docs/tokenizer.md).
        split_by_unicode_script=False,
        max_sentence_length=MAX_SENTENCE_BYTES,
        input_sentence_size=options.max_sentences,
        shuffle_input_sentence=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=3,
        unk_piece=symbols.UNK,
        bos_piece=symbols.BOS,
        eos_piece=symbols.EOS,
        pad_piece=symbols.PAD,
        user_defined_symbols=symbols.user_defined_symbols(),
        required_chars=japanese_required_chars() if options.japanese_charset else "",
        num_threads=options.num_threads,
        minloglevel=2,
    )
    spm.set_random_generator_seed(options.seed)  # shuffling of input sentences is seeded
    with tempfile.TemporaryDirectory(prefix="deshi-spm-") as tmp:
        if options.presegment:
            counts = morpheme_counts(lines)
            kwargs["sentence_iterator"] = iter([f"{unit}\t{count}" for unit, count in sorted(counts.items())])
            kwargs["input_format"] = "tsv"
            kwargs["shuffle_input_sentence"] = False
            kwargs["input_sentence_size"] = 0
            if options.model_type == "unigram":  # BPE builds pieces by merging; it needs no seeds
                seeds_path = Path(tmp) / "seeds.tsv"
                with open(seeds_path, "w", encoding="utf-8") as handle:
                    for piece, count in seed_pieces(counts):
                        handle.write(f"{piece}\t{count}\n")
                kwargs["seed_sentencepieces_file"] = str(seeds_path)
        try:
            spm.SentencePieceTrainer.train(**kwargs)
        except RuntimeError as exc:
            raise _explain(str(exc), options, stats) from None
    return model.getvalue()


def _explain(message: str, options: TrainOptions, stats: str) -> TokenizerError:
    high = re.search(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)", message)
    if high:
        return TokenizerError(
            f"vocab_size {options.vocab_size} is larger than the data supports ({stats}): at most "
            f"{high.group(2)} pieces can be learned from it; lower --vocab-size or train on more text"
        )
    low = re.search(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)", message)
    if low:
        return TokenizerError(
            f"vocab_size {options.vocab_size} is too small for this data ({stats}): its characters and "
            f"reserved symbols alone need {low.group(2)} ids; raise --vocab-size, lower character_coverage"
            + (" or turn off japanese_charset (--no-japanese-charset), which reserves ~3,100 kana and kanji"
               if options.japanese_charset else "")
        )
    return TokenizerError(f"SentencePiece training failed: {message.splitlines()[-1] if message else 'unknown error'}")


def train_from_dataset(dataset: Path | str, options: TrainOptions) -> TrainResult:
    """Sample documents from a dataset, build training lines and train. Raises on empty datasets."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    docs, seen = sample_documents(iter_texts(dataset), options.sample_docs, options.seed)
    timings["read_s"] = time.perf_counter() - started
    if not docs:
        raise TokenizerError(f"dataset {dataset} has no documents with text; nothing to train a tokenizer on")
    characters = sum(len(d) for d in docs)
    started = time.perf_counter()
    lines = list(training_lines(docs))
    timings["split_s"] = time.perf_counter() - started
    if not lines:
        raise TokenizerError(f"dataset {dataset} has only whitespace text; nothing to train a tokenizer on")
    stats = f"{len(docs)} documents, {characters} characters"
    log.info("training %s tokenizer: vocab %d on %s", options.model_type, options.vocab_size, stats)
    started = time.perf_counter()
    proto = train_sentencepiece(lines, options, stats)
    timings["train_s"] = time.perf_counter() - started
    return TrainResult(proto, len(docs), seen, characters, len(lines), timings, docs)


def write_tokenizer_dir(result: TrainResult, out_dir: Path, model_max_length: int = 4096) -> None:
    """``sp.model`` plus the Hugging Face files (``AutoTokenizer.from_pretrained(out_dir)`` loads it)."""
    from deshi.tokenizer.hf_export import save_hf_tokenizer

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sp.model").write_bytes(result.model_proto)
    save_hf_tokenizer(result.model_proto, out_dir, model_max_length)
