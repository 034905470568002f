import * as fs from "node:fs";
import * as path from "node:path";
import { runCli } from "../../src/delivery/mr-note-cli";
import { NOTE_MARKER } from "../../src/delivery/plan-summary";
import { ROOT } from "../helpers";
import { FakeGitlab, FakeNote, startFakeGitlab } from "./gitlab-notes-server";

const TOKEN = "glpat-NOTE-TOKEN-9c1e55b2";
const OTHER_TOKEN = "glpat-OTHER-USER-71aa";
const BOT = { id: 42, username: "project_7_bot" };
const ALICE = { id: 7, username: "alice" };

function scratch(name: string): string {
  const dir = path.join(ROOT, ".tmp", "mr-note-test", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

describe("npm run mr-note against GitLab's notes API on 127.0.0.1", () => {
  let gitlab: FakeGitlab;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const lookAlike = `${NOTE_MARKER}\nalice pasted an old summary here`;

  beforeEach(async () => {
    // 150 notes before ours: the list takes two pages of 100, so the note is found only by following them.
    const notes: FakeNote[] = Array.from({ length: 149 }, (_, i) => ({ id: i + 1, body: `comment ${i + 1}`, system: i % 10 === 0, author: i % 2 ? ALICE : BOT }));
    notes.push({ id: 150, body: lookAlike, system: false, author: ALICE });
    gitlab = await startFakeGitlab({ project: "acme/apps-platform", mr: 12, users: { [TOKEN]: BOT, [OTHER_TOKEN]: ALICE }, notes });
    env = { CI_API_V4_URL: gitlab.url, CI_PROJECT_ID: "acme/apps-platform", CI_MERGE_REQUEST_IID: "12", GITLAB_NOTE_TOKEN: TOKEN };
    dir = scratch(expect.getState().currentTestName!.replace(/\W+/g, "-").slice(0, 60));
  });
  afterEach(() => gitlab.close());

  it("creates the note on the first run and updates that same note on the next, leaving another user's look-alike alone", async () => {
    fs.writeFileSync(path.join(dir, "one.md"), `${NOTE_MARKER}\n## Terraform plan\n\nfirst push\n`);
    const first = await cli([path.join(dir, "one.md")], env);
    expect(first).toEqual({ code: 0, out: expect.stringMatching(/^mr-note: created note (\d+) on merge request !12\n$/), err: "" });
    const created = gitlab.notes.filter((n) => n.author.id === BOT.id && n.body.includes("first push"));
    expect(created).toHaveLength(1);
    expect(first.out).toContain(`note ${created[0].id} `);
    // Both pages were read before deciding to create.
    expect(gitlab.requests.filter((r) => r.method === "GET" && r.path.includes("/notes")).map((r) => new URL(r.path, "http://x").searchParams.get("page"))).toEqual(["1", "2"]);

    fs.writeFileSync(path.join(dir, "two.md"), `${NOTE_MARKER}\n## Terraform plan\n\nsecond push\n`);
    const second = await cli([path.join(dir, "two.md")], env);
    expect(second).toEqual({ code: 0, out: `mr-note: updated note ${created[0].id} on merge request !12\n`, err: "" });
    expect(gitlab.notes).toHaveLength(151);
    expect(gitlab.notes.find((n) => n.id === created[0].id)!.body).toContain("second push");
    expect(gitlab.notes.find((n) => n.id === 150)!.body).toBe(lookAlike);
    expect(gitlab.requests.filter((r) => r.method === "PUT").map((r) => r.path)).toEqual([`/api/v4/projects/acme%2Fapps-platform/merge_requests/12/notes/${created[0].id}`]);
    // Every request carried the token as PRIVATE-TOKEN; nothing printed it.
    expect(gitlab.requests.every((r) => r.token === TOKEN)).toBe(true);
    expect(first.out + first.err + second.out + second.err).not.toContain(TOKEN);
  });

  it("adds the marker to a summary that lacks it, so the next run finds the note", async () => {
    fs.writeFileSync(path.join(dir, "plain.md"), "no marker here\n");
    expect((await cli([path.join(dir, "plain.md")], env)).code).toBe(0);
    const ours = gitlab.notes.filter((n) => n.author.id === BOT.id && n.body.includes("no marker here"));
    expect(ours.map((n) => n.body)).toEqual([`${NOTE_MARKER}\nno marker here\n`]);
    expect((await cli([path.join(dir, "plain.md")], env)).out).toBe(`mr-note: updated note ${ours[0].id} on merge request !12\n`);
  });

  it("keeps one note per --marker: the ephemeral stage's note and the plan summary's are updated apart", async () => {
    fs.writeFileSync(path.join(dir, "plan.md"), "## Terraform plan\n");
    fs.writeFileSync(path.join(dir, "stage.md"), "Ephemeral stage `mr-12` is up\n");
    expect((await cli([path.join(dir, "plan.md")], env)).out).toMatch(/created note/);
    const first = await cli(["--marker", "ephemeral-stage", path.join(dir, "stage.md")], env);
    expect(first.out).toMatch(/created note/);
    fs.writeFileSync(path.join(dir, "stage.md"), "Ephemeral stage `mr-12` is up again\n");
    expect((await cli([path.join(dir, "stage.md"), "--marker", "ephemeral-stage"], env)).out).toMatch(/updated note/);
    const ours = gitlab.notes.filter((n) => n.author.id === BOT.id && !n.body.startsWith("comment"));
    expect(ours.map((n) => n.body)).toEqual([`${NOTE_MARKER}\n## Terraform plan\n`, "<!-- apps-platform:ephemeral-stage -->\nEphemeral stage `mr-12` is up again\n"]);
    const bad = await cli(["--marker", "Ephemeral Stage", path.join(dir, "stage.md")], env);
    expect(bad).toEqual({ code: 2, out: "", err: 'mr-note: --marker must be lowercase letters, digits and single hyphens, got "Ephemeral Stage"\n' });
  });

  it("does not take the token user's note that only quotes the marker inside other text", async () => {
    gitlab.notes.push({ id: 151, body: `see \`${NOTE_MARKER}\` in the docs`, system: false, author: BOT });
    fs.writeFileSync(path.join(dir, "s.md"), `${NOTE_MARKER}\nsummary\n`);
    const r = await cli([path.join(dir, "s.md")], env);
    expect(r.out).toMatch(/created note/);
    expect(gitlab.notes.find((n) => n.id === 151)!.body).toBe(`see \`${NOTE_MARKER}\` in the docs`);
  });

  it("says in one line that the token was refused (401), without the token", async () => {
    fs.writeFileSync(path.join(dir, "s.md"), "x\n");
    const r = await cli([path.join(dir, "s.md")], { ...env, GITLAB_NOTE_TOKEN: "glpat-WRONG-3b7f0c" });
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^mr-note: GitLab answered 401 to GET \/api\/v4\/user \(401 Unauthorized\): GITLAB_NOTE_TOKEN is missing, expired or revoked \(it needs the api scope\)\n$/);
    expect(r.err).not.toContain("glpat-WRONG-3b7f0c");
  });

  it("says in one line that the merge request is not there (404)", async () => {
    fs.writeFileSync(path.join(dir, "s.md"), "x\n");
    const r = await cli([path.join(dir, "s.md")], { ...env, CI_MERGE_REQUEST_IID: "99" });
    expect(r.code).toBe(1);
    expect(r.err.split("\n")).toHaveLength(2);
    expect(r.err).toMatch(/^mr-note: GitLab answered 404 to GET \/api\/v4\/projects\/acme%2Fapps-platform\/merge_requests\/99\/notes\?per_page=100&page=1&sort=asc&order_by=created_at \(404 Not found\): no merge request !99 in project acme\/apps-platform that the token can see/);
    expect(r.err).not.toContain(TOKEN);
    expect(gitlab.notes).toHaveLength(150);
  });

  it("follows next-page links under CI_API_V4_URL only: the token is never sent to another host", async () => {
    fs.writeFileSync(path.join(dir, "s.md"), `${NOTE_MARKER}\nplan\n`);
    const notes = gitlab.notes.map((n) => ({ ...n }));
    await gitlab.close();
    // Keyset pagination: the Link header is the only way to page two.
    gitlab = await startFakeGitlab({ project: "acme/apps-platform", mr: 12, users: { [TOKEN]: BOT }, notes, linkOnly: {} });
    const here = await cli([path.join(dir, "s.md")], { ...env, CI_API_V4_URL: gitlab.url });
    expect(here.code).toBe(0);
    expect(gitlab.requests.filter((r) => r.path.includes("/notes") && r.method === "GET")).toHaveLength(2);
    await gitlab.close();
    const port = new URL(gitlab.url).port;
    for (const host of [`localhost:${port}`, "127.0.0.1:9"]) {
      gitlab = await startFakeGitlab({ project: "acme/apps-platform", mr: 12, users: { [TOKEN]: BOT }, notes, linkOnly: { host } });
      const away = await cli([path.join(dir, "s.md")], { ...env, CI_API_V4_URL: gitlab.url });
      expect(away).toEqual({ code: 1, out: "", err: expect.stringMatching(/^mr-note: GitLab's next-page link leads outside http:\/\/127\.0\.0\.1:\d+\/api\/v4 \(to http:\/\/[^)]+\): not followed, since every request carries the token\n$/) });
      expect(gitlab.requests.map((r) => r.path.split("?")[0])).toEqual(["/api/v4/user", "/api/v4/projects/acme%2Fapps-platform/merge_requests/12/notes"]);
      if (host.startsWith("localhost")) break;
      await gitlab.close();
    }
  });

  it("refuses a CI_PROJECT_ID that is no id or encoded path, and a token too short to keep out of messages, before any request (exit 2)", async () => {
    fs.writeFileSync(path.join(dir, "s.md"), "x\n");
    for (const [change, message] of [
      [{ CI_PROJECT_ID: "%E0" }, 'CI_PROJECT_ID must be a project\'s number or its path (group/project or group%2Fproject), got "%E0"'],
      [{ CI_PROJECT_ID: "7 OR 1" }, 'CI_PROJECT_ID must be a project\'s number or its path (group/project or group%2Fproject), got "7 OR 1"'],
      [{ GITLAB_NOTE_TOKEN: "a" }, "GITLAB_NOTE_TOKEN is 1 character long; a GitLab access token has at least 16"],
    ] as const) {
      expect(await cli([path.join(dir, "s.md")], { ...env, ...change })).toEqual({ code: 2, out: "", err: `mr-note: ${message}\n` });
    }
    expect(gitlab.requests).toHaveLength(0);
    // An encoded path and a number are taken.
    expect((await cli([path.join(dir, "s.md")], { ...env, CI_PROJECT_ID: "acme%2Fapps-platform" })).code).toBe(0);
  });

  it("says in one line which variables are missing, and which file cannot be read (exit 2)", async () => {
    const missing = await cli(["summary.md"], { CI_PROJECT_ID: "1" });
    expect(missing).toEqual({ code: 2, out: "", err: expect.stringMatching(/^mr-note: CI_API_V4_URL, CI_MERGE_REQUEST_IID, GITLAB_NOTE_TOKEN are not set .*\n$/) });
    const noFile = await cli([path.join(dir, "absent.md")], env);
    expect(noFile).toEqual({ code: 2, out: "", err: `mr-note: the summary file ${path.relative(process.cwd(), path.join(dir, "absent.md"))}: not found\n` });
    expect(await cli([], env)).toEqual({ code: 2, out: "", err: expect.stringMatching(/^mr-note: no summary file given/) });
    expect(gitlab.requests).toHaveLength(0);
  });

  it("refuses a summary over GitLab's note limit before sending it", async () => {
    fs.writeFileSync(path.join(dir, "big.md"), "x".repeat(1_000_001));
    const r = await cli([path.join(dir, "big.md")], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mr-note: the summary is 1000037 characters; GitLab takes at most 1000000 in a note/);
    expect(gitlab.requests).toHaveLength(0);
  });

  it("answers --help with the variables it reads", async () => {
    const r = await cli(["--help"], {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: npm run --silent mr-note -- <summary.md> \[options\]/);
    for (const v of ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "GITLAB_NOTE_TOKEN", "PRIVATE-TOKEN", NOTE_MARKER]) expect(r.out).toContain(v);
  });
});
