"""Names in the order a Swedish reader expects, the same on every database.

`name_key` ignores case, puts å, ä and ö after z in that order (as Swedish dictionaries do; æ and
ø with ä and ö, é with e, ü with y), and compares the numbers in a name by value, so that
"Avdelning 2" comes before "Avdelning 10". Every list of units sorts with it, in Python: an
ORDER BY would give SQLite's code-point order, and on PostgreSQL whatever collation the server
was set up with.
"""

from __future__ import annotations

import re

# After casefold: letters sorted after 'z' map to the characters that follow it ('{', '|', '}').
_SWEDISH = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "é": "e", "è": "e", "ü": "y"})
_NUMBER = re.compile(r"(\d+)")


def name_key(name: str) -> tuple[str | int, ...]:
    """Sort key for a name: text parts at even positions, numbers (by value) at odd ones."""
    parts = _NUMBER.split(name.casefold().translate(_SWEDISH))
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))
