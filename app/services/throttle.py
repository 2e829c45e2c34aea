"""Throttling of logins, survey starts and access codes, stored in the database so every app
instance sees it.

**One mechanism: counters in the database.** A counter row holds a keyed hash of the account,
the address or both (HMAC-SHA256 with `SECRET_KEY`), how many attempts its window has counted,
when the window ends and, for logins, before when the key may not try again. An attempt is
counted by one atomic upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING count`, on PostgreSQL
and SQLite alike), committed in a transaction of its own. A window lasts one `WINDOW` from the
key's first attempt in it.

**Logins and open-link starts** are counted *before* they are checked (`reserve_login`,
`reserve`): parallel requests queue on the row and each sees the count that includes the ones
before it, so exactly `limit` of them get through, and no transaction is open while a password
hash is computed. A successful login clears its counters.

**Access codes** are counted only when they fail: an accepted code must write nothing derived
from its address, or PostgreSQL's transaction ids (`xmin`) would set the address's counter next
to the draft the code claims. So an entry first reads its address's counter without writing
(`exceeded`: refused while the window holds `limit` failures), then the code is checked, and only
a failure is counted, in a transaction of its own. Parallel guesses that read the counter
before the others are counted are all checked: a window checks at most `limit` − 1 plus the
number of requests in flight, harmless against 16-character codes; once they are counted the
address is refused until the window ends. A refusal is not counted.

**Logins** (`reserve_login`):

- per account and address at most `LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE` (L, 10) failed or
  refused attempts a window, and per address whatever the account at most
  `LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE` (30: staff behind one proxy share an address);
  beyond that the address is refused (429) until the window ends. These only ever hold back
  the address that failed, so they can be hard.
- per account, from any address: once the account has had L failures (none successful between,
  no pause of `ACCOUNT_MEMORY`), each failure makes the address it came from wait before trying
  that account again, 2^(F−L) seconds after the failure that brought the account to F failures,
  at most `MAX_DELAY`: 1 s after the L-th, 2 s, 4 s … a minute from the (L+6)-th on. A try inside
  the wait is refused (429) with the time left. The wait grows with the account's failures from
  everywhere, but runs for each address on its own: an attacker elsewhere cannot hold back an
  address that has not failed (the real user's first try always goes through, and each of their
  own mistakes costs at most a minute), while each attacking address gets one guess a minute.
  A successful login clears the account's failures and its address's wait.

IPv6 addresses are counted by their /64 network (one host usually has all of it).

**Nothing is kept longer than it counts.** `forget_expired` deletes every row, of every scope,
whose window has ended and whose wait has passed; every count calls it, in the caller's
transaction, and every survey POST but a page's does too, in a transaction of its own (a
completion once it has committed; views/survey.py), so no address-derived value outlives its
window (or its wait, at most `MAX_DELAY` after a failed login) by more than the time until the
next code entry, start, completion, decline or login. A deleted counter never carries the
transaction id of a draft or a response. The account's failure count (a keyed hash of the e-mail, no
address) is kept `ACCOUNT_MEMORY` after its last failure.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, or_, select, update
from sqlalchemy.orm import Session

from app.models import ThrottleCounter
from app.models.base import utcnow

WINDOW = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=1)
ACCOUNT_MEMORY = timedelta(minutes=15)

LOGIN_ADDRESS = "login-address"
LOGIN_PAIR = "login-pair"
LOGIN_ACCOUNT = "login-account"

_TABLE: Any = ThrottleCounter.__table__


def _key_hash(secret: str, scope: str, key: str) -> str:
    return hmac.new(secret.encode(), f"{scope}\0{key}".encode(), hashlib.sha256).hexdigest()


def address_key(address: str) -> str:
    """What an address is counted by: an IPv4 address as it is, an IPv6 address by its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def seconds(wait: timedelta) -> int:
    """A wait in whole seconds, rounded up (at least 1)."""
    return max(1, math.ceil(wait.total_seconds()))


@dataclass(frozen=True)
class Counted:
    """A counter as one attempt left it."""

    scope: str
    key_hash: str
    count: int
    window_ends: datetime
    not_before: datetime | None


def _row(scope: str, key_hash: str) -> Any:
    return (_TABLE.c.scope == scope) & (_TABLE.c.key_hash == key_hash)


def _insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(_TABLE)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_TABLE)


def count(session: Session, secret: str, scope: str, key: str, window: timedelta = WINDOW,
          *, sliding: bool = False) -> Counted:
    """Count one attempt of `key` in `scope` in one atomic statement, and return the counter
    including it. A window starts with the first attempt after the last one ended; `sliding`
    moves its end to `window` after every attempt instead."""
    now = utcnow()
    key_hash = _key_hash(secret, scope, key)
    ends = now + window
    ended = _TABLE.c.window_ends <= now
    statement = (
        _insert(session)
        .values(scope=scope, key_hash=key_hash, count=1, window_ends=ends, not_before=None)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.scope, _TABLE.c.key_hash],
            set_={
                "count": case((ended, 1), else_=_TABLE.c.count + 1),
                "window_ends": ends if sliding else case((ended, ends), else_=_TABLE.c.window_ends),
            },
        )
        .returning(_TABLE.c.count, _TABLE.c.window_ends, _TABLE.c.not_before)
    )
    counted, window_ends, not_before = session.execute(statement).one()
    return Counted(scope, key_hash, int(counted), window_ends, not_before)


def give_back(session: Session, counted: Counted) -> None:
    """Uncount an attempt that succeeded (if its window still runs); a row left with nothing
    to count or wait for is deleted."""
    session.execute(
        update(_TABLE)
        .where(_row(counted.scope, counted.key_hash), _TABLE.c.window_ends == counted.window_ends,
               _TABLE.c.count > 0)
        .values(count=_TABLE.c.count - 1)
    )
    session.execute(
        delete(_TABLE).where(_row(counted.scope, counted.key_hash), _TABLE.c.count <= 0,
                             or_(_TABLE.c.not_before.is_(None), _TABLE.c.not_before <= utcnow()))
    )


def forget(session: Session, secret: str, scope: str, key: str) -> None:
    session.execute(delete(_TABLE).where(_row(scope, _key_hash(secret, scope, key))))


def forget_expired(session: Session) -> int:
    """Delete the counters of every scope whose window has ended and whose wait has passed (in
    the caller's transaction); returns how many."""
    now = utcnow()
    result = session.execute(
        delete(_TABLE).where(_TABLE.c.window_ends <= now,
                             or_(_TABLE.c.not_before.is_(None), _TABLE.c.not_before <= now))
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


@dataclass(frozen=True)
class Reservation:
    """An attempt counted before its check: `allowed` to go on, or refused for `wait`."""

    allowed: bool
    wait: timedelta
    counted: tuple[Counted, ...]

    @property
    def wait_seconds(self) -> int:
        return seconds(self.wait) if not self.allowed else 0


def reserve(session: Session, secret: str, scope: str, key: str, limit: int) -> Reservation:
    """Count an attempt of `key` before it is checked: allowed while the window holds at most
    `limit`, else refused until the window ends. Forgets expired counters of every scope."""
    forget_expired(session)
    counted = count(session, secret, scope, key)
    allowed = counted.count <= limit
    return Reservation(allowed, timedelta(0) if allowed else counted.window_ends - utcnow(), (counted,))


def exceeded(session: Session, secret: str, scope: str, key: str, limit: int) -> timedelta | None:
    """Read, without writing anything, whether `key`'s running window has counted `limit`
    attempts: then the wait until it ends, else None."""
    now = utcnow()
    found = session.execute(
        select(_TABLE.c.count, _TABLE.c.window_ends)
        .where(_row(scope, _key_hash(secret, scope, key)), _TABLE.c.window_ends > now)
    ).one_or_none()
    if found is None:
        return None
    counted, window_ends = found
    return window_ends - now if counted >= limit else None


def count_failure(session: Session, secret: str, scope: str, key: str) -> Counted:
    """Count an attempt that failed its check (forgetting expired counters of every scope)."""
    forget_expired(session)
    return count(session, secret, scope, key)


# --- logins ---------------------------------------------------------------------------------


def account_delay(failures: int, free: int) -> timedelta:
    """The wait after the failure that brought an account to `failures`: none before the
    `free`-th, 1 s after it, doubling with each further failure, at most `MAX_DELAY`."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 32)), MAX_DELAY)


def account_failures(session: Session, secret: str, account: str) -> int:
    found = session.scalar(
        select(_TABLE.c.count).where(_row(LOGIN_ACCOUNT, _key_hash(secret, LOGIN_ACCOUNT, account)),
                                     _TABLE.c.window_ends > utcnow())
    )
    return int(found or 0)


def reserve_login(session: Session, secret: str, account: str, address: str, limit: int,
                  address_limit: int) -> Reservation:
    """Count a login attempt for `account` from `address` before its password is checked, and
    decide whether it may go on (the rule is in the module docstring). When it may, its address
    is held back for the wait its failure would earn, so that parallel tries cannot slip in."""
    forget_expired(session)
    where = address_key(address)
    # Always the address's row first, then the pair's: parallel logins lock them in one order.
    by_address = count(session, secret, LOGIN_ADDRESS, where)
    pair = count(session, secret, LOGIN_PAIR, f"{account}\0{where}")
    now = utcnow()
    waits = [c.window_ends - now for c, most in ((by_address, address_limit), (pair, limit)) if c.count > most]
    if pair.not_before is not None and pair.not_before > now:
        waits.append(pair.not_before - now)
    if waits:
        return Reservation(False, max(waits), (by_address, pair))
    hold = account_delay(account_failures(session, secret, account) + 1, limit)
    if hold:
        session.execute(update(_TABLE).where(_row(pair.scope, pair.key_hash)).values(not_before=now + hold))
    return Reservation(True, timedelta(0), (by_address, pair))


def login_failed(session: Session, secret: str, account: str) -> None:
    """Add a failure to the account's count, kept `ACCOUNT_MEMORY` after the last one. The
    reserved attempt stays counted for its address."""
    count(session, secret, LOGIN_ACCOUNT, account, ACCOUNT_MEMORY, sliding=True)


def login_succeeded(session: Session, secret: str, account: str, reservation: Reservation) -> None:
    """Give the attempt back to its address, and clear its address's wait for the account and
    the account's failures."""
    by_address, pair = reservation.counted
    give_back(session, by_address)
    session.execute(delete(_TABLE).where(_row(pair.scope, pair.key_hash)))
    forget(session, secret, LOGIN_ACCOUNT, account)
