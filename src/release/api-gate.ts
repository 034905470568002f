import { ApiChange, Bump, bumpRank, compareReports, formatChange } from "./api-report";
import { Changeset, declaredBump, versionBump } from "./changesets";

/**
 * The semver gate: the bump a change of the public API needs (from its API reports) against the bump
 * it declares, which is the larger of the package's version change and the changesets the change adds.
 */

export interface GateInput {
  /** The package the changesets name. */
  readonly packageName: string;
  /** What the change is measured against, for messages: `main (1a2b3c4d5e6f)`, `the release 0.1.0`. */
  readonly baseName: string;
  /** The report at the base; undefined when the base has none. */
  readonly baseReport: string | undefined;
  readonly currentReport: string;
  /** The package's version at the base; undefined when the package did not exist there. */
  readonly baseVersion: string | undefined;
  readonly currentVersion: string;
  /** The changesets the change adds or edits (those of the base are another change's). */
  readonly changesets: readonly Changeset[];
}

export interface GateResult extends ApiChange {
  readonly declared: Bump;
  /** Where the declared bump comes from: changeset files and/or the version change. */
  readonly declaredBy: readonly string[];
  readonly ok: boolean;
}

export function gate(input: GateInput): GateResult {
  const change = compareReports(input.baseReport, input.currentReport, { base: `the API report of ${input.baseName}`, current: "the current API report" });
  const fromChangesets = declaredBump(input.changesets, input.packageName);
  const byVersion = input.baseVersion === undefined ? "none" : versionBump(input.baseVersion, input.currentVersion);
  if (byVersion === "lower") {
    return { ...change, declared: "none", declaredBy: [`the version ${input.currentVersion} is below ${input.baseVersion} of ${input.baseName}`], ok: false };
  }
  const declared = bumpRank(byVersion) > bumpRank(fromChangesets.bump) ? byVersion : fromChangesets.bump;
  const declaredBy = [
    ...(bumpRank(fromChangesets.bump) >= bumpRank(byVersion) ? fromChangesets.files : []),
    ...(byVersion !== "none" && bumpRank(byVersion) >= bumpRank(fromChangesets.bump) ? [`the version ${input.baseVersion} → ${input.currentVersion}`] : []),
  ];
  return { ...change, declared, declaredBy, ok: bumpRank(declared) >= bumpRank(change.needed) };
}

const WHY = "a removed or changed API line needs major, added lines only need minor";

/** The changeset a change needs, as `npx changeset` would write it. */
export function changesetToAdd(packageName: string, bump: Bump): string[] {
  return [
    `Add one: npx changeset (choose ${bump} for ${packageName}), or write .changeset/<short-name>.md:`,
    "  ---",
    `  "${packageName}": ${bump}`,
    "  ---",
    "",
    "  What changed, and what a user of the package does about it.",
  ];
}

/** What the gate found, in lines; the first says pass or fail. */
export function gateReport(input: GateInput, r: GateResult): string[] {
  const declared = r.declared === "none" ? "no release" : `${r.declared}${r.declaredBy.length ? ` (${r.declaredBy.join(", ")})` : ""}`;
  if (r.needed === "none") return [`the public API of ${input.packageName} is the same as in ${input.baseName}: no changeset needed`];
  const summary = `${r.removed.length} API line${r.removed.length === 1 ? "" : "s"} removed or changed, ${r.added.length} added against ${input.baseName}`;
  if (r.ok) return [`the public API of ${input.packageName} needs a ${r.needed} release (${summary}); declared: ${declared}`];
  const lowered = r.declaredBy.find((d) => d.includes(" is below "));
  return [
    `the public API of ${input.packageName} needs a ${r.needed} release (${WHY}), but ${lowered ?? (r.declared === "none" ? "no changeset of the change declares a release" : `only ${declared} is declared`)}; ${summary}:`,
    ...formatChange(r),
    ...changesetToAdd(input.packageName, r.needed),
  ];
}
