#!/usr/bin/env bash
# npm run ephemeral against the emulator with real Terraform and the generated S3 backend block of
# the ephemeral template (its AWS resources replaced by a stand-in, since the emulator lacks Verified
# Permissions): up creates a workspace per stage, the cap refuses one more, list shows them, destroy
# removes a stage and its workspace. Then the same lifecycle as the ephemeral stages' provisioner
# role: its role (with the policies synthesized into environment-dev) is created in the emulator, and
# a template with the generated provider block (assume_role of the provisioner, with the stage as the
# session's Stage tag) creates the stage's table and log group under that session; and a stable stage
# (dev) is deployed from its own template as the stable provisioner. moto records roles, policies and
# session tags but enforces no IAM policy: what the roles may do is proven by the IAM evaluator
# (test/iam/ephemeral-ci-*.test.ts), not here.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

DIR="$E2E/ephemeral"
# The CLI's working copies (.tmp/ephemeral/<template folder>-<hash of its path>) of these templates.
rm -rf "$DIR" "$ROOT"/.tmp/ephemeral/template-* "$ROOT"/.tmp/ephemeral/as-provisioner-* "$ROOT"/.tmp/ephemeral/stable-dev-*; mkdir -p "$DIR/template"
write_backend_overrides "$DIR/moto.s3.tfbackend"
{
  echo "terraform {"; backend_block_of ephemeral; echo "}"
  guard_block_of ephemeral
  cat <<'HCL'
variable "created_at" {
  type    = string
  default = ""
}
variable "expires_at" {
  type    = string
  default = ""
}
# Stands in for the template's AWS resources.
resource "terraform_data" "stage" {
  input = terraform.workspace
}
output "stage_created_at" {
  value = var.created_at
}
output "stage_expires_at" {
  value = var.expires_at
}
HCL
} > "$DIR/template/main.tf"
# The example config with a cap of two stages.
sed 's/^  maxStages: 10$/  maxStages: 2/' "$ROOT/config/example.yaml" > "$DIR/config.yaml"
grep -q '^  maxStages: 2$' "$DIR/config.yaml" || fail "could not set the cap in the test config"

cli() { node "$ROOT/dist/src/ephemeral/cli.js" "$@" --config "$DIR/config.yaml" --template "$DIR/template" --terraform "$TF" --backend-config "$DIR/moto.s3.tfbackend"; }

cli up --stage pr-1 >"$DIR/up1.log" 2>&1 || { cat "$DIR/up1.log"; fail "up pr-1"; }
cli up --stage pr-2 >"$DIR/up2.log" 2>&1 || { cat "$DIR/up2.log"; fail "up pr-2"; }
pass "up: $(cat "$DIR/up1.log")"
if cli up --stage pr-3 >"$DIR/up3.log" 2>&1; then fail "the cap let a third stage up"; fi
grep -q "2 stages exist in acme-dev (at most 2" "$DIR/up3.log" || { cat "$DIR/up3.log"; fail "the cap's message"; }
pass "a third stage is refused: $(head -c 120 "$DIR/up3.log")…"
if cli up --stage PR_4 >"$DIR/bad.log" 2>&1; then fail "a bad stage name was accepted"; fi
pass "a bad stage name is refused: $(cat "$DIR/bad.log")"
cli list >"$DIR/list.log" 2>&1 || { cat "$DIR/list.log"; fail "list"; }
grep -q "^pr-1 .*acme-dev-eu-central-1-pr-1 .*expires in 72 h" "$DIR/list.log" && grep -q "^pr-2 " "$DIR/list.log" || { cat "$DIR/list.log"; fail "list shows both stages"; }
pass "list shows pr-1 and pr-2 with age and TTL"
cli outputs --stage pr-2 >"$DIR/outputs.log" 2>&1 || { cat "$DIR/outputs.log"; fail "outputs pr-2"; }
grep -q '"stage_expires_at"' "$DIR/outputs.log" || { cat "$DIR/outputs.log"; fail "outputs lacks the TTL"; }
pass "outputs of pr-2 (what the PR comment shows) include its TTL"
cli destroy --stage pr-1 >"$DIR/destroy.log" 2>&1 || { cat "$DIR/destroy.log"; fail "destroy pr-1"; }
cli list >"$DIR/list2.log" 2>&1
grep -q "^pr-1 " "$DIR/list2.log" && fail "pr-1 is still listed after destroy"
cli up --stage pr-3 >"$DIR/up3b.log" 2>&1 || { cat "$DIR/up3b.log"; fail "up pr-3 after a destroy"; }
pass "destroy removed pr-1 and its workspace; pr-3 fits under the cap again"

# ---------------------------------------------------------------------------------------------------
# As the provisioner roles
# ---------------------------------------------------------------------------------------------------
ROLES="$DIR/roles"; mkdir -p "$ROLES"
# The emulator step applied environment-dev, which makes these roles; applied alone they are made here.
if "$CACHE/venv/bin/python" - "$MOTO_URL" <<'PY'
import boto3, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1])
names = {r["RoleName"] for r in iam.list_roles(PathPrefix="/apps-platform/ephemeral-provisioner/")["Roles"]}
sys.exit(0 if {"authz-ephemeral-provisioner", "authz-stable-provisioner"} <= names else 1)
PY
then
  pass "the provisioner roles of environment-dev exist: applied with environment-dev"
else
node -e '
const fs = require("fs");
const j = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const resource = {};
for (const [type, rs] of Object.entries(j.resource)) for (const [id, r] of Object.entries(rs)) {
  if (!id.startsWith("ephemeral-provisioner")) continue;
  const { provider, ...rest } = r; delete rest["//"];
  (resource[type] ??= {})[id] = rest;
}
const url = process.argv[2];
fs.writeFileSync(process.argv[3], JSON.stringify({
  provider: { aws: { region: "eu-central-1", skip_credentials_validation: true, skip_metadata_api_check: true, skip_requesting_account_id: true, endpoints: { iam: url, sts: url } } },
  resource,
}, null, 2));
console.log(Object.values(resource).reduce((n, rs) => n + Object.keys(rs).length, 0));' "$ROOT/cdktf.out/stacks/environment-dev/cdk.tf.json" "$MOTO_URL" "$ROLES/main.tf.json" >"$ROLES/count" || fail "extract the provisioner roles"
run "$ROLES" init "$TF" init
run "$ROLES" apply "$TF" apply -auto-approve
pass "the provisioner roles of environment-dev, as synthesized ($(cat "$ROLES/count") resources: boundary, roles, policies): $(grep -o 'Apply complete! .*' "$ROLES/apply.log")"
fi

# A template with the generated provider block of a stack, and the resources the emulator can make.
provider_block_of() { awk '/^provider "aws" \{/{on=1} on{print} on&&/^\}/{exit}' "$ROOT/generated/$1/main.tf"; }
standin() {
  local stack="$1" dir="$2" ttl="$3"
  mkdir -p "$dir"
  {
    echo "terraform {"; backend_block_of "$stack"; echo "}"
    guard_block_of "$stack"
    # moto resolves assumed roles in its one account only: the role's account is moto's, its path,
    # name, session name and session tags are the generated ones.
    provider_block_of "$stack" | sed "s/arn:aws:iam::[0-9]\{12\}:role\//arn:aws:iam::$MOTO_ACCOUNT_ID:role\//"
    if [ "$ttl" = ttl ]; then
      printf 'variable "created_at" {\n  type    = string\n  default = ""\n}\nvariable "expires_at" {\n  type    = string\n  default = ""\n}\n'
      printf 'output "stage_created_at" {\n  value = var.created_at\n}\noutput "stage_expires_at" {\n  value = var.expires_at\n}\n'
    fi
    cat <<'HCL'
data "aws_caller_identity" "session" {}
resource "aws_dynamodb_table" "data" {
  name         = "${terraform.workspace}-data"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  attribute {
    name = "pk"
    type = "S"
  }
  tags = { Project = "authz", Stage = terraform.workspace, app = "authz" }
}
resource "aws_cloudwatch_log_group" "logs" {
  name              = "/aws/lambda/${terraform.workspace}-authorizer"
  retention_in_days = 7
  tags              = { Project = "authz", Stage = terraform.workspace, app = "authz" }
}
output "session_arn" {
  value = data.aws_caller_identity.session.arn
}
output "table_name" {
  value = aws_dynamodb_table.data.name
}
HCL
  } > "$dir/main.tf"
}
# The emulator's endpoints; the generated assume_role block (role, session name, Stage tag) is kept.
cat > "$DIR/endpoints_override.tf" <<HCL
provider "aws" {
  endpoints {
    dynamodb = "$MOTO_URL"
    iam      = "$MOTO_URL"
    logs     = "$MOTO_URL"
    sts      = "$MOTO_URL"
  }
  allowed_account_ids         = ["$MOTO_ACCOUNT_ID"]
  skip_credentials_validation = true
  skip_metadata_api_check     = true
}
HCL
grep -Eq 'role_arn += "arn:aws:iam::222222222222:role/apps-platform/ephemeral-provisioner/authz-ephemeral-provisioner"' "$ROOT/generated/ephemeral/main.tf" || fail "the ephemeral template's provider does not assume the per-PR provisioner"
standin ephemeral "$DIR/as-provisioner" ttl
standin authorizer-dev "$DIR/stable-dev" none
clip() { node "$ROOT/dist/src/ephemeral/cli.js" "$@" --config "$ROOT/config/example.yaml" --terraform "$TF" --backend-config "$DIR/moto.s3.tfbackend" --override "$DIR/endpoints_override.tf"; }

clip up --stage pr-7 --template "$DIR/as-provisioner" >"$DIR/p-up.log" 2>&1 || { cat "$DIR/p-up.log"; fail "up pr-7 as the provisioner"; }
clip outputs --stage pr-7 --template "$DIR/as-provisioner" >"$DIR/p-out.log" 2>&1 || { cat "$DIR/p-out.log"; fail "outputs pr-7"; }
grep -q '"session_arn": "arn:aws:sts::[0-9]*:assumed-role/authz-ephemeral-provisioner/authz-pr-7"' "$DIR/p-out.log" || { cat "$DIR/p-out.log"; fail "pr-7 was not made by the per-PR provisioner's session"; }
grep -q '"table_name": "pr-7-data"' "$DIR/p-out.log" || { cat "$DIR/p-out.log"; fail "pr-7's table"; }
pass "up pr-7 as $(grep -o 'assumed-role/[^"]*' "$DIR/p-out.log") (the generated assume_role, which also sets the session tag Stage=pr-7; moto does not check it): $(cat "$DIR/p-up.log")"
clip destroy --stage pr-7 --template "$DIR/as-provisioner" >"$DIR/p-destroy.log" 2>&1 || { cat "$DIR/p-destroy.log"; fail "destroy pr-7 as the provisioner"; }
pass "destroy pr-7 as the provisioner: $(cat "$DIR/p-destroy.log")"

if clip up --stage dev --template "$DIR/as-provisioner" >"$DIR/p-dev.log" 2>&1; then fail "a per-PR stage named like the stable stage dev was accepted"; fi
pass "a per-PR stage named dev is refused: $(cat "$DIR/p-dev.log")"
clip up --stable dev --template "$DIR/stable-dev" >"$DIR/s-up.log" 2>&1 || { cat "$DIR/s-up.log"; fail "up --stable dev"; }
clip outputs --stable dev --template "$DIR/stable-dev" >"$DIR/s-out.log" 2>&1 || { cat "$DIR/s-out.log"; fail "outputs --stable dev"; }
grep -q '"session_arn": "arn:aws:sts::[0-9]*:assumed-role/authz-stable-provisioner/authz-dev"' "$DIR/s-out.log" || { cat "$DIR/s-out.log"; fail "dev was not made by the stable provisioner's session"; }
pass "up --stable dev as $(grep -o 'assumed-role/[^"]*' "$DIR/s-out.log"), in workspace dev of its own state key: $(cat "$DIR/s-up.log")"
clip list --template "$DIR/as-provisioner" >"$DIR/p-list.log" 2>&1 || { cat "$DIR/p-list.log"; fail "list"; }
grep -q '^dev ' "$DIR/p-list.log" && fail "the stable stage shows among the per-PR stages"
if clip destroy --stable dev --template "$DIR/stable-dev" >"$DIR/s-destroy.log" 2>&1; then fail "destroy --stable without --destroy-stable went ahead"; fi
pass "destroy --stable dev is refused without the flag: $(cat "$DIR/s-destroy.log")"
clip destroy --stable dev --destroy-stable --template "$DIR/stable-dev" >"$DIR/s-destroy2.log" 2>&1 || { cat "$DIR/s-destroy2.log"; fail "destroy --stable dev --destroy-stable"; }
pass "destroy --stable dev --destroy-stable: $(cat "$DIR/s-destroy2.log")"
