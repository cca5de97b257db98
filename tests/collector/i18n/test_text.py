"""Messages in a language: English ids, contexts, plurals, lazy table entries, arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schoolnet_collector.i18n import (
    N_,
    NP_,
    Num,
    Pct,
    Text,
    format_duration,
    gettext,
    npgettext,
    pgettext,
)


def test_english_ids_are_vietnamese_in_vi_and_themselves_in_en():
    assert gettext("vi", "Sign in") == "Đăng nhập"
    assert gettext("en", "Sign in") == "Sign in"
    assert gettext("fr", "Sign in") == "Đăng nhập"  # the province's language by default


def test_a_context_tells_one_english_word_from_another():
    assert pgettext("vi", "page", "Online") == "Đang hoạt động"
    assert pgettext("vi", "device state", "Online") == "Hoạt động"
    assert pgettext("en", "device state", "Online") == "Online"


def test_plural_forms_follow_the_language():
    assert npgettext("vi", "duration", "%(num)s d", "%(num)s d", 3) == "3 ngày"
    assert npgettext("en", "duration", "%(num)s d", "%(num)s d", 1) == "1 d"


def test_arguments_are_written_in_the_messages_language():
    vi = gettext(
        "vi", "RAM %(ram)s GiB, below the minimum %(minimum)s GiB", ram=Num(1, 1), minimum=2048
    )
    en = gettext(
        "en", "RAM %(ram)s GiB, below the minimum %(minimum)s GiB", ram=Num(1, 1), minimum=2048
    )
    assert vi == "RAM 1,0 GiB, dưới mức tối thiểu 2.048 GiB"
    assert en == "RAM 1.0 GiB, below the minimum 2,048 GiB"
    assert gettext("vi", "disk %(used)s full", used=Pct(0.93)) == "ổ đĩa đầy 93%"
    when = datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc)
    assert gettext("en", "Since: %(since)s", since=when) == "Since: 16/11/2026, 08:00"
    # Strings are kept: a year or an id is not a quantity.
    assert gettext("vi", "Incident #%(id)s", id="1234") == "Mã sự cố: #1234"


def test_a_lazy_text_is_translated_where_it_is_shown_and_only_with_a_language():
    level = NP_("school level", "Lower secondary")
    assert level.translate("vi") == "THCS" and level.translate("en") == "Lower secondary"
    label = N_("Schools with a working computer lab – %(level)s")
    assert label.translate("vi", level=level) == "Trường có phòng máy hoạt động – THCS"
    with pytest.raises(TypeError, match="needs a language"):
        str(level)
    assert isinstance(level, Text)


def test_a_literal_percent_is_written_twice_in_every_message():
    assert N_("Median packet loss (%%)").translate("vi") == "Tỷ lệ mất gói trung vị (%)"


@pytest.mark.parametrize(
    ("delta", "vi", "en"),
    [
        (timedelta(days=1, hours=2, minutes=0), "1 ngày 2 giờ", "1 d 2 h"),
        (timedelta(minutes=4, seconds=50), "4 phút", "4 min"),
        (timedelta(seconds=20), "0 phút", "0 min"),
        (timedelta(hours=1, minutes=5), "1 giờ 5 phút", "1 h 5 min"),
        (timedelta(days=1200), "1.200 ngày", "1,200 d"),
    ],
)
def test_durations(delta, vi, en):
    assert (format_duration(delta, "vi"), format_duration(delta, "en")) == (vi, en)
