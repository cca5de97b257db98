"""Typed access to a parsed YAML mapping that names the exact key when something is wrong.

A province profile is edited by hand; an error such as ``levels[2].schools: must be an
integer >= 0, got -3`` lets its author fix it without reading the simulator's code.
"""

from __future__ import annotations

from typing import Any, NoReturn


class ProfileError(ValueError):
    """A profile that cannot be used; ``key`` is the dotted path of the offending entry."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


class Node:
    """A mapping (or list) from the profile together with its path, for error messages."""

    def __init__(self, value: Any, path: str = ""):
        self.value = value
        self.path = path

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = ...) -> Node:
        if not isinstance(self.value, dict):
            raise ProfileError(self.path, f"must be a mapping, got {type(self.value).__name__}")
        if key not in self.value:
            if default is ...:
                raise ProfileError(self._child_path(key), "missing key")
            return Node(default, self._child_path(key))
        return Node(self.value[key], self._child_path(key))

    def items(self) -> list[tuple[str, Node]]:
        if not isinstance(self.value, dict) or not self.value:
            raise ProfileError(self.path, "must be a non-empty mapping")
        return [(str(k), Node(v, self._child_path(str(k)))) for k, v in self.value.items()]

    def elements(self) -> list[Node]:
        if not isinstance(self.value, list) or not self.value:
            raise ProfileError(self.path, "must be a non-empty list")
        return [Node(v, self._child_path(i)) for i, v in enumerate(self.value)]

    def fail(self, problem: str) -> NoReturn:
        raise ProfileError(self.path, problem)

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            self.fail(f"must be a non-empty string, got {self.value!r}")
        return self.value

    def count(self) -> int:
        """A non-negative integer (bool excluded: YAML's ``yes`` is not a count)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0:
            self.fail(f"must be an integer >= 0, got {self.value!r}")
        return self.value

    def number(self, low: float = 0.0, high: float = float("inf")) -> float:
        if (
            isinstance(self.value, bool)
            or not isinstance(self.value, (int, float))
            or not low <= self.value <= high
        ):
            self.fail(f"must be a number in [{low}, {high}], got {self.value!r}")
        return float(self.value)

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"must be true or false, got {self.value!r}")
        return self.value

    def int_range(self, low: int = 0, high: int = 10**6) -> tuple[int, int]:
        """``[a, b]`` with low <= a <= b <= high."""
        v = self.value
        if (
            not isinstance(v, list)
            or len(v) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            or not low <= v[0] <= v[1] <= high
        ):
            self.fail(f"must be [a, b] with integers {low} <= a <= b <= {high}, got {v!r}")
        return v[0], v[1]

    def number_range(self, low: float = 0.0, high: float = float("inf")) -> tuple[float, float]:
        """``[a, b]`` of numbers with low <= a <= b <= high."""
        v = self.value
        if (
            not isinstance(v, list)
            or len(v) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            or not low <= v[0] <= v[1] <= high
        ):
            self.fail(f"must be [a, b] with numbers {low} <= a <= b <= {high}, got {v!r}")
        return float(v[0]), float(v[1])

    def counts(self) -> dict[str, int]:
        """A mapping of names to non-negative integers, e.g. ``{VNPT: 18, Viettel: 69}``."""
        return {k: node.count() for k, node in self.items()}
