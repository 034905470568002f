import { STAGE_PATTERN, patternWords, stackNames } from "@acme/apps-platform-constructs/naming";
import { STABLE_STAGE_PATTERN } from "../config/schema";

/** What the lifecycle needs from Terraform, one call per step, so that each step can fail on its own. */
export interface TerraformDriver {
  /** The stage workspaces (not `default`). */
  workspaces(): Promise<string[]>;
  /** Selects a stage's workspace, creating it when asked. */
  select(stage: string, create: boolean): Promise<void>;
  apply(stage: string, variables: Record<string, string>): Promise<void>;
  destroy(stage: string, variables: Record<string, string>): Promise<void>;
  /** Deletes a stage's (empty) workspace. */
  deleteWorkspace(stage: string): Promise<void>;
  /** The stage's outputs, as strings. */
  outputs(stage: string): Promise<Record<string, string>>;
}

export interface LifecycleSettings {
  readonly accountAlias: string;
  readonly region: string;
  readonly maxStages: number;
  readonly ttlHours: number;
  /** @default the clock */
  readonly now?: () => Date;
}

export interface StageInfo {
  readonly stage: string;
  readonly stackName: string;
  readonly createdAt?: Date;
  readonly expiresAt?: Date;
  readonly ageHours?: number;
  readonly expired: boolean;
  /** The stage's outputs could not be read (state unreachable): it is neither expired nor fresh. */
  readonly unknown?: boolean;
}

/** A refusal or a failed step, with what to do about it. */
export class LifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LifecycleError";
  }
}

/** What a stage name must look like, in words and as the pattern. */
export const STAGE_NAME_RULE = `a stage name is ${patternWords(STAGE_PATTERN)}, each hyphen between two letters or digits, and not "default" (${STABLE_STAGE_PATTERN.source})`;

export function checkStage(stage: string | undefined): string {
  if (stage === undefined) throw new LifecycleError(`--stage is required: ${STAGE_NAME_RULE}`);
  // The stage is the last part of its stack's names (<alias>-<region>-<stage>): no hyphen at its ends
  // or doubled, which would make names that read as another split; a leading one would reach
  // terraform as an option. "default" is Terraform's own workspace.
  if (!STABLE_STAGE_PATTERN.test(stage)) {
    throw new LifecycleError(`--stage ${JSON.stringify(stage)} is not a stage name: ${STAGE_NAME_RULE}`);
  }
  return stage;
}

const parseDate = (s: string | undefined) => (s ? new Date(s) : undefined);

/**
 * The life of ephemeral stages: up (create or update), destroy, list, reap. One Terraform workspace
 * per stage; the backend's lock keeps one apply per stage at a time. A failed step never leaves a
 * stage half-removed: its workspace (and so its state) stays until a destroy has succeeded.
 */
export class Lifecycle {
  private readonly now: () => Date;

  constructor(
    private readonly terraform: TerraformDriver,
    private readonly settings: LifecycleSettings,
  ) {
    this.now = settings.now ?? (() => new Date());
  }

  public async up(stageArg: string | undefined): Promise<StageInfo> {
    const stage = checkStage(stageArg);
    const existing = await this.terraform.workspaces();
    const exists = existing.includes(stage);
    if (!exists && existing.length >= this.settings.maxStages) {
      throw new LifecycleError(
        `${existing.length} stages exist in ${this.settings.accountAlias} (at most ${this.settings.maxStages}, ephemeral.maxStages): ` +
          `destroy one first (npm run ephemeral -- destroy --stage <stage>) or let reap remove expired ones. Existing: ${existing.join(", ")}`,
      );
    }
    await this.terraform.select(stage, !exists);
    const now = this.now();
    const createdAt = (exists ? (await this.terraform.outputs(stage)).stage_created_at : undefined) || now.toISOString();
    const expiresAt = new Date(now.getTime() + this.settings.ttlHours * 3_600_000).toISOString();
    try {
      await this.terraform.apply(stage, { created_at: createdAt, expires_at: expiresAt });
    } catch (err) {
      throw new LifecycleError(
        failure(`apply of stage ${stage} failed`, err, "its workspace is kept with whatever was created, so run up again to finish it or destroy to remove it"),
      );
    }
    return this.info(stage, { stage_created_at: createdAt, stage_expires_at: expiresAt });
  }

  public async destroy(stageArg: string | undefined): Promise<void> {
    const stage = checkStage(stageArg);
    if (!(await this.terraform.workspaces()).includes(stage)) throw new LifecycleError(`no stage ${stage} exists in ${this.settings.accountAlias}`);
    await this.terraform.select(stage, false);
    const outputs = await this.terraform.outputs(stage).catch(() => ({}) as Record<string, string>);
    try {
      await this.terraform.destroy(stage, { created_at: outputs.stage_created_at ?? "", expires_at: outputs.stage_expires_at ?? "" });
    } catch (err) {
      throw new LifecycleError(failure(`destroy of stage ${stage} failed`, err, "the stage is still listed, run destroy again"));
    }
    try {
      await this.terraform.deleteWorkspace(stage);
    } catch (err) {
      throw new LifecycleError(failure(`stage ${stage} is destroyed but its workspace could not be deleted`, err, "run destroy again"));
    }
  }

  public async list(): Promise<StageInfo[]> {
    const stages = await this.terraform.workspaces();
    const infos: StageInfo[] = [];
    for (const stage of stages.sort()) {
      try {
        infos.push(this.info(stage, await this.terraform.outputs(stage)));
      } catch {
        infos.push({ stage, stackName: stackNames.ephemeralStage(this.settings.accountAlias, this.settings.region, stage), expired: false, unknown: true });
      }
    }
    return infos;
  }

  /** A stage's non-sensitive outputs (the PR comment shows them). */
  public async outputs(stageArg: string | undefined): Promise<Record<string, string>> {
    const stage = checkStage(stageArg);
    if (!(await this.terraform.workspaces()).includes(stage)) throw new LifecycleError(`no stage ${stage} exists in ${this.settings.accountAlias}`);
    return this.terraform.outputs(stage);
  }

  /** Destroys every stage past its TTL; one failure does not stop the others. */
  public async reap(): Promise<{ destroyed: string[]; failed: { stage: string; error: string }[] }> {
    const destroyed: string[] = [];
    const failed: { stage: string; error: string }[] = [];
    for (const info of (await this.list()).filter((i) => i.expired)) {
      try {
        // An `up` may have extended the stage since the list was read.
        if (!this.info(info.stage, await this.terraform.outputs(info.stage)).expired) continue;
        await this.destroy(info.stage);
        destroyed.push(info.stage);
      } catch (err) {
        failed.push({ stage: info.stage, error: errorText(err) });
      }
    }
    return { destroyed, failed };
  }

  private info(stage: string, outputs: Record<string, string>): StageInfo {
    const createdAt = parseDate(outputs.stage_created_at);
    const expiresAt = parseDate(outputs.stage_expires_at);
    const now = this.now().getTime();
    return {
      stage,
      stackName: stackNames.ephemeralStage(this.settings.accountAlias, this.settings.region, stage),
      createdAt,
      expiresAt,
      ageHours: createdAt ? Math.round(((now - createdAt.getTime()) / 3_600_000) * 10) / 10 : undefined,
      // A stage without a recorded expiry (a failed first apply) counts as expired: reap cleans it up.
      expired: expiresAt ? expiresAt.getTime() <= now : true,
    };
  }
}

/**
 * A long-lived stage (ephemeral.stableStages): its own template (generated/authorizer-<name>) in the
 * workspace of its name, without TTL or stage cap. Never listed or reaped with the per-PR stages.
 */
export class StableStage {
  constructor(
    private readonly terraform: TerraformDriver,
    private readonly name: string,
  ) {}

  public async up(): Promise<void> {
    const exists = (await this.terraform.workspaces()).includes(this.name);
    await this.terraform.select(this.name, !exists);
    try {
      await this.terraform.apply(this.name, {});
    } catch (err) {
      throw new LifecycleError(failure(`apply of stable stage ${this.name} failed`, err, "run up again to finish it"));
    }
  }

  public async destroy(): Promise<void> {
    if (!(await this.terraform.workspaces()).includes(this.name)) throw new LifecycleError(`stable stage ${this.name} has no workspace: nothing to destroy`);
    await this.terraform.select(this.name, false);
    try {
      await this.terraform.destroy(this.name, {});
    } catch (err) {
      throw new LifecycleError(failure(`destroy of stable stage ${this.name} failed`, err, "run destroy again"));
    }
  }

  public async outputs(): Promise<Record<string, string>> {
    if (!(await this.terraform.workspaces()).includes(this.name)) throw new LifecycleError(`stable stage ${this.name} has no workspace: run up --stable ${this.name} first`);
    await this.terraform.select(this.name, false);
    return this.terraform.outputs(this.name);
  }
}

/** An error's whole text: terraform's errors run over several lines and every one of them matters. */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `<what> (<error>); <advice>`, or with a multi-line error, the advice first and the error below it. */
function failure(what: string, err: unknown, advice: string): string {
  const text = errorText(err);
  if (!text.includes("\n")) return `${what} (${text}); ${advice}`;
  return `${what}; ${advice}:\n${text.split("\n").map((l) => (l ? `  ${l}` : l)).join("\n")}`;
}

export function formatStages(infos: StageInfo[], now: Date): string {
  if (infos.length === 0) return "no stages";
  return infos
    .map((i) => {
      const left = i.expiresAt ? Math.round(((i.expiresAt.getTime() - now.getTime()) / 3_600_000) * 10) / 10 : undefined;
      const ttl = i.unknown ? "state unreadable" : left === undefined ? "no TTL recorded" : left > 0 ? `expires in ${left} h` : `expired ${-left} h ago`;
      return `${i.stage.padEnd(32)}  ${i.stackName}  age ${i.ageHours ?? "?"} h  ${ttl}`;
    })
    .join("\n");
}
