"""A register's history read per risk: what one save added, removed or changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# --- history -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskChange:
    """What one save did to one risk: added, removed or changed (with the fields that changed)."""

    key: str
    activity: str
    kind: str  # added | removed | changed
    fields: tuple[str, ...] = ()


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """The fields that differ; an empty value equals a missing one (an entry saved before a field
    existed), and a measure's follow-ups count as their own field, "measure_follow_ups"."""
    def plain(measures: Any) -> list[Any]:
        return [{k: v for k, v in m.items() if k != "follow_ups"} if isinstance(m, dict) else m
                for m in measures or ()]

    def follow_ups(measures: Any) -> list[Any]:
        return [(m.get("follow_ups") or []) if isinstance(m, dict) else [] for m in measures or ()]

    fields = [name for name in set(old) | set(new) if name != "measures"
              and (old.get(name) or None) != (new.get(name) or None)]
    if plain(old.get("measures")) != plain(new.get("measures")):
        fields.append("measures")
    if any(follow_ups(old.get("measures"))) or any(follow_ups(new.get("measures"))):
        if follow_ups(old.get("measures")) != follow_ups(new.get("measures")):
            fields.append("measure_follow_ups")
    return tuple(sorted(fields))


def risk_changes(changes: dict[str, Any]) -> list[RiskChange]:
    """A history event's `{key: [old, new]}` read per risk."""
    result = []
    for key, (old, new) in sorted(changes.items()):
        old, new = old or {}, new or {}
        activity = str(new.get("activity") or old.get("activity") or key)
        if not old:
            result.append(RiskChange(key, activity, "added"))
        elif not new:
            result.append(RiskChange(key, activity, "removed"))
        else:
            result.append(RiskChange(key, activity, "changed", _changed_fields(old, new)))
    return result
