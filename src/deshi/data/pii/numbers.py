"""Recognisers for PII with a fixed syntax: phones, My Number, corporate numbers, cards, postal
codes, e-mail and IP addresses.

Every function takes the original ``text`` and its :func:`~deshi.data.pii.normalize.matching_view`
(same length, full-width and dash variants folded) and yields spans. Regexes only *propose*
candidates; a candidate is accepted when its structure validates: the Japanese numbering plan for
phones, the official check digits for My Number / corporate numbers, Luhn plus a known issuer
prefix for cards, :mod:`ipaddress` for IPs. That is what keeps part numbers, lot numbers, serials,
dates and version strings out.

Hand-written rather than a general PII library (Presidio, scrubadub): those ship Western phone and
ID formats and no Japanese numbering plan, My Number or 法人番号 check digits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence

from deshi.checksums import corporate_number_check_digit, is_luhn_valid, my_number_check_digit
from deshi.data.pii.types import PIISpan, PIIType

# ---------------------------------------------------------------------------------------------
# Boundaries and context
# ---------------------------------------------------------------------------------------------


Windows = Sequence[tuple[int, int]]


def _scan(pattern: re.Pattern[str], view: str, windows: Windows | None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(view)``, or only inside ``windows`` (sorted, non-overlapping spans).

    Why: the digit patterns below cost ~5 µs each per document when run over the whole text, because
    every digit (dates, quantities) is a candidate start. The recogniser first finds the maximal runs
    of digits joined by at most one space or dash (``PIIRecognizer``); every match of these patterns
    lies inside such a run, so scanning only the long runs gives the same matches. Look-behinds still
    see the text before a window (the regex engine reads the whole string); a window ends where the
    run ends, at a non-digit, so a ``(?![0-9])`` at the window's end answers as it would in the text.
    """
    if windows is None:
        yield from pattern.finditer(view)
        return
    for start, end in windows:
        yield from pattern.finditer(view, start, end)


def _is_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def clean_left(view: str, start: int) -> bool:
    """No ASCII letter/digit glued to the left (``ABC-0120…``, ``X03-…``, ``1.192.168…``)."""
    if start == 0:
        return True
    ch = view[start - 1]
    if _is_alnum(ch):
        return False
    if start >= 2:
        before = view[start - 2]
        if ch in "-_#" and _is_alnum(before):
            return False
        if ch in "./:" and before.isdigit():
            return False
    return True


def clean_right(view: str, end: int) -> bool:
    """No ASCII letter/digit glued to the right (``…-5678A``, ``…5678-12``, ``…4.5``)."""
    if end >= len(view):
        return True
    ch = view[end]
    if _is_alnum(ch):
        return False
    if end + 1 < len(view):
        after = view[end + 1]
        if ch in "-_#" and _is_alnum(after):
            return False
        if ch in ".:/" and after.isdigit():
            return False
    return True


_GROUP_AFTER = re.compile(r"\d{1,4}(?![\d/.\-年月:])")
_GROUP_BEFORE = re.compile(r"(?<![\d/.\-:])\d{1,4}$")


def _no_digit_group_beside(text: str, view: str, start: int, end: int) -> bool:
    """For grouped numbers: ``1234 5678 9012 3456`` must not yield a 12-digit My Number.

    A neighbouring group counts only when it is joined by the *same* separator character the
    number uses inside (so "4109 2175 1943　2025/02/04", a number then a date, is fine).
    """
    inner = {ch for ch in text[start:end] if not ch.isdigit() and not ("０" <= ch <= "９")}
    seps = inner or {" ", "-", "\u3000", "－"}
    if start >= 2 and text[start - 1] in seps and _GROUP_BEFORE.search(view, max(0, start - 6), start - 1):
        return False
    if end + 1 < len(view) and text[end] in seps and _GROUP_AFTER.match(view, end + 1):
        return False
    return True


# Labels that say "this number is something else". When the nearest label before a number is one
# of these, the number is not reported (a lot number whose digits happen to pass a check digit).
_NEGATIVE_CONTEXT = re.compile(
    r"(?:注文|伝票|製造|シリアル|型|品|部品|ロット|管理|受付|予約|追跡|問い?合わせ|問合せ|会員|口座|"
    r"整理|登録|製品|商品|請求書?|見積|契約|案件|チケット|資産|機番|号機)番号|"
    r"(?:型番|品番|ロット|シリアル|製番|バージョン|ビルド|ファームウェア)|"
    # English words only as whole words: "ver" inside Discover / server / driver, "Part" inside Partner
    # or "ID" inside UUID says nothing about the number after it.
    r"(?<![A-Za-z])(?:Lot|LOT|lot|S/N|SN|Serial|serial|SERIAL|P/N|PN|Part|Order|order|ORDER|"
    r"Ticket|ticket|Invoice|invoice|Tracking|tracking|Model|model|Ver|ver|VER|version|Version|"
    r"build|Build|firmware|Firmware|JAN|ISBN|ID|Id)(?![a-z])"
)
_PHONE_CONTEXT = re.compile(
    r"(?:TEL|Tel|tel|電話|携帯|連絡先|FAX|Fax|fax|ファックス|ファクス|Phone|phone|PHONE|Mobile|mobile|"
    r"代表|直通|内線|☎|℡|お問い?合わせ|問合せ|ダイヤル)"
)
_MY_NUMBER_CONTEXT = re.compile(r"(?:個人番号|マイナンバー|My ?Number|my ?number|MY ?NUMBER)")
_CORPORATE_CONTEXT = re.compile(r"(?:法人番号|Corporate ?Number|corporate ?number)")
_CARD_CONTEXT = re.compile(r"(?:カード|card|Card|CARD|クレジット|VISA|Visa|JCB|Master|AMEX|Amex|Discover|Diners|決済)")


def _nearest_label(view: str, start: int, positive: re.Pattern[str], window: int = 20) -> str | None:
    """Which label is closest before ``start`` on the same line: 'pos', 'neg' or None."""
    lo = max(0, start - window)
    newline = view.rfind("\n", lo, start)
    if newline >= 0:
        lo = newline + 1
    left = view[lo:start]
    best_pos = -1
    for m in positive.finditer(left):
        best_pos = m.end()
    best_neg = -1
    for m in _NEGATIVE_CONTEXT.finditer(left):
        best_neg = m.end()
    if best_pos < 0 and best_neg < 0:
        return None
    return "pos" if best_pos >= best_neg else "neg"


# ---------------------------------------------------------------------------------------------
# Phone numbers (Japanese numbering plan)
# ---------------------------------------------------------------------------------------------

_SEP = r"[ -]?"
_PHONE_WORD_GLUED = re.compile(r"(?<![A-Za-z])(?:TEL|Tel|tel|FAX|Fax|fax|PHONE|Phone|phone|MOBILE|Mobile|mobile|MOB|Mob)$")
# "Not after a digit" is checked after each alternative's first character ((?<![0-9].)), not
# before the group: a leading look-behind stops the engine from skipping ahead to "0" / "(".
_NB = r"(?<![0-9].)"
# (03)1234-5678. The look-behind after "(0" is the one above, two characters further on.
_PHONE_PAREN = re.compile(r"\(0(?<![0-9]..)\d{1,4}\)" + _SEP + r"\d{1,4}" + _SEP + r"\d{3,4}(?![0-9])")
# The alternatives that start with "0" share one "0" and one look-behind (a "0" inside a number,
# as in 2020 or 10, then fails once instead of five times).
_PHONE_ZERO = re.compile(
    r"0" + _NB + r"(?:"
    r"\d{1,4}" + _SEP + r"\(\d{1,4}\)" + _SEP + r"\d{3,4}"  # 03(1234)5678
    r"|\d{1,4}[ -]\d{1,4}[ -]\d{3,4}"  # 03-1234-5678, 0120 123 456
    r"|\d{1,4} - \d{1,4} - \d{3,4}"  # 090 - 1234 - 5678 (hand-typed, OCR)
    r"|\d{1,4}\.\d{1,4}\.\d{4}"  # 03.1234.5678
    r"|\d{1,4}の\d{1,4}の\d{4}"  # 090の1234の5678 (read out on a call, in a transcript)
    r"|\d{1,4}-\d{5,8}"  # 03-12345678
    r"|\d{9,10}"  # 0312345678, 09012345678
    r")(?![0-9])"
)
# Domestic numbers are the matches of the two patterns above, leftmost first, not overlapping:
# ``_domestic_matches``. Two patterns, each with a literal prefix ("(0" / "0") that the regex
# engine finds at memchr speed, instead of one whose first character is a class ("(" or "0"),
# which makes it test every character of the text (~4 µs on a 450-character document, ~2 µs for
# the two).
_PHONE_INTL = re.compile(
    r"\+81[ -]?(?:\(0\)[ -]?)?(?:\(\d{1,4}\)|\d{1,4})" + _SEP + r"\(?\d{1,4}\)?" + _SEP + r"\d{3,4}(?![0-9])"
)
_PHONE_GROUPS = re.compile(r"\d+")


def _valid_national(digits: str, last_group: int) -> bool:
    """Check a national-format number (leading 0) against the Japanese numbering plan."""
    if len(digits) < 10 or digits[0] != "0" or digits[1] == "0":
        return False
    head3, head4 = digits[:3], digits[:4]
    if head4 in ("0120", "0570", "0990"):  # toll-free, navi dial, info: 0120-xxx-xxx
        return len(digits) == 10
    if head4 == "0800":  # toll-free 0800-xxx-xxxx
        return len(digits) == 11
    if head3 in ("050", "060", "070", "080", "090"):  # IP phone, mobile, pager
        return len(digits) == 11 and last_group == 4 or len(digits) == 11 and last_group >= 8
    # Geographic: 0 + area code + local number = 10 digits; the subscriber number is 4 digits.
    return len(digits) == 10 and (last_group == 4 or last_group >= 8)


def _domestic_matches(view: str) -> Iterator[re.Match[str]]:
    """Domestic phone candidates: what ``finditer`` of the alternation of ``_PHONE_PAREN`` and
    ``_PHONE_ZERO`` (the one pattern this replaced) finds, leftmost first, not overlapping.

    At any position at most one of the two can match (they start with different characters), so
    the leftmost match at or after ``pos`` is the earlier of their leftmost matches there.
    """
    zero = _PHONE_ZERO.search(view)
    paren = _PHONE_PAREN.search(view)
    while zero is not None or paren is not None:
        m = zero if paren is None or (zero is not None and zero.start() < paren.start()) else paren
        yield m
        pos = m.end()
        if zero is not None and zero.start() < pos:
            zero = _PHONE_ZERO.search(view, pos)
        if paren is not None and paren.start() < pos:
            paren = _PHONE_PAREN.search(view, pos)


def find_phones(text: str, view: str) -> Iterator[PIISpan]:
    """Japanese phone numbers in domestic and +81 forms."""
    for m in _domestic_matches(view):
        s, e = m.span()
        if not clean_right(view, e):
            continue
        if not (clean_left(view, s) or _PHONE_WORD_GLUED.search(view, max(0, s - 6), s)):  # TEL03-1234-5678
            continue
        groups = _PHONE_GROUPS.findall(m.group())
        digits = "".join(groups)
        if not _valid_national(digits, len(groups[-1]) if len(groups) > 1 else len(digits)):
            continue
        label = _nearest_label(view, s, _PHONE_CONTEXT)
        if label == "neg":
            continue
        bare = len(groups) == 1
        score = 0.95 if label == "pos" else (0.75 if bare else 0.9)
        yield PIISpan(s, e, PIIType.PHONE, score, "phone")
    if "+" not in view:  # (one memchr-speed test; most documents hold no "+81")
        return
    for m in _PHONE_INTL.finditer(view):
        s, e = m.span()
        if not (clean_left(view, s) and clean_right(view, e)):
            continue
        groups = _PHONE_GROUPS.findall(m.group())
        rest = "".join(groups)[2:]  # drop the country code 81
        if rest.startswith("0"):  # "+81 (0)3 ..." keeps a trunk zero some people write
            rest = rest[1:]
        if _valid_national("0" + rest, len(groups[-1])):
            yield PIISpan(s, e, PIIType.PHONE, 0.95, "phone_intl")


# ---------------------------------------------------------------------------------------------
# My Number (12 digits) and corporate number (13 digits), check-digit validated
# ---------------------------------------------------------------------------------------------

_TWELVE = re.compile(r"\d(?<![0-9].)\d{3}[ -]?\d{4}[ -]?\d{4}(?![0-9])")
_THIRTEEN = re.compile(r"\d(?<![0-9].)[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?![0-9])")


def _digits(match: str) -> str:
    """The digits of a long-number match (which holds digits, spaces and dashes only)."""
    return match.replace(" ", "").replace("-", "")


def _is_placeholder(base: str) -> bool:
    """One digit repeated (00000000000): what forms and 記入例 print in the number's place.

    The check digit of eleven zeros is 0 (of twelve, for a corporate number, 9), so 000000000000 and
    9000000000000 pass the checksum. A real number is derived from a random 住民票コード (a corporate
    number from a registry serial), so all its base digits being equal has a chance of 10 in 10^11;
    a repeated digit in text is a placeholder or a masked value, not a person's number.
    """
    return base.count(base[0]) == len(base)


def find_my_numbers(text: str, view: str, windows: Windows | None = None) -> Iterator[PIISpan]:
    """個人番号: 12 digits (``1234 5678 9012``, ``123456789012``) with a valid check digit."""
    for m in _scan(_TWELVE, view, windows):
        s, e = m.span()
        if not (clean_left(view, s) and clean_right(view, e)):
            continue
        # The check digit first: it rejects ~10 of 11 candidates for less than the group test costs.
        # (The match holds digits, spaces and dashes only; other Unicode digits are not a My Number.)
        digits = _digits(m.group())
        if not digits.isascii() or my_number_check_digit(digits[:11]) != int(digits[11]):
            continue
        if _is_placeholder(digits[:11]):
            continue
        if not _no_digit_group_beside(text, view, s, e):
            continue
        label = _nearest_label(view, s, _MY_NUMBER_CONTEXT)
        if label == "neg":
            continue
        yield PIISpan(s, e, PIIType.MY_NUMBER, 0.99 if label == "pos" else 0.9, "my_number")


def find_corporate_numbers(text: str, view: str, windows: Windows | None = None) -> Iterator[PIISpan]:
    """法人番号: 13 digits whose first digit is the check digit of the other twelve."""
    for m in _scan(_THIRTEEN, view, windows):
        s, e = m.span()
        # T + 法人番号 is a qualified-invoice registration number (適格請求書発行事業者登録番号): the
        # 13 digits after the T are the corporate number itself.
        t_number = s >= 1 and view[s - 1] == "T" and (s < 2 or not _is_alnum(view[s - 2]))
        if not ((t_number or clean_left(view, s)) and clean_right(view, e)):
            continue
        digits = _digits(m.group())
        if not digits.isascii() or corporate_number_check_digit(digits[1:]) != int(digits[0]):
            continue
        if _is_placeholder(digits[1:]):
            continue
        if not _no_digit_group_beside(text, view, s, e):
            continue
        if t_number:
            yield PIISpan(s, e, PIIType.CORPORATE_NUMBER, 0.99, "corporate_number_invoice")
            continue
        label = _nearest_label(view, s, _CORPORATE_CONTEXT)
        if label == "neg":
            continue
        yield PIISpan(s, e, PIIType.CORPORATE_NUMBER, 0.99 if label == "pos" else 0.9, "corporate_number")


# ---------------------------------------------------------------------------------------------
# Payment cards: Luhn + issuer prefix
# ---------------------------------------------------------------------------------------------

_CARD = re.compile(r"\d(?<![0-9].)(?:[ -]?\d){12,18}(?![0-9])")


def _known_issuer(d: str) -> bool:
    """IIN ranges of the brands seen in Japan (Visa, Mastercard, JCB, Amex, Diners, Discover)."""
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)
    two, four = int(d[:2]), int(d[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16
    if 3528 <= four <= 3589:
        return 16 <= n <= 19
    if two in (34, 37):
        return n == 15
    if two in (36, 38) or 300 <= int(d[:3]) <= 305:
        return 14 <= n <= 19
    if four == 6011 or two == 65 or 644 <= int(d[:3]) <= 649:
        return 16 <= n <= 19
    return False


def find_cards(text: str, view: str, windows: Windows | None = None) -> Iterator[PIISpan]:
    """Credit/debit card numbers written whole or in groups (``4111 1111 1111 1111``)."""
    for m in _scan(_CARD, view, windows):
        s, e = m.span()
        if not (clean_left(view, s) and clean_right(view, e)):
            continue
        raw = m.group()
        if " " in raw and "-" in raw:  # mixed separators: two numbers side by side, not one card
            continue
        digits = _digits(raw)
        if not (_known_issuer(digits) and is_luhn_valid(digits)):
            continue
        label = _nearest_label(view, s, _CARD_CONTEXT)
        if label == "neg":
            continue
        yield PIISpan(s, e, PIIType.CREDIT_CARD, 0.99 if label == "pos" else 0.95, "card")


# ---------------------------------------------------------------------------------------------
# Postal codes
# ---------------------------------------------------------------------------------------------

_POSTAL_MARKED = re.compile(
    r"(?:〒|郵便番号|郵便|ZIP|Zip|zip|Postal [Cc]ode|postal [Cc]ode|Post [Cc]ode|post [Cc]ode|住所|所在地)"
    r"(?:\s*(?:code|Code))?[ \t:.：]*"
    r"(?P<code>\d{3}-?\d{4})(?![0-9])"
)
# The same markers as literals, for checking what stands before a digit run (``_marked_code_end``).
_POSTAL_MARKERS = (
    "〒", "郵便番号", "郵便", "ZIP", "Zip", "zip", "住所", "所在地",
    *(f"{w} {c}ode" for w in ("Postal", "postal", "Post", "post") for c in "Cc"),
)
_POSTAL_SEPARATORS = " \t:.："
_CODE_WORDS = ("code", "Code")
# The character right before a marked code: a separator, or the last one of a marker or "code".
_BEFORE_MARKED_CODE = frozenset(_POSTAL_SEPARATORS) | {m[-1] for m in (*_POSTAL_MARKERS, *_CODE_WORDS)}
_POSTAL_CODE = re.compile(r"[0-9]{3}-?[0-9]{4}(?![0-9])")
_POSTAL_BARE = re.compile(r"\d(?<![0-9].)\d{2}-?\d{4}(?![0-9])")
_GAP = re.compile(r"(?:[ \t、,．.・]|&nbsp;|<br\s*/?>|\n){0,4}")


def _marked_code_end(view: str, start: int) -> int:
    """End of the code of a ``_POSTAL_MARKED`` match whose code starts at ``start``, or -1.

    Reads the pattern backwards: ``[ \\t:.：]*`` right before the code, before that a marker, or
    "code"/"Code" after whitespace after a marker. (No marker, "code" or separator ends in a
    character of the others' sets, so the longest separator and whitespace stretches decide.)
    """
    j = start
    while j > 0 and view[j - 1] in _POSTAL_SEPARATORS:
        j -= 1
    if not view.endswith(_POSTAL_MARKERS, 0, j):
        if not view.endswith(_CODE_WORDS, 0, j):
            return -1
        k = j - 4
        while k > 0 and view[k - 1].isspace():
            k -= 1
        if not view.endswith(_POSTAL_MARKERS, 0, k):
            return -1
    m = _POSTAL_CODE.match(view, start)
    return -1 if m is None else m.end()


def _marked_codes(view: str, runs7: Windows | None) -> Iterator[tuple[int, int]]:
    """Spans of the ``code`` group of ``_POSTAL_MARKED.finditer(view)``.

    With ``runs7`` (the maximal runs of 7+ ASCII digits, see ``PIIRecognizer``): a marked code
    follows a marker or separator, never a digit or a dash, so it starts a digit run and has 7
    digits: it is the start of one of these runs. Checking the few characters before each run
    replaces a whole-text scan for the markers (whose first characters form a class the regex
    engine tests at every position, ~2 µs per document). Marked matches cannot overlap (a marker
    and its separators hold no digit), so every run start is judged on its own.
    """
    if runs7 is None:
        for m in _POSTAL_MARKED.finditer(view):
            yield m.span("code")
        return
    for start, _ in runs7:
        if start and view[start - 1] in _BEFORE_MARKED_CODE:
            end = _marked_code_end(view, start)
            if end >= 0:
                yield start, end


def find_postal_codes(
    text: str, view: str, address_starts: re.Pattern[str], windows: Windows | None = None
) -> Iterator[PIISpan]:
    """``〒123-4567``, ``郵便番号 1234567``, or a bare ``123-4567`` right before an address.

    The bare form is everywhere in Japanese text (parts, extensions, ticket numbers), so without a
    marker it is only accepted when an address (a prefecture or designated city) follows within a
    few characters, the way addresses are written on envelopes and forms.
    """
    seen: set[int] = set()
    for s, e in _marked_codes(view, windows):
        # one repeated digit (〒000-0000 in a form's 記入例) is a placeholder, as for My Numbers
        if not clean_right(view, e) or _is_placeholder(_digits(view[s:e])):
            continue
        seen.add(s)
        yield PIISpan(s, e, PIIType.POSTAL_CODE, 0.98, "postal_marked")
    for m in _scan(_POSTAL_BARE, view, windows):
        s, e = m.span()
        if s in seen or not (clean_left(view, s) and clean_right(view, e)):
            continue
        gap = _GAP.match(view, e)
        if gap is not None and address_starts.match(view, gap.end()):
            yield PIISpan(s, e, PIIType.POSTAL_CODE, 0.85, "postal_before_address")


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[A-Za-z0-9](?<![A-Za-z0-9._%+\-].)(?:[A-Za-z0-9._%+\-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)


# Every match holds an "@" at most 64 characters after its start (one character, then at most 63
# of the local part).
_EMAIL_LOCAL_MAX = 64


def _email_matches(view: str) -> Iterator[re.Match[str]]:
    """The matches of ``_EMAIL.finditer(view)``, searched from near each "@" only.

    Why: the pattern's first character is any ASCII letter or digit, so a whole-text scan tries a
    match at every one of them (~4 µs on a 450-character document). ``str.find`` locates the "@"s
    at memchr speed; the leftmost match at or after ``pos`` contains the first "@" at or after
    ``pos`` (a match's "@" comes after its start), so it starts at most 64 characters before that
    "@" and a search from there finds the same match the full scan does.
    """
    pos = 0
    while (at := view.find("@", pos)) >= 0:
        m = _EMAIL.search(view, max(pos, at - _EMAIL_LOCAL_MAX))
        if m is None:
            return
        yield m
        pos = m.end()


def find_emails(text: str, view: str) -> Iterator[PIISpan]:
    """E-mail addresses, also with a full-width ＠ or full-width letters."""
    for m in _email_matches(view):
        yield PIISpan(m.start(), m.end(), PIIType.EMAIL, 0.99, "email")


# Addresses people obfuscate against scrapers: taro[at]example.co.jp, taro (at) example [dot] co [dot] jp.
# Only the bracketed [at]/(at) (and [dot]/(dot)): a bare " at " is English prose.
_AT_MARK = re.compile(r"[\[(][ ]?(?:at|AT)[ ]?[\])]")
_OBF_DOT = r"(?:\.|[ ]?[\[(][ ]?(?:dot|DOT)[ ]?[\])][ ]?)"
_EMAIL_OBFUSCATED = re.compile(
    r"[A-Za-z0-9](?<![A-Za-z0-9._%+\-].)[A-Za-z0-9._%+\-]{0,63}[ ]?[\[(][ ]?(?:at|AT)[ ]?[\])][ ]?"
    rf"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?{_OBF_DOT})+[A-Za-z]{{2,24}}(?![A-Za-z0-9\-])"
)


def find_obfuscated_emails(text: str, view: str) -> Iterator[PIISpan]:
    """E-mail addresses written with [at]/(at) for the @ (and maybe [dot]/(dot) for the dots)."""
    mark = _AT_MARK.search(view)
    if mark is None:
        return
    for m in _EMAIL_OBFUSCATED.finditer(view, max(0, mark.start() - _EMAIL_LOCAL_MAX - 1)):
        yield PIISpan(m.start(), m.end(), PIIType.EMAIL, 0.9, "email_obfuscated")


# ---------------------------------------------------------------------------------------------
# IP addresses
# ---------------------------------------------------------------------------------------------

# A dotted quad somewhere ("d.d.d.d"), anchored on its first dot: dots are rarer than digits.
_IPV4_QUICK = re.compile(r"\.(?<=\d\.)\d{1,3}\.\d{1,3}\.\d")
_IPV4 = re.compile(r"\d(?<![0-9.].)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![0-9])")
# (Where a pattern must not follow a digit, the look-behind comes after the first character: Python's
# regex engine can then skip ahead to candidate characters instead of trying every position.)
# Bounded by non-word characters on both sides: "std::path", "Vec::new", "Self::Item" are Rust/C++
# paths whose hex-looking letters would otherwise parse as IPv6 ("d::", "e::Ce").
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Za-z_:]|\.\d)"
)
# "h::", "::h" or "h:h:h:" somewhere (h a hex digit), written to start at a colon so the engine skips
# ahead to colons instead of trying every position.
_IPV6_QUICK = re.compile(
    r":(?:(?<=[0-9A-Fa-f]:):|(?<=::)[0-9A-Fa-f]|(?<=[0-9A-Fa-f]:)[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)"
)
# The cue word must start a word: "server 10.0.0.1", "driver 10.0.0.1" end in "ver" and are no version.
_VERSION_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:[vV]|[vV]er\.?|[vV]ersion|VERSION|バージョン|ファームウェア|ファーム|ソフトウェア|[Ff]irmware|FW|"
    r"[Rr]elease|リリース|[Bb]uild|ビルド|アップデート|[Uu]pdate|パッチ|[Pp]atch|OID|oid)[\s:：]*$"
)


# Headings, figures and tables numbered like a dotted quad: "第3章 3.1.2.4 節を参照", "図 2.1.1.3".
_SECTION_AFTER = re.compile(r"[ 　]?(?:節|項|章|条|[Ss]ection\b)")
_SECTION_CHARS = frozenset("節項章条図表§FfTtSsCc")  # a character every section pattern needs
_SECTION_BEFORE = re.compile(r"(?:図|表|節|項|章|§|[Ff]ig\.?|[Ff]igure|[Tt]able|[Ss]ection|[Cc]hapter)[ 　]?$")


def _is_section_number(view: str, cand: str, start: int) -> bool:
    """True if the parent number ("8.5.1." for "8.5.1.1.") stands nearby: a numbered heading."""
    parent = cand.rsplit(".", 1)[0] + "."
    window = view[max(0, start - 80) : start + 80]
    return re.search(rf"(?<![\d.]){re.escape(parent)}(?!\d)", window) is not None


def _ipv4_matches(view: str) -> Iterator[re.Match[str]]:
    """The matches of ``_IPV4.finditer(view)``, tried only just before a dotted quad.

    Why: ``_IPV4`` starts at any digit, so a whole-text scan tries a match at every digit of every
    date and quantity. A match's first dot D has a digit before it and "d.d.d" after it, which is
    what ``_IPV4_QUICK`` finds (anchored on the dot, at memchr speed), and the match starts one to
    three characters before D. So the leftmost match at or after ``pos`` starts in [D - 3, D - 1]
    for the leftmost such D at or after ``pos`` that has one (starts and first dots increase together).
    """
    pos = 0  # where the next match may start (finditer resumes at the end of the last one)
    from_dot = 0
    while (quick := _IPV4_QUICK.search(view, from_dot)) is not None:
        dot = quick.start()
        for start in range(max(pos, dot - 3), dot):
            m = _IPV4.match(view, start)
            if m is not None:
                yield m
                pos = m.end()
                break
        from_dot = max(dot + 1, pos)


def find_ips(text: str, view: str) -> Iterator[PIISpan]:
    """IPv4 (dotted quad, octets ≤ 255, not a longer version string) and IPv6 addresses."""
    for m in _ipv4_matches(view):
        s, e = m.span()
        if e < len(view) and view[e] == "." and e + 1 < len(view) and view[e + 1].isdigit():
            continue  # 1.2.3.4.5: a version or OID, not an address
        if s > 0 and (view[s - 1].isascii() and view[s - 1].isalpha()):
            continue  # v1.2.3.4
        if _VERSION_BEFORE.search(view[max(0, s - 16) : s]):
            continue
        if m.group().startswith("255."):
            continue  # a netmask (255.255.255.0) or the broadcast address: no host's address
        if (not _SECTION_CHARS.isdisjoint(view[max(0, s - 8) : e + 2])
                and (_SECTION_AFTER.match(view, e) or _SECTION_BEFORE.search(view, max(0, s - 8), s))):
            continue  # 3.1.2.4 節, 図 2.1.1.3: a numbered heading, figure or table
        # Octets ≤ 255. Zero-padded octets (192.168.001.010) are common in Japanese network
        # documents, so they are accepted although ipaddress.IPv4Address rejects them.
        if any(int(octet) > 255 for octet in m.group().split(".")):
            continue
        if e < len(view) and view[e] == "." and _is_section_number(view, m.group(), s):
            continue  # "8.5.1.1. タプル" in a table of contents
        yield PIISpan(s, e, PIIType.IP_ADDRESS, 0.95, "ipv4")
    if view.count(":") < 3 and "::" not in view or _IPV6_QUICK.search(view) is None:
        return
    for m in _IPV6.finditer(view):
        cand = m.group()
        groups = [g for g in re.split(r"::?", cand) if g]
        if cand.count(":") < 2 or (len(groups) < 2 and cand != "::1"):
            continue  # "d::", "::": valid syntax, but not an address anyone writes
        if "::" not in cand and cand.count(":") < 7:
            continue  # 12:30:45 is a time
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        yield PIISpan(m.start(), m.end(), PIIType.IP_ADDRESS, 0.95, "ipv6")
