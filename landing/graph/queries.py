"""One SPARQL query in a child process: open the published generation read-only, evaluate, serialise at most `cap`
results in the first acceptable format. No Django here: the child is forked from a clean forkserver.

Oxigraph cannot cancel a query, so the time limit is the parent killing this process (landing.graph.sparql).
"""

import json
from collections.abc import Mapping
from multiprocessing.connection import Connection
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": pyoxigraph.RdfFormat.TURTLE,
    "application/n-triples": pyoxigraph.RdfFormat.N_TRIPLES,
    "application/rdf+xml": pyoxigraph.RdfFormat.RDF_XML,
    "application/ld+json": pyoxigraph.RdfFormat.JSON_LD,
}
DEFAULT_SELECT = "application/sparql-results+json"
DEFAULT_GRAPH = "text/turtle"
RESULT_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal


def _choose(accepted: list[str], types: Mapping[str, object], default: str) -> str:
    return next((media for media in accepted if media in types), default)


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    value: dict[str, str] = {"type": "literal", "value": term.value}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        value["datatype"] = term.datatype.value
    return value


def _xml_term(term: Term) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, pyoxigraph.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _text_term(term: Term | None, *, tsv: bool) -> str:
    if term is None:
        return ""
    if not tsv:
        text = term.value
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text
    return str(term).replace("\t", "\\t").replace("\n", "\\n")


def serialise_select(variables: list[str], rows: list[list[Term | None]], kind: str) -> bytes:
    """SPARQL 1.1 Query Results in JSON, XML, CSV or TSV."""
    if kind == "json":
        bindings = [
            {name: _json_term(term) for name, term in zip(variables, row, strict=True) if term is not None}
            for row in rows
        ]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()
    if kind == "xml":
        head = "".join(f"<variable name={quoteattr(name)}/>" for name in variables)
        results = "".join(
            "<result>"
            + "".join(
                f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
                for name, term in zip(variables, row, strict=True)
                if term is not None
            )
            + "</result>"
            for row in rows
        )
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{head}</head><results>{results}</results></sparql>"
        ).encode()
    tsv = kind == "tsv"
    separator = "\t" if tsv else ","
    lines = [separator.join(("?" + name) if tsv else name for name in variables)]
    lines += [separator.join(_text_term(term, tsv=tsv) for term in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def serialise_boolean(value: bool, kind: str) -> bytes:
    if kind == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>"
        ).encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def evaluate(
    *, path: str, query: str, accepted: list[str], cap: int, prefixes: dict[str, str]
) -> tuple[str, bytes, str, bool]:
    """("ok", body, media type, truncated) or ("bad", parser message, "", False)."""
    store = pyoxigraph.Store.read_only(path)
    try:
        results = store.query(query, prefixes=prefixes, use_default_graph_as_union=True)
    except SyntaxError as error:
        return "bad", str(error).encode(), "", False
    if isinstance(results, pyoxigraph.QueryBoolean):
        media = _choose(accepted, {k: v for k, v in SELECT_TYPES.items() if v in ("json", "xml")}, DEFAULT_SELECT)
        kind = SELECT_TYPES[media]
        return "ok", serialise_boolean(bool(results), kind), RESULT_MEDIA[kind], False
    if isinstance(results, pyoxigraph.QuerySolutions):
        media = _choose(accepted, SELECT_TYPES, DEFAULT_SELECT)
        kind = SELECT_TYPES[media]
        variables = [variable.value for variable in results.variables]
        rows: list[list[Term | None]] = []
        for solution in results:
            if len(rows) == cap:
                return "ok", serialise_select(variables, rows, kind), RESULT_MEDIA[kind], True
            rows.append([solution[name] for name in variables])
        return "ok", serialise_select(variables, rows, kind), RESULT_MEDIA[kind], False
    media = _choose(accepted, GRAPH_TYPES, DEFAULT_GRAPH)
    triples: list[pyoxigraph.Triple] = []
    for triple in results:
        if len(triples) == cap:
            break
        triples.append(triple)
    body = pyoxigraph.serialize(triples, format=GRAPH_TYPES[media], prefixes=prefixes)
    assert body is not None  # serialize returns the bytes when given no output file
    return "ok", body, media, len(triples) == cap and next(iter(results), None) is not None


def run_in_child(
    connection: Connection, path: str, query: str, accepted: list[str], cap: int, prefixes: dict[str, str]
) -> None:
    """The child's entry point: evaluate and send the outcome back over the pipe."""
    try:
        outcome = evaluate(path=path, query=query, accepted=accepted, cap=cap, prefixes=prefixes)
    except Exception as error:  # reported to the caller, who answers the client with it
        outcome = ("error", f"{type(error).__name__}: {error}".encode(), "", False)
    connection.send(outcome)
    connection.close()
