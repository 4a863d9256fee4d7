"""`make bench`: run every bench/bench_*.py module's run() and print one JSON object of figures."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def main() -> int:
    import bench

    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    figures: dict[str, object] = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    failed = False
    for name in names:
        key = name.removeprefix("bench_")
        if only and key not in only:
            continue
        try:
            figures[key] = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:  # a failing bench is reported in the JSON, the others still run
            figures[key] = {"error": f"{type(exc).__name__}: {exc}"}
            failed = True
    print(json.dumps(figures, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
