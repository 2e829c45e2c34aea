"""The application as gunicorn serves it for the load test (benchmarks/load.py), with two
baselines answered by the same workers: `/_benchmark/empty`, an empty route of the application
(its request hooks included), and under `/_floor/` the bare Flask application of the floor
survey (`floor.py`), on the same database.

    gunicorn --chdir . benchmarks.wsgi:app   # DATABASE_URL, SECRET_KEY and friends from the environment
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor import make_floor  # noqa: E402

from app import create_app  # noqa: E402

_instance = os.environ.get("LAGESBILD_BENCH_INSTANCE")
application = create_app({"INSTANCE_PATH": _instance} if _instance else None)
if _instance:
    application.instance_path = _instance
application.add_url_rule("/_benchmark/empty", "benchmark_empty", lambda: "")
app = DispatcherMiddleware(
    application, {"/_floor": make_floor(lambda: str(application.config["SQLALCHEMY_DATABASE_URI"]))})
