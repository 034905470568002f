#!/usr/bin/env bash
# npm run ephemeral against the emulator with real Terraform and the generated S3 backend block of
# the ephemeral template (its AWS resources replaced by a stand-in, since the emulator lacks Verified
# Permissions): up creates a workspace per stage, the cap refuses one more, list shows them, destroy
# removes a stage and its workspace.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

DIR="$E2E/ephemeral"
rm -rf "$DIR" "$ROOT/.tmp/ephemeral/template"; mkdir -p "$DIR/template"
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
