"""The i18n package is the bottom layer: it imports nothing else of the collector (the
import-linter contract in pyproject.toml says the same for the packages that exist today;
this holds for any added later)."""

from __future__ import annotations

import ast
from pathlib import Path

import schoolnet_collector.i18n as package

HERE = Path(package.__file__).resolve().parent


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_i18n_imports_only_itself_of_the_collector():
    outside = {
        (path.name, name)
        for path in HERE.glob("*.py")
        for name in imported(path)
        if name.startswith("schoolnet_collector")
        and not name.startswith("schoolnet_collector.i18n")
    }
    assert outside == set()
    assert len(list(HERE.glob("*.py"))) >= 7  # the walk saw the package's modules
