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
    default: str | None
    help: str


# Every LAGESBILD_* setting, documented in the README from this list.
SETTINGS: tuple[Setting, ...] = (
    Setting("LAGESBILD_SECURE_COOKIES", "1", "Mark session cookies Secure (set 0 only for local http)."),
    Setting("LAGESBILD_SESSION_IDLE_MINUTES", "240", "Log a user out after this many idle minutes."),
    Setting("LAGESBILD_SESSION_MAX_HOURS", "12", "Log a user out this many hours after logging in, however active."),
    Setting("LAGESBILD_MAX_UPLOAD_BYTES", str(2 * 1024 * 1024), "Largest request body accepted."),
    Setting("LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE", "10",
            "Failed logins allowed per account from one address a minute; after as many failures, an account's addresses wait."),
    Setting("LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE", "30", "Failed logins allowed per address a minute, whatever the account."),
    Setting("LAGESBILD_CODE_ATTEMPTS_PER_MINUTE", "10", "Access-code attempts allowed per address a minute."),
    Setting("LAGESBILD_SURVEY_STARTS_PER_MINUTE", "30", "New respondents allowed per address a minute through open links."),
    Setting("LAGESBILD_ANONYMITY_THRESHOLD", str(DEFAULT_ANONYMITY_THRESHOLD), "Default smallest group shown in survey results (never below 3)."),
    Setting("LAGESBILD_FREE_TEXT_THRESHOLD", str(DEFAULT_FREE_TEXT_THRESHOLD),
            "Default smallest group whose free-text answers may be shown (never below the anonymity threshold)."),
    Setting("LAGESBILD_QUESTIONNAIRES_DIR", None, "Folder with questionnaire YAML files (default: questionnaires/)."),
    Setting("LAGESBILD_DEFAULT_LANGUAGE", "sv", "Interface language when the user has not chosen one (sv or en)."),
    Setting("LAGESBILD_TRUST_PROXY", "0", "Number of reverse proxies whose X-Forwarded-For is trusted."),
    Setting("LAGESBILD_LOG_LEVEL", "INFO", "Log level of the application logger."),
)


def _int(env: Mapping[str, str], name: str, default: str, minimum: int) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value}: must be at least {minimum}")
    return value


def _thresholds(env: Mapping[str, str]) -> tuple[int, int]:
    """The default anonymity and free-text thresholds of new rounds; free text is never the smaller."""
    anonymity = _int(env, "LAGESBILD_ANONYMITY_THRESHOLD", str(DEFAULT_ANONYMITY_THRESHOLD), MIN_ANONYMITY_THRESHOLD)
    free_text = _int(env, "LAGESBILD_FREE_TEXT_THRESHOLD", str(DEFAULT_FREE_TEXT_THRESHOLD), MIN_ANONYMITY_THRESHOLD)
    if free_text < anonymity:
        raise ConfigError(f"LAGESBILD_FREE_TEXT_THRESHOLD={free_text}: must be at least "
                          f"LAGESBILD_ANONYMITY_THRESHOLD ({anonymity})")
    return anonymity, free_text


def _bool(env: Mapping[str, str], name: str, default: str) -> bool:
    raw = env.get(name, default).strip().lower()
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


def load_config(instance_path: Path, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Return the Flask configuration for this environment; raise ConfigError naming a bad value."""
    env = dict(os.environ if env is None else env)
    anonymity_threshold, free_text_threshold = _thresholds(env)
    language = env.get("LAGESBILD_DEFAULT_LANGUAGE", "sv")
    if language not in LANGUAGES:
        raise ConfigError(f"LAGESBILD_DEFAULT_LANGUAGE={language!r}: expected one of {', '.join(LANGUAGES)}")
    questionnaires = env.get("LAGESBILD_QUESTIONNAIRES_DIR") or str(PROJECT_ROOT / "questionnaires")
    secure = _bool(env, "LAGESBILD_SECURE_COOKIES", "1")
    return {
        "SECRET_KEY": _secret_key(env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env, instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "lagesbild_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=_int(env, "LAGESBILD_SESSION_IDLE_MINUTES", "240", 5)
        ),
        "SESSION_REFRESH_EACH_REQUEST": True,
        # Besides the idle timeout: a session ends this long after its login (app/services/sessions.py).
        "SESSION_MAX_AGE": timedelta(hours=_int(env, "LAGESBILD_SESSION_MAX_HOURS", "12", 1)),
        "MAX_CONTENT_LENGTH": _int(env, "LAGESBILD_MAX_UPLOAD_BYTES", str(2 * 1024 * 1024), 1024),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "LOGIN_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE", "10", 1),
        "LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE", "30", 1),
        "CODE_ATTEMPTS_PER_MINUTE": _int(env, "LAGESBILD_CODE_ATTEMPTS_PER_MINUTE", "10", 1),
        "SURVEY_STARTS_PER_MINUTE": _int(env, "LAGESBILD_SURVEY_STARTS_PER_MINUTE", "30", 1),
        # The thresholds a new round starts with; each round keeps its own after that.
        "ANONYMITY_THRESHOLD": anonymity_threshold,
        "FREE_TEXT_THRESHOLD": free_text_threshold,
        "QUESTIONNAIRES_DIR": questionnaires,
        "BABEL_DEFAULT_LOCALE": language,
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "TRUST_PROXY": _int(env, "LAGESBILD_TRUST_PROXY", "0", 0),
        "LOG_LEVEL": env.get("LAGESBILD_LOG_LEVEL", "INFO").upper(),
    }
