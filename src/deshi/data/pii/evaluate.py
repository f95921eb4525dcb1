"""Measure a recogniser against labelled data: per-type precision/recall/F1, decoys, misses.

Inputs are JSONL files: the corpus (``{"id", "text", ...}``), the labels
(``{"doc_id", "start", "end", "type", "value"}``, one per PII occurrence) and optionally decoys in
the same shape whose ``type`` names what they are (``PART_NUMBER``, ``INVALID_MY_NUMBER`` ...):
strings that look like PII and must not be flagged.

Scoring is span-overlap: a labelled span counts as found when a predicted span of the same type
overlaps it, and a predicted span counts as correct when it overlaps a labelled span of its type.
Boundaries matter less than finding the value (redaction of ``〒100-0001`` vs ``100-0001`` leaks
nothing either way), so exact-boundary agreement is reported separately.

The report holds miss and false-positive *values*: evaluation data is synthetic or supplied by the
user for this purpose. They go to the report file and the terminal table only, never to a log.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from deshi.data.pii.recognizer import PIIRecognizer, default_recognizer
from deshi.data.pii.types import PIISpan
from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("deshi.data.pii.evaluate")

CONTEXT_CHARS = 15  # characters of context each side of a miss


class EvalInputError(DeshiError):
    """A corpus, labels or decoys file is missing or unreadable."""


@dataclass
class TypeScore:
    """Counts and rates for one PII type."""

    labels: int = 0
    predicted: int = 0
    found: int = 0  # labels overlapped by a prediction of the same type (recall numerator)
    correct: int = 0  # predictions overlapping a label of the same type (precision numerator)
    exact: int = 0  # found labels whose boundaries a prediction matches exactly

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.found if self.found else 1.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        out.update(precision=self.precision, recall=self.recall, f1=self.f1, exact_rate=self.exact_rate)
        return out


@dataclass
class Finding:
    """A missed label or a false positive: where, what type, and the text around it.

    ``context`` shows the surrounding text with the value itself replaced by ``[＊＊＊]`` (safe to
    paste into an issue); ``value`` is kept for the report reader and is never logged.
    """

    doc_id: str
    type: str
    start: int
    end: int
    context: str
    value: str
    predicted_as: str | None = None  # for misses: a prediction of another type that overlapped


@dataclass
class PIIEvalReport:
    """Everything :func:`evaluate` measured."""

    docs: int = 0
    skipped_lines: int = 0
    seconds: float = 0.0
    per_type: dict[str, TypeScore] = field(default_factory=dict)
    decoys: int = 0
    decoys_flagged: dict[str, int] = field(default_factory=dict)  # decoy type -> flagged count
    decoys_flagged_as: dict[str, int] = field(default_factory=dict)  # predicted PII type -> count
    decoys_by_type: dict[str, int] = field(default_factory=dict)  # decoy type -> total
    label_mismatches: int = 0  # labels whose value differs from text[start:end]
    # Labels that could not be scored, so a recall is never computed over labels that silently vanished:
    skipped_label_lines: int = 0  # label/decoy lines that are not JSON objects
    labels_without_document: int = 0  # doc_id matches no document of the corpus
    labels_out_of_range: int = 0  # start/end outside the document's text (or start >= end)
    labels_of_other_types: dict[str, int] = field(default_factory=dict)  # type no recogniser reports -> count
    misses: list[Finding] = field(default_factory=list)
    false_positives: list[Finding] = field(default_factory=list)

    def _total(self) -> TypeScore:
        t = TypeScore()
        for s in self.per_type.values():
            t.labels += s.labels
            t.predicted += s.predicted
            t.found += s.found
            t.correct += s.correct
            t.exact += s.exact
        return t

    @property
    def precision(self) -> float:
        """Overall precision: correct predictions / all predictions, all types together."""
        return self._total().precision

    @property
    def recall(self) -> float:
        return self._total().recall

    @property
    def f1(self) -> float:
        return self._total().f1

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds if self.seconds > 0 else 0.0

    @property
    def misses_by_type(self) -> dict[str, int]:
        return dict(Counter(m.type for m in self.misses))

    def to_dict(self) -> dict[str, Any]:
        return {
            "docs": self.docs,
            "skipped_lines": self.skipped_lines,
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.docs_per_second, 1),
            "overall": {"precision": self.precision, "recall": self.recall, "f1": self.f1},
            "per_type": {k: v.to_dict() for k, v in sorted(self.per_type.items())},
            "decoys": {
                "total": self.decoys,
                "by_type": dict(sorted(self.decoys_by_type.items())),
                "flagged": dict(sorted(self.decoys_flagged.items())),
                "flagged_as": dict(sorted(self.decoys_flagged_as.items())),
            },
            "label_mismatches": self.label_mismatches,
            "skipped_label_lines": self.skipped_label_lines,
            "labels_without_document": self.labels_without_document,
            "labels_out_of_range": self.labels_out_of_range,
            "labels_of_other_types": dict(sorted(self.labels_of_other_types.items())),
            "misses_by_type": dict(sorted(self.misses_by_type.items())),
            "misses": [asdict(m) for m in self.misses],
            "false_positives": [asdict(f) for f in self.false_positives],
        }


def _read_jsonl(path: Path, what: str) -> tuple[list[dict[str, Any]], int]:
    """Records of a JSONL file; undecodable or non-object lines are skipped and counted."""
    if not path.is_file():
        raise EvalInputError(f"{what} file {path} does not exist")
    records: list[dict[str, Any]] = []
    skipped = 0
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                skipped += 1
                continue
            if isinstance(obj, dict):
                records.append(obj)
            else:
                skipped += 1
    return records, skipped


def _group(records: list[dict[str, Any]], what: str, path: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n, rec in enumerate(records, 1):
        try:
            out[str(rec["doc_id"])].append(
                {"start": int(rec["start"]), "end": int(rec["end"]), "type": str(rec["type"]),
                 "value": rec.get("value")}
            )
        except (KeyError, TypeError, ValueError):
            raise EvalInputError(f"{path}: {what} record {n} needs doc_id, start, end and type") from None
    return out


def _context(text: str, start: int, end: int) -> str:
    left = text[max(0, start - CONTEXT_CHARS) : start].replace("\n", "⏎")
    right = text[end : end + CONTEXT_CHARS].replace("\n", "⏎")
    return f"{left}[＊＊＊]{right}"


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def evaluate(
    corpus_path: Path | str,
    labels_path: Path | str,
    decoys_path: Path | str | None = None,
    recognizer: PIIRecognizer | None = None,
    text_field: str = "text",
    id_field: str = "id",
) -> PIIEvalReport:
    """Run ``recognizer`` (default: all types) over the corpus and score it against the labels.

    ``text_field``/``id_field``: the corpus fields holding each document's text and the id that the
    labels' ``doc_id`` refers to. Labels that cannot be scored (a line that is not JSON, an unknown
    ``doc_id``, offsets outside the text, a type no recogniser reports) are counted in the report, and
    labels none of whose ``doc_id`` is a corpus id are an :class:`EvalInputError`: a recall over zero
    labels would read as a perfect score."""
    rec = recognizer or default_recognizer()
    corpus_path, labels_path = Path(corpus_path), Path(labels_path)
    docs, skipped = _read_jsonl(corpus_path, "corpus")
    label_recs, skipped_labels = _read_jsonl(labels_path, "labels")
    labels = _group(label_recs, "label", labels_path)
    decoys: dict[str, list[dict[str, Any]]] = {}
    if decoys_path is not None:
        decoy_recs, skipped_decoys = _read_jsonl(Path(decoys_path), "decoys")
        skipped_labels += skipped_decoys
        decoys = _group(decoy_recs, "decoy", Path(decoys_path))

    report = PIIEvalReport(skipped_lines=skipped, skipped_label_lines=skipped_labels)
    scores: dict[str, TypeScore] = {t.value: TypeScore() for t in rec.types}
    t0 = time.perf_counter()
    predictions: list[tuple[str, str, list[PIISpan]]] = []
    for doc in docs:
        text = doc.get(text_field)
        doc_id = doc.get(id_field)
        if not isinstance(text, str) or doc_id is None:
            report.skipped_lines += 1
            continue
        predictions.append((str(doc_id), text, rec.find(text)))
    report.seconds = time.perf_counter() - t0
    report.docs = len(predictions)
    _check_label_ids(labels, predictions, report, labels_path, id_field)

    for doc_id, text, spans in predictions:
        gold = []
        for g in labels.get(doc_id, ()):
            if g["type"] not in scores:
                report.labels_of_other_types[g["type"]] = report.labels_of_other_types.get(g["type"], 0) + 1
            elif not 0 <= g["start"] < g["end"] <= len(text):
                report.labels_out_of_range += 1
            else:
                gold.append(g)
        for g in gold:
            if g["value"] is not None and text[g["start"] : g["end"]] != g["value"]:
                report.label_mismatches += 1
        for g in gold:
            score = scores[g["type"]]
            score.labels += 1
            hits = [s for s in spans if s.type == g["type"] and _overlap(s.start, s.end, g["start"], g["end"])]
            if hits:
                score.found += 1
                if any(s.start == g["start"] and s.end == g["end"] for s in hits):
                    score.exact += 1
            else:
                other = next((s for s in spans if _overlap(s.start, s.end, g["start"], g["end"])), None)
                report.misses.append(
                    Finding(doc_id, g["type"], g["start"], g["end"], _context(text, g["start"], g["end"]),
                            text[g["start"] : g["end"]], other.type.value if other else None)
                )
        for s in spans:
            score = scores.setdefault(s.type.value, TypeScore())
            score.predicted += 1
            if any(g["type"] == s.type and _overlap(s.start, s.end, g["start"], g["end"]) for g in gold):
                score.correct += 1
            else:
                report.false_positives.append(
                    Finding(doc_id, s.type.value, s.start, s.end, _context(text, s.start, s.end), s.text(text))
                )
        for d in decoys.get(doc_id, ()):
            report.decoys += 1
            report.decoys_by_type[d["type"]] = report.decoys_by_type.get(d["type"], 0) + 1
            flagged = next((s for s in spans if _overlap(s.start, s.end, d["start"], d["end"])), None)
            if flagged is not None:
                report.decoys_flagged[d["type"]] = report.decoys_flagged.get(d["type"], 0) + 1
                report.decoys_flagged_as[flagged.type.value] = report.decoys_flagged_as.get(flagged.type.value, 0) + 1

    report.per_type = {k: v for k, v in scores.items() if v.labels or v.predicted}
    # Counts only: values stay in the report, out of the log.
    log.info(
        "pii eval: %d docs, %d labels, %d predictions, %d misses, %d false positives, %d/%d decoys flagged",
        report.docs, sum(s.labels for s in scores.values()), sum(s.predicted for s in scores.values()),
        len(report.misses), len(report.false_positives), sum(report.decoys_flagged.values()), report.decoys,
    )
    return report


def _check_label_ids(labels: dict[str, list[dict[str, Any]]], predictions: list[tuple[str, str, list[PIISpan]]],
                     report: PIIEvalReport, labels_path: Path, id_field: str) -> None:
    """Count the labels whose ``doc_id`` names no corpus document; none matching at all is an error
    that says what the ids look like on each side (ids, not text: no personal data)."""
    corpus_ids = {doc_id for doc_id, _, _ in predictions}
    unknown = [doc_id for doc_id in labels if doc_id not in corpus_ids]
    report.labels_without_document = sum(len(labels[doc_id]) for doc_id in unknown)
    if labels and len(unknown) == len(labels):
        example = next(iter(corpus_ids), None)
        raise EvalInputError(
            f"{labels_path}: no label's doc_id is the id of a corpus document (labels name e.g. {unknown[0]!r}; "
            + (f"the corpus's '{id_field}' field holds e.g. {example!r}" if example is not None
               else f"no corpus record has a text and an '{id_field}' field") + "); see --id-field")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def format_report(report: PIIEvalReport) -> Table:
    """A rich table: one row per type, then the overall row and the decoy line in the caption."""
    table = Table(title=f"PII recogniser evaluation ({report.docs} docs, {report.docs_per_second:.0f} docs/s)")
    for col in ("type", "labels", "predicted", "precision %", "recall %", "F1 %", "exact %", "misses"):
        table.add_column(col, justify="left" if col == "type" else "right")
    misses = report.misses_by_type
    for name, s in sorted(report.per_type.items()):
        table.add_row(name, str(s.labels), str(s.predicted), _pct(s.precision), _pct(s.recall), _pct(s.f1),
                      _pct(s.exact_rate), str(misses.get(name, 0)))
    total = report._total()
    table.add_row("ALL", str(total.labels), str(total.predicted), _pct(total.precision), _pct(total.recall),
                  _pct(total.f1), _pct(total.exact_rate), str(len(report.misses)), style="bold")
    flagged = sum(report.decoys_flagged.values())
    detail = ", ".join(f"{k}={v}" for k, v in sorted(report.decoys_flagged.items())) or "none"
    unscored = [f"{n} {what}" for n, what in (
        (report.skipped_label_lines, "label/decoy lines not JSON objects"),
        (report.labels_without_document, "labels naming no corpus document"),
        (report.labels_out_of_range, "labels outside their text"),
        (sum(report.labels_of_other_types.values()),
         "labels of types no recogniser reports (" + ", ".join(sorted(report.labels_of_other_types)) + ")"),
    ) if n]
    table.caption = (f"decoys flagged: {flagged}/{report.decoys} ({detail}); skipped input lines: {report.skipped_lines}"
                     + ("; not scored: " + "; ".join(unscored) if unscored else ""))
    return table


def to_json(report: PIIEvalReport) -> str:
    """The full report (including misses and false positives) as pretty JSON."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
