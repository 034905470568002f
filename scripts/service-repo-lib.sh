# Helpers of the scripts that make a service repository from templates/service-repo against the
# construct library as a service team gets it: packed, published to the local registry, installed from
# there into a repository outside this project. Source after lib.sh, e2e-lib.sh and local-registry.sh.
# shellcheck shell=bash

# The checkouts of this project (this worktree and the repository's main one): a service repository
# must resolve nothing inside them.
PROJECT_CHECKOUTS=("$ROOT" "$(cd "$(dirname "$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir)")" && pwd)")

# A new folder for service repositories, outside every checkout of this project, removed on exit.
# Prints its path. Set the caller's EXIT trap before sourcing local-registry.sh, which keeps it.
service_repos_dir() {
  local dir; dir="$(mktemp -d "${APPS_PLATFORM_SERVICE_REPOS:-/tmp}/apps-platform-service-repo.XXXXXX")"
  local c; for c in "${PROJECT_CHECKOUTS[@]}"; do
    case "$dir/" in "$c"/*) fail "the service repositories' folder $dir is inside the checkout $c" ;; esac
  done
  echo "$dir"
}

# publish_library <dir>: npm pack of packages/constructs (built) into <dir>, published to the local
# registry. Prints the tarball's path.
publish_library() {
  local dir="$1" tgz
  tgz="$(cd "$ROOT/packages/constructs" && env -u HTTP_PROXY -u http_proxy npm pack --silent --pack-destination "$dir" 2>"$dir/pack.log" | tail -1)" || { cat "$dir/pack.log" >&2; fail "npm pack of packages/constructs"; }
  [ -f "$dir/$tgz" ] || fail "npm pack wrote no $dir/$tgz"
  env -u HTTP_PROXY -u http_proxy npm publish "$dir/$tgz" --registry "$LOCAL_REGISTRY_URL" --userconfig "$LOCAL_REGISTRY_NPMRC" >"$dir/publish.log" 2>&1 || { cat "$dir/publish.log" >&2; fail "npm publish $tgz to $LOCAL_REGISTRY_URL"; }
  echo "$dir/$tgz"
}

# new_service_repo <dir> <slug> [<config>]: npm run new-service-repo (compiled), @acme from the local registry.
new_service_repo() {
  node "$ROOT/dist/src/service-repo/new-service-repo-cli.js" "$1" --slug "$2" --registry "$LOCAL_REGISTRY_URL" ${3:+--config "$3"} >"$1.create.log" 2>&1 || { cat "$1.create.log" >&2; fail "npm run new-service-repo -- $1 --slug $2"; }
}

# install_service_repo <dir>: npm install as a team would, with the repository's .npmrc (@acme from the
# local registry, whose token is in the user config) and the rest from npm's registry, cache first
# (NPM_CACHE, when the caller moved HOME). An emulator's HTTP_PROXY is not npm's.
install_service_repo() {
  (cd "$1" && env -u HTTP_PROXY -u http_proxy npm install --prefer-offline --no-audit --no-fund --userconfig "$LOCAL_REGISTRY_NPMRC" ${NPM_CACHE:+--cache "$NPM_CACHE"} >"$1.install.log" 2>&1) || { tail -30 "$1.install.log" >&2; fail "npm install in $1"; }
  local lib="$1/node_modules/@acme/apps-platform-constructs"
  [ -d "$lib" ] && [ ! -L "$lib" ] || fail "$lib is not a folder of the repository's own node_modules (a link?)"
  local c real; real="$(cd "$lib" && pwd -P)"
  for c in "${PROJECT_CHECKOUTS[@]}"; do case "$real/" in "$c"/*) fail "$lib resolves into $c" ;; esac; done
  # The lockfile pins the tarball the local registry serves: its integrity is the registry's, and a
  # "resolved" URL, when npm writes one (omit-lockfile-registry-resolved leaves it out), is the registry's.
  local version served
  version="$(node -p 'require(process.argv[1]).version' "$lib/package.json")"
  served="$(env -u HTTP_PROXY -u http_proxy npm view "@acme/apps-platform-constructs@$version" dist.integrity --registry "$LOCAL_REGISTRY_URL" --userconfig "$LOCAL_REGISTRY_NPMRC" 2>>"$1.install.log")" || fail "npm view @acme/apps-platform-constructs@$version on $LOCAL_REGISTRY_URL"
  node -e '
const [lockFile, registry, served] = process.argv.slice(1);
const entry = (JSON.parse(require("fs").readFileSync(lockFile, "utf8")).packages || {})["node_modules/@acme/apps-platform-constructs"];
const problems = [];
if (!entry) problems.push("has no node_modules/@acme/apps-platform-constructs");
else {
  if (entry.integrity !== served) problems.push(`pins integrity ${entry.integrity}, the registry serves ${served}`);
  if (entry.resolved !== undefined && !entry.resolved.startsWith(registry + "@acme/apps-platform-constructs/-/")) problems.push(`resolves it from ${entry.resolved}`);
}
if (problems.length) { console.error(`${lockFile} ${problems.join("; ")}`); process.exit(1); }' "$1/package-lock.json" "$LOCAL_REGISTRY_URL" "$served" \
    || fail "package-lock.json of $1 does not pin @acme/apps-platform-constructs as $LOCAL_REGISTRY_URL serves it"
}

# A require hook that lists, at exit, every module a Node process started from <dir> loaded.
# Usage: NODE_OPTIONS="$(module_recorder <dir> <list>)" <command>
module_recorder() {
  local hook; hook="$(dirname "$1")/record-modules.js"
  cat >"$hook" <<'JS'
const fs = require("fs");
process.on("exit", () => {
  const [dir, list] = [process.env.SERVICE_REPO_DIR, process.env.SERVICE_REPO_MODULES];
  if (!dir || !list || !(process.argv[1] || "").startsWith(dir + "/")) return;
  fs.appendFileSync(list, Object.keys(require.cache).filter((f) => f !== __filename).join("\n") + "\n");
});
JS
  echo "--require $hook --max-old-space-size=4096"
}

# assert_self_contained <dir> <list>: every module in <list> is a file of <dir>, the library among them,
# and no source file of <dir> imports a path outside it.
assert_self_contained() {
  local dir="$1" list="$2"
  [ -s "$list" ] || fail "no module was recorded for $dir"
  local outside; outside="$(sort -u "$list" | grep -v '^$' | grep -v "^$dir/" || true)"
  [ -z "$outside" ] || { echo "$outside" | head -20 >&2; fail "the program of $dir loaded modules from outside it (above)"; }
  grep -qx "$dir/node_modules/@acme/apps-platform-constructs/dist/service/service-stack.js" "$list" || fail "the program of $dir did not load the library from its own node_modules"
  if grep -nE "(from|require\()[[:space:]]*[\"']\.\./" "$dir"/*.ts; then fail "a source file of $dir imports a path outside it (above)"; fi
  grep -q '"paths"\|"baseUrl"\|"rootDirs"' "$dir/tsconfig.json" && fail "$dir/tsconfig.json maps imports elsewhere"
  echo "$(sort -u "$list" | grep -c "^$dir/node_modules/") modules, all from $dir/node_modules"
}

# validate_json_stack <cdk.tf.json> <work>: terraform init -backend=false and validate, as
# scripts/e2e-validate.sh does for generated/ (the mirror's providers; no errors, no warnings).
validate_json_stack() {
  local json="$1" work="$2"
  rm -rf "$work"; mkdir -p "$work"
  sed -e "s/\"version\": \"$PROVIDER_AWS_WANTED\"/\"version\": \"$PROVIDER_AWS_VERSION\"/" \
      -e "s/\"version\": \"$PROVIDER_RANDOM_WANTED\"/\"version\": \"$PROVIDER_RANDOM_VERSION\"/" "$json" >"$work/cdk.tf.json"
  (cd "$work" && "$TF" init -backend=false -no-color >init.log 2>&1) || { cat "$work/init.log" >&2; fail "terraform init -backend=false for $json"; }
  (cd "$work" && "$TF" validate -json -no-color >validate.json) || true
  python3 - "$work/validate.json" <<'PY' || fail "terraform validate of $json (above)"
import json, sys
d = json.load(open(sys.argv[1]))
diags = d.get("diagnostics", [])
for x in diags:
    r = x.get("range", {})
    print(f'{x["severity"]}: {x["summary"]}: {x.get("detail", "")} ({r.get("filename")}:{r.get("start", {}).get("line")})', file=sys.stderr)
sys.exit(1 if diags or not d.get("valid") else 0)
PY
}
