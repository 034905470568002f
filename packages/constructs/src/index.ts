/**
 * The apps-platform construct library: the service builder, the ephemeral authorizer, the tenant
 * fleet's constructs, and the naming, tagging and tenant policies they share. Import from an entry
 * point (`@acme/apps-platform-constructs/service`, `/ephemeral`, `/fleet`, ...) to load only what it
 * uses; this root entry re-exports them all.
 *
 * @packageDocumentation
 */
export * from "./backend";
export * from "./checks";
export * from "./errors";
export * from "./naming";
export * from "./tagging";
export * from "./contract";
export * from "./core";
export * from "./ephemeral";
export * from "./fleet";
export * from "./iam";
export * from "./kms";
export * from "./network";
export * from "./policy";
export * from "./service";
export * from "./state";
