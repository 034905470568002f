import { BENCH_COMMAND, benchFleet, benchSizes } from "../../bench/synth-bench";
import { UsageError, formatHelp, parseArgs } from "../../src/cli/args";

describe("npm run bench on the command line", () => {
  it("lists --sizes with its env var and default in its help", () => {
    expect(formatHelp(BENCH_COMMAND)).toMatch(/^ {2}--sizes <n,n,\.\.\.> +.*\(env BENCH_SIZES; default 1,50,500,2000\)$/m);
  });

  it("refuses an unknown flag, naming it and the closest one", () => {
    expect(() => parseArgs(["--size", "3"], BENCH_COMMAND)).toThrow(new UsageError("unknown option --size; did you mean --sizes?"));
  });

  it("takes positive whole numbers and names the source of anything else", () => {
    expect(benchSizes("1, 50,500", "--sizes")).toEqual([1, 50, 500]);
    expect(() => benchSizes("1,x", "BENCH_SIZES")).toThrow('BENCH_SIZES must be positive whole numbers separated by commas, e.g. 1,50, got "1,x"');
    expect(() => benchSizes("0", "--sizes")).toThrow(UsageError);
  });

  it("lists --fleet with its env var and default, and takes a whole number of tenants, 0 for none", () => {
    expect(formatHelp(BENCH_COMMAND)).toMatch(/^ {2}--fleet <tenants> +.*\(env BENCH_FLEET; default 250\)$/m);
    expect(benchFleet("250", "--fleet")).toBe(250);
    expect(benchFleet("0", "BENCH_FLEET")).toBe(0);
    expect(() => benchFleet("-1", "--fleet")).toThrow(UsageError);
    expect(() => benchFleet("2.5", "BENCH_FLEET")).toThrow('BENCH_FLEET must be a whole number of tenants (0 for no fleet run), e.g. 250, got "2.5"');
  });

  it("lists the naive way's size limit and the switch that leaves out the incremental case", () => {
    expect(formatHelp(BENCH_COMMAND)).toMatch(/^ {2}--naive-max <services> +.*\(env BENCH_NAIVE_MAX; default 2000\)$/m);
    expect(formatHelp(BENCH_COMMAND)).toMatch(/^ {2}--no-incremental +.*one service added to the largest size/m);
  });
});
