"""Discord message budgets and the per-member rate limit, without a Discord connection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.discord_bot import replies
from bot.discord_bot.ratelimit import SearchCooldown, UserRateLimiter
from bot.discord_bot.style import DESCRIPTION_LIMIT, FIELD_LIMIT
from bot.discord_bot.views import PostPubliclyButton
from bot.i18n.catalog import EN, ENGLISH, SHIPPED, messages_for
from bot.search.service import SearchService
from tests.conftest import DATA


def test_fit_blocks_drops_whole_results_before_cutting() -> None:
    blocks = ["a" * 100, "b" * 100, "c" * 100]
    assert replies.fit_blocks(blocks, 250) == "a" * 100 + "\n\n" + "b" * 100
    assert replies.fit_blocks(blocks, 1000).count("\n\n") == 2


def test_fit_escaped_cuts_plain_text_on_a_word_boundary_then_escapes() -> None:
    plain = "**bold** " * 100
    fitted = replies.fit_escaped(plain, 200)
    assert len(fitted) <= 200
    assert fitted.endswith("…")
    # Every asterisk is escaped: the cut never leaves half a Markdown token.
    assert not re.search(r"(?<!\\)\*", fitted)


def test_answer_fits_discord_limits_even_for_huge_passages(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(5000))
    (tmp_path / "big.txt").write_text(("**" + words + "** zebra. ") * 3)
    service = SearchService.from_folder(tmp_path, max_words=120)
    response = service.search("zebra word1", limit=5)
    reply = replies.answer(response, 5, EN)
    [embed] = reply.embeds
    assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert len(embed) <= 6000
    assert reply.view is not None and len(reply.view.children) <= 25
    for hit in response.hits:
        source = replies.source(service.open(hit.passage.id), EN)  # type: ignore[arg-type]
        assert len(source.embeds[0].description or "") <= DESCRIPTION_LIMIT
        assert len(source.embeds[0]) <= 6000


def test_question_is_read_back_from_the_answer(seed_service: SearchService) -> None:
    question = "What about <@123> & **North Korea**?"
    reply = replies.answer(seed_service.search(question), 3, EN)

    class Message:
        embeds = reply.embeds

    assert replies.question_of(Message()) == question  # type: ignore[arg-type]
    assert replies.question_of(None) is None


@pytest.mark.parametrize("locale", [ENGLISH, *SHIPPED])
def test_question_is_read_back_whatever_language_asked(
    seed_service: SearchService, locale: str
) -> None:
    """ "More results" can be pressed by a member whose language is not the asker's."""
    question = "F: Q: satellite launch"
    reply = replies.answer(seed_service.search(question), 3, messages_for(locale))

    class Message:
        embeds = reply.embeds

    assert replies.question_of(Message()) == question  # type: ignore[arg-type]


def test_an_answer_in_german_quotes_the_corpus_unchanged(seed_service: SearchService) -> None:
    response = seed_service.search("north korea satellite")
    english = replies.answer(response, 3, EN)
    german = replies.answer(response, 3, messages_for("de"))
    assert german.embeds[0].description == english.embeds[0].description  # the quotes
    assert german.embeds[0].footer.text != english.embeds[0].footer.text
    assert "Aus den Dokumenten zitiert" in (german.embeds[0].footer.text or "")
    labels = [getattr(item.item, "label", None) for item in german.items]
    assert "Öffnen 1" in labels and "Open 1" not in labels


def test_rate_limiter_is_a_sliding_window_per_user() -> None:
    now = [0.0]
    limiter = UserRateLimiter(rate=2, per=10.0, clock=lambda: now[0])
    limiter.check(1)
    limiter.check(1)
    limiter.check(2)
    with pytest.raises(SearchCooldown) as raised:
        limiter.check(1)
    assert raised.value.retry_after == pytest.approx(10.0)
    now[0] = 4.0
    with pytest.raises(SearchCooldown) as raised:
        limiter.check(1)
    assert raised.value.retry_after == pytest.approx(6.0)
    now[0] = 10.0
    limiter.check(1)  # the first search left the window


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.com/a?b=c#d", True),
        ("http://example.com/", True),
        ("https://example.com/a b", False),  # Discord: "Not a well formed URL"
        ("https://example.com/" + "a" * 2100, False),
        ("javascript:alert(1)", False),
        ("ftp://example.com/file", False),
        ("", False),
    ],
)
def test_source_links_only_urls_discord_accepts(tmp_path: Path, url: str, linked: bool) -> None:
    record = {"id": "r1", "title": "Linked", "text": "Otters hold hands.", "url": url}
    (tmp_path / "feed.jsonl").write_text(json.dumps(record) + "\n")
    service = SearchService.from_folder(tmp_path)
    [embed] = replies.source(service.open("feed/r1"), EN).embeds  # type: ignore[arg-type]
    assert embed.url == (url if linked else None)
    if url:
        assert len(embed) <= 6000 and embed.fields[-1].name == "Source"


def test_a_listing_page_shows_every_row_it_holds() -> None:
    """Escaping can double a logged line (a name like ``__xX_sniper_Xx__``, a pasted question
    full of ``*_|``): all ten rows of the page are still listed, each cut, rather than the last
    ones left out, which no other page would show either."""
    from bot.discord_bot.exts.moderation import _embeds as moderation_replies
    from bot.querylog.listings import Page

    line = (
        "2025-01-31 12:00:00 · __xX_sniper_Xx__ (123456789012345678) · /ask “"
        + "||*_~`| " * 19
        + "” → answered · top faq_install_guide_v2#3 (1.23)"
    )
    page = Page(rows=[line] * 25, page=0, total=25)
    lines = [f"{n} {line}" for n in range(10)]
    embed = moderation_replies.listing("Recent questions", lines, page, "all queries", EN)
    shown = (embed.description or "").split("\n")
    assert [entry.split()[0] for entry in shown] == [str(n) for n in range(10)]
    assert len(embed.description or "") <= DESCRIPTION_LIMIT and len(embed) <= 6000


def test_source_field_fits_when_a_backtick_makes_it_escaped_text(tmp_path: Path) -> None:
    """A source that cannot be inline code (it holds a backtick) is shown escaped, and escaping
    can double it: the field still fits Discord's 1,024 characters, or the whole message is
    refused."""
    url = "https://example.com/" + "`snake_case`_" * 75
    record = {"id": "r1", "title": "Odd link", "text": "Otters hold hands.", "url": url}
    (tmp_path / "feed.jsonl").write_text(json.dumps(record) + "\n")
    service = SearchService.from_folder(tmp_path)
    [embed] = replies.source(service.open("feed/r1"), EN).embeds  # type: ignore[arg-type]
    source = embed.fields[-1]
    assert source.name == "Source" and source.value
    assert len(source.value) <= FIELD_LIMIT and "example.com" in source.value


def test_source_of_a_page_section_shows_it_and_links_to_its_anchor() -> None:
    service = SearchService.from_folder(DATA / "formats")
    [embed] = replies.source(service.open("install#2"), EN).embeds  # type: ignore[arg-type]
    assert embed.url == "https://docs.lantern.example/install.html#linux"
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Section"] == "Installation › Linux"
    assert fields["Source"] == "`https://docs.lantern.example/install.html#linux`"
    [answer] = replies.answer(service.search("install with apt on linux", 1), 1, EN).embeds
    assert answer.description is not None
    assert "[Installation - Lantern Server Guide › Installation › Linux]" in answer.description
    assert "(https://docs.lantern.example/install.html#linux)" in answer.description
    [german] = replies.source(service.open("install#2"), messages_for("de")).embeds  # type: ignore[arg-type]
    assert {f.name: f.value for f in german.fields}["Abschnitt"] == "Installation › Linux"


@pytest.mark.parametrize("locale", [ENGLISH, *SHIPPED])
def test_a_forum_answer_says_how_to_ask_again_within_the_footer_limit(
    seed_service: SearchService, locale: str
) -> None:
    words = messages_for(locale)
    response = seed_service.search("What does Russia plan to give North Korea?")
    reply = replies.forum_answer(response, 3, words)
    footer = reply.embeds[0].footer.text or ""
    assert footer.endswith(words("footer.ask_again")) and len(footer) <= 2048
    assert footer.startswith(replies.answer(response, 3, words).embeds[0].footer.text or "")


def test_with_item_puts_a_button_after_the_answers_own(seed_service: SearchService) -> None:
    reply = replies.answer(seed_service.search("North Korea satellite"), 3, EN)
    before = len(reply.view.children) if reply.view else 0
    reply = replies.with_item(reply, PostPubliclyButton(42))
    assert reply.view is not None and len(reply.view.children) == before + 1
    assert reply.view.children[-1].custom_id == "cb:post:42"  # type: ignore[attr-defined]
