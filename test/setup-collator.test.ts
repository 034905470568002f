import fc from "fast-check";

/**
 * test/setup-collator.js keeps one collator per locales and options for `localeCompare` (the IAM
 * evaluator's comparisons): every comparison must give what a new Intl.Collator of the same locales
 * and options gives, which is what ECMA-402 defines `localeCompare` as.
 */
describe("localeCompare with a kept collator", () => {
  it("is the one the tests run with (jest's setupFiles)", () => {
    expect(String.prototype.localeCompare.toString()).not.toContain("[native code]");
  });

  it("gives what a new collator of the same locales and options gives", () => {
    const options = fc.option(
      fc.record(
        {
          sensitivity: fc.constantFrom("base", "accent", "case", "variant"),
          usage: fc.constantFrom("sort", "search"),
          numeric: fc.boolean(),
          caseFirst: fc.constantFrom("upper", "lower", "false"),
          ignorePunctuation: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    );
    const locales = fc.option(fc.constantFrom("en", "de", "sv", "tr", ["fr", "en"]), { nil: undefined });
    const text = fc.string({ unit: fc.constantFrom("a", "A", "á", "Á", "b", "B", "-", "_", "/", ":", "1", "2", "10", "ß", "i", "İ", "ı", " ") });
    fc.assert(
      fc.property(text, text, locales, options, (a, b, loc, opt) => {
        const fresh = new Intl.Collator(loc, opt).compare(a, b);
        expect(Math.sign(a.localeCompare(b, loc, opt))).toBe(Math.sign(fresh));
        // Asked again (now from the kept collator), the same answer.
        expect(Math.sign(a.localeCompare(b, loc, opt))).toBe(Math.sign(fresh));
      }),
      { numRuns: 2000 },
    );
  });

  it("compares as before without locales or options", () => {
    expect(["b", "a", "C"].sort((x, y) => x.localeCompare(y))).toEqual(["a", "b", "C"]);
    expect("a".localeCompare("a")).toBe(0);
  });
});
