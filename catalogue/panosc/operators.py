"""LoopBack operators (spec §3.2.1): operand checks, like-patterns and guarded regexps, shared by the SQL compiler
and by the in-memory evaluator that resolves PaNET terms (and that the differential test uses as its oracle)."""

import re
from collections.abc import Callable

from catalogue.panosc.errors import bad_request

OPERATORS = frozenset(
    {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
        "inq",
        "nin",
        "like",
        "nlike",
        "ilike",
        "nilike",
        "regexp",
        "exists",
    }
)
NEGATIVE = {"neq": "eq", "nin": "inq", "nlike": "like", "nilike": "ilike"}
MAX_LIST_ITEMS = 1000
MAX_PATTERN_LENGTH = 512

# Nested quantifiers ((a+)+, (a*)*, (a|a)+ …) and back-references are what make a regexp engine backtrack for ever.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*?}](?:\)|\|)[^)]*\)?\s*[+*{?]|\)[+*]\s*[+*{]")
_BACKREFERENCE = re.compile(r"\\[1-9]")


def like_to_regex(pattern: str, *, any_run: str = ".*", one: str = ".") -> str:
    """A LoopBack like-pattern as an unanchored regexp: % is any run, _ one character, backslash escapes."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(any_run if char == "%" else one if char == "_" else re.escape(char))
        index += 1
    return "".join(out)


def parse_regexp(operand: object, *, where: str) -> tuple[str, bool]:
    """(pattern, case_insensitive) of a regexp operand, `/pattern/flags` or a bare pattern; rejects catastrophes."""
    if not isinstance(operand, str):
        raise bad_request("INVALID_OPERAND", f"regexp on {where} needs a string")
    pattern, insensitive = operand, False
    match = re.fullmatch(r"/(.*)/([a-z]*)", operand, re.DOTALL)
    if match:
        pattern, flags = match.groups()
        insensitive = "i" in flags
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise bad_request("INVALID_FILTER", f"regexp on {where} is longer than {MAX_PATTERN_LENGTH} characters")
    if _NESTED_QUANTIFIER.search(pattern) or _BACKREFERENCE.search(pattern):
        raise bad_request("INVALID_FILTER", f"regexp on {where} has nested quantifiers or back-references")
    try:
        re.compile(pattern)
    except re.error as error:
        raise bad_request("INVALID_FILTER", f"invalid regexp on {where}: {error}") from None
    return pattern, insensitive


def pattern_of(positive: str, operand: object, *, where: str, any_run: str = ".*", one: str = ".") -> tuple[str, bool]:
    """(pattern, case_insensitive) of a like, ilike or regexp operand (like_to_regex's `any_run` and `one`)."""
    if positive == "regexp":
        return parse_regexp(operand, where=where)
    return like_to_regex(str(operand), any_run=any_run, one=one), positive == "ilike"


def check_list(operator: str, operand: object, *, where: str) -> list:
    if not isinstance(operand, list):
        raise bad_request("INVALID_OPERAND", f"'{operator}' on {where} needs an array")
    if operator == "between" and len(operand) != 2:
        raise bad_request("INVALID_OPERAND", f"'between' on {where} needs exactly 2 items")
    if len(operand) > MAX_LIST_ITEMS:
        raise bad_request("INVALID_OPERAND", f"'{operator}' on {where} has more than {MAX_LIST_ITEMS} items")
    return operand


def string_matcher(operator: str, operand: object, *, where: str) -> Callable[[str | None], bool]:
    """The meaning of one operator on a string value, in Python (PaNET labels; the differential oracle)."""
    positive = NEGATIVE.get(operator, operator)
    if positive == "eq":
        test = lambda value: value == operand  # noqa: E731
    elif positive == "inq":
        items = check_list(positive, operand, where=where)
        test = lambda value: value in items  # noqa: E731
    elif positive in ("like", "ilike"):
        flags = re.IGNORECASE if positive == "ilike" else 0
        compiled = re.compile(like_to_regex(str(operand)), flags | re.DOTALL)
        test = lambda value: value is not None and compiled.search(value) is not None  # noqa: E731
    elif positive == "regexp":
        pattern, insensitive = parse_regexp(operand, where=where)
        compiled = re.compile(pattern, re.IGNORECASE if insensitive else 0)
        test = lambda value: value is not None and compiled.search(value) is not None  # noqa: E731
    elif positive in ("gt", "gte", "lt", "lte"):
        bound = str(operand)
        compare = {"gt": str.__gt__, "gte": str.__ge__, "lt": str.__lt__, "lte": str.__le__}[positive]
        test = lambda value: value is not None and compare(value, bound)  # noqa: E731
    elif positive == "between":
        low, high = (str(item) for item in check_list("between", operand, where=where))
        test = lambda value: value is not None and low <= value <= high  # noqa: E731
    elif positive == "exists":
        test = lambda value: (value is not None) == bool(operand)  # noqa: E731
    else:
        raise bad_request("UNKNOWN_OPERATOR", f"Unknown operator '{operator}' on {where}")
    if operator in NEGATIVE:
        return lambda value: not test(value)
    return test
