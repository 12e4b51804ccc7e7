"""Which links are pages of the site, and the safe file name each page gets."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from bot.corpus.site_import.urls import (
    MAX_NAME_BYTES,
    BadSiteUrl,
    page_file,
    resolve_link,
    site_origin,
)

ORIGIN = "https://docs.example.com"


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("https://docs.example.com/", "index.html"),
        ("https://docs.example.com", "index.html"),
        ("https://docs.example.com/guide/", "guide/index.html"),
        ("https://docs.example.com/guide/intro", "guide/intro.html"),
        ("https://docs.example.com/guide/intro.html", "guide/intro.html"),
        ("https://docs.example.com/a/../../../etc/passwd", "a/etc/passwd.html"),
        ("https://docs.example.com/%2e%2e/%2E%2E/x", "x.html"),
        ("https://docs.example.com/.env", "env.html"),
        ("https://docs.example.com/..%2f..%2fsecret", "secret.html"),
        ("https://docs.example.com/caf%C3%A9/na%C3%AFve", "café/naïve.html"),
        ("https://docs.example.com/a%00b/c d", "a-b/c-d.html"),
    ],
)
def test_page_files_are_made_from_the_url_and_stay_inside_the_folder(url: str, file: str) -> None:
    assert page_file(url) == file


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.example.com/" + "x" * 5000,
        "https://docs.example.com/" + "é" * 300 + "/" + "a/" * 100,
        "https://docs.example.com/..%2F" * 40,
        "https://docs.example.com/search?q=" + "y" * 3000,
    ],
)
def test_long_and_deep_urls_get_short_hashed_names(url: str) -> None:
    file = PurePosixPath(page_file(url))
    assert not file.is_absolute() and ".." not in file.parts
    assert not any(part.startswith(".") for part in file.parts)
    assert all(len(part.encode("utf-8")) <= MAX_NAME_BYTES for part in file.parts)
    assert len(file.parts) <= 13 and file.suffix == ".html"
    assert page_file(url + "z") != page_file(url)


@pytest.mark.parametrize(
    ("href", "page"),
    [
        ("/guide", f"{ORIGIN}/guide"),
        ("intro#install", f"{ORIGIN}/docs/intro"),
        ("HTTPS://DOCS.EXAMPLE.COM:443/x", f"{ORIGIN}/x"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("javascript://docs.example.com/%0Aalert(1)", None),
        ("data:text/html,<script>", None),
        ("mailto:team@example.com", None),
        ("http://docs.example.com/x", None),  # another origin: another scheme
        ("https://evil.example/x", None),
        ("//evil.example/x", None),
        ("https://user:pw@docs.example.com/x", None),
        ("/logo.PNG", None),
        ("/manual.pdf", None),
        ("https://docs.example.com:99999/", None),
    ],
)
def test_only_links_to_pages_of_the_same_origin_are_followed(href: str, page: str | None) -> None:
    assert resolve_link(f"{ORIGIN}/docs/start", href, ORIGIN) == page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("docs.example.com", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("https://me:secret@docs.example.com/", "user name or password"),
        ("https://docs.example.com:http/", "bad port"),
    ],
)
def test_a_bad_start_url_says_why(url: str, message: str) -> None:
    with pytest.raises(BadSiteUrl, match=message) as raised:
        site_origin(url)
    assert "secret" not in str(raised.value)
