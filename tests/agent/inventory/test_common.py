"""What every reader shares: BIOS dates, placeholder strings, MAC addresses, bits."""

from __future__ import annotations

import pytest

from schoolnet_agent.inventory.common import clean, iso_date, machine_bits, normal_mac


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11/24/2009", "2009-11-24"),
        ("05/12/10", "2010-05-12"),
        ("2014-07-08", "2014-07-08"),
        ("20140708000000.000000+000", "2014-07-08"),
        ("/Date(1241136000000)/", "2009-05-01"),
        ("2022-03-15T07:00:00+07:00", "2022-03-15"),
        ("13/45/2009", None),
        ("soon", None),
        (None, None),
    ],
)
def test_bios_dates(text, expected):
    assert iso_date(text) == expected


def test_placeholders_macs_and_bits():
    for junk in (
        "To Be Filled By O.E.M.",
        "Default string",
        "  ",
        "0000000000",
        "None",
        "System Serial Number",
        "XXXXXXXX",
    ):
        assert clean(junk) is None, junk
    assert clean("  Dell   Inc. ") == "Dell Inc."
    assert normal_mac("B8-CA-3A-12-34-56") == "b8:ca:3a:12:34:56"
    assert normal_mac("00:00:00:00:00:00") is None and normal_mac("zz") is None
    assert (machine_bits("AMD64"), machine_bits("armv7l"), machine_bits("sparc")) == (64, 32, None)
