import { Token } from "cdktf";
import { IConstruct } from "constructs";

/**
 * Bad input to a construct or a function of the library: every problem found, each naming the
 * field or prop, what is allowed and what was given, and the path of the construct that refused it
 * (as aws-cdk's `ValidationError(message, scope)`). Thrown before anything is created, so a caller
 * fixes every mistake in one round.
 */
export class ValidationError extends Error {
  /** Each problem, one sentence each: `<field> must be <what is allowed>, got <what was given>`. */
  public readonly problems: readonly string[];
  /** The construct path of the scope that refused the input, when there is one (`service-orders-dev/orders`). */
  public readonly constructPath?: string;

  constructor(problems: string | readonly string[], scope?: IConstruct) {
    const list = typeof problems === "string" ? [problems] : [...problems];
    const path = scope?.node.path;
    const count = `${list.length} problem${list.length === 1 ? "" : "s"}`;
    super(`${count}${path ? ` in ${path}` : ""}:\n${list.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ValidationError";
    this.problems = list;
    this.constructPath = path;
  }
}

/**
 * True for a value known only at plan or apply: a CDKTF token (a reference, a function call) or a
 * Terraform expression written into a string (`${terraform.workspace}`). Such values are never
 * checked at synth: Terraform resolves them, and the resource's own validation judges them.
 */
export function isUnresolved(value: unknown): boolean {
  if (Token.isUnresolved(value)) return true;
  return typeof value === "string" && value.includes("${");
}

/** `JSON.stringify`, for the "got ..." part of a message; `undefined` spelled out. */
export function given(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/**
 * The problems of one input, collected before any is thrown (aws-cdk's
 * `Repository.validateRepositoryName` is the model): each check adds to the list, and `throwIfAny`
 * throws one ValidationError with all of them.
 */
export class Problems {
  private readonly list: string[] = [];

  /** Adds a problem as it is. */
  public add(problem: string): this {
    this.list.push(problem);
    return this;
  }

  /** Adds each problem. */
  public addAll(problems: readonly string[]): this {
    this.list.push(...problems);
    return this;
  }

  /**
   * Adds `<field> <rule>, got <value>` when the value is known at synth and `ok` says no. An absent
   * value (`undefined`) and an unresolved one (see isUnresolved) are not checked.
   */
  public check<T>(field: string, value: T | undefined, ok: (value: T) => boolean, rule: string): this {
    if (value === undefined || isUnresolved(value)) return this;
    if (!ok(value)) this.list.push(`${field} ${rule}, got ${given(value)}`);
    return this;
  }

  /** The problems so far. */
  public get all(): readonly string[] {
    return [...this.list];
  }

  /** Throws a ValidationError with every problem collected, if there is one; `scope` names where. */
  public throwIfAny(scope?: IConstruct): void {
    if (this.list.length > 0) throw new ValidationError(this.list, scope);
  }
}

/** A check for `Problems.check`: an integer from `min` to `max`. */
export const integerBetween =
  (min: number, max: number) =>
  (n: number): boolean =>
    Number.isInteger(n) && n >= min && n <= max;

/** A check for `Problems.check`: a number from `min` to `max`. */
export const numberBetween =
  (min: number, max: number) =>
  (n: number): boolean =>
    typeof n === "number" && n >= min && n <= max;
