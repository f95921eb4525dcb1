"""English documents: the same domains as written by overseas staff and customers.

They are noise for a Japanese-only corpus (a language filter should drop them) but still
carry labelled PII in romanised form (Taro Yamada, +81 numbers), so a PII detector is
also exercised on Latin script.
"""

from __future__ import annotations

from ..doc import PII, Block, Ctx, Piece, Segment, fill, pick_fill
from .common import choice, set_equipment, set_error, set_person

EQ_EN = {
    "射出成形機": "injection molding machine", "油圧プレス機": "hydraulic press", "CNC旋盤": "CNC lathe",
    "マシニングセンタ": "machining center", "ベルトコンベア": "belt conveyor", "充填機": "filling machine",
    "殺菌装置": "sterilizer", "包装機": "packaging machine", "エアコンプレッサ": "air compressor", "冷却塔": "cooling tower",
    "溶接ロボット": "welding robot", "塗装ブース": "paint booth", "乾燥炉": "drying oven", "真空ポンプ": "vacuum pump",
    "油圧ユニット": "hydraulic unit", "平面研削盤": "surface grinder", "レーザー加工機": "laser cutter",
    "自動倉庫": "automated warehouse", "無人搬送車": "AGV", "部品洗浄機": "parts washer", "押出機": "extruder",
    "熱処理炉": "heat treatment furnace", "粉砕機": "crusher", "混練機": "kneader",
}

# (openings, body sentences in a sensible order, closings) per domain; bodies are sampled
# keeping their order, so a document reads as header -> problem -> action -> sign-off.
SUPPORT = (
    ("Ticket {ticket_no}\nCustomer: {cust_en} ({customer_company_en})\nEmail: {cust_email}\nPhone: {phone}",
     "Hello, this is {cust_en} from {customer_company_en}.", "Dear Support Team,"),
    ("Our {eq_en} ({eq_model}) stopped with error {err_code} on {date_en}.",
     "The cycle time increased from {small}0 s to {small}5 s after the firmware update to {fw}.",
     "Please find the log attached. The PLC address is {ipv4}.", "We also see intermittent alarms on the second line.",
     "Could you please send a technician? You can reach me at {phone}.", "Dear {cust_en}, thank you for contacting us.",
     "Error {err_code} usually indicates a cooling or air-pressure problem.",
     "Your warranty covers parts and labor for the first year.", "Please charge the repair to my card {card}.",
     "Our engineer will visit your site at {addr_en} next week."),
    ("Best regards,\n{agent_en}\nCustomer Support, {company_en}\n{agent_email}", "Thanks,\n{cust_en}",
     "Kind regards,\n{agent_en} ({agent_email})"),
)
MAINT = (
    ("Maintenance log, {date_en}. Technician: {staff_en}.", "Inspection report for {eq_en} {eq_model}.",
     "Shift report ({date_en})"),
    ("Checked the {eq_en} {eq_model}. Found oil leakage near the pump.", "Heartbeat monitoring from {ipv4} lost contact for {small} minutes.",
     "Killed the hung data-collection process and restarted the service.",
     "Replaced the V-belt (part no. {part_no}) and re-tightened the bolts.",
     "Management interface {ipv6} responded normally after the reboot.", "Lot {lot_no} was quarantined for full inspection.",
     "Next inspection is scheduled per the standard interval."),
    ("Report sent to {boss_en} ({boss_email}).", "Contact {staff_en} at {phone} with questions.", "End of report."),
)
HR = (
    ("Employee handbook excerpt (international staff edition).", "HR notice for international staff", "Dear all,"),
    ("Paid leave is granted after six months of continuous service.", "Remote work requires approval from your manager.",
     "Overtime must be requested in advance through the attendance system.",
     "Please submit your residence card copy and My Number notification to HR by {date_en}.",
     "Personal data is handled in accordance with the APPI.", "Visitors must register at the reception, {addr_en}."),
    ("For questions about payroll, contact {staff_en} at {staff_email} or {phone}.", "HR Department\n{boss_en}"),
)
DOMAIN_TEMPLATES = {"support": SUPPORT, "maintenance": MAINT, "hr_legal": HR, "work_instruction": MAINT}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _date_en(c: Ctx) -> str:
    r = c.rng
    return f"{choice(r, MONTHS)} {r.randrange(1, 29)}, {r.randrange(2022, 2026)}"


def _addr_en(c: Ctx) -> list[Segment]:
    r = c.rng
    city = choice(r, ("Minato-ku, Tokyo", "Kita-ku, Osaka", "Nishi-ku, Yokohama", "Naka-ku, Nagoya", "Chuo-ku, Sapporo",
                      "Hakata-ku, Fukuoka", "Aoba-ku, Sendai"))
    text = f"{r.randrange(1, 10)}-{r.randrange(1, 30)}-{r.randrange(1, 20)} {choice(r, ('Shibaura', 'Umeda', 'Minatomirai', 'Sakae', 'Tenjin', 'Chuo'))}, {city}"
    return [Piece(text, PII, "ADDRESS")]


SLOTS = {"date_en": _date_en, "addr_en": _addr_en}


def build(ctx: Ctx, domain: str) -> list[Block]:
    """An English document for ``domain`` (labelled PII, no Japanese facts)."""
    r = ctx.rng
    eq = choice(r, ctx.world.equipment)
    set_equipment(ctx, eq)
    set_error(ctx, choice(r, ctx.world.errors))
    ctx.values["eq_en"] = EQ_EN.get(eq.name, "machine")
    for key in ("cust", "agent", "staff", "boss"):
        set_person(ctx, key, internal=key != "cust")
    ctx.values["customer_company_en"] = choice(r, ("Minato Seiki Co., Ltd.", "Hokuto Denki Corp.", "Sakura Kogyo Ltd.",
                                                     "Yamato Kasei Co., Ltd.", "Next Factory LLC"))
    ctx.values["company_en"] = ctx.world.company_slug.replace("-", " ").title() + " Co., Ltd."
    opens, body, closes = DOMAIN_TEMPLATES[domain]
    idx = sorted(r.sample(range(len(body)), r.randrange(2, min(6, len(body)) + 1)))
    chosen = [fill(body[i], ctx) for i in idx]
    half = max(1, len(chosen) // 2)
    blocks = [Block([pick_fill(opens, ctx)], "\n"), Block(chosen[:half], " ")]
    if chosen[half:]:
        blocks.append(Block(chosen[half:], " "))
    blocks.append(Block([pick_fill(closes, ctx)], "\n"))
    return blocks
