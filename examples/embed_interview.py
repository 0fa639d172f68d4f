"""Embed an interview of the bundled annex 6 form (建档立卡贫困户脱贫情况调查问卷) in a program.

A scripted household stands in for the person at the keyboard. The script shows what a front end
meets: entered text ("②", full-width "４") accepted, a refused answer that leaves the interview
unchanged, going back to change an answer, a warning that does not block, an error that does, saving
the interview as JSON and resuming it, and submitting the record.

Run from anywhere:  python examples/embed_interview.py
"""

from __future__ import annotations

import json

import qengine

# What the interviewer keys in, by question id. Values are what a front end would pass on: entered
# text is fine ("②", "４", "是", "1,800"); qengine turns it into the canonical answer.
ANSWERS = {
    "county": "望城区", "township": "靖港镇", "village": "杨家山村", "group": "3组",
    "head_name": "王德明", "id_number": "430122197005021536",
    "household_size": "４",                      # full-width digit, as a Chinese keyboard types it
    "exit_year": 2018,
    "q1_total": 43900, "q1_1a": 32000, "q1_1b": 9000, "q1_2": 500, "q1_3": "2,400", "q1_4": 4000,
    "q2": "①", "q3": "是",
    "q4": "②",                                   # first answer: no children of school age
    "q5": 1, "q6": 1, "q6_1": None,              # 6—1 is optional (选填): left blank
    "q7": 2, "q8": 3, "q9": 1,
    "q10": 1, "q10_1": [1, 2],
    "q11": "②",                                  # no health policy: a warning, not an error
    "q12": 2, "q12_2": 1, "q12_3": 2, "q13": 2, "q14": 2, "q14_2": 2, "q14_3": 1, "q14_4": 2,
    "q15": 2, "q16": 2, "q17": 1, "q18": 1, "q19": 1, "q19_1": "①②", "q20": "明显改善",
    "respondent_sign": "王德明", "proxy_note": None, "reviewer_unit": "靖港镇第5排查小组",
    "reviewer_sign": "刘达五", "survey_date": "2020-04-08",
}


def ask(iv: qengine.Interview, value: object) -> None:
    """Answer the current question and print what was stored."""
    q = iv.current
    assert q is not None
    iv.answer(value)
    stored = iv.kept[q.id]
    shown = f"{value!r} -> {stored!r}" if stored != value else repr(stored)
    print(f"  {q.number or '':>5} {q.id:<15} {shown}")


def answer_until(iv: qengine.Interview, stop: str | None) -> None:
    """Answer from ANSWERS until the current question is ``stop`` (or the end)."""
    while iv.current is not None and iv.current.id != stop:
        ask(iv, ANSWERS[iv.current.id])


def main() -> None:
    form = qengine.load("annex6")
    print(f"{form.title} ({form.id} {form.version}), income line {form.params['income_line']} 元")
    iv = form.start()

    print("\nHeader and item 1:")
    answer_until(iv, "q6")

    print("\nA refused answer changes nothing:")
    before = iv.state
    try:
        iv.answer("④")                          # item 6 has only ①–③
    except qengine.AnswerError as exc:
        print(f"  AnswerError [{exc.code}] on {exc.question}: {exc.message}")
    assert iv.state == before and iv.current is not None and iv.current.id == "q6"
    print(f"  still at {iv.current.id}, {len(iv.history)} answered")

    answer_until(iv, "q9")
    print("\nThe respondent remembers a grandchild of 14: go back to item 4 and change the answer.")
    iv.goto("q4")
    print(f"  back at {iv.current.id}; kept answer {iv.suggested()!r}")
    ask(iv, "①")                                 # yes: now 4—1 is asked
    ask(iv, 1)                                   # in school: jump to 5
    print("  the kept answers to 5–8 come back; confirm them with forward():")
    while iv.current is not None and iv.current.id != "q9":
        q = iv.current
        iv.forward()
        print(f"  {q.number or '':>5} {q.id:<15} {iv.kept[q.id]!r} (kept)")

    print("\nSave the interview as JSON, and resume it (another day, another process):")
    saved = json.dumps(iv.snapshot(), ensure_ascii=False)
    print(f"  snapshot: {len(saved)} characters")
    iv = form.resume(json.loads(saved))
    print(f"  resumed at {iv.current.id}")

    print("\nItems 9 to 11:")
    answer_until(iv, "q10")
    ask(iv, 2)                                   # "no pupil since registration": contradicts 4—1
    for v in iv.errors:
        print(f"  error {v.rule} on {', '.join(v.questions)}: {v.message}")
    iv.back()
    ask(iv, ANSWERS["q10"])
    answer_until(iv, "q12")
    for v in iv.warnings:
        print(f"  warning {v.rule} on {', '.join(v.questions)}: {v.message}")

    print("\nThe rest:")
    answer_until(iv, None)

    record = iv.submit()                         # warnings never block; errors would
    print(f"\nSubmitted: {len(record)} answers; net income per person {record['q1_per_capita']} 元")
    print(json.dumps(record, ensure_ascii=False))
    report = form.validate(record)
    print(f"validate(record): ok={report.ok}, warnings={[v.rule for v in report.warnings]}")


if __name__ == "__main__":
    main()
