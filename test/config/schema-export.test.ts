import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv/dist/2020";
import YAML from "yaml";
import { SCHEMA_FILE, platformConfigJsonSchema } from "../../src/config/schema-export";
import { EXAMPLE_FILE, ROOT } from "../helpers";

describe("the exported JSON Schema", () => {
  const schema = platformConfigJsonSchema();
  // Editors know the "email" format; ajv without ajv-formats is told so rather than warning.
  const validate = new Ajv({ allErrors: true, strict: false, formats: { email: true } }).compile(schema);

  it("is committed as npm run schema writes it", () => {
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8"))).toEqual(schema);
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
