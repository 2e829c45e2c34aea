"""How easily a password is guessed: length over composition, as NIST SP 800-63B advises.

A password is refused when it is a known common or breached one (app/data), or when it is made
only of guessable pieces: common passwords and words, the e-mail address's parts, repeated
patterns (hejhejhej), keyboard or alphabet runs (qwerty, abcdef, 12345) and digits or years.
The estimate multiplies the guesses each piece needs, along the cheapest way to split the
password into pieces (in the manner of zxcvbn); any character no piece explains costs ten.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
# Below this many guesses a password falls to an offline attack on a stolen hash, or to a
# patient online one, in reach of an attacker (zxcvbn's strongest score begins here).
MIN_GUESSES = 10**10
# Longer passwords are not split into pieces (the work grows with the square of the length).
MAX_ANALYSED = 64
BRUTEFORCE = 10  # guesses for a character that no piece explains
MIN_WORD = 3
MAX_WORD = 24

KEYBOARD_ROWS = (
    "1234567890+", "qwertyuiopå", "asdfghjklöä", "zxcvbnm,.-",  # Swedish
    "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./",  # US
    "abcdefghijklmnopqrstuvwxyzåäö", "0123456789",
)
LEET = (str.maketrans("0134@$57!", "oieaasst" + "i"), str.maketrans("0134@$57!", "olea" + "asst" + "l"))


@lru_cache(maxsize=1)
def ranked_words() -> dict[str, int]:
    """Common passwords and words, lower case, with their rank (1 = most common): the Swedish
    list first, then the breached passwords."""
    ranks: dict[str, int] = {}
    curated = (DATA / "common-passwords.txt").read_text(encoding="utf-8").splitlines()
    with gzip.open(DATA / "breached-passwords.txt.gz", "rt", encoding="utf-8") as handle:
        breached = handle.read().splitlines()
    for lines in (curated, breached):
        for number, line in enumerate(line.strip().lower() for line in lines if not line.startswith("#")):
            if line and line not in ranks:
                ranks[line] = number + 1
    return ranks


def is_common(password: str) -> bool:
    """On the list as it is, or with trailing digits and punctuation removed (Sommar2024!!)."""
    lowered = password.lower()
    stripped = lowered.rstrip("0123456789!?.#@*-_ ")
    return lowered in ranked_words() or stripped in ranked_words()


def _personal_words(email: str) -> set[str]:
    """The e-mail address's name part and its pieces, and the domain's first name."""
    local, _, domain = email.lower().partition("@")
    words = {local, *re.split(r"[._+\-]", local), domain.split(".")[0]}
    return {w for w in words if len(w) >= MIN_WORD}


def _is_run(text: str) -> bool:
    """Three or more characters that step along one keyboard row or the alphabet."""
    for row in KEYBOARD_ROWS:
        for line in (row, row[::-1]):
            if text in line:
                return True
    return False


@dataclass(frozen=True)
class Estimate:
    guesses: float
    kinds: frozenset[str]  # word, personal, repeat, run, digits


def _case_factor(piece: str) -> int:
    if piece.islower() or not any(c.isalpha() for c in piece):
        return 1
    if piece.isupper() or (piece[0].isupper() and piece[1:].islower()):
        return 2
    return 10


def _piece(piece: str, personal: frozenset[str]) -> Estimate | None:
    """The guesses of `piece` as one known thing, or None."""
    lowered = piece.lower()
    best: Estimate | None = None

    def consider(guesses: float, kind: str) -> None:
        nonlocal best
        if best is None or guesses < best.guesses:
            best = Estimate(guesses, frozenset({kind}))

    words = ranked_words()
    case = _case_factor(piece)
    if lowered in personal:
        consider(case, "personal")
    if lowered in words:
        consider(words[lowered] * case, "word")
    for table in LEET:
        unleeted = lowered.translate(table)
        if unleeted != lowered:
            if unleeted in words:
                consider(words[unleeted] * case * 4, "word")
            if unleeted in personal:
                consider(case * 4, "personal")
    if len(lowered) >= MIN_WORD and _is_run(lowered):
        # A run is named by where it starts, which way it goes and how long it is; counted as a
        # run even when it is also a listed password, so that the message names the pattern.
        best = Estimate(min(len(lowered) * 40 * case, best.guesses if best else float("inf")),
                        frozenset({"run"}))
    if lowered.isdigit():
        guesses = 200.0 if len(lowered) == 4 and 1900 <= int(lowered) <= 2099 else 10.0 ** len(lowered)
        consider(guesses, "digits")
    return best


def estimate(password: str, email: str = "") -> Estimate:
    """The fewest guesses over the ways to split `password` into pieces."""
    personal = _personal_words(email)
    # No cache across calls: a password is not kept in memory after the request.
    return _estimate(password[:MAX_ANALYSED], frozenset(personal), {})


def _estimate(text: str, personal: frozenset[str], memo: dict[str, Estimate]) -> Estimate:
    if text in memo:
        return memo[text]
    n = len(text)
    best: list[Estimate | None] = [None] * (n + 1)
    best[0] = Estimate(1, frozenset())
    for start in range(n):
        here = best[start]
        assert here is not None
        candidates: list[tuple[int, Estimate]] = [(start + 1, Estimate(BRUTEFORCE, frozenset()))]
        for end in range(start + 1, min(n, start + MAX_WORD) + 1):
            piece = _piece(text[start:end], personal)
            if piece is not None and (end - start >= MIN_WORD or "digits" in piece.kinds):
                candidates.append((end, piece))
        # A pattern repeated: its own guesses times the number of repeats.
        for size in range(1, (n - start) // 2 + 1):
            unit = text[start:start + size]
            count = 1
            while text.startswith(unit, start + count * size):
                count += 1
            if count >= 2 and size * count >= MIN_WORD:
                inner = _estimate(unit, personal, memo) if size > 1 else Estimate(BRUTEFORCE, frozenset())
                candidates.append((start + size * count,
                                   Estimate(inner.guesses * count, inner.kinds | {"repeat"})))
        for end, piece in candidates:
            total = Estimate(here.guesses * piece.guesses, here.kinds | piece.kinds)
            if best[end] is None or total.guesses < best[end].guesses:  # type: ignore[union-attr]
                best[end] = total
    result = best[n]
    assert result is not None
    memo[text] = result
    return result


def is_guessable(password: str, email: str = "") -> Estimate | None:
    """The estimate when `password` needs fewer than MIN_GUESSES guesses, else None."""
    if len(password) > MAX_ANALYSED:
        return None
    found = estimate(password, email)
    return found if found.guesses < MIN_GUESSES else None
