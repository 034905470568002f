#!/usr/bin/env bash
# The platform's GitLab pipelines, run for real with gitlab-ci-local (shell executor) against the AWS
# emulator, in a throw-away clone of this working tree:
#   1. the root pipeline's synth job passes on a fresh tree and fails on a stale generated/;
#   2. after merge (mode main, first push): the generated child pipeline orders the applies, its
#      plan:environment-dev job decides, and the apply pipeline it writes applies environment-dev;
#   3. a merge request that changes one service's branch restriction: the pipeline job gives a child
#      pipeline with a plan job for onboarding-status-page alone, which plans with the plan role
#      (TF_VAR_ci_phase=plan, -lock=false) and writes GitLab's Terraform report and the summary;
#   4. after merge, a change that destroys (dev's NAT gateway): the apply pipeline's job is manual;
#   5. the construct library's jobs: api:check passes a merge request that leaves the API alone, and
#      release:constructs, started by hand on the default branch, publishes to a local npm registry
#      (scripts/local-registry.sh) with the token of NPM_TOKEN, which the job's log never shows.
#   6. the construct library's canary job: the library packed, a service repository made from the
#      template with it, each stage synthesized.
# The OIDC exchange is real too: the jobs call aws sts assume-role-with-web-identity, which the
# emulator answers (it does not verify the token's signature, so the job gets a locally made token).
# Starts an emulator of its own (scripts/moto.sh), so it runs alone or after the other end-to-end
# scripts. gitlab-ci-local runs through scripts/gitlab-ci-local.sh, which installs the rsync it needs.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/python-tools.sh"
[ -f "$MIRROR/versions.env" ] || { echo "FAIL no provider mirror in $MIRROR: run scripts/providers.sh first" >&2; exit 1; }
# shellcheck source=scripts/moto.sh
source "$ROOT/scripts/moto.sh"
source "$ROOT/scripts/e2e-lib.sh"
started=$(date +%s)

W="$E2E/pipeline"
rm -rf "$W"; mkdir -p "$W/overrides"
REPO="$W/repo"

# The clone: this working tree as it is (tracked and new files), one commit, node_modules shared.
mkdir -p "$REPO"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zvE '^(node_modules|\.cache|\.terraform-providers)$' | tar --null -cf - -T -) | tar -xf - -C "$REPO"
ln -s "$ROOT/node_modules" "$REPO/node_modules"
gitc() { git -C "$REPO" -c user.email=e2e@apps-platform.invalid -c user.name=e2e "$@"; }
gitc init -q -b main && gitc remote add origin "https://gitlab.example.invalid/acme/apps-platform.git"
# What the jobs leave in the tree is not part of it (in GitLab each job starts from a fresh checkout).
printf '%s\n' .gitlab-ci-local/ .apps-platform/ .tfplan/ child-pipeline.yml '*-child.yml' 'apply-*.yml' mr-note.md .cache/ >> "$REPO/.git/info/exclude"
gitc add -A && gitc commit -qm "the tree under test"
BASE="$(gitc rev-parse HEAD)"
# rules:changes compare with the default branch of origin, which is the commit under test.
gitc update-ref refs/remotes/origin/main "$BASE" && gitc symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main


# A token shaped like GitLab's ID token; the emulator does not check its signature.
b64() { printf '%s' "$1" | base64 | tr -d '=\n' | tr '/+' '_-'; }
ID_TOKEN="$(b64 '{"alg":"RS256","typ":"JWT"}').$(b64 '{"iss":"https://gitlab.com","aud":"https://gitlab.com","sub":"project_path:acme/apps-platform:ref_type:branch:ref:main"}').$(b64 signature)"

# The emulator for the jobs: AWS CLI endpoint, provider and backend overrides (APPS_PLATFORM_LOCAL_OVERRIDES).
write_backend_overrides "$W/overrides/backend.tfbackend"
override_for() { local dir; dir="$(workdir "$1" "$W/work/$1")"; mkdir -p "$W/overrides/$1"; cp "$dir/emulator_override.tf" "$W/overrides/$1/"; }
"$CACHE/venv/bin/python" "$ROOT/scripts/e2e-seed-state-store.py" "$MOTO_URL" >/dev/null

PATH="$(dirname "$TF"):$PATH"; export PATH
gcl() {
  local log="$1"; shift
  (cd "$REPO" && "$ROOT/scripts/gitlab-ci-local.sh" --force-shell-executor --no-color --max-job-name-padding 0 \
    --ignore-predefined-vars CI_PIPELINE_SOURCE,CI_PROJECT_DIR,CI_COMMIT_BEFORE_SHA,CI_MERGE_REQUEST_DIFF_BASE_SHA,CI_MERGE_REQUEST_IID \
    --variable "CI_PROJECT_DIR=$REPO" \
    --variable "AWS_ENDPOINT_URL=$MOTO_URL" \
    --variable "AWS_ID_TOKEN=$ID_TOKEN" \
    --variable "APPS_PLATFORM_LOCAL_OVERRIDES=$W/overrides" \
    --variable "APPS_PLATFORM_PROVIDER_MIRROR=$MIRROR" \
    --variable "APPS_PLATFORM_CI_IMAGE=local-shell" \
    "$@") >"$W/$log.log" 2>&1
}
# The next job starts from the committed tree, as in GitLab: no provider overrides, no .terraform.
fresh_tree() { gitc checkout -q -- . && gitc clean -qfdx -- generated; }
plain() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }
job_names() { node -e 'const Y=require(process.argv[1]+"/node_modules/yaml");const d=Y.parse(require("fs").readFileSync(process.argv[2],"utf8"));const r=new Set(["variables","stages","workflow","default","include"]);console.log(Object.keys(d).filter(k=>!r.has(k)&&!k.startsWith(".")).join(" "))' "$ROOT" "$1"; }

# --- 1. synth freshness ---------------------------------------------------------------------------
gcl synth synth || { tail -40 "$W/synth.log"; fail "the synth job failed on a fresh tree"; }
grep -q 'PASS  synth' "$W/synth.log" || { tail -20 "$W/synth.log"; fail "the synth job did not pass"; }
pass "root pipeline: the synth job passes on a fresh generated/"
config_variant "$W/stale.yaml" 'raw.services.find((s) => s.slug === "status-page").branchRestriction = "release";'
cp "$W/stale.yaml" "$REPO/config/example.yaml"
if gcl synth-stale synth; then fail "the synth job passed with a config change that generated/ lacks"; fi
grep -q 'generated/onboarding-status-page/main.tf' "$W/synth-stale.log" || { tail -30 "$W/synth-stale.log"; fail "the stale synth job failed for another reason"; }
pass "root pipeline: the synth job fails when generated/ is stale: $(grep -m1 -o 'generated/onboarding-status-page/main.tf.*' "$W/synth-stale.log")"
gitc checkout -q -- . && gitc clean -qfd -e node_modules

# --- 2. after merge: ordered applies, a deciding plan, an automatic apply -------------------------
gcl pipeline-main --variable CI_PIPELINE_SOURCE=push --variable CI_COMMIT_BEFORE_SHA=0000000000000000000000000000000000000000 pipeline \
  || { tail -30 "$W/pipeline-main.log"; fail "the pipeline job (main) failed"; }
cp "$REPO/child-pipeline.yml" "$W/main.yml"
jobs="$(job_names "$W/main.yml")"
for j in plan:environment-dev apply:environment-dev plan:onboarding-status-page apply:onboarding-status-page; do
  [[ " $jobs " == *" $j "* ]] || fail "the main child pipeline has no job $j"
done
node -e '
const Y=require(process.argv[1]+"/node_modules/yaml"); const d=Y.parse(require("fs").readFileSync(process.argv[2],"utf8"));
const need=(j)=>(d[j].needs||[]).map(String);
const must=(c,m)=>{ if(!c){ console.error(m); process.exit(1);} };
must(need("plan:environment-prod").includes("apply:environment-dev"), "environment-prod does not follow environment-dev");
must(need("plan:onboarding-status-page").includes("apply:environment-prod"), "onboarding-status-page does not follow the environments");
must(d["apply:environment-dev"].trigger.strategy==="depend" && d["apply:environment-dev"].trigger.include[0].job==="plan:environment-dev", "apply:environment-dev is not a trigger of the plan job artifact");
' "$ROOT" "$W/main.yml" || fail "the main child pipeline's order"
pass "main child pipeline: $(echo "$jobs" | wc -w) jobs, $(grep -c '^  - step-' "$W/main.yml") stages; environment-dev -> environment-prod -> onboarding-status-page, each apply a trigger of its plan job's pipeline"

override_for environment-dev
cp "$W/main.yml" "$REPO/main-child.yml"
gcl plan-environment-dev --file main-child.yml --variable CI_PIPELINE_SOURCE=parent_pipeline plan:environment-dev \
  || { tail -40 "$W/plan-environment-dev.log"; fail "plan:environment-dev (main) failed"; }
apply_file="$REPO/.apps-platform/apply/environment-dev.yml"
[ -f "$apply_file" ] || fail "plan:environment-dev wrote no apply pipeline"
grep -q 'assume-role-with-web-identity' "$W/plan-environment-dev.log" || fail "plan:environment-dev did not exchange its ID token"
grep -q 'when: manual' "$apply_file" && fail "the apply of a creation-only plan is manual"
fresh_tree
pass "plan:environment-dev (main, apply role): $(plain "$W/plan-environment-dev.log" | grep -o 'Plan: .*' | head -1); its apply pipeline: $(head -1 "$apply_file" | sed 's/^# //')"
cp "$apply_file" "$REPO/apply-environment-dev.yml"
gcl apply-environment-dev --file apply-environment-dev.yml --variable CI_PIPELINE_SOURCE=parent_pipeline apply:environment-dev \
  || { tail -40 "$W/apply-environment-dev.log"; fail "apply:environment-dev failed"; }
plain "$W/apply-environment-dev.log" | grep -q 'Apply complete!' || fail "apply:environment-dev applied nothing"
"$CACHE/venv/bin/python" - "$MOTO_URL" <<'PY' || fail "no state of environment-dev in the emulator's bucket"
import boto3, sys
keys = [o["Key"] for o in boto3.client("s3", endpoint_url=sys.argv[1]).list_objects_v2(Bucket="acme-apps-platform-tfstate").get("Contents", [])]
assert "env/dev/environment/dev/terraform.tfstate" in keys, keys
PY
fresh_tree
pass "apply:environment-dev (automatic): $(plain "$W/apply-environment-dev.log" | grep -o 'Apply complete! .*' | head -1); state at env/dev/environment/dev/terraform.tfstate"

# --- 3. a merge request: one changed stack, one plan job ------------------------------------------
cp "$W/stale.yaml" "$REPO/config/example.yaml"
(cd "$REPO" && npm run --silent synth >"$W/mr-synth.log" 2>&1) || { tail "$W/mr-synth.log"; fail "synth of the merge request's change"; }
gitc add -A && gitc commit -qm "status-page applies from release"
gcl pipeline-mr --variable CI_PIPELINE_SOURCE=merge_request_event --variable "CI_MERGE_REQUEST_DIFF_BASE_SHA=$BASE" --variable CI_MERGE_REQUEST_IID=7 pipeline \
  || { tail -30 "$W/pipeline-mr.log"; fail "the pipeline job (mr) failed"; }
cp "$REPO/child-pipeline.yml" "$W/mr.yml"
jobs="$(job_names "$W/mr.yml")"
# The service entry reaches the service's onboarding and service stacks; nothing else changed.
[ "$jobs" = "plan:onboarding-status-page mr-note" ] || fail "the merge request's child pipeline has jobs $jobs, not status-page's onboarding and mr-note (its service stacks are its own pipelines')"
for unchanged in onboarding-payments-api environment-dev service-payments-api-dev fleet-dev; do grep -q "^plan:$unchanged:" "$W/mr.yml" && fail "unchanged $unchanged has a plan job"; done
pass "merge request child pipeline: $jobs (unchanged stacks such as onboarding-payments-api and environment-dev get no job)"

"$CACHE/venv/bin/python" "$ROOT/scripts/e2e-seed-contract.py" "$MOTO_URL" dev prod >/dev/null
override_for onboarding-status-page
cp "$W/mr.yml" "$REPO/mr-child.yml"
gcl plan-onboarding --file mr-child.yml --variable CI_PIPELINE_SOURCE=parent_pipeline plan:onboarding-status-page \
  || { tail -40 "$W/plan-onboarding.log"; fail "plan:onboarding-status-page failed"; }
grep -q 'TF_VAR_ci_phase\|ci-plan' "$REPO/mr-child.yml" || fail "the plan job names neither the plan role nor ci_phase"
grep -q 'terraform plan -lock=false' "$W/plan-onboarding.log" || fail "the merge-request plan took the lock"
fresh_tree
pass "plan:onboarding-status-page (plan role, -lock=false): $(plain "$W/plan-onboarding.log" | grep -o 'Plan: .*' | head -1)"
report="$REPO/.apps-platform/report/onboarding-status-page.json"
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); for (const k of ["create","update","delete"]) if (!Number.isInteger(r[k])) process.exit(1); if (r.create < 1) process.exit(1)' "$report" || fail "the Terraform report $report is not GitLab's {create, update, delete}"
grep -q 'onboarding-status-page' "$REPO/.apps-platform/summary/onboarding-status-page.md" || fail "the summary does not name the stack"
pass "plan:onboarding-status-page wrote GitLab's Terraform report $(cat "$report") and its summary"
gcl mr-note --file mr-child.yml --variable CI_PIPELINE_SOURCE=parent_pipeline mr-note || { tail -30 "$W/mr-note.log"; fail "the mr-note job failed"; }
grep -q 'GITLAB_NOTE_TOKEN is not set' "$W/mr-note.log" || fail "the mr-note job without a token did not say so"
pass "mr-note without GITLAB_NOTE_TOKEN keeps the summary as an artifact and says so"
# --- 4. after merge, a change that destroys: the apply waits for a person ---------------------------
before="$(gitc rev-parse HEAD)"
config_variant "$W/no-nat.yaml" 'raw.services.find((s) => s.slug === "status-page").branchRestriction = "release"; raw.stages.dev.network.natMode = "none";'
cp "$W/no-nat.yaml" "$REPO/config/example.yaml"
(cd "$REPO" && npm run --silent synth >"$W/no-nat-synth.log" 2>&1) || { tail "$W/no-nat-synth.log"; fail "synth of the NAT removal"; }
gitc add -A && gitc commit -qm "dev without NAT"
gcl pipeline-main-2 --variable CI_PIPELINE_SOURCE=push --variable "CI_COMMIT_BEFORE_SHA=$before" pipeline || { tail -30 "$W/pipeline-main-2.log"; fail "the pipeline job (main, second push) failed"; }
cp "$REPO/child-pipeline.yml" "$W/main-2.yml"
grep -q '^plan:environment-prod:' "$W/main-2.yml" && fail "a change of stage dev plans environment-prod after merge"
cp "$W/main-2.yml" "$REPO/main-child.yml"
gcl plan-environment-dev-2 --file main-child.yml --variable CI_PIPELINE_SOURCE=parent_pipeline plan:environment-dev \
  || { tail -40 "$W/plan-environment-dev-2.log"; fail "plan:environment-dev (second push) failed"; }
grep -q '^  when: manual$' "$apply_file" && grep -q '^  allow_failure: false$' "$apply_file" || { cat "$apply_file"; fail "the apply of a plan that destroys the NAT gateway is not a blocking manual job"; }
fresh_tree
pass "plan:environment-dev after a NAT removal: $(plain "$W/plan-environment-dev-2.log" | grep -o 'Plan: .*' | head -1); its apply pipeline: $(head -1 "$apply_file" | sed 's/^# //')"
# The apply pipeline as GitLab would run it: the manual job waits; started by hand, it applies.
cp "$apply_file" "$REPO/apply-environment-dev.yml"
gcl apply-list --file apply-environment-dev.yml --list || { cat "$W/apply-list.log"; fail "gitlab-ci-local cannot list the apply pipeline"; }
grep -Eq '^apply:environment-dev +apply +manual +false +dev' "$W/apply-list.log" || { cat "$W/apply-list.log"; fail "gitlab-ci-local does not list apply:environment-dev as manual, allow_failure false"; }
gcl apply-waits --file apply-environment-dev.yml --variable CI_PIPELINE_SOURCE=parent_pipeline || true
grep -q 'apply:environment-dev starting' "$W/apply-waits.log" && fail "the manual apply started on its own"
plain "$W/apply-waits.log" | grep -q 'Apply complete!' && fail "the manual apply ran without being started"
gcl apply-manual --file apply-environment-dev.yml --variable CI_PIPELINE_SOURCE=parent_pipeline --manual apply:environment-dev apply:environment-dev \
  || { tail -40 "$W/apply-manual.log"; fail "the manual apply:environment-dev failed"; }
plain "$W/apply-manual.log" | grep -Eq 'Apply complete! Resources: 0 added, [0-9]+ changed, 2 destroyed' || { tail -20 "$W/apply-manual.log"; fail "the manual apply did not destroy the NAT gateway and its address"; }
fresh_tree
pass "the manual apply:environment-dev waits in its pipeline and, started by hand, applies: $(plain "$W/apply-manual.log" | grep -o 'Apply complete! .*' | head -1)"

# --- 5. the construct library's jobs ------------------------------------------------------------------
gcl api-check --variable CI_PIPELINE_SOURCE=merge_request_event --variable "CI_MERGE_REQUEST_DIFF_BASE_SHA=$BASE" --variable CI_MERGE_REQUEST_IID=7 api:check \
  || { tail -30 "$W/api-check.log"; fail "the api:check job failed on a merge request that leaves the API alone"; }
grep -q 'is the same as in' "$W/api-check.log" || { tail -20 "$W/api-check.log"; fail "the api:check job did not compare the API with the merge request's base"; }
pass "api:check (merge request): $(plain "$W/api-check.log" | grep -o 'the public API of .*' | head -1)"
# shellcheck source=scripts/local-registry.sh
source "$ROOT/scripts/local-registry.sh"
REGISTRY_TOKEN_VALUE="$(sed -E 's/^.*:_authToken=//' "$LOCAL_REGISTRY_NPMRC")"
gcl release --variable CI_PIPELINE_SOURCE=push --variable "NPM_CONFIG_REGISTRY=$LOCAL_REGISTRY_URL" --variable "NPM_TOKEN=$REGISTRY_TOKEN_VALUE" \
  --variable NPM_CONFIG_PROVENANCE=false --manual release:constructs release:constructs \
  || { tail -30 "$W/release.log"; fail "the release:constructs job failed against the local registry"; }
grep -q 'published @acme/apps-platform-constructs@' "$W/release.log" || { tail -20 "$W/release.log"; fail "the release:constructs job published nothing"; }
grep -qF "$REGISTRY_TOKEN_VALUE" "$W/release.log" && fail "the release:constructs job's log shows the registry token"
grep -rqF "$REGISTRY_TOKEN_VALUE" "$REPO/.npmrc-release" 2>/dev/null && fail "the release:constructs job wrote the registry token into its npmrc"
pass "release:constructs (by hand, default branch, token from NPM_TOKEN, not in the log): $(plain "$W/release.log" | grep -o 'published [^:]*' | head -1)"
# --- 6. the construct library's canary: packed, a service repository from the template, synthesized --
gcl canary service-template-canary || { tail -40 "$W/canary.log"; fail "the service-template-canary job failed"; }
for stage in dev prod; do grep -q "synthesized service-payments-api-$stage with acme-apps-platform-constructs-" "$W/canary.log" || { tail -20 "$W/canary.log"; fail "the canary did not synthesize service-payments-api-$stage"; }; done
fresh_tree
pass "service-template-canary: the packed library installed into a repository made from the template, both stages synthesized ($(grep -o 'finished in [0-9]* s' "$W/canary.log" | tail -1))"
pass "e2e-pipeline done in $(( $(date +%s) - started )) s"
