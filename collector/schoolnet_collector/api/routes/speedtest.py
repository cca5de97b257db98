"""``/api/v1/speedtest``: what a school's gateway downloads and uploads to measure its line.

Measuring against the collector (not a public speed-test server) gives the throughput the
school really has to the province, needs no outside address, and works on networks that reach
only the province. Sizes are bounded (``MAX_BYTES`` each way) so a misconfigured gateway
cannot tie up the collector; any valid token may call it (gateways use a school token).
The payload is incompressible, so a compressing link or proxy cannot flatter the figure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep
from schoolnet_collector.api.schemas import Problem

router = APIRouter(prefix="/api/v1/speedtest", tags=["speedtest"], responses=AUTH_RESPONSES)

MAX_BYTES = 50_000_000
DEFAULT_BYTES = 1_000_000
CHUNK = os.urandom(64 * 1024)


class UploadResult(BaseModel):
    bytes: int
    seconds: float


def _payload(size: int) -> Iterator[bytes]:
    full, rest = divmod(size, len(CHUNK))
    for _ in range(full):
        yield CHUNK
    if rest:
        yield CHUNK[:rest]


@router.get(
    "/download",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "`bytes` bytes of random data",
        }
    },
)
def download(
    caller: CallerDep,
    size: Annotated[
        int, Query(alias="bytes", ge=1, le=MAX_BYTES, description="how many bytes to send")
    ] = DEFAULT_BYTES,
) -> StreamingResponse:
    return StreamingResponse(
        _payload(size),
        media_type="application/octet-stream",
        headers={"Content-Length": str(size), "Cache-Control": "no-store"},
    )


@router.post(
    "/upload",
    response_model=UploadResult,
    responses={413: {"model": Problem, "description": f"more than {MAX_BYTES} bytes"}},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary", "maxLength": MAX_BYTES}
                }
            },
        }
    },
)
async def upload(caller: CallerDep, request: Request) -> UploadResult:
    """Reads and discards the body; more than ``MAX_BYTES`` is refused with 413 as soon as it
    is exceeded (or at once, when Content-Length says so)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise HTTPException(413, f"upload of {declared} bytes refused: at most {MAX_BYTES}")
    started = time.perf_counter()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_BYTES:
            raise HTTPException(413, f"upload refused: more than {MAX_BYTES} bytes")
    return UploadResult(bytes=received, seconds=round(time.perf_counter() - started, 6))
