export * from "./contract-publisher";
export * from "./contract-reader";
export * from "./entries";
