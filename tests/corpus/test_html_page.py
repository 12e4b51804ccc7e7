"""HTML pages: the main content of a real MkDocs build with its sections and anchors, and hostile
pages that cost a clear warning each while the rest of the corpus loads."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.corpus import FileRules, Section, load_corpus
from bot.corpus.html_page import MAX_PAGE_BYTES, MAX_PAGE_ELEMENTS, NO_HTML
from bot.corpus.passages import split_passages
from tests.conftest import DATA

FORMATS = DATA / "formats"
GOOD = "<html><body><p>A good document about apples and pears in the orchard.</p></body></html>"


def page(body: str, head: str = "<title>A page</title>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def article(*paragraphs: str) -> str:
    return "<main><article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></main>"


PROSE = (
    "The orchard keeps forty apple trees of six varieties, planted in rows along the river.",
    "Volunteers prune them in February and pick the fruit from late August to October.",
    "The harvest goes to the community kitchen, which presses the windfalls into juice.",
)


def load_one(tmp_path: Path, name: str, content: str | bytes) -> tuple[list, list]:
    (tmp_path / "good.html").write_text(GOOD, encoding="utf-8")
    target = tmp_path / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    load = load_corpus(tmp_path)
    others = [d for d in load.documents if d.id != "good"]
    assert "good" in [d.id for d in load.documents]  # one bad page never costs the others
    return others, [(s.path, s.reason) for s in load.skipped]


def test_mkdocs_pages_give_their_main_content_sections_and_canonical_url(tmp_path: Path) -> None:
    for name in ("index.html", "install.html", "config.html"):
        shutil.copy(FORMATS / name, tmp_path / name)
    load = load_corpus(tmp_path)
    assert load.skipped == [] and load.repaired == []
    install = next(d for d in load.documents if d.id == "install")
    assert install.title == "Installation - Lantern Server Guide"
    assert install.url == "https://docs.lantern.example/install.html"
    assert [(s.label, s.anchor) for s in install.sections] == [
        ("Installation", "installation"),
        ("Installation › Linux", "linux"),
        ("Installation › macOS", "macos"),
        ("Installation › Windows", "windows"),
    ]
    assert install.text.startswith("Installation\n\nLantern runs on Linux, macOS and Windows.")
    assert install.text.endswith("opens port 8080 in the firewall for private networks only.")
    # The theme's navigation, search box, keyboard help and footer are not content.
    for furniture in ("Keyboard Shortcuts", "Search", "Previous", "Built with", "Server Guide"):
        assert furniture not in install.text
    for section in install.sections:
        assert install.text[section.start :].startswith(section.label.split(" › ")[-1])
    linux = [p for p in split_passages(install) if p.section and p.section.anchor == "linux"]
    assert linux and all("apt" in p.text for p in linux)
    assert linux[0].link == "https://docs.lantern.example/install.html#linux"


def test_a_reimported_page_keeps_its_passage_ids_and_sections(tmp_path: Path) -> None:
    original = (FORMATS / "install.html").read_text(encoding="utf-8")
    reimported = original.replace(
        "<body>",
        '<body><div class="cookie-banner">We use cookies. Accept all</div>'
        "<script>trackVisit('2026-12-02T17:00')</script>",
    ).replace("</body>", "<footer>Page fetched 2 December 2026</footer></body>")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, html in ((first, original), (second, reimported)):
        folder.mkdir()
        (folder / "install.html").write_text(html, encoding="utf-8")
    before = split_passages(load_corpus(first).documents[0])
    after = split_passages(load_corpus(second).documents[0])
    assert [(p.id, p.text, p.section) for p in after] == [(p.id, p.text, p.section) for p in before]


def test_sphinx_style_sections_take_the_anchor_of_the_section_they_open(tmp_path: Path) -> None:
    body = (
        '<div role="main"><section id="setting-up"><h1>Setting up'
        '<a class="headerlink" href="#setting-up" title="Link to this heading">¶</a></h1>'
        f"<p>{PROSE[0]}</p>"
        '<section id="pruning"><h2>Pruning<a class="headerlink" href="#pruning">¶</a></h2>'
        f"<p>{PROSE[1]}</p><p>{PROSE[2]}</p></section></section></div>"
    )
    head = '<title>Orchard</title><link rel="canonical" href="https://orchard.example/setup/">'
    documents, skipped = load_one(tmp_path, "setup.html", page(body, head))
    assert skipped == []
    (setup,) = documents
    assert [(s.label, s.anchor) for s in setup.sections] == [
        ("Setting up", "setting-up"),
        ("Setting up › Pruning", "pruning"),
    ]
    assert "¶" not in setup.text
    assert setup.link(setup.sections[1]) == "https://orchard.example/setup/#pruning"


def test_scripts_styles_and_banners_are_not_content_and_javascript_is_never_a_link(
    tmp_path: Path,
) -> None:
    body = (
        "<script>document.write('Secret script words')</script>"
        "<style>p { color: red } /* styled words */</style>"
        '<div id="cookie-consent" class="cookie-banner">We use cookies to track you.</div>'
        '<nav><a href="/">Home</a> <a href="/about">About us</a></nav>'
        + article(*PROSE, '<a href="javascript:alert(1)">Click the orchard map</a>')
        + "<footer>Copyright the orchard society</footer>"
    )
    head = '<title>Orchard</title><link rel="canonical" href="javascript:alert(document.cookie)">'
    documents, skipped = load_one(tmp_path, "orchard.html", page(body, head))
    assert skipped == []
    (orchard,) = documents
    assert "forty apple trees" in orchard.text
    for hidden in ("Secret script", "color: red", "styled words", "cookies", "javascript"):
        assert hidden not in orchard.text
    assert orchard.url is None


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("https://orchard.example/a b", None),
        ("/relative/path.html", None),
        ("data:text/html,hello", None),
        ("HTTPS://Orchard.example/page", "HTTPS://Orchard.example/page"),
    ],
)
def test_only_an_absolute_web_address_is_a_canonical_url(
    tmp_path: Path, href: str, url: str | None
) -> None:
    head = f'<title>Orchard</title><link rel="canonical" href="{href}">'
    documents, _ = load_one(tmp_path, "orchard.html", page(article(*PROSE), head))
    assert documents[0].url == url


def test_a_billion_laughs_page_is_not_expanded(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol lol lol lol lol lol lol lol lol lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    raw = f'<?xml version="1.0"?><!DOCTYPE html [{entities}]><html><body>'
    raw += article(*PROSE, "&lol9;") + "</body></html>"
    started = time.perf_counter()
    documents, skipped = load_one(tmp_path, "laughs.html", raw)
    assert time.perf_counter() - started < 10
    assert skipped == []
    assert "forty apple trees" in documents[0].text
    assert len(documents[0].text) < 1000  # 10⁹ "lol"s would be gigabytes


def test_a_page_over_the_bounds_is_one_clear_warning_and_nothing_waits(tmp_path: Path) -> None:
    paragraph = "<p>" + " ".join(PROSE) + "</p>\n"
    big = page("<main>" + paragraph * (50 * 1024 * 1024 // len(paragraph)) + "</main>")
    divs = page("<div><span>x</span></div>" * (MAX_PAGE_ELEMENTS // 2 + 10))
    (tmp_path / "big.html").write_text(big, encoding="utf-8")
    (tmp_path / "divs.htm").write_text(divs, encoding="utf-8")
    del big
    started = time.perf_counter()
    documents, skipped = load_one(tmp_path, "good2.html", page(article(*PROSE)))
    assert time.perf_counter() - started < 10
    assert [d.id for d in documents] == ["good2"]
    size = (tmp_path / "big.html").stat().st_size
    (big_reason, divs_reason) = [reason for _, reason in sorted(skipped)]
    assert [path for path, _ in sorted(skipped)] == ["big.html", "divs.htm"]
    assert big_reason == f"too large for an HTML page ({size:,} bytes, over {MAX_PAGE_BYTES:,})"
    assert divs_reason.startswith("too many elements for an HTML page (30,0")
    assert divs_reason.endswith(f", over {MAX_PAGE_ELEMENTS:,})")


def test_max_file_bytes_applies_to_pages_too(tmp_path: Path) -> None:
    (tmp_path / "orchard.html").write_text(page(article(*PROSE)), encoding="utf-8")
    load = load_corpus(tmp_path, FileRules(max_file_bytes=100))
    assert load.documents == []
    assert load.skipped[0].reason.startswith("too large (")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        (page("<script>go()</script><style>p {}</style>"), "no main text found in the page"),
        (b"\x00\x01\x02\xff" * 50, "binary"),
    ],
)
def test_a_page_without_text_is_one_warning(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    documents, skipped = load_one(tmp_path, "bad.html", content)
    assert documents == []
    assert skipped == [("bad.html", reason)]


def test_a_page_without_a_charset_is_utf8_or_else_windows_1252(tmp_path: Path) -> None:
    utf8 = page(article("Le café du verger ouvre à neuf heures, même le dimanche."))
    cp1252 = page(article("Le café du verger ouvre à “neuf heures”, même le dimanche."))
    (tmp_path / "utf8.html").write_bytes(utf8.encode("utf-8"))
    (tmp_path / "cp1252.html").write_bytes(cp1252.encode("cp1252"))
    load = load_corpus(tmp_path)
    texts = {d.id: d.text for d in load.documents}
    assert texts["utf8"] == "Le café du verger ouvre à neuf heures, même le dimanche."
    assert texts["cp1252"] == "Le café du verger ouvre à “neuf heures”, même le dimanche."
    assert [(s.path, s.reason) for s in load.repaired] == [
        ("cp1252.html", "not valid UTF-8 and no <meta charset>; read as Windows-1252")
    ]


def test_a_page_title_comes_from_title_else_h1(tmp_path: Path) -> None:
    body = "<main><h1>Pruning guide</h1>" + "".join(f"<p>{p}</p>" for p in PROSE) + "</main>"
    documents, _ = load_one(tmp_path, "pruning.html", page(body, head=""))
    assert documents[0].title == "Pruning guide"
    assert documents[0].sections == (Section(0, "Pruning guide", None),)


MARKUP = st.sampled_from(
    [
        *("<p>", "</p>", "<h2 id='x'>", "</h2>", "<script>", "</script>", "<table><tr><td>"),
        *("&amp;", "<!DOCTYPE html [<!ENTITY e 'e'>]>", "&e;"),
        "<link rel=canonical href='javascript:x'>",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(MARKUP | st.text(max_size=40), max_size=30))
def test_random_markup_loads_or_is_refused_with_a_reason(pieces: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "random.html").write_text("".join(pieces), "utf-8", errors="replace")
        load = load_corpus(Path(folder))
    for skipped in load.skipped:  # a loader error would read "could not be loaded (…)"
        assert skipped.reason in {"empty", "binary", "no main text found in the page", NO_HTML}
    for document in load.documents:
        assert document.url is None
        assert all(0 <= s.start < len(document.text) for s in document.sections)
