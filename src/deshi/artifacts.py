"""Artifact directories and their manifests.

Every stage writes one directory with a ``manifest.json``: the stage, the config it ran with, its inputs
(each with the sha256 of *its* manifest, so lineage survives moves and renames), the sha256 of every
output file, counts, timings, the seed and the deshi version. ``verify`` recomputes the hashes so a
reviewer can prove that the model or data set in front of them is the one the manifest describes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deshi import __version__
from deshi.errors import DeshiError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


class ArtifactError(DeshiError):
    """A user-facing problem with an artifact directory (missing manifest, unreadable file)."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed so multi-GB model shards never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _iter_files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.parent == root and name == MANIFEST_NAME:
                continue
            yield path


def hash_tree(root: Path) -> dict[str, str]:
    """Map of POSIX relative path -> sha256 for every file below ``root`` except the manifest."""
    files = list(_iter_files(root))
    return {p.relative_to(root).as_posix(): digest for p, digest in zip(files, sha256_files(files), strict=True)}


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def sha256_files(paths: list[Path]) -> list[str]:
    """:func:`sha256_file` of each path, in order; several files of at least 1 MiB are hashed by
    threads at once, one per CPU.

    Why threads: ``hashlib`` and file reads release the GIL for large buffers, so hashing runs on
    every core; an artifact of several shards (a curated dataset's parts, a model's safetensors
    files) is hashed by ``write_manifest`` after its stage's own work, when the other cores are idle
    (a 20,000-document curate output, five 5 MB parts: 16 ms in one thread, half on two cores)."""
    large = sum(1 for p in paths if p.stat().st_size >= _CHUNK)
    threads = min(_cpus(), large)
    if threads < 2:
        return [sha256_file(p) for p in paths]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads, thread_name_prefix="deshi-sha256") as pool:
        return list(pool.map(sha256_file, paths))


def manifest_sha256(artifact_dir: Path) -> str:
    """The identity of an artifact: the sha256 of its manifest file (which covers every output file)."""
    path = Path(artifact_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ArtifactError(f"{artifact_dir}: no {MANIFEST_NAME}; is this a deshi artifact directory?")
    return sha256_file(path)


def artifact_id(stage: str, manifest_hash: str) -> str:
    """Short, human-typable id: ``<stage>-<first 12 hex of manifest sha256>``."""
    return f"{stage}-{manifest_hash[:12]}"


@dataclass
class InputRef:
    """One input of a stage: another artifact (with its manifest hash) or a raw file/directory."""

    path: str
    kind: str  # "artifact" or "raw"
    sha256: str
    id: str | None = None
    stage: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def describe_input(path: Path | str) -> InputRef:
    """Reference an input: artifacts by manifest hash, raw files by content hash, raw dirs by tree hash."""
    path = Path(path)
    if (path / MANIFEST_NAME).is_file():
        manifest = load_manifest(path)
        digest = manifest_sha256(path)
        return InputRef(str(path), "artifact", digest, artifact_id(manifest["stage"], digest), manifest["stage"])
    if path.is_file():
        owner = _owning_artifact(path)
        if owner is not None:
            # A file inside another stage's artifact (e.g. corpus.jsonl of the demo_data artifact): pin the
            # artifact, so lineage continues through it instead of stopping at an anonymous raw file.
            manifest = load_manifest(owner)
            digest = manifest_sha256(owner)
            return InputRef(str(path), "artifact", digest, artifact_id(manifest["stage"], digest), manifest["stage"])
        return InputRef(str(path), "raw", sha256_file(path))
    if path.is_dir():
        tree = json.dumps(hash_tree(path), sort_keys=True).encode()
        return InputRef(str(path), "raw", hashlib.sha256(tree).hexdigest())
    raise ArtifactError(f"input {path} does not exist")


def _owning_artifact(path: Path, max_depth: int = 4) -> Path | None:
    """The artifact directory that lists ``path`` among its outputs (searching a few levels up), if any."""
    resolved = path.resolve()
    for parent in list(resolved.parents)[:max_depth]:
        if (parent / MANIFEST_NAME).is_file():
            try:
                outputs = load_manifest(parent).get("outputs", {})
            except ArtifactError:
                return None
            return parent if resolved.relative_to(parent).as_posix() in outputs else None
    return None


@dataclass
class Manifest:
    stage: str
    config: Mapping[str, Any] = field(default_factory=dict)
    inputs: list[InputRef] = field(default_factory=list)
    counts: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def write_manifest(artifact_dir: Path | str, manifest: Manifest) -> str:
    """Hash every file in ``artifact_dir`` and write ``manifest.json``; returns the artifact id.

    Call it last, after every output file is closed: the manifest is the commit point of a stage.
    """
    root = Path(artifact_dir)
    if not root.is_dir():
        raise ArtifactError(f"{root} is not a directory")
    body = {
        "stage": manifest.stage,
        "deshi_version": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": manifest.seed,
        "config": _jsonable(manifest.config),
        "inputs": [i.to_dict() for i in manifest.inputs],
        "outputs": hash_tree(root),
        "counts": _jsonable(manifest.counts),
        "timings": {k: round(float(v), 4) for k, v in manifest.timings.items()},
        **({"extra": _jsonable(manifest.extra)} if manifest.extra else {}),
    }
    tmp = root / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)
    return artifact_id(manifest.stage, manifest_sha256(root))


def _jsonable(value: Any) -> Any:
    """Config objects arrive as pydantic models, Paths, sets; the manifest stores plain JSON."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def load_manifest(artifact_dir: Path | str) -> dict[str, Any]:
    path = Path(artifact_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ArtifactError(f"{artifact_dir}: no {MANIFEST_NAME}; is this a deshi artifact directory?")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def read_artifact_id(artifact_dir: Path | str) -> str:
    return artifact_id(load_manifest(artifact_dir)["stage"], manifest_sha256(Path(artifact_dir)))


@dataclass
class VerifyReport:
    artifact_dir: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def verify(artifact_dir: Path | str) -> VerifyReport:
    """Recompute every file hash and compare with the manifest: changed, missing and extra files."""
    root = Path(artifact_dir)
    recorded: dict[str, str] = load_manifest(root).get("outputs", {})
    actual = hash_tree(root)
    report = VerifyReport(root)
    for rel, digest in recorded.items():
        if rel not in actual:
            report.missing.append(rel)
        elif actual[rel] != digest:
            report.changed.append(rel)
    report.extra = sorted(set(actual) - set(recorded))
    return report
