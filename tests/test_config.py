"""Settings: the shipped ``.env.example`` works as a ``.env`` unchanged, as the README says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.mark.usefixtures("clean_environment")
def test_env_example_copied_to_env_loads_with_the_defaults() -> None:
    """Every variable in .env.example is a setting, and the file as shipped is valid."""
    names = re.findall(r"^([A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE)
    assert sorted(names) == sorted(name.upper() for name in Settings.model_fields)
    settings = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.sync_guild_id is None and settings.discord_token is None
    assert settings.discord_api_base is None and settings.query_log_user_salt is None
    assert settings == Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.usefixtures("clean_environment")
def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNC_GUILD_ID", "DISCORD_TOKEN", "DISCORD_GATEWAY_URL", "INDEX_CACHE_DIR"):
        monkeypatch.setenv(name, "  ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.sync_guild_id is None and settings.discord_token is None
    assert settings.discord_gateway_url is None and settings.index_cache_dir is None
    monkeypatch.setenv("SYNC_GUILD_ID", "123")
    assert Settings(_env_file=None).sync_guild_id == 123  # type: ignore[call-arg]


@pytest.mark.usefixtures("clean_environment")
def test_a_mistyped_moderator_permission_is_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caught when the settings load ("bad setting"), not after login inside setup_hook."""
    monkeypatch.setenv("MODERATOR_PERMISSION", "moderate_members")
    assert Settings(_env_file=None).moderator_permission == "moderate_members"  # type: ignore[call-arg]
    monkeypatch.setenv("MODERATOR_PERMISSION", "manage_message")
    with pytest.raises(ValueError, match="'manage_message' is not a Discord permission"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize(
    ("value", "kept"), [("auto", "auto"), ("AUTO", "auto"), ("de", "de"), ("pt-BR", "pt")]
)
def test_corpus_language_is_auto_or_a_language_code(
    monkeypatch: pytest.MonkeyPatch, value: str, kept: str
) -> None:
    monkeypatch.setenv("CORPUS_LANGUAGE", value)
    assert Settings(_env_file=None).corpus_language == kept  # type: ignore[call-arg]


@pytest.mark.usefixtures("clean_environment")
def test_a_corpus_language_that_is_no_code_is_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORPUS_LANGUAGE", "German")
    with pytest.raises(ValueError, match="CORPUS_LANGUAGE is auto or an ISO 639-1 code"):
        Settings(_env_file=None)  # type: ignore[call-arg]
