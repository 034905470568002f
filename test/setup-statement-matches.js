// The IAM evaluator the proofs run (@cloud-copilot/iam-simulate) matches every statement of every
// policy against each request: its Resource or NotResource patterns against the request's resource,
// and its Action or NotAction against the request's action, each time building the patterns'
// wrappers and regular expressions anew. A proof makes tens of thousands of requests against the same
// few hundred statements. Where a statement's patterns hold no policy variable, both answers are
// functions of the statement and of a few fields of the request: this keeps each answer, by the
// statement's document and those fields, and hands every caller the same answer, frozen, so that a
// caller that changed it would fail instead of changing another's.
//
// What the answers read, from the library's source (resource/resource.js, action/action.js): the
// request's resource (its value, and whether the action takes only `*`, for a `*` resource) and the
// policy's type, besides the statement; the request's action (its value). A pattern with a policy
// variable (`${...}`) also reads the request's context: such a statement is always asked anew, and
// so is one whose document is not frozen throughout (test/iam/simulator.ts freezes the policies it
// evaluates), since it could change under a kept answer.
const path = require("path");
const dist = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
const resourceModule = require(path.join(dist, "resource", "resource.js"));
const actionModule = require(path.join(dist, "action", "action.js"));

const matchResources = resourceModule.requestMatchesStatementResources;
const matchActions = actionModule.requestMatchesStatementActions;
if (typeof matchResources !== "function" || typeof matchActions !== "function") {
  throw new Error("@cloud-copilot/iam-simulate has no requestMatchesStatementResources or requestMatchesStatementActions: check test/setup-statement-matches.js against its version");
}

function deepFreeze(value) {
  if (typeof value === "object" && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Whether a document and everything in it is frozen (it cannot change under a kept answer); once per document. */
const deeplyFrozen = new WeakMap();
function isDeeplyFrozen(document) {
  let frozen = deeplyFrozen.get(document);
  if (frozen === undefined) {
    const all = (v) => typeof v !== "object" || v === null || (Object.isFrozen(v) && Object.values(v).every(all));
    deeplyFrozen.set(document, (frozen = all(document)));
  }
  return frozen;
}

const hasVariable = (patterns) => (Array.isArray(patterns) ? patterns : [patterns]).some((p) => typeof p !== "string" || p.includes("${"));

/** By statement document, then by the fields of the request the answer reads. */
const resourceAnswers = new WeakMap();
const actionAnswers = new WeakMap();

function answers(store, document) {
  let byRequest = store.get(document);
  if (byRequest === undefined) store.set(document, (byRequest = new Map()));
  return byRequest;
}

resourceModule.requestMatchesStatementResources = function requestMatchesStatementResources(request, statement, policyType) {
  const document = statement && statement.statementObject;
  const resource = request && request.resource;
  if (typeof document !== "object" || document === null || !isDeeplyFrozen(document) || !resource || typeof resource.value !== "function") return matchResources(request, statement, policyType);
  if (hasVariable(document.Resource ?? document.NotResource ?? [])) return matchResources(request, statement, policyType);
  const key = `${policyType}\u0000${request.wildcardOnlyAction === true}\u0000${resource.value()}`;
  const byRequest = answers(resourceAnswers, document);
  let answer = byRequest.get(key);
  if (answer === undefined) byRequest.set(key, (answer = deepFreeze(matchResources(request, statement, policyType))));
  return answer;
};

actionModule.requestMatchesStatementActions = function requestMatchesStatementActions(request, statement) {
  const document = statement && statement.statementObject;
  const action = request && request.action;
  if (typeof document !== "object" || document === null || !isDeeplyFrozen(document) || !action || typeof action.value !== "function") return matchActions(request, statement);
  const byRequest = answers(actionAnswers, document);
  const key = action.value();
  let answer = byRequest.get(key);
  if (answer === undefined) byRequest.set(key, (answer = deepFreeze(matchActions(request, statement))));
  return answer;
};

module.exports = { original: { requestMatchesStatementResources: matchResources, requestMatchesStatementActions: matchActions }, dist, resourceModule, actionModule };
