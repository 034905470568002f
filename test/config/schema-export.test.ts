import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv/dist/2020";
import YAML from "yaml";
import { PROVISIONING_SCHEMA_FILE, SCHEMA_FILE, platformConfigJsonSchema, runSchemaExport } from "../../src/config/schema-export";
import { provisioningJsonSchema } from "../../src/fleet/provisioning";
import { EXAMPLE_FILE, ROOT } from "../helpers";

describe("the exported JSON Schema", () => {
  const schema = platformConfigJsonSchema();
  // Editors know the "email" format; ajv without ajv-formats is told so rather than warning.
  const validate = new Ajv({ allErrors: true, strict: false, formats: { email: true } }).compile(schema);

  it("is committed as npm run schema writes it", () => {
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8"))).toEqual(schema);
  });

  it("has the fleet's provisioning schema committed beside the docs as npm run schema writes it", () => {
    expect(fs.readFileSync(PROVISIONING_SCHEMA_FILE, "utf8")).toBe(`${JSON.stringify(provisioningJsonSchema(), null, 2)}\n`);
  });

  it("accepts the example config, as an editor would", () => {
    expect(validate(YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8")))).toBe(true);
  });

  it("flags the planted mistakes an editor can see without cross-field checks", () => {
    const planted = YAML.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "planted-mistakes.yaml"), "utf8"));
    expect(validate(planted)).toBe(false);
    const paths = new Set((validate.errors ?? []).map((e) => e.instancePath));
    for (const p of ["/organisation", "/region", "/deploymentAccount/accountId", "/stages/dev/accountId", "/services/0/slug"]) {
      expect([...paths]).toContain(p);
    }
  });
});

describe("npm run schema on the command line", () => {
  const file = path.join(ROOT, ".tmp", "schema-export-test", "schema.json");
  const provisioning = path.join(ROOT, ".tmp", "schema-export-test", "provisioning.json");
  function runWith(argv: string[], target: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runSchemaExport(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, target, provisioning);
    return { code, out: out.join(""), err: err.join("") };
  }
  beforeEach(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it("answers --help and -h without writing the schema", () => {
    for (const flag of ["--help", "-h"]) {
      const { code, out } = runWith([flag], file);
      expect(code).toBe(0);
      expect(out).toMatch(/^usage: npm run schema -- \[options\]\n/);
      expect(out).toMatch(/^ {2}-h, --help +print this help and exit$/m);
    }
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(provisioning)).toBe(false);
  });

  it("refuses any other argument with exit 2, naming it, without writing the schema", () => {
    expect(runWith(["--out", "x.json"], file)).toEqual({ code: 2, out: "", err: "npm run schema: unknown option --out (see --help)\n" });
    expect(runWith(["x.json"], file)).toEqual({ code: 2, out: "", err: 'npm run schema: unexpected argument "x.json": this command takes only options (see --help)\n' });
    expect(fs.existsSync(file)).toBe(false);
  });

  it("writes both schemas when run without arguments", () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    expect(runWith([], file)).toEqual({ code: 0, out: `wrote ${path.relative(process.cwd(), file)}\nwrote ${path.relative(process.cwd(), provisioning)}\n`, err: "" });
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(platformConfigJsonSchema());
    expect(JSON.parse(fs.readFileSync(provisioning, "utf8"))).toEqual(provisioningJsonSchema());
  });
});
