"""A web site on 127.0.0.1 for the importer's tests: pages, redirects, a slow page, a huge page,
ETags and Last-Modified, and a log of every request it answered."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"


@dataclass
class Route:
    """What the site answers for one path (with its query)."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    delay: float = 0.0
    validator: str = "etag"  # "etag", "last-modified" or "none"
    stream_bytes: int = 0  # a body of this many bytes, sent in chunks with no Content-Length


@dataclass
class Request:
    """One request the site answered."""

    path: str
    status: int
    headers: dict[str, str]
    at: float


@dataclass
class FakeSite:
    """The routes of the site; change them between imports to change the site."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    streamed: int = 0  # bytes of streamed bodies actually sent
    url: str = ""

    def page(self, path: str, html: str, **options: object) -> None:
        self.routes[path] = Route(body=html.encode("utf-8"), **options)  # type: ignore[arg-type]

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        self.routes[path] = Route(status=status, location=location)

    def paths(self, status: int | None = None) -> list[str]:
        return [r.path for r in self.requests if status is None or r.status == status]


def html_page(title: str, text: str, links: tuple[str, ...] = (), head: str = "") -> str:
    anchors = "".join(f'<a href="{link}">{link}</a> ' for link in links)
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head>"
        f"<body><main><h1>{title}</h1><p>{text}</p>{anchors}</main></body></html>"
    )


def sitemap(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


def _handler(site: FakeSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            # Logged on arrival: the answer can reach the importer (and its next request this
            # server) before this thread would log it afterwards.
            self.logged = Request(self.path, 0, dict(self.headers.items()), time.monotonic())
            site.requests.append(self.logged)
            with contextlib.suppress(OSError):  # the importer gave up waiting (the slow page)
                self._answer(site.routes.get(self.path))

        def _answer(self, route: Route | None) -> None:
            if route is None:
                self._send(404, b"not here", "text/plain")
                return
            if route.delay:
                time.sleep(route.delay)
            if route.location is not None:
                self.logged.status = route.status
                self.send_response(route.status)
                self.send_header("Location", route.location)
                self.end_headers()
                return
            if route.stream_bytes:
                self._stream(route)
                return
            etag = f'"{hashlib.sha256(route.body).hexdigest()[:16]}"'
            extra = {}
            if route.status == 200 and route.validator == "etag":
                extra["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", route.content_type, extra)
                    return
            if route.status == 200 and route.validator == "last-modified":
                extra["Last-Modified"] = LAST_MODIFIED
                if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                    self._send(304, b"", route.content_type, extra)
                    return
            self._send(route.status, route.body, route.content_type, extra)

        def _send(
            self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
        ) -> None:
            self.logged.status = status  # before the importer can see the answer
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def _stream(self, route: Route) -> None:
            self.logged.status = 200
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.end_headers()
            chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
            try:
                while site.streamed < route.stream_bytes:
                    self.wfile.write(chunk)
                    site.streamed += len(chunk)
            except OSError:  # the importer hung up, as it should
                pass

    return Handler


@contextmanager
def serve(site: FakeSite) -> Iterator[FakeSite]:
    """Run ``site`` on 127.0.0.1 (a free port) in a thread while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
