"""The fast path of stage 1: the plain YAML that forms are written in, read line by line.

Nearly every form file keeps to a small, regular part of YAML: block mappings and block lists
indented with spaces, ``key: value`` on one line, one-line flow collections (``{zh: "是", en:
"Yes"}``, ``[zh, en]``), quoted or plain one-line scalars, and comments. :func:`fast_parse` reads
exactly that part straight into the located tree of :mod:`qengine.compiler.loader` (the same
:class:`LMap`/:class:`LList`, the same values, the same location of every key and value), several
times faster than building the tree from libyaml's events, because it makes no event and no mark
objects.

It is an accelerator, never a second YAML implementation: on anything outside that part (a
multi-line scalar, a block scalar, an anchor, a tag, an empty value, a tab, a duplicate key, a
number out of range, a syntax error …) it gives up and returns None, and the caller reads the file
with libyaml as before, which also writes every diagnostic. So the fast path never reports a
problem, and a file it accepts means what libyaml says it means (``tests/test_loader.py`` checks
the two against each other on every form in the repository and on generated YAML).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from qengine.compiler.loader import IMPLICIT_FIRST, MAX_DEPTH, LList, LMap
from qengine.lang.nodes import MAX_NUMBER_CHARS, number_problem
from qengine.location import SourceLocation


class _GiveUp(Exception):
    """Not the plain YAML of the fast path: read the file with libyaml instead."""


# Anything YAML does not allow (libyaml's reader refuses it), tabs, and the line breaks other than
# \n (\r\n is handled before): the fast path leaves all of them to libyaml.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")

# In flow context: a key (the same one-word plain scalar) and ": ".
_FLOW_KEY = re.compile(r" *([^\s\-?:,\[\]{}#&*!|>'\"%@`][^\s:,\[\]{}#'\"]*|-[^\s:,\[\]{}#'\"]+): +")
# One-line scalars. Plain text may not hold ": " or " #" (block context) and, in flow context, none
# of ,[]{}:# at all; a double-quoted text may use only the escapes \" \\ \/ \n \t.
_DQ = re.compile(r'"([^"\\]*(?:\\["\\/nt][^"\\]*)*)"')
_SQ = re.compile(r"'([^']*(?:''[^']*)*)'")
_FLOW_PLAIN = re.compile(r"(?:[^\s,\[\]{}#&*!|>'\"%@`?:\-]|-(?=[^\s,\[\]{}]))[^,\[\]{}:#]*")
_FLOW_SEP = re.compile(r" *([,}\]])")
_END = re.compile(r" *(?:#.*)?")
_ESCAPES = {'\\"': '"', "\\\\": "\\", "\\/": "/", "\\n": "\n", "\\t": "\t"}
_ESCAPE = re.compile(r'\\["\\/nt]')

_BOOLS = {w: w.lower() in ("yes", "true", "on")
          for w in ("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
                    "FALSE", "on", "On", "ON", "off", "Off", "OFF")}
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_LETTERS = frozenset("yYnNtTfFoO")
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,15})")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCT = {"tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
              "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
              "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool}
_PLAIN_TAGS = (True, False)


def _plain(value: str) -> Any:
    """A plain scalar's value, as libyaml with PyYAML's safe resolver makes it (give up on
    anything the loader would report)."""
    first = value[0]
    if first not in IMPLICIT_FIRST:
        return value
    if first in _LETTERS:
        if value in _BOOLS:
            return _BOOLS[value]
        if value in _NULLS:
            return None
        return value
    if _SIMPLE_INT.fullmatch(value):
        return _number(int(value))
    if value in _NULLS:
        return None
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, _PLAIN_TAGS)
    if tag in (_STR, _TIMESTAMP):
        return value
    construct = _CONSTRUCT.get(tag)
    if construct is None or len(value) > MAX_NUMBER_CHARS:
        raise _GiveUp
    if tag == _INT and value.isascii() and value.isdigit():
        return _number(int(value))  # as the loader does: 010 is ten
    try:
        result = construct(yaml.ScalarNode(tag, value))
    except Exception:  # whatever it is, the events path reports it
        raise _GiveUp from None
    if isinstance(result, bool):
        return result
    return _number(result)


def _number(result: Any) -> Any:
    if number_problem(result) is not None:
        raise _GiveUp
    return result


# A key and a one-line value in a flow mapping, with the separator after it: the common case,
# done in one match (a quoted text or a plain word; anything else goes the general way).
_FLOW_PAIR = re.compile(
    r" *([^\s\-?:,\[\]{}#&*!|>'\"%@`][^\s:,\[\]{}#'\"]*|-[^\s:,\[\]{}#'\"]+): +"
    r"(?:\"([^\"\\]*(?:\\[\"\\/nt][^\"\\]*)*)\"|"
    r"((?:[^\s,\[\]{}#&*!|>'\"%@`?:\-]|-(?=[^\s,\[\]{}]))[^,\[\]{}:#]*?)) *([,}])")


_K = r"([^\s\-?:,\[\]{}#&*!|>'\"%@`][^\s:,\[\]{}#'\"]*|-[^\s:,\[\]{}#'\"]+)"
_V = (r"(?:\"([^\"\\]*(?:\\[\"\\/nt][^\"\\]*)*)\"|"
      r"((?:[^\s,\[\]{}#&*!|>'\"%@`?:\-]|-(?=[^\s,\[\]{}]))[^,\[\]{}:#]*?))")
_P = rf" *{_K}: +{_V} *"
# A flat flow mapping of one to four keys, each with a quoted text or a plain word: the texts of a
# form (``{zh: "是", en: "Yes"}``) are nearly all of this shape, read in one match.
_FLAT = re.compile(rf"\{{{_P}(?:,{_P}(?:,{_P}(?:,{_P})?)?)?\}}")


class _Flow:
    """One-line flow collections, read from ``line`` at ``pos``."""

    __slots__ = ("file", "line", "number")

    def __init__(self, file: str, line: str, number: int) -> None:
        self.file = file
        self.line = line
        self.number = number

    def node(self, pos: int, depth: int) -> tuple[Any, SourceLocation, int]:
        """The flow node at ``pos``: its value, its location and the position after it."""
        line = self.line
        first = line[pos] if pos < len(line) else ""
        if first == "{":
            return self.mapping(pos, depth)
        if first == "[":
            return self.sequence(pos, depth)
        if first == '"':
            m = _DQ.match(line, pos)
            if m is None:
                raise _GiveUp
            text = m.group(1)
            if "\\" in text:
                text = _ESCAPE.sub(_unescape, text)
            return text, tuple.__new__(SourceLocation, (self.file, self.number, pos + 2)), m.end()
        if first == "'":
            m = _SQ.match(line, pos)
            if m is None:
                raise _GiveUp
            return (m.group(1).replace("''", "'"),
                    tuple.__new__(SourceLocation, (self.file, self.number, pos + 2)), m.end())
        m = _FLOW_PLAIN.match(line, pos)
        if m is None:
            raise _GiveUp
        text = m.group().rstrip(" ")
        return (_plain(text), tuple.__new__(SourceLocation, (self.file, self.number, pos + 1)),
                pos + len(text))

    def mapping(self, pos: int, depth: int) -> tuple[Any, SourceLocation, int]:
        if depth >= MAX_DEPTH - 2:
            raise _GiveUp
        line, file, number = self.line, self.file, self.number
        new_loc, located = tuple.__new__, SourceLocation
        loc = new_loc(located, (file, number, pos + 1))
        node = LMap(loc)
        key_locs, value_locs = node.key_locs, node.value_locs
        pos += 1
        while line.startswith(" ", pos):
            pos += 1
        if line.startswith("}", pos):
            return node, loc, pos + 1
        flat = _FLAT.match(line, pos - 1)
        if flat is not None:
            groups = flat.groups()
            for i in range(0, 12, 3):
                key_text = groups[i]
                if key_text is None:
                    break
                key = _plain(key_text) if key_text[0] in IMPLICIT_FIRST else key_text
                if key in node:
                    raise _GiveUp
                quoted = groups[i + 1]
                if quoted is not None:
                    node[key] = _ESCAPE.sub(_unescape, quoted) if "\\" in quoted else quoted
                    value_locs[key] = new_loc(located, (file, number, flat.start(i + 2) + 1))
                else:
                    plain = groups[i + 2]
                    node[key] = _plain(plain) if plain[0] in IMPLICIT_FIRST else plain
                    value_locs[key] = new_loc(located, (file, number, flat.start(i + 3) + 1))
                key_locs[key] = new_loc(located, (file, number, flat.start(i + 1) + 1))
            return node, loc, flat.end()
        pair = _FLOW_PAIR.match
        while True:
            m = pair(line, pos)
            if m is not None:
                key_text, quoted, plain, sep = m.groups()
                key = _plain(key_text) if key_text[0] in IMPLICIT_FIRST else key_text
                if key in node:
                    raise _GiveUp
                if quoted is not None:
                    node[key] = _ESCAPE.sub(_unescape, quoted) if "\\" in quoted else quoted
                    value_locs[key] = new_loc(located, (file, number, m.start(2) + 1))
                else:
                    node[key] = _plain(plain) if plain[0] in IMPLICIT_FIRST else plain
                    value_locs[key] = new_loc(located, (file, number, m.start(3) + 1))
                key_locs[key] = new_loc(located, (file, number, m.start(1) + 1))
                pos = m.end()
                if sep == "}":
                    return node, loc, pos
                continue
            m = _FLOW_KEY.match(line, pos)
            if m is None:
                raise _GiveUp
            key = _plain(m.group(1))
            if key in node or len(m.group(1)) > 1000:
                raise _GiveUp
            value, vloc, pos = self.node(m.end(), depth + 1)
            node[key] = value
            key_locs[key] = new_loc(located, (file, number, m.start(1) + 1))
            value_locs[key] = vloc
            sep_match = _FLOW_SEP.match(line, pos)
            if sep_match is None:
                raise _GiveUp
            pos = sep_match.end()
            if sep_match.group(1) == "}":
                return node, loc, pos
            if sep_match.group(1) != ",":
                raise _GiveUp

    def sequence(self, pos: int, depth: int) -> tuple[Any, SourceLocation, int]:
        if depth >= MAX_DEPTH - 2:
            raise _GiveUp
        line = self.line
        loc = tuple.__new__(SourceLocation, (self.file, self.number, pos + 1))
        node = LList(loc)
        locs = node.item_locs
        pos += 1
        while line.startswith(" ", pos):
            pos += 1
        if line.startswith("]", pos):
            return node, loc, pos + 1
        while True:
            value, vloc, pos = self.node(pos, depth + 1)
            node.append(value)
            locs.append(vloc)
            sep = _FLOW_SEP.match(line, pos)
            if sep is None:
                raise _GiveUp
            pos = sep.end()
            if sep.group(1) == "]":
                return node, loc, pos
            if sep.group(1) != ",":
                raise _GiveUp
            while line.startswith(" ", pos):
                pos += 1


def _unescape(m: re.Match[str]) -> str:
    return _ESCAPES[m.group()]


def _flow_value(file: str, line: str, number: int, pos: int, depth: int) -> tuple[Any, SourceLocation]:
    value, loc, end = _Flow(file, line, number).node(pos, depth)
    if end < len(line) and (line[end] == "#" or _END.fullmatch(line, end) is None):
        raise _GiveUp
    return value, loc


def fast_parse(text: str, file: str) -> LMap | None:
    """The located tree of ``text`` when it keeps to the plain YAML of forms, else None."""
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if _UNUSUAL.search(text) is not None:
        return None
    try:
        return _parse(text, file)
    except (_GiveUp, RecursionError):
        return None


# One line: indentation (1), a "- " that opens a list item (2), a plain one-word key and ":" (3),
# and the value: a one-line double-quoted (4), single-quoted (5) or plain (6) scalar, then maybe a
# comment; nothing but maybe a comment (7); or anything else (8): a flow collection, or something
# for libyaml. Block-context plain text may not hold ": " nor " #" and may not end with ":".
_LINE = re.compile(
    r"( *)(-(?: +|$))?"
    r"(?:([^\s\-?:,\[\]{}#&*!|>'\"%@`][^\s:,\[\]{}#]*|-[^\s:,\[\]{}#]+):(?: +|$))?"
    r"(?:\"([^\"\\]*(?:\\[\"\\/nt][^\"\\]*)*)\"(?: +#.*)? *$"
    r"|'([^']*(?:''[^']*)*)'(?: +#.*)? *$"
    r"|((?:[^ \-?:,\[\]{}#&*!|>'\"%@`]|-(?=[^ ]))[^ :]*(?:(?::(?=[^ ])| +(?=[^ #]))[^ :]*)*)(?: +#.*)? *$"
    r"|(#.*|)$"
    r"|(.*))")
_MAX_LINE = 10000


def _parse(text: str, file: str) -> LMap | None:
    new_loc = tuple.__new__
    located = SourceLocation
    match_line = _LINE.match
    implicit = IMPLICIT_FIRST
    no_key = _NO_KEY
    # The open block collections, innermost last, on a sentinel: [indent, container, pending key,
    # its location]. A mapping's pending key is one whose value is on the lines below it.
    stack: list[list[Any]] = [[-1, None, no_key, None]]
    root: LMap | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > _MAX_LINE:
            raise _GiveUp
        m = match_line(line)
        indent_text, dash, key_text, dq, sq, plain, empty, other = m.groups()
        if dash is None and key_text is None:
            if empty is not None:
                continue  # a blank line or a comment
            raise _GiveUp  # a value where a key belongs, a document marker, a directive ...
        indent = len(indent_text)
        # The value on this line, if any.
        if dq is not None:
            value: Any = _ESCAPE.sub(_unescape, dq) if "\\" in dq else dq
            loc = new_loc(located, (file, number, m.start(4) + 1))
        elif plain is not None:
            value = _plain(plain) if plain[0] in implicit else plain
            loc = new_loc(located, (file, number, m.start(6) + 1))
        elif empty is not None:
            loc = None
        elif sq is not None:
            value = sq.replace("''", "'")
            loc = new_loc(located, (file, number, m.start(5) + 1))
        elif other[0] in "{[":
            value, loc = _flow_value(file, line, number, m.start(8), len(stack))
        else:
            raise _GiveUp
        # Close the collections this line is outside of.
        top = stack[-1]
        while top[0] > indent:
            if top[2] is not no_key:
                raise _GiveUp  # a key left without a value: that value is null
            stack.pop()
            top = stack[-1]
        if dash is not None:
            container = top[1]
            if top[0] == indent and type(container) is LList:
                seq = container
            elif top[2] is not no_key and top[0] < indent and len(stack) < MAX_DEPTH:
                seq = LList(new_loc(located, (file, number, indent + 1)))
                container[top[2]] = seq
                container.key_locs[top[2]] = top[3]
                container.value_locs[top[2]] = seq.loc
                top[2] = no_key
                stack.append([indent, seq, no_key, None])
            else:
                raise _GiveUp
            if key_text is None:
                if loc is None:
                    raise _GiveUp  # "-" alone: its item is on the lines below
                seq.append(value)
                seq.item_locs.append(loc)
                continue
            column = m.start(3)
            if len(stack) >= MAX_DEPTH:
                raise _GiveUp
            entry = [column, LMap(new_loc(located, (file, number, column + 1))), no_key, None]
            seq.append(entry[1])
            seq.item_locs.append(entry[1].loc)
            stack.append(entry)
        elif top[0] == indent and top[2] is no_key and type(top[1]) is LMap:
            entry = top
            column = indent
        elif top[2] is not no_key and top[0] < indent and len(stack) < MAX_DEPTH:
            # The first key of a mapping that is the value of the pending key above.
            container = top[1]
            entry = [indent, LMap(new_loc(located, (file, number, indent + 1))), no_key, None]
            container[top[2]] = entry[1]
            container.key_locs[top[2]] = top[3]
            container.value_locs[top[2]] = entry[1].loc
            top[2] = no_key
            stack.append(entry)
            column = indent
        elif top[1] is None and root is None:
            root = LMap(new_loc(located, (file, number, indent + 1)))
            entry = [indent, root, no_key, None]
            stack.append(entry)
            column = indent
        else:
            raise _GiveUp
        # The key, and its value on this line or (pending) on the lines below.
        mapping = entry[1]
        key = _plain(key_text) if key_text[0] in implicit else key_text
        if key in mapping or len(key_text) > 1000:
            raise _GiveUp
        kloc = new_loc(located, (file, number, column + 1))
        if loc is None:
            entry[2] = key
            entry[3] = kloc
        else:
            mapping[key] = value
            mapping.key_locs[key] = kloc
            mapping.value_locs[key] = loc
    for entry in stack:
        if entry[2] is not no_key:
            raise _GiveUp
    return root


_NO_KEY = object()
