"""Compile a ``json:PATH`` JMESPath expression once, and refuse at parse time what cannot run.

jmespath compiles ``nosuch(a)`` and ``length(a, b)`` happily and only fails when the expression
is searched; a typo would then show up as a failed check on every response. Function names and
argument counts are known without a body, so they are checked here, where the user sees the
line that has the typo.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import jmespath
from jmespath.exceptions import JMESPathError, ParseError
from jmespath.functions import Functions
from jmespath.parser import ParsedResult

_BOILERPLATE = re.compile(r"^(?:invalid|bad) jmespath expression: ", re.IGNORECASE)


def compile_path(path: str) -> ParsedResult:
    """The compiled expression; ValueError saying what is wrong when it is not one."""
    try:
        # jmespath warns about the deprecated `text` literal (for 'text') and still accepts it;
        # so do we, without a warning per input line (see compile_matcher on catch_warnings).
        with warnings.catch_warnings(action="ignore"):
            compiled = jmespath.compile(path)
    except JMESPathError as exc:
        raise ValueError(f"bad JMESPath: {_first_line(exc)}") from exc
    except RecursionError as exc:
        # jmespath's parser recurses once per nesting level.
        raise ValueError("bad JMESPath: nested too deeply") from exc
    for name, count in _function_calls(compiled.parsed):
        problem = _call_problem(name, count)
        if problem:
            raise ValueError(f"bad JMESPath: {problem}")
    return compiled


def _first_line(exc: JMESPathError) -> str:
    """jmespath's message without its boilerplate, and without the expression and caret that
    it adds on further lines (the token is shown anyway): ``Incomplete expression at column 4``."""
    text = str(exc).splitlines()[0].removesuffix(":").removesuffix(", for expression")
    text = _BOILERPLATE.sub("", text) or type(exc).__name__
    if isinstance(exc, ParseError) and "column" not in text:
        text += f" at column {exc.lex_position}"
    return text


def _function_calls(tree: object) -> Iterator[tuple[str, int]]:
    """``(name, argument count)`` for every function call in a parsed expression."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "function_expression":
                yield str(node["value"]), len(node["children"])
            # Some nodes (slices) hold plain numbers as children; only dicts are nodes.
            stack.extend(node.get("children") or ())


def _call_problem(name: str, count: int) -> str | None:
    entry = Functions.FUNCTION_TABLE.get(name)
    if entry is None:
        return f"unknown function {name}()"
    signature = entry["signature"]
    variadic = bool(signature) and bool(signature[-1].get("variadic"))
    needed = len(signature)
    if count < needed or (count > needed and not variadic):
        plural = "" if needed == 1 else "s"
        at_least = "at least " if variadic else ""
        return f"{name}() takes {at_least}{needed} argument{plural}, not {count}"
    return None
