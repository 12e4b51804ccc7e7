"""Log lines as text or JSON objects, with every secret setting blanked out of both."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from pydantic import SecretStr

from bot.config import Settings
from bot.observability.logs import JsonFormatter, Redactor, TextFormatter, secret_values

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.secret-token-value"


def record_of(message: str, *args: object, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, args, exc_info)


def raised(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError as error:
        return error


def test_a_json_line_has_time_level_logger_message_and_exception() -> None:
    line = JsonFormatter(Redactor([])).format(
        record_of("answered %d in %s", 3, "0.1 s", error=raised("boom"))
    )
    entry = json.loads(line)
    assert sorted(entry) == ["exception", "level", "logger", "message", "time"]
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test"
    assert entry["message"] == "answered 3 in 0.1 s"
    assert entry["time"].endswith("+00:00")
    assert entry["exception"].startswith("Traceback") and "RuntimeError: boom" in entry["exception"]
    assert "\n" not in line


def test_a_json_line_without_an_exception_has_none() -> None:
    entry = json.loads(JsonFormatter(Redactor([])).format(record_of("hello «world» \n 2")))
    assert entry["message"] == "hello «world» \n 2" and "exception" not in entry


def test_the_token_never_reaches_a_line_in_either_format() -> None:
    redactor = Redactor([TOKEN])
    for formatter in (JsonFormatter(redactor), TextFormatter(redactor)):
        line = formatter.format(
            record_of("login with %s failed", TOKEN, error=raised(f"bad token {TOKEN}"))
        )
        assert TOKEN not in line
        assert line.count("[redacted]") == 2


def test_values_too_short_to_be_secrets_blank_nothing() -> None:
    redactor = Redactor(["", "   ", "failed"])
    assert redactor.clean("login failed") == "login failed"


def test_the_secret_settings_are_the_token_and_the_salt() -> None:
    settings = Settings(
        discord_token=SecretStr(TOKEN), query_log_user_salt=SecretStr("s" * 20), _env_file=None
    )
    assert sorted(secret_values(settings)) == sorted([TOKEN, "s" * 20])


def test_a_secret_database_url_blanks_its_password_alone_too() -> None:
    """A driver's error can quote the password without the rest of the URL."""
    url = "postgresql://corpusbot:p%40ss-w0rd-long@db.internal:5432/log"

    class WithUrl(Settings):
        query_log_url: SecretStr | None = None

    secrets = secret_values(WithUrl(query_log_url=SecretStr(url), _env_file=None))
    assert secrets == [url, "p@ss-w0rd-long"]
    assert (
        Redactor(secrets).clean(f"{url} refused p@ss-w0rd-long") == "[redacted] refused [redacted]"
    )


def test_corpusbot_logs_json_lines_with_log_format_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real command: every stderr line is a JSON object (tests/e2e/test_metrics.py runs
    the bot itself, which holds the token)."""
    (tmp_path / "a.txt").write_text("Apples are red and grow on trees.")
    # pypdf's own complaint about a damaged PDF is logged at debug level, -v's only.
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 damaged")
    env = {
        "LOG_FORMAT": "json",
        "DISCORD_TOKEN": TOKEN,
        "CORPUS_DIR": str(tmp_path),
        "INDEX_CACHE_DIR": "",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "-v", "ask", "apples", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stderr.splitlines()
    assert lines
    entries = [json.loads(line) for line in lines]
    assert {entry["level"] for entry in entries} >= {"DEBUG"}
    assert TOKEN not in done.stderr + done.stdout
