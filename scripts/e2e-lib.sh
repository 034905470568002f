# Helpers of the end-to-end scripts. Source after lib.sh.
# shellcheck shell=bash

E2E="$ROOT/.tmp/e2e"
mkdir -p "$E2E"
TF="${TF:-$("$ROOT/scripts/terraform.sh")}"
export TF

# The backend settings that point the generated S3 backend block at the emulator. The committed
# block stays as generated; these only add endpoints (and path-style addressing, since bucket
# names cannot be host names on 127.0.0.1).
write_backend_overrides() {
  cat > "$1" <<HCL
endpoints = {
  s3       = "$MOTO_URL"
  dynamodb = "$MOTO_URL"
  sts      = "$MOTO_URL"
  iam      = "$MOTO_URL"
}
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
HCL
}

# Prints the generated S3 backend block of a stack, verbatim.
backend_block_of() {
  awk '/^  backend "s3" \{/{on=1} on{print} on&&/^  \}/{exit}' "$ROOT/generated/$1/main.tf"
}

# Prints the generated workspace guard of a stack, verbatim.
guard_block_of() {
  awk '/^resource "terraform_data" "workspace_guard"/{on=1} on{print} on&&/^\}/{exit}' "$ROOT/generated/$1/main.tf"
}

pass() { printf 'PASS %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

# Copies a generated stack into a work directory. When the mirror holds other provider versions than
# the generated code pins (see scripts/providers.sh), the copy's constraints name the mirror's.
# shellcheck disable=SC1091
source "$MIRROR/versions.env"
copy_stack() {
  local stack="$1" work="$2"
  # A stack name means generated/<name>; a path means that folder.
  local from="$ROOT/generated/$stack"; [ -d "$stack" ] && from="$stack"
  rm -rf "$work"; mkdir -p "$work"; cp "$from/main.tf" "$work/"
  # The generated files are formatted as terraform fmt does: `=` may be aligned with padding before it.
  sed -i -e "s/version\( *\)= \"$PROVIDER_AWS_WANTED\"/version\1= \"$PROVIDER_AWS_VERSION\"/" \
         -e "s/version\( *\)= \"$PROVIDER_RANDOM_WANTED\"/version\1= \"$PROVIDER_RANDOM_VERSION\"/" \
         -e "s/version\( *\)= \"${PROVIDER_TFE_WANTED:-0.71.0}\"/version\1= \"${PROVIDER_TFE_VERSION:-0.71.0}\"/" "$work/main.tf"
}

# The provider endpoints the emulator answers for (the aws provider's names for them).
EMULATED_SERVICES="acm appautoscaling cloudwatch dynamodb ec2 ecr ecs elbv2 iam kms logs rds route53 s3 s3control secretsmanager servicediscovery sns ssm sts"

# Copies a generated stack and adds an override of each of its aws provider blocks.
workdir() {
  local stack="$1" work="${2:-$E2E/emulator/$1}"
  copy_stack "$stack" "$work"
  local aliases; aliases="$(awk '/^provider "aws" \{/{p=1; a=""} p&&/^  alias +=/{gsub(/"/,"",$3); a=$3} p&&/^\}/{print (a==""?"-":a); p=0}' "$work/main.tf")"
  for alias in $aliases; do
    {
      echo 'provider "aws" {'
      [ "$alias" = "-" ] || echo "  alias = \"$alias\""
      echo '  endpoints {'
      for svc in $EMULATED_SERVICES; do echo "    $svc = \"$MOTO_URL\""; done
      echo '  }'
      # moto answers GetCallerIdentity for assumed-role credentials with its default account, not the
      # role's, so the account guard of each provider is pointed at that account here.
      echo "  allowed_account_ids         = [\"$MOTO_ACCOUNT_ID\"]"
      echo '  s3_use_path_style           = true'
      echo '  skip_credentials_validation = true'
      echo '  skip_metadata_api_check     = true'
      echo '}'
    } >> "$work/emulator_override.tf"
  done
  echo "$work"
}

run() { local work="$1" label="$2"; shift 2; (cd "$work" && "$@" -no-color >"$work/$label.log" 2>&1) || { tail -40 "$work/$label.log" >&2; fail "$label in $work"; }; }

# Plans and applies a stack in workspace dev (backend settings in $BACKEND_OVERRIDES), then checks
# that a second plan is empty; what the emulator reports differently is printed as NOTE lines.
apply_stack() {
  local stack="$1" work="$2"
  run "$work" init "$TF" init -backend-config="$BACKEND_OVERRIDES"
  (cd "$work" && "$TF" workspace select -or-create dev -no-color >/dev/null)
  run "$work" plan "$TF" plan -out=plan.out
  pass "$stack plan: $(grep -o 'Plan: .*' "$work/plan.log")"
  run "$work" apply "$TF" apply -auto-approve plan.out
  pass "$stack applied: $(grep -o 'Apply complete! .*' "$work/apply.log")"
  local replan=0; (cd "$work" && "$TF" plan -detailed-exitcode -no-color >"$work/replan.log" 2>&1) || replan=$?
  case "$replan" in
    0) pass "$stack plans no changes after its apply" ;;
    2) printf 'NOTE %s plans changes after its apply on the emulator: %s\n' "$stack" "$(grep -o 'Plan: .*' "$work/replan.log")"
       grep -E '^  # .* (will|must) ' "$work/replan.log" | sed 's/^/NOTE   /' ;;
    *) tail -40 "$work/replan.log" >&2; fail "$stack plan after apply" ;;
  esac
}

# Writes a copy of the example config changed by a JavaScript statement on `raw` (its parsed YAML).
config_variant() {
  node -e '
const fs = require("fs"), YAML = require(process.argv[1] + "/node_modules/yaml");
const raw = YAML.parse(fs.readFileSync(process.argv[1] + "/config/example.yaml", "utf8"));
new Function("raw", process.argv[3])(raw);
fs.writeFileSync(process.argv[2], YAML.stringify(raw));' "$ROOT" "$1" "$2"
}

# A lock the failed command left itself. Terraform locks with a conditional PutItem; when the emulator,
# loaded by the steps running beside this one, commits the item but the answer is lost, the SDK sends
# the PutItem again, and that one finds Terraform's own lock: "Error acquiring the state lock", naming
# a lock of this very run. Only the calling script talks to its emulator (MOTO_URL), one command at a
# time, so a lock still there after its command has exited is that one. It is removed, as
# `terraform force-unlock` would (the DynamoDB item and the lock object, each only if it still carries
# that lock's ID), the log is kept as <label>.lock-1.log, and 0 says the command may run once more.
# Any other lock error returns 1 and stays a failure.
clear_own_lock() {
  local log="$1" id path
  grep -q 'Error acquiring the state lock' "$log" || return 1
  id="$(grep -oE 'ID: +[0-9a-f-]{36}' "$log" | head -1 | awk '{print $2}')"
  path="$(grep -oE 'Path: +[^ ]+' "$log" | head -1 | awk '{print $2}')"
  [ -n "$id" ] && [ -n "$path" ] || return 1
  local held
  held="$("$CACHE/venv/bin/python" - "$MOTO_URL" "$path" "$id" <<'PY'
import json, sys
import boto3
url, path, lock_id = sys.argv[1:]
ddb = boto3.client("dynamodb", endpoint_url=url)
for table in ddb.list_tables()["TableNames"]:
    item = ddb.get_item(TableName=table, Key={"LockID": {"S": path}}, ConsistentRead=True).get("Item")
    if not item or json.loads(item["Info"]["S"]).get("ID") != lock_id:
        continue
    ddb.delete_item(TableName=table, Key={"LockID": {"S": path}}, ConditionExpression="Info = :info", ExpressionAttributeValues={":info": item["Info"]})
    s3 = boto3.client("s3", endpoint_url=url)
    bucket, key = path.split("/", 1)
    try:
        if json.loads(s3.get_object(Bucket=bucket, Key=key + ".tflock")["Body"].read()).get("ID") == lock_id:
            s3.delete_object(Bucket=bucket, Key=key + ".tflock")
    except s3.exceptions.NoSuchKey:
        pass
    print(table)
    break
PY
)" || return 1
  [ -n "$held" ] || return 1
  mv "$log" "${log%.log}.lock-1.log"
  log "note: $(basename "$log" .log) failed on its own lock $id of $path (table $held), left by a PutItem sent twice; removed it and ran the command once more (first log: $(basename "$log" .log).lock-1.log)"
}
