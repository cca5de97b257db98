"""A message kept as (id, arguments) in JSON and written later in the reader's language."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from schoolnet_collector.i18n import (
    NP_,
    Deferred,
    Num,
    Pct,
    Vnd,
    deferred,
    pdeferred,
    render_stored,
)


def stored(message: Deferred) -> dict:
    """Through JSON and back, as a registry column would keep it."""
    return json.loads(json.dumps(message.to_json()))


def test_a_stored_message_is_written_in_each_readers_language():
    msg = deferred("disk %(used)s full", used=Pct(0.93))
    data = stored(msg)
    assert data == {
        "id": "disk %(used)s full",
        "context": None,
        "args": {"used": {"pct": 0.93, "digits": 0}},
    }
    assert render_stored(data, "vi") == "ổ đĩa đầy 93%"
    assert render_stored(data, "en") == "disk 93% full"


def test_numbers_dates_and_texts_as_arguments_keep_their_kind_through_json():
    args = {
        "n": 15000,
        "x": Num(1.5, 1),
        "p": Pct(0.5),
        "v": Vnd(14_000_000),
        "t": datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc),
        "d": date(2027, 2, 4),
        "s": timedelta(hours=26),
        "k": NP_("device kind", "Projector"),
        "m": deferred("disk %(used)s full", used=Pct(0.9)),
        "id": "pc-07",
    }
    back = Deferred.from_json(stored(Deferred("x", None, args)))
    assert back == Deferred("x", None, args)


def test_arguments_render_in_the_locale_and_a_nested_message_in_the_same_language():
    msg = pdeferred(
        "status reply",
        "Open incidents:",
    )
    assert msg.render("vi") == "Sự cố đang mở:"
    outer = deferred(
        "%(school)s: %(summary)s (%(state)s, since %(since)s)",
        school="Trường X",
        summary=deferred(
            "lamp at %(hours)s h, past its rated %(rated)s h", hours=Num(3100, 0), rated=3000
        ),
        state=NP_("incident state", "Open"),
        since=datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc),
    )
    data = stored(outer)
    assert render_stored(data, "vi") == (
        "Trường X: bóng đèn 3.100 giờ, vượt tuổi thọ 3.000 giờ (Đang mở, từ 08:00 16/11/2026)"
    )
    assert render_stored(data, "en") == (
        "Trường X: lamp at 3,100 h, past its rated 3,000 h (Open, since 16/11/2026, 08:00)"
    )


def test_a_row_that_no_longer_fits_its_message_is_still_shown():
    missing_arg = {"id": "disk %(used)s full", "context": None, "args": {}}
    assert render_stored(missing_arg, "vi") == "disk %(used)s full"
    unknown = {"id": "A message no catalogue has: %(n)s", "args": {"n": 1500}}
    assert render_stored(unknown, "vi") == "A message no catalogue has: 1.500"
