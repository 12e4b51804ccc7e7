"""corpusbot: answer questions by quoting a document corpus, ranked with BM25.

One package per layer, each importing only those below it: corpus → analysis → storage →
index → snapshot → search → present, with the command line (``cli``) and the Discord bot
(``discord_bot``) as thin shells over :class:`bot.search.service.SearchService`.
"""

__version__ = "0.1.0"
