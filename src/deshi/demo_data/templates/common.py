"""Slots shared by all domains, and helpers for per-document values.

A slot is a function ``Ctx -> Segment | list[Segment]`` called for each ``{name}`` in a
template. Shared slots produce PII, decoys and neutral fillers; domain modules add
their own phrase slots. Per-document values (the person in charge, the equipment) are
set once with :func:`set_person` / :func:`set_equipment` so that repeated mentions in
one document agree, as they would in a real document.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

from .. import decoys, pii
from ..doc import DECOY, Ctx, Piece, Segment, SlotFn
from ..lexicon import COMPANIES, DEPARTMENTS
from ..world import Equipment, ErrorCode

T = TypeVar("T")


def choice(rng: Random, seq: Sequence[T]) -> T:
    """``rng.choice`` without the overhead of its length checks on hot paths."""
    return seq[rng.randrange(len(seq))]


def _postal_address(ctx: Ctx) -> list[Segment]:
    prefix, code = pii.postal_code(ctx.rng)
    sep = choice(ctx.rng, (" ", "\u3000", "\n", " "))
    return [prefix, code, sep, pii.address(ctx.rng)]


def _company_customer(ctx: Ctx) -> str:
    return choice(ctx.rng, COMPANIES)[0]


def _ext(ctx: Ctx) -> str:
    return str(ctx.rng.randrange(1000, 10000))


def _small(ctx: Ctx) -> str:
    return str(ctx.rng.randrange(2, 10))


def _pct(ctx: Ctx) -> str:
    return f"{ctx.rng.randrange(1, 20)}.{ctx.rng.randrange(10)}"


def _temp(ctx: Ctx) -> str:
    return str(choice(ctx.rng, (40, 50, 60, 70, 80, 120, 150, 200)))


def _record_no(ctx: Ctx) -> str:
    return f"{choice(ctx.rng, ('M', 'MR', 'PM', 'H'))}-{ctx.rng.randrange(1, 10000):04d}"


def _ticket_no(ctx: Ctx) -> Segment:
    rng = ctx.rng
    if rng.random() < 0.35:  # bare 12/13-digit reception numbers: classic false positives
        return decoys.management_number(rng)
    return f"{choice(rng, ('SUP', 'INC', 'CS', 'TK'))}-{rng.randrange(2022, 2026)}-{rng.randrange(1, 100000):05d}"


SHARED_SLOTS: dict[str, SlotFn] = {
    "person": lambda c: pii.new_person(c.rng).full(c.rng),
    "phone": lambda c: pii.phone(c.rng),
    "mobile": lambda c: pii.phone(c.rng, "mobile"),
    "landline": lambda c: pii.phone(c.rng, "landline"),
    "tollfree": lambda c: pii.phone(c.rng, "tollfree"),
    "email": lambda c: pii.email(c.rng),
    "my_number": lambda c: pii.my_number(c.rng),
    "corp_number": lambda c: pii.corporate_number(c.rng),
    "card": lambda c: pii.credit_card(c.rng),
    "ipv4": lambda c: pii.ipv4(c.rng),
    "ipv6": lambda c: pii.ipv6(c.rng),
    "ip": lambda c: pii.ip_address(c.rng),
    "address": lambda c: pii.address(c.rng),
    "postal_address": _postal_address,
    "date": lambda c: decoys.date(c.rng),
    "datetime": lambda c: decoys.datetime_stamp(c.rng),
    "time_range": lambda c: decoys.time_range(c.rng),
    "part_no": lambda c: decoys.part_number(c.rng),
    "lot_no": lambda c: decoys.lot_number(c.rng),
    "serial_no": lambda c: decoys.serial_number(c.rng),
    "mgmt_no": lambda c: decoys.management_number(c.rng),
    "inv_my": lambda c: decoys.invalid_my_number(c.rng),
    "inv_corp": lambda c: decoys.invalid_corporate_number(c.rng),
    "fw": lambda c: decoys.firmware_version(c.rng),
    "model_no": lambda c: decoys.model_number(c.rng),
    "customer_company": _company_customer,
    "dept": lambda c: choice(c.rng, DEPARTMENTS),
    "ext": _ext,
    "small": _small,
    "pct": _pct,
    "temp": _temp,
    "record_no": _record_no,
    "ticket_no": _ticket_no,
    "company": lambda c: c.world.company,
    "own_corp": lambda c: pii.corporate_number(c.rng, c.world.corporate_number),
    "own_email": lambda c: pii.email(c.rng, domain=f"{c.world.company_slug}.co.jp"),
}


def set_person(ctx: Ctx, key: str, foreign_rate: float = 0.04, internal: bool = True) -> pii.Person:
    """Fix a person for this document: ``{key}`` full name, ``{key}_sur`` surname,
    ``{key}_email`` their address, ``{key}_en`` romanised.

    Internal staff mostly have an address on the company's own domain; customers get
    addresses at their own companies or free-mail providers.
    """
    p = pii.new_person(ctx.rng, foreign_rate)
    ctx.values[key] = p.full(ctx.rng)
    ctx.values[f"{key}_sur"] = p.sur()
    domain = f"{ctx.world.company_slug}.co.jp" if internal and ctx.rng.random() < 0.85 else None
    ctx.values[f"{key}_email"] = pii.email(ctx.rng, p, domain)
    ctx.values[f"{key}_en"] = p.romaji(ctx.rng)
    return p


def set_equipment(ctx: Ctx, eq: Equipment) -> None:
    """Fix the equipment a document is about, with its facts as protected pieces."""
    v = ctx.values
    v["eq_model"] = Piece(eq.model, DECOY, "MODEL_NUMBER")
    v["eq_name"] = eq.name
    v["bolt"] = eq.bolt
    v["filter_name"] = eq.filter_name
    for attr, fact in eq.facts.items():
        v[f"f_{attr}"] = fact.piece()


def set_error(ctx: Ctx, err: ErrorCode) -> None:
    """Fix the error code a document is about (code text stays plain: it is not PII)."""
    ctx.values["err_code"] = err.code
    ctx.values["err_cause"] = err.cause.piece()
    ctx.values["err_fix"] = err.fix.piece()


def set_policy(ctx: Ctx) -> None:
    """Expose every company policy fact as ``{p_<attribute>}``."""
    for attr, fact in ctx.world.policy.items():
        ctx.values[f"p_{attr}"] = fact.piece()
