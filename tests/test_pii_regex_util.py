"""The first-character-grouped alternation must match exactly what the flat ``a|b|c`` matches:
the recognisers rely on that to stay as precise as before while scanning faster."""

from __future__ import annotations

import random
import re

import pytest

from deshi.data.pii.regex_util import grouped_alternation


def test_grouped_alternation_matches_like_the_flat_one() -> None:
    words = ["担当者名", "担当者", "担当", "ご担当者", "ご担当", "氏名", "お名前", "お客様名", "From", "To", "a.b", "a+"]
    flat = re.compile("(?:" + "|".join(map(re.escape, words)) + r")[:：]?")
    grouped = re.compile(grouped_alternation(words) + r"[:：]?")
    rng = random.Random(0)
    alphabet = "担当者名ご氏お前客様FromTa.b+：: "
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert [m.span() for m in grouped.finditer(text)] == [m.span() for m in flat.finditer(text)], text


def test_grouped_alternation_keeps_branch_order_within_a_group() -> None:
    # Shorter first: the flat pattern stops at 担当, and so must the grouped one.
    assert re.match(grouped_alternation(["担当", "担当者"]), "担当者").group() == "担当"
    assert re.match(grouped_alternation(["担当者", "担当"]), "担当者").group() == "担当者"


def test_grouped_alternation_rejects_an_empty_word() -> None:
    with pytest.raises(ValueError):
        grouped_alternation(["様", ""])
