"""Generators for labelled PII, each returning a :class:`Piece` with the exact surface form.

Every generator takes the document's ``Random`` and decides both the value and how it is
written (separators, full-width digits, international form...), because real documents
vary the form far more than the value, and detectors fail on forms. The label covers
what a redaction should remove: the name without the honorific, the postal code without
〒, the corporate number without the invoice-registration ``T`` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from deshi.checksums import corporate_number_check_digit, luhn_check_digit, my_number_check_digit

from .doc import PII, Piece
from .lexicon import (
    BUILDINGS,
    COMPANIES,
    FAMOUS_TOWNS,
    FOREIGN_KATAKANA_NAMES,
    GIVEN_NAMES,
    MAIL_DOMAINS,
    PREFECTURES,
    RURAL_AREAS,
    SURNAMES,
    TOWNS,
)

PII_TYPES = (
    "PERSON", "PHONE", "EMAIL", "MY_NUMBER", "CORPORATE_NUMBER", "POSTAL_CODE", "ADDRESS",
    "IP_ADDRESS", "CREDIT_CARD",
)

_FW_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_PREF_NAMES = tuple(PREFECTURES)


def to_fullwidth_digits(s: str) -> str:
    """ASCII digits to full-width digits (other characters unchanged)."""
    return s.translate(_FW_DIGITS)


def _digits(rng: Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


# --------------------------------------------------------------------------- persons


@dataclass(frozen=True, slots=True)
class Person:
    """One fictional person; templates mention them by full name or surname."""

    surname: str
    given: str
    surname_en: str
    given_en: str
    foreign: str = ""  # whole katakana name for foreign residents

    def full(self, rng: Random) -> Piece:
        """Full name in one of the common layouts (space, ideographic space, none)."""
        if self.foreign:
            return Piece(self.foreign, PII, "PERSON")
        sep = rng.choices(("\u3000", " ", ""), (3, 4, 3))[0]
        return Piece(f"{self.surname}{sep}{self.given}", PII, "PERSON")

    def sur(self) -> Piece:
        """Surname only, as used with 様/さん after the first mention."""
        if self.foreign:
            return Piece(self.foreign.split("・")[0], PII, "PERSON")
        return Piece(self.surname, PII, "PERSON")

    def romaji(self, rng: Random) -> Piece:
        """Romanised name for English text: Taro Yamada / YAMADA Taro / T. Yamada."""
        g, s = self.given_en, self.surname_en
        form = rng.randrange(4)
        text = (f"{g} {s}", f"{s.upper()} {g}", f"{g[0]}. {s}", f"{s} {g}")[form]
        return Piece(text, PII, "PERSON")

    def email_local(self, rng: Random) -> str:
        g, s = self.given_en.lower(), self.surname_en.lower()
        form = rng.randrange(7)
        return (
            f"{g}.{s}", f"{g[0]}.{s}", f"{s}-{g}", f"{s}{rng.randrange(1, 100)}", f"{g}_{s[0]}{rng.randrange(70, 100)}",
            f"{s}.{g}", f"{g[0]}{s}",
        )[form]


_FOREIGN_EN = {
    "グエン・ヴァン・ナム": ("Nam", "Nguyen"), "チャン・ティ・ラン": ("Lan", "Tran"),
    "マリア・サントス": ("Maria", "Santos"), "ジョン・スミス": ("John", "Smith"),
    "ラジェシュ・クマール": ("Rajesh", "Kumar"), "キム・ミンジュ": ("Minju", "Kim"),
    "リー・ウェイ": ("Wei", "Li"), "アナ・シルバ": ("Ana", "Silva"), "ファム・ミン・ドゥック": ("Duc", "Pham"),
    "ホセ・ガルシア": ("Jose", "Garcia"), "サラ・ミラー": ("Sarah", "Miller"), "アフマド・ハサン": ("Ahmad", "Hasan"),
}


def new_person(rng: Random, foreign_rate: float = 0.04) -> Person:
    """A random person; a few percent are foreign residents written in katakana."""
    if rng.random() < foreign_rate:
        name = FOREIGN_KATAKANA_NAMES[rng.randrange(len(FOREIGN_KATAKANA_NAMES))]
        g, s = _FOREIGN_EN[name]
        return Person(name.split("・")[0], name.split("・")[-1], s, g, foreign=name)
    s, s_en = SURNAMES[rng.randrange(len(SURNAMES))]
    g, g_en = GIVEN_NAMES[rng.randrange(len(GIVEN_NAMES))]
    return Person(s, g, s_en, g_en)


# --------------------------------------------------------------------------- phones

# (prefix digits, middle length, last length); Japanese numbers are 10 digits (landline,
# toll-free 0120) or 11 (mobile, IP phone, 0800). Area-code length varies 2..5 digits.
_PHONE_PLANS = {
    "mobile": (("090", 4, 4), ("080", 4, 4), ("070", 4, 4)),
    "ip": (("050", 4, 4),),
    "landline": (
        ("03", 4, 4), ("06", 4, 4), ("045", 3, 4), ("052", 3, 4), ("011", 3, 4), ("092", 3, 4),
        ("022", 3, 4), ("075", 3, 4), ("078", 3, 4), ("082", 3, 4), ("048", 3, 4), ("043", 3, 4),
        ("0466", 2, 4), ("0422", 2, 4), ("0285", 2, 4), ("0263", 2, 4), ("0877", 2, 4), ("0555", 2, 4),
        ("01267", 1, 4), ("04992", 1, 4), ("09969", 1, 4),
    ),
    "tollfree": (("0120", 3, 3), ("0800", 3, 4)),
}
_FW_HYPHENS = ("－", "ー", "‐", "-")


def phone(rng: Random, kind: str | None = None) -> Piece:
    """A phone number in one of the forms seen in Japanese business text.

    ``kind`` is mobile / ip / landline / tollfree (random if None). Forms: 090-1234-5678,
    09012345678, 090 1234 5678, 03(1234)5678, (03)1234-5678, full-width with －/ー/‐, and
    +81-90-1234-5678 (not for toll-free numbers, which cannot be dialled from abroad).
    """
    if kind is None:
        kind = rng.choices(("mobile", "landline", "tollfree", "ip"), (40, 45, 10, 5))[0]
    plans = _PHONE_PLANS[kind]
    area, mid_n, last_n = plans[rng.randrange(len(plans))]
    mid = str(rng.randrange(1, 10)) + _digits(rng, mid_n - 1)
    last = _digits(rng, last_n)
    forms = ["hyphen", "plain", "space", "paren_mid", "paren_area", "fullwidth", "intl"]
    weights = [52, 9, 5, 7, 7, 10, 10]
    if kind == "tollfree":
        weights[-1] = 0
    form = rng.choices(forms, weights)[0]
    if form == "hyphen":
        text = f"{area}-{mid}-{last}"
    elif form == "plain":
        text = f"{area}{mid}{last}"
    elif form == "space":
        text = f"{area} {mid} {last}"
    elif form == "paren_mid":
        text = f"{area}({mid}){last}"
    elif form == "paren_area":
        text = f"({area}){mid}-{last}"
    elif form == "fullwidth":
        h = _FW_HYPHENS[rng.randrange(len(_FW_HYPHENS))]
        text = to_fullwidth_digits(f"{area}{h}{mid}{h}{last}")
    else:
        sep = "-" if rng.random() < 0.7 else " "
        text = f"+81{sep}{area[1:]}{sep}{mid}{sep}{last}"
    return Piece(text, PII, "PHONE")


# --------------------------------------------------------------------------- e-mail


def email(rng: Random, person: Person | None = None, domain: str | None = None) -> Piece:
    """An address; personal ones use the person's romanised name. 5% use full-width ＠."""
    if person is not None and rng.random() < 0.8:
        local = person.email_local(rng)
    else:
        roles = ("info", "support", "sales", "contact", "jinji", "hoshu", "service", "order", "helpdesk")
        local = roles[rng.randrange(len(roles))]
        if rng.random() < 0.3:
            local += str(rng.randrange(1, 30))
    if domain is None:
        r = rng.random()
        if r < 0.55:
            slug = COMPANIES[rng.randrange(len(COMPANIES))][1]
            tld = rng.choices((".co.jp", ".jp", ".com", ".ne.jp"), (6, 2, 2, 1))[0]
            domain = slug + tld
        else:
            domain = MAIL_DOMAINS[rng.randrange(len(MAIL_DOMAINS))]
    at = "＠" if rng.random() < 0.05 else "@"
    return Piece(f"{local}{at}{domain}", PII, "EMAIL")


# --------------------------------------------------------------------------- numbers


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(digits[i : i + n])
        i += n
    return sep.join(out)


def my_number_digits(rng: Random) -> str:
    """12 digits with a valid My Number check digit."""
    base = _digits(rng, 11)
    return base + str(my_number_check_digit(base))


def my_number(rng: Random) -> Piece:
    """A valid My Number: plain, or 4-4-4 with spaces or hyphens."""
    d = my_number_digits(rng)
    form = rng.choices(("plain", "space", "hyphen"), (6, 2, 2))[0]
    text = d if form == "plain" else _group(d, (4, 4, 4), " " if form == "space" else "-")
    return Piece(text, PII, "MY_NUMBER")


def corporate_number_digits(rng: Random) -> str:
    """13 digits with a valid corporate-number check digit (first digit)."""
    base = _digits(rng, 12)
    return str(corporate_number_check_digit(base)) + base


def corporate_number(rng: Random, digits: str | None = None) -> Piece:
    """A valid corporate number, almost always written as 13 plain digits."""
    d = digits or corporate_number_digits(rng)
    text = d if rng.random() < 0.9 else _group(d, (1, 4, 4, 4), "-")
    return Piece(text, PII, "CORPORATE_NUMBER")


def credit_card(rng: Random) -> Piece:
    """A Luhn-valid Visa/Mastercard/JCB (16 digits) or Amex (15 digits) number."""
    brand = rng.choices(("visa", "master", "jcb", "amex"), (4, 3, 3, 1))[0]
    if brand == "visa":
        prefix, length = "4", 16
    elif brand == "master":
        prefix = str(rng.randrange(51, 56)) if rng.random() < 0.8 else str(rng.randrange(2221, 2721))
        length = 16
    elif brand == "jcb":
        prefix, length = str(rng.randrange(3528, 3590)), 16
    else:
        prefix, length = rng.choice(("34", "37")), 15
    partial = prefix + _digits(rng, length - 1 - len(prefix))
    d = partial + str(luhn_check_digit(partial))
    form = rng.choices(("space", "hyphen", "plain"), (4, 3, 3))[0]
    if form == "plain":
        text = d
    else:
        sizes = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
        text = _group(d, sizes, " " if form == "space" else "-")
    return Piece(text, PII, "CREDIT_CARD")


# --------------------------------------------------------------------------- addresses


def postal_code(rng: Random) -> tuple[str, Piece]:
    """(prefix, piece): the prefix (〒 or nothing) is NOT part of the label."""
    d = _digits(rng, 7)
    form = rng.choices(("hyphen", "plain", "fullwidth"), (80, 14, 6))[0]
    if form == "hyphen":
        text = f"{d[:3]}-{d[3:]}"
    elif form == "plain":
        text = d
    else:
        text = to_fullwidth_digits(d[:3]) + "－" + to_fullwidth_digits(d[3:])
    prefix = rng.choices(("〒", "〒 ", ""), (75, 5, 20))[0]
    return prefix, Piece(text, PII, "POSTAL_CODE")


def _house_number(rng: Random) -> str:
    c, b, g = rng.randrange(1, 10), rng.randrange(1, 30), rng.randrange(1, 25)
    form = rng.choices(("kanji", "hyphen", "mixed", "fullwidth", "banchi"), (30, 40, 12, 8, 10))[0]
    if form == "kanji":
        return f"{c}丁目{b}番{g}号"
    if form == "hyphen":
        return f"{c}-{b}-{g}"
    if form == "mixed":
        return f"{c}丁目{b}-{g}"
    if form == "fullwidth":
        return to_fullwidth_digits(f"{c}－{b}－{g}")
    return f"{rng.randrange(1, 3000)}番地" + (f"{g}" if rng.random() < 0.3 else "")


def _building(rng: Random) -> str:
    name = BUILDINGS[rng.randrange(len(BUILDINGS))]
    form = rng.randrange(4)
    floor = rng.randrange(1, 31)
    if form == 0:
        tail = f"{floor}階"
    elif form == 1:
        tail = f" {floor}F"
    elif form == 2:
        tail = f"{floor}{rng.randrange(1, 20):02d}号室"
    else:
        tail = ""
    sep = rng.choice((" ", "\u3000", ""))
    return sep + name + tail


def address(rng: Random) -> Piece:
    """Prefecture through building, e.g. 東京都港区芝浦3丁目4番1号 グランパークタワー12階.

    Covers all 47 prefectures, wards, cities, 郡+町/村 (rural ones with 大字/字 and 番地),
    Sapporo's 条/丁目 grid, hyphenated and full-width house numbers.
    """
    r = rng.random()
    if r < 0.15:
        pref, muni, town = FAMOUS_TOWNS[rng.randrange(len(FAMOUS_TOWNS))]
        body = f"{pref}{muni}{town}{_house_number(rng)}"
    elif r < 0.2:
        ward = rng.choice(("中央区", "北区", "東区", "白石区"))
        body = f"北海道札幌市{ward}{rng.choice(('北', '南'))}{rng.randrange(1, 25)}条{rng.choice(('西', '東'))}{rng.randrange(1, 20)}丁目"
        if rng.random() < 0.6:
            body += f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}"
    else:
        pref = _PREF_NAMES[rng.randrange(len(_PREF_NAMES))]
        munis = PREFECTURES[pref]
        muni = munis[rng.randrange(len(munis))]
        if "郡" in muni and rng.random() < 0.6:
            area = RURAL_AREAS[rng.randrange(len(RURAL_AREAS))]
            body = f"{pref}{muni}{area}{rng.randrange(1, 4000)}番地"
            if rng.random() < 0.3:
                body += str(rng.randrange(1, 20))
        else:
            body = f"{pref}{muni}{TOWNS[rng.randrange(len(TOWNS))]}{_house_number(rng)}"
    if rng.random() < 0.45:
        body += _building(rng)
    return Piece(body, PII, "ADDRESS")


# --------------------------------------------------------------------------- network


def ipv4(rng: Random) -> Piece:
    """Private ranges mostly (plant networks), some documentation/public-looking ones."""
    r = rng.random()
    if r < 0.4:
        text = f"192.168.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    elif r < 0.65:
        text = f"10.{rng.randrange(0, 256)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    elif r < 0.8:
        text = f"172.{rng.randrange(16, 32)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    else:
        first = rng.choice((203, 198, 133, 61, 118, 210, 126))
        text = f"{first}.{rng.randrange(0, 256)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    return Piece(text, PII, "IP_ADDRESS")


def ipv6(rng: Random) -> Piece:
    """Full (8 groups, zero-padded or not) or ``::``-compressed IPv6 addresses."""
    prefix = rng.choice(("2001:db8", "2001:0db8", "fd00", "fe80", "2400:4050", "240b:10"))
    form = rng.randrange(3)
    if form == 0:  # full form, 8 groups
        head = prefix.split(":")
        groups = head + [f"{rng.randrange(0, 65536):04x}" for _ in range(8 - len(head))]
        text = ":".join(groups)
    elif form == 1:  # compressed with a short tail
        tail = ":".join(f"{rng.randrange(1, 65536):x}" for _ in range(rng.randrange(1, 4)))
        text = f"{prefix}::{tail}"
    else:  # the textbook host ::1 style
        text = f"{prefix}::{rng.randrange(1, 255):x}"
    return Piece(text, PII, "IP_ADDRESS")


def ip_address(rng: Random) -> Piece:
    return ipv4(rng) if rng.random() < 0.8 else ipv6(rng)
