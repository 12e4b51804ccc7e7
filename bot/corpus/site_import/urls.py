"""Which URLs belong to the imported site, and the corpus file each page is saved as."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Links to these are never pages: not fetched at all, so a crawl does not download images.
NOT_A_PAGE = re.compile(
    r"\.(png|jpe?g|gif|svg|webp|ico|pdf|zip|gz|tgz|tar|xz|bz2|7z|css|m?js|json|xml|txt|"
    r"mp[34]|webm|ogg|wav|avi|mov|woff2?|ttf|otf|eot|exe|dmg|iso|apk|csv|xlsx?|docx?|pptx?)$",
    re.IGNORECASE,
)
# A name longer than this (in UTF-8 bytes) is cut and given a hash, well under any file system's
# 255-byte limit; deeper paths are folded into one hashed folder name.
MAX_NAME_BYTES = 80
MAX_DEPTH = 12
_UNSAFE = re.compile(r"[^\w.\-]+")


class BadSiteUrl(ValueError):
    """A start URL that cannot be imported; the message says why (never the URL's password)."""


def site_origin(url: str) -> str:
    """``scheme://host[:port]`` of a start URL; raises :class:`BadSiteUrl` with the reason."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise BadSiteUrl("the site's URL must start with http:// or https:// and name a host")
    if parts.username is not None or parts.password is not None:
        raise BadSiteUrl("a URL with a user name or password in it cannot be imported")
    try:
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as error:
        raise BadSiteUrl(f"the site's URL has a bad port: {error}") from None
    return _origin_of(parts.scheme.lower(), parts.hostname, parts.port)


def _origin_of(scheme: str, host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def site_folder_name(origin: str) -> str:
    """A folder name for a site's pages: its host, and its port if not the default."""
    parts = urlsplit(origin)
    name = _safe_name(parts.hostname or "site")
    return f"{name}_{parts.port}" if parts.port else name


def normalise(url: str) -> str | None:
    """``url`` without its fragment, scheme and host in lower case and the default port
    dropped; ``None`` for anything that is not an http(s) URL (``javascript:``, ``mailto:``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    origin = _origin_of(scheme, parts.hostname, port)
    return origin + urlunsplit(("", "", parts.path or "/", parts.query, ""))


def resolve_link(base: str, href: str, origin: str) -> str | None:
    """The page ``href`` points to from ``base``, if it is on ``origin`` and may be a page."""
    if not href or href.lstrip().lower().startswith(("javascript:", "data:", "vbscript:")):
        return None
    try:
        target = normalise(urljoin(base, href.strip()))
    except ValueError:
        return None
    if target is None or not same_origin(target, origin):
        return None
    return None if NOT_A_PAGE.search(urlsplit(target).path) else target


def same_origin(url: str, origin: str) -> bool:
    """Whether the normalised ``url`` is on ``origin``."""
    return url == origin or url.startswith(origin + "/") or url.startswith(origin + "?")


def page_file(url: str) -> str:
    """The corpus-relative path a page is saved at, made from its URL: never absolute, never
    ``..`` or hidden, each name at most :data:`MAX_NAME_BYTES`, always ending in ``.html``.

    ``/docs/`` is ``docs/index.html``, ``/docs/intro`` and ``/docs/intro.html`` are
    ``docs/intro.html``, and a query adds a hash of it (``list-1a2b3c4d5e.html``)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    names = [_safe_name(name) for name in path.split("/") if name not in ("", ".", "..")]
    if path.endswith("/") or not names:
        names.append("index")
    stem = names.pop()
    for suffix in (".html", ".htm", ".xhtml"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
    if parts.query:
        stem = f"{stem}-{_digest(parts.query)}"
    if len(names) > MAX_DEPTH:
        names = [*names[: MAX_DEPTH - 1], _digest("/".join(names[MAX_DEPTH - 1 :]))]
    return "/".join([*names, _shorten(stem, MAX_NAME_BYTES - len(".html")) + ".html"])


def with_hash(file: str, url: str) -> str:
    """Another name for ``file``, unique to ``url``, for when two URLs make the same name."""
    stem = file.removesuffix(".html")
    folder, _, name = stem.rpartition("/")
    name = f"{_shorten(name, MAX_NAME_BYTES - 16)}-{_digest(url)}.html"
    return f"{folder}/{name}" if folder else name


def _safe_name(name: str) -> str:
    safe = _UNSAFE.sub("-", unicodedata.normalize("NFC", name)).lstrip(".")
    return _shorten(safe or "_", MAX_NAME_BYTES)


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    kept = name.encode("utf-8")[: limit - 11].decode("utf-8", "ignore")
    return f"{kept}-{_digest(name)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
