"""Snippets: the best sentences, bold matches, ellipses, and text that can never ping or break."""

from __future__ import annotations

import re

import pytest

from bot.analysis.analyzer import tokenize
from bot.present.markdown import citation, code, escape_markdown, snippet_markdown
from bot.search.snippets import SNIPPET_CHARS, select_snippet

HOSTILE = (
    "Hey @everyone and @here, ping <@123456789012345678> and role <@&456> and <#789>! "
    "Click [free nitro](https://evil.example/x) now. "
    "`code` **bold** __under__ ~~strike~~ ||spoiler|| "
    "> fake quote # heading \\ backslash </ask:1> <t:0:R> <:emoji:1>"
)
# A mention or markup token that is NOT preceded by a backslash (or broken by a zero-width space).
_LIVE = [
    re.compile(r"(?<!\\)<[@#/:t]"),
    re.compile(r"@(everyone|here)"),
    re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\("),
    re.compile(r"(?<!\\)`"),
    re.compile(r"(?<![\\*])\*\*(?!\*)"),
    re.compile(r"(?<!\\)__"),
    re.compile(r"(?<!\\)~~"),
    re.compile(r"(?<!\\)\|\|"),
]


def weights(query: str) -> dict[str, float]:
    return dict.fromkeys(tokenize(query), 1.0)


def test_escaped_text_has_no_live_mentions_or_markup() -> None:
    escaped = escape_markdown(HOSTILE)
    for pattern in _LIVE:
        assert not pattern.search(escaped), (pattern.pattern, escaped)
    assert "https://evil.example/x" in escaped  # links stay readable


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("> quoted", "\\> quoted"),
        ("# Heading", "\\# Heading"),
        ("- item", "\\- item"),
        ("-# subtext", "\\-# subtext"),
        # The punctuation is escaped: Discord shows a backslash before a digit ("\\1.").
        ("1. first", "1\\. first"),
        ("12) twelfth", "12\\) twelfth"),
        ("fine\n# Heading\n  > quote\n3. third", "fine\n\\# Heading\n  \\> quote\n3\\. third"),
    ],
)
def test_markup_at_line_start_is_escaped(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


# Any "@everyone"/"@here" Discord could read as a mass mention, bold markers between or not.
_MASS_MENTION_READ = re.compile(r"@(\*\*)?(everyone|here)", re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "query", "markdown"),
    [
        ("Ask @everyone about it.", "everyone", "Ask @\u200b**everyone** about it."),
        ("Hi @EVERYONE, and @here.", "everyone", "Hi @\u200b**EVERYONE**, and @\u200bhere."),
        ("Ask @everyone about it.", "ask", "**Ask** @\u200beveryone about it."),
        (
            "See https://x.example/@everyone now.",
            "see",
            "**See** https://x.example/%40everyone now.",
        ),
        (
            "See https://x.example/@Here?q=@everyone now.",
            "everyone",
            "See https://x.example/%40Here?q=%40everyone now.",
        ),
    ],
)
def test_mass_mentions_are_broken_inside_links_and_highlights(
    text: str, query: str, markdown: str
) -> None:
    rendered = snippet_markdown(select_snippet(text, weights(query)))
    assert rendered == markdown
    assert not _MASS_MENTION_READ.search(rendered)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("https://x.example/@everyone", "https://x.example/%40everyone"),
        ("[x](https://x.example/a@here)", "\\[x\\](https://x.example/a%40here)"),
        ("mail me@example.com", "mail me@example.com"),
    ],
)
def test_a_quoted_link_keeps_working_without_a_mass_mention(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_numbers_inside_a_snippet_show_no_backslash() -> None:
    """Highlighting splits the text into pieces; only the snippet's own start is a line start."""
    markdown = snippet_markdown(
        select_snippet("Python 3.12 was released in October.", weights("python released"))
    )
    assert markdown == "**Python** 3.12 was **released** in October."
    opening = snippet_markdown(select_snippet("1. Check the 2. clause first.", weights("clause")))
    assert opening == "1\\. Check the 2. **clause** first."


def test_a_matched_word_inside_a_link_is_not_bolded() -> None:
    """Bold markers inside a URL would cut the link short."""
    text = "Read https://example.com/korea-news for more on Korea."
    markdown = snippet_markdown(select_snippet(text, weights("korea")))
    assert "https://example.com/korea-news" in markdown
    assert markdown.endswith("on **Korea**.")


def test_code_stays_on_one_line() -> None:
    assert code("docs/a b.md") == "`docs/a b.md`"
    assert code("notes\n# Big") == "`notes # Big`"
    escaped = code("notes`\n# Big heading\n> quote")
    assert "\n" not in escaped and "\\`" in escaped


def test_snippet_of_hostile_text_is_inert_with_bold_only_on_matches() -> None:
    snippet = select_snippet(HOSTILE, weights("ping role nitro"), max_chars=300)
    markdown = snippet_markdown(snippet)
    assert "@everyone" not in markdown and "@here" not in markdown
    assert not re.search(r"(?<!\\)<@", markdown)
    bold = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", markdown)
    assert bold and all(word.lower() in {"ping", "role", "nitro"} for word in bold)


def test_best_sentence_is_chosen_and_matches_are_bold() -> None:
    text = (
        "The club opens at nine. Membership costs ten euros a year. "
        "Refunds are given within fourteen days of payment. Bring a towel."
    )
    snippet = select_snippet(text, weights("how do refunds work"), max_chars=80)
    assert snippet.plain == "… Refunds are given within fourteen days of payment. Bring a towel."
    assert snippet_markdown(snippet).startswith("… **Refunds** are given")
    tight = select_snippet(text, weights("how do refunds work"), max_chars=60)
    assert tight.plain == "… Refunds are given within fourteen days of payment. …"


def test_neighbour_sentence_with_more_matches_is_added_when_it_fits() -> None:
    text = "Alpha beta. Gamma delta. Refunds take days. Refunds need a receipt. Omega."
    snippet = select_snippet(text, weights("refunds receipt days"), max_chars=300)
    assert snippet.plain == "… Refunds take days. Refunds need a receipt. …"


def test_long_sentence_is_cut_around_its_matches_on_word_boundaries() -> None:
    words = [f"filler{i}" for i in range(200)]
    words[150] = "treasure"
    text = " ".join(words) + "."
    snippet = select_snippet(text, weights("treasure"), max_chars=120)
    plain = snippet.plain
    assert len(plain) <= 120
    assert plain.startswith("… ") and plain.endswith(" …")
    assert "treasure" in plain
    before, after = plain.split("treasure")
    assert abs(len(before) - len(after)) < 20  # the match sits near the middle
    assert all(w.startswith("filler") or w in {"…", "treasure"} for w in plain.split())


def test_snippet_never_exceeds_the_budget_on_the_seed(seed_service) -> None:  # type: ignore[no-untyped-def]
    for passage in seed_service.passages:
        for query in ["north korea", "satellite technology russia", "trump biden japan"]:
            assert len(select_snippet(passage.text, weights(query)).plain) <= SNIPPET_CHARS


def test_citation_escapes_the_title() -> None:
    assert citation("**Rules** @everyone", "rules#1", 3.14159) == (
        "— \\*\\*Rules\\*\\* @\u200beveryone · `rules#1` · score 3.14"
    )


def test_citation_shows_the_section_and_links_to_it() -> None:
    assert citation(
        "Install *guide*",
        "install#2",
        5.461,
        section="Installation › Linux [beta]",
        link="https://docs.example/install.html#linux",
    ) == (
        "— [Install \\*guide\\* › Installation › Linux \\[beta\\]]"
        "(https://docs.example/install.html#linux) · `install#2` · score 5.46"
    )


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)//https://x.example", None),
        ("data:text/html,hi", None),
        ("https://docs.example/a b", None),
        ("https://docs.example/" + "a" * 2100, None),
        ("https://docs.example/f(x)#y", "https://docs.example/f%28x%29#y"),
        ("https://docs.example/@everyone", "https://docs.example/%40everyone"),
    ],
)
def test_only_a_web_address_becomes_a_citation_link(link: str, target: str | None) -> None:
    cited = citation("Guide", "guide#1", 1.0, link=link)
    if target is None:
        assert cited == "— Guide · `guide#1` · score 1.00"
    else:
        assert cited == f"— [Guide]({target}) · `guide#1` · score 1.00"
