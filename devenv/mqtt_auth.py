"""Mosquitto password file and ACL for schoolnet, written the way production writes them.

The ACL is one pattern line (see docs/protocol.md): username ``<school>`` (a school's
gateway) may write ``schoolnet/v1/<school>/#`` and username ``<school>/<device>`` (a PC)
only ``schoolnet/v1/<school>/<device>/#``. Collectors may read everything.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from devenv.services import MqttAccount, find_binary


def acl_text(collectors: Iterable[str] = ("collector",), simulators: Iterable[str] = ()) -> str:
    """The production ACL (firmware_configs/mosquitto/acl.example), plus simulator accounts
    that may write for any school (the province simulator and load generators)."""
    lines = ["# schoolnet Mosquitto ACL: generated, see firmware_configs/mosquitto/acl.example", ""]
    for user in collectors:
        lines += [
            f"user {user}",
            "topic read schoolnet/#",
            "topic write schoolnet/v1/_control/#",
            "topic write schoolnet/v1/_alerts/#",
            "",
        ]
    for user in simulators:
        lines += [f"user {user}", "topic readwrite schoolnet/v1/#", ""]
    lines += ["pattern write schoolnet/v1/%u/#", "pattern read schoolnet/v1/_control/#", ""]
    return "\n".join(lines)


def write_acl(
    path: Path, collectors: Iterable[str] = ("collector",), simulators: Iterable[str] = ()
) -> None:
    Path(path).write_text(acl_text(collectors, simulators))


def write_password_file(path: Path, accounts: Iterable[MqttAccount]) -> None:
    """Plain ``user:password`` lines hashed in place by ``mosquitto_passwd -U``."""
    path = Path(path)
    path.write_text("".join(f"{a.username}:{a.password}\n" for a in accounts))
    path.chmod(0o600)
    subprocess.run(
        [find_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd"), "-U", str(path)],
        check=True,
        capture_output=True,
    )
