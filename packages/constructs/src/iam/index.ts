export * from "./policy-role";
