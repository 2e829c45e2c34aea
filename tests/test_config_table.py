"""The settings table lives in one place, app.config.SETTINGS: every variable the application
reads is in it, `load_config` takes its defaults from it, and the README's table is it."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import PROJECT_ROOT, SETTINGS, load_config, readme_table

VARIABLE = re.compile(r"\bLAGESBILD_[A-Z][A-Z_]*[A-Z]\b")


def test_every_variable_read_in_app_is_a_setting() -> None:
    read = {name for path in (PROJECT_ROOT / "app").rglob("*.py")
            for name in VARIABLE.findall(path.read_text(encoding="utf-8"))}
    assert read, "no LAGESBILD_ variable found: the search is wrong"
    assert read - {s.env for s in SETTINGS} == set()


def test_the_readme_table_is_the_settings() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| variable | default | meaning |")
    table = readme[start:readme.index("\n\n", start) + 1]
    assert table == readme_table(), "regenerate the README's table: print(app.config.readme_table())"
    # Row by row, with the defaults as the README shows them.
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    assert [(variable.strip("|` "), default) for variable, default, _meaning in rows] == [
        ("DATABASE_URL", "an SQLite file `instance/lagesbild.db`"),
        ("SECRET_KEY", "generated once, kept in `instance/secret_key`"),
        ("LAGESBILD_SECURE_COOKIES", "`1`"),
        ("LAGESBILD_SESSION_IDLE_MINUTES", "`240`"),
        ("LAGESBILD_SESSION_MAX_HOURS", "`12`"),
        ("LAGESBILD_MAX_UPLOAD_BYTES", "`2097152`"),
        ("LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE", "`10`"),
        ("LAGESBILD_LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE", "`30`"),
        ("LAGESBILD_CODE_ATTEMPTS_PER_MINUTE", "`10`"),
        ("LAGESBILD_SURVEY_STARTS_PER_MINUTE", "`30`"),
        ("LAGESBILD_ANONYMITY_THRESHOLD", "`5`"),
        ("LAGESBILD_FREE_TEXT_THRESHOLD", "`10`"),
        ("LAGESBILD_QUESTIONNAIRES_DIR", "`questionnaires/`"),
        ("LAGESBILD_DEFAULT_LANGUAGE", "`sv`"),
        ("LAGESBILD_TRUST_PROXY", "`0`"),
        ("LAGESBILD_LOG_LEVEL", "`INFO`"),
        ("LAGESBILD_NEW_PASSWORD", "asked for at the prompt"),
    ]


def test_an_empty_environment_gets_the_tables_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"SECRET_KEY": "k"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 240 * 60
    assert config["SESSION_MAX_AGE"].total_seconds() == 12 * 3600
    assert config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert (config["LOGIN_ATTEMPTS_PER_MINUTE"], config["LOGIN_ADDRESS_ATTEMPTS_PER_MINUTE"],
            config["CODE_ATTEMPTS_PER_MINUTE"], config["SURVEY_STARTS_PER_MINUTE"]) == (10, 30, 10, 30)
    assert (config["ANONYMITY_THRESHOLD"], config["FREE_TEXT_THRESHOLD"]) == (5, 10)
    assert config["QUESTIONNAIRES_DIR"] == str(PROJECT_ROOT / "questionnaires")
    assert (config["BABEL_DEFAULT_LOCALE"], config["TRUST_PROXY"], config["LOG_LEVEL"]) == ("sv", 0, "INFO")
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lagesbild.db'}"
