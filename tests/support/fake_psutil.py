"""A stand-in for psutil: the host probes take it as ``ps=`` and read only what a test gives."""

from __future__ import annotations

from types import SimpleNamespace


def fake(**funcs):
    return SimpleNamespace(**funcs)
