"""Lineage registry: an index of artifact manifests, their parent links and release-gate verdicts.

SQLite (a file in the workspace) is the embedded default; a team shares one PostgreSQL database by
passing its URL (``postgresql+psycopg://…``, the ``postgres`` extra). SQLAlchemy Core keeps the SQL the
same on both. The manifests on disk stay the source of truth; the registry makes them queryable.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine

from deshi.artifacts import ArtifactError, artifact_id, load_manifest, manifest_sha256, read_artifact_id
from deshi.errors import DeshiError

REGISTRY_FILE = "registry.db"

_metadata = MetaData()
artifacts_table = Table(
    "artifacts",
    _metadata,
    Column("id", String(80), primary_key=True),
    Column("stage", String(40), nullable=False, index=True),
    Column("path", Text, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("manifest", Text, nullable=False),
)
links_table = Table(
    "links",
    _metadata,
    Column("child_id", String(80), ForeignKey("artifacts.id"), primary_key=True),
    Column("parent_ref", String(200), primary_key=True),  # artifact id, or "raw:<sha256>"
    Column("parent_path", Text, nullable=False),
)
verdicts_table = Table(
    "verdicts",
    _metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("artifact_id", String(80), nullable=False, index=True),
    Column("passed", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("verdict", Text, nullable=False),
)


class RegistryError(DeshiError):
    """A user-facing registry problem (unknown id, unreachable database)."""


@dataclass
class ArtifactRecord:
    id: str
    stage: str
    path: str
    manifest_sha256: str
    created_at: float
    manifest: dict[str, Any]


@dataclass
class LineageNode:
    ref: str
    path: str
    depth: int
    record: ArtifactRecord | None  # None for raw inputs and repeats
    repeat: bool = False  # an ancestor already expanded elsewhere in the tree


def registry_url(workspace: Path | str | None = None, url: str | None = None) -> str:
    """An explicit URL wins; otherwise the SQLite file inside the workspace."""
    if url:
        return url
    root = Path(workspace or "workspace")
    root.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(root / REGISTRY_FILE).resolve()}"


class Registry:
    """Index of artifacts. Safe to open from several processes (SQLite WAL, short transactions)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _metadata.create_all(self.engine)

    @classmethod
    def open(cls, workspace: Path | str | None = None, url: str | None = None) -> Registry:
        return cls(registry_url(workspace, url))

    def close(self) -> None:
        self.engine.dispose()

    def register(self, artifact_dir: Path | str) -> str:
        """Index an artifact directory and its parent links; idempotent (same manifest, same id)."""
        root = Path(artifact_dir).resolve()
        manifest = load_manifest(root)
        digest = manifest_sha256(root)
        aid = artifact_id(manifest["stage"], digest)
        self._register_unindexed_parents(manifest)  # own transactions, before ours takes the write lock
        with self.engine.begin() as conn:
            exists = conn.execute(select(artifacts_table.c.id).where(artifacts_table.c.id == aid)).first()
            if exists:
                conn.execute(artifacts_table.update().where(artifacts_table.c.id == aid).values(path=str(root)))
                return aid
            conn.execute(
                artifacts_table.insert().values(
                    id=aid,
                    stage=manifest["stage"],
                    path=str(root),
                    manifest_sha256=digest,
                    created_at=time.time(),
                    manifest=json.dumps(manifest, ensure_ascii=False),
                )
            )
            parents: dict[str, str] = {}
            for ref in manifest.get("inputs", []):
                # Several files of one parent artifact (corpus + held-out split) are one lineage link.
                parents.setdefault(ref.get("id") or f"raw:{ref['sha256']}", ref["path"])
            for parent, path in parents.items():
                conn.execute(links_table.insert().values(child_id=aid, parent_ref=parent, parent_path=path))
        return aid

    def _register_unindexed_parents(self, manifest: dict[str, Any]) -> None:
        """Index parent artifacts a stage made on the side (e.g. the distill stage's logit cache)."""
        for ref in manifest.get("inputs", []):
            if ref.get("kind") != "artifact" or not ref.get("id"):
                continue
            path = Path(ref["path"])
            root = path if (path / "manifest.json").is_file() else path.parent
            if (root / "manifest.json").is_file():
                try:
                    self.get(ref["id"])
                except RegistryError:
                    try:
                        if read_artifact_id(root) == ref["id"]:
                            self.register(root)
                    except ArtifactError:
                        pass

    def list(self, stage: str | None = None) -> list[ArtifactRecord]:
        query = select(artifacts_table).order_by(artifacts_table.c.created_at)
        if stage:
            query = query.where(artifacts_table.c.stage == stage)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def get(self, aid: str) -> ArtifactRecord:
        """Look up by full id or by an unambiguous prefix (like git)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(artifacts_table).where(artifacts_table.c.id.startswith(aid))).all()
        exact = [r for r in rows if r.id == aid]
        if exact:
            return _record(exact[0])
        if len(rows) == 1:
            return _record(rows[0])
        if not rows:
            raise RegistryError(f"no artifact with id {aid!r} in {self.url}")
        raise RegistryError(f"id {aid!r} is ambiguous: {', '.join(r.id for r in rows)}")

    def find_by_path(self, artifact_dir: Path | str) -> ArtifactRecord | None:
        try:
            root = Path(artifact_dir).resolve()
            aid = artifact_id(load_manifest(root)["stage"], manifest_sha256(root))
        except ArtifactError:
            return None
        try:
            return self.get(aid)
        except RegistryError:
            return None

    def parents(self, aid: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(links_table.c.parent_ref, links_table.c.parent_path)
                .where(links_table.c.child_id == aid)
                .order_by(links_table.c.parent_ref)
            ).all()
        return [(r.parent_ref, r.parent_path) for r in rows]

    def lineage(self, aid: str) -> list[LineageNode]:
        """Depth-first chain from an artifact back to its raw inputs (each node once)."""
        root = self.get(aid)
        nodes = [LineageNode(root.id, root.path, 0, root)]
        seen = {root.id}
        stack = [(root.id, 0)]
        while stack:
            current, depth = stack.pop()
            for ref, path in reversed(self.parents(current)):
                if ref in seen:  # shared ancestor: listed again as a leaf, expanded once
                    nodes.insert(_insert_position(nodes, current), LineageNode(ref, path, depth + 1, None, repeat=True))
                    continue
                seen.add(ref)
                record = None
                if not ref.startswith("raw:"):
                    try:
                        record = self.get(ref)
                    except RegistryError:
                        record = None
                insert_at = _insert_position(nodes, current)
                nodes.insert(insert_at, LineageNode(ref, path, depth + 1, record))
                if record is not None:
                    stack.append((ref, depth + 1))
        return nodes

    def record_verdict(self, aid: str, passed: bool, verdict: dict[str, Any]) -> None:
        """Store a release-gate verdict against a model artifact (the serve stage reads it)."""
        self.get(aid)
        with self.engine.begin() as conn:
            conn.execute(
                verdicts_table.insert().values(
                    artifact_id=aid, passed=passed, created_at=time.time(), verdict=json.dumps(verdict)
                )
            )

    def latest_verdict(self, aid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(verdicts_table)
                .where(verdicts_table.c.artifact_id == aid)
                .order_by(verdicts_table.c.seq.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return {"passed": bool(row.passed), "created_at": row.created_at, **json.loads(row.verdict)}


def _insert_position(nodes: list[LineageNode], parent_ref: str) -> int:
    """Place children right after their parent's subtree so printing stays a readable tree."""
    for index, node in enumerate(nodes):
        if node.ref == parent_ref:
            depth = node.depth
            end = index + 1
            while end < len(nodes) and nodes[end].depth > depth:
                end += 1
            return end
    return len(nodes)


def _record(row: Any) -> ArtifactRecord:
    return ArtifactRecord(row.id, row.stage, row.path, row.manifest_sha256, row.created_at, json.loads(row.manifest))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
