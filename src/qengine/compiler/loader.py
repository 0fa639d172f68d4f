"""Stage 1: read a YAML form file into plain Python data that remembers where everything was written.

The tree is made of :class:`LMap` (a ``dict``) and :class:`LList` (a ``list``) holding plain scalars,
so later stages (the JSON Schema check, the model builder) treat it as ordinary data and still find
the :class:`SourceLocation` of every key and value.

The file is read from libyaml's event stream (safe: no Python objects are ever constructed from
tags) with an explicit stack, so that no input can exhaust the C stack (absurd nesting is refused at a
fixed depth), anchors and aliases are refused (no alias bombs), and duplicate keys are reported
instead of silently keeping the last one.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from qengine.compiler.files import MAX_FILE_BYTES, decode_text, read_bytes, read_text
from qengine.errors import Diagnostics
from qengine.lang.nodes import MAX_NUMBER_CHARS, number_problem
from qengine.location import SourceLocation

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "LList", "LMap", "decode_text", "parse_yaml",
           "read_bytes", "read_text", "where"]

try:  # libyaml's C parser when present: several times faster
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SURROGATE = re.compile("[\ud800-\udfff]")
_IMPLICIT_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)
_KNOWN_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class LMap(dict):  # type: ignore[type-arg]
    """A mapping from a form file, with the location of itself, each key, and each value."""

    __slots__ = ("key_locs", "loc", "value_locs")

    def __init__(self, loc: SourceLocation) -> None:  # an empty dict needs no dict.__init__
        self.loc = loc
        self.key_locs: dict[Any, SourceLocation] = {}
        self.value_locs: dict[Any, SourceLocation] = {}

    def where(self, key: Any) -> SourceLocation:
        """Location of the value at ``key`` (or of the mapping when the key is absent)."""
        return self.value_locs.get(key, self.loc)

    def where_key(self, key: Any) -> SourceLocation:
        return self.key_locs.get(key, self.loc)


class LList(list):  # type: ignore[type-arg]
    """A sequence from a form file, with the location of itself and of each item."""

    __slots__ = ("item_locs", "loc")

    def __init__(self, loc: SourceLocation) -> None:
        self.loc = loc
        self.item_locs: list[SourceLocation] = []

    def where(self, index: int) -> SourceLocation:
        return self.item_locs[index] if 0 <= index < len(self.item_locs) else self.loc


def where(container: Any, key: Any) -> SourceLocation:
    """Location of ``container[key]`` for an :class:`LMap` or :class:`LList`."""
    return container.where(key)


def parse_yaml(text: str, file: str, diag: Diagnostics) -> Any:
    """Parse YAML text into located data; problems go to ``diag`` and the result is then None."""
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:  # not Unicode text: libyaml cannot even take it
        line = text.count("\n", 0, surrogate.start()) + 1
        col = surrogate.start() - (text.rfind("\n", 0, surrogate.start()) + 1) + 1
        diag.fail(SourceLocation(file, line, col), "encoding",
                  "form text holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text")
        return None
    parser = _Parser(text)
    try:
        return _build(parser, file, diag)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and exc.context_mark is not None and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # noticed only at the end of the file: point at the opener
        loc = SourceLocation.from_yaml_mark(file, mark) if mark else SourceLocation(file, 1, 1)
        diag.fail(loc, "yaml_syntax", f"YAML syntax error: {_syntax_message(exc, text)}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        loc = SourceLocation(file, line, pos - (text.rfind("\n", 0, pos) + 1) + 1)
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        diag.fail(loc, "yaml_syntax", f"YAML syntax error: the control character U+{char:04X} is "
                  "not allowed in a YAML file (only tabs, line breaks and printable characters)")
    except yaml.YAMLError as exc:
        diag.fail(SourceLocation(file, 1, 1), "yaml_syntax", f"YAML error: {exc}")
    finally:
        parser.dispose()
    return None


def _char_at(text: str, mark: Any) -> str:
    index = getattr(mark, "index", None)
    return text[index] if isinstance(index, int) and 0 <= index < len(text) else ""


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    """libyaml's report in a form author's words, saying where an unclosed quote or bracket (or
    the block a badly indented line belongs to) began; the problem is located where it was noticed."""
    problem, context = (exc.problem or "").lower(), (exc.context or "").lower()
    began = exc.context_mark
    at = f"line {began.line + 1}, column {began.column + 1}" if began is not None else "?"
    opener, here = _char_at(text, began), _char_at(text, exc.problem_mark)
    if "tab" in problem or (here == "\t" and "cannot start any token" in problem):
        return "a tab character is used for indentation; YAML indents with spaces only"
    if "quoted scalar" in context and ("end of stream" in problem or "document indicator" in problem):
        quote = 'double quote (")' if opener == '"' else "single quote (')"
        return f"the {quote} opened at {at} is never closed; end the text with the same quote"
    if "escape" in problem:
        return ("unknown escape (a backslash and a letter) in a double-quoted text; use single "
                "quotes, or write \\\\ for a backslash")
    if context.startswith("while parsing a flow") and "expected ','" in problem:
        closer = "}" if "mapping" in context else "]"
        return (f"the '{opener or ('{' if closer == '}' else '[')}' opened at {at} is not closed: "
                f"a ',' or '{closer}' is expected before this")
    if "expected key" in problem or "'-' indicator" in problem or "<block end>" in problem:
        return _indentation_message(exc, context, at, here)
    if "mapping values are not allowed" in problem:
        return ("a ': ' cannot start a value here: quote a text that holds ': ', or check the "
                "indentation of this line")
    if "block sequence entries are not allowed" in problem:
        return "a list item ('- ') cannot start here: put it on its own line, indented under its key"
    if "could not find expected ':'" in problem:
        return f"the key that begins at {at} has no ':' after it (a line of a mapping is key: value)"
    if "cannot start any token" in problem:
        return f"{here!r} cannot begin a value written without quotes; quote the value"
    if "expected node content" in problem and here in ("]", "}", ","):
        return f"unexpected {here!r}: a value is missing here, or no bracket is open"
    if "directive" in context:
        return "a '%' directive line has no place in a form file; remove it"
    if began is None or not exc.context:
        return exc.problem or "malformed YAML"
    return f"{exc.problem} ({exc.context} that began at {at})"


def _indentation_message(exc: yaml.MarkedYAMLError, context: str, at: str, here: str) -> str:
    """A line that does not fit the block mapping or block list it is read as part of."""
    column = exc.problem_mark.column + 1 if exc.problem_mark is not None else 0
    start = exc.context_mark.column + 1 if exc.context_mark is not None else 0
    if "mapping" in context:
        if here == "-" and column == start:
            return (f"a list item ('- ') where the mapping that begins at {at} expects a key: a "
                    "list belongs under a key (key:, then its items indented below it)")
        what = "the '- ' item in column" if here == "-" else "column"
        return (f"bad indentation: {what} {column} lines up with no key above it (the mapping that "
                f"begins at {at} has its keys in column {start}); indent the keys of one mapping "
                "by the same number of spaces")
    if column == start:
        return (f"this line is not a '- ' item, but it stands at the indentation of the list that "
                f"begins at {at}: start it with '- ', or indent it under an item")
    return (f"bad indentation: column {column} lines up with no '- ' item above it (the list that "
            f"begins at {at} has its items in column {start})")


class _Refused(Exception):
    """Stops the build at the first structural problem that makes the rest meaningless."""


def _build(parser: Any, file: str, diag: Diagnostics) -> Any:
    # An explicit stack of open containers replaces recursion; each entry is
    # [container, pending_key, key_loc] for mappings and [container] for sequences.
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    def mark_loc(file: str, mark: Any) -> SourceLocation:
        return SourceLocation(file, mark.line + 1, mark.column + 1)

    # The hot path: one location per scalar, built as a plain tuple (no Python-level __new__).
    new_tuple = tuple.__new__
    located = SourceLocation
    scalar_event = yaml.ScalarEvent
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar_event:
                mark = event.start_mark
                value = event.value
                style = event.style
                if (not style and event.tag is None and event.anchor is None and value
                        and value[0] not in _IMPLICIT_FIRST):  # plain text: nothing to resolve
                    loc = new_tuple(located, (file, mark.line + 1, mark.column + 1))
                else:
                    loc = mark_loc(file, mark)
                    if event.anchor is not None:
                        _refuse_anchor(diag, loc)
                    value = _scalar(parser, event, loc, diag)
                    if style in ("'", '"'):
                        loc = SourceLocation(file, loc.line, loc.column + 1)
                    elif style in ("|", ">"):
                        loc = SourceLocation(file, loc.line + 1, loc.column + 1)
                if not stack:
                    root = value
                else:
                    _add(stack, value, loc, diag)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                loc = mark_loc(file, event.start_mark)
                if event.anchor is not None:
                    _refuse_anchor(diag, loc)
                if event.tag is not None and event.tag not in _KNOWN_TAGS and event.tag not in ("!",):
                    diag.fail(loc, "yaml_tag", f"YAML tag {event.tag!r} is not allowed in a form")
                if len(stack) >= MAX_DEPTH:
                    diag.fail(loc, "yaml_depth", f"nesting deeper than {MAX_DEPTH} levels")
                    raise _Refused
                node: Any = LMap(loc) if kind is yaml.MappingStartEvent else LList(loc)
                if stack:
                    _add(stack, node, loc, diag)
                else:
                    root = node
                stack.append([node, _NO_KEY, None])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                _refuse_anchor(diag, mark_loc(file, event.start_mark), alias=True)
                raise _Refused
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    diag.fail(mark_loc(file, event.start_mark), "yaml_documents",
                              "a form file holds one YAML document; found another")
                    raise _Refused
            elif kind is yaml.StreamEndEvent:
                return root
    except _Refused:
        return None


_NO_KEY = object()


def _add(stack: list[list[Any]], value: Any, loc: SourceLocation, diag: Diagnostics) -> None:
    top = stack[-1]
    container = top[0]
    if type(container) is LList:
        container.append(value)
        container.item_locs.append(loc)
        return
    if top[1] is _NO_KEY:  # this is a key
        if isinstance(value, (LMap, LList)):
            diag.fail(loc, "yaml_key", "a mapping key must be a plain text or number")
            raise _Refused
        if value in container:
            diag.fail(loc, "duplicate_key",
                      f"duplicate key {value!r} (first at line {container.key_locs[value].line})")
        top[1] = value
        top[2] = loc
        return
    key = top[1]
    if key not in container:  # on a duplicate the first value stays, as reported
        container[key] = value
        container.key_locs[key] = top[2]
        container.value_locs[key] = loc
    top[1] = _NO_KEY


def _refuse_anchor(diag: Diagnostics, loc: SourceLocation, alias: bool = False) -> None:
    what = "aliases" if alias else "anchors"
    diag.fail(loc, "yaml_alias",
              f"YAML {what} are not supported in forms; use choice_lists to reuse choices")


def _scalar(parser: Any, event: Any, loc: SourceLocation, diag: Diagnostics) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        # Only a plain scalar whose first character starts some implicit type (digits, signs,
        # y/n/t/f/o/~, .) can be other than text; most labels are not, so skip the resolver.
        if event.implicit[0] and (not value or value[0] in _IMPLICIT_FIRST):
            tag = parser.resolve(yaml.ScalarNode, value, event.implicit)
        else:
            tag = _STR
    if tag == _STR or tag == "tag:yaml.org,2002:timestamp":  # dates stay ISO text
        return value
    if tag in _TYPED:
        return _typed(parser, tag, value, loc, diag, explicit=event.tag not in (None, "!"))
    if tag == _NULL:
        return None
    diag.fail(loc, "yaml_tag", f"YAML tag {tag!r} is not allowed in a form")
    return value


# PyYAML's constructor and what the text must be, for each typed scalar.
_TYPED = {_INT: ("construct_yaml_int", "a whole number"), _FLOAT: ("construct_yaml_float", "a number"),
          _BOOL: ("construct_yaml_bool", "true or false")}


def _typed(parser: Any, tag: str, value: str, loc: SourceLocation, diag: Diagnostics,
           explicit: bool) -> Any:
    """An int, float or bool scalar as its value, or a located problem (then the text is kept:
    the pipeline stops after the loader's problems, so the value is never used).

    This is the one numeric guard of YAML: every number in a form file passes here, so a number
    out of the domain (:func:`qengine.lang.nodes.number_problem`) never reaches a later stage."""
    if tag == _INT and len(value) <= MAX_NUMBER_CHARS and value.isascii() and value.isdigit():
        number: Any = int(value)  # the common case
    else:
        if tag != _BOOL and len(value) > MAX_NUMBER_CHARS:  # never convert it: int() is quadratic
            diag.fail(loc, "number_range",
                      f"the number {_shown(value)} is written with {len(value)} characters; a "
                      f"number in a form has at most {MAX_NUMBER_CHARS} (quote it if it is text)")
            return value
        construct, what = _TYPED[tag]
        try:  # PyYAML's constructors raise ValueError, IndexError or KeyError on malformed text
            number = getattr(parser, construct)(yaml.ScalarNode(tag, value))
        except (ValueError, IndexError, KeyError, TypeError, OverflowError):
            why = (f"it is tagged !!{tag.rsplit(':', 1)[-1]}" if explicit
                   else "YAML takes it for one")
            diag.fail(loc, "yaml_value",
                      f"{_shown(value)} is not {what}, but {why} (quote it if it is text)")
            return value
        if tag == _BOOL:
            return number
    problem = number_problem(number)
    if problem is not None:
        diag.fail(loc, "number_range", f"the number {_shown(value)} {problem} (quote it if it is text)")
        return value
    return number


def _shown(text: str) -> str:
    """Scalar text for a message, cut short."""
    return repr(text) if len(text) <= 40 else repr(text[:20]) + f"... ({len(text)} characters)"
