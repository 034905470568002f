#!/usr/bin/env bash
# The README's "Deploying with cdktf" walkthrough, for real, against its own emulator: the cdktf CLI
# deploys state-bootstrap with local state, its state moves into the bucket it made
# (`terraform init -migrate-state`), then ci-identity, environment-dev, one onboarding and its service
# stack. After each deploy, `cdktf diff` and plain `terraform plan -detailed-exitcode` in a copy of
# generated/<stack> on the same state say "no changes", and a second `cdktf deploy` changes nothing
# (the state's serial stays). Then the service from its own repository, made from the template with
# the library as published: its own pipeline jobs plan and apply it with its CI roles on its state.
#
# The emulator's settings are kept out of the committed code and out of the walkthrough's commands:
# - environment variables both clients read: AWS_ENDPOINT_URL (the AWS provider and the S3 backend;
#   S3 is addressed path-style by itself, as the endpoint is an IP address), HTTP_PROXY (S3 Control
#   is called at <account-id>.127.0.0.1, which only the emulator as a proxy answers), dummy keys;
# - one override file per stack, emulator_override.tf.json, beside cdk.tf.json in cdktf.out (a re-synth
#   leaves it there; this script checks that) and beside main.tf in the terraform copies: moto answers
#   every assumed role with one account, so each provider's allowed_account_ids is pointed at it, and
#   the provider versions are the filesystem mirror's (scripts/providers.sh).
# Everything else (assumed roles, backends, workspaces, the workspace guard) stays as generated.
case "${1:-}" in
  "") ;;
  -h|--help)
    cat <<'HELP'
usage: bash scripts/e2e-deploy.sh

The README's "Deploying with cdktf" walkthrough against its own AWS emulator on 127.0.0.1: cdktf deploy,
cdktf diff, terraform plan on the same state and a second cdktf deploy, for state-bootstrap (local state,
then migrated into its bucket), ci-identity, environment-dev, onboarding-webservice-aurora-example and
service-webservice-aurora-example-dev; then the service's own repository, made with npm run
new-service-repo against the library published to a local registry, whose plan:dev and apply:dev jobs
(gitlab-ci-local) plan and apply it with its CI roles on its own state. Writes only under
.tmp/e2e/deploy, .tmp/e2e/registry and a temporary folder outside the project (removed when it passes).
Takes no options.

options:
  -h, --help  print this help and exit
HELP
    exit 0 ;;
  *) echo "scripts/e2e-deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"
# Its own emulator, whatever ran before: this walkthrough creates the state bucket itself. Its plain
# HTTP stands for AWS's HTTPS endpoints, so the state buckets' TLS-only policies let it through
# (scripts/moto-server.py, gap 8).
export APPS_PLATFORM_EMULATOR_TLS=1
# shellcheck source=scripts/moto.sh
source "$ROOT/scripts/moto.sh"

started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }
DIR="$E2E/deploy"
rm -rf "$DIR"; mkdir -p "$DIR/home" "$DIR/project" "$DIR/logs" "$DIR/tf"
PROJECT="$DIR/project"
GEN="$DIR/generated"
LOGS="$DIR/logs"
CDKTF="$ROOT/node_modules/.bin/cdktf"

# npm's cache stays where it is (the service repository's install reads it); nothing else is written there.
NPM_CACHE="$(npm config get cache)"; export NPM_CACHE
# cdktf keeps its settings under CDKTF_HOME (it reads the home directory from the password database,
# not from HOME); lib.sh keeps it from making a plugin cache there (CDKTF_DISABLE_PLUGIN_CACHE_ENV).
export HOME="$DIR/home" CDKTF_HOME="$DIR/home/.cdktf" TERRAFORM_BINARY_NAME="$TF" CI=1 FORCE_COLOR=0
export CHECKPOINT_DISABLE=1
export AWS_ENDPOINT_URL="$MOTO_URL" HTTP_PROXY="$MOTO_URL"

# The project's cdktf.json, with the app writing its HCL into this run's folder instead of generated/.
node -e '
const fs = require("fs");
const [root, project, generated] = process.argv.slice(1);
const cfg = JSON.parse(fs.readFileSync(root + "/cdktf.json", "utf8"));
if (cfg.app !== "node dist/src/main.js") throw new Error("cdktf.json runs " + cfg.app + ", not node dist/src/main.js");
cfg.app = `node ${root}/dist/src/main.js --generated ${generated}`;
fs.writeFileSync(project + "/cdktf.json", JSON.stringify(cfg, null, 2));' "$ROOT" "$PROJECT" "$GEN"
(cd "$ROOT" && node_modules/.bin/tsc -b tsconfig.json)

# The example config with webservice-aurora-example in the first phase of its rollout: its repository
# and database, not yet its ECS Express service, which the emulator does not have (nor App Runner, which
# payments-api runs on). The fleet and the ephemeral template are left out: they are not deployed here
# (scripts/e2e-fleet.sh and e2e-ephemeral.sh apply them), and each cdktf deploy synthesizes every stack.
# Without the platform repository's CI roles too: moto is one account, where the deployment account's
# and the stage's read roles (both apps-platform-read) would share a name (scripts/e2e-platform-ci.sh
# applies them).
FIRST_PHASE='raw.services.find((s) => s.slug === "webservice-aurora-example").deployService = false; delete raw.fleet; delete raw.ephemeral; delete raw.ciIdentity.platformRepository;'
config_variant "$DIR/local.yaml" "$FIRST_PHASE"
config_variant "$DIR/s3.yaml" "$FIRST_PHASE"' raw.backend.stateBootstrapBackend = "s3";'
export PLATFORM_CONFIG="$DIR/local.yaml"

SERVICE=webservice-aurora-example
STACKS="state-bootstrap ci-identity environment-dev onboarding-$SERVICE service-$SERVICE-dev"

# emulator_override.tf.json for a stack, from its synthesized JSON: every aws provider (by alias)
# accepts the emulator's account; provider versions are the mirror's, and inline routes carry the key
# the mirror's provider adds.
override_of() {
  node -e '
const fs = require("fs");
const [file, account, aws, random] = process.argv.slice(1);
const stack = JSON.parse(fs.readFileSync(file, "utf8"));
const wanted = (stack.terraform || {}).required_providers || {};
const versions = { aws, random };
const out = { terraform: { required_providers: Object.fromEntries(Object.entries(wanted).map(([n, p]) => [n, { ...p, version: versions[n] || p.version }])) } };
const providers = ((stack.provider || {}).aws || []).map((p) => ({ ...(p.alias ? { alias: p.alias } : {}), allowed_account_ids: [account] }));
if (providers.length) out.provider = { aws: providers };
// An inline route is an attribute of object type in JSON, so every key of the provider schema must be
// there: the mirror provider knows one the 6.25.0 bindings do not write (HCL blocks need no such key).
const tables = Object.entries(((stack.resource || {}).aws_route_table) || {}).filter(([, t]) => Array.isArray(t.route));
if (aws !== wanted.aws?.version && tables.length) {
  out.resource = { aws_route_table: Object.fromEntries(tables.map(([id, t]) => [id, { route: t.route.map((r) => ({ odb_network_arn: null, ...r })) }])) };
}
process.stdout.write(JSON.stringify(out, null, 2) + "\n");' "$1" "$MOTO_ACCOUNT_ID" "$PROVIDER_AWS_VERSION" "$PROVIDER_RANDOM_VERSION"
}

# Resources the stack declares (what the synth table counts), from its synthesized JSON.
declared() { node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).resource || {}; console.log(Object.values(r).reduce((n, t) => n + Object.keys(t).length, 0))' "$PROJECT/cdktf.out/stacks/$1/cdk.tf.json"; }

# The workspace of the stack at hand: TF_WORKSPACE=<stage>, as the walkthrough sets it, or none.
WS=()
cdktf_() {
  local label="$1"; shift
  run_cdktf() { (cd "$PROJECT" && env "${WS[@]}" "$CDKTF" "$@" --no-color --skip-provider-lock >"$LOGS/$label.log" 2>&1); }
  run_cdktf "$@" && return 0
  if clear_own_lock "$LOGS/$label.log"; then run_cdktf "$@" && return 0; fi
  tail -60 "$LOGS/$label.log" >&2; fail "cdktf $* ($label)"
}

synth() {
  cdktf_ "synth-$1" synth
  for stack in $STACKS; do
    [ -f "$PROJECT/cdktf.out/stacks/$stack/cdk.tf.json" ] || fail "cdktf synth wrote no $stack"
    override_of "$PROJECT/cdktf.out/stacks/$stack/cdk.tf.json" >"$PROJECT/cdktf.out/stacks/$stack/emulator_override.tf.json"
  done
  pass "cdktf synth ($1 config): $(ls "$PROJECT/cdktf.out/stacks" | wc -l) stacks in cdktf.out and $GEN, an emulator override beside each of $STACKS ($(elapsed))"
}

# A copy of generated/<stack> for plain terraform, with the same override (and, for local state, the
# state file cdktf's working directory holds).
tf_copy() {
  local stack="$1" work="$DIR/tf/$1"
  copy_stack "$GEN/$stack" "$work"
  cp "$PROJECT/cdktf.out/stacks/$stack/emulator_override.tf.json" "$work/"
  if grep -q '^  backend "local"' "$work/main.tf"; then cp "$PROJECT/cdktf.out/stacks/$stack/terraform.tfstate" "$work/"; fi
  echo "$work"
}

# "<serial> <managed resources> <digest of their addresses and ids>" of a copy's state.
state_of() {
  (cd "$1" && env "${WS[@]}" "$TF" state pull) | python3 -c '
import hashlib, json, sys
d = json.load(sys.stdin)
objects = sorted((r.get("module", ""), r["type"], r["name"], str(i.get("index_key")), i["attributes"].get("id") or i["attributes"].get("arn") or "") for r in d["resources"] if r["mode"] == "managed" for i in r["instances"])
print(d["serial"], len(objects), hashlib.sha256(json.dumps(objects).encode()).hexdigest()[:12])'
}

# cdktf deploy, cdktf diff, terraform plan on the same state, a second cdktf deploy: each must agree.
deploy() {
  local stack="$1" workspace="$2" t0; t0=$(date +%s)
  WS=(); [ "$workspace" = default ] || WS=("TF_WORKSPACE=$workspace")
  [ -f "$PROJECT/cdktf.out/stacks/$stack/emulator_override.tf.json" ] || fail "no override for $stack"
  cdktf_ "$stack-deploy" deploy "$stack" --auto-approve
  local applied; applied="$(grep -o 'Apply complete! Resources: [0-9]* added, [0-9]* changed, [0-9]* destroyed' "$LOGS/$stack-deploy.log" | tail -1)"
  [ -n "$applied" ] || { tail -40 "$LOGS/$stack-deploy.log" >&2; fail "cdktf deploy $stack applied nothing"; }
  [ -f "$PROJECT/cdktf.out/stacks/$stack/emulator_override.tf.json" ] || fail "the re-synth of cdktf deploy removed $stack's override"
  pass "cdktf deploy $stack (workspace $workspace): $applied ($(( $(date +%s) - t0 )) s)"

  cdktf_ "$stack-diff" diff "$stack" --skip-synth
  grep -q 'No changes. Your infrastructure matches the configuration.' "$LOGS/$stack-diff.log" || { grep -E '# .* (will|must) |Plan:' "$LOGS/$stack-diff.log" >&2; fail "cdktf diff $stack plans changes after its deploy"; }
  pass "cdktf diff $stack: no changes"

  local work; work="$(tf_copy "$stack")"
  (cd "$work" && env "${WS[@]}" "$TF" init -no-color >"$work/init.log" 2>&1) || { tail -30 "$work/init.log" >&2; fail "terraform init in the copy of generated/$stack"; }
  local rc=0; (cd "$work" && env "${WS[@]}" "$TF" plan -detailed-exitcode -lock-timeout=120s -no-color >"$work/plan.log" 2>&1) || rc=$?
  [ "$rc" = 0 ] || { grep -E '# .* (will|must) |Plan:|Error' "$work/plan.log" >&2; fail "terraform plan of generated/$stack on cdktf's state exits $rc, not 0 (no changes)"; }
  local before want; before="$(state_of "$work")"; want="$(declared "$stack")"
  local count; count="$(echo "$before" | cut -d' ' -f2)"
  [ "$count" = "$want" ] || fail "$stack: the state holds $count resources, the stack declares $want"
  pass "terraform plan -detailed-exitcode in a copy of generated/$stack (workspace $workspace): no changes; the state cdktf wrote holds all $want resources the stack declares"

  cdktf_ "$stack-redeploy" deploy "$stack" --auto-approve --skip-synth
  grep -q 'No changes. Your infrastructure matches the configuration.' "$LOGS/$stack-redeploy.log" || { tail -30 "$LOGS/$stack-redeploy.log" >&2; fail "the second cdktf deploy of $stack changes something"; }
  local after
  if [ -f "$PROJECT/cdktf.out/stacks/$stack/terraform.tfstate" ]; then
    # Local state: the file in cdktf's working directory is the state.
    cp "$PROJECT/cdktf.out/stacks/$stack/terraform.tfstate" "$work/"
  fi
  after="$(state_of "$work")"
  # An apply without changes still stores what its refresh read (a bucket's view of the policy,
  # encryption and lifecycle set by their own resources after it was made): the serial may move once,
  # the objects may not.
  [ "${after#* }" = "${before#* }" ] || fail "the second cdktf deploy of $stack changed the state's objects: $before -> $after (serial, count, digest of addresses and ids)"
  grep -q 'Apply complete! Resources: [1-9]\|[1-9][0-9]* changed\|[1-9][0-9]* destroyed' "$LOGS/$stack-redeploy.log" && fail "the second cdktf deploy of $stack applied changes"
  pass "a second cdktf deploy $stack is a no-op: \"No changes\", the same $count objects (serial ${before%% *} -> ${after%% *}) ($(( $(date +%s) - t0 )) s for the stack)"
  WS=()
}

log "1. state-bootstrap with local state"
synth local
deploy state-bootstrap default

log "2. state-bootstrap's state into the bucket: stateBootstrapBackend: s3, terraform init -migrate-state"
export PLATFORM_CONFIG="$DIR/s3.yaml"
synth s3
[ "$(node -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1])).terraform.backend).join())' "$PROJECT/cdktf.out/stacks/state-bootstrap/cdk.tf.json")" = s3 ] || fail "state-bootstrap has no S3 backend with stateBootstrapBackend: s3"
boot="$PROJECT/cdktf.out/stacks/state-bootstrap"
(cd "$boot" && "$TF" init -migrate-state -force-copy -no-color >"$LOGS/migrate.log" 2>&1) || { tail -30 "$LOGS/migrate.log" >&2; fail "terraform init -migrate-state in cdktf.out/stacks/state-bootstrap"; }
grep -q 'Successfully configured the backend "s3"' "$LOGS/migrate.log" || { cat "$LOGS/migrate.log" >&2; fail "the migration did not configure the S3 backend"; }
migrated="$("$CACHE/venv/bin/python" - "$MOTO_URL" <<'PY'
import boto3, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
d = json.loads(s3.get_object(Bucket="acme-apps-platform-tfstate", Key="state-bootstrap/apps-platform/terraform.tfstate")["Body"].read())
print(sum(len(r["instances"]) for r in d["resources"] if r["mode"] == "managed"))
PY
)"
[ "$migrated" = "$(declared state-bootstrap)" ] || fail "the migrated state holds $migrated resources, not $(declared state-bootstrap)"
pass "terraform init -migrate-state: s3://acme-apps-platform-tfstate/state-bootstrap/apps-platform/terraform.tfstate holds the $migrated resources ($(elapsed))"
rm -f "$boot"/terraform.tfstate "$boot"/terraform.tfstate.backup
deploy state-bootstrap default

log "3. the rest, in the order npm run synth prints"
deploy ci-identity default

# The workspace is the stage: without TF_WORKSPACE the guard stops the plan before anything changes.
(cd "$PROJECT" && "$CDKTF" diff environment-dev --no-color --skip-provider-lock >"$LOGS/environment-dev-no-workspace.log" 2>&1) && fail "cdktf diff environment-dev planned in workspace default"
tr -s ' \n' '  ' <"$LOGS/environment-dev-no-workspace.log" | grep -q 'This configuration is synthesized for workspace "dev" and must not be planned in another one. Run: terraform workspace select -or-create dev' || { tail -30 "$LOGS/environment-dev-no-workspace.log" >&2; fail "cdktf diff environment-dev in workspace default failed for another reason"; }
pass "cdktf diff environment-dev without TF_WORKSPACE fails on the workspace guard: $(grep -o 'Run: terraform workspace select -or-create dev' "$LOGS/environment-dev-no-workspace.log" | head -1)"
deploy environment-dev dev
deploy "onboarding-$SERVICE" default

# The service stack is its pipeline's to apply: with the credentials of its CI apply role (an output of
# onboarding), whose state bucket admits only the service's CI roles and the provisioner.
ci_apply="$(cd "$DIR/tf/onboarding-$SERVICE" && "$TF" output -raw ci_apply_role_arn)"
# What the service's repository keeps as apps-platform.json (step 4), read while these are the operator's credentials.
(cd "$DIR/tf/onboarding-$SERVICE" && "$TF" output -json service_context) >"$DIR/service_context.json"
eval "$("$CACHE/venv/bin/python" - "$MOTO_URL" "$ci_apply" <<'PY'
import boto3, sys
c = boto3.client("sts", endpoint_url=sys.argv[1]).assume_role(RoleArn=sys.argv[2], RoleSessionName="service-pipeline")["Credentials"]
print(f"export AWS_ACCESS_KEY_ID={c['AccessKeyId']} AWS_SECRET_ACCESS_KEY={c['SecretAccessKey']} AWS_SESSION_TOKEN={c['SessionToken']}")
PY
)"
pass "credentials of $ci_apply, as the service's apply pipeline gets them"
deploy "service-$SERVICE-dev" dev

log "4. the service from its own repository: made from the template, its own pipeline, its own roles and state"
# The onboarding's service_context output is what npm run service-context computes from the config.
node "$ROOT/dist/src/service-repo/service-context-cli.js" "$SERVICE" --config "$DIR/s3.yaml" >"$DIR/service-context.json"
node -e 'const fs = require("fs"), assert = require("assert"); assert.deepStrictEqual(JSON.parse(fs.readFileSync(process.argv[1])), JSON.parse(fs.readFileSync(process.argv[2])))' "$DIR/service_context.json" "$DIR/service-context.json" \
  || fail "terraform output -json service_context of onboarding-$SERVICE differs from npm run service-context -- $SERVICE"
pass "terraform output -json service_context of onboarding-$SERVICE is what npm run service-context -- $SERVICE prints"

# The repository outside the project, with the library as published (the local registry).
source "$ROOT/scripts/service-repo-lib.sh"
SR="$(service_repos_dir)"
# Removed when the walkthrough passed; kept for a look otherwise.
trap 'if [ -n "${DONE:-}" ]; then rm -rf "$SR"; else echo "the service repository is kept in $SR" >&2; fi; stop_moto' EXIT
# shellcheck source=scripts/local-registry.sh
source "$ROOT/scripts/local-registry.sh"
publish_library "$SR" >/dev/null
REPO="$SR/$SERVICE"
new_service_repo "$REPO" "$SERVICE" "$DIR/s3.yaml"
cp "$DIR/service_context.json" "$REPO/apps-platform.json"
# The team's edit of main.ts, which describes payments-api as created: their service as the config
# variant has it, in the first phase of its rollout (ECS Express, no service yet, a database).
node -e '
const fs = require("fs"), file = process.argv[1];
let text = fs.readFileSync(file, "utf8");
const edits = [
  ["Compute.appRunner()", "Compute.ecsExpress()"],
  ["deployService: true,", "deployService: false,"],
  ["imageTag: \"1.4.2\",", "imageTag: \"2.0.0\","],
  [/\.withWebService\(\{[^}]*\{[^}]*\},\s*\}\)/, ".withWebService({ healthCheckPath: \"/healthz\" })"],
  [".withDatabase()", ".withDatabase({ maxCapacity: 2 })"],
  [/\n\s*\/\/ Optional capability: <slug>\.<zone>[^\n]*\n\s*\.withCustomDomain\(\)/, ""],
];
for (const [from, to] of edits) {
  const next = text.replace(from, to);
  if (next === text) throw new Error("main.ts of the template has no " + from);
  text = next;
}
fs.writeFileSync(file, text);' "$REPO/main.ts"
install_service_repo "$REPO"
pass "$REPO: made with npm run new-service-repo, apps-platform.json from the onboarding's output, main.ts describing $SERVICE, installed with @acme/apps-platform-constructs from $LOCAL_REGISTRY_URL ($(elapsed))"

(cd "$REPO" && STAGE=dev "$CDKTF" synth --no-color >"$LOGS/repo-synth.log" 2>&1) || { tail -30 "$LOGS/repo-synth.log" >&2; fail "STAGE=dev cdktf synth in $REPO"; }
node -e '
const fs = require("fs"), strip = (f) => { const d = JSON.parse(fs.readFileSync(f, "utf8")); delete d["//"]; return JSON.stringify(d); };
process.exit(strip(process.argv[1]) === strip(process.argv[2]) ? 0 : 1)' "$REPO/cdktf.out/stacks/service-$SERVICE-dev/cdk.tf.json" "$PROJECT/cdktf.out/stacks/service-$SERVICE-dev/cdk.tf.json" \
  || fail "the repository's service-$SERVICE-dev is not the Terraform the platform synthesized for it"
pass "STAGE=dev cdktf synth in the repository: service-$SERVICE-dev, the same Terraform as the platform's"

# Its pipeline's jobs, run by gitlab-ci-local in the repository: the ID token is exchanged for the
# service's CI roles (the emulator does not check its signature), and the jobs reach the emulator
# through AWS_ENDPOINT_URL and an override of the providers' allowed_account_ids.
mkdir -p "$SR/overrides"
override_of "$REPO/cdktf.out/stacks/service-$SERVICE-dev/cdk.tf.json" >"$SR/overrides/emulator_override.tf.json"
rm -rf "$REPO/cdktf.out" "$REPO/dist"
b64() { printf '%s' "$1" | base64 | tr -d '=\n' | tr '/+' '_-'; }
project="$(node -p 'require(process.argv[1]).repository.gitlabProjectPath' "$REPO/apps-platform.json")"
ID_TOKEN="$(b64 '{"alg":"RS256","typ":"JWT"}').$(b64 "{\"iss\":\"https://gitlab.com\",\"aud\":\"https://gitlab.com\",\"sub\":\"project_path:$project:ref_type:branch:ref:main\"}").$(b64 signature)"
gitr() { git -C "$REPO" -c user.email=e2e@apps-platform.invalid -c user.name=e2e "$@"; }
gitr init -q -b main && gitr remote add origin "https://gitlab.example.invalid/$project.git"
printf '%s\n' node_modules/ .gitlab-ci-local/ >>"$REPO/.git/info/exclude"
gitr add -A && gitr commit -qm "the service's repository" && gitr update-ref refs/remotes/origin/main HEAD && gitr symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
job() {
  local label="$1" source="$2"; shift 2
  (cd "$REPO" && PATH="$(dirname "$TF"):$PATH" "$ROOT/scripts/gitlab-ci-local.sh" --force-shell-executor --no-color --max-job-name-padding 0 \
    --ignore-predefined-vars CI_PIPELINE_SOURCE,CI_PROJECT_DIR,CI_COMMIT_REF_PROTECTED,CI_JOB_TOKEN \
    --variable "CI_PIPELINE_SOURCE=$source" --variable CI_COMMIT_REF_PROTECTED=true --variable "CI_PROJECT_DIR=$REPO" \
    --variable CI_JOB_TOKEN=local-test-run --variable "AWS_ID_TOKEN=$ID_TOKEN" --variable "AWS_ENDPOINT_URL=$MOTO_URL" \
    --variable "APPS_PLATFORM_PROVIDER_MIRROR=$MIRROR" --variable "APPS_PLATFORM_LOCAL_OVERRIDES=$SR/overrides" --variable APPS_PLATFORM_CI_IMAGE=local-shell \
    "$@") >"$LOGS/$label.log" 2>&1 || { tail -40 "$LOGS/$label.log" >&2; fail "the repository's job $* ($label)"; }
  sed -i 's/\x1b\[[0-9;]*m//g' "$LOGS/$label.log"
  gitr clean -qfdx -e node_modules -e .gitlab-ci-local >/dev/null
}
STATE_KEY="env/dev/service/$SERVICE/terraform.tfstate"
state_serial() {
  "$CACHE/venv/bin/python" - "$MOTO_URL" "acme-$SERVICE-tfstate" "$STATE_KEY" <<'PY'
import boto3, json, sys
d = json.loads(boto3.client("s3", endpoint_url=sys.argv[1]).get_object(Bucket=sys.argv[2], Key=sys.argv[3])["Body"].read())
print(d["serial"], sum(len(r["instances"]) for r in d["resources"] if r["mode"] == "managed"))
PY
}
before="$(state_serial)"

job plan-mr merge_request_event plan:dev
grep -q "assume-role-with-web-identity --role-arn \"\$ROLE_ARN\"" "$LOGS/plan-mr.log" || fail "plan:dev did not exchange its ID token"
grep -q 'terraform plan -lock=false -input=false -var "platform_role_arn=$READ_ROLE_ARN"' "$LOGS/plan-mr.log" || fail "plan:dev did not plan with -lock=false as the read role"
grep -q 'No changes. Your infrastructure matches the configuration.' "$LOGS/plan-mr.log" || { grep -E '# .* (will|must) |Plan:' "$LOGS/plan-mr.log" >&2; fail "plan:dev of the repository plans changes to what the platform's service stack applied"; }
[ "$(state_serial)" = "$before" ] || fail "the merge-request plan changed the state"
pass "plan:dev (merge request; $SERVICE-ci-plan, -lock=false, platform_role_arn = $SERVICE-dev-read): No changes on s3://acme-$SERVICE-tfstate/$STATE_KEY, the state the platform's stack applied ($(elapsed))"

# The team adds a secret and merges: the apply job of the protected branch makes it.
node -e '
const fs = require("fs"), file = process.argv[1], text = fs.readFileSync(file, "utf8");
const next = text.replace(".withDatabase({ maxCapacity: 2 })", ".withDatabase({ maxCapacity: 2 })\n    .withSecret(\"api-key\", { environmentVariable: \"API_KEY\" })");
if (next === text) throw new Error("no .withDatabase in main.ts"); fs.writeFileSync(file, next);' "$REPO/main.ts"
gitr commit -qam "an API key"
job apply-main push apply:dev
grep -Eq 'Apply complete! Resources: 1 added, 0 changed, 0 destroyed' "$LOGS/apply-main.log" || { grep -E '# .* (will|must) |Plan:|Apply' "$LOGS/apply-main.log" >&2; fail "apply:dev did not add the secret alone"; }
after="$(state_serial)"
[ "${after#* }" = "$(( ${before#* } + 1 ))" ] || fail "the state after apply:dev holds ${after#* } resources, not ${before#* } + 1"
pass "apply:dev (protected branch; $SERVICE-ci-apply, deploy role): $(grep -o 'Apply complete! .*' "$LOGS/apply-main.log" | head -1) into the service's state (serial ${before%% *} -> ${after%% *}) ($(elapsed))"

job replan-mr merge_request_event plan:dev
grep -q 'No changes. Your infrastructure matches the configuration.' "$LOGS/replan-mr.log" || { grep -E '# .* (will|must) |Plan:' "$LOGS/replan-mr.log" >&2; fail "plan:dev after the apply plans changes"; }
pass "plan:dev after the apply: No changes, with the plan role's read of the state the apply role wrote ($(elapsed))"

pass "the cdktf walkthrough: $(echo "$STACKS" | wc -w) stacks deployed, diffed, planned clean by terraform and redeployed as no-ops, and the service planned and applied from its own repository in $(elapsed)"
DONE=1
