"""Build step of the package: the translation catalogues (.po) compiled into .mo package data.

Everything else about the package is in pyproject.toml; setuptools runs this file only to
take the build_py command below. The compiler is the collector's own
(``schoolnet_collector/i18n/compile.py``), loaded by its path: the package's dependencies are
not installed while it is being built, Babel is (a build requirement).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LOCALE = Path("schoolnet_collector/i18n/locale")


def _compiler():
    path = HERE / "collector" / "schoolnet_collector" / "i18n" / "compile.py"
    spec = importlib.util.spec_from_file_location("schoolnet_i18n_compile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogues(build_py):
    """build_py, then every catalogue compiled beside its copy in the build directory."""

    def run(self):
        super().run()
        self._catalogues = _compiler().compile_tree(
            HERE / "collector" / LOCALE, Path(self.build_lib) / LOCALE
        )

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), *map(str, getattr(self, "_catalogues", []))]


setup(cmdclass={"build_py": BuildWithCatalogues})
