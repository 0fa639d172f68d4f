"""The YAML of an imported XLSForm (:mod:`qengine.formats.xlsform_import`), written line by line
so that each rule's line is known: a rule the compiler refuses is left out (a comment and a
warning with the compiler's message) and the form written again, until it compiles."""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Callable
from typing import Any

#: characters pyyaml does not read in a document, or reads as line breaks (NEL, LS, PS):
#: written as escapes
_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd"
                          "\U00010000-\U0010ffff]")
_MAX_ROUNDS = 200
#: the choice names the form format holds (``name:`` of a choice, docs/format.md)
_CHOICE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar."""
    out = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


def number(value: float) -> str:
    """A float as YAML reads it back as one (``1e-05`` would be a text to YAML 1.1)."""
    return format(decimal.Decimal(repr(value)), "f")


def _key(lang: str) -> str:
    """A language code as a mapping key: bare, unless YAML 1.1 would read it as a boolean."""
    plain = re.fullmatch(r"[a-z]{2,3}", lang) and lang not in ("yes", "no", "on", "off")
    return lang if plain else quote(lang)


def _comment(text: str) -> str:
    """``text`` on one comment line that YAML reads (unprintable characters as escapes)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", " ".join(str(text).split()))


class _Writer:
    def __init__(self, r: Any, survey: Any, lists: dict[str, list[dict[str, Any]]],
                 label: str) -> None:
        self.r, self.survey, self.lists, self.label = r, survey, lists, label
        self.lines: list[str] = []
        self.rules: dict[int, Any] = {}  # line number (1-based, body) -> the _Rule on it
        self.languages: list[str] = []

    def text(self, texts: dict[str, str]) -> str:
        for lang in texts:
            if lang not in self.languages:
                self.languages.append(lang)
        return "{" + ", ".join(f"{_key(k)}: {quote(v)}" for k, v in texts.items()) + "}"

    def rule(self, indent: str, key: str, rule: Any) -> None:
        if rule.dropped:
            self.lines.append(f"{indent}# left out: {key}: {_comment(rule.text)}")
            return
        self.lines.append(f"{indent}{key}: {quote(rule.text)}")
        self.rules[len(self.lines)] = rule

    def body(self) -> list[str]:
        s = self.survey
        if s.params:
            self.lines.append("params:")
            for name, p in s.params.items():
                label = f", label: {self.text(p['label'])}" if p.get("label") else ""
                value = quote(p["value"]) if isinstance(p["value"], str) else (
                    number(p["value"]) if isinstance(p["value"], float) else p["value"])
                self.lines.append(f"  {name}: {{value: {value}{label}}}")
        if s.used_lists:
            self.lines.append("choice_lists:")
            for listed, lid in s.used_lists.items():
                self.lines.append(f"  {lid}:")
                for c in self.lists[listed]:
                    labels = c["labels"] or {self.r.default: c["name"] or str(c["code"])}
                    name = note = ""
                    if c["named"] and _CHOICE_NAME.fullmatch(c["name"]):
                        name = f", name: {quote(c['name'])}"
                    elif c["named"]:  # a name the form format cannot hold: kept in sight
                        note = f"  # name: {_comment(c['name'])}"
                    self.lines.append(f"    - {{code: {c['code']}{name}, label: "
                                      f"{self.text(labels)}}}{note}")
        self.lines.append("sections:")
        written = 0
        for sec in s.sections:
            live = [i for i in sec.items if i.qid and not (i.value and i.value.dropped)]
            if not live:
                self.lines += [f"  # {_comment(c)}" for i in sec.items for c in i.comments]
                continue
            written += 1
            self.lines.append(f"  - id: {sec.sid}")
            if sec.title:
                self.lines.append(f"    title: {self.text(sec.title)}")
            if sec.ask_if is not None:
                self.rule("    ", "ask_if", sec.ask_if)
            self.lines.append("    questions:")
            for item in sec.items:
                self.item(item)
        if s.checks:
            self.lines.append("checks:")
            for check in s.checks:
                self.check("  ", check)
        return self.lines if written else []

    def item(self, item: Any) -> None:
        self.lines += [f"      # {_comment(c)}" for c in item.comments]
        if not item.qid:
            return
        if item.value is not None and item.value.dropped:
            self.lines.append(f"      # left out: {item.qid} (computed): value: "
                              f"{_comment(item.value.text)}")
            return
        self.lines.append(f"      - id: {item.qid}")
        for key, value in item.fields.items():
            if isinstance(value, dict):
                value = self.text(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, str) and key in ("min", "max"):
                value = quote(value)
            elif isinstance(value, float):
                value = number(value)
            self.lines.append(f"        {key}: {value}")
        if item.value is not None:
            self.rule("        ", "value", item.value)
        if item.ask_if is not None:
            self.rule("        ", "ask_if", item.ask_if)
        live = [c for c in item.checks if not c["assert"].dropped]
        if live:
            self.lines.append("        checks:")
        for check in item.checks:
            self.check("          ", check)

    def check(self, indent: str, check: dict[str, Any]) -> None:
        key = "assert" if "assert" in check else "when"
        if check[key].dropped:
            self.lines.append(f"{indent}# left out: check {check['id']}: {key}: "
                              f"{_comment(check[key].text)}")
            return
        self.lines.append(f"{indent}- id: {check['id']}")
        self.lines.append(f"{indent}  severity: {check['severity']}")
        self.rule(indent + "  ", key, check[key])
        self.lines.append(f"{indent}  message: {self.text(check['message'])}")

    def header(self) -> list[str]:
        r, settings = self.r, self.r.settings
        form_id = r.form_id
        title = settings.get("form_title") or settings.get("title") or form_id
        primary = self.languages[0] if self.languages else r.default
        languages = sorted(self.languages, key=lambda lang: (lang != r.default,
                                                              self.languages.index(lang)))
        left = len(r.warnings)
        return [f"# Imported from {_comment(self.label)} by qengine import (docs/xlsform.md).",
                *([f"# {left} thing(s) were left out or changed: see the comments 'left out'."]
                  if left else []),
                f"form: {form_id}",
                f"version: {quote(settings.get('version') or '1')}",
                # XLSForm has one title for every language
                f"title: {self.text({lang: title for lang in languages or [primary]})}",
                f"languages: [{', '.join(_key(lang) for lang in (languages or [r.default]))}]"]


def assemble(r: Any, survey: Any, lists: dict[str, list[dict[str, Any]]], label: str,
             compile_text: Callable[[str, str], tuple[Any, list[Any]]]) -> tuple[str, Any]:
    """The YAML of the imported form and its compiled form, leaving out each rule the compiler
    refuses (with a warning) until the rest compiles."""
    for _round in range(_MAX_ROUNDS):
        w = _Writer(r, survey, lists, label)
        body = w.body()
        if not body:
            raise _no_questions()
        head = w.header()
        text = "\n".join([*head, *body]) + "\n"
        form, problems = compile_text(text, label)
        errors = [p for p in problems if p.severity == "error"]
        if not errors:
            return text, form
        dropped = False
        for p in errors:
            rule = w.rules.get(p.location.line - len(head))
            if rule is not None and not rule.dropped:
                rule.dropped = True
                dropped = True
                r.warn(rule.sheet, rule.row, rule.column,
                       f"{rule.column} left out: it says {rule.text!r}, which the rule "
                       f"language refuses: {p.message} [{p.code}]")
        if not dropped:
            from qengine.formats.xlsform_import import XLSFormError

            raise XLSFormError("the imported form does not compile (a bug of qengine "
                               "import): " + "; ".join(str(p).splitlines()[0] for p in errors))
    raise AssertionError("unreachable")  # pragma: no cover


def _no_questions() -> Exception:
    from qengine.formats.xlsform_import import XLSFormError

    return XLSFormError("the survey sheet has no question that can be imported")
