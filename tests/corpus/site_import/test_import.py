"""``import_site`` against a real HTTP server on 127.0.0.1: sitemap, robots.txt, redirects,
404s, a slow page, re-runs that rewrite only what changed, and hostile pages."""

from __future__ import annotations

import asyncio
import gc
import gzip
import itertools
import re
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest

from bot.corpus.site_import import ForeignFolder, ImportOptions, ImportReport, crawl, import_site
from bot.corpus.site_import.sitemap import BadSitemap
from bot.corpus.site_import.state import STATE_NAME
from tests.corpus.site_import.site_server import FakeSite, Route, html_page, serve, sitemap

FAST = 200.0  # requests per second: polite pacing is tested on its own below


def run_import(site: FakeSite, folder: Path, **options: object) -> ImportReport:
    settings: dict[str, object] = {"requests_per_second": FAST, "progress": False}
    settings.update(options)
    return asyncio.run(
        import_site(ImportOptions(start_url=site.url + "/", folder=folder, **settings))  # type: ignore[arg-type]
    )


def canonical(path: Path) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]*)"', path.read_text(encoding="utf-8"))


def docs_site() -> FakeSite:
    site = FakeSite()
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.page("/", html_page("Home", "Welcome to the docs.", ("/guide/intro",)))
    site.page("/guide/intro", html_page("Intro", "Install it with pip."))
    site.page("/guide/new", html_page("New", "The page that moved."))
    site.redirect("/guide/old", "/guide/new")
    site.redirect("/elsewhere", "http://other.invalid/page", status=302)
    site.page("/private/secret", html_page("Secret", "Never fetched."))
    site.page("/slow", html_page("Slow", "Too slow."), delay=5.0)
    site.page("/dated", html_page("Dated", "Served with Last-Modified."), validator="last-modified")
    site.page(
        "/has-canonical",
        html_page("Canon", "Names its own URL.", head='<link rel="canonical" href="https://d/x">'),
        content_type="text/html",
    )
    site.page(
        "/odd-canonical",
        html_page("Odd", "Names a script.", head='<link rel="canonical" href="javascript:x()">'),
    )
    site.page("/image", "GIF89a", content_type="image/gif")
    site.page("/plain", html_page("Plain", "Served with no validators."), validator="none")
    return site


def list_docs(site: FakeSite, *paths: str) -> None:
    site.page(
        "/sitemap.xml",
        sitemap([site.url + path for path in paths] + ["http://other.invalid/x"]),
        content_type="application/xml",
    )


DOCS_PATHS = (
    "/",
    "/guide/intro",
    "/guide/old",
    "/elsewhere",
    "/private/secret",
    "/missing",
    "/slow",
    "/dated",
    "/has-canonical",
    "/odd-canonical",
    "/image",
)


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_a_site_is_imported_from_its_sitemap_within_robots_txt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "docs"
    with serve(docs_site()) as site:
        list_docs(site, *DOCS_PATHS)
        started = time.monotonic()
        report = run_import(site, folder, timeout_seconds=1.0)
        elapsed = time.monotonic() - started

    assert report.found_by == "sitemap"
    assert files_in(folder) == [
        STATE_NAME,
        "dated.html",
        "guide/intro.html",
        "guide/new.html",
        "has-canonical.html",
        "index.html",
        "odd-canonical.html",
    ]
    # Each page cites its own final URL; one that names its canonical URL is left as it was.
    assert canonical(folder / "index.html") == [site.url + "/"]
    assert canonical(folder / "guide/new.html") == [site.url + "/guide/new"]
    assert (folder / "has-canonical.html").read_bytes() == site.routes["/has-canonical"].body
    assert canonical(folder / "odd-canonical.html") == [
        site.url + "/odd-canonical",
        "javascript:x()",
    ]
    assert "Install it with pip." in (folder / "guide/intro.html").read_text(encoding="utf-8")
    # robots.txt is read first and honoured; everything is asked for as corpusbot.
    assert site.paths()[:2] == ["/robots.txt", "/sitemap.xml"]
    assert "/private/secret" not in site.paths()
    assert all("corpusbot" in request.headers["User-Agent"] for request in site.requests)
    # One warning each for the 404, the slow page, the redirect off the site, the other site.
    warned = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("/missing: 404" in line for line in warned)
    assert any("/slow: no complete answer within 1 s" in line for line in warned)
    assert any("/elsewhere: redirects to another site" in line for line in warned)
    assert any("1 URLs on other sites" in line for line in warned)
    assert len(warned) == 4
    assert (report.new, report.failed, report.skipped) == (6, 2, 2)
    assert elapsed < 4  # the slow page is given up on after 1 s, not waited 5 s for


def test_a_rerun_rewrites_only_changed_pages_and_removes_gone_ones(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    with serve(docs_site()) as site:
        list_docs(site, "/", "/guide/intro", "/guide/old", "/dated", "/plain", "/has-canonical")
        run_import(site, folder)
        before = {name: (folder / name).stat() for name in files_in(folder)}
        site.requests.clear()
        site.page("/guide/intro", html_page("Intro", "Install it with uv now."))
        del site.routes["/guide/new"]  # the redirect now leads to a 404
        list_docs(site, "/", "/guide/intro", "/guide/old", "/dated", "/plain")  # one unlisted

        report = run_import(site, folder)

    assert files_in(folder) == [
        STATE_NAME,
        "dated.html",
        "guide/intro.html",
        "index.html",
        "plain.html",
    ]
    assert "uv now" in (folder / "guide/intro.html").read_text(encoding="utf-8")
    # Unchanged pages are not rewritten, whether the site said so (304) or sent the same bytes.
    for unchanged in ("index.html", "dated.html", "plain.html"):
        after = (folder / unchanged).stat()
        assert (after.st_ino, after.st_mtime_ns) == (
            before[unchanged].st_ino,
            before[unchanged].st_mtime_ns,
        )
    # The second run asked "changed since?" with what the first was told.
    asked = {request.path: request for request in site.requests}
    assert "If-None-Match" in asked["/"].headers and asked["/"].status == 304
    assert "If-Modified-Since" in asked["/dated"].headers and asked["/dated"].status == 304
    assert (report.new, report.changed, report.unchanged, report.removed) == (0, 1, 3, 2)
    # The journal names exactly the pages left, so a third run starts from them.
    journal = (folder / STATE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(journal) == 1 + 4


def test_without_a_sitemap_the_links_are_followed_within_the_site(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    site = FakeSite()
    links = (
        "/a",
        "b?page=2#top",
        "javascript:alert(document.cookie)",
        "  JavaScript:void(0)",
        "mailto:docs@example.com",
        "http://other.invalid/",
        "/logo.png",
        "#section",
        "/a#section",
    )
    site.page("/", html_page("Home", "Start here.", links))
    site.page("/a", html_page("A", "Page a.", ("/c", "../../../../etc/passwd")))
    site.page("/b?page=2", html_page("B", "Page b."))
    site.page("/c", html_page("C", "Page c.", ("/",)))
    with serve(site):
        report = run_import(site, folder)

    assert report.found_by == "links"
    assert sorted(site.paths(200)) == ["/", "/a", "/b?page=2", "/c"]
    assert not any("script" in path or "png" in path for path in site.paths())
    # "../../../../etc/passwd" is a URL on the site (a 404 there), never a path out of the folder.
    names = files_in(folder)
    assert len(names) == 5 and re.fullmatch(r"b-[0-9a-f]{10}\.html", names[2])
    assert [names[0], names[1], *names[3:]] == [STATE_NAME, "a.html", "c.html", "index.html"]


def test_a_capped_crawl_keeps_the_pages_it_did_not_reach(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    site = FakeSite()
    site.page("/", html_page("Home", "Start.", ("/a", "/b")))
    site.page("/a", html_page("A", "Page a."))
    site.page("/b", html_page("B", "Page b."))
    with serve(site):
        run_import(site, folder)
        report = run_import(site, folder, max_pages=1)

    assert files_in(folder) == [STATE_NAME, "a.html", "b.html", "index.html"]
    assert (report.unchanged, report.removed, report.not_fetched) == (1, 0, 2)


def test_requests_are_paced_one_at_a_time(tmp_path: Path) -> None:
    site = FakeSite()
    site.page("/", html_page("Home", "Start.", ("/a", "/b", "/c")))
    for name in "abc":
        site.page(f"/{name}", html_page(name, "A page."))
    with serve(site):
        run_import(site, tmp_path / "docs", requests_per_second=10)

    times = [request.at for request in site.requests]
    assert len(times) == 6  # robots.txt, sitemap.xml, four pages
    assert (
        min(later - earlier for earlier, later in itertools.pairwise(times)) > 0.05
    )  # unpaced: ~0.002


def test_robots_txt_can_name_a_sitemap_index_of_gzipped_sitemaps(tmp_path: Path) -> None:
    site = FakeSite()
    with serve(site):
        site.page("/robots.txt", f"Sitemap: {site.url}/index.xml\n", content_type="text/plain")
        site.page(
            "/index.xml",
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site.url}/pages.xml.gz</loc></sitemap></sitemapindex>",
            content_type="application/xml",
        )
        urlset = sitemap([f"{site.url}/a", f"{site.url}/b"]).encode()
        site.routes["/pages.xml.gz"] = Route(
            body=gzip.compress(urlset), content_type="application/gzip"
        )
        site.page("/", html_page("Home", "Not listed, so not imported."))
        site.page("/a", html_page("A", "Page a."))
        site.page("/b", html_page("B", "Page b."))
        report = run_import(site, tmp_path / "docs")

    assert report.found_by == "sitemap"
    assert files_in(tmp_path / "docs") == [STATE_NAME, "a.html", "b.html"]


def test_a_gzipped_sitemap_is_uncompressed_only_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(crawl, "SITEMAP_MAX_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(BadSitemap, match="larger than"):
            crawl._gunzipped(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 1024 * 1024  # never the 8 MiB it would make
    assert crawl._gunzipped(gzip.compress(b"<urlset/>")) == b"<urlset/>"


def test_a_crawl_delay_in_robots_txt_slows_the_import_down(tmp_path: Path) -> None:
    site = FakeSite()
    site.page("/robots.txt", "User-agent: corpusbot\nCrawl-delay: 1\n", content_type="text/plain")
    site.page("/", html_page("Home", "Start."))
    with serve(site):
        run_import(site, tmp_path / "docs")

    times = [request.at for request in site.requests]
    assert site.paths() == ["/robots.txt", "/sitemap.xml", "/"]
    assert min(later - earlier for earlier, later in itertools.pairwise(times[1:])) > 0.8


def test_hostile_pages_get_a_warning_each_and_nothing_hangs_or_leaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "docs"
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
            for n in range(1, 10)
        )
        + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>&lol9;</loc></url></urlset>"
    )
    site = FakeSite()
    site.page("/sitemap.xml", laughs, content_type="application/xml")
    site.page("/", html_page("Home", "Start.", ("/huge", "javascript:fetch('/x')", "/fine")))
    site.page("/fine", html_page("Fine", "A fine page."))
    site.routes["/huge"] = Route(stream_bytes=50 * 1024 * 1024)
    with serve(site), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.monotonic()
        run_import(site, folder, max_page_bytes=1024 * 1024)
        elapsed = time.monotonic() - started
        gc.collect()

    assert files_in(folder) == [STATE_NAME, "fine.html", "index.html"]
    warned = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("sitemap.xml: refused: it declares a DTD or entities" in line for line in warned)
    assert any("/huge: larger than the 1.0 MiB limit" in line for line in warned)
    assert len(warned) == 2
    assert site.streamed < 20 * 1024 * 1024  # the download stopped near the cap
    assert elapsed < 10
    assert [str(warning.message) for warning in caught if warning.category is ResourceWarning] == []


def test_a_large_site_is_written_page_by_page_not_held_in_memory(tmp_path: Path) -> None:
    site = FakeSite()
    filler = "Lorem ipsum dolor sit amet. " * 1800  # about 50 KB a page
    pages = [f"/p{number}" for number in range(120)]
    for path in pages:
        site.page(path, html_page(path, filler))
    with serve(site):
        list_docs(site, *pages)
        tracemalloc.start()
        try:
            report = run_import(site, tmp_path / "docs", requests_per_second=1000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    site_bytes = sum(len(site.routes[path].body) for path in pages)
    assert report.new == 120
    assert peak < site_bytes / 4, f"peak {peak:,} bytes for a {site_bytes:,}-byte site"


def test_a_folder_holding_other_files_or_another_site_is_refused(tmp_path: Path) -> None:
    site = FakeSite()
    site.page("/", html_page("Home", "Start."))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("# My notes\n", encoding="utf-8")
    with serve(site):
        with pytest.raises(ForeignFolder, match="already holds files that no import made"):
            run_import(site, mine)
        run_import(site, tmp_path / "docs")
        other = FakeSite(routes=dict(site.routes))
        with serve(other), pytest.raises(ForeignFolder, match="holds an import of"):
            run_import(other, tmp_path / "docs")
    assert (mine / "notes.md").read_text(encoding="utf-8") == "# My notes\n"


def test_nothing_hidden_but_the_journal_and_no_temporary_files_are_left(tmp_path: Path) -> None:
    site = FakeSite()
    site.page("/", html_page("Home", "Start.", ("/a",)))
    site.page("/a", html_page("A", "Page a."))
    with serve(site):
        run_import(site, tmp_path / "docs")
    hidden = [path.name for path in (tmp_path / "docs").rglob(".*")]
    assert hidden == [STATE_NAME]
