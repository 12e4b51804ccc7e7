"""corpusbot: answer questions by quoting a document corpus, ranked with BM25.

The pipeline reads left to right: corpus → passages → index → search → render, with the
Discord bot and the command line as thin shells over :class:`bot.search.service.SearchService`.
"""

__version__ = "0.1.0"
