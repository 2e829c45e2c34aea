"""Load test of issue 10: many respondents at once completing the staff survey, every page, each
with an access code of their own, against gunicorn on 127.0.0.1 serving the application on a
throwaway database. Bounded in count (`--surveys`) and time (`--max-seconds`).

    python benchmarks/load.py                                   # SQLite, 200 at once, 1,000 surveys
    python benchmarks/load.py --postgres postgresql://user@host/db   # in a new schema, dropped after
    python benchmarks/load.py --pause 5-20 --surveys 400          # respondents reading each page

It reports completed surveys per second; p50/p95/p99 latency of the page posts, the page loads
and the page turns (a post and the page it leads to: what a respondent waits for after pressing
the button); the same for an empty Flask route served by the same gunicorn under the same
concurrency; the floor survey's rate (`floor.py`: six hello-GETs and six insert-POSTs on bare
Flask, the same concurrency, no pauses) and the product's share of it; the errors; and checks
afterwards that the database holds exactly as many new completed responses as the load test
completed (and the floor's table six rows per floor survey). With `--pause LOW-HIGH` each
respondent reads every page for a random LOW to HIGH seconds before posting it. The client is
plain threads with http.client (no extra packages); it runs on the same machine as the server
and takes a share of its CPU. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import zip_longest
from pathlib import Path
from queue import Empty, Queue
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor import FLOOR_METADATA, FLOOR_TABLE  # noqa: E402
from floor import PAGES as FLOOR_PAGES  # noqa: E402
from run import RESULTS, SECRET, build_city, make_app, own_postgres_schema  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.demo.synthetic import SyntheticSpec, invited_keys, round_key  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Round, Unit  # noqa: E402
from app.models.survey import AccessCode, SurveyDraft, SurveyPending, SurveyResponse  # noqa: E402
from app.services import survey, transaction  # noqa: E402

# One respondent's answers, page by page (the same as tests/test_survey.py answers).
PAGES: dict[str, dict[str, object]] = {
    "bakgrund": {"q-kon": "kvinna", "q-stadsdel": "skarholmen", "q-verksamhetsomrade": "ekonomiskt_bistand"},
    "risk_och_arbetssatt": {
        "q-risk-trakasserier": "hog", "q-risk-hot_vald": "lag", "q-risk-skadegorelse": "inte_alls",
        "q-risk-mutor": "inte_alls", "q-utbildning": "ja_senaste_aret", "q-riktlinjer_gavor": "nej",
        "q-pratar": ["hot_vald", "mutor"], "q-arbetssatt": "ja", "q-arbetssatt_hur": "Vi går två och två.",
        "q-rutiner_hot_vald": "vet_ej", "q-rapportera-trakasserier": "ja", "q-rapportera-hot_vald": "ja",
        "q-rapportera-skadegorelse": "nej", "q-rapportera-mutor": "nej",
    },
    "utsatthet": {"q-utsatt": "ja", "q-utsatt_hur": "Hot i telefon."},
    "senaste_handelsen": {
        "q-typ": ["hot_vald"], "q-av_vem": ["kund_brukare"], "q-anmaldes-chef": "ja",
        "q-anmaldes-polis": "nej", "q-anmaldes-ia": "ja", "q-stod": "ja",
    },
    "avslutning": {"q-kommentarer": ""},
}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SECTION = re.compile(r'name="section" value="([a-z_]+)"')
RECEIPT = "Tack! Ditt svar är sparat."


class Failed(Exception):
    """A request answered with something a browser would not expect."""


class Browser:
    """One respondent's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, object] | None = None
                ) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # The server closed a kept-alive connection: once more on a new one, as browsers do.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text

    def close(self) -> None:
        self.connection.close()


@dataclass
class Tally:
    """What every respondent thread saw, merged under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    gets: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)

    def add(self, completed: bool, times: Times, error: str | None) -> None:
        with self.lock:
            self.completed += completed
            self.posts += times.posts
            self.gets += times.gets
            self.turns += times.turns
            if error:
                self.errors.append(error)


@dataclass
class Times:
    """One respondent's request times: every post, every page load, and every page turn (a
    post and the page it leads to, as the respondent waits for it)."""

    posts: list[float] = field(default_factory=list)
    gets: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Pause:
    """How long a respondent reads a page before posting it: uniformly LOW to HIGH seconds."""

    low: float = 0.0
    high: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Pause:
        low, _, high = text.partition("-")
        pause = cls(float(low), float(high or low))
        if not 0 <= pause.low <= pause.high:
            raise argparse.ArgumentTypeError(f"not a range of seconds: {text}")
        return pause

    def wait(self, rng: random.Random) -> None:
        if self.high:
            time.sleep(rng.uniform(self.low, self.high))


def timed(browser: Browser, times: list[float], method: str, path: str,
          form: dict[str, object] | None = None) -> tuple[int, str, str]:
    started = time.perf_counter()
    answer = browser.request(method, path, form)
    times.append(time.perf_counter() - started)
    return answer


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise Failed("no CSRF token in the page")
    return found.group(1)


def survey_page(browser: Browser, times: Times, pause: Pause, rng: random.Random, html: str) -> str | None:
    """Read the page `html` (for `pause`), post its answers, and return the next page's HTML, or
    None at the receipt. The post answers with a redirect to the next page (loaded then, as a
    browser does) or with the next page (or the receipt) itself; either way the page turn is
    timed to the page."""
    found = SECTION.search(html)
    if not found:
        raise Failed("a survey page without a section")
    section = found.group(1)
    action = "complete" if 'value="complete"' in html else "next"
    form = {**PAGES[section], "section": section, "action": action, "csrf_token": csrf_of(html)}
    pause.wait(rng)
    started = time.perf_counter()
    status, location, html = timed(browser, times.posts, "POST", "/enkat/sida", form)
    if status == 302 and location.endswith("/enkat/tack"):
        times.turns.append(time.perf_counter() - started)
        return None
    if status == 302:
        status, _, html = timed(browser, times.gets, "GET", location)
    times.turns.append(time.perf_counter() - started)
    if status != 200:
        raise Failed(f"POST /enkat/sida ({section}) and the page after it: {status}")
    if action == "complete" and RECEIPT in html:
        return None
    shown = SECTION.search(html)
    if shown and shown.group(1) == section:
        raise Failed(f"POST /enkat/sida ({section}) answered with the same page")
    return html


def complete_survey(port: int, code: str, times: Times, pause: Pause, rng: random.Random) -> None:
    """Enter the code, answer every page the survey shows, complete it; Failed on anything else."""
    browser = Browser(port)
    try:
        status, _, html = timed(browser, times.gets, "GET", "/enkat")
        if status != 200:
            raise Failed(f"GET /enkat: {status}")
        pause.wait(rng)
        started = time.perf_counter()
        status, location, _ = timed(browser, times.posts, "POST", "/enkat", {"code": code, "csrf_token": csrf_of(html)})
        if status != 302 or not location.endswith("/enkat/sida"):
            raise Failed(f"POST /enkat: {status} {location}")
        status, _, page = timed(browser, times.gets, "GET", "/enkat/sida")
        times.turns.append(time.perf_counter() - started)
        if status != 200:
            raise Failed(f"GET /enkat/sida: {status}")
        for _page in range(12):
            next_page = survey_page(browser, times, pause, rng, page)
            if next_page is None:
                return
            page = next_page
        raise Failed("never reached the receipt")
    finally:
        browser.close()


def respondent(port: int, codes: Queue[str], tally: Tally, stop_at: float, start: threading.Barrier,
               pause: Pause, seed: int) -> None:
    rng = random.Random(seed)
    start.wait()
    while time.perf_counter() < stop_at:
        try:
            code = codes.get_nowait()
        except Empty:
            return
        times = Times()
        try:
            complete_survey(port, code, times, pause, rng)
            tally.add(True, times, None)
        except (Failed, OSError, http.client.HTTPException) as error:
            tally.add(False, times, f"{type(error).__name__}: {error}")


def empty_route(port: int, concurrency: int, per_thread: int) -> list[float]:
    """The baseline: an empty Flask route on the same gunicorn under the same concurrency."""
    times: list[float] = []
    lock = threading.Lock()

    def hammer() -> None:
        browser, mine = Browser(port), []
        for _ in range(per_thread):
            started = time.perf_counter()
            browser.request("GET", "/_benchmark/empty")
            mine.append(time.perf_counter() - started)
        browser.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


@dataclass
class Floor:
    """What the floor survey's threads saw."""

    completed: int = 0
    errors: int = 0
    seconds: float = 0.0
    requests: list[float] = field(default_factory=list)


def floor_surveys(port: int, concurrency: int, surveys: int) -> Floor:
    """`surveys` floor surveys by `concurrency` threads at once, without pauses: each
    FLOOR_PAGES hello-GETs and as many insert-POSTs on the bare Flask application."""
    found, lock = Floor(), threading.Lock()
    left = iter(range(surveys))

    def respondent() -> None:
        browser, mine, done, failed = Browser(port), [], 0, 0
        while True:
            with lock:
                number = next(left, None)
            if number is None:
                break
            try:
                for page in range(FLOOR_PAGES):
                    hello = timed(browser, mine, "GET", "/_floor/hello")[0]
                    stored = timed(browser, mine, "POST", "/_floor/answer",
                                   {"respondent": str(number), "page": page, "answer": "ja"})[0]
                    if hello != 200 or stored != 204:
                        raise Failed(f"floor: {hello} {stored}")
                done += 1
            except (Failed, OSError, http.client.HTTPException):
                failed += 1
        browser.close()
        with lock:
            found.completed += done
            found.errors += failed
            found.requests.extend(mine)

    threads = [threading.Thread(target=respondent) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found.seconds = time.perf_counter() - began
    return found


# --- the throwaway database and the server ----------------------------------------------------


def prepare(url: str, instance: Path, codes_wanted: int) -> tuple[list[str], str]:
    """A small synthetic city with one open round (a few responses in the smallest units), and
    `codes_wanted` fresh access codes spread over its units."""
    spec = SyntheticSpec(units=30, respondents=0, rounds=1, seed=1, today=date.today())
    app = make_app(url, instance)
    build_city(app, spec)
    with app.app_context():
        FLOOR_METADATA.create_all(db.engine)
    key = round_key(spec.today.year)
    keys = invited_keys(spec)
    by_unit: list[list[str]] = []
    with app.app_context():
        with transaction() as session:
            round_ = session.scalar(select(Round).where(Round.key == key))
            ids = dict(session.execute(select(Unit.key, Unit.id).where(Unit.key.in_(keys))).all())
            # Head counts unknown: the few synthetic responses set them, and a unit whose count is
            # reached refuses the next completion ("full"), which is not what is measured here.
            survey.set_head_counts(session, round_, dict.fromkeys(ids.values()))  # type: ignore[arg-type]
            for index, unit_key in enumerate(keys):
                count = codes_wanted // len(keys) + (index < codes_wanted % len(keys))
                if count:
                    by_unit.append(survey.generate_codes(session, SECRET, round_, ids[unit_key], count))  # type: ignore[arg-type]
        db.session.remove()
        db.engine.dispose()
    # Interleave the units, so that respondents at the same moment answer for different units.
    return [code for group in zip_longest(*by_unit) for code in group if code], key


def counts(url: str, instance: Path, key: str) -> dict[str, int]:
    app = make_app(url, instance)
    with app.app_context():
        round_id = db.session.scalar(select(Round.id).where(Round.key == key))
        found = {
            # Completed: released into the results, or waiting for others of their unit.
            "responses": sum(db.session.scalar(select(func.count()).select_from(model)
                                               .where(model.round_id == round_id)) or 0
                             for model in (SurveyResponse, SurveyPending)),
            "drafts": db.session.scalar(select(func.count()).select_from(SurveyDraft)),
            "used_codes": db.session.scalar(select(func.count()).select_from(AccessCode)
                                            .where(AccessCode.used.is_(True))),
            "floor_rows": db.session.scalar(select(func.count()).select_from(FLOOR_TABLE)),
        }
        db.session.remove()
        db.engine.dispose()
    return {k: int(v or 0) for k, v in found.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(url: str, instance: Path, workers: int, threads: int, log: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "LAGESBILD_SECURE_COOKIES": "0",
           "LAGESBILD_CODE_ATTEMPTS_PER_MINUTE": "1000000", "LAGESBILD_LOG_LEVEL": "WARNING",
           "LAGESBILD_BENCH_INSTANCE": str(instance)}
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "-w", str(workers), "--threads", str(threads),
               "--backlog", "2048", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "benchmarks.wsgi:app"]
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = Browser(port).request("GET", "/halsa")
                if status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(values: list[float]) -> dict[str, float]:
    return {"count": len(values), "p50_ms": percentile(values, 0.50) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
            "mean_ms": statistics.fmean(values) * 1000 if values else float("nan")}


def run_load(database: str, url: str, instance: Path, args: argparse.Namespace) -> dict[str, object]:
    pausing = f", pausing {args.pause.low:g}-{args.pause.high:g} s per page" if args.pause.high else ""
    print(f"\n== {database}: {args.concurrency} respondents at once{pausing}, {args.surveys} surveys, "
          f"gunicorn -w {args.workers} --threads {args.threads}", flush=True)
    codes, key = prepare(url, instance, args.surveys)
    before = counts(url, instance, key)
    queue: Queue[str] = Queue()
    for code in codes:
        queue.put(code)
    tally = Tally()
    with gunicorn(url, instance, args.workers, args.threads, instance / "gunicorn.log") as port:
        baseline = empty_route(port, args.concurrency, 5)
        floor = floor_surveys(port, args.concurrency, args.floor_surveys)
        start = threading.Barrier(args.concurrency + 1)
        began = time.perf_counter()
        threads = [threading.Thread(target=respondent, args=(port, queue, tally, began + args.max_seconds, start,
                                                             args.pause, seed))
                   for seed in range(args.concurrency)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    after = counts(url, instance, key)
    stored = after["responses"] - before["responses"]
    floor_rate = floor.completed / floor.seconds if floor.seconds else float("nan")
    result = {
        "database": database, "surveys_wanted": args.surveys, "completed": tally.completed,
        "errors": len(tally.errors), "error_examples": sorted(set(tally.errors))[:10],
        "seconds": elapsed, "surveys_per_second": tally.completed / elapsed,
        "pause_seconds": [args.pause.low, args.pause.high],
        "page_posts": latency(tally.posts), "page_gets": latency(tally.gets), "page_turns": latency(tally.turns),
        "empty_route": latency(baseline), "stored_responses": stored,
        "floor": {"surveys": floor.completed, "errors": floor.errors, "seconds": floor.seconds,
                  "surveys_per_second": floor_rate, "requests": latency(floor.requests),
                  "rows_stored": after["floor_rows"] - before["floor_rows"],
                  "nothing_lost": after["floor_rows"] - before["floor_rows"] == FLOOR_PAGES * floor.completed},
        "share_of_floor": (tally.completed / elapsed) / floor_rate if floor_rate else float("nan"),
        "drafts_left": after["drafts"] - before["drafts"], "codes_used": after["used_codes"] - before["used_codes"],
        "nothing_lost_or_doubled": stored == tally.completed,
    }
    print_result(result)
    return result


def print_result(r: dict[str, object]) -> None:
    floor = r["floor"]
    print(f"{r['database']}: {r['completed']} surveys completed in {r['seconds']:.1f} s = "
          f"{r['surveys_per_second']:.1f} surveys/s; errors: {r['errors']}")
    print(f"  floor survey (bare Flask, {FLOOR_PAGES} hello-GETs + {FLOOR_PAGES} insert-POSTs, no pauses): "  # type: ignore[index]
          f"{floor['surveys']} in {floor['seconds']:.1f} s = {floor['surveys_per_second']:.1f}/s, "  # type: ignore[index]
          f"errors {floor['errors']}, rows {'as posted' if floor['nothing_lost'] else 'NOT as posted'}; "  # type: ignore[index]
          + (f"the product reaches {100 * r['share_of_floor']:.1f} % of it" if not r["pause_seconds"][1]  # type: ignore[index, operator]
             else "no share: the respondents' pauses bound their rate"))
    rows = (("page posts", r["page_posts"]), ("page gets", r["page_gets"]), ("page turns", r["page_turns"]),
            ("empty route", r["empty_route"]), ("floor reqs", floor["requests"]))  # type: ignore[index]
    for name, figures in rows:
        print(f"  {name:<12} n={figures['count']:>6}  p50 {figures['p50_ms']:7.1f} ms  "  # type: ignore[index]
              f"p95 {figures['p95_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms")  # type: ignore[index]
    verdict = "equal" if r["nothing_lost_or_doubled"] else "NOT EQUAL"
    print(f"  database: {r['stored_responses']} new completed responses, load test completed "
          f"{r['completed']}: {verdict}; codes used {r['codes_used']}, drafts left {r['drafts_left']}")
    for example in r["error_examples"]:  # type: ignore[attr-defined]
        print(f"  error: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=200, help="respondents answering at the same time")
    parser.add_argument("--surveys", type=int, default=1000, help="surveys to complete in all (one code each)")
    parser.add_argument("--max-seconds", type=float, default=300, help="start no new survey after this")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--pause", type=Pause.parse, default=Pause(), metavar="LOW-HIGH",
                        help="seconds each respondent reads a page before posting it, e.g. 5-20 (default none)")
    parser.add_argument("--floor-surveys", type=int, default=500,
                        help="floor surveys (bare Flask, no pauses) to measure the floor with")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL, in a new schema dropped afterwards")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lagesbild-load-") as folder:
        work = Path(folder)
        if args.postgres:
            database, schema = "PostgreSQL", own_postgres_schema(args.postgres)
        else:
            database, schema = "SQLite", nullcontext(f"sqlite:///{work / 'load.db'}")
        with schema as url:
            result = run_load(database, url, work, args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"load-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({
        "taken": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "concurrency": args.concurrency, "workers": args.workers, "threads": args.threads, **result,
    }, indent=2))
    print(f"JSON written to {out.relative_to(ROOT)}")
    if result["errors"] or not result["nothing_lost_or_doubled"] or not result["floor"]["nothing_lost"]:  # type: ignore[index]
        raise SystemExit(1)


if __name__ == "__main__":
    main()
