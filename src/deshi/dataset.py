"""Reading dataset artifacts: the one format every stage after curation consumes.

A dataset is a file or an artifact directory whose records live in ``data/`` as JSONL, JSONL.gz or
Parquet shards, one record per document with at least ``id`` and ``text`` (and usually ``meta``).
Reading streams record by record so memory is bounded by a shard's row group, not the corpus.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deshi.errors import DeshiError

DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


class DatasetError(DeshiError):
    """The dataset path is missing, empty or not in a format deshi reads."""


def dataset_files(path: Path | str) -> list[Path]:
    """Shard files of a dataset: the file itself, or the sorted data shards of a directory."""
    path = Path(path)
    if path.is_file():
        if not path.name.endswith(DATA_SUFFIXES):
            raise DatasetError(f"{path}: expected a .jsonl, .jsonl.gz or .parquet file")
        return [path]
    if not path.exists():
        raise DatasetError(f"dataset {path} does not exist")
    base = path / "data" if (path / "data").is_dir() else path
    files = sorted(p for p in base.iterdir() if p.is_file() and p.name.endswith(DATA_SUFFIXES))
    if not files:
        raise DatasetError(f"dataset {path} has no .jsonl, .jsonl.gz or .parquet files")
    return files


def iter_records(path: Path | str) -> Iterator[dict[str, Any]]:
    """Yield every record of a dataset, in shard order. Malformed lines raise (curated data has none)."""
    for file in dataset_files(path):
        if file.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(file)
            for batch in parquet.iter_batches(batch_size=1024):
                for record in batch.to_pylist():
                    # Curated Parquet stores ``meta`` as a JSON string (documents' meta keys differ).
                    meta = record.get("meta")
                    if isinstance(meta, str) and meta.startswith("{"):
                        try:
                            record["meta"] = json.loads(meta)
                        except json.JSONDecodeError:
                            pass
                    yield record
            continue
        opener = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{file}:{number}: not valid JSON ({exc.msg})") from None


def iter_texts(path: Path | str, limit: int | None = None) -> Iterator[str]:
    """Yield the ``text`` field of each record (records without text are skipped)."""
    count = 0
    for record in iter_records(path):
        text = record.get("text")
        if isinstance(text, str) and text:
            yield text
            count += 1
            if limit is not None and count >= limit:
                return


def read_json_objects(path: Path | str, error: type[DeshiError] = DeshiError,
                      what: str = "file") -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a small JSONL file (golden sets, task examples).

    Unlike a dataset, such a file is hand-written input a run depends on whole: a missing file or a
    malformed line is an ``error`` naming the file and line, not a quarantined record.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(value, dict):
                raise error(f"{path}:{number}: expected a JSON object, got {type(value).__name__}")
            rows.append((number, value))
    return rows
