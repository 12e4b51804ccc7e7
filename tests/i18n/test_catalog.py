"""The message catalog: every shipped language has every message, with English's
placeholders, and every message fits the place Discord shows it in."""

from __future__ import annotations

import tomllib
import unicodedata

import discord
import pytest

from bot.i18n.catalog import (
    EN,
    ENGLISH,
    LOCALES,
    SHIPPED,
    Messages,
    UnknownMessage,
    messages_for,
    placeholders,
    texts,
)

LANGUAGES = [ENGLISH, *SHIPPED]

# Discord's limits by where a message goes (the catalog's first key part, or the key's last).
COMMAND_NAME_LIMIT = 32
COMMAND_DESCRIPTION_LIMIT = 100
LIMITS = {
    "choice": 100,  # a choice's name
    "button": 80,  # a button's label
    "title": 256,  # an embed's title
    "field": 256,  # an embed field's name
    "footer": 2048,  # an embed's footer
}
MESSAGE_LIMIT = 2000  # everything else: an embed's text (4,096), within a message's content too

# The longest value the code fills each placeholder with.
LONGEST = {
    "rank": 4,
    "first": 7,
    "last": 7,
    "total": 7,
    "page": 7,
    "pages": 7,
    "described": 1500,  # the footer is cut to fit; the rest of it must leave room
    "days": 5,
    "words": 600,  # ten missing words, quoted and escaped, from a 250-character question
    "word": 60,
    "position": 7,
    "count": 10,
    "id": 210,  # shortened to 200, in backticks
    "ids": 600,
    "wait": 6,
    "limit": 6,
    "error_id": 8,
    "thanks": 200,
    "queries": 10,
    "votes": 10,
    "seconds": 10,
    "reason": 300,
    "time": 16,
    "score": 10,
    "when": 80,
    "filters": 1000,
    "how": 120,
    "parts": 3,
    "before": 16,
    "documents": 7,
    "passages": 9,
    "shown": 520,  # five document ids
    "more": 6,
    "changes": 1650,  # added, changed and removed, five ids each
    "skipped": 40,
    "label": 600,  # a section's headings, escaped
    "channel": 25,  # a channel mention, <#snowflake>
    "forums": 1000,  # the server's help forums, mentioned
}


def test_every_language_has_every_message_and_no_other() -> None:
    english = set(texts(ENGLISH))
    for locale in SHIPPED:
        assert set(texts(locale)) == english, locale


def test_every_file_under_locales_is_a_shipped_language() -> None:
    assert sorted(path.stem for path in LOCALES.glob("*.toml")) == sorted(LANGUAGES)
    for path in LOCALES.glob("*.toml"):
        tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML, UTF-8


def test_shipped_languages_are_discord_locales() -> None:
    assert all(discord.Locale(locale) for locale in SHIPPED)


@pytest.mark.parametrize("locale", SHIPPED)
def test_placeholders_match_english(locale: str) -> None:
    wrong = {
        key: sorted(placeholders(template))
        for key, template in texts(locale).items()
        if placeholders(template) != placeholders(EN.template(key))
    }
    assert wrong == {}


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_placeholder_has_a_longest_value(locale: str) -> None:
    used = set().union(*(placeholders(template) for template in texts(locale).values()))
    assert used <= set(LONGEST)


def longest(template: str) -> str:
    return template.format(**{name: "x" * LONGEST[name] for name in placeholders(template)})


def limit_of(key: str) -> int:
    if key.startswith(("command.", "option.")):
        return COMMAND_NAME_LIMIT if key.endswith(".name") else COMMAND_DESCRIPTION_LIMIT
    return LIMITS.get(key.partition(".")[0], MESSAGE_LIMIT)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_message_fits_where_discord_shows_it(locale: str) -> None:
    too_long = {
        key: (len(longest(template)), limit_of(key))
        for key, template in texts(locale).items()
        if len(longest(template)) > limit_of(key)
    }
    assert too_long == {}


def is_command_name(name: str) -> bool:
    """Discord's ``^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lower-case where the
    script has case (the shipped languages need no Devanagari or Thai marks)."""
    allowed = all(char in "-_" or unicodedata.category(char)[0] in "LN" for char in name)
    return 1 <= len(name) <= COMMAND_NAME_LIMIT and allowed and name == name.lower()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_command_and_option_names_are_valid_discord_names(locale: str) -> None:
    names = {
        key: name
        for key, name in texts(locale).items()
        if key.startswith(("command.", "option.")) and key.endswith(".name")
    }
    assert names and {key: name for key, name in names.items() if not is_command_name(name)} == {}


def test_discord_name_check_refuses_what_discord_refuses() -> None:
    assert is_command_name("frage") and is_command_name("älter_als_tage")
    assert is_command_name("查询日志") and is_command_name("クエリログ")
    assert not is_command_name("Frage")  # upper case
    assert not is_command_name("zwei wörter")  # a space
    assert not is_command_name("x" * 33)
    assert not is_command_name("・")  # punctuation


@pytest.mark.parametrize(
    ("discord_locale", "language"),
    [
        ("de", "de"),
        ("es-ES", "es-ES"),
        ("es-419", "es-ES"),
        ("fr", "fr"),
        ("pt-BR", "pt-BR"),
        ("ru", "ru"),
        ("zh-CN", "zh-CN"),
        ("ja", "ja"),
        ("en-US", ENGLISH),
        ("en-GB", ENGLISH),
        ("it", ENGLISH),  # not shipped
        ("zh-TW", ENGLISH),  # Traditional readers are not given Simplified
        ("xx-forged", ENGLISH),
        (None, ENGLISH),
    ],
)
def test_a_discord_locale_picks_its_language_or_english(
    discord_locale: str | None, language: str
) -> None:
    assert messages_for(discord_locale).locale == language


def test_a_message_missing_from_a_language_is_english() -> None:
    assert Messages("de")("answer.nothing_found") != EN("answer.nothing_found")
    assert Messages("not-shipped")("answer.nothing_found") == EN("answer.nothing_found")


def test_an_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(UnknownMessage):
        EN("answer.no_such_message")


def test_english_has_no_command_localizations_of_its_own() -> None:
    """Discord's default for a command is its English text; English adds no localization."""
    assert EN.translated("command.ask.name") is None
    assert messages_for("de").translated("command.ask.name") == "frage"
