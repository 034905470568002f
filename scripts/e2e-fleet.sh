#!/usr/bin/env bash
# The tenant fleet on the emulator, after environment-dev is applied (its contract is what the fleet
# reads): fleet-dev and two tenants, acme-corp (pool tier) and globex (silo tier), planned and
# applied; then acme-corp paused by a config change (its services scale to zero, its data stays);
# then a destroy of globex's data refused at plan, and a config that drops globex refused at synth.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"
PY="$CACHE/venv/bin/python"
# S3 Control (bucket tags) is called at <account-id>.<endpoint host>, a name no resolver maps to
# 127.0.0.1; through the emulator as an HTTP proxy it arrives (loopback requests are never proxied).
export HTTP_PROXY="$MOTO_URL"

# CloudWatch alarms cannot be applied on the emulator: the provider speaks the Smithy RPC v2 CBOR
# protocol to CloudWatch, which moto does not. They are planned; the applied copy leaves them out.
without_alarms() {
  local work="$1"
  grep -oE '^resource "aws_cloudwatch_metric_alarm" "[^"]+"' "$work/main.tf" | sed 's/$/ {\n  count = 0\n}/' > "$work/emulator_alarms_override.tf" || true
}

BACKEND_OVERRIDES="$E2E/emulator.s3.tfbackend"
write_backend_overrides "$BACKEND_OVERRIDES"

fleet="$(workdir fleet-dev)"; without_alarms "$fleet"; apply_stack fleet-dev "$fleet"
acme="$(workdir tenant-acme-corp-dev)"; without_alarms "$acme"; apply_stack tenant-acme-corp-dev "$acme"
globex="$(workdir tenant-globex-dev)"; without_alarms "$globex"; apply_stack tenant-globex-dev "$globex"

# What was applied is what the tenants rely on: their services, rules, registry items, storage.
"$PY" - "$MOTO_URL" "$ROOT/docs/fleet-provisioning.schema.json" <<'PY' || fail "the applied fleet is not what the stacks say"
import json, sys, boto3, jsonschema
url, schema_file = sys.argv[1], sys.argv[2]
ecs = boto3.client("ecs", endpoint_url=url)
names = ["integrations-service", "discovery-service", "discovery-worker", "audit-service", "iam-service"]
for tenant in ["acme-corp", "globex"]:
    services = ecs.describe_services(cluster="accessos-dev", services=[f"{tenant}-{n}" for n in names])["services"]
    assert sorted(s["serviceName"] for s in services) == sorted(f"{tenant}-{n}" for n in names), services
    assert all(s["desiredCount"] == 1 for s in services), [(s["serviceName"], s["desiredCount"]) for s in services]
elb = boto3.client("elbv2", endpoint_url=url)
lb = elb.describe_load_balancers(Names=["accessos-dev-1"])["LoadBalancers"][0]
https = [l for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] if l["Protocol"] == "HTTPS"][0]
rules = [r for r in elb.describe_rules(ListenerArn=https["ListenerArn"])["Rules"] if not r["IsDefault"]]
priorities = [int(r["Priority"]) for r in rules]
assert len(priorities) == len(set(priorities)), priorities
hosts = sorted({v for r in rules for c in r["Conditions"] if c["Field"] == "host-header" for v in c.get("HostHeaderConfig", {}).get("Values", c.get("Values", []))})
assert hosts == ["accessos.dev.apps.acme.example", "acme-corp.accessos.dev.apps.acme.example", "globex.accessos.dev.apps.acme.example"], hosts
schema = json.load(open(schema_file))
ddb = boto3.client("dynamodb", endpoint_url=url)
for tenant, tier in [("acme-corp", "pool"), ("globex", "silo")]:
    item = ddb.get_item(TableName="accessos-dev-tenants", Key={"tenantId": {"S": tenant}})["Item"]
    params = json.loads(item["parameters"]["S"])
    jsonschema.validate(params, {**schema["$defs"]["input"], "$defs": schema["$defs"]})
    assert params["tier"] == tier and params["storage"]["prefix"] == f"tenants/{tenant}/", params
s3 = boto3.client("s3", endpoint_url=url)
assert s3.get_bucket_versioning(Bucket="acme-accessos-globex-dev")["Status"] == "Enabled"
# The emulator enforces the TLS-only bucket policy: a plain-HTTP write is refused.
try:
    s3.put_object(Bucket="acme-accessos-dev-evidence", Key="tenants/acme-corp/evidence-1.json", Body=b"{}")
    raise SystemExit("a plain-HTTP PutObject to the evidence bucket was accepted")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] in ("403", "AccessDenied"), e.response
# The tenant's secret gets its value out of band, as an operator puts it.
sm = boto3.client("secretsmanager", endpoint_url=url)
sm.put_secret_value(SecretId="/accessos/dev/acme-corp/oauth-client-secret", SecretString="client-secret-before-pause")
rds = boto3.client("rds", endpoint_url=url)
assert rds.describe_db_clusters(DBClusterIdentifier="accessos-globex-dev")["DBClusters"][0]["IAMDatabaseAuthenticationEnabled"]
print("ok")
PY
pass "the fleet serves acme-corp and globex: 5 services each, unique rule priorities, registry items in the documented shape; a plain-HTTP write to the evidence bucket is refused"

# Pause acme-corp: one config change, synthesized as `npm run synth` does (with the committed lock).
paused="$E2E/paused"; rm -rf "$paused"; mkdir -p "$paused/generated"
cp "$ROOT/generated/fleet-placement.json" "$paused/generated/"
config_variant "$paused/platform.yaml" 'raw.fleet.tenants.find((t) => t.id === "acme-corp").paused = true;'
node "$ROOT/dist/src/main.js" --config "$paused/platform.yaml" --out "$paused/cdktf.out" --generated "$paused/generated" >/dev/null
copy_stack "$paused/generated/tenant-acme-corp-dev" "$paused/copy" && cp "$paused/copy/main.tf" "$acme/main.tf"
run "$acme" pause-plan "$TF" plan -out=pause.out
grep -q 'Plan: 0 to add, [0-9]* to change, 0 to destroy' "$acme/pause-plan.log" || { grep -E '^  # |Plan:' "$acme/pause-plan.log" >&2; fail "pausing acme-corp plans more than in-place changes"; }
pass "pausing acme-corp plans in-place changes only: $(grep -o 'Plan: .*' "$acme/pause-plan.log")"
run "$acme" pause-apply "$TF" apply -auto-approve pause.out
"$PY" - "$MOTO_URL" <<'PY' || fail "acme-corp is not paused with its data intact"
import sys, boto3
url = sys.argv[1]
ecs = boto3.client("ecs", endpoint_url=url)
names = ["integrations-service", "discovery-service", "discovery-worker", "audit-service", "iam-service"]
services = ecs.describe_services(cluster="accessos-dev", services=[f"acme-corp-{n}" for n in names])["services"]
assert [s["desiredCount"] for s in services] == [0] * 5, [(s["serviceName"], s["desiredCount"]) for s in services]
aas = boto3.client("application-autoscaling", endpoint_url=url)
targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[f"service/accessos-dev/acme-corp-{n}" for n in names])["ScalableTargets"]
assert len(targets) == 5 and all(t["MinCapacity"] == 0 and t["MaxCapacity"] == 0 for t in targets), targets
s3 = boto3.client("s3", endpoint_url=url)
assert s3.get_bucket_versioning(Bucket="acme-accessos-dev-evidence")["Status"] == "Enabled"
sm = boto3.client("secretsmanager", endpoint_url=url)
assert sm.get_secret_value(SecretId="/accessos/dev/acme-corp/oauth-client-secret")["SecretString"] == "client-secret-before-pause"
rds = boto3.client("rds", endpoint_url=url)
assert rds.describe_db_clusters(DBClusterIdentifier="accessos-dev-pool")["DBClusters"][0]["Status"] == "available"
ddb = boto3.client("dynamodb", endpoint_url=url)
import json
item = ddb.get_item(TableName="accessos-dev-tenants", Key={"tenantId": {"S": "acme-corp"}})["Item"]
assert json.loads(item["parameters"]["S"])["paused"] is True, item
print("ok")
PY
pass "acme-corp paused: 5 services at 0 tasks, autoscaling bounds 0..0; its secret's value, the pool database, the evidence bucket and its registry item kept"

# A destroy of globex's data is refused at plan, naming the protection.
if (cd "$globex" && "$TF" plan -destroy -no-color >"$globex/destroy.log" 2>&1); then fail "a destroy of globex (allowDestroy false) planned"; fi
grep -q "Instance cannot be destroyed" "$globex/destroy.log" && grep -q "lifecycle.prevent_destroy" "$globex/destroy.log" || { tail -30 "$globex/destroy.log" >&2; fail "the destroy failed for another reason"; }
# Terraform wraps its messages: read them as one line. Each kind of the tenant's data must be refused.
protected="$(tr '\n' ' ' < "$globex/destroy.log" | grep -oE 'Resource aws_[a-z0-9_]+\.[^ ]+ has +lifecycle\.prevent_destroy' | awk '{print $2}' | sed 's/\..*//' | sort -u | tr '\n' ' ')"
for kind in aws_s3_bucket aws_rds_cluster aws_secretsmanager_secret; do
  case " $protected " in *" $kind "*) ;; *) fail "a destroy of globex is not refused for its $kind (refused: $protected)" ;; esac
done
pass "a destroy of tenant-globex-dev is refused at plan: prevent_destroy on ${protected}"

# And a config that drops globex is refused before anything is written.
dropped="$E2E/dropped"; rm -rf "$dropped"; mkdir -p "$dropped/generated"; cp "$ROOT/generated/fleet-placement.json" "$dropped/generated/"
config_variant "$dropped/platform.yaml" 'raw.fleet.tenants = raw.fleet.tenants.filter((t) => t.id !== "globex");'
code=0; node "$ROOT/dist/src/main.js" --config "$dropped/platform.yaml" --out "$dropped/cdktf.out" --generated "$dropped/generated" >"$dropped/synth.log" 2>&1 || code=$?
[ "$code" = 2 ] && grep -q "has lost tenant globex in stage dev" "$dropped/synth.log" || { cat "$dropped/synth.log" >&2; fail "dropping globex was not refused"; }
[ ! -e "$dropped/generated/fleet-dev" ] || fail "synth wrote stacks from a refused config"
pass "dropping globex from the config is refused at synth (exit 2): $(grep -o 'has lost tenant globex in stage dev[^:]*' "$dropped/synth.log")"
