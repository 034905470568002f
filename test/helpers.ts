import * as fs from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { buildPlatform } from "../src/app";
import { ConfigError, parseConfig } from "../src/config/loader";
import { PlatformConfig } from "../src/config/schema";
import { PlatformStack } from "../stacks/platform-stack";

export const ROOT = path.join(__dirname, "..");
export const EXAMPLE_FILE = path.join(ROOT, "config", "example.yaml");

/** Synthesized Terraform JSON of one stack. */
export type TfJson = {
  terraform: { backend?: Record<string, Record<string, unknown>>; cloud?: Record<string, unknown> } & Record<string, unknown>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
  output?: Record<string, Record<string, unknown>>;
  variable?: Record<string, Record<string, unknown>>;
};

export function exampleConfig(): PlatformConfig {
  return parseConfig(fs.readFileSync(EXAMPLE_FILE, "utf8"), "config/example.yaml");
}

/** The example config with changes, parsed (and so validated) like a file would be. */
export function configWith(change: (raw: Record<string, any>) => void): PlatformConfig {
  const YAML = require("yaml") as typeof import("yaml");
  const raw = YAML.parse(fs.readFileSync(EXAMPLE_FILE, "utf8"));
  change(raw);
  return parseConfig(YAML.stringify(raw), "test.yaml");
}

export interface Synthesized {
  readonly stacks: PlatformStack[];
  readonly json: Map<string, TfJson>;
}

/** Builds every stack of a config and synthesizes each, aspects included. */
export function synthPlatform(config: PlatformConfig): Synthesized {
  const app = Testing.app();
  const stacks = buildPlatform(app, config);
  const json = new Map(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as TfJson]));
  return { stacks, json };
}

/** Every resource of a given type in a synthesized stack. */
export function resourcesOf(json: TfJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource?.[type] ?? {});
}

export function onlyResource(json: TfJson, type: string): Record<string, any> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Record<string, any>;
}

export function parsePolicy(text: unknown): { Statement: Record<string, any>[] } {
  if (typeof text !== "string") throw new Error(`policy is not a string: ${JSON.stringify(text)}`);
  return JSON.parse(text);
}

/** The problems a config text produces, formatted as the CLI prints them (none for a valid config). */
export function configProblems(text: string, file = "c.yaml"): string[] {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n").slice(1).map((l) => l.trim());
    throw err;
  }
  return [];
}
