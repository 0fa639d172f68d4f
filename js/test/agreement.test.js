// Every fixture record validated by the JavaScript runtime, compared deep-equal with what
// Python's form.interpret said (strict and coerce=True). Fixtures: js/test/make_fixtures.py.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMachine } from "../src/index.js";

const here = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

for (const file of readdirSync(here).filter((f) => f.endsWith(".json")).sort()) {
  const fixture = JSON.parse(readFileSync(join(here, file), "utf8"));
  const form = loadMachine(fixture.machine);
  for (const mode of ["strict", "coerce"]) {
    test(`${fixture.form} ${mode}: ${fixture.cases.length} records agree with Python`, () => {
      let passed = 0;
      const failures = [];
      fixture.cases.forEach((c, i) => {
        const got = form.validate(c.input, { coerce: mode === "coerce" });
        const want = c[mode];
        try {
          assert.deepStrictEqual(
            { ok: got.ok, violations: got.violations, path: got.path, record: got.record },
            { ok: want.ok, violations: want.violations, path: want.path, record: want.record });
          assert.deepStrictEqual(form.path(c.input, { coerce: mode === "coerce" }), want.path);
          passed++;
        } catch (exc) {
          failures.push(`#${i} (${c.kind}) ${JSON.stringify(c.input).slice(0, 300)}\n${exc.message.slice(0, 1500)}`);
        }
      });
      console.log(`${fixture.form} ${mode}: ${passed}/${fixture.cases.length} passed`);
      assert.equal(failures.length, 0, failures.slice(0, 5).join("\n\n"));
    });
  }
}
