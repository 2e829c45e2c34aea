"""How figures and times are written, the same on pages, in PDFs, in exports and on the command
line: one rounding rule (half up, on decimals, to one decimal), the interface language's
decimal sign, and times in Stockholm's local time with their zone.

- a percent: "12,5 %" in Swedish, "12.5%" in English (as Babel's locales write them, with an
  ordinary space so a test or a search finds the text as typed); "–" when there is no basis;
- an index 0–100: "78,6" / "78.6";
- a count: "1 234" / "1,234";
- a time: "2026-11-28 14:05 CET" (stored times are naive UTC).

Exports keep numeric cells as numbers, rounded by `one_decimal` and written with a one-decimal
number format where the file has formats (XLSX), so a spreadsheet can still compute with them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
ONE_DECIMAL = Decimal("0.1")
# The XLSX number format of a one-decimal cell (the spreadsheet shows its own decimal sign).
XLSX_ONE_DECIMAL = "0.0"
NO_FIGURE = "–"

Number = int | float | Decimal


def _decimal(value: Number) -> Decimal:
    # A float goes through its shortest repr: 12.25 is 12.25, not 12.2499999…
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)


def one_decimal(value: Number) -> Decimal:
    """`value` rounded half up to one decimal (12.25 → 12.3, 1/3 of 100 → 33.3)."""
    return _decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def json_number(value: object) -> float:
    """`json.dumps(default=…)` for a rounded figure: a Decimal 33.3 is the JSON number 33.3."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def percent(count: int, total: int | None) -> Decimal | None:
    """`count` as a share of `total` in percent, one decimal half up; None without a basis."""
    if not total:
        return None
    return (Decimal(100 * count) / Decimal(total)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _language(language: str | None) -> str:
    if language:
        return language
    try:
        from app.i18n import current_language

        return current_language()
    except RuntimeError:  # no application context: the default language
        return "sv"


def _with_sign(number: Decimal, language: str) -> str:
    text = f"{number:,f}"
    if language == "sv":
        return text.replace(",", " ").replace(".", ",")
    return text


def format_decimal(value: Number | None, language: str | None = None) -> str:
    """A figure with one decimal: '78,6' / '78.6'; '–' for None."""
    if value is None:
        return NO_FIGURE
    return _with_sign(one_decimal(value), _language(language))


def mean(total: Number, weight: Number) -> Decimal | None:
    """`total / weight` rounded half up to one decimal (an index: 550 / 7 → 78.6); None for 0."""
    if not weight:
        return None
    return one_decimal(_decimal(total) / _decimal(weight))


def format_change(value: Number | None, language: str | None = None) -> str:
    """A difference with its sign and one decimal: '+5,0' / '-38,1' / '±0,0'; '–' for None."""
    if value is None:
        return NO_FIGURE
    rounded = one_decimal(value)
    text = _with_sign(abs(rounded), _language(language))
    return ("+" if rounded > 0 else "-" if rounded < 0 else "±") + text


def format_index(value: Number | None, language: str | None = None) -> str:
    """An index 0–100 with one decimal: '78,6' / '78.6'; '–' when there is none."""
    return format_decimal(value, language)


def format_percent(value: Number | None, language: str | None = None) -> str:
    """A percentage with one decimal: '12,5 %' / '12.5%'; '–' when there is no basis."""
    if value is None:
        return NO_FIGURE
    language = _language(language)
    number = _with_sign(one_decimal(value), language)
    return f"{number} %" if language == "sv" else f"{number}%"


def format_share(count: int, total: int | None, language: str | None = None) -> str:
    """`count` of `total` as a percentage: '33,3 %' for 1 of 3."""
    return format_percent(percent(count, total), language)


def format_count(value: int | None, language: str | None = None) -> str:
    """A whole number with thousands grouped: '1 234' / '1,234'."""
    if value is None:
        return NO_FIGURE
    text = f"{value:,d}"
    return text.replace(",", " ") if _language(language) == "sv" else text


def local_time(value: datetime | None) -> datetime | None:
    """A stored time (naive UTC, or aware) as Stockholm's local time."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_ZONE)


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """'2026-11-28 14:05 CET' (CEST in summer): Stockholm time with its zone; '–' for None."""
    local = local_time(value)
    if local is None:
        return NO_FIGURE
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def format_iso_time(value: datetime | None) -> str:
    """'2026-11-28T14:05:00+01:00': Stockholm time with its offset, for files and JSON read by
    programs (unambiguous, and the same moment the pages show); '' for None."""
    local = local_time(value)
    return local.isoformat(timespec="seconds") if local is not None else ""


def register_template_filters(app: object) -> None:
    """`|percent`, `|index`, `|count` and `|datetime` in every template: pages write figures
    and times as PDFs and the command line do."""
    filters = app.jinja_env.filters  # type: ignore[attr-defined]
    filters["percent"] = format_percent
    filters["index"] = format_index
    filters["count"] = format_count
    filters["datetime"] = format_datetime
