export * from "./catalog";
export * from "./document";
export * from "./fleet";
export * from "./key-policies";
export * from "./statements";
export * from "./tenant";
