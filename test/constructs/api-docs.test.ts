import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "../helpers";

const SOURCE = path.join(ROOT, "packages", "constructs", "src");

/** The package's TypeScript sources, without the Lambda runtime (bundled, not part of the API). */
function sources(dir = SOURCE): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "runtime" ? [] : sources(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

interface Prop {
  readonly where: string;
  readonly optional: boolean;
  readonly comment: string;
  readonly hasDefault: boolean;
}

/** Every property of every exported interface, and of the object types nested in them. */
function exportedProps(file: string): Prop[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const props: Prop[] = [];
  const members = (owner: string, list: ts.NodeArray<ts.TypeElement>) => {
    for (const m of list) {
      if (!ts.isPropertySignature(m)) continue;
      const name = `${owner}.${m.name.getText(sf)}`;
      const docs = ts.getJSDocCommentsAndTags(m).filter(ts.isJSDoc);
      props.push({
        where: `${path.relative(SOURCE, file)}: ${name}`,
        optional: m.questionToken !== undefined,
        comment: docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join(" ").trim(),
        hasDefault: ts.getJSDocTags(m).some((t) => t.tagName.text === "default" && (ts.getTextOfJSDocComment(t.comment) ?? "").trim() !== ""),
      });
      const nested = (t: ts.TypeNode | undefined): void => {
        if (!t) return;
        if (ts.isTypeLiteralNode(t)) members(name, t.members);
        else if (ts.isArrayTypeNode(t)) nested(t.elementType);
        else if (ts.isUnionTypeNode(t)) t.types.forEach(nested);
      };
      nested(m.type);
    }
  };
  for (const statement of sf.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((mod) => mod.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && ts.isInterfaceDeclaration(statement)) members(statement.name.text, statement.members);
  }
  return props;
}

describe("the package's public props", () => {
  const props = sources().flatMap(exportedProps);

  it("are found in every area of the package", () => {
    expect(props.length).toBeGreaterThan(200);
    const areas = new Set(props.map((p) => p.where.split(path.sep)[0].split(":")[0]));
    for (const area of ["contract", "core", "ephemeral", "fleet", "iam", "kms", "network", "policy", "service", "state", "naming.ts", "backend.ts", "tagging.ts"]) {
      expect([area, areas.has(area)]).toEqual([area, true]);
    }
  });

  it("each have a line of TSDoc", () => {
    expect(props.filter((p) => p.comment === "").map((p) => p.where)).toEqual([]);
  });

  it("say, when optional, what happens when they are left out (@default)", () => {
    expect(props.filter((p) => p.optional && !p.hasDefault).map((p) => p.where)).toEqual([]);
  });
});
