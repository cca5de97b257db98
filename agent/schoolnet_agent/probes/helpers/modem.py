"""A cellular modem's radio as ModemManager sees it: access technology, signal, operator.

Read through ``mmcli --output-keyvalue`` (stable ``key : value`` lines meant for scripts)
rather than D-Bus bindings, so the gateway needs no extra Python package and a gateway
without ModemManager (OpenWrt, a fixed-line-only school) simply has no modem readings.
A 3G school whose link is slow is often one with a weak signal or a fall-back from LTE to
UMTS: these three values tell the provincial staff which.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MMCLI_TIMEOUT_SECONDS = 5.0

# ModemManager's access technologies → the generation people name (GSM, UMTS, LTE).
ACCESS_TECH = {
    "gsm": "GSM",
    "gsm-compact": "GSM",
    "gprs": "GSM",
    "edge": "GSM",
    "umts": "UMTS",
    "hsdpa": "UMTS",
    "hsupa": "UMTS",
    "hspa": "UMTS",
    "hspa-plus": "UMTS",
    "1xrtt": "CDMA",
    "evdo0": "CDMA",
    "evdoa": "CDMA",
    "evdob": "CDMA",
    "lte": "LTE",
    "lte-cat-m": "LTE",
    "lte-nb-iot": "LTE",
    "5gnr": "5G",
}
GENERATION_ORDER = ("GSM", "CDMA", "UMTS", "LTE", "5G")


@dataclass(frozen=True)
class ModemStatus:
    access_tech: str | None
    signal_percent: int | None
    operator: str | None
    state: str | None


def parse_keyvalue(text: str) -> dict[str, str]:
    """``key : value`` lines; ``--`` (mmcli's "none") and malformed lines are left out."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" : ") if " : " in line else line.partition(":")
        key, value = key.strip(), value.strip()
        if sep and key and " " not in key and value and value != "--":
            values[key] = value
    return values


def modem_paths(listing: dict[str, str]) -> list[str]:
    return [v for k, v in sorted(listing.items()) if k.startswith("modem-list.value[")]


def modem_status(values: dict[str, str]) -> ModemStatus:
    """The best access technology in use, signal quality 0-100 and operator name."""
    techs = [
        v for k, v in values.items() if k.startswith("modem.generic.access-technologies.value[")
    ]
    if not techs and "modem.generic.access-technologies" in values:  # older mmcli: one line
        techs = [t.strip() for t in values["modem.generic.access-technologies"].split(",")]
    generations = [ACCESS_TECH[t.lower()] for t in techs if t.lower() in ACCESS_TECH]
    access = max(generations, key=GENERATION_ORDER.index) if generations else None
    signal_text = values.get("modem.generic.signal-quality.value", "")
    signal = int(signal_text) if signal_text.isdigit() and int(signal_text) <= 100 else None
    return ModemStatus(
        access, signal, values.get("modem.3gpp.operator-name"), values.get("modem.generic.state")
    )


def run_mmcli(args: list[str]) -> str:
    """``mmcli <args> --output-keyvalue``; raises OSError/CalledProcessError/TimeoutExpired."""
    return subprocess.run(
        ["mmcli", *args, "--output-keyvalue"],
        capture_output=True,
        text=True,
        check=True,
        timeout=MMCLI_TIMEOUT_SECONDS,
    ).stdout


class ModemReader:
    """The first modem's status, or None (no ModemManager, no modem, mmcli failing).

    ``run`` is injectable: tests feed recorded mmcli output from fixture files.
    """

    def __init__(self, run: Callable[[list[str]], str] | None = None):
        self._run = run
        self._warned = False

    def available(self) -> bool:
        return self._run is not None or shutil.which("mmcli") is not None

    def read(self) -> ModemStatus | None:
        if not self.available():
            return None
        run = self._run or run_mmcli
        try:
            paths = modem_paths(parse_keyvalue(run(["-L"])))
            if not paths:
                return None
            return modem_status(parse_keyvalue(run(["-m", paths[0]])))
        except (OSError, subprocess.SubprocessError) as exc:
            if not self._warned:
                log.warning("ModemManager present but mmcli failed (%s); no modem readings", exc)
                self._warned = True
            return None
