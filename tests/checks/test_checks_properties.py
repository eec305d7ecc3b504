"""Whatever a line holds, it parses or raises CheckSyntaxError; written checks parse back."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fetchall.checks import Check, CheckKey, CheckSyntaxError, Op, render_check, split_line

_SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Characters that mean something to the check syntax, mixed into any other text.
_SYNTAX = list(" \t\"\\/:=!<>~[](){}@.`'|&*?,-0123456789")
_WORDS = ["status", "body", "header", "json", "time", "cert", "final", "ms", "s", "d", "null"]
_ANY_TEXT = st.text(st.one_of(st.sampled_from(_SYNTAX), st.characters()), max_size=12)
_FRAGMENTS = st.lists(
    st.one_of(st.sampled_from(_SYNTAX), st.sampled_from(_WORDS), _ANY_TEXT), max_size=8
).map("".join)


@_SETTINGS
@given(st.text(st.characters(exclude_categories=["Zs", "Zl", "Zp", "Cc"]), min_size=1))
def test_line_without_blanks_is_a_url_alone(text: str) -> None:
    """A line with no whitespace is a URL with no checks, whatever it holds."""
    assume(not any(char.isspace() for char in text))
    assert split_line(text) == (text, ())


_HEADER_NAMES = st.text(
    st.sampled_from(
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ),
    min_size=1,
    max_size=12,
)
_PATHS = st.sampled_from(
    [
        "status",
        "a.b[0].c",
        "length(items)",
        "items[?name=='x'] | length(@)",
        '"a b".c',
        "a == `1`",
        "max(values)",
        "not_null(a, b, c)",
        "@",
    ]
)
_STATUSES = st.sampled_from(["200", "200-299", "200-299,304", "404", "100-999", "301,302"])
_NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0", "-0", "1e3", "2.5E-3", "-1.25e+2"]),
)
_DURATIONS = st.builds(
    "{}{}".format,
    st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["0.5", "1.25", "10.0"])),
    st.sampled_from(["ms", "s", "m"]),
)
_DAYS = st.builds("{}{}".format, st.integers(0, 3650), st.sampled_from(["", "d"]))


def _regex_ok(value: str) -> bool:
    """Whether ``value``, if written ``/RE/``, compiles (other text needs nothing)."""
    if len(value) < 2 or not (value[0] == value[-1] == "/"):
        return True
    try:
        re.compile(value[1:-1])
    except (re.error, OverflowError, RecursionError):
        return False
    return True


@st.composite
def _check_parts(draw: st.DrawFn) -> tuple[CheckKey, Op, str, str | None]:
    """``(key, op, VALUE, ARGUMENT)`` of a valid check, any key and op."""
    key = draw(st.sampled_from(list(CheckKey)))
    op = draw(st.sampled_from(key.ops))
    argument = None
    if key is CheckKey.HEADER:
        argument = draw(_HEADER_NAMES)
    elif key is CheckKey.JSON:
        argument = draw(_PATHS)
    if op in (Op.CONTAINS, Op.LACKS) or (
        op is Op.EQUAL and key in (CheckKey.HEADER, CheckKey.FINAL)
    ):
        value = draw(_ANY_TEXT.filter(_regex_ok))
    elif key is CheckKey.STATUS:
        value = draw(_STATUSES)
    elif key is CheckKey.TIME:
        value = draw(_DURATIONS)
    elif key is CheckKey.CERT:
        value = draw(_DAYS)
    elif op in (Op.EQUAL, Op.NOT_EQUAL):
        value = draw(st.one_of(_ANY_TEXT, _NUMBERS, st.sampled_from(["true", "false", "null"])))
    else:
        value = draw(_NUMBERS)
    return key, op, value, argument


_BLANKS = st.text(st.sampled_from(" \t\u3000"), min_size=1, max_size=3)


@_SETTINGS
@given(parts=st.lists(_check_parts(), max_size=5), blanks=st.lists(_BLANKS, min_size=6, max_size=6))
def test_rendered_checks_parse_back(
    parts: list[tuple[CheckKey, Op, str, str | None]], blanks: list[str]
) -> None:
    """Checks written with render_check, between any blanks, parse to the same parts."""
    texts = [render_check(key, op, value, argument) for key, op, value, argument in parts]
    line = "https://example.com/" + "".join(
        b + t for b, t in zip(blanks, [*texts, ""], strict=False)
    )
    url, checks = split_line(line.strip())
    assert url == "https://example.com/"
    assert [(c.key, c.op, c.value, c.argument) for c in checks] == parts
    assert [c.text for c in checks] == texts


# Valid checks, fragments of syntax and any text, sometimes run together without a blank:
# lines that parse and lines that do not, in about equal numbers.
_NOISE = st.lists(
    st.tuples(
        st.one_of(_check_parts().map(lambda parts: render_check(*parts)), _FRAGMENTS),
        st.sampled_from(["", " ", "\t", "  "]),
    ),
    max_size=5,
).map(lambda pairs: "".join(token + blank for token, blank in pairs))


@_SETTINGS
@given(url=st.text(max_size=20), rest=_NOISE)
def test_any_line_parses_or_raises_check_syntax_error(url: str, rest: str) -> None:
    """No text makes split_line raise anything but CheckSyntaxError (or warn)."""
    line = f"{url} {rest}"
    try:
        found_url, checks = split_line(line)
    except CheckSyntaxError as exc:
        problem = exc
    else:
        assert found_url == (line.split() or [line])[0]
        assert all(isinstance(check, Check) for check in checks)
        # What parsed, written back one per blank, parses to the same checks.
        again = split_line(" ".join([found_url, *(check.text for check in checks)]))
        assert again == (found_url, checks)
        return
    assert problem.token
    assert problem.token in line
