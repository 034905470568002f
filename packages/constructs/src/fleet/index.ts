export * from "./fargate-service";
export * from "./fleet-ingress";
export * from "./secure-bucket";
