"""The canonical link the importer adds, so the HTML loader cites each page's URL."""

from __future__ import annotations

import pytest

from bot.corpus.site_import.pages import read_page, with_citation
from bot.corpus.site_import.sitemap import BadSitemap, parse_sitemap

URL = "https://docs.example.com/guide/intro"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            b"<html><head><title>T</title></head><body>x</body></html>",
            b'<html><head><link rel="canonical" href="URL"><title>T</title></head>',
        ),
        (
            b'<HTML lang="en">\n<HEAD class="a">\n<title>T</title>',
            b'<HTML lang="en">\n<HEAD class="a"><link rel="canonical" href="URL">\n<title>',
        ),
        (b"<html><body>no head</body></html>", b'<html><head><link rel="canonical" href="URL">'),
        (b"<p>a fragment", b'<link rel="canonical" href="URL"><p>a fragment'),
        (
            "<html><head><title>Café ☕</title>".encode(),
            '<html><head><link rel="canonical" href="URL"><title>Café ☕</title>'.encode(),
        ),
    ],
)
def test_a_canonical_link_is_added_at_the_top_of_the_head(page: bytes, expected: bytes) -> None:
    cited = with_citation(page, read_page(page), URL, None)
    assert cited.startswith(expected.replace(b"URL", URL.encode()))
    assert cited.replace(f'<link rel="canonical" href="{URL}">'.encode(), b"") in (
        page,
        page.replace(b"<html>", b"<html><head></head>"),
    )


def test_a_page_naming_its_canonical_url_is_left_alone_and_its_url_is_escaped() -> None:
    page = b'<html><head><link rel="canonical" href="https://d.example/x"></head></html>'
    assert with_citation(page, read_page(page), URL, None) == page
    odd = 'https://docs.example.com/a"><script>'
    assert b"<script>" not in with_citation(b"<p>x", read_page(b"<p>x"), odd, None)


def test_the_servers_charset_is_kept_when_the_page_does_not_say() -> None:
    page = b"<html><head><title>caf\xe9</title></head></html>"
    cited = with_citation(page, read_page(page), URL, "iso-8859-1")
    assert b'<meta charset="iso-8859-1">' in cited
    declared = b'<html><head><meta charset="utf-8"></head></html>'
    assert b"iso-8859-1" not in with_citation(declared, read_page(declared), URL, "iso-8859-1")


def test_links_and_base_are_read_as_written() -> None:
    facts = read_page(b'<base href="/docs/"><a href="a">A</a><a>no href</a><A HREF="/b">B</A>')
    assert (facts.base, facts.links) == ("/docs/", ["a", "/b"])


def test_a_sitemap_index_and_a_sitemap_are_read() -> None:
    index = parse_sitemap(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc> https://d.example/s1.xml </loc></sitemap></sitemapindex>"
    )
    assert (index.pages, index.sitemaps) == ([], ["https://d.example/s1.xml"])
    pages = parse_sitemap(b"<urlset><url><loc>https://d.example/</loc></url><url/></urlset>")
    assert pages.pages == ["https://d.example/"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><urlset>&a;</urlset>', "refused"),
        (b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><urlset/>', "refused"),
        (b"<html><body>not a sitemap</body></html>", "not a sitemap"),
        (b"<urlset><url>", "not valid XML"),
    ],
)
def test_a_hostile_or_broken_sitemap_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(BadSitemap, match=message):
        parse_sitemap(body)
