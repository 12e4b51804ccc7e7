"""The process log: text lines for a terminal, or JSON objects (``LOG_FORMAT=json``) for a log
collector; secrets are blanked out of both."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from bot.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# Shorter values are not blanked: they would match ordinary words and numbers.
MIN_SECRET_CHARS = 8


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value (the token, the salt, a database URL and the password in
    it, which a driver's error may quote alone), for the log to blank out."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    secrets = [value.get_secret_value() for value in values if isinstance(value, SecretStr)]
    return secrets + [password for secret in secrets if (password := _url_password(secret))]


def _url_password(text: str) -> str | None:
    """The password of a ``scheme://user:password@host/…`` URL, if ``text`` is one."""
    if "://" not in text:
        return None
    try:
        return unquote(urlsplit(text).password or "") or None
    except ValueError:
        return None


class Redactor:
    """Replaces each secret in a text by ``[redacted]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is blanked whole.
        self.secrets = sorted(
            {s for s in secrets if len(s.strip()) >= MIN_SECRET_CHARS}, key=len, reverse=True
        )

    def clean(self, text: str) -> str:
        """``text`` with no secret left in it."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(logging.Formatter):
    """The usual one-line format, secrets blanked (the traceback's too)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The line as ``logging`` writes it, with no secret in it."""
        return self.redactor.clean(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the exception's
    traceback when there is one."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON, with no secret in it."""
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redactor.clean(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.redactor.clean(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = self.redactor.clean(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redactor.clean(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str, secrets: Iterable[str] = ()) -> None:
    """Send the process log to stderr as text or JSON lines, blanking ``secrets``.

    In JSON, warnings go through the log too, so every line a collector reads is an object.
    """
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter(redactor) if json_lines else TextFormatter(redactor))
    logging.basicConfig(level=level, handlers=[handler])
    if json_lines:
        logging.captureWarnings(True)
