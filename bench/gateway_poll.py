"""How long a gateway's projector polls take, and what inventory costs an agent.

Projectors are served over real TCP on 127.0.0.1 (``tests/support/pjlink_server.py``), class 2 with a
password; some of them "silent" (eco standby: they accept and never answer), which costs a
poll its whole timeout. Figures, compared within the same run:

* ``live_poll_ms``: one full poll of a live projector (CLSS, POWR, ERST, LAMP, INPT, INF1/2,
  NAME, INFO, SNUM, SVER, FILT);
* ``silent_poll_s``: one silent projector (the configured timeout, twice: connect + greeting);
* ``tick_s`` for N live + K silent projectors polled by ``Subdevices.tick`` (8 threads), against
  ``serial_s`` = N × live + K × silent measured above: ``tick_ratio`` = tick / serial; and the
  tick must fit in the report interval (60 s);
* ``inventory_ms``: reading this machine's inventory (sysfs, procfs; smartctl if installed),
  done once an hour; ``inventory_rss_kib``: resident memory the inventory and PJLink modules
  add to a Python process that already imports the agent's runner.

Usage: ``python bench/gateway_poll.py [--live 30] [--silent 5] [--timeout 1.0]``. Exits 1 when
a tick does not fit in the interval or is not faster than polling one by one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schoolnet_agent.delivery.sequence import SequenceCounter  # noqa: E402
from schoolnet_agent.probes.helpers.pjlink import PJLinkClient, PJLinkUnreachable, poll  # noqa: E402
from schoolnet_agent.probes.projector import ProjectorProbe, ProjectorSettings  # noqa: E402
from schoolnet_agent.subdevices import Subdevice, Subdevices  # noqa: E402
from tests.support.pjlink_server import FakeProjector, PJLinkServer  # noqa: E402

INTERVAL_SECONDS = 60.0
RSS_SCRIPT = """
import sys
import schoolnet_agent.runner
def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
before = rss_kib()
import schoolnet_agent.inventory.linux, schoolnet_agent.inventory.identity
import schoolnet_agent.inventory.publisher, schoolnet_agent.probes.projector
import schoolnet_agent.probes.board, schoolnet_agent.subdevices
print(rss_kib() - before)
"""


def timed(fn, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--live", type=int, default=30)
    parser.add_argument("--silent", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per PJLink step")
    args = parser.parse_args()

    with ExitStack() as stack, tempfile.TemporaryDirectory() as state:
        live = [
            stack.enter_context(PJLinkServer(FakeProjector(password="pj", pjclass=2)))
            for _ in range(args.live)
        ]
        silent = [
            stack.enter_context(PJLinkServer(FakeProjector(silent=True)))
            for _ in range(args.silent)
        ]

        def one_live():
            with PJLinkClient("127.0.0.1", live[0].port, "pj", args.timeout) as client:
                poll(client)

        def one_silent():
            try:
                with PJLinkClient("127.0.0.1", silent[0].port, None, args.timeout) as client:
                    poll(client)
            except PJLinkUnreachable:
                pass

        live_s = timed(one_live, repeat=20)
        silent_s = timed(one_silent)
        devices = [
            Subdevice(
                f"proj-{i:02d}",
                "projector",
                ProjectorProbe(
                    ProjectorSettings(f"proj-{i:02d}", "127.0.0.1", s.port, "pj", args.timeout)
                ),
                SequenceCounter(state, f"seq-{i}"),
            )
            for i, s in enumerate(live + silent)
        ]
        sent = []
        subdevices = Subdevices("lc-bench-01", devices, lambda out: sent.append(out) or True, 60)
        tick_s = timed(subdevices.tick)

    from schoolnet_agent.inventory.machine import collect_facts

    inventory_s = timed(collect_facts, repeat=5)
    rss = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    serial_s = args.live * live_s + args.silent * silent_s
    figures = {
        "live_poll_ms": round(live_s * 1000, 2),
        "silent_poll_s": round(silent_s, 3),
        "projectors": {"live": args.live, "silent": args.silent},
        "tick_s": round(tick_s, 3),
        "serial_s": round(serial_s, 3),
        "tick_ratio": round(tick_s / serial_s, 3),
        "tick_fits_interval": tick_s < INTERVAL_SECONDS,
        "messages_sent": len(sent),
        "inventory_ms": round(inventory_s * 1000, 2),
        "inventory_rss_kib": int(rss.stdout.strip()),
    }
    print(json.dumps(figures))
    return 0 if figures["tick_fits_interval"] and tick_s < serial_s else 1


if __name__ == "__main__":
    sys.exit(main())
