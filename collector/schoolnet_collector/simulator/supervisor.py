"""Run the workers of a simulation and print one progress line for all of them.

A fleet small enough for one process runs its worker on a thread here (no start-up cost, easy
to test); a larger one gets ``ceil(schools / per_process)`` worker processes (``spawn``, so no
paho thread is ever forked). The supervisor owns the stop signal, sums the workers' progress
snapshots, and returns 1 if no school could connect or a worker failed.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import sys
import threading
import time
from dataclasses import replace
from typing import TextIO

from schoolnet_collector.simulator.progress import ProgressLine, Snapshot, total
from schoolnet_collector.simulator.runner import StopSignal
from schoolnet_collector.simulator.worker import Messages, WorkerMessage, WorkerSpec, run_worker


def supervise(
    spec: WorkerSpec,
    online_schools: int,
    per_process: int,
    stop: threading.Event,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parts = max(1, math.ceil(online_schools / per_process))
    specs = [replace(spec, part=i, parts=parts) for i in range(parts)]
    messages: Messages
    inner_stop: StopSignal
    runners: list[threading.Thread] | list[multiprocessing.context.SpawnProcess]
    if parts == 1:
        thread_messages: queue.Queue[WorkerMessage] = queue.Queue()
        messages, inner_stop = thread_messages, threading.Event()
        runners = [
            threading.Thread(
                target=run_worker, args=(specs[0], inner_stop, messages), name="simulator-worker"
            )
        ]
    else:
        ctx = multiprocessing.get_context("spawn")
        process_messages: multiprocessing.Queue[WorkerMessage] = ctx.Queue()
        messages, inner_stop = process_messages, ctx.Event()
        runners = [
            ctx.Process(
                target=run_worker, args=(s, inner_stop, messages), name=f"simulator-worker-{s.part}"
            )
            for s in specs
        ]
        print(f"{online_schools} schools in {parts} worker processes", file=out, flush=True)
    for runner in runners:
        runner.start()
    code = _collect(messages, inner_stop, stop, parts, spec, out, err)
    for runner in runners:
        runner.join()
    return code


def _collect(
    messages: Messages,
    inner_stop: StopSignal,
    stop: threading.Event,
    parts: int,
    spec: WorkerSpec,
    out: TextIO,
    err: TextIO,
) -> int:
    """Relay progress and outcomes until every worker has finished."""
    start = time.monotonic()
    line = ProgressLine(out)
    latest: dict[int, Snapshot] = {}
    connected: dict[int, tuple[int, int]] = {}
    finished, code, sent = 0, 0, 0
    while finished < parts:
        if stop.is_set():
            inner_stop.set()
        try:
            msg = messages.get(timeout=0.2)
        except queue.Empty:
            continue
        if msg[0] == "progress":
            latest[msg[1].part] = msg[1]
            if len(latest) == parts:
                line.print(time.monotonic() - start, total(list(latest.values())))
                latest.clear()
        elif msg[0] == "connected":
            connected[msg[1]] = (msg[2], msg[3])
            if len(connected) == parts:
                up, of = map(sum, zip(*connected.values(), strict=False))
                if up == 0 and of:
                    print(
                        f"schoolnet-collector simulate: error: no school could connect to "
                        f"{spec.settings.host}:{spec.settings.port} within "
                        f"{spec.options.connect_timeout:g} s: check --broker, --username "
                        "and --password",
                        file=err,
                        flush=True,
                    )
                    code = 1
                    inner_stop.set()
                else:
                    print(
                        f"{up}/{of} schools connected; publishing every "
                        f"{spec.options.interval:g} s",
                        file=out,
                        flush=True,
                    )
        elif msg[0] == "done":
            finished += 1
            sent += msg[2]
        elif msg[0] == "failed":
            finished += 1
            code = 1
            inner_stop.set()
            print(
                f"schoolnet-collector simulate: worker {msg[1]} failed:\n{msg[2]}",
                file=err,
                flush=True,
            )
    if code == 0:
        print(f"stopped: {sent} messages sent", file=out, flush=True)
    return code
