"""Synthetic qengine forms and records of any size, shaped like the bundled survey forms.

``make_form(n, seed)`` returns the YAML text of a valid form with exactly ``n`` questions (the closing
sign-off block included): a header, numbered items grouped in sections of about 25 questions, and a
closing section. Items look like the annexes:

* yes/no gates (the named ``yesno`` list) whose ② skips the item's sub-questions (``jump: {②: qX}``);
* counts (integer, ``min: 0``) whose 0 skips the details;
* single choices with 3-5 inline options, jumping with shorthand (``{③: qX, ①: qY}``) or with the
  general form (``jumps: [{when: ..., to: ...}]``), sometimes looking at an earlier gate too;
* multiple choices (a shorthand key means "this code is selected");
* money blocks: a total and its parts with an ``assert`` that the total is their sum, sometimes a
  computed net value with a warning below an income line param;
* loan blocks: two amounts with ``assert: subsidy <= loan``;
* text and date questions, a few optional questions, warnings on some answers, and form-level
  consistency warnings.

Roughly one question in four carries a jump, each skipping 1-6 questions.

``make_record(form, rng)`` builds a record for a compiled form that honours its jumps: it draws an
answer for every question, repairs the sum and ``<=`` checks it recognises in ``form.checks``, asks
``form.path`` which questions that interview would ask, and keeps only those answers. With
``errors=True`` one realistic mistake is put in (a wrong code, an answer to a skipped question, a
missing answer, a broken sum ...).

Run ``python bench/synthetic.py`` to compile forms of 50, 200, 1000 and 10000 questions and validate a
few records of each.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

__all__ = ["make_form", "make_record"]

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"

TOPICS = [
    ("医疗保险", "medical insurance"), ("养老保险", "pension insurance"),
    ("危房改造", "house renovation"), ("饮用水安全", "drinking-water safety"),
    ("产业扶贫", "industry poverty relief"), ("就业务工", "employment"),
    ("教育补助", "education subsidies"), ("最低生活保障", "minimum living allowance"),
    ("残疾人补贴", "disability allowances"), ("生态补偿", "ecological compensation"),
    ("扶贫小额信贷", "poverty-relief microcredit"), ("易地扶贫搬迁", "relocation"),
    ("农民合作社", "farmers' cooperatives"), ("光伏扶贫", "solar poverty relief"),
    ("电商扶贫", "e-commerce poverty relief"), ("技能培训", "skills training"),
    ("家庭医生签约", "family-doctor contracts"), ("特困供养", "extreme-poverty support"),
]

OPTION_POOL = [
    ("明显改善", "Clearly improved"), ("有所改善", "Somewhat improved"),
    ("没有改善", "Not improved"), ("变差", "Worse"), ("不清楚", "Do not know"),
    ("县内", "Within the county"), ("省内县外", "Within the province, outside the county"),
    ("省外", "Outside the province"), ("自来水", "Tap water"), ("井水", "Well water"),
    ("山泉水", "Mountain spring water"), ("其他", "Other"),
    ("身体原因", "Health reasons"), ("负担不起", "Cannot afford it"),
    ("种植业", "Crop farming"), ("养殖业", "Animal husbandry"), ("加工业", "Processing"),
    ("休闲农业或乡村旅游", "Leisure agriculture or rural tourism"),
]

TEXT_ANSWERS = ["已核实", "情况属实", "无", "待复核", "户主外出务工，由配偶代答", "3组", "张三",
                "李四", "王五", "靖港镇人民政府", "经村委会核实，情况与台账一致"]


def _q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def _text(zh: str, en: str) -> str:
    return f"{{zh: {_q(zh)}, en: {_q(en)}}}"


class _Spec:
    """One question being generated; ``jumps`` hold indexes until the ids are known."""

    __slots__ = ("checks", "choices", "extra", "id", "index", "jump_long", "jump_short", "label",
                 "number", "required", "type", "value")

    def __init__(self, qid: str, number: str, qtype: str, label: tuple[str, str]) -> None:
        self.id = qid
        self.number = number
        self.type = qtype
        self.label = label
        self.index = -1
        self.required = True
        self.choices: Any = None  # "yesno" or a list of (zh, en)
        self.extra: list[str] = []  # extra "key: value" lines (unit, min, hint ...)
        self.jump_short: list[tuple[str, int]] = []  # (key as written, target index)
        self.jump_long: list[tuple[str, int]] = []  # (rule, target index)
        self.checks: list[tuple[str, str, str, str, tuple[str, str]]] = []
        self.value: str | None = None


class _Gen:
    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.specs: list[_Spec] = []
        self.item = 0
        self.check_no = 0
        self.form_checks: list[tuple[str, str, str, str, tuple[str, str]]] = []
        self.gates: list[_Spec] = []  # earlier yes/no questions, for general jumps and checks

    # -- helpers -------------------------------------------------------------------------------
    def topic(self) -> tuple[str, str]:
        return self.rng.choice(TOPICS)

    def add(self, spec: _Spec) -> _Spec:
        spec.index = len(self.specs)
        self.specs.append(spec)
        return spec

    def check_id(self, stem: str) -> str:
        self.check_no += 1
        return f"{stem}_{self.check_no}"

    def options(self, k: int) -> list[tuple[str, str]]:
        return self.rng.sample(OPTION_POOL, k)

    def plain(self, qid: str, number: str) -> _Spec:
        """A question of a random plain type (the sub-questions of an item)."""
        zh, en = self.topic()
        r = self.rng.random()
        if r < 0.38:
            s = _Spec(qid, number, "single", (f"是否享受过{zh}相关政策", f"Have you benefited from {en}?"))
            s.choices = "yesno"
        elif r < 0.56:
            s = _Spec(qid, number, "single", (f"{zh}的主要情况", f"Main situation regarding {en}"))
            s.choices = self.options(self.rng.randint(3, 5))
        elif r < 0.70:
            s = _Spec(qid, number, "multiple", (f"享受过哪些{zh}帮扶措施", f"Which {en} measures?"))
            s.choices = self.options(self.rng.randint(4, 7))
        elif r < 0.80:
            s = _Spec(qid, number, "money", (f"{zh}收入", f"Income from {en}"))
            s.extra.append("unit: 元")
        elif r < 0.88:
            s = _Spec(qid, number, "integer", (f"{zh}涉及人数", f"People concerned by {en}"))
            s.extra += ["unit: 人", "min: 0"]
        elif r < 0.95:
            s = _Spec(qid, number, "text", (f"{zh}情况说明", f"Notes on {en}"))
        else:
            s = _Spec(qid, number, "date", (f"{zh}办理日期", f"Date {en} was arranged"))
            s.extra.append('min: "2014-01-01"')
        if self.rng.random() < 0.08:
            s.required = False
            s.extra.append('hint: {zh: "选填", en: "Optional"}')
        return s

    # -- items ---------------------------------------------------------------------------------
    def subs(self, k: int, count: int) -> list[_Spec]:
        letters = "abcdefgh"
        out = []
        for j in range(count):
            out.append(self.add(self.plain(f"q{k}_{j + 1}", f"{k}—{j + 1}")))
            if self.rng.random() < 0.1:
                out[-1].id = f"q{k}_{j + 1}{letters[0]}"  # a lettered part, as 7—1a
        return out

    def nest(self, subs: list[_Spec], end: int) -> None:
        """Jumps inside an item, as 4—1 ① → 5: a yes/no part skipping the parts after it."""
        for s in subs[:-1]:
            if s.choices == "yesno" and not s.jump_short and self.rng.random() < 0.45:
                s.jump_short.append((self.rng.choice("①②"), self.rng.randint(s.index + 2, end)))

    def item_yes_no_gate(self, k: int, room: int) -> None:
        zh, en = self.topic()
        lead = self.add(_Spec(f"q{k}", str(k), "single",
                              (f"建档立卡以来，是否参与过{zh}", f"Since registration, any {en}?")))
        lead.choices = "yesno"
        subs = self.subs(k, min(room - 1, self.rng.randint(1, 6)))
        lead.jump_short.append(("②", lead.index + len(subs) + 1))
        self.nest(subs, lead.index + len(subs) + 1)
        if self.rng.random() < 0.12:
            lead.checks.append((self.check_id("no_" + "policy"), "warning", "when", f"q{k} == ②",
                                (f"未享受过{zh}，请核实（允许提交）",
                                 f"No {en}: please verify (submission is still allowed)")))
        self.gates.append(lead)

    def item_count_gate(self, k: int, room: int) -> None:
        zh, en = self.topic()
        lead = self.add(_Spec(f"q{k}", str(k), "integer",
                              (f"家庭中{zh}人数", f"Number of household members in {en}")))
        lead.extra += ["unit: 人", "min: 0"]
        subs = self.subs(k, min(room - 1, self.rng.randint(1, 5)))
        lead.jump_short.append(("0", lead.index + len(subs) + 1))

    def item_choice_gate(self, k: int, room: int) -> None:
        zh, en = self.topic()
        lead = self.add(_Spec(f"q{k}", str(k), "single", (f"{zh}的享受情况", f"Status of {en}")))
        lead.choices = self.options(self.rng.randint(3, 5))
        count = min(room - 1, self.rng.randint(2, 6))
        subs = self.subs(k, count)
        end = lead.index + len(subs) + 1
        self.nest(subs[1:], end)
        last = len(lead.choices)
        style = self.rng.random()
        if style < 0.5 or len(subs) < 2:
            lead.jump_short.append((CIRCLED[last - 1], end))
            if len(subs) >= 2:
                lead.jump_short.append(("①", lead.index + 2))
        else:
            lead.jump_long.append((f"q{k} == {CIRCLED[last - 1]}", end))
            rule = f"q{k} in [①, ②]"
            if self.gates and self.rng.random() < 0.5:
                gate = self.rng.choice(self.gates[-5:])
                rule = f"q{k} == ① and {gate.id} == ②"
            lead.jump_long.append((rule, lead.index + 2))

    def item_multiple_gate(self, k: int, room: int) -> None:
        zh, en = self.topic()
        lead = self.add(_Spec(f"q{k}", str(k), "multiple", (f"存在哪些{zh}问题", f"Problems with {en}")))
        lead.choices = self.options(self.rng.randint(4, 6))
        subs = self.subs(k, min(room - 1, self.rng.randint(1, 4)))
        lead.jump_short.append((CIRCLED[len(lead.choices) - 1], lead.index + len(subs) + 1))

    def item_money_block(self, k: int, room: int) -> None:
        zh, en = self.topic()
        parts = min(room - 1, self.rng.randint(2, 4))
        total = self.add(_Spec(f"q{k}", str(k), "money", (f"本户{zh}总收入", f"Total {en} income")))
        total.extra.append("unit: 元")
        ids = []
        for j in range(parts):
            pzh, pen = self.topic()
            p = self.add(_Spec(f"q{k}_{j + 1}", f"{k}—{j + 1}", "money", (f"{pzh}收入", f"{pen} income")))
            p.extra.append("unit: 元")
            ids.append(p.id)
        if parts >= 2:
            total.checks.append((self.check_id("income_total"), "error", "assert",
                                 f"q{k} == " + " + ".join(ids),
                                 ("总收入应等于各项收入之和", "The total must equal the sum of its parts")))
        if room - 1 - parts >= 1 and self.rng.random() < 0.4:
            net = self.add(_Spec(f"q{k}_net", f"{k}", "computed", (f"{zh}净收入", f"Net {en} income")))
            net.value = f"q{k} - {ids[-1]}"
            net.extra.append("unit: 元")
            net.checks.append((self.check_id("below_income_line"), "warning", "when",
                               f"q{k}_net < income_line",
                               ("净收入低于收入标准线，请核实", "Net income is below the income line")))

    def item_loan_block(self, k: int, room: int) -> None:
        if room < 3:
            return self.item_single(k)
        zh, en = self.topic()
        lead = self.add(_Spec(f"q{k}", str(k), "single",
                              (f"是否借过{zh}贷款", f"Have you taken a loan for {en}?")))
        lead.choices = "yesno"
        loan = self.add(_Spec(f"q{k}_1a", f"{k}—1", "money", ("贷款金额", "Amount borrowed")))
        sub = self.add(_Spec(f"q{k}_1b", f"{k}—1", "money", ("享受贴息金额", "Interest subsidy")))
        loan.extra.append("unit: 元")
        sub.extra.append("unit: 元")
        lead.jump_short.append(("②", sub.index + 1))
        sub.checks.append((self.check_id("subsidy_le_loan"), "error", "assert", f"{sub.id} <= {loan.id}",
                           ("贴息金额不能超过贷款金额", "The subsidy cannot exceed the loan")))
        self.gates.append(lead)
        return None

    def item_single(self, k: int) -> None:
        self.add(self.plain(f"q{k}", str(k)))

    # -- the form ------------------------------------------------------------------------------
    def build(self) -> str:
        closing = [("respondent_sign", "text", ("被访者签名", "Respondent's signature"), True),
                   ("reviewer_sign", "text", ("复核人员签名", "Reviewer's signature"), True),
                   ("survey_date", "date", ("日期", "Date"), True),
                   ("proxy_note", "text", ("代签备注说明", "Note when signed by proxy"), False),
                   ("reviewer_unit", "text", ("复核人员单位", "Reviewer's work unit"), True)]
        n_closing = 1 if self.n < 10 else 3 if self.n < 50 else 5
        header = [("county", "text", ("县（市、区）", "County (city, district)")),
                  ("township", "text", ("乡镇", "Township")), ("village", "text", ("村", "Village")),
                  ("head_name", "text", ("户主姓名", "Name of the household head")),
                  ("household_size", "integer", ("家庭人口", "Household size"))]
        n_header = min(len(header), max(0, self.n - n_closing - 1))
        for qid, qtype, label in header[:n_header]:
            s = self.add(_Spec(qid, "", qtype, label))
            if qtype == "integer":
                s.extra += ["unit: 人", "min: 1"]
        body_end = self.n - n_closing
        makers = [(0.34, self.item_yes_no_gate), (0.08, self.item_count_gate),
                  (0.12, self.item_choice_gate), (0.05, self.item_multiple_gate),
                  (0.06, self.item_money_block), (0.04, self.item_loan_block)]
        while len(self.specs) < body_end:
            self.item += 1
            k = self.item
            room = body_end - len(self.specs)
            r = self.rng.random()
            if room < 2:
                self.item_single(k)
                continue
            for p, maker in makers:
                if r < p:
                    maker(k, room)
                    break
                r -= p
            else:
                self.item_single(k)
            if self.item % 40 == 0 and len(self.gates) >= 2:
                a, b = self.rng.sample(self.gates[-8:], 2)
                if a.index > b.index:
                    a, b = b, a
                self.form_checks.append((
                    self.check_id("consistency"), "warning", "when", f"{a.id} == ① and {b.id} == ②",
                    (f"第{a.number}题与第{b.number}题的回答不一致，请核实",
                     f"Items {a.number} and {b.number} disagree: please verify")))
        for qid, qtype, label, required in closing[:n_closing]:
            s = self.add(_Spec(qid, "", qtype, label))
            s.required = required
        assert len(self.specs) == self.n, (len(self.specs), self.n)
        return self.render(body_end)

    def render(self, body_end: int) -> str:
        specs = self.specs
        out = [
            "# A synthetic survey made by bench/synthetic.py for benchmarks.",
            f"form: synthetic_{self.n}",
            'version: "1.0"',
            "title: " + _text(f"合成调查问卷（{self.n}题）", f"Synthetic survey ({self.n} questions)"),
            "languages: [zh, en]",
            "",
            "params:",
            "  income_line:",
            "    value: 4000",
            "    unit: 元",
            "    label: " + _text("收入标准线", "Income line"),
            "",
            "choice_lists:",
            "  yesno:",
            '    - {code: 1, label: {zh: "是", en: "Yes"}}',
            '    - {code: 2, label: {zh: "否", en: "No"}}',
            "",
            "sections:",
        ]

        def target(i: int) -> str:
            return specs[i].id if i < body_end else "end"

        n_header = sum(1 for s in specs if not s.number and s.index < body_end)
        bounds = [(0, n_header, "header", ("基本信息", "Household"))] if n_header else []
        start = n_header
        sec = 0
        while start < body_end:
            # sections of about 25 questions, ending where an item ends (a lead has no "—")
            stop = min(body_end, start + 25)
            while stop < body_end and "—" in specs[stop].number:
                stop += 1
            sec += 1
            bounds.append((start, stop, f"part{sec}", (f"第{sec}部分", f"Part {sec}")))
            start = stop
        if body_end < len(specs):
            bounds.append((body_end, len(specs), "signoff", ("签名", "Sign-off")))
        for lo, hi, sid, title in bounds:
            out.append(f"  - id: {sid}")
            out.append(f"    title: {_text(*title)}")
            if sid == "signoff":
                out.append("    closing: true")
            out.append("    questions:")
            for s in specs[lo:hi]:
                out.extend(self.render_question(s, target))
            out.append("")
        if self.form_checks:
            out.append("checks:")
            for c in self.form_checks:
                out.extend(_render_check(c, "  "))
        return "\n".join(out) + "\n"

    def render_question(self, s: _Spec, target: Any) -> list[str]:
        ind = "      "
        lines = [f"{ind}- id: {s.id}"]
        ind += "  "
        if s.number:
            lines.append(f"{ind}number: {_q(s.number)}")
        lines.append(f"{ind}label: {_text(*s.label)}")
        lines.append(f"{ind}type: {s.type}")
        if not s.required:
            lines.append(f"{ind}required: false")
        for e in s.extra:
            lines.append(f"{ind}{e}")
        if s.value:
            lines.append(f"{ind}value: {s.value}")
        if s.choices == "yesno":
            lines.append(f"{ind}choices: yesno")
        elif s.choices:
            lines.append(f"{ind}choices:")
            for code, (zh, en) in enumerate(s.choices, 1):
                lines.append(f"{ind}  - {{code: {code}, label: {_text(zh, en)}}}")
        if s.jump_short:
            inner = ", ".join(f"{key}: {target(t)}" for key, t in s.jump_short)
            lines.append(f"{ind}jump: {{{inner}}}")
        if s.jump_long:
            lines.append(f"{ind}jumps:")
            for rule, t in s.jump_long:
                lines.append(f"{ind}  - when: {_q(rule)}")
                lines.append(f"{ind}    to: {target(t)}")
        if s.checks:
            lines.append(f"{ind}checks:")
            for c in s.checks:
                lines.extend(_render_check(c, ind + "  "))
        return lines


def _render_check(c: tuple[str, str, str, str, tuple[str, str]], ind: str) -> list[str]:
    cid, severity, kind, rule, (zh, en) = c
    return [f"{ind}- id: {cid}", f"{ind}  severity: {severity}", f"{ind}  {kind}: {_q(rule)}",
            f"{ind}  message: {_text(zh, en)}"]


def make_form(n_questions: int, seed: int = 0) -> str:
    """The YAML text of a valid qengine form with exactly ``n_questions`` questions (at least 2)."""
    if n_questions < 2:
        raise ValueError("a synthetic form has at least 2 questions")
    return _Gen(n_questions, seed).build()


# -- records ---------------------------------------------------------------------------------------
_SUM = re.compile(r"^(\w+) == (\w+(?: \+ \w+)+)$")
_LE = re.compile(r"^(\w+) <= (\w+)$")


def _answer(q: Any, rng: random.Random) -> Any:
    """A plausible canonical answer (as JSON would hold it) to question ``q``."""
    t = q.type
    if not q.required and rng.random() < 0.3:
        return [] if t == "multiple" else None
    if t == "single":
        return rng.choice(q.choices).code
    if t == "multiple":
        codes = [c.code for c in q.choices]
        return sorted(rng.sample(codes, rng.randint(1, min(3, len(codes)))))
    if t == "money":
        if rng.random() < 0.15:
            return round(rng.uniform(0, 20000), 2)
        return rng.choice((0, rng.randint(0, 60000), rng.randint(1000, 30000)))
    if t in ("integer", "number"):
        lo = q.min if q.min is not None else 0
        hi = q.max if q.max is not None else lo + 8
        return rng.choice((lo, rng.randint(lo, hi)))
    if t == "year":
        return rng.randint(q.min or 2014, q.max or 2020)
    if t == "date":
        return f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if t == "id_number":
        from qengine.notation import id_check_digit  # a helper, not the public surface

        first = f"430122{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first += f"{rng.randint(0, 999):03d}"
        return first + id_check_digit(first)
    return rng.choice(TEXT_ANSWERS)


def _repair(form: Any, full: dict[str, Any]) -> None:
    """Make the sum and <= checks that ``form.checks`` states hold on ``full``."""
    sums, les = [], []
    for c in form.checks:
        if c.severity != "error":
            continue
        m = _SUM.match(c.source)
        if m:
            sums.append((m.group(1), m.group(2).split(" + ")))
            continue
        m = _LE.match(c.source)
        if m:
            les.append((m.group(1), m.group(2)))
    for small, big in les:
        a, b = full.get(small), full.get(big)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b:
            full[small] = b if isinstance(b, int) else round(b * 0.5, 2)
    for total, parts in sums:
        values = [full.get(p) for p in parts]
        if total in full and all(isinstance(v, (int, float)) for v in values):
            full[total] = round(sum(values), 2)
            if float(full[total]).is_integer():
                full[total] = int(full[total])


def _break(form: Any, record: dict[str, Any], full: dict[str, Any], path: list[str],
           rng: random.Random) -> None:
    """Put one realistic mistake into ``record``."""
    asked = [form.question(qid) for qid in path]
    skipped = [q for q in form.questions if q.id not in record and not q.computed]
    kind = rng.choice(("code", "skipped", "missing", "sum", "negative", "date", "type"))
    if kind == "skipped" and skipped:
        q = rng.choice(skipped)
        record[q.id] = full.get(q.id) if full.get(q.id) not in (None, []) else _answer(
            q, random.Random(1))
        if record[q.id] in (None, []):
            record[q.id] = "补填"
        return
    if kind == "sum":
        for c in form.checks:
            m = _SUM.match(c.source)
            if m and all(isinstance(record.get(p), (int, float)) for p in
                         [m.group(1), *m.group(2).split(" + ")]):
                record[m.group(1)] += 100
                return
    if kind == "negative":
        money = [q for q in asked if q.type == "money"]
        if money:
            record[rng.choice(money).id] = -50
            return
    if kind == "date":
        dates = [q for q in asked if q.type == "date"]
        if dates:
            record[rng.choice(dates).id] = "2020-02-30"
            return
    if kind == "type":
        texts = [q for q in asked if q.type == "text"]
        if texts:
            record[rng.choice(texts).id] = 12345
            return
    required = [q for q in asked if q.required]
    if kind == "missing" and required:
        del record[rng.choice(required).id]
        return
    choice = [q for q in asked if q.type == "single"]
    if choice:
        record[rng.choice(choice).id] = 9  # no synthetic or bundled list reaches ⑨
    else:
        record["no_such_question"] = 1


def make_record(form: Any, rng: random.Random, errors: bool = False) -> dict[str, Any]:
    """A record for compiled ``form`` holding the answers of one path through its jumps.

    Every answer is valid and the sum / ``<=`` checks hold (warnings may fire); with ``errors``,
    one mistake is added. Computed questions are left out, as a front end would.
    """
    full: dict[str, Any] = {}
    for q in form.questions:
        if not q.computed:
            full[q.id] = _answer(q, rng)
    _repair(form, full)
    path = form.path(full)
    record = {qid: full[qid] for qid in path}
    _repair(form, record)
    if errors:
        _break(form, record, full, path, rng)
    return record


def _self_check(sizes: tuple[int, ...] = (50, 200, 1000, 10000)) -> None:
    import time

    import qengine

    for n in sizes:
        t0 = time.perf_counter()
        text = make_form(n, seed=n)
        form = qengine.load_text(text, f"<synthetic {n}>")
        t1 = time.perf_counter()
        assert len(form.questions) == n
        rng = random.Random(n)
        jumps = sum(1 for t in form.transitions if t.guard is not None)
        jumping = len({t.source for t in form.transitions if t.guard is not None})
        ok = bad = 0
        lengths = []
        for i in range(20):
            rec = make_record(form, rng)
            rep = form.validate(rec)
            assert rep.ok, (n, i, rep.errors[:3])
            lengths.append(len(rec))
            ok += 1
            rep = form.validate(make_record(form, rng, errors=True))
            bad += not rep.ok
        types: dict[str, int] = {}
        for q in form.questions:
            types[q.type] = types.get(q.type, 0) + 1
        print(f"n={n:>6}: loaded in {t1 - t0:6.2f}s  {len(text) / 1e3:8.0f} kB  "
              f"{jumps} jumps on {jumping} questions ({jumping / n:.2f}/q), {len(form.checks)} checks, "
              f"{len(form.sections)} sections; path {min(lengths)}-{max(lengths)} answers; "
              f"valid records ok {ok}/20, broken records refused {bad}/20")
        print("          types:", ", ".join(f"{k} {v}" for k, v in sorted(types.items())))


if __name__ == "__main__":
    _self_check()
