"""Structured PII (phones, My Number, 法人番号, cards, postal codes, e-mail, IP): written variants
are found with exact boundaries, look-alikes (part/lot/serial numbers, dates, versions, times,
invalid check digits) are not."""

from __future__ import annotations

import random

import pytest

from deshi.checksums import corporate_number_check_digit, luhn_check_digit, my_number_check_digit
from deshi.data.pii import PIIType, find_pii


def found(text: str, kind: PIIType | None = None) -> list[str]:
    return [s.text(text) for s in find_pii(text) if kind is None or s.type == kind]


def only(text: str, kind: PIIType) -> str:
    """The one value of ``kind`` in ``text`` (fails if there are zero or several)."""
    values = found(text, kind)
    assert len(values) == 1, (text, [(s.type.value, s.text(text)) for s in find_pii(text)])
    return values[0]


@pytest.mark.parametrize(
    "value",
    [
        "03-1234-5678",
        "０３－１２３４－５６７８",
        "03(1234)5678",
        "(03)1234-5678",
        "０３（１２３４）５６７８",
        "0312345678",
        "045-476-1234",
        "0466-12-3456",
        "01267-2-3456",
        "090-1234-5678",
        "09012345678",
        "080 1111 2222",
        "070ー2345ー6789",
        "050-3333-2222",
        "0120-444-555",
        "0120(444)555",
        "0800-123-4567",
        "0570-000-123",
        "+81-3-1234-5678",
        "+81 90 1234 5678",
        "+81(0)3-1234-5678",
        "03‐1234‐5678",
    ],
)
def test_phone_variants(value: str) -> None:
    assert only(f"お問い合わせは TEL：{value} まで", PIIType.PHONE) == value
    assert only(f"{value}（平日のみ）", PIIType.PHONE) == value


@pytest.mark.parametrize(
    "text",
    [
        "部品番号 ABC-0120-5678 を手配",
        "品番 PX-893-A12 の在庫",
        "型式 TN-123-4567",
        "X03-1234-5678Y",
        "伝票 1203-1234-5678-90",
        "2024-03-15 09:30 開始",
        "シリアル S/N 0312345678",
        "123-456-7890",  # no leading zero: not a Japanese number
        "03-1234-567",  # too short
        "090-1234-56789",  # too long
    ],
)
def test_phone_lookalikes_not_flagged(text: str) -> None:
    assert found(text, PIIType.PHONE) == []


def _my_number(rng: random.Random) -> str:
    base = "".join(str(rng.randrange(10)) for _ in range(11))
    return base + str(my_number_check_digit(base))


def _corporate(rng: random.Random) -> str:
    base = "".join(str(rng.randrange(10)) for _ in range(12))
    return str(corporate_number_check_digit(base)) + base


def test_my_number_valid_found_in_all_written_forms() -> None:
    rng = random.Random(5)
    for _ in range(50):
        d = _my_number(rng)
        spaced = f"{d[:4]} {d[4:8]} {d[8:]}"
        dashed = f"{d[:4]}-{d[4:8]}-{d[8:]}"
        wide = d.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        for form in (d, spaced, dashed, wide):
            assert only(f"個人番号：{form}", PIIType.MY_NUMBER) == form
            assert only(f"控えの番号は{form}です。", PIIType.MY_NUMBER) == form  # no context word


def test_my_number_invalid_check_digit_never_flagged() -> None:
    rng = random.Random(6)
    for _ in range(200):
        d = _my_number(rng)
        bad = d[:11] + str((int(d[11]) + rng.randrange(1, 10)) % 10)
        if my_number_check_digit(bad[:11]) == int(bad[11]):
            continue
        assert find_pii(f"マイナンバー {bad}") == [] or all(
            s.type not in (PIIType.MY_NUMBER, PIIType.CORPORATE_NUMBER) for s in find_pii(f"マイナンバー {bad}")
        )


def test_corporate_number_valid_and_invalid() -> None:
    rng = random.Random(7)
    for _ in range(100):
        d = _corporate(rng)
        assert only(f"法人番号 {d}", PIIType.CORPORATE_NUMBER) == d
        assert only(f"取引先（{d}）", PIIType.CORPORATE_NUMBER) == d
        bad = str((int(d[0]) + rng.randrange(1, 9)) % 10) + d[1:]
        if corporate_number_check_digit(bad[1:]) == int(bad[0]):
            continue
        kinds = {s.type for s in find_pii(f"法人番号 {bad}")}
        assert PIIType.CORPORATE_NUMBER not in kinds and PIIType.MY_NUMBER not in kinds


def test_corporate_number_known_value_and_invoice_t_number() -> None:
    assert only("国税庁の法人番号は7000012050002です", PIIType.CORPORATE_NUMBER) == "7000012050002"
    # 適格請求書発行事業者登録番号 = "T" + corporate number: the digits are the corporate number.
    assert only("登録番号：T7000012050002", PIIType.CORPORATE_NUMBER) == "7000012050002"


def test_twelve_and_thirteen_digit_runs_inside_longer_runs_ignored() -> None:
    rng = random.Random(8)
    d = _my_number(rng)
    assert found(f"ID{d}", PIIType.MY_NUMBER) == []
    assert found(f"{d}7", PIIType.MY_NUMBER) == []
    assert found(f"1{d}45", PIIType.MY_NUMBER) == []


def _card(prefix: str, length: int) -> str:
    rng = random.Random(prefix)
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    return body + str(luhn_check_digit(body))


@pytest.mark.parametrize(
    "number",
    [_card("4", 16), _card("53", 16), _card("2221", 16), _card("3530", 16), _card("37", 15), _card("36", 14),
     _card("6011", 16)],
)
def test_cards_found_whole_and_grouped(number: str) -> None:
    assert only(f"カード番号 {number}", PIIType.CREDIT_CARD) == number
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert only(f"お支払い {grouped} で決済", PIIType.CREDIT_CARD) == grouped
    dashed = "-".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert only(f"card: {dashed}", PIIType.CREDIT_CARD) == dashed


def test_cards_failing_luhn_or_unknown_issuer_not_flagged() -> None:
    good = _card("4", 16)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert found(f"カード {bad}", PIIType.CREDIT_CARD) == []
    assert found(f"番号 {_card('99', 16)}", PIIType.CREDIT_CARD) == []  # valid Luhn, no such issuer


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("〒100-0001 東京都千代田区", "100-0001"),
        ("〒１００－０００１", "１００－０００１"),
        ("〒1000001", "1000001"),
        ("郵便番号：530-0001", "530-0001"),
        ("郵便番号 5300001", "5300001"),
        ("Zip: 150-0041", "150-0041"),
        ("住所 060-0042 北海道札幌市中央区大通西3丁目", "060-0042"),
        ("送付先 9800811　宮城県仙台市青葉区一番町4-6-1", "9800811"),
    ],
)
def test_postal_codes(text: str, value: str) -> None:
    assert only(text, PIIType.POSTAL_CODE) == value


@pytest.mark.parametrize("text", ["品番 123-4567 を発注", "内線 123-4567", "受付番号 1234567", "TN-123-4567"])
def test_bare_seven_digits_without_address_not_postal(text: str) -> None:
    assert found(text, PIIType.POSTAL_CODE) == []


@pytest.mark.parametrize(
    "value",
    ["taro@example.co.jp", "hanako.sato+news@mail.example.com", "a_b-c@sub.domain.example.org",
     "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "info@example.jp"],
)
def test_emails(value: str) -> None:
    assert only(f"連絡先：{value}までお願いします。", PIIType.EMAIL) == value
    assert only(f"メール{value}。", PIIType.EMAIL) == value


@pytest.mark.parametrize(
    "value", ["192.168.0.1", "10.0.0.254", "８.８.８.８", "2001:db8::8a2e:370:7334", "fe80::1", "::ffff:192.0.2.1",
              "2001:0db8:0000:0000:0000:ff00:0042:8329"],
)
def test_ip_addresses(value: str) -> None:
    assert only(f"接続元 {value} から", PIIType.IP_ADDRESS) == value


@pytest.mark.parametrize(
    "text",
    ["バージョン 1.2.3.4 に更新", "v1.2.3.4", "firmware 2.10.3", "OID 1.3.6.1.4.1", "256.1.1.1 は無効",
     "09:30:00 開始", "12:30:45", "比率 1.5.2.3.9", "2024.01.15 の記録",
     "use std::path::Path; let v = Vec::new(); fn f() -> Self::Item { Temperature::Celsius(35) }",
     "8.5.1. デストラクト 8.5.1.1. タプル 8.5.1.2. 配列とスライス"],
)
def test_ip_lookalikes_not_flagged(text: str) -> None:
    assert found(text, PIIType.IP_ADDRESS) == []


@pytest.mark.parametrize(
    "text",
    [
        "納期 2024-05-14、2024/05/14、2024年5月14日、R6.5.14",
        "時刻 09:30〜17:45、所要 1:30:00",
        "ver 3.2.1-rc1, build 20240514",
        "ロット番号 240514-0087、LOT-2024-0515",
        "製造番号 SN-8830-1123-55、型式 KX-2040-B、P/N 44-0012-7",
        "温度 23.5℃、圧力 0.35MPa、回転数 1,800rpm",
        "見積番号 Q-2024-000183、注文番号 8000000000001",
    ],
)
def test_everyday_numbers_not_flagged_at_all(text: str) -> None:
    assert find_pii(text) == [], [(s.type.value, s.text(text)) for s in find_pii(text)]


def _valid_my_number(body: str) -> str:
    return body + str(my_number_check_digit(body))


def _valid_corporate(body: str) -> str:
    return str(corporate_number_check_digit(body)) + body


def _valid_card(body: str) -> str:
    return body + str(luhn_check_digit(body))


def test_scanning_only_digit_runs_finds_what_a_whole_text_scan_finds() -> None:
    """The long-number recognisers scan only the digit runs that can hold a match (a speed-up);
    numbers at run edges, after separators, glued to other digits or at the text's ends must come out
    exactly as when the whole text is scanned."""
    from deshi.data.pii.address import ADDRESS_START_RE
    from deshi.data.pii.normalize import matching_view
    from deshi.data.pii.numbers import find_cards, find_corporate_numbers, find_my_numbers, find_postal_codes
    from deshi.data.pii.recognizer import digit_runs

    mn, cn, card = _valid_my_number("12345678901"), _valid_corporate("234567890123"), _valid_card("411111111111111")
    grouped_mn = f"{mn[:4]} {mn[4:8]} {mn[8:]}"
    grouped_card = "-".join(card[i : i + 4] for i in range(0, 16, 4))
    texts = [
        mn,
        f"個人番号{mn}",
        f"{grouped_mn} 2025/01/02",
        f"1-{mn}",  # glued to an earlier digit group by a dash
        f"{mn}-1",
        f"9 {grouped_mn}",
        f"法人番号：{cn}。T{cn} の請求書",
        f"T{cn}",
        f"カード {grouped_card}、有効期限 12/29",
        f"{card[:8]} {card[8:]}",
        f"{card}{mn}",  # one 28-digit run: neither
        "〒100-0001 東京都千代田区千代田1-1、100-0001東京都、1000001 大阪府、12100-0001 東京都",
        f"注文番号 {mn} / TEL 03-1234-5678 / 2024年5月1日 / 1 2 3 4 5 6 7 8 9 0 1 2",
        "部品 1234567-89 東京都港区、ロット 123 4567 大阪市北区",
        "０３－１２３４－５６７８ １２３４５６７８９０１２",
    ]
    for text in texts:
        view = matching_view(text)
        runs7, runs12 = digit_runs(view)
        assert list(find_postal_codes(text, view, ADDRESS_START_RE, runs7)) == list(
            find_postal_codes(text, view, ADDRESS_START_RE)), text
        for finder in (find_my_numbers, find_corporate_numbers, find_cards):
            assert list(finder(text, view, runs12)) == list(finder(text, view)), (finder.__name__, text)
    assert only(f"個人番号 {grouped_mn}", PIIType.MY_NUMBER) == grouped_mn
    assert only(f"T{cn}", PIIType.CORPORATE_NUMBER) == cn
    assert only(f"カード {grouped_card}", PIIType.CREDIT_CARD) == grouped_card
