"""A tiny OpenAI-compatible streaming server on loopback that reports usage, as vLLM or Ollama do."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["Hello", " there", " friend"]
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _event(self, obj: dict) -> None:
        self.wfile.write(f"data: {json.dumps(obj)}\n\n".encode())

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        base = {"id": "fake", "object": "chat.completion.chunk", "created": 1, "model": body["model"]}
        for word in WORDS:
            self._event(base | {"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]})
        self._event(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event(base | {"choices": [], "usage": USAGE})
        self.wfile.write(b"data: [DONE]\n\n")


class FakeServer:
    def __enter__(self) -> FakeServer:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
