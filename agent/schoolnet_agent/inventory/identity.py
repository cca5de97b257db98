"""The agent's stable identity for its machine (``machine_id``), safe on cloned lab images.

School labs are installed by copying one disk image to every PC. Whatever identity lives on
the image is then shared: ``/etc/machine-id`` (and Windows' MachineGuid when the image was not
sysprepped) is the same on all of them, and cheap boards carry placeholder SMBIOS UUIDs
(``03000200-0400-0500-0006-000700080009``, all F, all 0) and serials ("To Be Filled By
O.E.M."). So the id is created once from this machine's own evidence (a real SMBIOS UUID, a
real serial, the first physical MAC), kept in ``identity.json`` in the agent's state
directory, and checked against the evidence at every start. If the state directory was copied
to another machine (an image made after the agent had run), the recorded UUID, serial or MACs
no longer match: the copy gets a new id and says so in the log.

Matching, strongest evidence first: a real UUID on both sides decides; else a real serial;
else whether any recorded MAC is still present (a replaced NIC on the same board keeps the id,
as the UUID or serial still match). With no evidence at all the id is random and kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

FILENAME = "identity.json"
PLACEHOLDER_UUIDS = {
    "03000200-0400-0500-0006-000700080009",  # AMI boards' default
    "00020003-0004-0005-0006-000700080009",  # the same, byte-swapped by newer SMBIOS readers
    "12345678-1234-5678-90ab-cddeefaabbcc",
}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def usable_uuid(text: str | None) -> str | None:
    """The SMBIOS UUID in lowercase, or None for a placeholder or something not a UUID."""
    if not text:
        return None
    value = text.strip().lower()
    if not UUID_RE.match(value) or value in PLACEHOLDER_UUIDS:
        return None
    digits = value.replace("-", "")
    if len(set(digits)) == 1:  # 00000000-..., ffffffff-...
        return None
    return value


@dataclass
class Evidence:
    smbios_uuid: str | None = None
    serial: str | None = None
    macs: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.smbios_uuid or self.serial or self.macs)

    def derived_id(self) -> str:
        """A stable id from the evidence (the same machine gets the same id after a reinstall
        that lost the state directory), random when there is no evidence."""
        if not self.any():
            return uuidlib.uuid4().hex
        text = "|".join(
            [self.smbios_uuid or "", self.serial or "", self.macs[0] if self.macs else ""]
        )
        return hashlib.sha256(f"schoolnet-machine|{text}".encode()).hexdigest()[:32]


def same_machine(recorded: Evidence, current: Evidence) -> bool:
    """Does the recorded evidence describe the machine we are running on?"""
    if recorded.smbios_uuid and current.smbios_uuid:
        return recorded.smbios_uuid == current.smbios_uuid
    if recorded.serial and current.serial:
        return recorded.serial == current.serial
    if recorded.macs and current.macs:
        return bool(set(recorded.macs) & set(current.macs))
    return True  # nothing to compare: keep the id rather than change it on a hunch


def machine_id(directory: str, current: Evidence, clock: Callable[[], float] = time.time) -> str:
    """This machine's id: the recorded one if the evidence still matches, else a new one
    (recorded with the evidence). Never raises for a bad file: it is replaced, with a log line."""
    path = os.path.join(directory, FILENAME)
    recorded = _load(path)
    if recorded is not None:
        old_id, evidence = recorded
        if same_machine(evidence, current):
            if evidence != current:  # a NIC changed, a serial became readable: keep it fresh
                _save(path, old_id, current, clock)
            return old_id
        new_id = current.derived_id()
        if new_id == old_id:
            new_id = uuidlib.uuid4().hex
        log.warning(
            "identity in %s was recorded on another machine (UUID %s, serial %s, MACs "
            "%s; here UUID %s, serial %s, MACs %s): a cloned disk image; this machine "
            "gets the new machine_id %s (was %s)",
            path,
            evidence.smbios_uuid,
            evidence.serial,
            ",".join(evidence.macs) or "-",
            current.smbios_uuid,
            current.serial,
            ",".join(current.macs) or "-",
            new_id,
            old_id,
        )
        _save(path, new_id, current, clock)
        return new_id
    new_id = current.derived_id()
    log.info("machine_id %s created in %s", new_id, path)
    _save(path, new_id, current, clock)
    return new_id


def _load(path: str) -> tuple[str, Evidence] | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        mid = data["machine_id"]
        if not (isinstance(mid, str) and re.fullmatch(r"[0-9a-f]{32}", mid)):
            raise ValueError(f"machine_id {mid!r}")
        macs = data.get("macs") or []
        return mid, Evidence(
            data.get("smbios_uuid"), data.get("serial"), [m for m in macs if isinstance(m, str)]
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("identity file %s is unusable (%s); creating a new machine_id", path, exc)
        return None


def _save(path: str, mid: str, evidence: Evidence, clock: Callable[[], float]) -> None:
    data = {
        "machine_id": mid,
        "smbios_uuid": evidence.smbios_uuid,
        "serial": evidence.serial,
        "macs": evidence.macs,
        "recorded": int(clock()),
    }
    tmp = path + ".tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # the id still serves this run; next start tries again
        log.error("cannot save identity in %s: %s", path, exc.strerror or exc)
