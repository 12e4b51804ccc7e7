"""Text to index terms: words, case, accents, stop words and stemming, the same for passages
and queries."""
