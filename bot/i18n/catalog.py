"""One message catalog: a TOML file per language under ``locales/``, loaded once.

Every text the bot itself says is looked up by a key (``notice.nothing_found``) and filled in
with named placeholders (``{wait}``). A language file may lack a key; English, which has every
key, fills the gap. Corpus text is never in here: it is quoted as it is.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parent / "locales"
ENGLISH = "en"
# Discord's locale codes (``discord.Locale`` values) of the languages shipped beside English.
SHIPPED = ("de", "es-ES", "fr", "pt-BR", "ru", "zh-CN", "ja")
# Discord locales that read one of the shipped files: both Englishes, and Latin-American
# Spanish, which reads Spain's better than English.
ALIASES = {"en-US": ENGLISH, "en-GB": ENGLISH, "es-419": "es-ES"}


class UnknownMessage(KeyError):
    """A key no catalog has: a typo in the code, never the member's doing."""


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"{key} is not text")
    return flat


@cache
def texts(locale: str) -> Mapping[str, str]:
    """Every message of one language file, by dotted key (``{}`` for a language not shipped)."""
    path = LOCALES / f"{locale}.toml"
    if locale not in (ENGLISH, *SHIPPED) or not path.is_file():
        return {}
    with path.open("rb") as file:
        return _flatten(tomllib.load(file))


def placeholders(template: str) -> set[str]:
    """The names a template fills in (``{wait}`` → ``wait``)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def shipped_locale(locale: str | None) -> str:
    """The language file for a Discord locale code; English for any other."""
    if locale is None:
        return ENGLISH
    locale = ALIASES.get(locale, locale)
    return locale if locale in SHIPPED else ENGLISH


@dataclass(frozen=True, slots=True)
class Messages:
    """The bot's words in one language: ``messages("notice.cooldown", wait=3)``."""

    locale: str

    def __call__(self, key: str, /, **values: object) -> str:
        """The message ``key`` with its placeholders filled in."""
        return self.template(key).format(**values)

    def template(self, key: str) -> str:
        """The unfilled message, from this language or else English."""
        template = texts(self.locale).get(key)
        if template is None:
            template = texts(ENGLISH).get(key)
        if template is None:
            raise UnknownMessage(key)
        return template

    def translated(self, key: str) -> str | None:
        """The message only if this language has its own (a command's localization)."""
        return texts(self.locale).get(key) if self.locale != ENGLISH else None


def in_every_language(key: str) -> list[str]:
    """Message ``key`` as each shipped language words it, each once (to read back a marker
    whichever member's language wrote it)."""
    found = (Messages(locale).template(key) for locale in (ENGLISH, *SHIPPED))
    return list(dict.fromkeys(found))


def messages_for(locale: str | None) -> Messages:
    """The messages for a Discord locale code, English when it is not shipped."""
    return Messages(shipped_locale(locale))


EN = Messages(ENGLISH)
