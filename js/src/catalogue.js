/**
 * The catalogue: every run-time message in zh and en (a port of qengine/catalogue.py), and
 * `describe`, the short, safe rendering of a value that Python's reprlib gives.
 * @module
 */

/** @type {Record<string, Record<string, string>>} zh and en templates, keyed by code.variant */
export const MESSAGES = {
 "type.text": {
  "en": "expected text, got {value}",
  "zh": "应填文字，实为 {value}"
 },
 "type.number": {
  "en": "expected a number, got {value}",
  "zh": "应填数字，实为 {value}"
 },
 "type.finite": {
  "en": "expected a finite number, got {value}",
  "zh": "应填有限的数字，实为 {value}"
 },
 "type.whole": {
  "en": "expected a whole number, got {value}",
  "zh": "应填整数，实为 {value}"
 },
 "type.date": {
  "en": "expected an ISO date (YYYY-MM-DD), got {value}",
  "zh": "应填日期（YYYY-MM-DD），实为 {value}"
 },
 "type.code": {
  "en": "expected a choice code, got {value}",
  "zh": "应填选项编号，实为 {value}"
 },
 "type.bool": {
  "en": "expected a choice code, got {value} (yes is code 1, no is code 2)",
  "zh": "应填选项编号，实为 {value}（是为 1，否为 2）"
 },
 "type.codes": {
  "en": "expected a list of choice codes, got {value}",
  "zh": "应填选项编号的列表，实为 {value}"
 },
 "type.id_number": {
  "en": "expected an id number as text, got {value}",
  "zh": "身份证号码应为文字，实为 {value}"
 },
 "type.strict": {
  "en": "expected {expected} in a record, got {value} (entered text is converted only on request: validate(record, coerce=True))",
  "zh": "记录中应为{expected_zh}，实为 {value}（录入文字仅在 coerce=True 时转换）"
 },
 "length": {
  "en": "text is longer than {limit} characters",
  "zh": "文字超过 {limit} 个字符"
 },
 "decimals": {
  "en": "at most {limit} digits after the point ({value})",
  "zh": "小数点后最多 {limit} 位（{value}）"
 },
 "range.below": {
  "en": "{value} is below the minimum {limit}",
  "zh": "{value} 小于最小值 {limit}"
 },
 "range.above": {
  "en": "{value} is above the maximum {limit}",
  "zh": "{value} 大于最大值 {limit}"
 },
 "range.before": {
  "en": "{value} is before {limit}",
  "zh": "{value} 早于 {limit}"
 },
 "range.after": {
  "en": "{value} is after {limit}",
  "zh": "{value} 晚于 {limit}"
 },
 "format.date": {
  "en": "expected an ISO date (YYYY-MM-DD), got {value}",
  "zh": "日期格式应为 YYYY-MM-DD，实为 {value}"
 },
 "format.not_a_date": {
  "en": "{value} is not a real date",
  "zh": "{value} 不是有效日期"
 },
 "format.id_length": {
  "en": "an id number has 18 characters, not {length}",
  "zh": "身份证号码应为 18 位，实为 {length} 位"
 },
 "format.id_chars": {
  "en": "an id number is 17 digits and a final digit or X",
  "zh": "身份证号码应为 17 位数字加一位数字或 X"
 },
 "format.id_birth_date": {
  "en": "the birth date {birth} in the id number is not a real date",
  "zh": "身份证号码中的出生日期 {birth} 无效"
 },
 "format.id_check_digit": {
  "en": "the check digit of the id number is wrong (GB 11643)",
  "zh": "身份证号码校验位错误（GB 11643）"
 },
 "format.text": {
  "en": "text holds a character that cannot be stored (a lone surrogate)",
  "zh": "文字含有无法保存的字符"
 },
 "choice": {
  "en": "{value} is not one of the codes {codes}",
  "zh": "{value} 不是选项 {codes} 之一"
 },
 "duplicate": {
  "en": "a code is listed more than once",
  "zh": "有选项编号重复"
 },
 "computed": {
  "en": "a computed value is not answered",
  "zh": "计算项无需回答"
 },
 "required.blank": {
  "en": "{question} is required; it cannot be blank",
  "zh": "{question} 为必答项，不能留空"
 },
 "finished": {
  "en": "the interview is finished; nothing is asked",
  "zh": "问卷已答完，没有待答的问题"
 },
 "no_answer": {
  "en": "{question} has no kept answer to move forward with",
  "zh": "{question} 没有保留的答案可以继续"
 },
 "not_in_history": {
  "en": "{question} has not been asked in this interview",
  "zh": "本次访问尚未问到 {question}"
 },
 "keep.confirmed": {
  "en": "{question} is answered already: go back to it to change it",
  "zh": "{question} 已确认作答，如需修改请返回该题"
 },
 "acknowledge.unknown": {
  "en": "{question} is not a warning of this form",
  "zh": "{question} 不是本问卷的警告项"
 },
 "acknowledge.not_holding": {
  "en": "warning {question} does not hold on the current answers",
  "zh": "警告 {question} 在当前答案下不成立"
 },
 "acknowledge.reason": {
  "en": "a reason is a text of 1 to 1000 characters",
  "zh": "理由应为1至1000个字符的文字"
 },
 "required": {
  "en": "{question} is required but has no answer",
  "zh": "{question} 为必答项，尚未回答"
 },
 "not_asked": {
  "en": "{question} is answered, but it is not asked here (a jump or an ask_if skips it): it must be left empty",
  "zh": "{question} 按跳转规则或提问条件应跳过，不应填写"
 },
 "unknown_question": {
  "en": "{value} is not a question of form {form}",
  "zh": "{value} 不是问卷 {form} 的问题"
 },
 "unacknowledged": {
  "en": "warning {question} holds, and the form asks for a reason to let it through; the record gives none",
  "zh": "警告 {question} 成立，按要求须说明放行理由，但记录中没有"
 },
 "bad_meta": {
  "en": "_meta is not as qengine writes it: {why}",
  "zh": "_meta 格式不正确：{why}"
 },
 "not_a_record": {
  "en": "a record must be a mapping of question id to answer, not {kind}",
  "zh": "记录应为“问题编号→答案”的映射，实为 {kind}"
 },
 "computed_mismatch": {
  "en": "{question} is given as {value} but computes to {computed}; the computed value is used",
  "zh": "{question} 填为 {value}，但计算结果为 {computed}；以计算结果为准"
 },
 "bad_json": {
  "en": "line {line} is not JSON: {why}",
  "zh": "第 {line} 行不是 JSON：{why}"
 },
 "bad_json.deep": {
  "en": "line {line} is nested too deeply to read",
  "zh": "第 {line} 行嵌套过深，无法读取"
 },
 "bad_json.long": {
  "en": "line {line} is longer than {limit} bytes",
  "zh": "第 {line} 行超过 {limit} 字节"
 },
 "bad_encoding": {
  "en": "line {line} is not UTF-8 text (byte {byte} at {at})",
  "zh": "第 {line} 行不是 UTF-8 文本（第 {at} 字节为 {byte}）"
 }
};

/** @type {Record<string, Record<string, string>>} every code a machine or form can be refused with */
export const FORM_CODES = {
 "file": {
  "en": "the file cannot be read",
  "zh": "无法读取文件"
 },
 "encoding": {
  "en": "the file is not UTF-8 text",
  "zh": "文件不是 UTF-8 文本"
 },
 "unknown_form": {
  "en": "no such form file or bundled form",
  "zh": "没有这个问卷文件或内置问卷"
 },
 "yaml_syntax": {
  "en": "the YAML is malformed",
  "zh": "YAML 语法错误"
 },
 "yaml_alias": {
  "en": "YAML anchors and aliases are not allowed",
  "zh": "不允许使用 YAML 锚点和别名"
 },
 "yaml_tag": {
  "en": "a YAML tag is not allowed here",
  "zh": "此处不允许使用 YAML 标签"
 },
 "yaml_key": {
  "en": "a mapping key must be plain text or a number",
  "zh": "键应为文字或数字"
 },
 "yaml_depth": {
  "en": "the YAML is nested too deeply",
  "zh": "YAML 嵌套过深"
 },
 "yaml_documents": {
  "en": "a form file holds one YAML document",
  "zh": "问卷文件只能有一个 YAML 文档"
 },
 "yaml_value": {
  "en": "a YAML value cannot be read as written",
  "zh": "YAML 值无法读取"
 },
 "duplicate_key": {
  "en": "a key is given twice",
  "zh": "键重复"
 },
 "schema": {
  "en": "the form does not follow the form format",
  "zh": "问卷不符合格式规定"
 },
 "number_range": {
  "en": "a number is out of the range a form may use",
  "zh": "数字超出允许范围"
 },
 "id": {
  "en": "an id is not a valid name",
  "zh": "编号不合法"
 },
 "reserved_id": {
  "en": "an id is reserved",
  "zh": "编号为保留字"
 },
 "duplicate_id": {
  "en": "an id is used twice",
  "zh": "编号重复"
 },
 "name_clash": {
  "en": "a param and a question share a name",
  "zh": "参数与问题同名"
 },
 "duplicate_code": {
  "en": "a choice code is used twice",
  "zh": "选项编号重复"
 },
 "code": {
  "en": "a choice code is not a whole number from 0",
  "zh": "选项编号应为非负整数"
 },
 "choices": {
  "en": "choices are malformed",
  "zh": "选项格式错误"
 },
 "missing_choices": {
  "en": "a choice question has no choices",
  "zh": "选择题缺少选项"
 },
 "unexpected_choices": {
  "en": "only choice questions have choices",
  "zh": "只有选择题才有选项"
 },
 "unknown_choice_list": {
  "en": "no such choice list",
  "zh": "没有这个选项列表"
 },
 "missing_value": {
  "en": "a computed question has no value rule",
  "zh": "计算项缺少计算规则"
 },
 "unexpected_none_ok": {
  "en": "only a multiple choice may take [] as \"none of these\"",
  "zh": "只有多选题才能以空列表表示“以上都没有”"
 },
 "unexpected_value": {
  "en": "only computed questions have a value rule",
  "zh": "只有计算项才有计算规则"
 },
 "value": {
  "en": "a value is not allowed here",
  "zh": "此处的值不合法"
 },
 "bad_bound": {
  "en": "a bound is malformed",
  "zh": "上下限格式错误"
 },
 "max": {
  "en": "max is below min",
  "zh": "上限小于下限"
 },
 "type": {
  "en": "a setting has the wrong kind of value",
  "zh": "设置项的值类型错误"
 },
 "closing_not_last": {
  "en": "the closing section is not the last",
  "zh": "结束部分不是最后一部分"
 },
 "bad_jump_key": {
  "en": "a jump key is not a code or value of the question",
  "zh": "跳转键不合法"
 },
 "unknown_target": {
  "en": "a jump target does not exist",
  "zh": "跳转目标不存在"
 },
 "jump_self": {
  "en": "a question jumps to itself",
  "zh": "问题跳转到自身"
 },
 "jump_backward": {
  "en": "a jump goes back; jumps only go forward",
  "zh": "跳转只能向后"
 },
 "jump_looks_ahead": {
  "en": "a jump reads a later question",
  "zh": "跳转条件引用了后面的问题"
 },
 "bad_acknowledge": {
  "en": "only a warning may ask for a reason",
  "zh": "只有警告项可要求说明理由"
 },
 "rename_clash": {
  "en": "an earlier id of a question is taken",
  "zh": "题目曾用编号冲突"
 },
 "ask_if_looks_ahead": {
  "en": "an ask_if reads its own or a later question",
  "zh": "提问条件引用了本题或后面的问题"
 },
 "rule_syntax": {
  "en": "a rule cannot be parsed",
  "zh": "规则语法错误"
 },
 "rule_too_deep": {
  "en": "a rule is nested too deeply",
  "zh": "规则嵌套过深"
 },
 "rule_too_long": {
  "en": "a rule is too long",
  "zh": "规则过长"
 },
 "unknown_name": {
  "en": "a rule names no question or param",
  "zh": "规则引用了不存在的问题或参数"
 },
 "unknown_function": {
  "en": "a rule calls no such function",
  "zh": "规则调用了不存在的函数"
 },
 "bad_arguments": {
  "en": "a function gets the wrong arguments",
  "zh": "函数参数错误"
 },
 "unknown_code": {
  "en": "a code is not among the question's choices",
  "zh": "编号不在该题选项中"
 },
 "type_mismatch": {
  "en": "a rule compares or combines unlike things",
  "zh": "规则中类型不匹配"
 },
 "computed_cycle": {
  "en": "a computed value depends on itself",
  "zh": "计算项循环依赖"
 },
 "bad_finding_type": {
  "en": "a finding's problem type is not 1-8",
  "zh": "问题类型应为1至8"
 },
 "bad_description": {
  "en": "a finding's description has a lone brace",
  "zh": "问题描述中的花括号不成对"
 },
 "warning": {
  "en": "a check's severity is not error or warning",
  "zh": "检查级别应为 error 或 warning"
 },
 "machine": {
  "en": "the machine file does not follow the machine format",
  "zh": "状态机文件格式错误"
 },
 "unreachable_question": {
  "en": "no path asks the question",
  "zh": "没有任何路径会问到此题"
 },
 "jump_never": {
  "en": "the jump can never fire",
  "zh": "此跳转永远不会发生"
 },
 "jump_always": {
  "en": "the jump always fires",
  "zh": "此跳转总会发生"
 },
 "check_never": {
  "en": "the check can never fire",
  "zh": "此检查永远不会触发"
 },
 "check_always": {
  "en": "the check fires whenever it applies",
  "zh": "此检查只要适用就会触发"
 },
 "check_not_together": {
  "en": "the questions of the check are never asked together",
  "zh": "此检查涉及的问题不会同时被问到"
 },
 "finding_never": {
  "en": "no record makes the finding",
  "zh": "没有任何记录会产生此问题"
 },
 "finding_always": {
  "en": "every record makes the finding",
  "zh": "每条记录都会产生此问题"
 },
 "finding_not_together": {
  "en": "the questions of the finding are never asked together",
  "zh": "此问题涉及的问题不会同时被问到"
 },
 "unused_computed": {
  "en": "a computed value is never used",
  "zh": "计算项未被使用"
 },
 "missing_language": {
  "en": "a text lacks one of the form's languages",
  "zh": "文字缺少某种语言"
 },
 "cannot_decide": {
  "en": "the analysis cannot decide some findings",
  "zh": "分析无法确定部分结论"
 }
};

const PY_SPACE = "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002" +
  "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const SPACE_SET = new Set(PY_SPACE);

/** Python's str.isspace for one character. @param {string} ch */
export function isPySpace(ch) {
  return SPACE_SET.has(ch);
}

/** Python's str.strip(): strips the characters Python counts as white space. @param {string} s */
export function pyStrip(s) {
  let a = 0;
  let b = s.length;
  while (a < b && SPACE_SET.has(s[a])) a++;
  while (b > a && SPACE_SET.has(s[b - 1])) b--;
  return s.slice(a, b);
}

/** The code points of a text (Python's view of a str). @param {string} s @returns {string[]} */
export function codePoints(s) {
  return Array.from(s);
}

/** Python's len() of a str. @param {string} s */
export function pyLen(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Python's comparison of texts: by code point. @param {string} a @param {string} b */
export function cmpText(a, b) {
  if (a === b) return 0;
  const x = codePoints(a);
  const y = codePoints(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return /** @type {number} */ (x[i].codePointAt(0)) - /** @type {number} */ (y[i].codePointAt(0));
  }
  return x.length - y.length;
}

/** Whether a text holds a lone surrogate (it cannot be stored as UTF-8). @param {string} s */
export function hasLoneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * Python's float repr: the shortest digits that round-trip, fixed notation for exponents
 * -4..15, else d.ddde+XX. @param {number} x
 */
export function floatRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    let out;
    if (exp >= 0) {
      const whole = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, "0");
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : "0";
      out = `${whole}.${frac}`;
    } else {
      out = `0.${"0".repeat(-exp - 1)}${digits}`;
    }
    return sign + out;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
  return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
}

/** Python's repr of an int held in a number. @param {number} x */
function intRepr(x) {
  if (Math.abs(x) < 1e21) return String(x);
  return BigInt(x).toString();
}

/** reprlib's int (as qengine cuts it short): beyond 160 bits, how many digits. @param {number} x */
function shortInt(x) {
  if (Math.abs(x) < 1e21) return String(x);
  const big = BigInt(x);
  const bits = (big < 0n ? -big : big).toString(2).length;
  if (bits > 160) return `<a ${Math.floor(bits * 0.30103) + 1}-digit number>`;
  return big.toString();
}

/**
 * Python's repr() of a JSON value (a number that is a whole number counts as an int: JSON
 * cannot tell 5 from 5.0 once parsed). @param {unknown} v @returns {string}
 */
export function pyRepr(v) {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isInteger(v) ? intRepr(v) : floatRepr(v);
  if (typeof v === "string") return strRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v).map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  }
  return String(v);
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's repr of a str. @param {string} s */
export function strRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (let i = 0; i < s.length; i++) {
    let ch = s[i];
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { ch = s.slice(i, i + 2); i++; }
    }
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch !== " " && NOT_PRINTABLE.test(ch)) {
      const cp = /** @type {number} */ (ch.codePointAt(0));
      if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, "0")}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

const MAXLEVEL = 3;
const MAXSTRING = 40;
const MAXOTHER = 40;
const MAXLIST = 6;
const MAXDICT = 6;

/** @param {string} s */
function cutOther(s) {
  if (s.length <= MAXOTHER) return s;
  const i = Math.max(0, Math.floor((MAXOTHER - 3) / 2));
  const j = Math.max(0, MAXOTHER - 3 - i);
  return s.slice(0, i) + "..." + s.slice(s.length - j);
}

/** @param {unknown} x @param {number} level @returns {string} */
function repr1(x, level) {
  if (typeof x === "string") {
    const cps = codePoints(x);
    const text = strRepr(cps.slice(0, MAXSTRING + 1).join(""));
    if (cps.length <= MAXSTRING) return text;
    const inner = codePoints(text.slice(0, -1)).slice(0, MAXSTRING).join("");
    return inner + "..." + text[text.length - 1];
  }
  if (typeof x === "number") {
    if (Number.isInteger(x)) return shortInt(x);
    return cutOther(floatRepr(x));
  }
  if (Array.isArray(x)) {
    const n = x.length;
    if (level <= 0 && n) return "[...]";
    const pieces = x.slice(0, MAXLIST).map((e) => repr1(e, level - 1));
    if (n > MAXLIST) pieces.push("...");
    return `[${pieces.join(", ")}]`;
  }
  if (x !== null && typeof x === "object") {
    const keys = Object.keys(x);
    const n = keys.length;
    if (n === 0) return "{}";
    if (level <= 0) return "{...}";
    keys.sort(cmpText);
    const rec = /** @type {Record<string, unknown>} */ (x);
    const pieces = keys.slice(0, MAXDICT).map((k) => `${repr1(k, level - 1)}: ${repr1(rec[k], level - 1)}`);
    if (n > MAXDICT) pieces.push("...");
    return `{${pieces.join(", ")}}`;
  }
  return cutOther(pyRepr(x));
}

/** A short, safe rendering of any value for a message (Python's `describe`). @param {unknown} value */
export function describe(value) {
  return repr1(value, MAXLEVEL);
}

/** Python's str() of a template argument. @param {unknown} v */
export function pyStr(v) {
  if (typeof v === "string") return v;
  return pyRepr(v);
}

/**
 * The message `key` in `language` (en where missing), filled from `args`; a missing argument
 * renders empty. @param {string} key @param {string} language @param {Record<string, unknown>} args
 */
export function render(key, language, args) {
  const texts = MESSAGES[key] || MESSAGES[key.split(".")[0]];
  const template = texts[language] || texts.en;
  return template.replace(/\{(\w+)\}/g, (_m, name) => (name in args ? pyStr(args[name]) : ""));
}
