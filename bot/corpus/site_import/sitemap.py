"""Sitemaps (``<urlset>`` and ``<sitemapindex>``), parsed without trusting them: no entities,
no DTD, no external references (``defusedxml``), so a billion-laughs file is refused at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


@dataclass
class Sitemap:
    """The page URLs of one sitemap file, and the further sitemaps an index file names."""

    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


class BadSitemap(ValueError):
    """A sitemap that is not one, or is hostile; the message says which."""


def parse_sitemap(body: bytes) -> Sitemap:
    """The ``<loc>`` URLs of a sitemap or a sitemap index; raises :class:`BadSitemap`."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise BadSitemap(
            f"refused: it declares a DTD or entities ({type(error).__name__})"
        ) from None
    except ParseError as error:
        raise BadSitemap(f"not valid XML ({error})") from None
    kind = _local_name(root)
    if kind not in {"urlset", "sitemapindex"}:
        raise BadSitemap(f"not a sitemap (its root element is <{kind}>)")
    found = Sitemap()
    for entry in root:
        location = next((child for child in entry if _local_name(child) == "loc"), None)
        if location is None or not (location.text or "").strip():
            continue
        url = (location.text or "").strip()
        (found.pages if kind == "urlset" else found.sitemaps).append(url)
    return found


def _local_name(element: Element) -> str:
    return element.tag.rpartition("}")[2]
