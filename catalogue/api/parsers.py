"""The API's JSON body parser, and the content types Django reads as a form instead (request.POST)."""

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class JSONParser(parsers.JSONParser):
    """DRF's, with a body nested past Python's recursion limit a 400 too (DRF turns only ValueError into one)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body nests its arrays and objects too deeply") from None
