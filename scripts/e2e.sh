#!/usr/bin/env bash
# npm run test:e2e: real Terraform on the generated code. Builds or finds Terraform and the providers,
# validates every generated stack, plans and applies against an AWS emulator on loopback, proves the
# S3 backend's locking, publishes the construct library to a local npm registry, and scans the HCL
# with checkov. The emulator and the registry are stopped however this ends.
case "${1:-}" in
  "") ;;
  -h|--help)
    cat <<'HELP'
usage: npm run test:e2e

Real Terraform on generated/: builds or finds Terraform and the providers (into .cache/ and
.terraform-providers/), validates every generated stack, plans and applies against an AWS emulator on
127.0.0.1 (the tenant fleet: applied, paused, its data's destroy refused), proves the S3 backend's
locking and the ephemeral lifecycle, makes a service repository from the template against the
published construct library, releases the construct library to a local npm registry (verdaccio on
127.0.0.1) and proves its semver gate, and scans the HCL with checkov.
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
(cd "$ROOT" && npm run -s build)
step "terraform"
TF="$("$ROOT/scripts/terraform.sh")"; export TF
tf_version="$("$TF" version)"; echo "${tf_version%%$'\n'*}"
step "which AWS service packages the mirror's provider is built with (a small provider tree)"
bash "$ROOT/scripts/e2e-aws-services.sh"
step "providers"
"$ROOT/scripts/providers.sh"
step "python tools (moto, checkov)"
"$ROOT/scripts/python-tools.sh"

# Two groups at once, one per core; no step shares a plugin cache (scripts/lib.sh) or an emulator
# with the other group. The first group validates every stack, makes the service repository from
# the template, then runs the steps that share one emulator, whose state its later steps build on;
# its output is printed when it ends. The platform CI, cdktf and pipeline checks start their own.
# The two take about as long (validate and the template first made the second wait 8 minutes).
# The plan-summary fixtures are checked against fresh plans apart (bash scripts/plan-fixtures.sh
# --check, about 5 minutes); the pipeline check runs the summary on real plans here.
E2E="$ROOT/.tmp/e2e"
EMULATOR_LOG="$E2E/emulator-group.log"
mkdir -p "$E2E"
(
  set -e
  step "terraform validate"
  bash "$ROOT/scripts/e2e-validate.sh"
  step "service repository from the template"
  bash "$ROOT/scripts/e2e-service-repo.sh"
  # shellcheck source=scripts/moto.sh
  source "$ROOT/scripts/moto.sh"
  step "emulator"
  bash "$ROOT/scripts/e2e-emulator.sh"
  step "tenant fleet"
  bash "$ROOT/scripts/e2e-fleet.sh"
  step "S3 backend"
  bash "$ROOT/scripts/e2e-backend.sh"
  step "ephemeral lifecycle"
  bash "$ROOT/scripts/e2e-ephemeral.sh"
  step "emulator group done"
) >"$EMULATOR_LOG" 2>&1 &
EMULATOR_GROUP=$!
# Stop the group, its steps and its emulator when this script ends early.
# shellcheck source=scripts/kill-tree.sh
source "$ROOT/scripts/kill-tree.sh"
trap 'kill_tree "$EMULATOR_GROUP"' EXIT
log "validate, the service repository, emulator, tenant fleet, S3 backend and ephemeral lifecycle run beside the steps below (pid $EMULATOR_GROUP, log $EMULATOR_LOG)"
step "platform CI roles"
bash "$ROOT/scripts/e2e-platform-ci.sh"
step "cdktf deploy walkthrough"
bash "$ROOT/scripts/e2e-deploy.sh"
step "GitLab pipelines (gitlab-ci-local)"
bash "$ROOT/scripts/e2e-pipeline.sh"
step "actionlint"
bash "$ROOT/scripts/e2e-actionlint.sh"
step "construct library release"
bash "$ROOT/scripts/e2e-release.sh"
step "checkov"
bash "$ROOT/scripts/e2e-checkov.sh"
emulator_status=0
wait "$EMULATOR_GROUP" || emulator_status=$?
trap - EXIT
sed 's/^/[emulator group] /' "$EMULATOR_LOG" >&2
[ "$emulator_status" = 0 ] || { echo "FAIL the emulator group (validate, service repository, emulator, tenant fleet, S3 backend, ephemeral lifecycle) exited $emulator_status; its log is above" >&2; exit 1; }
step "done: every end-to-end check passed"
