export * from "./lock-table";
export * from "./private-bucket";
export * from "./state-bucket";
