"""The report registry: names in order, unknown names refused naming the known ones, and a
registration that does not lead to its Report caught by its test, not by a planner."""

from __future__ import annotations

import pytest

from schoolnet_collector.i18n import gettext
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.planning.reports.base import Report
from schoolnet_collector.planning.reports.registry import Registration, Registry, UnknownReport


def test_every_registration_loads_its_report_by_name():
    assert REPORTS.names() == ("readiness", "procurement")
    for name in REPORTS.names():
        report = REPORTS.get(name)
        assert isinstance(report, Report) and report.name == name
        assert REPORTS.get(name) is report  # loaded once
    assert [r.name for r in REPORTS] == list(REPORTS.names())


@pytest.mark.parametrize(
    "name", ["budget", "", "READINESS", "readiness ", "../procurement", "x" * 500]
)
def test_an_unknown_name_is_refused_naming_the_known_ones(name):
    with pytest.raises(UnknownReport) as refused:
        REPORTS.get(name)
    assert "known: readiness, procurement" in str(refused.value)
    assert repr(name) in str(refused.value)


def test_a_name_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        Registry([Registration("a", ".readiness:ReadinessReport")] * 2)


@pytest.mark.parametrize(
    "registration, error",
    [
        (Registration("budget", ".readiness:ReadinessReport"), TypeError),  # name differs
        (Registration("readiness", ".readiness:Readiness"), TypeError),  # not a Report
        (Registration("readiness", ".readiness:Nothing"), AttributeError),
        (Registration("readiness", ".nowhere:Report"), ModuleNotFoundError),
    ],
)
def test_a_wrong_registration_fails_loudly(registration, error):
    with pytest.raises(error):
        Registry([registration]).get(registration.name)


@pytest.mark.parametrize("name", REPORTS.names())
def test_titles_and_descriptions_are_translated(name):
    report = REPORTS.get(name)
    for text in (report.title, report.description):
        assert text.translate("en") == text.message
        vi = text.translate("vi")
        assert vi and vi != text.message and vi == gettext("vi", text.message)
