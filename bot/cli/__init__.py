"""The ``corpusbot`` command: ``main`` parses and dispatches; each command family (the bot,
the corpus, the query log) has its own module, and ``eval`` comes from :mod:`bot.evaluation`."""

from bot.cli.main import main

__all__ = ["main"]
