"""A local HTTP server that speaks the Telegram Bot API's ``sendMessage``, ``getUpdates`` and
``answerCallbackQuery`` (a tap on an inline button: ``push_callback``).

The real api.telegram.org is out of reach (and must be: tests send packets only to 127.0.0.1),
so the collector is pointed at this one through ``notify.telegram.api_base``. Replies follow
the Bot API's JSON: ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code",
"description"}``. ``fail_with`` makes every sendMessage answer that HTTP status.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token"):
        self.token = token
        self.sent: list[dict] = []
        self.updates: list[dict] = []
        self.answers: list[dict] = []  # answerCallbackQuery calls
        self.fail_with: int | None = None
        self.changed = threading.Condition()
        self._next_update = 1
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def push_message(self, chat_id: int, text: str) -> None:
        """A user writes to the bot: the next getUpdates returns it."""
        with self.changed:
            self.updates.append(
                {
                    "update_id": self._next_update,
                    "message": {
                        "message_id": self._next_update,
                        "date": int(time.time()),
                        "text": text,
                        "chat": {"id": chat_id, "type": "private"},
                    },
                }
            )
            self._next_update += 1
            self.changed.notify_all()

    def push_callback(self, chat_id: int, data: str, message_id: int = 1) -> str:
        """A user taps an inline button under a message of the bot; returns the query's id."""
        with self.changed:
            query_id = f"cb{self._next_update}"
            self.updates.append(
                {
                    "update_id": self._next_update,
                    "callback_query": {
                        "id": query_id,
                        "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
                        "chat_instance": "1",
                        "data": data,
                        "message": {
                            "message_id": message_id,
                            "date": int(time.time()),
                            "chat": {"id": chat_id, "type": "private"},
                            "text": "…",
                        },
                    },
                }
            )
            self._next_update += 1
            self.changed.notify_all()
            return query_id

    def wait_sent(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.sent) < count and time.monotonic() < deadline:
                self.changed.wait(max(0.0, deadline - time.monotonic()))
            return list(self.sent)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                params = json.loads(self.rfile.read(length) or b"{}")
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    return self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                method = self.path[len(prefix) :]
                if method == "sendMessage":
                    if fake.fail_with == 429:  # flood control, as the Bot API answers it
                        return self._reply(
                            429,
                            {
                                "ok": False,
                                "error_code": 429,
                                "description": "Too Many Requests: retry after 7",
                                "parameters": {"retry_after": 7},
                            },
                        )
                    if fake.fail_with:
                        return self._reply(
                            fake.fail_with,
                            {
                                "ok": False,
                                "error_code": fake.fail_with,
                                "description": "Internal Server Error"
                                if fake.fail_with >= 500
                                else "Bad Request: chat not found",
                            },
                        )
                    if not params.get("chat_id") or not params.get("text"):
                        return self._reply(
                            400,
                            {
                                "ok": False,
                                "error_code": 400,
                                "description": "Bad Request: message text is empty",
                            },
                        )
                    with fake.changed:
                        fake.sent.append(params)
                        fake.changed.notify_all()
                        n = len(fake.sent)
                    return self._reply(
                        200,
                        {
                            "ok": True,
                            "result": {
                                "message_id": n,
                                "chat": {"id": params["chat_id"]},
                                "text": params["text"],
                            },
                        },
                    )
                if method == "answerCallbackQuery":
                    if not params.get("callback_query_id"):
                        return self._reply(
                            400,
                            {
                                "ok": False,
                                "error_code": 400,
                                "description": "Bad Request: query id",
                            },
                        )
                    with fake.changed:
                        fake.answers.append(params)
                        fake.changed.notify_all()
                    return self._reply(200, {"ok": True, "result": True})
                if method == "getUpdates":
                    offset = int(params.get("offset", 0))
                    deadline = time.monotonic() + min(float(params.get("timeout", 0)), 5.0)
                    with fake.changed:
                        fake.updates = [u for u in fake.updates if u["update_id"] >= offset]
                        while not fake.updates and time.monotonic() < deadline:
                            fake.changed.wait(max(0.0, deadline - time.monotonic()))
                        result = list(fake.updates)
                    return self._reply(200, {"ok": True, "result": result})
                return self._reply(
                    404, {"ok": False, "error_code": 404, "description": "Not Found"}
                )

        return Handler

    def __enter__(self) -> FakeTelegram:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
