"""Settings from the environment and ``.env``; every one is documented in ``.env.example``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.index import BM25Parameters


class Settings(BaseSettings):
    """Typed settings; environment variables win over ``.env``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), description="Folder of .txt/.md/.jsonl documents.")
    bm25_k1: float = Field(1.2, ge=0.0, le=10.0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")
    passage_min_words: int = Field(
        40, ge=1, description="A passage closes at a paragraph end once it has this many words."
    )
    passage_max_words: int = Field(120, ge=10, description="No passage is longer than this.")

    @property
    def bm25(self) -> BM25Parameters:
        """The ranking parameters as the index takes them."""
        return BM25Parameters(k1=self.bm25_k1, b=self.bm25_b)
