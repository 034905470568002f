/**
 * The service, as its own Terraform per stage: `STAGE=dev npx cdktf synth` (or `STAGE=dev npm run
 * synth`) writes cdktf.out/stacks/service-<slug>-dev. State lives in the service's own bucket, the
 * provider assumes the service's deploy role (its read role for merge-request plans), and the stage's
 * network, zone and key come from the platform's contract. Where it runs is context.ts's business;
 * this file says what runs.
 */
import { App } from "cdktf";
import { ValidationError } from "@acme/apps-platform-constructs/errors";
import { Compute, ServiceStack } from "@acme/apps-platform-constructs/service";
import { AppsPlatformContext, ContextError, loadAppsPlatformContext } from "./context";

export function defineService(app: App, ctx: AppsPlatformContext): ServiceStack {
  const stack = new ServiceStack(app, {
    context: ctx.service,
    backend: ctx.backend,
    compute: Compute.appRunner(),
    // Two-phase rollout: false makes the image repository (and the database) only; push the first
    // image, then set it to true to run imageTag.
    deployService: true,
    imageTag: "1.4.2",
  });

  stack.service
    .withWebService({
      port: 8080,
      cpu: 1024,
      memory: 2048,
      environment: { LOG_LEVEL: "info" },
    })
    // Optional capability: Aurora Serverless v2 PostgreSQL; its secret reaches the container as DATABASE_SECRET.
    .withDatabase()
    // Optional capability: <slug>.<zone> (App Runner), DNS records made for you.
    .withCustomDomain()
    .build();

  return stack;
}

if (require.main === module) {
  const app = new App();
  try {
    defineService(app, loadAppsPlatformContext(app));
  } catch (err) {
    // Where it runs, or what it asks for, is wrong: say so in the words of the message, not a stack trace.
    if (!(err instanceof ContextError || err instanceof ValidationError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  app.synth();
}
