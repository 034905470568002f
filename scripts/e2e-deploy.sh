#!/usr/bin/env bash
# The README's "Deploying with cdktf" walkthrough, for real, against its own emulator: the cdktf CLI
# deploys state-bootstrap with local state, its state moves into the bucket it made
# (`terraform init -migrate-state`), then ci-identity, environment-dev, one onboarding and its service
# stack. After each deploy, `cdktf diff` and plain `terraform plan -detailed-exitcode` in a copy of
# generated/<stack> on the same state say "no changes", and a second `cdktf deploy` changes nothing
# (the state's serial stays).
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
service-webservice-aurora-example-dev. Writes only under .tmp/e2e/deploy. Takes no options.

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
  (cd "$PROJECT" && env "${WS[@]}" "$CDKTF" "$@" --no-color --skip-provider-lock >"$LOGS/$label.log" 2>&1) || { tail -60 "$LOGS/$label.log" >&2; fail "cdktf $* ($label)"; }
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
eval "$("$CACHE/venv/bin/python" - "$MOTO_URL" "$ci_apply" <<'PY'
import boto3, sys
c = boto3.client("sts", endpoint_url=sys.argv[1]).assume_role(RoleArn=sys.argv[2], RoleSessionName="service-pipeline")["Credentials"]
print(f"export AWS_ACCESS_KEY_ID={c['AccessKeyId']} AWS_SECRET_ACCESS_KEY={c['SecretAccessKey']} AWS_SESSION_TOKEN={c['SessionToken']}")
PY
)"
pass "credentials of $ci_apply, as the service's apply pipeline gets them"
deploy "service-$SERVICE-dev" dev

pass "the cdktf walkthrough: $(echo "$STACKS" | wc -w) stacks deployed, diffed, planned clean by terraform and redeployed as no-ops in $(elapsed)"
