import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { parseDocument } from "yaml";
import { load } from "js-yaml";
import { PLAIN_YAML_SCHEMA, parseConfig, plainYamlData } from "../../src/config/loader";

/**
 * A config is read by js-yaml when it is plain (plainYamlData), by the full parse otherwise: the two
 * must give the same data for every text the fast one reads, or a config would mean one thing here
 * and another where it is read in full (a problem's report). Searched over the project's configs,
 * each scalar of the example config replaced by each of many spellings, and structures.
 */
const ROOT = path.join(__dirname, "..", "..");
const CONFIGS = [...fs.readdirSync(path.join(ROOT, "config")).map((f) => path.join(ROOT, "config", f)), ...fs.readdirSync(path.join(ROOT, "test", "fixtures")).map((f) => path.join(ROOT, "test", "fixtures", f))].filter((f) => f.endsWith(".yaml"));

/** Spellings of scalars both readers may take differently: numbers, booleans, nulls, strings, escapes. */
const SCALARS = [
  ...["0", "-0", "+1", "017", "0o17", "+0o7", "-0o7", "0x1F", "0X1f", "-0x1", "0b11", "-0b1", "1_000", "1.", ".5", "-.5", "1e3", "1E-3", "1.5e+10", "1e400", "-1e400", "1e-400", "12:30:00", "1:20", "00", "09", "0.1e1", "123456789012", "012345678901"],
  ...[".inf", "-.Inf", "+.INF", ".nan", ".NaN", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRue", "false", "yes", "no", "on", "off", "y", "n"],
  ...["2026-01-01", "2026-01-01T00:00:00Z", "x y", "x:y", "x #y", "x# y", "-x", "- x", "a,b", "[a]", "{a: 1}", "[]", "{}", "'quoted'", "'it''s'", '"dq"', '"\\x41"', '"\\u00e9"', '"\\e"', '"\\N"', '"\\_"', '"\\/"', '"a\\tb"'],
  ...["|\n  line\n", "|-\n  line\n", ">\n  folded\n  text\n", ">-\n  x\n\n  y\n", "|2\n   indented\n", "'multi\n  line'", '"multi\n  line"'],
  ...["__proto__", "<<", "?x", ":x", "x:", "%x", "@x", "`x", "*x", "&x y", "!x y", "!!str 1", "!!int 1", "!!float 1", "!!bool true", "!!null", "!!binary aGk=", "!!timestamp 2026-01-01"],
];

/** Structures: keys, flow collections, documents, directives, anchors, duplicates. */
const STRUCTURES = [
  "",
  "# only a comment\n",
  "---\n",
  "---\na: 1\n...\n",
  "a: 1\n---\nb: 2\n",
  "%YAML 1.1\n---\na: yes\n",
  "%YAML 1.2\n---\na: 1\n",
  "%TAG ! tag:x,2000:\n---\na: !y 1\n",
  "a: 1\na: 2\n",
  'a: 1\n"a": 2\n',
  "a: 1\n'a': 2\n",
  "1: x\n'1': y\n",
  "? a\n: 1\n",
  "? [a]\n: 1\n",
  "[1, 2]: x\n",
  "{a: 1}: x\n",
  "a: {[1]: x}\n",
  "a: {b: [c, {d: e}]}\n",
  "a: [1, 2, ]\n",
  "a: {b: 1, }\n",
  "x: &x {p: 1}\nb:\n  <<: *x\n",
  "a: &a [1, 2]\nb: *a\n",
  "a: *b\n",
  "__proto__: {polluted: 1}\n",
  "a:\n  - 1\n  - - 2\n    - 3\n",
  "a:\n- 1\n -2\n",
  "- a\nb: 1\n",
  "a: b: c\n",
  "a:\tb\n",
  "\ta: 1\n",
  "a: 1 # c\n#x\nb: 2\n",
  "\ufeffa: 1\n",
  "a: 'unterminated\n",
  'a: "x" y\n',
  "a:\n  b: 1\n c: 2\n",
  "a: |\n  x\n b: 1\n",
  "a: null\nb:\nc: ~\n",
  "'a b': 1\n\"c\\td\": 2\n",
];

/** The data of the full parse, or undefined when it reports a problem. */
function fullParse(text: string): { data: unknown } | undefined {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return { data: doc.toJS() };
  } catch {
    return undefined;
  }
}

/** Where two values first differ, as a path. */
function firstDifference(a: unknown, b: unknown, at = ""): string {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, `${at}.${k}`);
    }
  }
  const show = (v: unknown) => (Object.is(v, -0) ? "-0" : (JSON.stringify(v) ?? String(v)));
  return `${at || "."}: fast ${show(a)}, full ${show(b)}`;
}

function differences(texts: readonly string[]): { fast: number; differ: string[] } {
  let fast = 0;
  const differ: string[] = [];
  for (const text of texts) {
    const plain = plainYamlData(text);
    if (!plain) continue;
    fast++;
    const full = fullParse(text);
    const line = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
    if (!full) differ.push(`${line(JSON.stringify(text))}: read fast, but the full parse reports a problem`);
    else if (!isDeepStrictEqual(plain.data, full.data)) differ.push(firstDifference(plain.data, full.data));
  }
  return { fast, differ: [...new Set(differ)] };
}

describe("a config read fast is read as the full parse reads it", () => {
  it("reads every config of the project fast, to the same data", () => {
    const texts = CONFIGS.map((f) => fs.readFileSync(f, "utf8"));
    const { fast, differ } = differences(texts);
    expect(differ).toEqual([]);
    // The example configs are plain: a large config reads fast.
    expect(plainYamlData(fs.readFileSync(path.join(ROOT, "config", "example.yaml"), "utf8"))).toBeDefined();
    expect(fast).toBeGreaterThanOrEqual(3);
  });

  it("reads each scalar of the example, spelt every way, as the full parse does, or leaves it to the full parse", () => {
    const example = fs.readFileSync(path.join(ROOT, "config", "example.yaml"), "utf8").split("\n");
    const texts: string[] = [];
    // Every line `key: value` (a mapping entry or a list item's), its value spelt each way in turn.
    const entries = example.map((line, i) => ({ i, m: /^(\s*(?:- )?[A-Za-z0-9_"'-]+:) (\S.*)$/.exec(line) })).filter((e) => e.m && !e.m[2].startsWith("#"));
    // Each scalar at every eighth entry, a different eighth for the next scalar: each entry gets every
    // kind of scalar, each scalar every kind of entry (a top-level field, a nested one, a list item's).
    for (const [j, { i, m }] of entries.entries()) {
      for (const scalar of SCALARS.filter((_, k) => (j + k) % 8 === 0)) {
        // A block scalar's lines go one deeper than the key.
        const indent = " ".repeat(m![1].length - m![1].trimStart().length + 2);
        const value = scalar.includes("\n") ? scalar.replace(/\n(?=.)/g, `\n${indent}`).replace(/\n$/, "") : scalar;
        texts.push([...example.slice(0, i), `${m![1]} ${value}`, ...example.slice(i + 1)].join("\n"));
      }
    }
    for (const scalar of SCALARS) texts.push(`a: ${scalar}\n`, `- ${scalar}\n`, `a: [${scalar}]\n`, `a: {b: ${scalar}}\n`, `${scalar}: 1\n`);
    const { fast, differ } = differences(texts);
    expect(differ).toEqual([]);
    console.log(`plain YAML: ${texts.length} texts, ${fast} read fast, every one as the full parse reads it`);
    expect(entries.length).toBeGreaterThan(60);
    expect(fast).toBeGreaterThan(texts.length / 2);
  });

  it("reads structures as the full parse does, or leaves them to it", () => {
    const { differ } = differences(STRUCTURES);
    expect(differ).toEqual([]);
  });

  it("leaves each text the readers take apart to the full parse: without that, the search finds the difference", () => {
    // js-yaml with the same scalars, on what plainYamlData sends to the full parse: each reads otherwise.
    const apart = ["%YAML 1.1\n---\na: yes\n", "a: !!float 1\n", "? [a]\n: 1\n", "[1, 2]: x\n", "a: {[1]: x}\n", "null: 1\n", "~: 1\n"];
    for (const text of apart) {
      expect([text, plainYamlData(text)]).toEqual([text, undefined]);
      let fast: unknown;
      try {
        fast = load(text, { schema: PLAIN_YAML_SCHEMA });
      } catch (err) {
        fast = err;
      }
      expect([text, isDeepStrictEqual(fast, fullParse(text)?.data)]).toEqual([text, false]);
    }
  });

  it("validates a config read fast as one read in full: the same config, and the same problems", () => {
    const text = fs.readFileSync(path.join(ROOT, "config", "example.yaml"), "utf8");
    expect(plainYamlData(text)).toBeDefined();
    // A tag makes the text not plain: the same config through the full parse.
    const notPlain = `${text}\n# !\n`;
    expect(plainYamlData(notPlain)).toBeUndefined();
    expect(parseConfig(text, "example.yaml")).toEqual(parseConfig(notPlain, "example.yaml"));
    expect(() => parseConfig(text.replace(/^region: .*$/m, "region: 0b11"), "example.yaml")).toThrow(/region/);
  });
});
