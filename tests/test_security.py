"""Hostile form text: nothing in a form file runs as code or escapes the library's errors."""

from __future__ import annotations

import pytest
from conftest import form_yaml

import qengine

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "open('/etc/passwd').read()",
    "a; import os",
    "${{7*7}}",
    "'); DROP TABLE x; --",
    "\x00\x01\x02",
    "q4 == ② ) or (1",
    "lambda: 1",
    "a.__class__",
    "[x for x in ()]",
    "\u202e\u2066",
    "a" * 5000,
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_strings_in_every_field(payload: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each hostile string in ids, labels, rules, choices, params: only qengine errors."""
    quoted = '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'
    variants = [
        form_yaml(f"- {{id: a, label: {quoted}, type: text}}\n"),
        form_yaml(f"- {{id: {quoted}, label: A, type: text}}\n"),
        form_yaml(f"- {{id: a, label: A, type: {quoted}}}\n"),
        form_yaml(f"- {{id: a, label: A, type: computed, value: {quoted}}}\n"),
        form_yaml("- {id: a, label: A, type: single, choices: yesno, jumps: "
                  f"[{{when: {quoted}, to: b}}]}}\n- {{id: b, label: B, type: text}}\n"),
        form_yaml("- {id: a, label: A, type: text}\n",
                  checks=f"- {{id: c, severity: error, when: {quoted}, message: {quoted}}}\n"),
        form_yaml("- {id: a, label: A, type: text}\n", params=f"p: {quoted}\n"),
        form_yaml(f"- {{id: a, label: A, type: single, choices: [{{code: 1, label: {quoted}}}]}}\n"),
    ]
    for text in variants:
        path = tmp_path / "f.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            form = qengine.load(path)
        except qengine.FormError as exc:
            assert exc.problems
        else:
            form.validate({"a": payload})
        qengine.lint(path)


def test_nothing_runs_when_a_rule_names_python(tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    """A rule that looks like Python is a syntax error, and nothing is printed or run."""
    text = form_yaml("- {id: a, label: A, type: text}\n", checks="- {id: c, severity: error, "
                     "when: \"__import__('os').system('echo PWNED')\", message: m}\n")
    with pytest.raises(qengine.FormError):
        qengine.load_text(text)
    assert "PWNED" not in capfd.readouterr().out


def test_binary_and_huge_inputs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Binary junk, an empty file and a 10 MB label are FormErrors, quickly."""
    cases = {"bin.yaml": bytes(range(256)) * 10, "empty.yaml": b"",
             "list.yaml": b"- 1\n- 2\n",
             "big.yaml": form_yaml("- {id: a, label: " + "字" * 3_500_000 + ", type: text}\n"
                                   ).encode()}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(qengine.FormError):
            qengine.load(path)
