import { Token } from "cdktf";
import { Construct } from "constructs";
import { Problems, ValidationError, given, integerBetween, isUnresolved, numberBetween } from "@acme/apps-platform-constructs/errors";
import { emptyStack } from "./helpers";

describe("ValidationError", () => {
  it("lists every problem under a count and the construct path it carries", () => {
    const scope = new Construct(emptyStack("service-orders-dev"), "orders");
    const error = new ValidationError(["a must be 1, got 2", "b must be 3, got 4"], scope);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ValidationError");
    expect(error.constructPath).toBe("service-orders-dev/orders");
    expect(error.problems).toEqual(["a must be 1, got 2", "b must be 3, got 4"]);
    expect(error.message).toBe("2 problems in service-orders-dev/orders:\n  a must be 1, got 2\n  b must be 3, got 4");
  });

  it("takes a single problem, and no scope for a function's input", () => {
    const error = new ValidationError("x must be y, got z");
    expect(error.problems).toEqual(["x must be y, got z"]);
    expect(error.constructPath).toBeUndefined();
    expect(error.message).toBe("1 problem:\n  x must be y, got z");
  });
});

describe("Problems", () => {
  it("collects every problem before throwing once", () => {
    const problems = new Problems().add("first").check("port", 0, integerBetween(1, 65535), "must be from 1 to 65535").check("name", "ok", (n) => n === "ok", "must be ok");
    expect(problems.all).toEqual(["first", "port must be from 1 to 65535, got 0"]);
    expect(() => problems.throwIfAny()).toThrow(new ValidationError(["first", "port must be from 1 to 65535, got 0"]));
    expect(() => new Problems().throwIfAny()).not.toThrow();
  });

  it("checks no absent value and no value known only at plan", () => {
    const never = () => false;
    const problems = new Problems()
      .check("a", undefined, never, "never")
      .check("b", Token.asString({ ref: 1 }), never, "never")
      .check("c", Token.asNumber("${var.n}"), never, "never")
      .check("d", "${terraform.workspace}-x", never, "never");
    expect(problems.all).toEqual([]);
  });
});

describe("the checks' helpers", () => {
  it("tell tokens and Terraform expressions from values", () => {
    expect(isUnresolved("${var.x}")).toBe(true);
    expect(isUnresolved(Token.asList({ ref: 1 }))).toBe(true);
    expect(isUnresolved("plain")).toBe(false);
    expect(isUnresolved(3)).toBe(false);
  });

  it("quote what was given", () => {
    expect(given("a")).toBe('"a"');
    expect(given(undefined)).toBe("undefined");
    expect(given([1])).toBe("[1]");
  });

  it("bound numbers, whole or not", () => {
    expect([integerBetween(1, 3)(2), integerBetween(1, 3)(2.5), integerBetween(1, 3)(4)]).toEqual([true, false, false]);
    expect([numberBetween(0, 1)(0.5), numberBetween(0, 1)(-0.1)]).toEqual([true, false]);
  });
});
