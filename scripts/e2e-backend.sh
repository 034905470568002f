#!/usr/bin/env bash
# The S3 backend for real, against the emulator: the backend block the project generates for
# environment-dev (with its key moved under lock-test/, so these applies never touch the
# environment's own state), init, apply, a second workspace, lock contention in each lock mode, and
# recovery from a crashed apply with force-unlock. Expects moto (scripts/moto.sh) and the platform's
# state bucket, lock table and key in it.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

STACK=environment-dev
DIR="$E2E/backend"
rm -rf "$DIR"; mkdir -p "$DIR"
BACKEND_OVERRIDES="$DIR/moto.s3.tfbackend"
write_backend_overrides "$BACKEND_OVERRIDES"
echo 'key = "lock-test/environment/dev/terraform.tfstate"' >> "$BACKEND_OVERRIDES"

# A configuration with the generated backend block and workspace guard, and one slow resource so
# that two applies overlap.
make_workdir() {
  local dir="$1"; mkdir -p "$dir"
  { echo "terraform {"; backend_block_of "$STACK"; echo "}"; } > "$dir/backend.tf"
  guard_block_of "$STACK" > "$dir/guard.tf"
  cat > "$dir/slow.tf" <<'HCL'
variable "sleep" {
  type    = number
  default = 0
}
resource "terraform_data" "slow" {
  triggers_replace = timestamp()
  provisioner "local-exec" {
    command = "sleep ${var.sleep}"
  }
}
HCL
}

init() { (cd "$1" && "$TF" init -reconfigure -no-color -backend-config="$BACKEND_OVERRIDES" "${@:2}" >"$1/init.log" 2>&1) || { cat "$1/init.log" >&2; fail "init $1"; }; }
serial() { (cd "$1" && "$TF" state pull | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["serial"], len(d["resources"]))'); }

make_workdir "$DIR/a"; make_workdir "$DIR/b"
grep -qE '^ +use_lockfile += true$' "$DIR/a/backend.tf" || fail "the generated backend block has no use_lockfile"
grep -qE '^ +dynamodb_table += ' "$DIR/a/backend.tf" || fail "the generated backend block has no dynamodb_table"

init "$DIR/a"
(cd "$DIR/a" && "$TF" workspace select -or-create dev -no-color >/dev/null)
(cd "$DIR/a" && "$TF" apply -auto-approve -no-color >"$DIR/a/apply.log" 2>&1) || { cat "$DIR/a/apply.log"; fail "apply in workspace dev"; }
pass "init and apply in workspace dev with the generated backend block"

(cd "$DIR/a" && "$TF" workspace select -or-create prod -no-color >/dev/null)
if (cd "$DIR/a" && "$TF" plan -no-color >"$DIR/a/guard.log" 2>&1); then fail "the workspace guard let environment-dev plan in workspace prod"; fi
grep -q 'terraform workspace select -or-create dev' "$DIR/a/guard.log" || { cat "$DIR/a/guard.log"; fail "the guard message does not say what to run"; }
pass "a plan of environment-dev in a second workspace (prod) fails with: $(grep -o 'Run: terraform workspace select -or-create dev' "$DIR/a/guard.log")"
(cd "$DIR/a" && "$TF" workspace select dev -no-color >/dev/null)

"$CACHE/venv/bin/python" - "$MOTO_URL" <<'PY'
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="acme-apps-platform-tfstate").get("Contents", [])]
assert "env/dev/lock-test/environment/dev/terraform.tfstate" in keys, keys
print("state objects:", ", ".join(sorted(keys)))
PY

# Two applies at once, on the same stack and workspace, in each lock mode.
contend() {
  local mode="$1"; shift
  init "$DIR/a" "$@"; init "$DIR/b" "$@"
  (cd "$DIR/b" && "$TF" workspace select dev -no-color >/dev/null)
  local before; before="$(serial "$DIR/a")"
  (cd "$DIR/a" && exec "$TF" apply -auto-approve -no-color -var sleep=8 >"$DIR/a/$mode.log" 2>&1) & local pa=$!
  sleep 2
  (cd "$DIR/b" && exec "$TF" apply -auto-approve -no-color -var sleep=8 >"$DIR/b/$mode.log" 2>&1) & local pb=$!
  local ra=0 rb=0
  wait "$pa" || ra=$?
  wait "$pb" || rb=$?
  [ "$ra" = 0 ] || { cat "$DIR/a/$mode.log"; fail "$mode: the first apply failed"; }
  [ "$rb" != 0 ] || fail "$mode: the second apply was not stopped by the lock"
  grep -q 'Error acquiring the state lock' "$DIR/b/$mode.log" || { cat "$DIR/b/$mode.log"; fail "$mode: the second apply failed for another reason"; }
  local after; after="$(serial "$DIR/a")"
  [ "${after% *}" = "$(( ${before% *} + 1 ))" ] && [ "${after#* }" = "${before#* }" ] || fail "$mode: state went from serial/resources $before to $after"
  pass "$mode lock: one apply proceeded, the other failed with \"Error acquiring the state lock\" ($(grep -o -m1 'api error [A-Za-z]*\|ConditionalCheckFailedException' "$DIR/b/$mode.log")); serial $before -> $after"
}
contend "s3+dynamodb"
contend "dynamodb-only" -backend-config=use_lockfile=false
# A crashed apply: kill -9 leaves the lock; force-unlock with the ID from the error clears it.
init "$DIR/a"
setsid bash -c "cd '$DIR/a' && exec '$TF' apply -auto-approve -no-color -var sleep=30" >"$DIR/a/crash.log" 2>&1 & crashed=$!
sleep 4
kill -KILL -- "-$crashed" 2>/dev/null || kill -KILL "$crashed"
wait "$crashed" 2>/dev/null || true
if (cd "$DIR/a" && "$TF" apply -auto-approve -no-color >"$DIR/a/after-crash.log" 2>&1); then fail "the apply after the crash did not meet the lock"; fi
lock_id="$(grep -oP '^\s*ID:\s+\K[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$DIR/a/after-crash.log" | sed -n 1p)"
[ -n "$lock_id" ] || { cat "$DIR/a/after-crash.log"; fail "no lock ID in the error"; }
(cd "$DIR/a" && "$TF" force-unlock -force "$lock_id" -no-color >/dev/null) || fail "force-unlock $lock_id"
(cd "$DIR/a" && "$TF" apply -auto-approve -no-color >"$DIR/a/recovered.log" 2>&1) || { cat "$DIR/a/recovered.log"; fail "apply after force-unlock"; }
pass "a killed apply left lock $lock_id; terraform force-unlock cleared it and the next apply succeeded"

# Last: lockfile-only locking does not update the DynamoDB digest, so DynamoDB locking after it
# would refuse the state's checksum.
contend "lockfile-only" -backend-config=dynamodb_table=

