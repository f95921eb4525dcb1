"""Check-digit algorithms for Japanese identifiers and payment cards.

This is the canonical home of these validators: the demo corpus generator uses them to
make *valid* PII (so a detector that validates check digits finds them) and *invalid*
decoys (so a detector that only pattern-matches is caught producing false positives), and
the curation stage imports the very same functions, so generator and detector cannot drift
apart.

All ``is_valid_*`` functions accept the number as written: ASCII or full-width digits,
optionally separated by spaces, hyphens (any dash variant) or dots. They return ``False``
for anything that is not exactly the right number of digits after removing separators.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "corporate_number_check_digit",
    "digits_only",
    "is_luhn_valid",
    "is_valid_corporate_number",
    "is_valid_my_number",
    "luhn_check_digit",
    "my_number_check_digit",
]

# Separators people put inside long numbers: ASCII/full-width space, hyphen-minus, the
# full-width hyphen, the katakana prolonged sound mark (a common typo for a dash), the
# Unicode hyphen and en/em dashes, dots.
_SEPARATORS = frozenset(" \u3000-\uff0d\u30fc\u2010\u2011\u2012\u2013\u2014\u2212.\uff0e")


def digits_only(text: str) -> str | None:
    """Return the ASCII digits of ``text`` with separators removed, or ``None``.

    Full-width digits are folded to ASCII (NFKC). Any character that is neither a digit
    nor a known separator makes the result ``None``: "12a4" is not a number with a typo,
    it is not a number.
    """
    out: list[str] = []
    for ch in text:
        if ch in _SEPARATORS:
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and "0" <= folded <= "9":
            out.append(folded)
        else:
            return None
    return "".join(out)


def my_number_check_digit(base11: str) -> int:
    """Check digit of a My Number (個人番号) given its first 11 digits.

    Official rule (総務省令): number the 11 base digits P1..P11 from the right; weights
    Q_n = n + 1 for n = 1..6 and Q_n = n - 5 for n = 7..11; r = Σ P_n·Q_n mod 11;
    check = 0 if r <= 1 else 11 - r.
    """
    if len(base11) != 11 or not base11.isascii() or not base11.isdigit():
        raise ValueError(f"need 11 ASCII digits, got {base11!r}")
    total = 0
    for n in range(1, 12):
        p = ord(base11[11 - n]) - 48
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(text: str) -> bool:
    """True if ``text`` is 12 digits (separators allowed) whose last digit checks out."""
    digits = digits_only(text)
    if digits is None or len(digits) != 12:
        return False
    return my_number_check_digit(digits[:11]) == int(digits[11])


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a corporate number (法人番号) given its 12 base digits.

    Official rule (国税庁): number the base digits P1..P12 from the right; Q_n = 1 for odd
    n, 2 for even n; check = 9 - (Σ P_n·Q_n mod 9). Unlike My Number the check digit is
    the FIRST of the 13 digits, so it is always 1..9 (a 13-digit string starting with 0 is
    never a valid corporate number). Example: 国税庁 itself is 7000012050002.
    """
    if len(base12) != 12 or not base12.isascii() or not base12.isdigit():
        raise ValueError(f"need 12 ASCII digits, got {base12!r}")
    total = 0
    for n in range(1, 13):
        p = ord(base12[12 - n]) - 48
        total += p * (1 if n % 2 else 2)
    return 9 - total % 9


def is_valid_corporate_number(text: str) -> bool:
    """True if ``text`` is 13 digits (separators allowed) whose first digit checks out."""
    digits = digits_only(text)
    if digits is None or len(digits) != 13:
        return False
    return corporate_number_check_digit(digits[1:]) == int(digits[0])


def luhn_check_digit(partial: str) -> int:
    """Luhn (mod 10) check digit to append to ``partial`` (ASCII digits, check excluded)."""
    if not partial.isascii() or not partial.isdigit():
        raise ValueError(f"need ASCII digits, got {partial!r}")
    total = 0
    # The digit right before the check digit is doubled, then every second one leftwards.
    for i, ch in enumerate(reversed(partial)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_luhn_valid(text: str, lengths: tuple[int, ...] = (13, 14, 15, 16, 17, 18, 19)) -> bool:
    """True if ``text`` (separators allowed) has a card-like length and passes Luhn.

    ``lengths`` defaults to the ISO/IEC 7812 card-number lengths so that, say, a valid
    4-digit PIN is not reported as a card; pass ``lengths=()`` to accept any length.
    """
    digits = digits_only(text)
    if not digits or (lengths and len(digits) not in lengths):
        return False
    return luhn_check_digit(digits[:-1]) == int(digits[-1])
