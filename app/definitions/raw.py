"""Reading a questionnaire's plain YAML data (app.definitions.references checks it) and wording
what is wrong with it: the entries of a list, a field's text, number or label, and the hints a
checker gives (the option a wrong value was probably meant to be, a condition's `in`/`not_in`)."""

from __future__ import annotations

from typing import Any

from app.definitions.errors import did_you_mean

Raw = dict[str, Any]


def entries(items: object) -> list[tuple[int, Raw]]:
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def closest_option(value: str, options: dict[str, str]) -> str | None:
    """'did you mean' for a value that is not an option: the option whose value or label it
    matches but for case and accents (the label 'Genomförd' for the value 'genomford'), else
    the option value spelt most alike; None when nothing is close."""
    folded = fold(value)
    for option in options:
        if folded == fold(option):
            return f"did you mean '{option}'?"
    for option, label in options.items():
        if label and folded == fold(label):
            return (f"did you mean '{option}'? An option is named by its value, "
                    f"not by its label '{label}'")
    return did_you_mean(value, options)


def in_or_not_in(condition: Raw) -> tuple[str | None, str, str] | None:
    """For a show_if with both `in` and `not_in`, or neither: the field to point at (None for
    the condition itself), the message and the hint; None when it has exactly one."""
    given = [name for name in ("in", "not_in") if condition.get(name) is not None]
    if len(given) == 1:
        return None
    if given:
        return ("not_in", "show_if has both 'in' and 'not_in'; a condition has exactly one of them",
                "keep 'in' for the values that show it, or 'not_in' for those that hide it")
    hint = ("add 'in: [...]' with the values that show it, or 'not_in: [...]' with those that "
            "hide it")
    for name in ("in", "not_in"):
        if name in condition:  # written without a value
            return (name, f"show_if's '{name}' is empty; a condition needs values in exactly one "
                    "of 'in' and 'not_in'", hint)
    return (None, "show_if has neither 'in' nor 'not_in'; a condition needs exactly one of them",
            hint)


def fold(text: str) -> str:
    plain = text.casefold().strip().translate(str.maketrans("åäöéü", "aaoeu"))
    return "".join(c if c.isalnum() else "_" for c in plain)


def listing(options: dict[str, str]) -> str:
    return ", ".join(f"{value} ({label})" if label else value for value, label in options.items())


def option_label(option: Raw) -> str:
    label = option.get("label")
    if isinstance(label, dict):
        label = label.get("sv")
    return label.strip() if isinstance(label, str) else ""


def keys_of(items: object, field: str) -> list[str]:
    return [value for _, item in entries(items) if (value := text_of(item, field)) is not None]


def text_of(raw: Raw, name: str) -> str | None:
    value = raw.get(name)
    return value if isinstance(value, str) else None


def number_of(raw: Raw, name: str) -> float | None:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
