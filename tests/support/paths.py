"""Where things are, for tests at any depth of the tree."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's top folder."""
FIXTURES = ROOT / "tests" / "fixtures"
"""Recorded outputs of the tools probes read (mmcli, smartctl, WMI) and sysfs trees."""
ARTIFACTS = ROOT / "test-artifacts"
"""What tests leave for people to look at (screenshots); ignored by git."""
