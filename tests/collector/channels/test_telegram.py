"""Telegram against a local server speaking the Bot API's JSON: a message sent, and its errors."""

from __future__ import annotations

import pytest

from schoolnet_collector.channels import DeliveryError
from schoolnet_collector.channels.telegram import TelegramChannel, TelegramConfig
from tests.support.notify import MSG
from tests.support.telegram_fake import FakeTelegram

pytestmark = pytest.mark.services


def test_telegram_send_message_and_its_errors():
    with FakeTelegram() as tg:
        channel = TelegramChannel(TelegramConfig(bot_token=tg.token, api_base=tg.base))
        channel.send(MSG, "4242")
        [sent] = tg.wait_sent(1)
        assert sent["chat_id"] == "4242" and sent["text"].startswith(MSG.subject)
        tg.fail_with = 500
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "4242")
        assert not err.value.permanent and "500" in str(err.value)
        tg.fail_with = 400
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "4242")
        assert err.value.permanent and "chat not found" in str(err.value)
        wrong_token = TelegramChannel(TelegramConfig(bot_token="1:wrong", api_base=tg.base))
        with pytest.raises(DeliveryError) as err:
            wrong_token.send(MSG, "4242")
        assert "401" in str(err.value) and "wrong" not in str(err.value)  # no token in logs
