"""The survey CSV export's peak memory, measured in a process of its own (run by run.py):
prints one JSON line with the process's peak and current resident set before and after the
request, in MB.

    python benchmarks/export_memory.py DATABASE_URL INSTANCE_FOLDER ROUND_KEY
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import logged_in, make_app  # noqa: E402


def memory_mb(field: str) -> float:
    """From /proc/self/status: VmHWM, the process's peak resident set, or VmRSS, the current one.
    Not getrusage's ru_maxrss: Linux carries that over from the parent across fork and exec, so
    it would report the benchmark that built the city."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: an upper bound


def main() -> None:
    url, instance, round_key = sys.argv[1:4]
    app = make_app(url, Path(instance))
    client = logged_in(app)
    before, rss_before = memory_mb("VmHWM"), memory_mb("VmRSS")
    # Read as a browser downloads it: chunk by chunk, none of them kept.
    response = client.get(f"/lagesbild/{round_key}/export/survey.csv", buffered=False)
    streamed = response.is_streamed
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    # Logging in (the password hash) can set the peak; the export's own share is the RSS growth.
    print(json.dumps({"status": response.status_code, "streamed": streamed, "bytes": size, "before_mb": before,
                      "peak_mb": memory_mb("VmHWM"), "rss_before_mb": rss_before, "rss_after_mb": memory_mb("VmRSS")}))


if __name__ == "__main__":
    main()
