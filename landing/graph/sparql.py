"""The read-only SPARQL 1.1 endpoint's service: each query runs in a child process (forked by a forkserver) over
the newest published generation, killed at SPARQL_TIMEOUT_SECONDS, with at most SPARQL_MAX_RESULTS results."""

import multiprocessing
import re
from dataclasses import dataclass

from django.conf import settings

from landing.graph import store
from landing.graph.queries import run_in_child
from landing.graph.vocabulary import PREFIXES

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["landing.graph.queries"])


class QueryError(Exception):
    """The query could not be answered; `status` is the HTTP status to say so with."""

    status = 500


class BadQuery(QueryError):
    status = 400


class TooSlow(QueryError):
    status = 503


class NotBuilt(QueryError):
    status = 503


# SERVICE (a federated query) would make this server fetch any address a visitor names, inside the facility's network
# too: the endpoint answers from its own graph only. The keyword is looked for outside strings, IRIs and comments, with
# codepoint escapes read first (SPARQL 1.1 §19.2 allows them anywhere); a prefixed name or variable may be "service".
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NOT_CODE = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'(?:[^\\]|\\.)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r"|<[^<>\"{}|^`\\\s]*>|#[^\n]*",
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![\w:?$-])SERVICE(?![\w:-])", re.IGNORECASE)
# Oxigraph's parser recurses once a nesting level and overflows its stack in the low thousands (the query process
# dies: no answer, no message); real queries nest a handful of levels.
MAX_NESTING = 200


def calls_a_service(query: str) -> bool:
    return _SERVICE.search(_code_of(query)) is not None


def nesting_of(query: str) -> int:
    """How deep the query's groups, expressions and blank nodes nest: (, [ and { outside strings, IRIs, comments."""
    depth = deepest = 0
    for character in _code_of(query):
        if character in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]}":
            depth = max(depth - 1, 0)
    return deepest


def _code_of(query: str) -> str:
    """The query with codepoint escapes read and its strings, IRIs and comments blanked."""
    decoded = _ESCAPE.sub(lambda escape: chr(min(int(escape.group(1) or escape.group(2), 16), 0x10FFFF)), query)
    return _NOT_CODE.sub(" ", decoded)


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    truncated: bool


def prefixes() -> dict[str, str]:
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def run(*, query: str, accepted: list[str]) -> Answer:
    """Evaluate `query` (SELECT, ASK, CONSTRUCT or DESCRIBE) in the first of `accepted` media types that fits.

    Raises BadQuery with the parser's message, TooSlow past the time limit, NotBuilt before the first build.
    """
    if calls_a_service(query):
        raise BadQuery("SERVICE (a federated query) is not offered: this endpoint answers from its own graph only")
    if (nesting := nesting_of(query)) > MAX_NESTING:
        raise BadQuery(f"the query nests its brackets {nesting} levels deep; this endpoint takes at most {MAX_NESTING}")
    generation = store.current_generation()
    if generation is None:
        raise NotBuilt("the graph store has not been built yet (manage.py rebuild_graph)")
    receiving, sending = _context.Pipe(duplex=False)
    arguments = (
        sending,
        str(store.generation_path(generation)),
        query,
        accepted,
        settings.SPARQL_MAX_RESULTS,
        prefixes(),
    )
    child = _context.Process(target=run_in_child, args=arguments, daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(settings.SPARQL_TIMEOUT_SECONDS):
            raise TooSlow(
                f"the query ran longer than the limit of {settings.SPARQL_TIMEOUT_SECONDS:g} s and was stopped"
            )
        try:
            status, body, media_type, truncated = receiving.recv()
        except EOFError:
            raise QueryError("the query process ended without an answer") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiving.close()
    if status == "bad":
        raise BadQuery(body.decode())
    if status == "error":
        raise QueryError(body.decode())
    return Answer(body=body, media_type=media_type, truncated=truncated)
