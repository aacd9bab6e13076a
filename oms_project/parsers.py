"""The API's request parser (its own module: DRF's settings import it while ``rest_framework.views`` loads)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 16


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON, counted without recursion (the value may be deep enough to break it)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:  # past the limit the answer is already known
                pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit: the deepest real body is 3 levels, and a body nested thousands of
    levels deep would otherwise exhaust the recursion of the decoder (or of the code that walks it): a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            depth = MAX_JSON_DEPTH + 1
        else:
            depth = json_depth(data)
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data
