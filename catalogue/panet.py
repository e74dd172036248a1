"""The PaNET technique vocabulary (reasoned hierarchy), read from the versioned TSV shipped with the code.

Pure Python: ingestion and the search API use it in memory; `load_panet` copies it into the Technique table.
"""

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from django.conf import settings

PURL_PREFIX = "http://purl.org/pan-science/PaNET/"


@dataclass(frozen=True)
class PanetTerm:
    id: str
    label: str
    alt_labels: tuple[str, ...]
    definition: str
    parents: tuple[str, ...]
    ancestors: tuple[str, ...]
    is_concept: bool

    @property
    def purl(self) -> str:
        return PURL_PREFIX + self.id


def read_terms(path: Path) -> list[PanetTerm]:
    with path.open(encoding="utf-8") as handle:
        lines = [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    terms = []
    for row in rows:
        record = dict(zip(header, row, strict=False))
        terms.append(
            PanetTerm(
                id=record["id"],
                label=record["label"],
                alt_labels=tuple(label for label in record.get("alt_labels", "").split("|") if label),
                definition=record.get("definition", ""),
                parents=tuple(p for p in record.get("parents", "").split(";") if p),
                ancestors=tuple(a for a in record.get("ancestors", "").split(";") if a),
                is_concept=record.get("kind") == "concept",
            )
        )
    return terms


@dataclass(frozen=True)
class Vocabulary:
    terms: dict[str, PanetTerm]
    children: dict[str, frozenset[str]]

    def descendants(self, term_id: str) -> frozenset[str]:
        """The term and every term that has it among its reasoned ancestors."""
        return self.children.get(term_id, frozenset()) | {term_id}

    def find(self, text: str) -> list[PanetTerm]:
        """Terms matching a PURL, an id, a label or a synonym (case-insensitive); techniques before concepts."""
        key = text.strip()
        if key.startswith(PURL_PREFIX):
            key = key[len(PURL_PREFIX) :]
        if key in self.terms:
            return [self.terms[key]]
        lowered = key.lower()
        matches = [
            term
            for term in self.terms.values()
            if term.label.lower() == lowered or lowered in (alt.lower() for alt in term.alt_labels)
        ]
        return sorted(matches, key=lambda term: (term.is_concept, term.id))

    def labelled(self, text: str) -> frozenset[str]:
        """Ids of the terms with this label or synonym, compared by label_key."""
        return self._by_label.get(label_key(text), frozenset())

    @cached_property
    def _by_label(self) -> dict[str, frozenset[str]]:
        ids: dict[str, set[str]] = {}
        for term in self.terms.values():
            for label in (term.label, *term.alt_labels):
                ids.setdefault(label_key(label), set()).add(term.id)
        return {key: frozenset(value) for key, value in ids.items()}


def label_key(text: str) -> str:
    """A label as matched: case and runs of white space do not count."""
    return " ".join(text.split()).lower()


@cache
def vocabulary() -> Vocabulary:
    terms = {term.id: term for term in read_terms(settings.PANET_TERMS_FILE)}
    children: dict[str, set[str]] = {}
    for term in terms.values():
        for ancestor in term.ancestors:
            children.setdefault(ancestor, set()).add(term.id)
    return Vocabulary(terms=terms, children={key: frozenset(value) for key, value in children.items()})
