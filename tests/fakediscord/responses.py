"""Discord-shaped HTTP responses: JSON with rate-limit headers, errors, canned failures."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from .errors import DiscordHTTPError, InjectedFailure

JSON_HEADERS = {"Content-Type": "application/json"}


def json_response(status: int, data: Any = None) -> web.Response:
    headers = dict(JSON_HEADERS)
    # generous rate-limit headers: without them discord.py serialises each route
    headers.update(
        {
            "X-RateLimit-Limit": "10000",
            "X-RateLimit-Remaining": "9999",
            "X-RateLimit-Reset-After": "1.0",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        }
    )
    if status == 204:
        del headers["Content-Type"]
        return web.Response(status=204, headers=headers)
    return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)


def error_response(err: DiscordHTTPError) -> web.Response:
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.errors is not None:
        body["errors"] = err.errors
    return json_response(err.status, body)


def injected_response(inj: InjectedFailure) -> web.Response:
    if inj.status == 429:
        resp = json_response(
            429,
            {
                "message": "You are being rate limited.",
                "retry_after": inj.retry_after,
                "global": inj.is_global,
                "code": 0,
            },
        )
        resp.headers["Via"] = "1.1 google"
        resp.headers["Retry-After"] = str(inj.retry_after)
        resp.headers["X-RateLimit-Remaining"] = "0"
        resp.headers["X-RateLimit-Reset-After"] = str(inj.retry_after)
        if inj.is_global:
            resp.headers["X-RateLimit-Global"] = "true"
        return resp
    return json_response(inj.status, {"code": 0, "message": f"{inj.status}: injected error"})
