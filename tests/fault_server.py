"""A loopback OpenAI-compatible server that misbehaves on purpose: one route per fault.

Call it with api_base `http://127.0.0.1:PORT/<fault>/v1`. Every loop is bounded (LOOP_LIMIT_S) and
the server stops itself on exit, so a test that fails cannot leave a thread writing forever.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOP_LIMIT_S = 20.0           # no route keeps a connection longer than this
BIG_BYTES = 20_000_000        # what the oversized route offers (about 20 MB of answer text)
FAULTS = ("ok", "hang", "headers_then_silence", "keepalive", "trickle", "not_json", "garbled", "http500",
          "rate_limited", "rate_limited_long", "oversized", "midstream_close", "echo_key")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    # --- helpers ---------------------------------------------------------------------------

    def _headers(self, status: int = 200, ctype: str = "text/event-stream", extra: dict | None = None,
                 length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if length is None:
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, content: str | None = None, finish: str | None = None) -> bytes:
        delta = {"content": content} if content is not None else {}
        obj = {"id": "fault", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(obj)}\n\n".encode()

    def _send(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            return False  # the client closed: that is what a bounded client does

    def _json(self, status: int, obj: dict, extra: dict | None = None) -> None:
        body = json.dumps(obj).encode()
        self._headers(status, "application/json", extra, length=len(body))
        self._send(body)

    def _stopping(self, until: float) -> bool:
        return time.monotonic() > until or self.server.stopping.is_set()

    # --- routes ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        fault = self.path.strip("/").split("/", 1)[0]
        self.server.seen.append((fault, body))
        until = time.monotonic() + LOOP_LIMIT_S
        if fault == "hang":  # accepts, reads the request, never answers
            while not self._stopping(until):
                time.sleep(0.05)
        elif fault == "headers_then_silence":
            self._headers()
            while not self._stopping(until):
                time.sleep(0.05)
        elif fault == "keepalive":  # one token, then only SSE comment lines
            self._headers()
            self._send(self._chunk("Hello"))
            while not self._stopping(until) and self._send(b": keepalive\n\n"):
                time.sleep(0.05)
        elif fault == "trickle":  # one token every 0.3 s, forever (until the loop limit)
            self._headers()
            while not self._stopping(until) and self._send(self._chunk("tick ")):
                time.sleep(0.3)
        elif fault == "not_json":
            page = b"<html><body>Welcome to nginx!</body></html>"
            self._headers(200, "text/html", length=len(page))
            self._send(page)
        elif fault == "garbled":
            self._headers()
            self._send(self._chunk("Hel"))
            self._send(b"data: {\"choices\": [{\"delta\": {\"content\": \"lo\"\n\n")
            self._send(b"data: [DONE]\n\n")
        elif fault == "http500":
            self._json(500, {"error": {"message": "internal failure in the model worker", "type": "server_error"}})
        elif fault in ("rate_limited", "rate_limited_long"):
            attempts = sum(1 for f, _ in self.server.seen if f == fault)
            if fault == "rate_limited" and attempts > 1:
                self._ok()
            else:
                wait = "1" if fault == "rate_limited" else "30"
                self._json(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": wait})
        elif fault == "oversized":  # ignores max_tokens
            self._headers()
            sent = 0
            while sent < BIG_BYTES and not self._stopping(until):
                piece = f"{sent:>12} " + "word " * 198  # varied, as a model looping on text would be
                if not self._send(self._chunk(piece)):
                    break
                sent += len(piece)
            self.server.sent_bytes += sent
        elif fault == "midstream_close":
            self._headers(extra={"Transfer-Encoding": "chunked"})
            part = self._chunk("Hello")
            self._send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.close_connection = True  # the chunked body never ends
        elif fault == "echo_key":
            auth = self.headers.get("Authorization", "")
            self._headers()
            said = " | ".join(m.get("content", "") for m in body.get("messages") or [])  # the system prompt too
            self._send(self._chunk(f"you sent {auth} and said: {said}"))
            self._send(self._chunk(None, "stop"))
            self._send(b"data: [DONE]\n\n")
        else:
            self._ok()

    def _ok(self) -> None:
        self._headers()
        for word in ("Hello", " there"):
            self._send(self._chunk(word))
        self._send(self._chunk(None, "stop"))
        self._send(b"data: [DONE]\n\n")


class FaultServer:
    """`with FaultServer() as s: s.url("keepalive")` gives an api_base for that fault."""

    def __enter__(self) -> FaultServer:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.stopping = threading.Event()
        self.server.seen = []
        self.server.sent_bytes = 0
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_port
        return self

    def url(self, fault: str) -> str:
        assert fault in FAULTS, fault
        return f"http://127.0.0.1:{self.port}/{fault}/v1"

    def __exit__(self, *exc) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
