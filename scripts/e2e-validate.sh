#!/usr/bin/env bash
# terraform fmt -check over the generated stacks (fails on any file terraform fmt would change, with
# its diff), then terraform init + validate on every generated stack, with the providers from the
# project's mirror and the backend disabled: generated/, the service stacks of
# test/fixtures/service-matrix.yaml (every compute target with and without database and custom
# domain), the fleet's stacks with routing: router, and every stack of config/example-cloud.yaml (the
# example platform in HCP Terraform, tfc stack included), synthesized into a temporary folder. Fails
# on any error and on any warning not listed in EXPECTED_WARNINGS.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

# Warnings that are expected, by summary. Empty: the generated code validates without any.
EXPECTED_WARNINGS=()

MATRIX="$E2E/matrix"
rm -rf "$MATRIX"
node "$ROOT/dist/src/main.js" --config "$ROOT/test/fixtures/service-matrix.yaml" --out "$MATRIX/cdktf.out" --generated "$MATRIX/generated" >/dev/null

# The fleet with the other routing (router: Cloud Map, one wildcard rule) validates too.
ROUTER="$E2E/router"
rm -rf "$ROUTER"; mkdir -p "$ROUTER"
config_variant "$ROUTER/platform.yaml" 'raw.fleet.routing = "router";'
node "$ROOT/dist/src/main.js" --config "$ROUTER/platform.yaml" --out "$ROUTER/cdktf.out" --generated "$ROUTER/generated" >/dev/null

# The example platform with backend.kind: cloud: every stack, the tfc stack (tfe provider) among them.
CLOUD="$E2E/cloud"
rm -rf "$CLOUD"
node "$ROOT/dist/src/main.js" --config "$ROOT/config/example-cloud.yaml" --out "$CLOUD/cdktf.out" --generated "$CLOUD/generated" >/dev/null
[ -f "$CLOUD/generated/tfc/main.tf" ] || fail "config/example-cloud.yaml synthesized no tfc stack"

# The generated HCL is as terraform fmt writes it: -check writes nothing and exits non-zero on a file
# fmt would change; -diff shows how.
for tree in "$ROOT/generated" "$MATRIX/generated" "$ROUTER/generated" "$CLOUD/generated"; do
  "$TF" fmt -check -recursive -diff -no-color "$tree" >"$E2E/fmt.log" 2>&1 || { cat "$E2E/fmt.log" >&2; fail "terraform fmt -check: files under $tree are not formatted as terraform fmt writes them (diff above)"; }
done
pass "terraform fmt -check: $(find "$ROOT/generated" "$MATRIX/generated" "$ROUTER/generated" "$CLOUD/generated" -name '*.tf' | wc -l) files of generated/, the service matrix, the router-routed fleet and the cloud example are formatted"

# One stack: init with the mirror's providers, validate, and its counts in $work/result
# ("<errors> <warnings> <unexpected warnings>", or "init" when init failed).
validate_one() {
  local dir="$1" work="$2" stack
  stack="$(basename "$dir")"
  copy_stack "$dir" "$work"
  if ! (cd "$work" && "$TF" init -backend=false -no-color >init.log 2>&1); then echo init > "$work/result"; return; fi
  (cd "$work" && "$TF" validate -json -no-color >validate.json) || true
  python3 - "$work/validate.json" "${EXPECTED_WARNINGS[@]}" > "$work/result" 2> "$work/diagnostics.log" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
expected = set(sys.argv[2:])
diags = d.get("diagnostics", [])
errors = [x for x in diags if x["severity"] == "error"]
warnings = [x for x in diags if x["severity"] == "warning"]
unexpected = [w for w in warnings if w["summary"] not in expected]
for x in errors + unexpected:
    r = x.get("range", {})
    print(f'{x["severity"]}: {x["summary"]}: {x.get("detail", "")} ({r.get("filename")}:{r.get("start", {}).get("line")})', file=sys.stderr)
print(len(errors), len(warnings), len(unexpected))
PY
}

# Two stacks at a time by default (one per core): Terraform links each provider from the unpacked
# filesystem mirror into .terraform/, with no shared plugin cache to race on (scripts/lib.sh).
JOBS="${APPS_PLATFORM_VALIDATE_JOBS:-2}"
works=()
for dir in "$ROOT"/generated/*/ "$MATRIX"/generated/service-*/ "$ROUTER"/generated/fleet-*/ "$ROUTER"/generated/tenant-*/ "$CLOUD"/generated/*/; do
  stack="$(basename "$dir")"
  work="$E2E/validate/$stack"
  case "$dir" in "$CLOUD"/*) work="$E2E/validate/cloud-$stack" ;; esac
  works+=("$work")
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  validate_one "$dir" "$work" &
done
wait

total_errors=0; total_warnings=0; count=0; cloud_count=0
for work in "${works[@]}"; do
  stack="$(basename "$work")"
  case "$stack" in cloud-*) cloud_count=$((cloud_count + 1)) ;; esac
  result="$(cat "$work/result" 2>/dev/null || echo init)"
  [ "$result" != init ] || { cat "$work/init.log" >&2; fail "init $stack"; }
  read -r errors warnings unexpected <<<"$result"
  cat "$work/diagnostics.log" >&2
  printf '%-40s %s errors, %s warnings\n' "$stack" "$errors" "$warnings"
  total_errors=$((total_errors + errors)); total_warnings=$((total_warnings + unexpected)); count=$((count + 1))
done
[ "$total_errors" = 0 ] && [ "$total_warnings" = 0 ] || fail "terraform validate: $total_errors errors, $total_warnings unexpected warnings"
[ "$PROVIDER_AWS_VERSION" = "$PROVIDER_AWS_WANTED" ] || printf 'NOTE validated with hashicorp/aws %s, not the pinned %s (scripts/providers.sh)\n' "$PROVIDER_AWS_VERSION" "$PROVIDER_AWS_WANTED"
[ "${PROVIDER_TFE_VERSION:-}" = "${PROVIDER_TFE_WANTED:-}" ] || printf 'NOTE validated with hashicorp/tfe %s, not the pinned %s (scripts/providers.sh)\n' "$PROVIDER_TFE_VERSION" "$PROVIDER_TFE_WANTED"
pass "terraform validate on $count stacks ($(ls -d "$ROOT"/generated/*/ | wc -l) of generated/, $cloud_count of config/example-cloud.yaml, the rest from the service matrix and the router-routed fleet): 0 errors, 0 warnings"
