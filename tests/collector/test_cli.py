"""``schoolnet-collector`` as a user runs it: a wrong argument or command gives one clear message
and exit 2."""

from __future__ import annotations

import pytest

from tests.support.collector import cli


@pytest.mark.parametrize(
    "args,expected",
    [
        (["run", "--instance", "a/b"], "use up to 20 letters"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--log-level", "LOUD", "run"], "invalid choice: 'LOUD'"),
    ],
)
def test_bad_arguments(args, expected):
    result = cli(*args)
    assert result.returncode == 2 and expected in result.stderr
