"""Japanese-first PII recognisers: find, redact and evaluate personal data in text.

Used by curation (redact before training), the eval stage's leak probes, the synthetic-data filter
and the serving gateway's guard. Quick use::

    from deshi.data.pii import find_pii, redact
    spans = find_pii("担当：山田太郎 TEL ０３－１２３４－５６７８")
    redact("メール taro@example.co.jp まで").text   # 'メール <EMAIL> まで'
"""

from deshi.data.pii.recognizer import PIIRecognizer, default_recognizer, find_pii, resolve_overlaps
from deshi.data.pii.redact import ACTIONS, RedactionResult, parse_actions, redact
from deshi.data.pii.types import PLACEHOLDERS, PIISpan, PIIType

__all__ = [
    "ACTIONS",
    "PLACEHOLDERS",
    "PIIRecognizer",
    "PIISpan",
    "PIIType",
    "RedactionResult",
    "default_recognizer",
    "find_pii",
    "parse_actions",
    "redact",
    "resolve_overlaps",
]
