"""Time and profile the city's heaviest downloads on a city kept by `run.py --sqlite FILE` (or
in a PostgreSQL schema holding one): the city-wide PDF and the survey XLSX export, each fetched
`--runs` times through Flask's test client (first and median shown, as wall-clock time and as
this process's CPU time, which SQLite's work is part of and which other processes on a shared
machine disturb less), then once under cProfile, printing the functions with the most
cumulative and the most own time.

    python benchmarks/profile_city.py sqlite:////tmp/city.db /tmp/city.instance 2026
    python benchmarks/profile_city.py URL INSTANCE ROUND_KEY --only pdf --runs 3 --top 40
    python benchmarks/profile_city.py URL INSTANCE ROUND_KEY --only pdf --after-completion 5

`--after-completion N` then stores N completed responses in the round (a release of one unit,
as N respondents completing would leave it: it changes the kept city) and fetches each again,
the first fetch apart: what the first download after a completion costs a running server,
whose earlier rounds' releases stay kept.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import logged_in, make_app  # noqa: E402

WHATS = {"pdf": "/lagesbild/{key}/rapport.pdf", "xlsx": "/lagesbild/{key}/export/survey.xlsx"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("instance")
    parser.add_argument("round_key")
    parser.add_argument("--only", choices=sorted(WHATS), action="append")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--save", metavar="FOLDER", help="keep the last download of each in FOLDER")
    parser.add_argument("--after-completion", type=int, default=0, metavar="N",
                        help="then store N completed responses in the round and fetch again")
    args = parser.parse_args()
    app = make_app(args.url, Path(args.instance))
    client = logged_in(app)
    for what in args.only or sorted(WHATS):
        url = WHATS[what].format(key=args.round_key)
        response = fetch(client, what, url, args.runs)
        if args.after_completion:
            complete(app, args.round_key, args.after_completion)
            response = fetch(client, f"{what} after {args.after_completion} completed", url, args.runs)
        if args.save:
            Path(args.save, f"city.{what}").write_bytes(response.get_data())
        if args.no_profile:
            continue
        profile = cProfile.Profile()
        profile.runcall(lambda url=url: client.get(url).get_data())
        found = pstats.Stats(profile).sort_stats("cumulative")
        found.print_stats(args.top)
        found.sort_stats("tottime").print_stats(args.top)


def fetch(client, what: str, url: str, runs: int):  # type: ignore[no-untyped-def]
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.status_code
    print(f"{what}: wall first {times[0]:.2f} s, median {statistics.median(times):.2f} s; "
          f"CPU first {cpu[0]:.2f} s, median {statistics.median(cpu):.2f} s; "
          f"wall {', '.join(f'{t:.2f}' for t in times)}, CPU {', '.join(f'{t:.2f}' for t in cpu)} "
          f"({len(response.get_data()):,} bytes)", flush=True)
    return response


def complete(app, round_key: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Store `count` synthetic completed responses for the round's unit with the most responses
    (through the service the synthetic city is built with: checked, released together)."""
    from sqlalchemy import func, select

    from app.demo.synthetic import _full_response
    from app.extensions import db
    from app.models import Round, Unit
    from app.models.survey import SurveyResponse
    from app.services import survey

    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.key == round_key))
        unit_key, unit_id = db.session.execute(
            select(Unit.key, Unit.id).join(SurveyResponse, SurveyResponse.unit_id == Unit.id)
            .where(SurveyResponse.round_id == round_.id).group_by(Unit.key, Unit.id)
            .order_by(func.count().desc()).limit(1)).one()
        definition = round_.version_of_kind("survey").parsed()
        rng = random.Random()
        db.session.remove()
        started = time.process_time()
        survey.store_completed(round_key, unit_id, [_full_response(definition, rng, unit_key, 0.3)
                                                    for _ in range(count)], date.today())
        print(f"stored {count} completed responses for {unit_key} ({time.process_time() - started:.2f} s CPU)")


if __name__ == "__main__":
    main()
