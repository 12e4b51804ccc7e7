"""Polite HTTP for the importer: one request at a time at a set rate, a time limit and a size
cap on each, redirects followed only within the site, and conditional requests for re-runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import aiohttp
import yarl

from bot.corpus.site_import.urls import normalise, same_origin

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024


class FetchError(Exception):
    """A page that could not be fetched; the message says why, for a one-line warning."""


@dataclass(frozen=True)
class Validators:
    """What a page's last answer said about its version, sent back to ask "changed since?"."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """One answer: the URL it came from after redirects, its status and (for 200) its body."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """Requests to one site, paced: at most ``requests_per_second``, one at a time."""

    def __init__(
        self,
        origin: str,
        *,
        user_agent: str,
        requests_per_second: float,
        timeout_seconds: float,
        max_bytes: int,
    ) -> None:
        self.origin = origin
        self.max_bytes = max_bytes
        self.interval = 1.0 / requests_per_second
        self._user_agent = user_agent
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._next_at = 0.0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self._user_agent}, timeout=self._timeout
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def slow_down(self, seconds: float) -> None:
        """Wait at least ``seconds`` between requests (a robots.txt ``Crawl-delay``)."""
        self.interval = max(self.interval, seconds)

    async def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        allowed: Callable[[str], bool] = lambda _url: True,
        max_bytes: int | None = None,
    ) -> Fetched:
        """``url``'s answer after same-site redirects; raises :class:`FetchError` with why not."""
        for _hop in range(MAX_REDIRECTS + 1):
            headers = {}
            if validators is not None and validators.url == url:
                if validators.etag:
                    headers["If-None-Match"] = validators.etag
                if validators.last_modified:
                    headers["If-Modified-Since"] = validators.last_modified
            fetched, target = await self._request(url, headers, max_bytes or self.max_bytes)
            if target is None:
                return fetched
            if not same_origin(target, self.origin):
                raise FetchError(f"redirects to another site ({target})")
            if not allowed(target):
                raise FetchError(f"redirects to {target}, which robots.txt disallows")
            url = target
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _request(
        self, url: str, headers: dict[str, str], max_bytes: int
    ) -> tuple[Fetched, str | None]:
        """One request: its answer, and where it redirects to (``None`` if it does not)."""
        assert self._session is not None, "use the fetcher as `async with`"
        await self._pace()
        try:
            async with self._session.get(
                yarl.URL(url, encoded=True), headers=headers, allow_redirects=False
            ) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    target = normalise(
                        str(response.url.join(yarl.URL(response.headers["Location"])))
                    )
                    if target is None:
                        raise FetchError("redirects to something that is not a web page")
                    return Fetched(url, response.status), target
                body = await _read_capped(response, max_bytes) if response.status == 200 else b""
                return Fetched(
                    url,
                    response.status,
                    body,
                    content_type=response.content_type,
                    charset=response.charset,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                ), None
        except TimeoutError:
            raise FetchError(f"no complete answer within {self._timeout_seconds:g} s") from None
        except (aiohttp.ClientError, ValueError) as error:
            raise FetchError(f"request failed: {_reason(error)}") from None

    async def _pace(self) -> None:
        now = time.monotonic()
        if now < self._next_at:
            await asyncio.sleep(self._next_at - now)
        self._next_at = max(now, self._next_at) + self.interval


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, read a chunk at a time and abandoned as soon as it passes ``max_bytes``."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise FetchError(f"larger than the {_size(max_bytes)} limit ({_size(declared)})")
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"larger than the {_size(max_bytes)} limit")
    return bytes(body)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:,.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
