"""The application as gunicorn serves it for the load test (benchmarks/load.py), with the
baseline route: an empty Flask route answered by the same workers.

    gunicorn --chdir . benchmarks.wsgi:app   # DATABASE_URL, SECRET_KEY and friends from the environment
"""

from __future__ import annotations

import os

from app import create_app

_instance = os.environ.get("LAGESBILD_BENCH_INSTANCE")
app = create_app({"INSTANCE_PATH": _instance} if _instance else None)
if _instance:
    app.instance_path = _instance
app.add_url_rule("/_benchmark/empty", "benchmark_empty", lambda: "")
