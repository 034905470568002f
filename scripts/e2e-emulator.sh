#!/usr/bin/env bash
# The generated stacks against the emulator: plan state-bootstrap, then plan and apply environment-dev
# with the S3 backend, and plan one onboarding stack. Providers keep their
# generated settings (assumed roles, allowed accounts); an override file only adds the emulator's
# endpoints, as the S3 backend's -backend-config does.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

BACKEND_OVERRIDES="$E2E/emulator.s3.tfbackend"
write_backend_overrides "$BACKEND_OVERRIDES"



# Applying state-bootstrap needs S3 Control, which the provider reaches at <account-id>.<endpoint host>
# (bucket tags); no name of that form resolves to the emulator, so the store is created with boto3 as
# the stack would create it, and the stack itself is planned.
"$CACHE/venv/bin/python" "$ROOT/scripts/e2e-seed-state-store.py" "$MOTO_URL" >/dev/null
work="$(workdir state-bootstrap)"
run "$work" init "$TF" init
run "$work" plan "$TF" plan
pass "state-bootstrap plan: $(grep -o 'Plan: .*' "$work/plan.log")"

work="$(workdir environment-dev)"
apply_stack environment-dev "$work"

# Preconditions are not checked when Terraform plans a destroy; the providers' workspace-bound region
# is. Put dev's state into workspace prod (as a service stack's prod state would be, since its key is
# shared by its stages) and try to destroy it from there.
(cd "$work" && "$TF" state pull >"$work/dev.tfstate" && "$TF" workspace select -or-create prod -no-color >/dev/null && "$TF" state push "$work/dev.tfstate")
if (cd "$work" && "$TF" destroy -auto-approve -no-color >"$work/wrong-destroy.log" 2>&1); then fail "environment-dev destroyed from workspace prod"; fi
grep -q "Wrong workspace for this configuration: run terraform workspace select -or-create dev" "$work/wrong-destroy.log" || { cat "$work/wrong-destroy.log"; fail "the wrong-workspace destroy failed for another reason"; }
pass "a destroy of environment-dev in workspace prod is refused: $(grep -o -m1 'Wrong workspace[^"]*' "$work/wrong-destroy.log")"
(cd "$work" && "$TF" workspace select dev -no-color >/dev/null && "$TF" workspace delete -force prod -no-color >/dev/null)

# Onboarding reads the contract of every stage the service is in; prod's is a copy of dev's here.
"$CACHE/venv/bin/python" "$ROOT/scripts/e2e-seed-contract.py" "$MOTO_URL" dev prod >/dev/null
work="$(workdir onboarding-payments-api)"
run "$work" init "$TF" init -backend-config="$BACKEND_OVERRIDES"
run "$work" plan "$TF" plan
pass "onboarding-payments-api plan: $(grep -o 'Plan: .*' "$work/plan.log")"
grep -q 'aws_apprunner_vpc_connector\.' "$work/plan.log" || fail "onboarding-payments-api plans no App Runner VPC connector"
pass "onboarding-payments-api plans its security groups and App Runner VPC connector in each stage"

# An ECS service's network identity (no App Runner, which the emulator lacks) applied for real: its
# security groups, their rules and the SSM parameters its service stack reads. The rest of the stack is
# planned above for payments-api; the emulator cannot apply two of its resources (the state bucket's
# tags go through S3 Control at <account>.s3-control.<region>, and AWS managed policies such as the ECS
# infrastructure role's do not exist in it).
work="$(workdir onboarding-webservice-aurora-example)"
run "$work" init "$TF" init -backend-config="$BACKEND_OVERRIDES"
targets="$(grep -oE '^resource "[a-z0-9_]+" "dev-network_[^"]+"' "$work/main.tf" | awk '{gsub(/"/,""); print "-target=" $2 "." $3}')"
[ -n "$targets" ] || fail "onboarding-webservice-aurora-example has no dev-network resources"
# shellcheck disable=SC2086
run "$work" plan "$TF" plan -out=plan.out $targets
run "$work" apply "$TF" apply -auto-approve plan.out
pass "onboarding-webservice-aurora-example's network identity applied: $(grep -o 'Apply complete! .*' "$work/apply.log")"
sg="$("$CACHE/venv/bin/python" -c 'import boto3,sys; print(boto3.client("ssm", endpoint_url=sys.argv[1]).get_parameter(Name="/apps-platform/dev/services/webservice-aurora-example/database-security-group-id")["Parameter"]["Value"])' "$MOTO_URL")"
"$CACHE/venv/bin/python" - "$MOTO_URL" "$sg" <<'PY' || fail "the database group does not admit exactly the service's group"
import boto3, sys
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1])
group = ec2.describe_security_groups(GroupIds=[sys.argv[2]])["SecurityGroups"][0]
service = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["webservice-aurora-example-dev-svc"]}])["SecurityGroups"][0]["GroupId"]
rules = [(p["FromPort"], p["ToPort"], [g["GroupId"] for g in p.get("UserIdGroupPairs", [])], p.get("IpRanges", [])) for p in group["IpPermissions"]]
assert rules == [(5432, 5432, [service], [])], rules
PY
pass "its database group admits PostgreSQL from the service's group only ($sg)"
