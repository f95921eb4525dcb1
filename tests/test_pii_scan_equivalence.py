"""The PII recognisers' fast scans must find exactly what the plain whole-text scans find.

Several recognisers avoid a whole-text regex scan (an e-mail search starts near each "@", IPv4 is
tried only before a dotted quad, the domestic phone pattern is split in two literal-prefixed ones,
the address anchor scan starts at the first 都道府県市区 ...). Each is checked here against the
plain ``finditer`` it replaces, on seeded random strings built from the characters that matter
(dots, digits, separators, "@", anchors and their look-alikes) and on hand-picked edge cases.
"""

from __future__ import annotations

import random
import re

import pytest

from deshi.data.pii import address as A
from deshi.data.pii import normalize as NZ
from deshi.data.pii import numbers as N
from deshi.data.pii.recognizer import PIIRecognizer, digit_runs

# The single patterns the split or windowed scans replace (as they were written before).
_PHONE_DOMESTIC = re.compile(
    r"(?:"
    r"\((?<![0-9].)0\d{1,4}\)[ -]?\d{1,4}[ -]?\d{3,4}"
    r"|0(?<![0-9].)\d{1,4}[ -]?\(\d{1,4}\)[ -]?\d{3,4}"
    r"|0(?<![0-9].)\d{1,4}[ -]\d{1,4}[ -]\d{3,4}"
    r"|0(?<![0-9].)\d{1,4}\.\d{1,4}\.\d{4}"
    r"|0(?<![0-9].)\d{1,4}-\d{5,8}"
    r"|0(?<![0-9].)\d{9,10}"
    r")(?![0-9])"
)
_RUN7 = re.compile(r"[0-9](?:[ -]?[0-9]){6,}")
_DIGIT_DASH = re.compile(r"[ーｰ〜~](?<=[0-9].)(?=[0-9])")


def _spans(matches) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


def _anchored_reference(view: str):
    pos = 0
    while (anchor := A._QUICK.search(view, pos)) is not None:
        m = A.ADDRESS_RE.match(view, anchor.start())
        if m is None:
            pos = anchor.start() + 1
            continue
        yield m
        pos = m.end()


def _view_reference(text: str) -> str:
    view = text.translate(NZ._TABLE)
    return _DIGIT_DASH.sub("-", view)


_PIECES = [
    *"a1b0@.-_ 2.3:9x.\n（）ー〜~ｰ－　", "@", "a.b", "0.1.2.3", "255.", "1.2", "x@y.jp", "a_b@c-d.co.jp",
    "東京都", "港区", "新港区画", "市", "区", "町", "村", "県", "都", "道", "府", "1丁目", "三丁目", "1-2-3",
    "さいたま市", "北海道", "京都", "京都府", "大阪市北区", "神奈川県横浜市", "千代田区", "都市", "03", "0120",
    "(0", "(03)", "090", "+81", "１２", "０", "12 34", "〒", "2024-05-01",
    "郵便番号", "郵便", "ZIP", "zip", " code", "Code", "Postal Code", "post code", "住所", "所在地", "：", "\t",
    "123-4567", "1234567", "100-0001", "12345678",
]


def _random_texts(seed: int, count: int, max_pieces: int = 30) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, max_pieces))) for _ in range(count)]


EDGE_CASES = [
    "",
    "@",
    "@@a@b.cd",
    "mail: a@b.co.jp, b@c.jp" + "x" * 100 + "@",
    "x" * 70 + "@example.com",
    "IP 192.168.0.1 と 10.0.0.255、版 1.2.3.4.5、8.5.1.1. 目次",
    "1.2.3.4.5.6.7.8",
    "(03)1234-5678 03(1234)5678 03-1234-5678 0312345678 (0120)123-456 2020(03)",
    "〒100-0001 東京都千代田区千代田1-1 つくば市千現1-2-3 港区画 新港区画1-2",
    "郵便番号：100-0001、ZIP code: 1000001, Postal Code 100-0001, 住所 1 100-0001, 〒-100-0001, 〒12100-0001",
    "3ー4 5〜6 ー7 8ｰ 9~0 ０ー１",
]


@pytest.mark.parametrize("seed", [1, 2])
def test_fast_scans_find_what_whole_text_scans_find(seed: int) -> None:
    for text in EDGE_CASES + _random_texts(seed, 4000):
        view = NZ.matching_view(text)
        assert view == _view_reference(text), text
        assert _spans(N._email_matches(view)) == _spans(N._EMAIL.finditer(view)), text
        assert _spans(N._ipv4_matches(view)) == _spans(N._IPV4.finditer(view)), text
        assert _spans(N._domestic_matches(view)) == _spans(_PHONE_DOMESTIC.finditer(view)), text
        runs7 = digit_runs(view)[0]
        assert runs7 == _spans(_RUN7.finditer(view)), text
        assert list(N._marked_codes(view, runs7)) == [m.span("code") for m in N._POSTAL_MARKED.finditer(view)], text
        assert list(N.find_postal_codes(text, view, A.ADDRESS_START_RE, runs7)) == list(
            N.find_postal_codes(text, view, A.ADDRESS_START_RE)), text
        assert _spans(A._anchored_matches(view)) == _spans(_anchored_reference(view)), text
        assert _spans(A._generic_matches(view)) == _spans(A.GENERIC_ADDRESS_RE.finditer(view)), text


def test_other_unicode_digits_are_not_numbers_and_do_not_crash() -> None:
    """Runs of Arabic-Indic or Devanagari digits next to ASCII ones: the check-digit functions
    accept ASCII digits only, so these used to raise ValueError inside find()."""
    arabic = "".join(chr(0x660 + int(c)) for c in "123456789012")
    devanagari = "".join(chr(0x966 + int(c)) for c in "4111111111111111")
    rec = PIIRecognizer(names=False)
    assert rec.find(f"電話 1 番号 {arabic}") == []
    assert rec.find(f"x 1 {devanagari} 〒{arabic[:7]} 東京都") == []
