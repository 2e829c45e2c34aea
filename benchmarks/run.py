"""Benchmarks of issue 10: build the synthetic city and time the heavy pages, exports and PDFs
through Flask's test client, each next to a baseline from the same run (the bare SQL aggregate
computing the same counts, or an empty Flask route), so that the figures survive a noisy machine.

    python benchmarks/run.py                      # 300 units x 50,000 responses x 2 rounds, SQLite
    python benchmarks/run.py --small              # a quick run
    python benchmarks/run.py --postgres postgresql://user@host/db   # also PostgreSQL, own schema
    python benchmarks/run.py --sqlite /tmp/city.db  # keep the SQLite city; a second run reuses it

Not part of the test suite. Prints a table and writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, inspect, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.demo.synthetic import SyntheticSpec, round_key, survey_plan, top_level_keys  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Round, Unit, User  # noqa: E402
from app.services import survey, transaction  # noqa: E402
from app.services.users import NewUser, create_user  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# The throwaway databases' key: it signs sessions and hashes the access codes made here.
SECRET = "benchmark-secret-key-not-for-production"  # noqa: S105
# An admin of the benchmark's own, so that a kept city can be measured again in a later run.
BENCH_ADMIN = "benchmark-admin@lagesbild.example"
BENCH_PASSWORD = "benchmark-lösenord-ej-för-drift"  # noqa: S105
FIRST_PAGE = {"section": "bakgrund", "action": "next", "q-kon": "kvinna", "q-stadsdel": "skarholmen",
              "q-verksamhetsomrade": "ekonomiskt_bistand"}

# The bare aggregates: the counts each report is made from, in one query.
SURVEY_COUNTS = """SELECT r.unit_id, a.question_key, a.row_key, a.value, count(*)
  FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
 WHERE r.round_id = :round {unit} GROUP BY r.unit_id, a.question_key, a.row_key, a.value"""
# What the reports read instead: the counts kept per cell as responses are stored.
KEPT_COUNTS = """SELECT unit_id, question_key, row_key, value, respondents FROM survey_counts
 WHERE round_id = :round {unit}"""
ANSWERS = "SELECT unit_id, status, answers FROM unit_responses WHERE round_id = :round {unit}"


@dataclass
class Measured:
    what: str
    median_s: float
    baseline_s: float
    baseline: str
    status: int
    size: int

    @property
    def ratio(self) -> float:
        return self.median_s / self.baseline_s if self.baseline_s else float("nan")


def median_time(action: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def make_app(url: str, instance: Path) -> Flask:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "ENVIRON": {"SECRET_KEY": SECRET, "LAGESBILD_SECURE_COOKIES": "0",
                    "LAGESBILD_LOGIN_ATTEMPTS_PER_MINUTE": "1000", "LAGESBILD_CODE_ATTEMPTS_PER_MINUTE": "100000"},
    })
    # Everything the run writes (the synthetic logins) goes to its own folder, not the project's.
    app.instance_path = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    # The submission baseline: a route that does nothing, served by the same application.
    app.add_url_rule("/_benchmark/empty", "benchmark_empty", lambda: "")
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        if "survey_responses" in tables and "survey_split_counts" not in tables:
            # A city kept by a version before migration 0007: an empty table would split nothing.
            raise SystemExit("this city lacks survey_split_counts: `lagesbild db stamp 0006` and "
                             "`lagesbild db upgrade` it first (benchmarks/README.md)")
        # A throwaway database: the models' tables and indexes, as the tests make them.
        db.create_all()
    return app


def build_city(app: Flask, spec: SyntheticSpec) -> float:
    args = ["demo", "--no-serve", "--units", str(spec.units), "--respondents", str(spec.respondents),
            "--rounds", str(spec.rounds), "--seed", str(spec.seed)]
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=args)
    if result.exit_code != 0:
        raise SystemExit(f"building the city failed:\n{result.output}\n{result.exception!r}")
    print(result.output.splitlines()[0])
    return time.perf_counter() - started


def csrf_of(client: FlaskClient, url: str = "/tillganglighet") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found, "no CSRF token"
    return found.group(1)


def logged_in(app: Flask) -> FlaskClient:
    with app.app_context(), transaction() as session:
        if session.scalar(select(User.id).where(User.email == BENCH_ADMIN)) is None:
            create_user(session, NewUser(BENCH_ADMIN, "admin", BENCH_PASSWORD))
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_ADMIN, "password": BENCH_PASSWORD,
                                           "csrf_token": csrf_of(client)})
    assert response.status_code == 302, response.status_code
    return client


def sql_time(app: Flask, query: str, runs: int, **params: object) -> float:
    with app.app_context():
        return median_time(lambda: db.session.execute(text(query), params).all(), runs)[0]


def measure(app: Flask, spec: SyntheticSpec, runs: int) -> list[Measured]:
    key = round_key(spec.today.year)
    with app.app_context():
        round_id = db.session.scalar(select(Round.id).where(Round.key == key))
        plan = survey_plan(spec, spec.today.year)
        biggest = max(plan, key=lambda k: (plan[k], k))
        top = top_level_keys(spec)[0]
        unit_ids = {k: i for k, i in db.session.execute(select(Unit.key, Unit.id).where(Unit.key.in_([biggest, top])))}
    client = logged_in(app)
    city_counts = sql_time(app, SURVEY_COUNTS.format(unit=""), runs, round=round_id)
    unit_counts = sql_time(app, SURVEY_COUNTS.format(unit="AND r.unit_id = :unit"), runs, round=round_id,
                           unit=unit_ids[biggest])
    all_answers = sql_time(app, ANSWERS.format(unit=""), runs, round=round_id)
    unit_answers = sql_time(app, ANSWERS.format(unit="AND unit_id = :unit"), runs, round=round_id, unit=unit_ids[top])
    top_counts = sql_time(app, SURVEY_COUNTS.format(unit="AND r.unit_id = :unit"), runs, round=round_id,
                          unit=unit_ids[top])
    pages = [
        ("comparison page", f"/lagesbild/{key}", all_answers, "SQL: self-assessments of the round"),
        ("survey report, city", f"/admin/enkat/{key}/resultat", city_counts, "SQL: survey counts per unit"),
        ("survey report, one unit", f"/admin/enkat/{key}/resultat?cell={biggest}", city_counts,
         "SQL: survey counts per unit"),
        ("survey CSV export", f"/lagesbild/{key}/export/survey.csv", city_counts, "SQL: survey counts per unit"),
        ("survey XLSX export", f"/lagesbild/{key}/export/survey.xlsx", city_counts, "SQL: survey counts per unit"),
        ("unit PDF", f"/rapporter/{key}/enheter/{top}.pdf", unit_answers + top_counts,
         "SQL: the unit's self-assessment + its survey counts"),
        ("city PDF", f"/lagesbild/{key}/rapport.pdf", all_answers + city_counts,
         "SQL: self-assessments + survey counts"),
    ]
    results = []
    def fetch(url: str):  # type: ignore[no-untyped-def]
        response = client.get(url)
        response.get_data()  # a streamed export is timed until its last byte
        return response

    for what, url, baseline, named in pages:
        seconds, response = median_time(lambda url=url: fetch(url), runs)
        results.append(Measured(what, seconds, baseline, named, response.status_code,  # type: ignore[attr-defined]
                                len(response.get_data())))  # type: ignore[attr-defined]
        print(f"  {what}: {seconds:.3f} s", flush=True)
    # The unit survey report should be compared with its own unit's counts.
    results[2].baseline_s, results[2].baseline = unit_counts, "SQL: one unit's survey counts"
    # What the reports read instead of the aggregate: the counts kept per cell.
    kept = sql_time(app, KEPT_COUNTS.format(unit=""), runs, round=round_id)
    results.append(Measured("SQL: kept survey counts", kept, city_counts, "SQL: survey counts per unit", 200, 0))
    results.append(submission(app, key, unit_ids[biggest], runs))
    return results


def submission(app: Flask, key: str, unit_id: int, runs: int) -> Measured:
    """One survey page posted by a respondent who entered a fresh access code."""
    with app.app_context(), transaction() as session:
        round_ = session.scalar(select(Round).where(Round.key == key))
        codes = survey.generate_codes(session, str(app.config["SECRET_KEY"]), round_, unit_id, runs)  # type: ignore[arg-type]
    times, status = [], 0
    for code in codes:
        client = app.test_client()
        token = csrf_of(client, "/enkat")
        client.post("/enkat", data={"code": code, "csrf_token": token})
        token = csrf_of(client, "/enkat/sida")
        started = time.perf_counter()
        response = client.post("/enkat/sida", data={**FIRST_PAGE, "csrf_token": token})
        times.append(time.perf_counter() - started)
        status = response.status_code
    empty = app.test_client()
    baseline = median_time(lambda: empty.get("/_benchmark/empty"), runs * 5)[0]
    return Measured("survey page submission", statistics.median(times), baseline, "an empty Flask route", status, 0)


def print_table(database: str, built_s: float, rows: list[Measured]) -> None:
    print(f"\n{database}: city built in {built_s:.1f} s")
    print(f"| {'what':<26} | {'median':>9} | {'baseline':>9} | {'ratio':>7} | status | baseline is")
    print(f"| {'-' * 26} | {'-' * 9} | {'-' * 9} | {'-' * 7} | ------ | -----------")
    for row in rows:
        print(f"| {row.what:<26} | {row.median_s * 1000:7.1f}ms | {row.baseline_s * 1000:7.2f}ms | "
              f"{row.ratio:6.1f}x | {row.status:>6} | {row.baseline}")


def export_memory(url: str, instance: Path, round_key: str) -> dict[str, float]:
    """The survey CSV export's peak memory, in a fresh process of its own (this one holds the
    whole city build): the process's peak resident set before and after the request."""
    found = subprocess.run([sys.executable, str(Path(__file__).with_name("export_memory.py")), url,  # noqa: S603
                            str(instance), round_key], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        print(f"  CSV export memory: failed\n{found.stderr[-2000:]}", flush=True)
        return {}
    figures = json.loads(found.stdout.splitlines()[-1])
    print(f"  CSV export ({'streamed' if figures.get('streamed') else 'not streamed'}, {figures['bytes']:,} bytes): "
          f"process peak {figures['peak_mb']:.0f} MB, resident set "
          f"{figures['rss_before_mb']:.0f} -> {figures['rss_after_mb']:.0f} MB over the request", flush=True)
    return figures


def run_one(database: str, url: str, spec: SyntheticSpec, runs: int, instance: Path) -> dict[str, object]:
    print(f"\n== {database}: {spec.units} units x {spec.respondents} responses x {spec.rounds} rounds", flush=True)
    app = make_app(url, instance)
    built_s = build_city(app, spec)
    print(f"  built in {built_s:.1f} s", flush=True)
    rows = measure(app, spec, runs)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    memory = export_memory(url, instance, round_key(spec.today.year))
    print_table(database, built_s, rows)
    failed = [row.what for row in rows if row.status not in (200, 302)]
    if failed:
        print(f"FAILED (status not 200): {', '.join(failed)}")
    return {"database": database, "build_seconds": built_s, "csv_export_memory": memory, "failed": failed,
            "results": [{**asdict(row), "ratio": row.ratio} for row in rows]}


def psycopg_url(url: str) -> str:
    """SQLAlchemy reads a bare postgresql:// as psycopg2; the application uses psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@contextmanager
def own_postgres_schema(url: str) -> Iterator[str]:
    """A new schema of its own on the server, so that the run starts empty and never touches
    another schema's tables; dropped afterwards, also when the run fails."""
    schema = f"lagesbild_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(psycopg_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{psycopg_url(url)}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="30 units x 1,000 responses x 2 rounds")
    parser.add_argument("--units", type=int)
    parser.add_argument("--respondents", type=int)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (the median is shown)")
    parser.add_argument("--postgres", metavar="URL",
                        help="also run on this PostgreSQL database, in a new schema dropped afterwards")
    parser.add_argument("--sqlite", metavar="FILE",
                        help="build the SQLite city in FILE and keep it; a city already there is reused")
    args = parser.parse_args()
    units = args.units or (30 if args.small else 300)
    respondents = args.respondents or (1000 if args.small else 50_000)
    spec = SyntheticSpec(units=units, respondents=respondents, rounds=args.rounds, seed=1, today=date.today())
    runs = []
    with tempfile.TemporaryDirectory(prefix="lagesbild-bench-") as folder:
        work = Path(folder)
        sqlite_file = Path(args.sqlite).resolve() if args.sqlite else work / "bench.db"
        instance = sqlite_file.with_suffix(".instance") if args.sqlite else work / "sqlite"
        runs.append(run_one("SQLite", f"sqlite:///{sqlite_file}", spec, args.runs, instance))
        if args.postgres:
            with own_postgres_schema(args.postgres) as url:
                runs.append(run_one("PostgreSQL", url, spec, args.runs, work / "postgres"))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({
        "taken": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
        "python": platform.python_version(), "cpus": __import__("os").cpu_count(),
        "spec": {"units": spec.units, "respondents": spec.respondents, "rounds": spec.rounds, "seed": spec.seed},
        "runs_per_measurement": args.runs, "databases": runs,
    }, indent=2))
    print(f"\nJSON written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
