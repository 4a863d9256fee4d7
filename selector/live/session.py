"""The two-sided session: two models answer one prompt at the same time, each in its own thread.

Each side's events go to its own queue; `LiveRun.updates()` drains them for a page, `join()` waits
for the CLI. In blind mode the session itself decides, at random, which model is shown on the left.
Each side is saved to history as soon as it finishes (a busy database is retried with backoff, and
a failed write leaves the answers in memory with `history_error` set); the last side closes the run.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from selector.errors import SelectorError
from selector.live.caller import import_litellm
from selector.live.errors import short_detail, scrubbed_traceback
from selector.live.stream import CallSettings, SideResult, check_prompt, run_side
from selector.live.targets import Target
from selector.scrub import register_secret, scrub, scrub_value

log = logging.getLogger(__name__)

HISTORY_ATTEMPTS = 4          # writes to a busy history database, with backoff, before the result stays in memory
DEFAULT_PROMPT = "Explain the transformer attention mechanism in 3 sentences."
SIDES = ("a", "b")
POLL_S = 0.05                 # how often updates() looks for new text when none has arrived


@dataclass
class Comparison:
    a: SideResult
    b: SideResult
    wall_s: float
    run_id: int | None = None
    history_error: str | None = None   # set when a result could not be saved (it is still here, in memory)

    @property
    def failed(self) -> bool:
        return not (self.a.ok and self.b.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict(), "wall_s": self.wall_s}


@dataclass
class LiveRun:
    """Two sides streaming in their own threads; each side's events go to its own queue.

    Events are ("delta", text) while streaming and ("done", SideResult) at the end. With `blind`,
    `start()` swaps the two sides (and their keys) half of the time, so the left column never gives
    the pick away; `swapped` says whether it did.
    """

    targets: dict[str, Target]
    prompt: str
    settings: CallSettings
    api_keys: dict[str, str | None] = field(default_factory=dict)
    history: Any = None
    blind: bool = False
    shuffle: Callable[[], float] = random.random
    queues: dict[str, queue.Queue] = field(default_factory=lambda: {s: queue.Queue() for s in SIDES})
    results: dict[str, SideResult] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=lambda: {s: "" for s in SIDES})  # text drained so far
    stop_event: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    wall_s: float | None = None
    swapped: bool = False
    history_error: str | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _t0: float = 0.0

    def _secrets(self) -> list[str | None]:
        return list(self.api_keys.values())

    def _write(self, what: str, write: Callable[[], Any]) -> Any:
        """One history write, retried with backoff on a busy database; None (and history_error) when it fails."""
        delay = 0.2
        for attempt in range(HISTORY_ATTEMPTS):
            try:
                return write()
            except Exception as exc:  # a locked or broken database must never cost an answer
                # the store already waits out a busy database (SelectorError after its own retries)
                if attempt + 1 < HISTORY_ATTEMPTS and not isinstance(exc, SelectorError):
                    log.debug("history: %s failed (attempt %d), retrying: %s", what, attempt + 1,
                              scrub(str(exc), self._secrets()))
                    time.sleep(delay)
                    delay *= 2
                    continue
                log.warning("history: could not %s:\n%s", what, scrubbed_traceback(exc, self._secrets()))
                self.history_error = scrub(  # the first failure is the one to report
                    self.history_error or
                    f"history: could not {what} ({short_detail(exc)}); the answers are shown but not saved",
                    self._secrets())
                return None
        return None

    def _shuffle_sides(self) -> None:
        """Blind mode: the left column shows either model, at random, with its own key."""
        if self.blind and self.shuffle() < 0.5:
            self.targets = {"a": self.targets["b"], "b": self.targets["a"]}
            self.api_keys = {"a": self.api_keys.get("b"), "b": self.api_keys.get("a")}
            self.swapped = True

    def start(self) -> LiveRun:
        self.settings = self.settings.checked()
        check_prompt(self.prompt)
        for key in self.api_keys.values():
            register_secret(key)
        self._shuffle_sides()
        import_litellm()  # once, here: two threads importing it at once would both wait
        if self.history is not None:
            secrets = self._secrets()
            self.run_id = self._write("record the run", lambda: self.history.start_run(
                scrub(self.prompt, secrets), scrub(self.settings.system, secrets),
                self.settings.to_record() | {"a": self.targets["a"].spec, "b": self.targets["b"].spec},
                kind="compare", blind=self.blind,
            ))
        self._t0 = time.perf_counter()
        for side in SIDES:
            thread = threading.Thread(target=self._work, args=(side,), name=f"live-{side}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def _run_side(self, side: str) -> SideResult:
        q = self.queues[side]
        try:
            return run_side(self.targets[side], self.prompt, self.settings, api_key=self.api_keys.get(side),
                            on_delta=lambda text: q.put(("delta", text)), stop=self.stop_event)
        except Exception as exc:  # a bug must still end this side, not hang the page
            log.error("live: side %s failed inside run_side:\n%s", side, scrubbed_traceback(exc, self._secrets()))
            return SideResult(model=self.targets[side].spec, error=f"internal error: {type(exc).__name__}",
                              error_kind="ModelCallError")

    def _work(self, side: str) -> None:
        # A model may echo a key it was sent (in the prompt, or a server echoing headers): never kept.
        result = SideResult(**scrub_value(self._run_side(side).to_record(), self._secrets()))
        try:
            with self._lock:
                self.results[side] = result
                last = len(self.results) == len(SIDES)
                if last:
                    self.wall_s = round(time.perf_counter() - self._t0, 4)
            if self.history is not None and self.run_id is not None:
                record = result.to_record()
                self._write(f"save side {side}", lambda: self.history.save_result(self.run_id, side, record))
                if last:
                    status = "stopped" if self.stop_event.is_set() else "done"
                    self._write("close the run", lambda: self.history.finish_run(self.run_id, self.wall_s, status))
        finally:
            self.queues[side].put(("done", result))  # always: the page waits for it

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _drain(self, done: set[str]) -> bool:
        """Move every queued event into `shown` / `done`; whether anything new arrived."""
        new = False
        for side in SIDES:
            while True:
                try:
                    kind, payload = self.queues[side].get_nowait()
                except queue.Empty:
                    break
                new = True
                if kind == "delta":
                    self.shown[side] += payload
                else:  # the final text, scrubbed: what was streamed is replaced by it
                    self.shown[side] = payload.text
                    done.add(side)
        return new

    def updates(self, poll_s: float = POLL_S) -> Iterator[dict[str, str]]:
        """The text of each side so far, each time more arrived; ends when both sides are done.

        A page calls it on every rerun: text drained by an earlier run stays in `shown`.
        """
        done = set(self.results)
        if any(self.shown.values()) and len(done) < len(SIDES):
            yield dict(self.shown)  # a rerun while streaming: what an earlier run already showed
        while len(done) < len(SIDES):
            if self._drain(done):
                yield dict(self.shown)
            elif len(done) < len(SIDES):
                time.sleep(poll_s)
        self._drain(done)

    def join(self, timeout: float | None = None) -> Comparison:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.comparison()

    def comparison(self) -> Comparison:
        missing = [s for s in SIDES if s not in self.results]
        if missing:
            raise SelectorError(f"side {', '.join(missing)} has not finished yet")
        return Comparison(a=self.results["a"], b=self.results["b"], wall_s=self.wall_s or 0.0, run_id=self.run_id,
                          history_error=self.history_error)


def compare(
    a: Target, b: Target, prompt: str, settings: CallSettings | None = None, *,
    api_keys: dict[str, str | None] | None = None, history: Any = None,
) -> Comparison:
    """Run both sides concurrently and wait for both (the CLI's path; a page uses `LiveRun.updates()`)."""
    run = LiveRun(
        targets={"a": a, "b": b}, prompt=prompt, settings=settings or CallSettings(),
        api_keys=api_keys or {}, history=history,
    ).start()
    try:
        return run.join()
    except KeyboardInterrupt:
        run.stop()
        return run.join(timeout=10)
