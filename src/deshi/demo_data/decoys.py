"""Generators for decoys: identifier-shaped strings a PII detector must NOT flag.

Industrial text is full of long digit runs (管理番号, 製造番号, 伝票番号), part numbers
that contain phone-like or postal-like groups (ABC-0120-5678, TN-123-4567) and dates.
A detector that pattern-matches without validating check digits or context flags them;
these decoys make that visible. Every 12-/13-digit decoy is checked to FAIL the My Number
/ corporate-number check, and every decoy with a card-like length to fail Luhn.
"""

from __future__ import annotations

import datetime as _dt
from random import Random

from deshi.checksums import (
    corporate_number_check_digit,
    is_luhn_valid,
    is_valid_corporate_number,
    is_valid_my_number,
    my_number_check_digit,
)

from .doc import DECOY, Piece

DECOY_TYPES = (
    "INVALID_MY_NUMBER", "INVALID_CORPORATE_NUMBER", "PART_NUMBER", "LOT_NUMBER", "SERIAL_NUMBER",
    "DATE", "MODEL_NUMBER",
)

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _digits(rng: Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _letters(rng: Random, n: int) -> str:
    return "".join(_LETTERS[rng.randrange(len(_LETTERS))] for _ in range(n))


def is_safe_digit_run(d: str) -> bool:
    """A digit string that no validating detector should accept as PII."""
    if len(d) == 12 and is_valid_my_number(d):
        return False
    if len(d) == 13 and is_valid_corporate_number(d):
        return False
    return not (13 <= len(d) <= 19 and is_luhn_valid(d))


def invalid_my_number(rng: Random) -> Piece:
    """12 digits whose last digit is NOT the My Number check digit."""
    while True:
        base = _digits(rng, 11)
        good = my_number_check_digit(base)
        bad = (good + rng.randrange(1, 10)) % 10
        d = base + str(bad)
        if is_safe_digit_run(d):
            return Piece(d, DECOY, "INVALID_MY_NUMBER")


def invalid_corporate_number(rng: Random) -> Piece:
    """13 digits whose first digit is NOT the corporate-number check digit (nor Luhn-valid)."""
    while True:
        base = _digits(rng, 12)
        good = corporate_number_check_digit(base)
        bad = (good + rng.randrange(1, 10)) % 10
        d = str(bad) + base
        if is_safe_digit_run(d):
            return Piece(d, DECOY, "INVALID_CORPORATE_NUMBER")


def part_number(rng: Random) -> Piece:
    """品番: includes 893 (a filter-word false positive) and phone/postal-lookalike groups."""
    form = rng.randrange(7)
    if form == 0:
        text = f"{_letters(rng, 2)}-893-{_letters(rng, 1)}{rng.randrange(10, 100)}"
    elif form == 1:
        text = f"{_letters(rng, 3)}-0120-{_digits(rng, 4)}"
    elif form == 2:
        text = f"{_letters(rng, 2)}-{rng.randrange(100, 1000)}-{_digits(rng, 4)}"
    elif form == 3:
        text = f"{_letters(rng, 1)}{_digits(rng, 4)}-{_digits(rng, 2)}{_letters(rng, 1)}"
    elif form == 4:
        text = f"{_digits(rng, 3)}-{_digits(rng, 3)}-{_letters(rng, 2)}"
    elif form == 5:
        text = f"{_letters(rng, 2)}{rng.choice(('893', '4649', '0893'))}{_letters(rng, 1)}"
    else:
        text = f"{_letters(rng, 4)}-{_digits(rng, 2)}-{_digits(rng, 3)}"
    return Piece(text, DECOY, "PART_NUMBER")


def lot_number(rng: Random, y: int | None = None, m: int | None = None, d: int | None = None) -> Piece:
    """LOT20240315-0893 style lot numbers (a date plus a sequence)."""
    y = y or rng.randrange(2021, 2026)
    m = m or rng.randrange(1, 13)
    d = d or rng.randrange(1, 29)
    seq = rng.choice((f"{rng.randrange(0, 10000):04d}", "0893", f"{rng.randrange(1, 100):02d}"))
    form = rng.randrange(3)
    if form == 0:
        text = f"LOT{y}{m:02d}{d:02d}-{seq}"
    elif form == 1:
        text = f"L{y % 100:02d}{m:02d}{d:02d}{_letters(rng, 1)}{rng.randrange(10, 100)}"
    else:
        text = f"{y % 100:02d}{m:02d}{d:02d}-{_letters(rng, 1)}{seq}"
    return Piece(text, DECOY, "LOT_NUMBER")


def serial_number(rng: Random) -> Piece:
    """製造番号: long digit runs (8930123456789 style), some card-like 4-4-4-4 groups.

    12/13/16-digit ones are chosen to fail My Number, corporate-number and Luhn checks.
    """
    form = rng.randrange(5)
    if form == 0:
        while True:
            d = "893" + _digits(rng, 10)
            if is_safe_digit_run(d):
                return Piece(d, DECOY, "SERIAL_NUMBER")
    if form == 1:
        while True:
            d = _digits(rng, rng.choice((10, 12, 13, 14)))
            if is_safe_digit_run(d):
                return Piece(d, DECOY, "SERIAL_NUMBER")
    if form == 2:  # grouped like a card number, but Luhn-invalid
        while True:
            d = _digits(rng, 16)
            if is_safe_digit_run(d):
                text = "-".join(d[i : i + 4] for i in range(0, 16, 4))
                return Piece(text, DECOY, "SERIAL_NUMBER")
    if form == 3:
        return Piece(f"SN{_digits(rng, 8)}", DECOY, "SERIAL_NUMBER")
    return Piece(f"{_letters(rng, 2)}{_digits(rng, 6)}{_letters(rng, 1)}", DECOY, "SERIAL_NUMBER")


def management_number(rng: Random) -> Piece:
    """管理番号/伝票番号/受付番号: invalid 12- or 13-digit numbers."""
    return invalid_my_number(rng) if rng.random() < 0.5 else invalid_corporate_number(rng)


def random_ymd(rng: Random) -> tuple[int, int, int]:
    """A date between 2022-04-01 and 2025-03-31 (fiscal years 2022..2024)."""
    y = rng.choice((2022, 2023, 2024, 2025))
    m = rng.randrange(4, 13) if y == 2022 else rng.randrange(1, 4) if y == 2025 else rng.randrange(1, 13)
    d = rng.randrange(1, 29)
    return y, m, d


_WEEKDAYS = "月火水木金土日"


def format_date(rng: Random, y: int, m: int, d: int) -> str:
    """2024-03-15 / 2024/03/15 / 2024年3月15日 / 令和6年3月15日 / R6.3.15 / 2024年3月15日(金)."""
    form = rng.choices(range(7), (25, 20, 28, 10, 5, 7, 5))[0]
    if form == 0:
        return f"{y}-{m:02d}-{d:02d}"
    if form == 1:
        return f"{y}/{m:02d}/{d:02d}"
    if form == 2:
        return f"{y}年{m}月{d}日"
    if form == 3:
        return f"令和{y - 2018}年{m}月{d}日"
    if form == 4:
        return f"R{y - 2018}.{m}.{d}"
    if form == 5:
        wd = _WEEKDAYS[_dt.date(y, m, d).weekday()]
        return f"{y}年{m}月{d}日({wd})"
    return f"{y}.{m:02d}.{d:02d}"


def date(rng: Random) -> Piece:
    y, m, d = random_ymd(rng)
    return Piece(format_date(rng, y, m, d), DECOY, "DATE")


def datetime_stamp(rng: Random) -> Piece:
    """A log timestamp: 2024-03-15 08:12 (also DATE: a detector must not call it a phone)."""
    y, m, d = random_ymd(rng)
    sep = rng.choice(("-", "/"))
    return Piece(f"{y}{sep}{m:02d}{sep}{d:02d} {rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}", DECOY, "DATE")


def time_range(rng: Random) -> Piece:
    """Working hours like 09:30-17:45 or 8時30分〜17時 (typed DATE: a temporal expression)."""
    h1, m1 = rng.randrange(6, 11), rng.choice((0, 15, 30, 45))
    h2, m2 = rng.randrange(15, 23), rng.choice((0, 15, 30, 45))
    if rng.random() < 0.7:
        text = f"{h1:02d}:{m1:02d}{rng.choice(('-', '〜', '～'))}{h2:02d}:{m2:02d}"
    else:
        text = f"{h1}時{m1:02d}分〜{h2}時{m2:02d}分" if m1 or m2 else f"{h1}時〜{h2}時"
    return Piece(text, DECOY, "DATE")


def firmware_version(rng: Random) -> Piece:
    """v2.10.3 / Ver.1.4.2 (three parts only: four-part versions are genuinely IP-shaped)."""
    core = f"{rng.randrange(1, 6)}.{rng.randrange(0, 20)}.{rng.randrange(0, 30)}"
    text = rng.choice(("v", "Ver.", "ver ", "V")) + core
    return Piece(text, DECOY, "MODEL_NUMBER")


def model_number(rng: Random) -> Piece:
    """A third-party model number (KX-2000, Type-R500): not the world's own catalogue."""
    form = rng.randrange(3)
    if form == 0:
        text = f"{_letters(rng, 2)}-{rng.randrange(10, 100) * 100}"
    elif form == 1:
        text = f"Type-{_letters(rng, 1)}{rng.randrange(100, 1000)}"
    else:
        text = f"{_letters(rng, 3)}{rng.randrange(1, 10)}{rng.randrange(0, 100):02d}{_letters(rng, 1)}"
    return Piece(text, DECOY, "MODEL_NUMBER")
