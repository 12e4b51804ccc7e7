"""Speed and memory of corpusbot's index beside rank-bm25, bm25s, tantivy: ``python -m bench``."""
