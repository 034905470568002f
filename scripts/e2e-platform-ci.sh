#!/usr/bin/env bash
# The platform's own CI roles for real, against the emulator: apply ci-identity (its OIDC providers,
# the plan and apply roles, the deployment account's read role) with the S3 backend, then plan it as
# a merge-request pipeline would (-lock=false, ci_phase=plan) and check that the provider worked as the
# read role and planned no change; a ci_phase other than apply or plan is refused before any provider
# is configured. The emulator does not enforce IAM: what the roles may do is proven by the IAM
# evaluator (test/iam/platform-ci*.test.ts). Starts an emulator of its own: moto is one account, so
# the read role environment-<stage> made in another run would already hold the name.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"
# shellcheck source=scripts/moto.sh
source "$ROOT/scripts/moto.sh"

BACKEND_OVERRIDES="$E2E/platform-ci.s3.tfbackend"
write_backend_overrides "$BACKEND_OVERRIDES"
"$CACHE/venv/bin/python" "$ROOT/scripts/e2e-seed-state-store.py" "$MOTO_URL" >/dev/null

work="$(workdir ci-identity "$E2E/platform-ci/ci-identity")"
run "$work" init "$TF" init -backend-config="$BACKEND_OVERRIDES"
run "$work" apply "$TF" apply -auto-approve
pass "ci-identity applied as the provisioner (ci_phase=apply): $(grep -o 'Apply complete! .*' "$work/apply.log")"

"$CACHE/venv/bin/python" - "$MOTO_URL" <<'PY' || fail "the platform CI roles are not as the stack says"
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1])
roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix="/apps-platform/ci/")["Roles"]}
for name in ["apps-platform-ci-plan", "apps-platform-ci-apply", "apps-platform-read"]:
    assert name in roles, f"no role {name} under /apps-platform/ci/: {sorted(roles)}"
trust = lambda n: roles[n]["AssumeRolePolicyDocument"] if isinstance(roles[n]["AssumeRolePolicyDocument"], dict) else json.loads(roles[n]["AssumeRolePolicyDocument"])
read = trust("apps-platform-read")["Statement"][0]
assert read["Principal"] == {"AWS": ["arn:aws:iam::111111111111:role/apps-platform/ci/apps-platform-ci-plan"]}, read
apply = trust("apps-platform-ci-apply")["Statement"][0]["Condition"]["StringEquals"]["gitlab.com:sub"]
assert apply == ["project_path:acme/apps-platform:ref_type:branch:ref:main"], apply
print("roles:", ", ".join(roles[n]["Arn"] for n in sorted(roles) if n.startswith("apps-platform")))
PY
pass "the plan, apply and read roles exist under /apps-platform/ci/, the read role trusted by the plan role only"

# Which role the provider works as: the caller identity, read at plan time.
cat > "$work/whoami.tf" <<'HCL'
data "aws_caller_identity" "whoami" {}
output "whoami" {
  value       = data.aws_caller_identity.whoami.arn
  description = "The role the provider works as."
}
HCL
run "$work" plan-as-merge-request "$TF" plan -lock=false -var ci_phase=plan
grep -q 'whoami *= *"arn:aws:sts::[0-9]*:assumed-role/apps-platform-read/apps-platform"' "$work/plan-as-merge-request.log" || { cat "$work/plan-as-merge-request.log"; fail "the plan did not work as apps-platform-read"; }
if grep -qE '^  # .* (will|must) ' "$work/plan-as-merge-request.log"; then cat "$work/plan-as-merge-request.log"; fail "the plan as the read role plans resource changes"; fi
pass "a merge-request plan (-lock=false, ci_phase=plan) works as $(grep -o 'assumed-role/apps-platform-read/[a-z-]*' "$work/plan-as-merge-request.log") and plans no resource change"
run "$work" plan-as-apply "$TF" plan -lock=false
grep -q 'assumed-role/apps-platform-provisioner/apps-platform' "$work/plan-as-apply.log" || { cat "$work/plan-as-apply.log"; fail "the default phase did not work as the provisioner"; }
pass "without ci_phase the provider works as $(grep -o 'assumed-role/apps-platform-provisioner/[a-z-]*' "$work/plan-as-apply.log")"

if (cd "$work" && "$TF" plan -lock=false -var ci_phase=destroy -no-color >"$work/bad-phase.log" 2>&1); then fail "ci_phase=destroy was accepted"; fi
grep -q 'ci_phase must be one of "apply", "plan".' "$work/bad-phase.log" || { cat "$work/bad-phase.log"; fail "ci_phase=destroy failed for another reason"; }
pass "ci_phase=destroy is refused: $(grep -o 'ci_phase must be one of[^.]*\.' "$work/bad-phase.log")"
