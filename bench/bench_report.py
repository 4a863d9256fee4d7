"""How long the HTML report takes to build and how large it is (figures for `make bench`; targets < 1 s, < 6 MB)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from selector.answers import load_answers
from selector.catalogue import load_catalogue
from selector.report import prepare_report, render
from selector.scoring import recommend

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
REPEATS = 5


def _build(catalogue, answers, fmt: str) -> str:
    """Everything the page's 'Prepare report' does for one format: rank, gather, render."""
    return render(prepare_report(recommend(catalogue, answers)), fmt)


def run() -> dict:
    catalogue = load_catalogue()
    figures: dict[str, object] = {"models": len(catalogue.models), "repeats": REPEATS}
    worst_s, largest_mb = 0.0, 0.0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        answers = load_answers(path, catalogue)
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            page = _build(catalogue, answers, "html")
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        size_mb = len(page.encode("utf-8")) / 1e6
        start = time.perf_counter()
        _build(catalogue, answers, "md")
        _build(catalogue, answers, "json")
        figures[path.stem] = {
            "html_build_s_median": round(median, 3),
            "html_size_mb": round(size_mb, 2),
            "md_and_json_build_s": round(time.perf_counter() - start, 3),
        }
        worst_s, largest_mb = max(worst_s, median), max(largest_mb, size_mb)
    figures["html_build_s_median_worst"] = round(worst_s, 3)
    figures["html_size_mb_largest"] = round(largest_mb, 2)
    figures["targets_met"] = worst_s < 1.0 and largest_mb < 6.0
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
