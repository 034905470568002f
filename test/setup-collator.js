// The IAM evaluator the proofs run (@cloud-copilot/iam-simulate and its iam-policy and iam-utils)
// compares strings with `a.localeCompare(b, locales, options)`, millions of times a proof. Node builds
// a new ICU collator for every such call, which made two thirds of a proof's time, most of it the
// kernel's (allocating and freeing the collator's memory). ECMA-402 defines that call as comparing
// with `new Intl.Collator(locales, options)`; this keeps one collator per locales and options, read
// as Intl.Collator reads them, so every comparison gives what it gave before, only without the cost.
const original = String.prototype.localeCompare;
const COLLATOR_OPTIONS = ["localeMatcher", "usage", "sensitivity", "ignorePunctuation", "numeric", "caseFirst", "collation"];
const collators = new Map();

/**
 * The locales and options as Intl.Collator reads them. The evaluator's calls (the default locale, no
 * option but a sensitivity) are keyed by the sensitivity alone; the options are tested one by one
 * because this runs millions of times a proof (a loop over COLLATOR_OPTIONS is ten times slower). No
 * key of one kind is a key of another: the others start with \u0001 or are \u0002.
 */
function collatorKey(locales, options) {
  if (locales === undefined && options !== null && typeof options === "object") {
    const o = options;
    if (o.localeMatcher === undefined && o.usage === undefined && o.ignorePunctuation === undefined && o.numeric === undefined && o.caseFirst === undefined && o.collation === undefined) {
      return o.sensitivity === undefined ? "\u0002" : String(o.sensitivity);
    }
  }
  let key = typeof locales === "string" ? locales : locales === undefined ? "" : JSON.stringify(locales);
  if (options !== undefined && options !== null) for (const name of COLLATOR_OPTIONS) key += `\u0000${String(options[name])}`;
  return `\u0001${key}`;
}

Object.defineProperty(String.prototype, "localeCompare", {
  configurable: true,
  writable: true,
  value: function localeCompare(that, locales, options) {
    if (locales === undefined && options === undefined) return original.call(this, that);
    const key = collatorKey(locales, options);
    let collator = collators.get(key);
    if (collator === undefined) {
      collator = new Intl.Collator(locales, options).compare;
      collators.set(key, collator);
    }
    return collator(String(this), String(that));
  },
});
