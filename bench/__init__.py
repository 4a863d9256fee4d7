"""Benchmarks behind `make bench`: each bench_*.py has run() -> dict of figures."""

import time


def best_of(repeats: int, fn) -> float:
    """Fastest of `repeats` calls of fn, in seconds (the least disturbed by other load on a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
