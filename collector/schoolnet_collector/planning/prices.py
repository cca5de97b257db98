"""Unit prices for the procurement estimate (``defaults/prices.yaml``), in VND.

They are assumptions stated with a date, never hidden constants: the plan prints the date
and the note beside every cost, and a Sở passes its tender prices with ``--prices FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schoolnet_collector.planning.files import load_model


class Items(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pc: int = Field(gt=0)
    lab_room_fixed: int = Field(ge=0)
    projector: int = Field(gt=0)
    board: int = Field(gt=0)


class Prices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal[1]
    currency: Literal["VND"] = "VND"
    as_of: str = Field(min_length=4)
    note: str = ""
    items: Items

    def lab_room(self, pcs: int) -> int:
        """A lab room: its fixed part plus its PCs."""
        return self.items.lab_room_fixed + pcs * self.items.pc


def load_prices(path: Path | str | None = None) -> Prices:
    return load_model(path, "prices.yaml", Prices)
