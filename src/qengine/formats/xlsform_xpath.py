"""The XPath of an XLSForm (``relevant``, ``constraint``, ``calculation``) read and said again in
the qengine rule language (``docs/rules.md``), for :mod:`qengine.formats.xlsform_import`.

Only the XPath that forms use in practice is translated: ``${name}``, ``.``, number and string
literals, ``and or not()``, ``= != < <= > >=``, ``+ - * div mod``, ``selected()``,
``count-selected()``, ``if()``, ``round()``, ``int()``, ``number()``, ``substr()``,
``string-length()``, ``min() max() abs()``, ``date('…')``, ``true() false()``. Anything else is
:class:`Untranslatable`, with the reason, and the caller leaves the rule out with a warning.

What a blank does is kept: XPath reads a blank as ``''`` (NaN as a number), so ``${q} = 2`` and
``${q} < 2`` are false on a blank, as in qengine; but ``${q} != 2`` is true on a blank, so ``!=``
becomes ``not (q == ②)``, and ``${q} != ''`` / ``${q} = ''`` become ``answered(q)`` /
``not answered(q)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: the precedences of the rule language, loosest first (docs/rules.md, Operators)
OR, AND, NOT, COMPARE, ADD, MUL, UNARY, ATOM = range(1, 9)
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[^}\s]*)\s*\})
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\|)
  | (?P<dot>\.\.|\.)
  | (?P<name>[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)
  | (?P<other>.)
""", re.VERBOSE)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


class Untranslatable(ValueError):
    """XPath the rule language does not say (or that this reader does not know)."""


@dataclass(frozen=True)
class Rule:
    """A translated piece: its rule text, its type (``num text date code codes bool blank
    true false``), its precedence, and the question it is the value of (for ``= ''``)."""

    text: str
    type: str
    prec: int = ATOM
    question: str | None = None
    literal: str | None = None  # the value of a string literal, for choice names and dates


@dataclass
class Names:
    """What a translation needs to know about the form: each XLSForm name's qengine id and type
    (``num text date single multiple`` or a param's ``num text date``), and the codes of each
    choice question's choice names."""

    ids: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, int]] = field(default_factory=dict)


# -- reading ------------------------------------------------------------------------------------
def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "space":
            continue
        if kind == "ref":
            out.append(("ref", m.group("refname")))
        elif kind == "other":
            raise Untranslatable(f"unexpected character {m.group()!r}")
        else:
            out.append((kind, m.group()))
    return out


class _Parser:
    """XPath 1.0's expression grammar, for the subset above: a tree of tuples."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise Untranslatable("the expression ends too early")
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1] != value:
            raise Untranslatable(f"expected {value!r}, found {tok[1]!r}")

    def parse(self) -> tuple:
        node = self.binary(0)
        if self.peek() is not None:
            raise Untranslatable(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    _LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"),
               ("*", "div", "mod"))

    def binary(self, level: int) -> tuple:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (tok := self.peek()) is not None and tok[1] in self._LEVELS[level] \
                and tok[0] in ("op", "name"):
            self.i += 1
            left = ("bin", tok[1], left, self.binary(level + 1))
        return left

    def unary(self) -> tuple:
        if self.peek() == ("op", "-"):
            self.i += 1
            return ("neg", self.unary())
        node = self.primary()
        if (tok := self.peek()) is not None and tok[1] in ("|", "/", "["):
            raise Untranslatable("paths and node sets are not rules")
        return node

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "ref":
            return ("ref", value)
        if kind == "dot":
            if value == "..":
                raise Untranslatable("'..' (a path) is not a rule")
            return ("self",)
        if kind == "number":
            return ("num", value)
        if kind == "string":
            return ("str", value[1:-1])
        if value == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("op", "("):
            self.i += 1
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.binary(0))
                while self.peek() == ("op", ","):
                    self.i += 1
                    args.append(self.binary(0))
            self.expect(")")
            return ("call", value, args)
        if kind == "name":
            raise Untranslatable(f"{value!r} is a path of the XForm, not a ${{name}}")
        raise Untranslatable(f"unexpected {value!r}")


# -- saying it again ----------------------------------------------------------------------------
def _code(code: int) -> str:
    return _CIRCLED[code - 1] if 1 <= code <= len(_CIRCLED) else str(code)


def _number(text: str) -> str:
    if text.startswith("."):
        text = "0" + text
    return text[:-1] if text.endswith(".") else text


def _string(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise Untranslatable("a text of several lines")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    raise Untranslatable("a text holding both kinds of quote")


def _wrap(rule: Rule, prec: int) -> str:
    return f"({rule.text})" if rule.prec < prec else rule.text


_COMPARE = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: XPath functions with no counterpart, said by name in the warning
UNSUPPORTED_HINT = {
    "regex": "regex() has no counterpart in the rule language",
    "today": "today() has no counterpart (a rule sees only the answers)",
    "now": "now() has no counterpart (a rule sees only the answers)",
    "concat": "concat() has no counterpart (the rule language joins no texts)",
    "coalesce": "coalesce() has no counterpart",
    "position": "position() belongs to repeats, which are not imported",
    "indexed-repeat": "indexed-repeat() belongs to repeats, which are not imported",
    "jr:choice-name": "jr:choice-name() has no counterpart",
}


class Translator:
    """XPath to rule text, for one form; ``self_id`` is the question ``.`` stands for."""

    def __init__(self, names: Names, self_id: str | None = None) -> None:
        self.names = names
        self.self_id = self_id

    def rule(self, xpath: str, want: str = "bool") -> Rule:
        """``xpath`` as a rule of type ``want`` (``bool`` or ``value``)."""
        out = self.node(_Parser(xpath).parse())
        if want == "bool":
            if out.type in ("true", "false"):
                return Rule("1 == 1" if out.type == "true" else "1 == 2", "bool", COMPARE)
            if out.type != "bool":
                raise Untranslatable(f"expected a condition, found a {_kind(out)}")
        elif out.type in ("bool", "true", "false", "blank", "codes"):
            raise Untranslatable(f"expected a value, found a {_kind(out)}")
        return out

    def node(self, node: tuple) -> Rule:
        kind = node[0]
        if kind in ("ref", "self"):
            return self.ref(node)
        if kind == "num":
            return Rule(_number(node[1]), "num", literal=_number(node[1]))
        if kind == "str":
            if node[1] == "":
                return Rule('""', "blank", literal="")
            return Rule(_string(node[1]), "text", literal=node[1])
        if kind == "neg":
            inner = self.num(self.node(node[1]))
            return Rule(f"-{_wrap(inner, UNARY)}", "num", UNARY)
        if kind == "bin":
            near = _tolerant(node)
            if near is not None:  # qengine's exporter's float-forgiving equality, said again
                left, right = self.alike(self.node(near[0]), self.node(near[1]))
                text = f"{_wrap(left, ADD)} {near[2]} {_wrap(right, ADD)}"
                return Rule(text, "bool", COMPARE)
            return self.binary(node[1], self.node(node[2]), self.node(node[3]))
        return self.call(node[1], node[2])

    def ref(self, node: tuple) -> Rule:
        if node[0] == "self":
            if self.self_id is None:
                raise Untranslatable("'.' outside a question's own column")
            qid = self.self_id
        else:
            if node[1] not in self.names.ids:
                raise Untranslatable(f"${{{node[1]}}} names no question imported")
            qid = self.names.ids[node[1]]
        kind = self.names.types[qid]
        kind = {"single": "code", "multiple": "codes"}.get(kind, kind)
        return Rule(qid, kind, question=qid)

    def num(self, rule: Rule) -> Rule:
        """``rule`` where a number is wanted: a numeric string literal is that number."""
        if rule.type == "text" and rule.literal is not None and _DECIMAL.match(rule.literal):
            return Rule(_number(rule.literal.strip()), "num")
        if rule.type != "num":
            raise Untranslatable(f"arithmetic on a {_kind(rule)}")
        return rule

    def binary(self, op: str, left: Rule, right: Rule) -> Rule:
        if op in ("and", "or"):
            return self.logic(op, left, right)
        if op in ("=", "!="):
            return self.equal(op, left, right)
        if op in _COMPARE:
            return self.order(op, left, right)
        left, right = self.num(left), self.num(right)
        if op == "mod":
            return Rule(f"mod({left.text}, {right.text})", "num")
        sym, prec = {"+": ("+", ADD), "-": ("-", ADD), "*": ("*", MUL), "div": ("/", MUL)}[op]
        return Rule(f"{_wrap(left, prec)} {sym} {_wrap(right, prec + 1)}", "num", prec)

    def logic(self, op: str, left: Rule, right: Rule) -> Rule:
        unit, zero = ("true", "false") if op == "and" else ("false", "true")
        for a, b in ((left, right), (right, left)):
            if a.type == zero:
                return a
            if a.type == unit:
                return b
        for side in (left, right):
            if side.type != "bool":
                raise Untranslatable(f"'{op}' of a {_kind(side)}")
        prec = AND if op == "and" else OR
        return Rule(f"{_wrap(left, prec)} {op} {_wrap(right, prec + 1)}", "bool", prec)

    def equal(self, op: str, left: Rule, right: Rule) -> Rule:
        if right.type == "blank" or left.type == "blank":
            other = left if right.type == "blank" else right
            if other.type == "blank":
                return Rule("", "true" if op == "=" else "false")
            if other.question is None:
                raise Untranslatable("a comparison of a computation with ''")
            text = f"answered({other.question})"
            return Rule(text, "bool") if op == "!=" else Rule(f"not {text}", "bool", NOT)
        left, right = self.alike(left, right)
        text = f"{_wrap(left, ADD)} == {_wrap(right, ADD)}"
        if op == "=":
            return Rule(text, "bool", COMPARE)
        return Rule(f"not ({text})", "bool", NOT)  # true on a blank, as XPath's !=

    def order(self, op: str, left: Rule, right: Rule) -> Rule:
        left, right = self.alike(left, right)
        if left.type == "text" and right.type == "text":
            raise Untranslatable("XPath orders texts as numbers; the rule language as texts")
        return Rule(f"{_wrap(left, ADD)} {_COMPARE[op]} {_wrap(right, ADD)}", "bool", COMPARE)

    def alike(self, left: Rule, right: Rule) -> tuple[Rule, Rule]:
        """Both sides of a comparison in types the rule language compares."""
        for a in (left, right):
            if a.type == "codes":
                raise Untranslatable(f"{a.text} is a select_multiple: compare with selected()")
            if a.type in ("bool", "true", "false"):
                raise Untranslatable("a condition compared as a value")
        out = []
        for a, b in ((left, right), (right, left)):
            if a.literal is not None and b.type == "code":
                out.append(Rule(self.choice(b.question or "", a.literal), "code"))
            elif a.literal is not None and b.type == "num":
                out.append(self.num(a))
            elif a.literal is not None and b.type == "date":
                if not _ISO_DATE.match(a.literal):
                    raise Untranslatable(f"{a.literal!r} is not a date (YYYY-MM-DD)")
                out.append(Rule(a.text, "date"))
            else:
                out.append(a)
        return out[0], out[1]

    def choice(self, qid: str, name: str) -> str:
        codes = self.names.codes.get(qid, {})
        if name.strip() in codes:
            return _code(codes[name.strip()])
        raise Untranslatable(f"{qid} has no choice named {name!r}")

    def call(self, func: str, raw: list[tuple]) -> Rule:
        if func in ("true", "false") and not raw:
            return Rule("", func)
        if func == "selected" and len(raw) == 2 and raw[0][0] in ("ref", "self"):
            q = self.ref(raw[0])
            if q.type not in ("code", "codes"):
                raise Untranslatable(f"selected() of {q.text}, which is no select question")
            choice = self.node(raw[1])
            name = choice.literal
            if name is None:
                raise Untranslatable("selected() of a choice that is not written out")
            return Rule(f"selected({q.text}, {self.choice(q.text, name)})", "bool")
        if func == "count-selected" and len(raw) == 1 and raw[0][0] in ("ref", "self"):
            q = self.ref(raw[0])
            if q.type != "codes":
                raise Untranslatable(f"count-selected() of {q.text}, no select_multiple")
            return Rule(f"count({q.text})", "num")
        args = [self.node(a) for a in raw]
        if func == "not" and len(args) == 1:
            if args[0].type in ("true", "false"):
                return Rule("", "false" if args[0].type == "true" else "true")
            if args[0].type != "bool":
                raise Untranslatable(f"not() of a {_kind(args[0])}")
            return Rule(f"not {_wrap(args[0], NOT)}", "bool", NOT)
        if func == "date" and len(args) == 1:
            a = args[0]
            if a.type == "date":
                return a
            if a.literal is not None and _ISO_DATE.match(a.literal):
                return Rule(a.text, "date")
            raise Untranslatable("date() of something that is no date")
        if func == "string" and len(args) == 1 and args[0].type == "text":
            return args[0]
        return self.function(func, args)

    def function(self, func: str, args: list[Rule]) -> Rule:
        arity = {"if": (3, 3), "round": (1, 2), "int": (1, 1), "number": (1, 1),
                 "substr": (2, 3), "string-length": (1, 1), "abs": (1, 1), "min": (1, 99),
                 "max": (1, 99)}
        if func not in arity:
            hint = UNSUPPORTED_HINT.get(func, f"{func}() has no counterpart in the rule language")
            raise Untranslatable(hint)
        lo, hi = arity[func]
        if not lo <= len(args) <= hi:
            raise Untranslatable(f"{func}() with {len(args)} argument(s)")
        text = ", ".join(a.text for a in args)
        if func == "if":
            cond, a, b = args
            if cond.type in ("true", "false"):
                return a if cond.type == "true" else b
            if cond.type != "bool":
                raise Untranslatable("if() whose first argument is no condition")
            a, b = self.alike(a, b)
            if a.type != b.type and "code" not in (a.type, b.type):
                raise Untranslatable(f"if() of a {_kind(a)} and a {_kind(b)}")
            return Rule(f"if({cond.text}, {a.text}, {b.text})", a.type)
        if func == "string-length":
            if args[0].type != "text":
                raise Untranslatable(f"string-length() of a {_kind(args[0])}")
            if args[0].question is not None:  # XPath's blank is "", of length 0; qengine's none
                q = args[0].question
                return Rule(f"if(answered({q}), len({q}), 0)", "num")
            return Rule(f"len({text})", "num")
        if func == "substr":
            if args[0].type != "text":
                raise Untranslatable(f"substr() of a {_kind(args[0])}")
            rest = [self.num(a).text for a in args[1:]]
            return Rule(f"substr({', '.join([args[0].text, *rest])})", "text")
        if func == "number":
            if args[0].type == "num":
                return args[0]
            if args[0].type not in ("text", "code"):
                raise Untranslatable(f"number() of a {_kind(args[0])}")
            codes = self.names.codes.get(args[0].question or "", {})
            if args[0].type == "code" and not all(n.isdigit() and int(n) == c
                                                  for n, c in codes.items()):
                raise Untranslatable("number() of a choice whose names are not its codes "
                                     "(qengine reads the code)")
            return Rule(f"number({text})", "num")
        nums = ", ".join(self.num(a).text for a in args)
        return Rule(f"{func}({nums})", "num")


def _tolerant(node: tuple) -> tuple[tuple, tuple, str] | None:
    """``(a, b, '==')`` for ``abs(a - b) <= 0.000000001 * max(1, abs(a), abs(b))`` (``!=`` for
    ``>``): how qengine's exporter writes an equality of computed numbers."""
    if node[1] not in ("<=", ">"):
        return None
    left, right = node[2], node[3]
    if not (left[0] == "call" and left[1] == "abs" and len(left[2]) == 1
            and left[2][0][:2] == ("bin", "-")):
        return None
    a, b = left[2][0][2], left[2][0][3]
    scale = ("bin", "*", ("num", "0.000000001"),
             ("call", "max", [("num", "1"), ("call", "abs", [a]), ("call", "abs", [b])]))
    if right != scale:
        return None
    return a, b, "==" if node[1] == "<=" else "!="


def _kind(rule: Rule) -> str:
    return {"num": "number", "text": "text", "date": "date", "code": "choice code",
            "codes": "select_multiple", "bool": "condition", "true": "condition",
            "false": "condition", "blank": "blank text ''"}.get(rule.type, rule.type)


def translate(xpath: str, names: Names, self_id: str | None = None,
              want: str = "bool") -> Rule:
    """``xpath`` in the rule language (:class:`Untranslatable` when it cannot be said)."""
    return Translator(names, self_id).rule(xpath, want)


def conjuncts(xpath: str) -> list[str] | None:
    """The parts of a top-level ``and`` chain of ``xpath`` as text, outer parentheses taken off
    (None when it does not parse)."""
    try:
        toks = _tokens(xpath)
    except Untranslatable:
        return None
    parts, depth, start = [], 0, 0
    spans = [m for m in _TOKEN.finditer(xpath) if m.lastgroup != "space"]
    for k, (kind, value) in enumerate(toks):
        depth += value == "(" and kind == "op"
        depth -= value == ")" and kind == "op"
        if depth == 0 and kind == "name" and value == "and":
            parts.append(xpath[start:spans[k].start()])
            start = spans[k].end()
    parts.append(xpath[start:])
    return [_unparen(p.strip()) for p in parts]


def _unparen(text: str) -> str:
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and k < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text

