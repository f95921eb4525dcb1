"""Regex helpers shared by the recognisers.

Why hand-written: Python's ``re`` tries the branches of ``a|b|c`` one after another at every
candidate position, so a list of 150 label words costs 150 literal checks wherever one of their
first characters occurs (and お, ご, 担, 東 occur everywhere in Japanese text). Grouping the
branches by first character (``お(?:客様名|名前)|ご(?:担当者|担当)|…``) lets one check pick the
only group that can match. Branch order inside a group is kept, and branches in different groups
can never match at the same position, so the grouped pattern matches exactly what the flat one
does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def grouped_alternation(words: Iterable[str]) -> str:
    """``(?:w1|w2|…)`` for literal ``words``, factored by first character, same matches and order."""
    groups: dict[str, list[str]] = {}
    for word in words:
        if not word:
            raise ValueError("empty alternative")
        groups.setdefault(word[0], []).append(word[1:])
    parts = []
    for first, rests in groups.items():
        head = re.escape(first)
        if len(rests) == 1:
            parts.append(head + re.escape(rests[0]))
        else:
            parts.append(head + "(?:" + "|".join(re.escape(r) for r in rests) + ")")
    return "(?:" + "|".join(parts) + ")"
