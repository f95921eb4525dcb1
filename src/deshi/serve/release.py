"""Release check: a local model is served only with a passing gate verdict in the registry.

``--force`` (or ``release.force``) serves it anyway, and that decision is written to the audit trail
as a ``release_forced`` record, so an auditor sees every unreviewed model that ever took traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deshi.errors import DeshiError


class ReleaseRefused(DeshiError):
    """No passing gate verdict for the model and --force was not given."""


@dataclass
class ReleaseDecision:
    model: str
    path: str
    artifact_id: str | None
    verdict: dict[str, Any] | None
    forced: bool
    reason: str

    def audit_record(self) -> dict[str, Any]:
        return {
            "kind": "release_forced" if self.forced else "release",
            "model": self.model,
            "detail": {"path": self.path, "artifact_id": self.artifact_id, "reason": self.reason,
                       "verdict_passed": None if self.verdict is None else bool(self.verdict.get("passed"))},
        }


def check_release(model: str, path: Path, workspace: Path, registry_url: str | None, force: bool) -> ReleaseDecision:
    from deshi.artifacts import ArtifactError, read_artifact_id
    from deshi.registry import Registry

    try:
        aid: str | None = read_artifact_id(path)
    except ArtifactError:
        aid = None
    verdict = None
    if aid is not None:
        registry = Registry.open(workspace, registry_url)
        try:
            verdict = registry.latest_verdict(aid)
        finally:
            registry.close()
    if verdict is not None and verdict.get("passed"):
        return ReleaseDecision(model, str(path), aid, verdict, False, "passing gate verdict")
    if aid is None:
        reason = "not a deshi artifact (no manifest.json), so it was never gated"
    elif verdict is None:
        reason = f"no gate verdict for {aid} in the registry"
    else:
        reason = f"the latest gate verdict for {aid} is FAIL"
    if not force:
        raise ReleaseRefused(
            f"refusing to serve {model!r} ({path}): {reason}. Run `deshi gate` on it, or pass --force "
            "(the override is recorded in the audit trail)."
        )
    return ReleaseDecision(model, str(path), aid, verdict, True, reason)
