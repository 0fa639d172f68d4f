"""Diagrams of a form: its sections, the questions asked, the jumps as the paper says them, and its
checks, as Graphviz ``dot`` source or a Mermaid flowchart (and SVG through Graphviz's ``dot``).

One node per asked question (printed number, id, the start of its label) inside a box per section;
an edge to the next question, and one per jump labelled the way the paper writes it: ``② → 5``
(the answer that jumps and the printed number of where it lands; ``end`` for a jump to the end),
or the rule's text when it is more than a comparison of the question with codes. Each check is a
note (red for errors, amber for warnings) joined to the questions it names; one that names only
computed values is joined to the last question those values read. A question or section with an
``ask_if`` shows it under its label or title (``ask if: q1 == ①``). Every text is escaped for the
format, so no label can end a string or start a statement.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from qengine.notation import circled
from qengine.runtime.form import END, Form, Question

GRAPH_FORMATS = ("dot", "mermaid")
#: the longest label text shown on a node, and of a check's message and rule (longer ones end
#: in …)
SHORT, MESSAGE, RULE = 18, 24, 48
_ERROR = ("#b3261e", "#fde2e1")
_WARNING = ("#8a5a00", "#fff1c2")
_JUMP = "#1f5fbf"
_SAFE_ID = re.compile(r"[A-Za-z0-9_]{1,100}")


@attrs.frozen
class _Edge:
    source: str
    target: str
    label: str | None  # None for the edge to the next question


@attrs.frozen
class _Note:
    key: str
    severity: str
    text: str  # the label, lines separated by \n
    questions: tuple[str, ...]
    section: str


@attrs.frozen
class _Diagram:
    """What both formats draw, worked out once."""

    title: str
    sections: tuple[tuple[str, str, tuple[Question, ...]], ...]  # id, title, asked questions
    labels: Mapping[str, str]  # question id to its node's label (lines separated by \n)
    edges: tuple[_Edge, ...]
    notes: tuple[_Note, ...]
    ends: bool  # some edge goes to the end node


def graph(form: Form, fmt: str, *, lang: str | None = None) -> str:
    """``form`` as a diagram: ``fmt`` is ``"dot"`` (Graphviz source) or ``"mermaid"`` (a Mermaid
    flowchart). ``lang`` picks the language of the labels (default: the form's first)."""
    if not isinstance(form, Form):
        raise TypeError(f"graph() takes a compiled qengine Form, not {type(form).__name__}")
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r} (formats: {', '.join(GRAPH_FORMATS)})")
    diagram = _diagram(form, lang if lang in form.languages else form.languages[0])
    return _dot(form.id, diagram) if fmt == "dot" else _mermaid(diagram)


def svg(form: Form, *, lang: str | None = None, dot: str = "dot", timeout: float = 120) -> str:
    """``form``'s diagram drawn as SVG by Graphviz (the program ``dot``, a path or a name on the
    PATH). FileNotFoundError when there is no such program; RuntimeError when it fails."""
    source = graph(form, "dot", lang=lang)
    try:
        done = subprocess.run([dot, "-Tsvg"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{dot} -Tsvg took longer than {timeout:g} s") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RuntimeError(f"{dot} -Tsvg failed: {why}")
    return done.stdout.decode("utf-8", "replace")


# -- what is drawn ---------------------------------------------------------------------------
def _short(text: str, limit: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _node_label(q: Question, lang: str) -> str:
    head = f"{q.number} · {q.id}" if q.number else q.id
    return f"{head}\n{_short(q.labels.get(lang) or q.label)}"


def _jump_key(rule: Mapping[str, Any], qid: str) -> str | None:
    """The answer that takes a jump, as the paper writes it, for a jump written as its question
    compared with codes or a number (``q4 == ②`` is ``②``, ``q8 in [①, ③]`` is ``①、③``,
    ``selected(q6_1, ②)`` is ``②``, ``i23 == 0`` is ``0``); None for any other rule."""
    op, args = rule.get("op"), rule.get("args", [])
    if not args or not all(isinstance(a, Mapping) for a in args):
        return None
    if op == "eq" and len(args) == 2:
        left, right = args
        if right.get("op") == "answer":
            left, right = right, left
        args = [left, right]
    elif op not in ("in", "selected"):
        return None
    subject, *items = args
    if subject.get("op") != "answer" or subject.get("id") != qid or not items:
        return None
    if all(i.get("op") == "code" for i in items):
        return "、".join(circled(int(i["value"])) for i in items)
    if op == "eq" and items[0].get("op") == "num":
        value = items[0]["value"]
        return str(int(value)) if float(value).is_integer() else repr(value)
    return None


def _jump_label(rule: Mapping[str, Any], text: str, qid: str, where: str) -> str:
    """A jump as the paper says it: ``② → 5``; the rule's text when it is more than codes."""
    key = _jump_key(rule, qid)
    return f"{text if key is None else key} → {where}"


def _reads(node: Any) -> Iterable[tuple[str, str]]:
    """The (op, name) of every answer and computed value an expression reads."""
    if isinstance(node, Mapping):
        if node.get("op") in ("answer", "computed"):
            yield node["op"], node["id"]
        for arg in node.get("args", ()):
            yield from _reads(arg)


def _diagram(form: Form, lang: str) -> _Diagram:
    machine = form.to_json()
    by_id = {q.id: q for q in form.questions}
    section_ask = {s["id"]: s["ask_if"]["text"] for s in machine["sections"] if "ask_if" in s}
    sections = tuple(
        (sid, (titles.get(lang) or next(iter(titles.values()), sid)) + (
            f"\nask if: {_short(section_ask[sid], RULE)}" if sid in section_ask else ""),
         tuple(by_id[qid] for qid in qids if not by_id[qid].computed))
        for sid, titles, qids in form.sections)
    labels = {q["id"]: _node_label(by_id[q["id"]], lang) + (
        f"\nask if: {_short(q['ask_if']['text'], RULE)}" if "ask_if" in q else "")
        for q in machine["questions"] if q["type"] != "computed"}
    edges: list[_Edge] = []
    for step in machine["steps"]:
        qid = step["question"]
        for jump in step["jumps"]:
            target = jump["target"]
            where = ("end" if jump["written"] == END or target == END else
                     by_id[target].number or target)
            edges.append(_Edge(qid, target, _jump_label(jump["when"], jump["text"], qid, where)))
        following = next((t.target for t in form.transitions_from(qid) if t.guard is None), END)
        edges.append(_Edge(qid, following, None))
    # a computed value is shown where it becomes known: at the last asked question it reads
    value_of = {c["question"]: c["value"] for c in machine["computed"]}
    known_at: dict[str, str | None] = {}
    for q in form.questions:
        if q.computed:
            places = [by_id[name].index for op, name in _reads(value_of.get(q.id))
                      if op == "answer" and name in by_id]
            places += [by_id[p].index for op, name in _reads(value_of.get(q.id))
                       if op == "computed" and (p := known_at.get(name)) is not None]
            known_at[q.id] = form.questions[max(places)].id if places else None
    notes = []
    taken = set(by_id) | {END}
    for n, check in enumerate(form.checks):
        named = [qid if not by_id[qid].computed else known_at.get(qid)
                 for qid in check.questions if qid in by_id]
        attached = tuple(dict.fromkeys(qid for qid in named if qid is not None))
        if not attached:
            continue
        key = f"check:{check.id}"
        while key in taken:
            key += f"_{n}"
        taken.add(key)
        message = check.messages.get(lang) or next(iter(check.messages.values()), check.id)
        mark = "✖ error" if check.severity == "error" else "⚠ warning"
        text = f"{mark} {check.id}\n{_short(message, MESSAGE)}\n{_short(check.source, RULE)}"
        notes.append(_Note(key, check.severity, text, attached, by_id[attached[-1]].section))
    return _Diagram(form.titles.get(lang) or form.title, sections, labels, tuple(edges),
                    tuple(notes), any(e.target == END for e in edges))


# -- Graphviz --------------------------------------------------------------------------------
def dot_string(text: str) -> str:
    """``text`` as a Graphviz quoted string: backslashes and quotes escaped, ``&`` written as
    an entity (Graphviz reads entities in labels), control characters as spaces, and each line
    break as ``\\n``."""
    text = "".join(" " if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 else c
                   for c in text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + text.replace("\n", "\\n") + '"'


def _dot(form_id: str, d: _Diagram) -> str:
    font = 'fontname="sans-serif"'
    lines = [f"digraph {dot_string(form_id)} {{",
             f"  graph [rankdir=TB, {font}, label={dot_string(d.title)}, labelloc=t, newrank=true];",
             f"  node [shape=box, style=rounded, {font}];",
             f"  edge [{font}, fontsize=10];"]
    notes_in: dict[str, list[_Note]] = {}
    for note in d.notes:
        notes_in.setdefault(note.section, []).append(note)
    for n, (sid, title, questions) in enumerate(d.sections):
        lines.append(f"  subgraph {dot_string(f'cluster_{n}_{sid}')} {{")
        lines.append(f"    label={dot_string(title)}; style=rounded; color=gray60;")
        lines += [f"    {dot_string(q.id)} [label={dot_string(d.labels[q.id])}];"
                  for q in questions]
        for note in notes_in.get(sid, ()):
            line, fill = _ERROR if note.severity == "error" else _WARNING
            lines.append(f"    {dot_string(note.key)} [shape=note, style=filled, color="
                         f'"{line}", fillcolor="{fill}", fontsize=10, '
                         f"label={dot_string(note.text)}];")
        lines.append("  }")
    if d.ends:
        lines.append(f'  {dot_string(END)} [shape=doublecircle, label="end"];')
    for e in d.edges:
        if e.label is None:
            lines.append(f"  {dot_string(e.source)} -> {dot_string(e.target)};")
        else:
            lines.append(f"  {dot_string(e.source)} -> {dot_string(e.target)} "
                         f'[label={dot_string(e.label)}, color="{_JUMP}", '
                         f'fontcolor="{_JUMP}", penwidth=1.5];')
    for note in d.notes:
        line = (_ERROR if note.severity == "error" else _WARNING)[0]
        # only the first line places the note (just above that question): more would drag it
        lines += [f"  {dot_string(note.key)} -> {dot_string(qid)} [style=dotted, arrowhead=none, "
                  f'{"" if k == 0 else "constraint=false, "}color="{line}"];'
                  for k, qid in enumerate(note.questions)]
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid ---------------------------------------------------------------------------------
#: characters Mermaid reads inside a quoted label (as markup, entities, comments or the end of
#: the text), written as its numeric entities ``#NN;`` instead
_MERMAID_SPECIAL = frozenset('"#&<>|`\\%;[]{}()')


def mermaid_string(text: str) -> str:
    """``text`` as a quoted Mermaid label: each special character as its entity ``#NN;``, control
    characters as spaces, each line break as ``<br>``."""
    out = []
    for c in text:
        if c == "\n":
            out.append("<br>")
        elif ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029":
            out.append(" ")
        elif c in _MERMAID_SPECIAL:
            out.append(f"#{ord(c)};")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _mermaid(d: _Diagram) -> str:
    ids: dict[str, str] = {END: "finish"}
    for _sid, _title, questions in d.sections:
        for q in questions:
            ids[q.id] = f"n_{q.id}" if _SAFE_ID.fullmatch(q.id) else f"n{q.index}"
    notes_in: dict[str, list[tuple[int, _Note]]] = {}
    for n, note in enumerate(d.notes):
        notes_in.setdefault(note.section, []).append((n, note))
    # the title is YAML front matter: a JSON string is a YAML double-quoted one
    title = json.dumps(" ".join(d.title.split()), ensure_ascii=False)
    lines = ["---", f"title: {title}", "---", "flowchart TB"]
    for n, (sid, title, questions) in enumerate(d.sections):
        lines.append(f"  subgraph s{n}[{mermaid_string(title)}]")
        lines += [f"    {ids[q.id]}[{mermaid_string(d.labels[q.id])}]" for q in questions]
        lines += [f"    c{k}>{mermaid_string(note.text)}]" for k, note in notes_in.get(sid, ())]
        lines.append("  end")
    if d.ends:
        lines.append('  finish(("end"))')
    for e in d.edges:
        if e.label is None:
            lines.append(f"  {ids[e.source]} --> {ids[e.target]}")
        else:
            lines.append(f"  {ids[e.source]} ==>|{mermaid_string(e.label)}| {ids[e.target]}")
    for n, note in enumerate(d.notes):
        lines += [f"  c{n} -.- {ids[qid]}" for qid in note.questions]
    lines.append(f"  classDef error fill:{_ERROR[1]},stroke:{_ERROR[0]},color:#000")
    lines.append(f"  classDef warning fill:{_WARNING[1]},stroke:{_WARNING[0]},color:#000")
    for severity in ("error", "warning"):
        chosen = [f"c{n}" for n, note in enumerate(d.notes) if note.severity == severity]
        if chosen:
            lines.append(f"  class {','.join(chosen)} {severity}")
    return "\n".join(lines) + "\n"
