#!/usr/bin/env bash
# A service repository as a service team gets it: the construct library is built, packed and published
# to a local npm registry; `npm run new-service-repo` makes payments-api's repository from
# templates/service-repo in a folder outside this project; npm installs it (@acme from the local
# registry, the rest from npm's registry, cache first); the real cdktf CLI synthesizes each stage, and
# terraform init -backend=false and validate take each stage's output with the provider mirror, as
# scripts/e2e-validate.sh does. Checks that the repository resolves nothing inside this project (the
# library is a folder of its own node_modules, every module its program loads is a file of it, no
# import leaves it), and that the published library synthesizes what the platform's own
# service-payments-api-<stage> stacks are.
case "${1:-}" in
  "") ;;
  -h|--help)
    cat <<'HELP'
usage: bash scripts/e2e-service-repo.sh

Packs and publishes the construct library to a local registry (verdaccio on 127.0.0.1), creates
payments-api's service repository from templates/service-repo outside the project, installs it, runs
cdktf synth for each stage and terraform init -backend=false + validate on the output. Writes only a
temporary folder (removed on exit; APPS_PLATFORM_SERVICE_REPOS chooses where, default /tmp) and
.tmp/e2e/registry. Takes no options.

options:
  -h, --help  print this help and exit
HELP
    exit 0 ;;
  *) echo "scripts/e2e-service-repo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"
source "$ROOT/scripts/service-repo-lib.sh"
started=$(date +%s)
t0=$started
# Seconds since the last lap (lap resets it).
took() { echo "$(( $(date +%s) - t0 )) s"; }
lap() { t0=$(date +%s); }

W="$(service_repos_dir)"
# Removed when every check passed; kept for a look otherwise.
trap 'if [ -n "${DONE:-}" ]; then rm -rf "$W"; else echo "the service repository is kept in $W" >&2; fi' EXIT
# shellcheck source=scripts/local-registry.sh
source "$ROOT/scripts/local-registry.sh"
pass "local registry on $LOCAL_REGISTRY_URL ($(took))"; lap

SLUG=payments-api
REPO="$W/$SLUG"
CDKTF="$ROOT/node_modules/.bin/cdktf"

(cd "$ROOT" && npm run -s build)
tgz="$(publish_library "$W")"
pass "the library built, packed ($(basename "$tgz"), $(tar -tzf "$tgz" | wc -l) files) and published to $LOCAL_REGISTRY_URL ($(took))"; lap

new_service_repo "$REPO" "$SLUG"
install_service_repo "$REPO"
version="$(node -p 'require(process.argv[1]).version' "$REPO/node_modules/@acme/apps-platform-constructs/package.json")"
pass "npm run new-service-repo -- $REPO --slug $SLUG; npm install: @acme/apps-platform-constructs $version from the local registry, $(ls "$REPO/node_modules" | wc -l) packages ($(took))"; lap

# The platform's own service stacks, to compare with.
node "$ROOT/dist/src/main.js" --out "$W/platform/cdktf.out" --generated "$W/platform/generated" --quiet >"$W/platform.log" 2>&1 || { cat "$W/platform.log" >&2; fail "npm run synth"; }

MODULES="$W/modules.txt"; : >"$MODULES"
stages="$(node -p 'Object.keys(require(process.argv[1]).stages).join(" ")' "$REPO/apps-platform.json")"
for stage in $stages; do
  stack="service-$SLUG-$stage"
  # cdktf keeps its settings under CDKTF_HOME; lib.sh keeps it from making a plugin cache in HOME.
  (cd "$REPO" && env HOME="$W/home" CDKTF_HOME="$W/home/.cdktf" CI=1 FORCE_COLOR=0 TERRAFORM_BINARY_NAME="$TF" STAGE="$stage" \
    SERVICE_REPO_DIR="$REPO" SERVICE_REPO_MODULES="$MODULES" NODE_OPTIONS="$(module_recorder "$REPO" "$MODULES")" \
    "$CDKTF" synth --no-color >"$W/synth-$stage.log" 2>&1) || { tail -30 "$W/synth-$stage.log" >&2; fail "STAGE=$stage cdktf synth in $REPO"; }
  json="$REPO/cdktf.out/stacks/$stack/cdk.tf.json"
  [ -f "$json" ] || fail "cdktf synth wrote no $stack"
  mkdir -p "$W/out"; cp "$json" "$W/out/$stack.json"
  node -e '
const fs = require("fs");
const strip = (f) => { const d = JSON.parse(fs.readFileSync(f, "utf8")); delete d["//"]; return JSON.stringify(d); };
if (strip(process.argv[1]) !== strip(process.argv[2])) { console.error(process.argv[1] + " differs from " + process.argv[2]); process.exit(1); }' "$json" "$W/platform/cdktf.out/stacks/$stack/cdk.tf.json" \
    || fail "the published library synthesizes $stack otherwise than the platform does"
  resources="$(node -p 'Object.values(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).resource).reduce((n, t) => n + Object.keys(t).length, 0)' "$json")"
  pass "STAGE=$stage cdktf synth: $stack, $resources resources, the same Terraform as the platform's $stack ($(took))"; lap
done
summary="$(assert_self_contained "$REPO" "$MODULES")"
pass "$REPO resolves nothing inside the project: $summary"

for stage in $stages; do
  validate_json_stack "$W/out/service-$SLUG-$stage.json" "$W/validate/$stage"
  pass "terraform init -backend=false + validate of service-$SLUG-$stage: 0 errors, 0 warnings ($(took))"; lap
done
pass "a service repository from the template and the published library: $(( $(date +%s) - started )) s"
DONE=1
