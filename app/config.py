"""Settings read from the environment in one place and checked when the application starts."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ("sv", "en")
MIN_ANONYMITY_THRESHOLD = 3
# What new rounds get unless LAGESBILD_ANONYMITY_THRESHOLD / LAGESBILD_FREE_TEXT_THRESHOLD say otherwise.
DEFAULT_ANONYMITY_THRESHOLD = 5
DEFAULT_FREE_TEXT_THRESHOLD = 10


class ConfigError(ValueError):
    """A setting in the environment has a value the application cannot run with."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None  # the value used when the variable is unset; None: see `shown_default`
    help: str
    shown_default: str = ""  # the README's words for a default that is not a fixed value

    @property
    def default_text(self) -> str:
        return f"`{self.default}`" if self.default is not None else self.shown_default


# Every setting read from the environment: `load_config` takes its defaults from here, and the
# README's configuration table is this list (`readme_table`; tests/test_config_table.py checks it).
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, "SQLAlchemy URL, e.g. `postgresql://lagesbild@db.internal/lagesbild`",
            "an SQLite file `instance/lagesbild.db`"),
    Setting("SECRET_KEY", None, "signs sessions; set the same value on every app instance",
            "generated once, kept in `instance/secret_key`"),
    Setting("LAGESBILD_SECURE_COOKIES", "1",
            "session cookie only over https; `0` only for local http (the demo sets it)"),
    Setting("LAGESBILD_SESSION_IDLE_MINUTES", "240", "idle time before a user is logged out (at least 5)"),
    Setting("LAGESBILD_SESSION_MAX_HOURS", "12",
            "time after login when a user is logged out however active (at least 1)"),
    Setting("LAGESBILD_MAX_UPLOAD_BYTES", str(2 * 1024 * 1024), "largest request or upload accepted (at least 1024)"),
    Setting("LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE", "10",
            "failed logins allowed per account from one address a minute; also how many failures an "
            "account has before its addresses must wait (see Production)"),
    Setting("LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE", "30",
            "failed logins allowed per address a minute, whatever the account (staff behind one proxy "
            "share an address)"),
    Setting("LAGESBILD_CODE_ATTEMPTS_PER_MINUTE", "10",
            "failed survey access-code attempts per address a minute (an accepted code is not counted)"),
    Setting("LAGESBILD_SURVEY_STARTS_PER_MINUTE", "30",
            "new respondents per address a minute through a unit's open link (staff behind one proxy "
            "share an address)"),
    Setting("LAGESBILD_ANONYMITY_THRESHOLD", str(DEFAULT_ANONYMITY_THRESHOLD),
            f"smallest group shown in survey results, for new rounds (never below {MIN_ANONYMITY_THRESHOLD}); "
            "an admin changes a round's own on its page until the first survey response"),
    Setting("LAGESBILD_FREE_TEXT_THRESHOLD", str(DEFAULT_FREE_TEXT_THRESHOLD),
            "smallest group whose free-text answers may be shown or named on the review page, for new "
            "rounds (never below the anonymity threshold)"),
    Setting("LAGESBILD_QUESTIONNAIRES_DIR", None, "folder of questionnaire YAML files", "`questionnaires/`"),
    Setting("LAGESBILD_DEFAULT_LANGUAGE", "sv", "interface language until a user chooses (`sv` or `en`)"),
    Setting("LAGESBILD_TRUST_PROXY", "0", "number of reverse proxies whose `X-Forwarded-For` is trusted"),
    Setting("LAGESBILD_LOG_LEVEL", "INFO", "application log level"),
    Setting("LAGESBILD_NEW_PASSWORD", None, "the password `users create` gives the new account",
            "asked for at the prompt"),
)
DEFAULTS: dict[str, str | None] = {setting.env: setting.default for setting in SETTINGS}


def readme_table() -> str:
    """The README's configuration table, row for row from SETTINGS."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{s.env}` | {s.default_text} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


def _default(name: str) -> str:
    default = DEFAULTS[name]
    if default is None:
        raise KeyError(f"{name} has no fixed default")
    return default


def _int(env: Mapping[str, str], name: str, minimum: int) -> int:
    raw = env.get(name, _default(name))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value}: must be at least {minimum}")
    return value


def _thresholds(env: Mapping[str, str]) -> tuple[int, int]:
    """The default anonymity and free-text thresholds of new rounds; free text is never the smaller."""
    anonymity = _int(env, "LAGESBILD_ANONYMITY_THRESHOLD", MIN_ANONYMITY_THRESHOLD)
    free_text = _int(env, "LAGESBILD_FREE_TEXT_THRESHOLD", MIN_ANONYMITY_THRESHOLD)
    if free_text < anonymity:
        raise ConfigError(f"LAGESBILD_FREE_TEXT_THRESHOLD={free_text}: must be at least "
                          f"LAGESBILD_ANONYMITY_THRESHOLD ({anonymity})")
    return anonymity, free_text


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, _default(name)).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with owner-only permissions: the key signs every session.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def database_url(env: Mapping[str, str], instance_path: Path) -> str:
    url = env.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    instance_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_path / 'lagesbild.db'}"


def questionnaires_dir(env: Mapping[str, str] | None = None) -> str:
    """LAGESBILD_QUESTIONNAIRES_DIR, or the project's questionnaires/ folder."""
    env = os.environ if env is None else env
    return env.get("LAGESBILD_QUESTIONNAIRES_DIR") or str(PROJECT_ROOT / "questionnaires")


def load_config(instance_path: Path, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Return the Flask configuration for this environment; raise ConfigError naming a bad value."""
    env = dict(os.environ if env is None else env)
    anonymity_threshold, free_text_threshold = _thresholds(env)
    language = env.get("LAGESBILD_DEFAULT_LANGUAGE", _default("LAGESBILD_DEFAULT_LANGUAGE"))
    if language not in LANGUAGES:
        raise ConfigError(f"LAGESBILD_DEFAULT_LANGUAGE={language!r}: expected one of {', '.join(LANGUAGES)}")
    questionnaires = questionnaires_dir(env)
    secure = _bool(env, "LAGESBILD_SECURE_COOKIES")
    return {
        "SECRET_KEY": _secret_key(env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env, instance_path),
        # No ping per checkout: a dropped connection is replaced when it is found (app.Lagesbild).
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "lagesbild_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=_int(env, "LAGESBILD_SESSION_IDLE_MINUTES", 5)
        ),
        "SESSION_REFRESH_EACH_REQUEST": True,
        # Besides the idle timeout: a session ends this long after its login (app/services/sessions.py).
        "SESSION_MAX_AGE": timedelta(hours=_int(env, "LAGESBILD_SESSION_MAX_HOURS", 1)),
        "MAX_CONTENT_LENGTH": _int(env, "LAGESBILD_MAX_UPLOAD_BYTES", 1024),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "LOGIN_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE", 1),
        "LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE", 1),
        "CODE_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_CODE_ATTEMPTS_PER_MINUTE", 1),
        "SURVEY_STARTS_PER_MINUTE": _int(env, "LAGESBILD_SURVEY_STARTS_PER_MINUTE", 1),
        # The thresholds a new round starts with; each round keeps its own after that.
        "ANONYMITY_THRESHOLD": anonymity_threshold,
        "FREE_TEXT_THRESHOLD": free_text_threshold,
        "QUESTIONNAIRES_DIR": questionnaires,
        "BABEL_DEFAULT_LOCALE": language,
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "TRUST_PROXY": _int(env, "LAGESBILD_TRUST_PROXY", 0),
        "LOG_LEVEL": env.get("LAGESBILD_LOG_LEVEL", _default("LAGESBILD_LOG_LEVEL")).upper(),
    }
