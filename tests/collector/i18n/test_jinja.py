"""A Jinja environment that speaks one language: {% trans %}, contexts and the format filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from jinja2 import DictLoader

from schoolnet_collector.i18n import NP_, jinja

PAGE = (
    "{% trans %}Devices online: {{ online }}/{{ total }}{% endtrans %}|"
    '{% trans "device state" %}Online{% endtrans %}|{{ _("Sign in") }}|'
    "{{ n|number }}|{{ x|number(1) }}|{{ share|percent }}|{{ cost|vnd }}|"
    "{{ when|datetime }}|{{ when|date }}|{{ when|time }}|{{ gap|duration }}|{{ level|tr }}|{{ 'raw'|tr }}"
)
CONTEXT = {
    "online": 2,
    "total": 3,
    "n": 15000,
    "x": 2.5,
    "share": 0.5,
    "cost": 1_500_000,
    "when": datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc),
    "gap": timedelta(minutes=90),
    "level": NP_("school level", "Primary"),
}


def render(lang: str) -> list[str]:
    env = jinja.environment(lang, loader=DictLoader({"page": PAGE}))
    return env.get_template("page").render(**CONTEXT).split("|")


def test_the_same_template_in_vietnamese():
    assert render("vi") == [
        "Thiết bị trực tuyến: 2/3",
        "Hoạt động",
        "Đăng nhập",
        "15.000",
        "2,5",
        "50,0%",
        "1.500.000\u00a0đ",
        "08:00 16/11/2026",
        "16/11/2026",
        "08:00",
        "1 giờ 30 phút",
        "Tiểu học",
        "raw",
    ]


def test_the_same_template_in_english():
    assert render("en") == [
        "Devices online: 2/3",
        "Online",
        "Sign in",
        "15,000",
        "2.5",
        "50.0%",
        "₫1,500,000",
        "16/11/2026, 08:00",
        "16/11/2026",
        "08:00",
        "1 h 30 min",
        "Primary",
        "raw",
    ]


def test_autoescape_escapes_the_arguments_not_the_translation():
    env = jinja.environment("vi", autoescape=True)
    html = env.from_string(
        "{% trans %}Signed in as{% endtrans %} {{ _('Since: %(since)s', since=who) }}"
    )
    assert html.render(who="<b>x</b>") == "Đăng nhập với Từ: &lt;b&gt;x&lt;/b&gt;"
