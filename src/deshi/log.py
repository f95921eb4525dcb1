"""Structured logging. ``--log-json`` switches to one JSON object per line for log shippers.

Personal data must never reach a log line: stages log counts and hashes (``pii_safe_hash``), never
document text or matched values.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time

_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        body.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


def configure(json_lines: bool = False, level: str = "INFO") -> None:
    global _configured
    root = logging.getLogger("deshi")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
    _configured = True


def get_logger(name: str) -> logging.Logger:
    if not _configured:
        configure()
    return logging.getLogger(name if name.startswith("deshi") else f"deshi.{name}")


def pii_safe_hash(value: str) -> str:
    """A short, non-reversible tag for a value that must not be logged (for correlating, not reading)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
