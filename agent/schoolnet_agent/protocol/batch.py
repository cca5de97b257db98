"""The ``batch`` channel: several reports of one device in one compressed message.

On a metered 3G link every MQTT message costs a PUBLISH header, a PUBACK and two TCP/IP
headers (~130 bytes) on top of its payload, and JSON reports repeat the same keys: a batch of
reports as one JSON array, deflated with zlib (RFC 1950), costs a fraction of the reports sent
alone (figures: ``make bench-bytes``). Each report inside is complete, the same object that
would have gone to its own channel, so the collector checks and stores every one as if it had
come alone; the channel is told by its content key (``metrics``, ``events``, ``inventory``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from schoolnet_agent.protocol.payload import MAX_PAYLOAD_BYTES, PayloadError

MAX_BATCH_REPORTS = 256
# Deflated reports shrink 3-10×; the unpacked text is bounded so that a "zip bomb" costs the
# collector at most this much memory.
MAX_UNPACKED_BYTES = 4 * 1024 * 1024


def encode_batch(payloads: Iterable[bytes]) -> bytes:
    """Encoded reports (as ``encode`` returns them) → one batch payload."""
    return zlib.compress(b"[" + b",".join(payloads) + b"]", 9)


def decode_batch(payload: bytes, loads: Callable[[bytes], Any] = json.loads) -> list[Any]:
    """A batch payload → its items (not yet checked: each is validated like a lone report).

    Raises PayloadError for the batch as a whole: ``bad_batch`` when it does not inflate to a
    JSON array of at most MAX_BATCH_REPORTS items, ``oversize`` when it inflates too far."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversize", f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}")
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(payload, MAX_UNPACKED_BYTES)
    except zlib.error as exc:
        raise PayloadError("bad_batch", f"not zlib data: {exc}") from None
    if inflater.unconsumed_tail:
        raise PayloadError("oversize", f"batch inflates beyond {MAX_UNPACKED_BYTES} bytes")
    if not inflater.eof:
        raise PayloadError("bad_batch", "zlib stream is truncated")
    try:
        items = loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("bad_batch", f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(items, list) or not items:
        raise PayloadError("bad_batch", "a batch is a non-empty JSON array of reports")
    if len(items) > MAX_BATCH_REPORTS:
        raise PayloadError("bad_batch", f"{len(items)} reports, limit {MAX_BATCH_REPORTS}")
    return items
