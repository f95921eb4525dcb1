"""``CurateConfig``: every knob of ``deshi curate``, one pydantic model, loadable from YAML.

Each CLI flag of ``deshi curate run`` maps to a field here (``--workers`` → ``workers``, …) and the
pipeline stage uses the same model under ``stages.curate`` in pipeline.yaml.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PIIAction = Literal["replace", "mask", "drop", "keep"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NormaliseConfig(_Section):
    enabled: bool = Field(True, description="Run the normalise step.")
    nfkc: bool = Field(True, description="Unicode NFKC (full-width ASCII → half-width, half-width kana → full-width).")
    strip_control: bool = Field(True, description="Remove control and zero-width characters (keeps newline and tab).")
    collapse_whitespace: bool = Field(True, description="Collapse runs of spaces, strip line ends, at most one blank line.")
    strip_html: bool = Field(True, description="Remove HTML tags, comments and <script>/<style> blocks; unescape entities.")


class LanguageConfig(_Section):
    enabled: bool = Field(True, description="Run the Japanese language filter.")
    min_japanese_share: float = Field(
        0.5, ge=0, le=1, description="Minimum share of hiragana+katakana+kanji among letters (digits/punctuation ignored)."
    )
    min_kana_share: float = Field(
        0.05, ge=0, le=1, description="Minimum share of hiragana+katakana among letters (tells Japanese from Chinese)."
    )


class QualityConfig(_Section):
    enabled: bool = Field(True, description="Run the quality filter.")
    min_chars: int = Field(30, ge=0, description="Drop documents shorter than this (characters, after normalising).")
    max_chars: int = Field(200_000, ge=1, description="Drop documents longer than this.")
    char_ngram: int = Field(5, ge=1, description="n of the character n-grams for the repetition ratio.")
    max_char_repetition: float = Field(
        0.33, ge=0, le=1, description="Drop when the top sqrt(#distinct) n-grams cover more than this share (BigScience/HojiChar)."
    )
    max_duplicate_line_ratio: float = Field(
        0.3, ge=0, le=1, description="Drop when more than this share of non-empty lines are repeats of an earlier line."
    )
    max_symbol_ratio: float = Field(0.25, ge=0, le=1, description="Drop when symbols (not letters, digits, spaces, 。、) exceed this share.")
    max_ad_keywords: int | None = Field(
        3, ge=0, description="Drop when more than this many distinct advertising/boilerplate keywords occur (HojiChar's list + ours); null turns the rule off."
    )
    max_mojibake_ratio: float = Field(
        0.02, ge=0, le=1, description="Drop when more than this share of characters are mojibake (U+FFFD, Latin-1, 縺繧繝 …)."
    )


class ContentConfig(_Section):
    enabled: bool = Field(True, description="Run the content (word list) filter.")
    categories: list[Literal["adult", "discrimination", "violence"]] = Field(
        default_factory=lambda: ["adult", "discrimination", "violence"], description="Which bundled lists to use."
    )
    extra_words: list[str] = Field(default_factory=list, description="More words to drop on (same matching rules).")
    words_file: str | None = Field(None, description="A UTF-8 file with one extra word per line ('#' comments).")
    allow_words: list[str] = Field(default_factory=list, description="Bundled words to ignore (e.g. domain jargon).")
    max_hits: int = Field(0, ge=0, description="Drop when more than this many listed words match (0: any match drops).")


class PIIConfig(_Section):
    enabled: bool = Field(True, description="Run the PII step.")
    default_action: PIIAction = Field("replace", description="Action for PII types not listed in `actions`.")
    actions: dict[str, PIIAction] = Field(
        default_factory=lambda: {"CORPORATE_NUMBER": "keep"},
        description="Per-type action: replace (typed placeholder), mask, drop (the document) or keep. Default keeps corporate numbers (public register).",
    )


class DedupConfig(_Section):
    exact: bool = Field(True, description="Drop exact duplicates (hash of the final normalised, redacted text), keeping the first.")
    near: bool = Field(True, description="Drop near duplicates (MinHash LSH candidates verified by exact Jaccard), keeping the first of each cluster.")
    threshold: float = Field(0.8, gt=0, le=1, description="Jaccard similarity of character shingles that counts as duplicate.")
    ngram: int = Field(5, ge=1, description="Character shingle size.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash signature length.")
    bands: int | None = Field(None, ge=1, description="LSH bands (default: chosen from threshold and num_perm).")
    seed: int = Field(42, description="MinHash seed (a different seed gives different, equally valid signatures).")


class CurateConfig(_Section):
    """All settings of the curation pipeline (steps in order: normalise, language, quality, content, pii, dedup)."""

    workers: int = Field(1, ge=1, description="Worker processes for phase 1 (filters, PII, signatures).")
    engine: Literal["local", "ray"] = Field("local", description="local: process pool; ray: Ray Data (needs deshi[ray]).")
    output_format: Literal["jsonl", "jsonl.gz", "parquet"] = Field("jsonl", description="Format of data/part-*.")
    shard_size: int = Field(5000, ge=1, description="Documents per output shard (data/part-*): the unit of resume and memory.")
    unit_size: int = Field(1000, ge=1, description="With workers > 1, output shards are split into work units of about this many documents so the processes finish together (plain JSONL input; the output is the same for any value).")
    text_field: str = Field("text", description="Input field that holds the text.")
    id_field: str = Field("id", description="Input field that holds the document id (default: file:line).")
    encoding: str = Field("utf-8", description="Byte encoding of JSONL input: utf-8, or e.g. cp932 (Windows Shift_JIS), shift_jis, euc-jp; lines that do not decode are quarantined.")
    keep_fields: list[str] = Field(default_factory=list, description="Other input fields carried into each document's meta (e.g. url, title). Not redacted: list only fields without personal data.")
    write_rejected: bool = Field(True, description="Write rejected.jsonl: id, step and reason of every dropped document.")
    keep_work: bool = Field(False, description="Keep the intermediate .work directory after a successful run.")
    normalise: NormaliseConfig = Field(default_factory=NormaliseConfig)
    language: LanguageConfig = Field(default_factory=LanguageConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    content: ContentConfig = Field(default_factory=ContentConfig)
    pii: PIIConfig = Field(default_factory=PIIConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        from deshi.data.io import check_encoding

        return check_encoding(value)
