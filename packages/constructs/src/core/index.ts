export * from "./account-provider";
export * from "./apps-platform-stack";
