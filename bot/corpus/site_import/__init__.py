"""``corpusbot import-site``: a web site's pages copied into a corpus folder as HTML files
(each with a canonical link naming its URL), kept current by re-running it."""

from bot.corpus.site_import.crawl import ImportOptions, ImportReport, ImportStopped, import_site
from bot.corpus.site_import.state import ForeignFolder
from bot.corpus.site_import.urls import BadSiteUrl

__all__ = [
    "BadSiteUrl",
    "ForeignFolder",
    "ImportOptions",
    "ImportReport",
    "ImportStopped",
    "import_site",
]
