"""The build step: a wheel carries every catalogue compiled to .mo, and the installed package
reads them (setup.py's build_py)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
from babel.support import Translations

from tests.support.paths import ROOT


@pytest.mark.slow
def test_a_built_wheel_has_the_compiled_catalogues(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("schoolnet-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        prefix = "schoolnet_collector/i18n/locale/"
        assert {
            f"{prefix}vi/LC_MESSAGES/schoolnet.mo",
            f"{prefix}en/LC_MESSAGES/schoolnet.mo",
        } <= names
        assert f"{prefix}vi/LC_MESSAGES/schoolnet.po" in names  # the source travels too
        vi = Translations(io.BytesIO(z.read(f"{prefix}vi/LC_MESSAGES/schoolnet.mo")))
        assert "schoolnet_collector/notify/templates/school_offline.opened.j2" in names
    assert vi.gettext("Sign in") == "Đăng nhập"
    assert vi.pgettext("device state", "Online") == "Hoạt động"
