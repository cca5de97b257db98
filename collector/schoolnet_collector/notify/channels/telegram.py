"""Telegram Bot API: ``sendMessage`` and ``getUpdates`` over HTTPS to a configurable base URL.

The base URL is configurable so a province can go through its own relay and tests can run a
local server that speaks the same JSON. Error handling follows the Bot API: ``{"ok": false,
"error_code", "description", "parameters": {"retry_after"}}``; 429 and 5xx are retried,
400/403 (chat not found, bot blocked) are permanent.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3

from schoolnet_collector.core.config import TelegramConfig
from schoolnet_collector.notify.channels import DeliveryError, Message

MAX_TEXT = 4096  # the Bot API's limit for one message


class TelegramApi:
    def __init__(self, cfg: TelegramConfig) -> None:
        self.cfg = cfg
        self.http = urllib3.PoolManager(retries=False)

    def call(self, method: str, params: dict[str, object], timeout: float | None = None) -> Any:
        """The Bot API's ``result`` (JSON: its shape depends on the method)."""
        if not self.cfg.bot_token:
            raise DeliveryError("notify.telegram.bot_token is not set", permanent=True)
        url = f"{self.cfg.api_base.rstrip('/')}/bot{self.cfg.bot_token}/{method}"
        try:
            resp = self.http.request(
                "POST",
                url,
                body=json.dumps(params).encode(),
                headers={"Content-Type": "application/json"},
                timeout=timeout or self.cfg.timeout,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise DeliveryError(f"Telegram {method}: {type(exc).__name__}") from None
        try:
            data = json.loads(resp.data)
        except ValueError:
            data = {}
        if resp.status == 200 and isinstance(data, dict) and data.get("ok"):
            return data.get("result")
        desc = data.get("description", "") if isinstance(data, dict) else ""
        retry_after = (
            (data.get("parameters") or {}).get("retry_after") if isinstance(data, dict) else None
        )
        permanent = resp.status in (400, 401, 403, 404)
        # The token is part of the URL: never put the URL in an error message.
        raise DeliveryError(
            f"Telegram {method}: HTTP {resp.status} {desc}".strip(),
            permanent=permanent,
            retry_after=retry_after,
        )


class TelegramChannel:
    name = "telegram"

    def __init__(self, cfg: TelegramConfig, api: TelegramApi | None = None):
        self.api = api or TelegramApi(cfg)

    def send(self, message: Message, address: str) -> None:
        text = f"{message.subject}\n\n{message.body}"[:MAX_TEXT]
        self.api.call(
            "sendMessage", {"chat_id": address, "text": text, "disable_web_page_preview": True}
        )
