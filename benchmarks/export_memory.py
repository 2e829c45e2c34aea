"""The survey CSV export's peak memory, measured in a process of its own (run by run.py):
prints one JSON line with the process's peak resident set before and after the request, in MB.

    python benchmarks/export_memory.py DATABASE_URL INSTANCE_FOLDER ROUND_KEY
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import logged_in, make_app  # noqa: E402


def peak_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url, instance, round_key = sys.argv[1:4]
    app = make_app(url, Path(instance))
    client = logged_in(app)
    before = peak_mb()
    response = client.get(f"/lagesbild/{round_key}/export/survey.csv")
    size = len(response.get_data())
    print(json.dumps({"status": response.status_code, "bytes": size, "before_mb": before, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
