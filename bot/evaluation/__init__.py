"""Retrieval-quality evaluation: BEIR data sets and QA files (``corpusbot eval``)."""

from bot.evaluation.cli import register

__all__ = ["register"]
