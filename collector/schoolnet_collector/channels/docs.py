"""The channel table of ``docs/channels.md``, written from the registry so the docs cannot
forget a channel: ``python -m schoolnet_collector.channels.docs`` prints it, and
``tests/collector/channels/test_docs.py`` fails when the file differs."""

from __future__ import annotations

from typing import Any

from schoolnet_collector.channels import REGISTRY, ChannelUnit

BEGIN, END = "<!-- channels:begin -->", "<!-- channels:end -->"


def _keys(unit: ChannelUnit[Any]) -> str:
    return ", ".join(f"`{k}`" for k in unit.settings.model_fields)


def table() -> str:
    rows = [
        "| channel | `[notify.<section>]` | keys | contact column | address | what |",
        "|---|---|---|---|---|---|",
    ]
    for u in REGISTRY:
        column = f"`{u.contact_field}`" if u.contact_field else "— (the school's topic)"
        address = u.address.description if u.address else "—"
        rows.append(
            f"| `{u.name}` | `{u.section}` | {_keys(u)} | {column} | {address} | {u.summary} |"
        )
    return "\n".join(rows)


def block(text: str) -> str:
    """The generated part of a document (between the markers)."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


if __name__ == "__main__":
    print(table())
