import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { CommandSpec, FileError, UsageError, clipped, formatHelp, makeFolder, parseArgs, readProblem, readTextFile, systemErrorLine, valueOf, writeTextFile } from "../../src/cli/args";
import { ROOT } from "../helpers";

const SPEC: CommandSpec = {
  command: "tool",
  summary: "Does a thing.",
  options: [
    { name: "--config", value: "<file>", description: "the config", env: "TOOL_CONFIG", default: "a.yaml" },
    { name: "--include", value: "<file>", description: "also this", repeatable: true },
    { name: "--dry-run", description: "change nothing" },
  ],
};

function usageError(argv: string[], spec = SPEC): string {
  try {
    parseArgs(argv, spec);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`${argv.join(" ")} was accepted`);
}

describe("the command-line parser", () => {
  it("reads --flag value, --flag=value, switches and repeatable flags", () => {
    const args = parseArgs(["--config", "x.yaml", "--include=a", "--include", "b", "--dry-run"], SPEC);
    expect(valueOf(args, "--config")).toBe("x.yaml");
    expect(args.values.get("--include")).toEqual(["a", "b"]);
    expect(args.values.has("--dry-run")).toBe(true);
    expect(args.help).toBe(false);
  });

  it("answers --help and -h even next to a mistake", () => {
    expect(parseArgs(["--help"], SPEC).help).toBe(true);
    expect(parseArgs(["--confg", "x", "-h"], SPEC).help).toBe(true);
  });

  it("names an unknown flag and suggests the closest known one for a typo", () => {
    expect(usageError(["--confg", "my.yaml"])).toBe("unknown option --confg; did you mean --config?");
    expect(usageError(["--dryrun"])).toBe("unknown option --dryrun; did you mean --dry-run?");
    expect(usageError(["--colour"])).toBe("unknown option --colour");
    expect(usageError(["-x"])).toBe("unknown option -x");
  });

  it("never takes the next flag, or nothing, as a flag's value", () => {
    expect(usageError(["--config", "--dry-run"])).toMatch(/^--config needs a value \(<file>\), got the option "--dry-run"/);
    expect(usageError(["--config"])).toBe("--config needs a value: --config <file>");
    expect(usageError(["--config="])).toBe("--config needs a value: --config <file>");
  });

  it("refuses a value for a switch, a flag given twice and stray arguments", () => {
    expect(usageError(["--dry-run=yes"])).toBe('--dry-run takes no value, got "--dry-run=yes"');
    expect(usageError(["--config", "a", "--config", "b"])).toBe("--config is given more than once");
    expect(usageError(["stray"])).toMatch(/^unexpected argument "stray"/);
  });

  it("takes one of its subcommands first, and names an unknown or missing one", () => {
    const spec: CommandSpec = { ...SPEC, subcommands: [{ name: "up", description: "bring up" }, { name: "list", description: "list" }] };
    expect(parseArgs(["up", "--dry-run"], spec).subcommand).toBe("up");
    expect(usageError(["lsit"], spec)).toBe('unknown command "lsit"; did you mean list?; commands: up, list');
    expect(usageError(["--dry-run"], spec)).toBe("a command is required: up, list");
    expect(parseArgs(["up", "--help"], spec)).toMatchObject({ help: true, subcommand: "up" });
  });

  it("prints every option in the help with its description, env var and default", () => {
    const help = formatHelp(SPEC);
    expect(help).toMatch(/^usage: tool \[options\]\n/);
    expect(help).toMatch(/^ {2}--config <file> +the config \(env TOOL_CONFIG; default a\.yaml\)$/m);
    expect(help).toMatch(/^ {2}--include <file> +also this \(repeatable\)$/m);
    expect(help).toMatch(/^ {2}--dry-run +change nothing$/m);
    expect(help).toMatch(/^ {2}-h, --help +print this help and exit$/m);
  });

  it("turns a file it cannot read into one line naming the file and why", () => {
    const dir = path.join(ROOT, ".tmp", "args-test");
    fs.mkdirSync(dir, { recursive: true });
    expect(() => readTextFile(path.join(dir, "missing.yaml"), "the file", "missing.yaml")).toThrow(new FileError("", "the file missing.yaml: not found"));
    expect(() => readTextFile(dir, "the file", "args-test")).toThrow("the file args-test: is a directory, not a file");
    expect(readProblem(Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES" }))).toBe("unreadable (permission denied)");
  });

  it("turns a file or folder it cannot write into one line naming it and why", () => {
    const dir = path.join(ROOT, ".tmp", "args-test", "write");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "");
    const message = (write: () => void) => {
      try {
        write();
      } catch (err) {
        expect(err).toBeInstanceOf(FileError);
        return (err as Error).message;
      }
      return "written";
    };
    expect(message(() => writeTextFile(path.join(dir, "none", "x"), "", "the file", "x"))).toBe("the file x: cannot be written (its folder does not exist)");
    expect(message(() => writeTextFile(dir, "", "the file", "x"))).toBe("the file x: is a directory, not a file");
    expect(message(() => writeTextFile(path.join(file, "x"), "", "the file", "x"))).toBe("the file x: cannot be written (a part of the path is a file, not a folder)");
    expect(message(() => writeTextFile(path.join(dir, "made", "x"), "text", "the file", "x", true))).toBe("written");
    expect(fs.readFileSync(path.join(dir, "made", "x"), "utf8")).toBe("text");
    expect(message(() => makeFolder(path.join(file, "a", "b"), "the folder", "b"))).toBe(`the folder b: cannot be made (${file} is a file, not a folder)`);
    expect(message(() => makeFolder(file, "the folder", "f"))).toBe("the folder f: cannot be made (it is a file, not a folder)");
    expect(message(() => makeFolder(path.join(dir, "deep", "er"), "the folder"))).toBe("written");
    expect(fs.statSync(path.join(dir, "deep", "er")).isDirectory()).toBe(true);
    // Where the system answers "not found" for a folder whose parent is there (Node's recursive mkdir
    // retries that forever): one answer.
    expect(message(() => writeTextFile("/proc/apps-platform-test/x.yml", "", "the file", "x.yml", true))).toBe("the file x.yml: its folder cannot be made (the file system refuses a folder there)");
    expect(message(() => writeTextFile(path.join(file, "a", "x.yml"), "", "the file", "x.yml", true))).toBe(`the file x.yml: its folder cannot be made (${file} is a file, not a folder)`);
    expect(message(() => makeFolder("/proc/apps-platform-test/x", "the folder"))).toBe(
      "the folder /proc/apps-platform-test/x: cannot be made: /proc/apps-platform-test cannot be made (the file system refuses a folder there)",
    );
  });

  it("shows a path too long for a line by its start and end, once, and says it is too long", () => {
    const long = path.join(ROOT, ".tmp", "args-test", "x".repeat(5000));
    const message = (() => {
      try {
        readTextFile(long, "the file", `${long} (from --config)`);
      } catch (err) {
        return (err as Error).message;
      }
      return "read";
    })();
    expect(message).toMatch(/^the file \/.{99}…\(\d+ more\)….{24} \(from --config\): the path is too long$/);
    expect(Number(/…\((\d+) more\)…/.exec(message)![1]) + 140).toBe(`${long} (from --config)`.length);
    expect(clipped("short")).toBe("short");
  });

  it("says a failed system call no command expected in one line, and leaves other errors alone", () => {
    const dir = path.join(ROOT, ".tmp", "args-test");
    fs.mkdirSync(dir, { recursive: true });
    const caught = (call: () => void) => {
      try {
        call();
      } catch (err) {
        return err;
      }
      throw new Error("no error");
    };
    expect(systemErrorLine(caught(() => fs.readFileSync(path.join(dir, "missing"))))).toBe(`cannot open ${path.join(dir, "missing")}: not found (ENOENT)`);
    expect(systemErrorLine(caught(() => fs.renameSync(path.join(dir, "missing"), path.join(dir, "b"))))).toBe(`cannot rename ${path.join(dir, "missing")} to ${path.join(dir, "b")}: not found (ENOENT)`);
    expect(systemErrorLine(new TypeError("x is undefined"))).toBeUndefined();
    expect(systemErrorLine(Object.assign(new Error("ENOENT"), { code: "ENOENT" }))).toBeUndefined();
  });

  it("refuses text that is not UTF-8, naming the first bad byte and its line, and reads any UTF-8 as it is", () => {
    const dir = path.join(ROOT, ".tmp", "args-test");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "text.yaml");
    const refused = (bytes: number[] | Buffer) => {
      fs.writeFileSync(file, Buffer.from(bytes));
      try {
        readTextFile(file, "the file", "text.yaml");
      } catch (err) {
        return (err as Error).message;
      }
      return undefined;
    };
    const ascii = (t: string) => [...Buffer.from(t)];
    // Latin-1 é, a lone continuation byte, an overlong "/", a surrogate, a sequence cut short at the end, past U+10FFFF.
    for (const [bad, hex] of [[[0xe9], "E9"], [[0x80], "80"], [[0xc0, 0xaf], "C0"], [[0xed, 0xa0, 0x80], "ED"], [[0xe2, 0x82], "E2"], [[0xf4, 0x90, 0x80, 0x80], "F4"]] as const) {
      expect(refused([...ascii("a: 1\nb: x"), ...bad, ...ascii("y\n")])).toBe(`the file text.yaml: is not UTF-8 text (the byte 0x${hex} on line 2 starts no UTF-8 character); save it as UTF-8`);
    }
    expect(refused([0xff, 0xfe, ...ascii("a\0")])).toBe("the file text.yaml: is UTF-16 text; save it as UTF-8");
    // Any UTF-8, a byte order mark and U+FFFD itself included, is read as readFileSync reads it.
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.boolean(), (text, bom) => {
        const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, "utf8")]);
        fs.writeFileSync(file, bytes);
        expect(readTextFile(file, "the file")).toBe(fs.readFileSync(file, "utf8"));
      }),
      { numRuns: 300 },
    );
  });
});
