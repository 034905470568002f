export * from "./cidr";
export * from "./vpc-flow-logs";
export * from "./vpc-network";
