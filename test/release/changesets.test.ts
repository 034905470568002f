import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChangesetError, compareVersions, declaredBump, parseChangeset, readChangesets, versionBump } from "../../src/release/changesets";

const PKG = "@acme/apps-platform-constructs";
const ROOT = path.join(__dirname, "..", "..");

describe("a changeset", () => {
  it("is read as npx changeset writes it: quoted names, a summary after the front matter", () => {
    const c = parseChangeset(`---\n"${PKG}": major\n---\n\nRename EncryptionKeyProps.deletionWindowInDays to deletionWindowDays.\n`, ".changeset/rename.md", [PKG]);
    expect(c).toEqual({ file: ".changeset/rename.md", releases: new Map([[PKG, "major"]]), summary: "Rename EncryptionKeyProps.deletionWindowInDays to deletionWindowDays." });
  });

  it("may quote names with single quotes or not at all, name several packages, or none (an empty changeset)", () => {
    expect(parseChangeset(`---\n'${PKG}': patch\nother: minor\n---\nx`, "a.md").releases).toEqual(new Map([[PKG, "patch"], ["other", "minor"]]));
    expect(parseChangeset("---\n---\n", "empty.md", [PKG]).releases.size).toBe(0);
    expect(parseChangeset(`\r\n---\r\n"${PKG}": minor\r\n---\r\nwindows`, "crlf.md", [PKG]).releases.get(PKG)).toBe("minor");
  });

  it("is refused, in one line naming the file and what is allowed, when it is not one", () => {
    const cases: [string, RegExp][] = [
      ["Just some notes.\n", /^the changeset \.changeset\/x\.md has no front matter: it must start with a line ---, then "<package>": <patch, minor, major> per package, then a line ---$/],
      [`---\n"${PKG}": breaking\n---\n`, /^the changeset \.changeset\/x\.md: the release of @acme\/apps-platform-constructs must be one of patch, minor, major \(or none\), got "breaking"$/],
      [`---\n"${PKG}": [minor]\n---\n`, /must be one of patch, minor, major \(or none\), got \["minor"\]$/],
      [`---\n"apps-platform": minor\n---\n`, /^the changeset \.changeset\/x\.md names apps-platform, which is not a published package of this repository \(@acme\/apps-platform-constructs\)$/],
      [`---\n- "${PKG}"\n---\n`, /its front matter must map package names to patch, minor, major, got \["@acme\/apps-platform-constructs"\]$/],
      [`---\n"${PKG}: minor\n---\n`, /^the changeset \.changeset\/x\.md: its front matter is not YAML/],
    ];
    for (const [text, re] of cases) {
      let message = "";
      try {
        parseChangeset(text, ".changeset/x.md", [PKG]);
      } catch (err) {
        expect(err).toBeInstanceOf(ChangesetError);
        message = (err as Error).message;
      }
      expect(message).toMatch(re);
      expect(message.split("\n")).toHaveLength(1);
    }
  });
});

describe("the changesets of a folder", () => {
  it("are its .md files but the README, and the largest bump for a package wins", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "changesets-"));
    fs.writeFileSync(path.join(dir, "README.md"), "# Changesets\n");
    fs.writeFileSync(path.join(dir, "config.json"), "{}");
    fs.writeFileSync(path.join(dir, "a-fix.md"), `---\n"${PKG}": patch\n---\nfix`);
    fs.writeFileSync(path.join(dir, "b-feature.md"), `---\n"${PKG}": minor\n---\nfeature`);
    fs.writeFileSync(path.join(dir, "c-feature.md"), `---\n"${PKG}": minor\n---\nanother`);
    const all = readChangesets(dir, [PKG]);
    expect(all.map((c) => c.file)).toEqual([".changeset/a-fix.md", ".changeset/b-feature.md", ".changeset/c-feature.md"]);
    expect(declaredBump(all, PKG)).toEqual({ bump: "minor", files: [".changeset/b-feature.md", ".changeset/c-feature.md"] });
    expect(declaredBump(all, "other")).toEqual({ bump: "none", files: [] });
    expect(readChangesets(path.join(dir, "missing"))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("of this repository parse, and the library's first one declares a minor release", () => {
    const all = readChangesets(path.join(ROOT, ".changeset"), [PKG]);
    expect(all.length).toBeGreaterThan(0);
    expect(all.find((c) => c.file === ".changeset/construct-library-package.md")?.releases.get(PKG)).toBe("minor");
  });
});

describe("a version change", () => {
  it("is the bump from one version to the next, as changesets makes them", () => {
    expect(versionBump("0.1.0", "0.1.0")).toBe("none");
    expect(versionBump("0.1.0", "0.1.1")).toBe("patch");
    expect(versionBump("0.1.0", "0.2.0")).toBe("minor");
    expect(versionBump("0.1.0", "1.0.0")).toBe("major");
    expect(versionBump("1.4.2", "2.0.0-rc.1")).toBe("major");
    expect(versionBump("0.2.0", "0.1.9")).toBe("lower");
  });

  it("orders pre-releases before their release, and refuses what is not semver", () => {
    expect(compareVersions("1.0.0-rc.1", "1.0.0")).toBeLessThan(0);
    expect(compareVersions("1.0.0-rc.2", "1.0.0-rc.1")).toBeGreaterThan(0);
    expect(compareVersions("0.10.0", "0.9.0")).toBeGreaterThan(0);
    expect(() => versionBump("0.1", "0.2.0")).toThrow('"0.1" is not a semver version (major.minor.patch)');
  });
});
