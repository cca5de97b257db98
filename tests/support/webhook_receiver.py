"""A webhook receiver on 127.0.0.1 that checks the HMAC signature the way a real one should:
bad or missing signature → 401, timestamp outside 5 minutes (a replay) → 401, else 200.
``delay``: seconds it thinks before answering (a slow receiver); ``times`` when each request
arrived (time.monotonic), so a test can tell whether one receiver waited for another."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from schoolnet_collector.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class WebhookReceiver:
    def __init__(self, secret: str, status: int = 200, delay: float = 0.0):
        self.secret, self.status, self.delay = secret, status, delay
        self.times: list[float] = []
        self.accepted: list[dict] = []
        self.rejected: list[str] = []
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self):
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                rx.times.append(time.monotonic())
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify(
                    rx.secret,
                    self.headers.get(TIMESTAMP_HEADER),
                    body,
                    self.headers.get(SIGNATURE_HEADER),
                    time.time(),
                )
                status = rx.status if ok else 401
                with rx.changed:
                    if ok and status < 300:
                        rx.accepted.append(
                            {"headers": dict(self.headers), "body": json.loads(body)}
                        )
                    elif not ok:
                        rx.rejected.append(self.headers.get(SIGNATURE_HEADER) or "")
                    rx.changed.notify_all()
                time.sleep(rx.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
