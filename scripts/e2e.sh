#!/usr/bin/env bash
# npm run test:e2e: real Terraform on the generated code. Builds or finds Terraform and the providers,
# validates every generated stack, plans and applies against an AWS emulator on loopback, proves the
# S3 backend's locking, and scans the HCL with checkov. The emulator is stopped however this ends.
case "${1:-}" in
  "") ;;
  -h|--help)
    cat <<'HELP'
usage: npm run test:e2e

Real Terraform on generated/: builds or finds Terraform and the providers (into .cache/ and
.terraform-providers/), validates every generated stack, plans and applies against an AWS emulator on
127.0.0.1 (the tenant fleet: applied, paused, its data's destroy refused), proves the S3 backend's
locking and the ephemeral lifecycle, and scans the HCL with checkov.
Takes no options.

options:
  -h, --help  print this help and exit
HELP
    exit 0 ;;
  *) echo "npm run test:e2e: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
started=$(date +%s)
step() { log "$1 ($(( $(date +%s) - started )) s)"; }

step "compile"
(cd "$ROOT" && node_modules/.bin/tsc -b tsconfig.json)
step "terraform"
TF="$("$ROOT/scripts/terraform.sh")"; export TF
tf_version="$("$TF" version)"; echo "${tf_version%%$'\n'*}"
step "providers"
"$ROOT/scripts/providers.sh"
step "python tools (moto, checkov)"
"$ROOT/scripts/python-tools.sh"

step "terraform validate"
bash "$ROOT/scripts/e2e-validate.sh"

# Two groups at once (two cores; each step is mostly one terraform process at a time). The first
# shares one emulator, whose state the later steps build on; the second's scripts each start their own.
# Each group writes its log; both are shown when they are done, and a failed one says so.
LOGS="$ROOT/.tmp/e2e/logs"; rm -rf "$LOGS"; mkdir -p "$LOGS"
timed_step() { local label="$1" t0; shift; t0=$(date +%s); echo "== $label"; "$@"; echo "== $label: $(( $(date +%s) - t0 )) s"; }
shared_emulator() {
  # shellcheck source=scripts/moto.sh
  source "$ROOT/scripts/moto.sh"
  timed_step "emulator" bash "$ROOT/scripts/e2e-emulator.sh"
  timed_step "tenant fleet" bash "$ROOT/scripts/e2e-fleet.sh"
  timed_step "S3 backend" bash "$ROOT/scripts/e2e-backend.sh"
  timed_step "ephemeral lifecycle" bash "$ROOT/scripts/e2e-ephemeral.sh"
  timed_step "plan summary fixtures" bash "$ROOT/scripts/plan-fixtures.sh" --check
}
own_emulators() {
  timed_step "platform CI roles" bash "$ROOT/scripts/e2e-platform-ci.sh"
  timed_step "cdktf deploy walkthrough" bash "$ROOT/scripts/e2e-deploy.sh"
  timed_step "GitLab pipelines (gitlab-ci-local)" bash "$ROOT/scripts/e2e-pipeline.sh"
  timed_step "actionlint" bash "$ROOT/scripts/e2e-actionlint.sh"
  timed_step "checkov" bash "$ROOT/scripts/e2e-checkov.sh"
}
step "emulator, fleet, backend, ephemeral, plan fixtures | platform CI, cdktf deploy, GitLab pipelines, actionlint, checkov"
( set -euo pipefail; shared_emulator ) >"$LOGS/shared-emulator.log" 2>&1 & first=$!
( set -euo pipefail; own_emulators ) >"$LOGS/own-emulators.log" 2>&1 & second=$!
rc1=0; wait "$first" || rc1=$?
rc2=0; wait "$second" || rc2=$?
cat "$LOGS/shared-emulator.log" "$LOGS/own-emulators.log"
[ "$rc1" = 0 ] || { log "FAILED: the shared-emulator group (log above, $LOGS/shared-emulator.log)"; exit 1; }
[ "$rc2" = 0 ] || { log "FAILED: the own-emulator group (log above, $LOGS/own-emulators.log)"; exit 1; }
step "done: every end-to-end check passed"
