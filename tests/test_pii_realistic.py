"""The hand-written realistic set (tests/pii_realistic.py): every expected span found with its exact
value, nothing else flagged. Independent of the demo corpus generator."""

from __future__ import annotations

import pytest

from deshi.data.pii import find_pii
from pii_realistic import CASES


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[f"case{i:02d}" for i in range(len(CASES))])
def test_realistic_case(text: str, expected: list[tuple[str, str]]) -> None:
    for _, value in expected:
        assert text.count(value) == 1, f"test data: {value!r} must occur once"
    got = sorted((s.type.value, s.text(text)) for s in find_pii(text))
    assert got == sorted(expected)


def test_realistic_set_is_substantial() -> None:
    assert len(CASES) >= 40
    kinds = {k for _, exp in CASES for k, _ in exp}
    assert kinds == {"PERSON", "PHONE", "EMAIL", "MY_NUMBER", "CORPORATE_NUMBER", "POSTAL_CODE", "ADDRESS",
                     "IP_ADDRESS", "CREDIT_CARD"}
