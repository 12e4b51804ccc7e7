"""The metrics and log settings: empty means off, and a bad value is named, never quoted."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings, invalid_settings


def test_metrics_are_off_and_logs_text_by_default() -> None:
    settings = Settings(_env_file=None)
    assert (settings.metrics_port, settings.metrics_host, settings.log_format) == (
        None,
        "127.0.0.1",
        "text",
    )


def test_an_empty_metrics_port_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_PORT", "")
    assert Settings(_env_file=None).metrics_port is None
    monkeypatch.setenv("METRICS_PORT", "0")
    assert Settings(_env_file=None).metrics_port == 0


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT: Input should be 'text' or 'json'"),
        ("METRICS_PORT", "70000", "METRICS_PORT: Input should be less than or equal to 65535"),
        ("METRICS_PORT", "nine", "METRICS_PORT: Input should be a valid integer"),
    ],
)
def test_a_bad_value_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None)
    [line] = invalid_settings(raised.value)
    assert line.startswith(problem) and value not in line.removeprefix(name)
