// The IAM evaluator the proofs run (@cloud-copilot/iam-simulate) asks @cloud-copilot/iam-utils, for
// every request and every Resource of every statement, whether an ARN can be of a resource type's
// ARN pattern: it builds two automata and searches their intersection each time, an eighth of a
// proof's time, for the same few thousand pairs over and over. Both questions are pure functions of
// their strings, so this keeps each answer: every call gives what it gave before, only once computed.
const path = require("path");
const resourceTypes = require(path.join(path.dirname(require.resolve("@cloud-copilot/iam-utils")), "resourceTypes.js"));

const matches = resourceTypes.resourceStringMatchesResourceTypePattern;
const mostSpecific = resourceTypes.mostSpecificMatchingResourceTypePatterns;
if (typeof matches !== "function" || typeof mostSpecific !== "function") {
  throw new Error("@cloud-copilot/iam-utils has no resourceStringMatchesResourceTypePattern or mostSpecificMatchingResourceTypePatterns: check test/setup-resource-types.js against its version");
}
const matchCache = new Map();
const specificCache = new Map();

/** A key no other pair of arguments has: the separator is a character no ARN or pattern holds. */
const pairKey = (a, b) => `${a}\u0000${b}`;

resourceTypes.resourceStringMatchesResourceTypePattern = function resourceStringMatchesResourceTypePattern(resourceString, resourcePattern) {
  if (typeof resourceString !== "string" || typeof resourcePattern !== "string") return matches(resourceString, resourcePattern);
  const key = pairKey(resourceString, resourcePattern);
  let answer = matchCache.get(key);
  if (answer === undefined) matchCache.set(key, (answer = matches(resourceString, resourcePattern)));
  return answer;
};

resourceTypes.mostSpecificMatchingResourceTypePatterns = function mostSpecificMatchingResourceTypePatterns(resourceString, resourcePatterns) {
  if (typeof resourceString !== "string" || !Array.isArray(resourcePatterns) || !resourcePatterns.every((p) => typeof p === "string")) return mostSpecific(resourceString, resourcePatterns);
  const key = pairKey(resourceString, resourcePatterns.join("\u0000"));
  let answer = specificCache.get(key);
  if (answer === undefined) specificCache.set(key, (answer = mostSpecific(resourceString, resourcePatterns)));
  // A new array each time, as the original returns: a caller may change it.
  return [...answer];
};

module.exports = { original: { resourceStringMatchesResourceTypePattern: matches, mostSpecificMatchingResourceTypePatterns: mostSpecific } };
