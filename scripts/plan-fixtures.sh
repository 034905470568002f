#!/usr/bin/env bash
# Real Terraform plans for the plan summary's tests: applies environment-dev and onboarding-payments-api
# on the emulator, then plans the changes a merge request brings (a trust change, a replacement, a
# destroy, a planted secret, drift) and writes `terraform show -json` of each, normalised so that a rerun
# gives the same files, to test/fixtures/plans/. With --check, writes them to a temporary folder and
# fails when their counts or called-out sections differ from the committed ones.
case "${1:-}" in
  "") mode=write ;;
  --check) mode=check ;;
  -h|--help)
    cat <<'HELP'
usage: bash scripts/plan-fixtures.sh [--check]

Applies generated stacks (environment-dev, onboarding-payments-api) on the AWS emulator, plans a
create, a trust change, a replacement, a destroy, a planted secret and drift, and writes
`terraform show -json` of each, normalised, to test/fixtures/plans/.

options:
  --check     regenerate into a temporary folder and fail when the counts or sections of any plan
              differ from the committed fixtures
  -h, --help  print this help and exit
HELP
    exit 0 ;;
  *) echo "plan-fixtures.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
TF="$("$ROOT/scripts/terraform.sh")"; export TF
# shellcheck source=scripts/moto.sh
source "$ROOT/scripts/moto.sh"
source "$ROOT/scripts/e2e-lib.sh"
PY="$CACHE/venv/bin/python"
# S3 Control (the state bucket's tags) is called at <account-id>.<endpoint host>; through the emulator
# as an HTTP proxy it arrives (loopback requests are never proxied).
export HTTP_PROXY="$MOTO_URL"

FIXTURES="$ROOT/test/fixtures/plans"
OUT="$FIXTURES"
W="$E2E/plan-fixtures"; rm -rf "$W"; mkdir -p "$W"
[ "$mode" = check ] && OUT="$W/out"
mkdir -p "$OUT"
# The same incremental build as npm run synth: nothing is emitted when dist/ is current.
(cd "$ROOT" && node_modules/.bin/tsc -b tsconfig.json)

# The plans keep local state: the fixtures are about the plan, not the backend (scripts/e2e-backend.sh
# proves that one).
local_state() { printf 'terraform {\n  backend "local" {}\n}\n' > "$1/backend_override.tf"; }

# Writes `terraform show -json` of a saved plan as a fixture, normalised.
show() {
  local work="$1" plan="$2" name="$3"
  (cd "$work" && "$TF" show -json "$plan") > "$W/$name.raw.json" || fail "terraform show $name"
  node "$ROOT/scripts/plan-fixtures-normalise.js" "$MOTO_URL" < "$W/$name.raw.json" > "$OUT/$name.json"
  pass "$name: $(node -e 'const p=require(process.argv[1]); const a={}; for (const r of p.resource_changes??[]) { const k=r.change.actions.join("+"); a[k]=(a[k]??0)+1 } console.log(JSON.stringify(a), "drift", (p.resource_drift??[]).length)' "$OUT/$name.json")"
}

# A config variant synthesized as `npm run synth` does; prints the folder of its generated/.
synth_variant() {
  local name="$1" change="$2" dir="$W/variant-$1"
  mkdir -p "$dir/generated"; cp "$ROOT/generated/fleet-placement.json" "$dir/generated/"
  config_variant "$dir/platform.yaml" "$change" || return 1
  node "$ROOT/dist/src/main.js" --config "$dir/platform.yaml" --out "$dir/cdktf.out" --generated "$dir/generated" >/dev/null || return 1
  echo "$dir/generated"
}

# Replaces a work folder's main.tf by the same stack of a variant, as copy_stack writes it.
use_variant() { copy_stack "$2/$3" "$W/copy" && cp "$W/copy/main.tf" "$1/main.tf"; }

# --- environment-dev, with one planted secret: a sensitive variable kept in a SecureString parameter,
# nested in an object and in a sensitive output. The generated stacks hold no secret of their own (their
# contract values are ids), so the fixture adds one file to prove that the summary never prints one.
env="$(workdir environment-dev "$W/environment-dev")"; local_state "$env"
cat > "$env/fixture_secret.tf" <<'HCL'
variable "fixture_secret" {
  type      = string
  sensitive = true
}
resource "aws_ssm_parameter" "fixture_secret" {
  name  = "/apps-platform/dev/fixture/database-password"
  type  = "SecureString"
  value = var.fixture_secret
  tags  = { platform = "apps-platform", app = "payments-api", env = "dev", managedBy = "terraform" }
}
resource "terraform_data" "fixture_nested_secret" {
  input = {
    user        = "payments"
    credentials = { password = var.fixture_secret, port = 5432 }
  }
}
output "fixture_connection" {
  description = "A planted secret: the plan summary must never print it"
  value       = { user = "payments", password = var.fixture_secret }
  sensitive   = true
}
HCL
export TF_VAR_fixture_secret="PLANTED-s3cr3t-4f1c9a-do-not-print"
run "$env" init "$TF" init
(cd "$env" && "$TF" workspace select -or-create dev -no-color >/dev/null)
run "$env" plan "$TF" plan -out=create.out
show "$env" create.out environment-dev-create
run "$env" apply "$TF" apply -auto-approve create.out
# What the emulator fills in after a create (EIP associations, a role's inline policies) is taken into
# the state once, as a second plan-and-apply would, so the later plans show only their own change.
run "$env" refresh "$TF" apply -refresh-only -auto-approve

# --- onboarding-payments-api: everything the emulator can apply (no App Runner connector, whose
# parameter is left out with it, and no AWS managed policy attachment).
"$PY" "$ROOT/scripts/e2e-seed-contract.py" "$MOTO_URL" dev prod >/dev/null
onb="$(workdir onboarding-payments-api "$W/onboarding-payments-api")"; local_state "$onb"
targets() {
  grep -oE '^resource "[a-z0-9_]+" "[^"]+"' "$onb/main.tf" | awk '{gsub(/"/,""); print $2 "." $3}' \
    | grep -vE '^aws_apprunner_vpc_connector\.|vpc-connector-arn|infrastructure_managed|^terraform_data\.' | sed 's/^/-target=/'
}
run "$onb" init "$TF" init
# shellcheck disable=SC2046
run "$onb" plan "$TF" plan -out=create.out $(targets)
run "$onb" apply "$TF" apply -auto-approve create.out
run "$onb" refresh "$TF" apply -refresh-only -auto-approve
pass "onboarding-payments-api applied: $(grep -o 'Apply complete! .*' "$onb/apply.log")"

# --- a trust change: a second protected branch of the GitLab CI identity.
trust="$(synth_variant trust 'raw.ciIdentity.gitlab.protectedBranches = ["main", "release"];')" || fail "synth of the trust variant"
use_variant "$onb" "$trust" onboarding-payments-api
# shellcheck disable=SC2046
run "$onb" plan-trust "$TF" plan -out=trust.out $(targets)
show "$onb" trust.out onboarding-payments-api-trust
copy_stack onboarding-payments-api "$W/copy" && cp "$W/copy/main.tf" "$onb/main.tf"

# --- a replacement: dev's zone renamed (a zone's name cannot change in place), and the secret rotated.
zone="$(synth_variant zone 'raw.stages.dev.zoneName = "dev.apps.acme-corp.example"; raw.fleet.stages.dev.domain = "accessos.dev.apps.acme-corp.example";')" || fail "synth of the zone variant"
use_variant "$env" "$zone" environment-dev
run "$env" plan-zone "$TF" plan -out=zone.out -var fixture_secret=PLANTED-r0tated-77e2b0-do-not-print
show "$env" zone.out environment-dev-replace
copy_stack environment-dev "$W/copy" && cp "$W/copy/main.tf" "$env/main.tf"

# --- drift: changes made out of band through the emulator's API, then the scheduled plan.
"$PY" - "$MOTO_URL" <<'PY' || fail "the out-of-band changes"
import json, sys, urllib.parse, boto3
url = sys.argv[1]
iam = boto3.client("iam", endpoint_url=url)
role = "apps-platform-dev-flow-logs"
doc = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
if isinstance(doc, str):
    doc = json.loads(urllib.parse.unquote(doc))
doc["Statement"].append({"Sid": "ConsoleEdit", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:root"}, "Action": "sts:AssumeRole"})
iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(doc))
ssm = boto3.client("ssm", endpoint_url=url)
ssm.put_parameter(Name="/apps-platform/dev/fixture/database-password", Value="PLANTED-dr1ft-0b5e11-do-not-print", Type="SecureString", Overwrite=True)
ec2 = boto3.client("ec2", endpoint_url=url)
vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:app", "Values": ["apps-platform"]}])["Vpcs"][0]["VpcId"]
ec2.create_tags(Resources=[vpc], Tags=[{"Key": "env", "Value": "edited-by-hand"}])
PY
run "$env" plan-drift "$TF" plan -out=drift.out
show "$env" drift.out environment-dev-drift

# --- a destroy: the service leaves the platform.
# shellcheck disable=SC2046
run "$onb" plan-destroy "$TF" plan -destroy -out=destroy.out $(targets)
show "$onb" destroy.out onboarding-payments-api-destroy

if [ "$mode" = check ]; then
  node "$ROOT/dist/src/delivery/plan-fixtures-check.js" "$FIXTURES" "$OUT" || fail "the committed plan fixtures differ from a fresh run (regenerate: bash scripts/plan-fixtures.sh)"
  pass "the committed plan fixtures match a fresh run"
else
  pass "wrote $(ls "$OUT"/*.json | wc -l) plans to ${OUT#"$ROOT"/}"
fi
