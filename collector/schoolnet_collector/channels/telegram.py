"""Telegram Bot API: ``sendMessage`` and ``getUpdates`` over HTTPS to a configurable base URL.

The base URL is configurable so a province can go through its own relay and tests can run a
local server that speaks the same JSON. Error handling follows the Bot API: ``{"ok": false,
"error_code", "description", "parameters": {"retry_after"}}``; 429 and 5xx are retried,
400/403 (chat not found, bot blocked) are permanent.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field

from schoolnet_collector.channels.base import (
    AddressRule,
    ChannelSettings,
    ChannelUnit,
    DeliveryError,
    Message,
)

if TYPE_CHECKING:
    import urllib3

MAX_TEXT = 4096  # the Bot API's limit for one message
TELEGRAM_RE = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")


class TelegramConfig(ChannelSettings):
    """``[notify.telegram]``: the province's bot."""

    bot_token: str | None = Field(None, description="None: no Telegram")
    api_base: str = Field("https://api.telegram.org", pattern=r"^https?://")
    poll_updates: bool = Field(
        True,
        description="answer /status by getUpdates long-poll "
        "(one collector only: Telegram allows one poller)",
    )
    poll_timeout: int = Field(25, ge=0, le=50)
    timeout: float = Field(15.0, gt=0, le=300)


class TelegramApi:
    def __init__(self, cfg: TelegramConfig) -> None:
        import urllib3  # here, not at the top: the configuration imports this module

        self.cfg = cfg
        self.http: urllib3.PoolManager = urllib3.PoolManager(retries=False)

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
        except self._http_errors() as exc:
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

    @staticmethod
    def _http_errors() -> type[Exception]:
        import urllib3

        return urllib3.exceptions.HTTPError


class TelegramChannel:
    name = "telegram"

    def __init__(self, cfg: TelegramConfig, api: TelegramApi | None = None):
        self.api = api or TelegramApi(cfg)

    def send(self, message: Message, address: str) -> None:
        text = f"{message.subject}\n\n{message.body}"[:MAX_TEXT]
        params: dict[str, object] = {
            "chat_id": address,
            "text": text,
            "disable_web_page_preview": True,
        }
        buttons = [
            {"text": a.label, "callback_data": a.callback} for a in message.actions if a.callback
        ]
        if buttons:  # one row: "I'm on it", "Fixed" (the bot's update loop handles the taps)
            params["reply_markup"] = {"inline_keyboard": [buttons]}
        self.api.call("sendMessage", params)


UNIT = ChannelUnit(
    name="telegram",
    section="telegram",
    settings=TelegramConfig,
    build=lambda cfg, ctx: TelegramChannel(cfg),
    ready=lambda cfg: bool(cfg.bot_token),
    summary="Telegram Bot API sendMessage to a chat; the same bot answers /status",
    contact_field="telegram_chat_id",
    address=AddressRule(
        TELEGRAM_RE,
        64,
        "%r is not a Telegram chat id (a number, or @channelname)",
        "a chat id (number) or @channelname",
    ),
)
