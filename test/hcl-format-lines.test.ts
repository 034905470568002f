import * as path from "path";
import fc from "fast-check";
import { Testing } from "cdktf";
import { buildPlatform } from "../src/app";
import { loadConfigFile } from "../src/config/loader";
import { unformattedHcl } from "../src/hcl";
import { formatHcl, formatHclTokens, formatRenderedLines } from "../src/hcl-format";
import { stackRenderOptions } from "../src/main";
import { hclText, stackTerraform } from "../src/stack-terraform";
import { EXAMPLE_FILE, ROOT } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { invokeAspects } = require("cdktf/lib/synthesize/synthesizer") as { invokeAspects: (root: unknown) => void };

/** What the token way gives: the formatted text, or the error it throws. */
function byTokens(text: string): { text: string } | { error: unknown } {
  try {
    return { text: formatHclTokens(text) };
  } catch (error) {
    return { error };
  }
}

/**
 * The line-by-line formatter writes what the token-by-token one writes, for every text it takes; the
 * rest it leaves to the token way. Checked on every stack synth writes for these configs, where it
 * must take every stack without a heredoc, and on random texts of the renderer's kinds of lines.
 */
describe("formatting the rendered HCL line by line", () => {
  it.each([EXAMPLE_FILE, path.join(ROOT, "config", "example-cloud.yaml"), path.join(ROOT, "test", "fixtures", "service-matrix.yaml")])(
    "gives the token way's text for every stack of %s, and takes every stack without a heredoc",
    (file) => {
      const stacks = buildPlatform(Testing.app(), loadConfigFile(file));
      let lines = 0;
      for (const stack of stacks) {
        invokeAspects(stack);
        const text = unformattedHcl(hclText(stack, stackTerraform(stack)), stackRenderOptions(stack, "config/x.yaml"));
        const fast = formatRenderedLines(text);
        if (/<<-?[A-Za-z_]+\n/.test(text)) expect(fast).toBeUndefined();
        else {
          expect(fast).toBe(formatHclTokens(text));
          lines++;
        }
        expect(formatHcl(text)).toBe(formatHclTokens(text));
      }
      expect(lines).toBeGreaterThan(stacks.length / 2);
    },
  );

  // Random texts made of the renderer's kinds of lines, and of lines it never writes.
  const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
  const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,6}$/);
  const chars = pick("a", "Z", "0", " ", "-", ":", "/", "*", "{", "}", "[", "(", "#", "=", ",", ".", "é", "😀", "\ud800", "\t", "\r", '\\"', "\\\\", "\\n", "$", "%", "$${x}", "%%{x}", "${a.b}", "%{ if x }y%{ endif }", "${f(\"}\")}");
  const quoted = fc.array(chars, { maxLength: 6 }).map((xs) => `"${xs.join("")}"`);
  const plain = fc.array(pick("a", "b", " ", ":", "/", "*", "é", "😀", '\\"', "\\\\", "{", "}", "#"), { maxLength: 8 }).map((xs) => `"${xs.join("")}"`);
  const reference = fc.array(ident, { minLength: 1, maxLength: 3 }).map((xs) => xs.join("."));
  const value = fc.oneof(
    { weight: 4, arbitrary: plain },
    { weight: 2, arbitrary: quoted },
    { weight: 2, arbitrary: reference },
    pick("1", "0.5", "-1", "1e3", "true", "null", "[]", "{}", "a[0]", "a.*.b", "f(1,2)", 'x=="y"?1:2', "(a)", '"${a.b}"', '"${ a  ==  "b" }"', "list", '"string"', "[1, 2]", "{ a = 1 }", "!a", "a - -1"),
  );
  const key = fc.oneof({ weight: 4, arbitrary: ident }, { weight: 1, arbitrary: plain }, { weight: 1, arbitrary: pick("(a.b)", '"${a.b}:x"') });
  // Around a line: the tokens' white space, and in one text of eight also white space they refuse.
  const SPACE = ["", "", "", "", " ", "  ", "\t", "\r", " \r"];
  const REFUSED_SPACE = [...SPACE, "\u00a0", "\v"];
  const spaces = fc.tuple(fc.nat({ max: 7 }), fc.infiniteStream(fc.nat())).map(([k, n]) => ({ list: k === 0 ? REFUSED_SPACE : SPACE, n }));
  type Lines = string[];
  const node: fc.Arbitrary<Lines> = fc.letrec<{ body: Lines; values: Lines; items: Lines }>((tie) => ({
    body: fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(key, value).map(([k, v]) => [`${k} = ${v}`]) },
          { weight: 1, arbitrary: fc.tuple(pick("resource", "variable", "lifecycle", "backend", "x"), fc.array(plain, { maxLength: 2 }), tie("body")).map(([t, ls, b]) => [[t, ...ls, "{"].join(" "), ...b, "}"]) },
          { weight: 1, arbitrary: fc.tuple(key, pick("{", "jsonencode({"), tie("values")).map(([k, o, b]) => [`${k} = ${o}`, ...b, o === "{" ? "}" : "})"]) },
          { weight: 1, arbitrary: fc.tuple(key, tie("items")).map(([k, b]) => [`${k} = [`, ...b, "]"]) },
          { weight: 1, arbitrary: fc.tuple(pick("type"), value).map(([k, v]) => [`${k} = ${v}`]) },
          { weight: 2, arbitrary: pick(["# checkov:skip=CKV_1: why "], [""], ["#"]) },
          // Lines the renderer never writes: the line way must leave them to the token way.
          { weight: 1, arbitrary: fc.constantFrom(["// c"], ["x = 1 # c"], ["x = <<EOF", "  body", "EOF"], ["}"], ["{"], ["),"], ["x {}"], ["/* c */"], ["x = [1,"]).chain((bad) => fc.oneof({ weight: 6, arbitrary: fc.constant([] as string[]) }, fc.constant(bad))) },
        ),
        { maxLength: 5 },
      )
      .map((xs) => xs.flat()),
    values: fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(key, value).map(([k, v]) => [`${k} = ${v}`]) },
          { weight: 1, arbitrary: fc.tuple(key, pick("{", "jsonencode({"), tie("values")).map(([k, o, b]) => [`${k} = ${o}`, ...b, o === "{" ? "}" : "})"]) },
          { weight: 1, arbitrary: fc.tuple(key, tie("items")).map(([k, b]) => [`${k} = [`, ...b, "]"]) },
          { weight: 1, arbitrary: pick(["# c"], [""], ["a {"], ["}"]) },
        ),
        { maxLength: 5 },
      )
      .map((xs) => xs.flat()),
    items: fc
      .array(
        fc.oneof(
          { weight: 3, arbitrary: fc.tuple(value, pick(",", "", " ,")).map(([v, c]) => [`${v}${c}`]) },
          { weight: 1, arbitrary: fc.tuple(tie("values"), pick("},", "}")).map(([b, c]) => ["{", ...b, c]) },
          { weight: 1, arbitrary: pick(["# c"], ["],"]) },
        ),
        { maxLength: 4 },
      )
      .map((xs) => xs.flat()),
  })).body;
  // A variable block, whose type fmt rewrites.
  const variable = fc
    .tuple(fc.boolean(), pick("list", "map", "set", '"string"', '"list"', '"map"', "string", "list(string)", '"${a}"'), pick("", 'default = "x"'))
    .map(([has, type, other]) => (has ? ['variable "v" {', `type = ${type}`, other, "}"] : []));
  const text = fc
    .tuple(fc.array(fc.tuple(pick("", "# header"), node, variable), { minLength: 1, maxLength: 3 }), spaces, fc.nat({ max: 5 }), fc.nat())
    .map(([parts, { list, n }, cut, at]) => {
      const all = parts.flatMap(([h, b, v]) => [...(h ? [h, ""] : []), ...b, ...v]);
      // One text of six is cut short, its brackets left open.
      const lines = cut === 0 && all.length > 1 ? all.slice(0, 1 + (at % (all.length - 1))) : all;
      const space = () => list[n.next().value % list.length];
      return lines.map((l) => `${space()}${l}${space()}`).join("\n") + (lines.length % 2 ? "\n" : "");
    });

  it("writes what the token way writes for every random text it takes, and takes none the token way refuses", () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(text, (t) => {
        runs++;
        const fast = formatRenderedLines(t);
        const ref = byTokens(t);
        if ("error" in ref) return fast === undefined;
        if (fast === undefined) return true;
        taken++;
        return fast === ref.text;
      }),
      { numRuns: 4000 },
    );
    // The texts reach the line way's own paths, not only the token way.
    expect(taken).toBeGreaterThan(runs / 5);
  });
});
