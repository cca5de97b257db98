"""Sequence numbers: strictly increasing across restarts and crashes, never reused."""

from __future__ import annotations

import logging
import time

import pytest

from schoolnet_agent.delivery.sequence import SequenceCounter, SequenceError


def mark(directory) -> int:
    return int((directory / "seq").read_text())


def test_numbers_increase_across_restarts_even_without_a_clean_exit(tmp_path):
    first = SequenceCounter(str(tmp_path), block=100)
    used = [first.next() for _ in range(5)]
    assert used == [0, 1, 2, 3, 4]
    # No close, no flush: as after a power cut, the next process reads only the file.
    second = SequenceCounter(str(tmp_path), block=100)
    later = [second.next() for _ in range(3)]
    assert later[0] > used[-1] and later == sorted(set(later))


def test_the_mark_is_saved_before_a_number_is_handed_out(tmp_path):
    counter = SequenceCounter(str(tmp_path), block=3)
    for _ in range(10):
        n = counter.next()
        assert mark(tmp_path) > n, "a crash now must not reuse n"
    assert n == 9
    assert not list(tmp_path.glob("*.tmp"))


def test_a_corrupt_mark_falls_back_to_the_clock(tmp_path, caplog):
    (tmp_path / "seq").write_text("12ab\n")
    before = int(time.time() * 1000)
    counter = SequenceCounter(str(tmp_path))
    assert counter.next() >= before
    assert "not a number" in caplog.text and "continuing from the clock" in caplog.text
    assert mark(tmp_path) > before


def test_an_unusable_state_directory_fails_at_start(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(SequenceError, match="cannot create state directory"):
        SequenceCounter(str(tmp_path / "file" / "state"))


def test_losing_the_disk_later_keeps_reports_numbered(tmp_path, caplog):
    counter = SequenceCounter(str(tmp_path / "state"), block=2)
    assert [counter.next(), counter.next()] == [0, 1]
    (tmp_path / "state" / "seq").unlink()
    (tmp_path / "state").rmdir()
    (tmp_path / "state").write_text("the directory became a file")  # writes now fail
    with caplog.at_level(logging.ERROR):
        assert [counter.next(), counter.next(), counter.next()] == [2, 3, 4]
    assert "cannot save sequence mark" in caplog.text
