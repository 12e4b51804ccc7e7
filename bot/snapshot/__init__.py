"""A corpus snapshot (passage store and BM25 index, built together): built, cached on disk and
memory-mapped on the next start."""
