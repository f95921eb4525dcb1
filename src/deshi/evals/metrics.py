"""Per-example metrics as small pure named functions, and bootstrap standard errors.

Every metric maps one (prediction, example) pair to a float in [0, 1] and is chosen by name from a
task YAML (like mergekit's merge methods). Text metrics work on NFKC-normalised *characters*:
Japanese has no spaces, so word-level F1/ROUGE (as in SQuAD or rouge-score) would treat a whole
sentence as one token. Character F1 and character ROUGE-L are the usual choice in JGLUE/JaQuAD-style
evaluation. They are hand-written here because rouge-score tokenises on whitespace and ASCII only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from deshi.errors import DeshiError

_PUNCT_SPACE = re.compile(r"[\s\u3000。、．，,.!！?？「」『』（）()\[\]【】・:：;；\"'`]+")


class MetricError(DeshiError):
    """An unknown metric name or a metric missing the field it needs."""


def normalize(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms), lower-case, drop spaces and punctuation."""
    return _PUNCT_SPACE.sub("", unicodedata.normalize("NFKC", text or "").lower())


def _targets(example: Mapping[str, Any]) -> list[str]:
    target = example.get("answer")
    if isinstance(target, list):
        return [str(t) for t in target]
    return [] if target is None else [str(target)]


def exact_match(prediction: str, example: Mapping[str, Any]) -> float:
    """1.0 when the normalised prediction equals any normalised reference answer."""
    pred = normalize(prediction)
    return float(any(pred == normalize(t) for t in _targets(example)))


def contains_answer(prediction: str, example: Mapping[str, Any]) -> float:
    """1.0 when a normalised reference occurs inside the normalised prediction (lenient QA scoring)."""
    pred = normalize(prediction)
    return float(any(normalize(t) and normalize(t) in pred for t in _targets(example)))


def _char_f1(pred: str, ref: str) -> float:
    if not pred and not ref:
        return 1.0
    if not pred or not ref:
        return 0.0
    return _f1(sum((Counter(pred) & Counter(ref)).values()), len(pred), len(ref))


def _f1(overlap: int, predicted: int, reference: int) -> float:
    """Harmonic mean of overlap/predicted (precision) and overlap/reference (recall)."""
    if overlap == 0:
        return 0.0
    precision, recall = overlap / predicted, overlap / reference
    return 2 * precision * recall / (precision + recall)


def char_f1(prediction: str, example: Mapping[str, Any]) -> float:
    """Bag-of-characters F1 against the best-matching reference (SQuAD F1 with characters as tokens)."""
    pred = normalize(prediction)
    return max((_char_f1(pred, normalize(t)) for t in _targets(example)), default=0.0)


def _lcs_length(a: str, b: str) -> int:
    """Longest common subsequence length, O(len(a)·len(b)) time with one row of memory."""
    if len(a) < len(b):
        a, b = b, a
    row = [0] * (len(b) + 1)
    for ch in a:
        prev_diag = 0
        for j, other in enumerate(b, 1):
            current = row[j]
            row[j] = prev_diag + 1 if ch == other else max(row[j], row[j - 1])
            prev_diag = current
    return row[-1]


def _rouge_l(pred: str, ref: str) -> float:
    if not pred or not ref:
        return float(pred == ref)
    return _f1(_lcs_length(pred, ref), len(pred), len(ref))


def rouge_l(prediction: str, example: Mapping[str, Any]) -> float:
    """Character-level ROUGE-L F-measure (LCS-based) against the best-matching reference."""
    pred = normalize(prediction)
    return max((_rouge_l(pred, normalize(t)) for t in _targets(example)), default=0.0)


def regex_match(prediction: str, example: Mapping[str, Any]) -> float:
    """1.0 when the example's (or task's) ``pattern`` matches anywhere in the NFKC prediction."""
    pattern = example.get("pattern")
    if not pattern:
        raise MetricError("metric 'regex' needs a 'pattern' in the example or in the task's metric options")
    return float(re.search(pattern, unicodedata.normalize("NFKC", prediction)) is not None)


def _first_json(text: str) -> Any:
    """Parse the first JSON object/array in a generation (models wrap JSON in prose or code fences)."""
    decoder = json.JSONDecoder()
    for index, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text[index:])
                return value
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON value found")


def json_schema_valid(prediction: str, example: Mapping[str, Any]) -> float:
    """1.0 when the first JSON value in the prediction validates against the example's ``schema``."""
    import jsonschema

    schema = example.get("schema")
    if schema is None:
        raise MetricError("metric 'json_schema' needs a 'schema' in the example or in the task's metric options")
    try:
        value = _first_json(prediction)
    except ValueError:
        return 0.0
    return float(jsonschema.Draft202012Validator(schema).is_valid(value))


GenerativeMetric = Callable[[str, Mapping[str, Any]], float]

GENERATIVE_METRICS: dict[str, GenerativeMetric] = {
    "exact_match": exact_match,
    "contains": contains_answer,
    "char_f1": char_f1,
    "rouge_l": rouge_l,
    "regex": regex_match,
    "json_schema": json_schema_valid,
}
# Multiple-choice and perplexity metrics are computed from log-likelihoods in the runner; their names
# live here so task files are validated against one list.
MULTIPLE_CHOICE_METRICS = ("acc", "acc_norm")
PERPLEXITY_METRICS = ("perplexity", "bits_per_char")
ALL_METRICS = (*GENERATIVE_METRICS, *MULTIPLE_CHOICE_METRICS, *PERPLEXITY_METRICS)
# Metrics where lower is better: the gate flips the direction of floors and non-inferiority for them.
LOWER_IS_BETTER = frozenset({"perplexity", "bits_per_char"})


def get_generative_metric(name: str) -> GenerativeMetric:
    try:
        return GENERATIVE_METRICS[name]
    except KeyError:
        raise MetricError(f"unknown metric {name!r}; expected one of: {', '.join(ALL_METRICS)}") from None


def mc_scores(loglikelihoods: Sequence[float], choices: Sequence[str], gold: int) -> dict[str, float]:
    """acc: argmax of summed log-likelihood; acc_norm: argmax after dividing by the choice's characters
    (lm-evaluation-harness normalises by bytes; characters are the fairer unit for Japanese)."""
    ll = np.asarray(loglikelihoods, dtype=float)
    lengths = np.asarray([max(len(c), 1) for c in choices], dtype=float)
    return {"acc": float(int(np.argmax(ll)) == gold), "acc_norm": float(int(np.argmax(ll / lengths)) == gold)}


def bootstrap_stderr(values: Sequence[float], resamples: int = 1000, seed: int = 0) -> float:
    """Standard deviation of the mean over ``resamples`` bootstrap resamples (seeded, vectorised)."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, data.size, size=(resamples, data.size))
    return float(data[idx].mean(axis=1).std(ddof=1))


def bootstrap_ratio_stderr(
    numerators: Sequence[float], denominators: Sequence[float], transform: Callable[[np.ndarray], np.ndarray] = lambda x: x,
    resamples: int = 1000, seed: int = 0,
) -> float:
    """Bootstrap stderr of transform(Σnum/Σden) over examples, e.g. perplexity = exp(Σnll / Σtokens).

    Corpus-level ratios are not means of per-example values, so they are resampled as pairs.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.size < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(resamples, num.size))
    return float(np.std(transform(num[idx].sum(axis=1) / den[idx].sum(axis=1)), ddof=1))
