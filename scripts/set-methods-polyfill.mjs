// Set.prototype.union, intersection, difference, symmetricDifference, isSubsetOf, isSupersetOf and
// isDisjointFrom (ES2025, Node 22+), for tools built for newer Node versions that run here on Node 20
// (gitlab-ci-local: scripts/gitlab-ci-local.sh). Defines only what is missing.
const methods = {
  union(other) {
    const out = new Set(this);
    for (const v of keysOf(other)) out.add(v);
    return out;
  },
  intersection(other) {
    const out = new Set();
    for (const v of this) if (other.has(v)) out.add(v);
    return out;
  },
  difference(other) {
    const out = new Set();
    for (const v of this) if (!other.has(v)) out.add(v);
    return out;
  },
  symmetricDifference(other) {
    const out = new Set(this);
    for (const v of keysOf(other)) {
      if (this.has(v)) out.delete(v);
      else out.add(v);
    }
    return out;
  },
  isSubsetOf(other) {
    for (const v of this) if (!other.has(v)) return false;
    return true;
  },
  isSupersetOf(other) {
    for (const v of keysOf(other)) if (!this.has(v)) return false;
    return true;
  },
  isDisjointFrom(other) {
    for (const v of this) if (other.has(v)) return false;
    return true;
  },
};

/** The values of a set-like (a Set, a Map's keys, anything with has/keys/size). */
function keysOf(other) {
  if (other == null || typeof other.has !== "function" || typeof other.keys !== "function") {
    throw new TypeError("the argument must be set-like (has, keys and size)");
  }
  return { [Symbol.iterator]: () => other.keys() };
}

for (const [name, fn] of Object.entries(methods)) {
  if (typeof Set.prototype[name] !== "function") {
    Object.defineProperty(Set.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
