"""The planners' three YAML files (targets, scoring rules, unit prices): packaged defaults in
``defaults/``, or a Sở's own copy. Each is checked by a pydantic model, so a wrong file stops
with one line per wrong key (``points.end_of_life: Input should be a valid number``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from schoolnet_collector.core.config import _describe

DEFAULTS = Path(__file__).resolve().parent / "defaults"
M = TypeVar("M", bound=BaseModel)


class PlanningFileError(ValueError):
    """A targets, scoring or prices file cannot be used; the message names the file and key."""


def load_model(path: Path | str | None, default_name: str, model: type[M]) -> M:
    path = Path(path) if path is not None else DEFAULTS / default_name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanningFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PlanningFileError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise PlanningFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PlanningFileError(f"{path}: expected a mapping of keys, got {type(data).__name__}")
    if data.get("format") != 1:
        raise PlanningFileError(f"{path}: format must be 1, got {data.get('format')!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PlanningFileError(f"{path}: invalid\n{_describe(exc)}") from None
