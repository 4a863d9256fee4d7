"""Live seam figures on the two bundled local models: concurrency, seam overhead, throughput.

- concurrency: wall time of a two-sided comparison against the slower side's latency (target: within 10%)
- overhead: TTFT through selector.live minus TTFT of a raw HTTP streaming request, median of 10 (target < 20 ms)
- throughput: output tokens/s through the seam against the same server called raw (target >= 90%)
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import tempfile
import time

PROMPT = "Explain the transformer attention mechanism in 3 sentences."
SMOL, GEMMA = "smollm2-135m-instruct", "gemma-3-270m"


def raw_stream(port: int, alias: str, prompt: str, max_tokens: int) -> dict:
    """One streaming chat completion over plain HTTP: TTFT and tokens/s measured like the seam does."""
    body = json.dumps({
        "model": alias, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
        "temperature": 0.0, "stream": True,
    })
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    t_sent = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    t_first = t_last = None
    tokens = 0
    for line in resp:
        if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        for choice in chunk.get("choices", []):
            if (choice.get("delta") or {}).get("content"):
                now = time.perf_counter()
                t_first = t_first or now
                t_last = now
                tokens += 1
    conn.close()
    speed = (tokens - 1) / (t_last - t_first) if tokens > 1 and t_last > t_first else None
    return {"ttft_s": t_first - t_sent if t_first else None, "tokens": tokens, "tokens_per_s": speed}


def run() -> dict:
    previous = os.environ.get("SELECTOR_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-live-") as data:
        os.environ["SELECTOR_DATA_DIR"] = data
        from selector.live import servers as local
        from selector.live import CallSettings, compare, resolve_model, run_side

        try:
            servers = {alias: local.ensure_server(alias) for alias in (SMOL, GEMMA)}
            smol = resolve_model(SMOL, api_base=servers[SMOL].base_url)
            short = CallSettings(max_tokens=8, temperature=0.0, retries=0)
            long = CallSettings(max_tokens=96, temperature=0.0, retries=0)
            run_side(smol, PROMPT, short)  # warm-up: imports, client pools, model caches
            raw_stream(servers[SMOL].port, SMOL, PROMPT, 8)

            both = compare(resolve_model(SMOL), resolve_model(GEMMA), PROMPT, CallSettings(max_tokens=64,
                           temperature=0.0, retries=0))
            slower = max(both.a.latency_s or 0, both.b.latency_s or 0)

            seam_ttft, raw_ttft = [], []
            for _ in range(10):
                seam_ttft.append(run_side(smol, PROMPT, short).ttft_s)
                raw_ttft.append(raw_stream(servers[SMOL].port, SMOL, PROMPT, 8)["ttft_s"])

            seam_speed, raw_speed = [], []
            for _ in range(3):
                seam_speed.append(run_side(smol, PROMPT, long).tokens_per_s)
                raw_speed.append(raw_stream(servers[SMOL].port, SMOL, PROMPT, 96)["tokens_per_s"])
        finally:
            local.stop_all()
            if previous is None:
                os.environ.pop("SELECTOR_DATA_DIR", None)
            else:
                os.environ["SELECTOR_DATA_DIR"] = previous

    seam_med, raw_med = statistics.median(seam_ttft), statistics.median(raw_ttft)
    seam_tps, raw_tps = statistics.median(seam_speed), statistics.median(raw_speed)
    return {
        "concurrency": {
            "wall_s": both.wall_s, "a_latency_s": both.a.latency_s, "b_latency_s": both.b.latency_s,
            "sum_latency_s": round((both.a.latency_s or 0) + (both.b.latency_s or 0), 3),
            "wall_over_slower": round(both.wall_s / slower, 3) if slower else None,
            "within_10_percent": bool(slower and both.wall_s <= 1.10 * slower),
            "errors": [e for e in (both.a.error, both.b.error) if e],
        },
        "overhead": {
            "seam_ttft_ms_median": round(seam_med * 1000, 1), "raw_ttft_ms_median": round(raw_med * 1000, 1),
            "overhead_ms": round((seam_med - raw_med) * 1000, 1), "under_20_ms": (seam_med - raw_med) < 0.020,
            "n": len(seam_ttft),
        },
        "throughput": {
            "seam_tokens_per_s": seam_tps, "raw_tokens_per_s": round(raw_tps, 2),
            "ratio": round(seam_tps / raw_tps, 3), "at_least_90_percent": seam_tps >= 0.9 * raw_tps,
            "max_tokens": 96, "model": SMOL,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
