"""``run`` as a user runs it: a school file that cannot be read stops the start, naming it."""

from __future__ import annotations

import pytest

from tests.support.collector import cli


@pytest.mark.slow
def test_run_with_missing_school_file_stops_with_its_name(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n')
    result = cli("run", "--config", conf, "--schools", tmp_path / "missing.csv")
    assert result.returncode == 2
    assert "missing.csv: cannot read" in result.stderr and "Traceback" not in result.stderr
