export * from "./authorizer-with-policy-store";
export * from "./bundle";
