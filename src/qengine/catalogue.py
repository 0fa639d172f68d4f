"""The catalogue: every run-time message (answers, violations, snapshots, submissions) in zh and en,
and every code a form or machine definition can be refused with.

A message is named by a key: its code, optionally followed by a dot and a variant
(``range.below``). Violations carry the code; front ends show the message in the form's languages,
so none needs a translation table of its own. Values are quoted through :func:`describe`, which
never fails and never prints more than a few dozen characters, whatever the value.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

#: zh and en templates of every run-time message; ``{question}`` is the question id, ``{value}``
#: the value quoted by :func:`describe`.
MESSAGES: dict[str, dict[str, str]] = {
    # -- answers: what a coercer refuses (the violation's rule is the part before the dot) ------
    "type.text": {"en": "expected text, got {value}", "zh": "应填文字，实为 {value}"},
    "type.number": {"en": "expected a number, got {value}", "zh": "应填数字，实为 {value}"},
    "type.finite": {"en": "expected a finite number, got {value}", "zh": "应填有限的数字，实为 {value}"},
    "type.whole": {"en": "expected a whole number, got {value}", "zh": "应填整数，实为 {value}"},
    "type.date": {"en": "expected an ISO date (YYYY-MM-DD), got {value}",
                  "zh": "应填日期（YYYY-MM-DD），实为 {value}"},
    "type.code": {"en": "expected a choice code, got {value}", "zh": "应填选项编号，实为 {value}"},
    "type.bool": {"en": "expected a choice code, got {value} (yes is code 1, no is code 2)",
                  "zh": "应填选项编号，实为 {value}（是为 1，否为 2）"},
    "type.codes": {"en": "expected a list of choice codes, got {value}",
                   "zh": "应填选项编号的列表，实为 {value}"},
    "type.id_number": {"en": "expected an id number as text, got {value}",
                       "zh": "身份证号码应为文字，实为 {value}"},
    "type.strict": {"en": "expected {expected} in a record, got {value} (entered text is converted "
                          "only on request: validate(record, coerce=True))",
                    "zh": "记录中应为{expected_zh}，实为 {value}（录入文字仅在 coerce=True 时转换）"},
    "length": {"en": "text is longer than {limit} characters", "zh": "文字超过 {limit} 个字符"},
    "decimals": {"en": "at most {limit} digits after the point ({value})",
                 "zh": "小数点后最多 {limit} 位（{value}）"},
    "range.below": {"en": "{value} is below the minimum {limit}", "zh": "{value} 小于最小值 {limit}"},
    "range.above": {"en": "{value} is above the maximum {limit}", "zh": "{value} 大于最大值 {limit}"},
    "range.before": {"en": "{value} is before {limit}", "zh": "{value} 早于 {limit}"},
    "range.after": {"en": "{value} is after {limit}", "zh": "{value} 晚于 {limit}"},
    "format.date": {"en": "expected an ISO date (YYYY-MM-DD), got {value}",
                    "zh": "日期格式应为 YYYY-MM-DD，实为 {value}"},
    "format.not_a_date": {"en": "{value} is not a real date", "zh": "{value} 不是有效日期"},
    "format.id_length": {"en": "an id number has 18 characters, not {length}",
                         "zh": "身份证号码应为 18 位，实为 {length} 位"},
    "format.id_chars": {"en": "an id number is 17 digits and a final digit or X",
                        "zh": "身份证号码应为 17 位数字加一位数字或 X"},
    "format.id_birth_date": {"en": "the birth date {birth} in the id number is not a real date",
                             "zh": "身份证号码中的出生日期 {birth} 无效"},
    "format.id_check_digit": {"en": "the check digit of the id number is wrong (GB 11643)",
                              "zh": "身份证号码校验位错误（GB 11643）"},
    "format.text": {"en": "text holds a character that cannot be stored (a lone surrogate)",
                    "zh": "文字含有无法保存的字符"},
    "choice": {"en": "{value} is not one of the codes {codes}", "zh": "{value} 不是选项 {codes} 之一"},
    "duplicate": {"en": "a code is listed more than once", "zh": "有选项编号重复"},
    "computed": {"en": "a computed value is not answered", "zh": "计算项无需回答"},
    # -- moving through an interview --------------------------------------------------------------
    "required.blank": {"en": "{question} is required; it cannot be blank",
                       "zh": "{question} 为必答项，不能留空"},
    "finished": {"en": "the interview is finished; nothing is asked", "zh": "问卷已答完，没有待答的问题"},
    "no_answer": {"en": "{question} has no kept answer to move forward with",
                  "zh": "{question} 没有保留的答案可以继续"},
    "not_in_history": {"en": "{question} has not been asked in this interview",
                       "zh": "本次访问尚未问到 {question}"},
    "keep.confirmed": {"en": "{question} is answered already: go back to it to change it",
                       "zh": "{question} 已确认作答，如需修改请返回该题"},
    "acknowledge.unknown": {"en": "{question} is not a warning of this form",
                            "zh": "{question} 不是本问卷的警告项"},
    "acknowledge.not_holding": {"en": "warning {question} does not hold on the current answers",
                                "zh": "警告 {question} 在当前答案下不成立"},
    "acknowledge.reason": {"en": "a reason is a text of 1 to 1000 characters",
                           "zh": "理由应为1至1000个字符的文字"},
    # -- violations of a record -----------------------------------------------------------------
    "required": {"en": "{question} is required but has no answer", "zh": "{question} 为必答项，尚未回答"},
    "not_asked": {"en": "{question} is answered, but it is not asked here (a jump or an ask_if "
                        "skips it): it must be left empty",
                  "zh": "{question} 按跳转规则或提问条件应跳过，不应填写"},
    "unknown_question": {"en": "{value} is not a question of form {form}",
                         "zh": "{value} 不是问卷 {form} 的问题"},
    "unacknowledged": {"en": "warning {question} holds, and the form asks for a reason to let it "
                             "through; the record gives none",
                       "zh": "警告 {question} 成立，按要求须说明放行理由，但记录中没有"},
    "bad_meta": {"en": "_meta is not as qengine writes it: {why}",
                 "zh": "_meta 格式不正确：{why}"},
    "not_a_record": {"en": "a record must be a mapping of question id to answer, not {kind}",
                     "zh": "记录应为“问题编号→答案”的映射，实为 {kind}"},
    "computed_mismatch": {"en": "{question} is given as {value} but computes to {computed}; the "
                                "computed value is used",
                          "zh": "{question} 填为 {value}，但计算结果为 {computed}；以计算结果为准"},
    "bad_json": {"en": "line {line} is not JSON: {why}", "zh": "第 {line} 行不是 JSON：{why}"},
    "bad_json.deep": {"en": "line {line} is nested too deeply to read",
                      "zh": "第 {line} 行嵌套过深，无法读取"},
    "bad_json.long": {"en": "line {line} is longer than {limit} bytes",
                      "zh": "第 {line} 行超过 {limit} 字节"},
    "bad_encoding": {"en": "line {line} is not UTF-8 text (byte {byte} at {at})",
                     "zh": "第 {line} 行不是 UTF-8 文本（第 {at} 字节为 {byte}）"},
}

#: Every code a form file or a machine file can be refused with (:class:`~qengine.FormError`
#: problems), with what it means; the message of each problem says the particulars.
FORM_CODES: dict[str, dict[str, str]] = {
    "file": {"en": "the file cannot be read", "zh": "无法读取文件"},
    "encoding": {"en": "the file is not UTF-8 text", "zh": "文件不是 UTF-8 文本"},
    "unknown_form": {"en": "no such form file or bundled form", "zh": "没有这个问卷文件或内置问卷"},
    "yaml_syntax": {"en": "the YAML is malformed", "zh": "YAML 语法错误"},
    "yaml_alias": {"en": "YAML anchors and aliases are not allowed", "zh": "不允许使用 YAML 锚点和别名"},
    "yaml_tag": {"en": "a YAML tag is not allowed here", "zh": "此处不允许使用 YAML 标签"},
    "yaml_key": {"en": "a mapping key must be plain text or a number", "zh": "键应为文字或数字"},
    "yaml_depth": {"en": "the YAML is nested too deeply", "zh": "YAML 嵌套过深"},
    "yaml_documents": {"en": "a form file holds one YAML document", "zh": "问卷文件只能有一个 YAML 文档"},
    "yaml_value": {"en": "a YAML value cannot be read as written", "zh": "YAML 值无法读取"},
    "duplicate_key": {"en": "a key is given twice", "zh": "键重复"},
    "schema": {"en": "the form does not follow the form format", "zh": "问卷不符合格式规定"},
    "number_range": {"en": "a number is out of the range a form may use", "zh": "数字超出允许范围"},
    "id": {"en": "an id is not a valid name", "zh": "编号不合法"},
    "reserved_id": {"en": "an id is reserved", "zh": "编号为保留字"},
    "duplicate_id": {"en": "an id is used twice", "zh": "编号重复"},
    "name_clash": {"en": "a param and a question share a name", "zh": "参数与问题同名"},
    "duplicate_code": {"en": "a choice code is used twice", "zh": "选项编号重复"},
    "code": {"en": "a choice code is not a whole number from 0", "zh": "选项编号应为非负整数"},
    "choices": {"en": "choices are malformed", "zh": "选项格式错误"},
    "missing_choices": {"en": "a choice question has no choices", "zh": "选择题缺少选项"},
    "unexpected_choices": {"en": "only choice questions have choices", "zh": "只有选择题才有选项"},
    "unknown_choice_list": {"en": "no such choice list", "zh": "没有这个选项列表"},
    "missing_value": {"en": "a computed question has no value rule", "zh": "计算项缺少计算规则"},
    "unexpected_none_ok": {"en": "only a multiple choice may take [] as \"none of these\"",
                           "zh": "只有多选题才能以空列表表示“以上都没有”"},
    "unexpected_value": {"en": "only computed questions have a value rule", "zh": "只有计算项才有计算规则"},
    "value": {"en": "a value is not allowed here", "zh": "此处的值不合法"},
    "bad_bound": {"en": "a bound is malformed", "zh": "上下限格式错误"},
    "max": {"en": "max is below min", "zh": "上限小于下限"},
    "type": {"en": "a setting has the wrong kind of value", "zh": "设置项的值类型错误"},
    "closing_not_last": {"en": "the closing section is not the last", "zh": "结束部分不是最后一部分"},
    "bad_jump_key": {"en": "a jump key is not a code or value of the question", "zh": "跳转键不合法"},
    "unknown_target": {"en": "a jump target does not exist", "zh": "跳转目标不存在"},
    "jump_self": {"en": "a question jumps to itself", "zh": "问题跳转到自身"},
    "jump_backward": {"en": "a jump goes back; jumps only go forward", "zh": "跳转只能向后"},
    "jump_looks_ahead": {"en": "a jump reads a later question", "zh": "跳转条件引用了后面的问题"},
    "bad_acknowledge": {"en": "only a warning may ask for a reason", "zh": "只有警告项可要求说明理由"},
    "rename_clash": {"en": "an earlier id of a question is taken", "zh": "题目曾用编号冲突"},
    "ask_if_looks_ahead": {"en": "an ask_if reads its own or a later question",
                           "zh": "提问条件引用了本题或后面的问题"},
    "rule_syntax": {"en": "a rule cannot be parsed", "zh": "规则语法错误"},
    "rule_too_deep": {"en": "a rule is nested too deeply", "zh": "规则嵌套过深"},
    "rule_too_long": {"en": "a rule is too long", "zh": "规则过长"},
    "unknown_name": {"en": "a rule names no question or param", "zh": "规则引用了不存在的问题或参数"},
    "unknown_function": {"en": "a rule calls no such function", "zh": "规则调用了不存在的函数"},
    "bad_arguments": {"en": "a function gets the wrong arguments", "zh": "函数参数错误"},
    "unknown_code": {"en": "a code is not among the question's choices", "zh": "编号不在该题选项中"},
    "type_mismatch": {"en": "a rule compares or combines unlike things", "zh": "规则中类型不匹配"},
    "computed_cycle": {"en": "a computed value depends on itself", "zh": "计算项循环依赖"},
    "bad_finding_type": {"en": "a finding's problem type is not 1-8", "zh": "问题类型应为1至8"},
    "bad_description": {"en": "a finding's description has a lone brace",
                        "zh": "问题描述中的花括号不成对"},
    "warning": {"en": "a check's severity is not error or warning", "zh": "检查级别应为 error 或 warning"},
    "machine": {"en": "the machine file does not follow the machine format", "zh": "状态机文件格式错误"},
    # the whole-form analysis of `qengine lint` (warnings)
    "unreachable_question": {"en": "no path asks the question", "zh": "没有任何路径会问到此题"},
    "jump_never": {"en": "the jump can never fire", "zh": "此跳转永远不会发生"},
    "jump_always": {"en": "the jump always fires", "zh": "此跳转总会发生"},
    "check_never": {"en": "the check can never fire", "zh": "此检查永远不会触发"},
    "check_always": {"en": "the check fires whenever it applies", "zh": "此检查只要适用就会触发"},
    "check_not_together": {"en": "the questions of the check are never asked together",
                           "zh": "此检查涉及的问题不会同时被问到"},
    "finding_never": {"en": "no record makes the finding", "zh": "没有任何记录会产生此问题"},
    "finding_always": {"en": "every record makes the finding", "zh": "每条记录都会产生此问题"},
    "finding_not_together": {"en": "the questions of the finding are never asked together",
                             "zh": "此问题涉及的问题不会同时被问到"},
    "unused_computed": {"en": "a computed value is never used", "zh": "计算项未被使用"},
    "missing_language": {"en": "a text lacks one of the form's languages", "zh": "文字缺少某种语言"},
    "cannot_decide": {"en": "the analysis cannot decide some findings", "zh": "分析无法确定部分结论"},
}


class _Short(reprlib.Repr):
    """``repr`` cut short, that never fails: no int-to-text limit, no recursion limit."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxstring = 40
        self.maxother = 40
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 6

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 160:  # beyond about 48 digits: say how long, never convert it all
            return f"<a {int(x.bit_length() * 0.30103) + 1}-digit number>"
        return repr(x)

    def repr_str(self, x: str, level: int) -> str:
        text = repr(x[: self.maxstring + 1])
        return text if len(x) <= self.maxstring else text[:-1][: self.maxstring] + "..." + text[-1]


_SHORT = _Short()


def describe(value: Any) -> str:
    """A short, safe rendering of any value for a message."""
    try:
        return _SHORT.repr(value)
    except Exception:  # a hostile __repr__ of a caller's object: say what type it is
        return f"<{type(value).__name__}>"


def render(key: str, language: str, args: Mapping[str, Any]) -> str:
    """The message ``key`` in ``language`` (en where missing), filled from ``args``."""
    texts = MESSAGES.get(key) or MESSAGES[key.split(".")[0]]
    template = texts.get(language) or texts["en"]
    return template.format_map(_Args(args))


class _Args(dict):  # type: ignore[type-arg]
    """Template arguments: missing ones render empty rather than raising."""

    def __missing__(self, key: str) -> str:
        return ""
