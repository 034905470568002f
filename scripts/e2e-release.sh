#!/usr/bin/env bash
# The construct library's release against a real npm registry (verdaccio on 127.0.0.1, from
# scripts/local-registry.sh):
#   1. npm run release publishes @acme/apps-platform-constructs; what the registry has is checked:
#      its manifest, and its tarball's files (.js and .d.ts for every exports entry, the bundled
#      authorizer, the API report; no .ts source, no runtime/ folder, no import of itself);
#   2. the same release under another name (APPS_PLATFORM_CONSTRUCTS_PACKAGE), and a second run of the
#      first, which finds its version there and publishes nothing;
#   3. both are installed into a folder outside the repository with the exact peer versions; every
#      exports entry loads, the authorizer bundle zips, and /service loads no provider barrel;
#   4. in a copy of this working tree: a renamed prop of EncryptionKeyProps fails npm run api:check,
#      which names it; with the report updated and a minor changeset it still fails (needs major);
#      with a major changeset it passes; then npm run release against the registry refuses 0.2.0
#      and publishes the 1.0.0 that npm run version-packages makes.
# The registry is stopped however this ends; peers come from the registry npm is configured with.
case "${1:-}" in
  "") ;;
  -h|--help)
    cat <<'HELP'
usage: bash scripts/e2e-release.sh

Publishes the construct library to a local npm registry (verdaccio on 127.0.0.1) with npm run release,
under its own name and another, checks the published manifest and tarball, installs both outside the
repository with their exact peer versions and loads every entry point, and proves in a copy of the
working tree that npm run api:check and npm run release refuse a breaking change without a major
release. Work files go to .tmp/e2e/release/. Takes no options.

options:
  -h, --help  print this help and exit
HELP
    exit 0 ;;
  *) echo "scripts/e2e-release.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
source "$(dirname "$0")/lib.sh"
started=$(date +%s)
pass() { printf 'PASS %s (%d s)\n' "$*" "$(( $(date +%s) - started ))"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

W="$ROOT/.tmp/e2e/release"
rm -rf "$W"; mkdir -p "$W"
# The consumer's folder is outside the repository, so that nothing resolves from this tree's node_modules.
APP="$(mktemp -d "${TMPDIR:-/tmp}/apps-platform-consumer.XXXXXX")"
trap 'rm -rf "$APP"' EXIT
# shellcheck source=scripts/local-registry.sh
source "$ROOT/scripts/local-registry.sh"
export NPM_CONFIG_USERCONFIG="$LOCAL_REGISTRY_NPMRC"
# Nothing here signs provenance: a local registry has no CI identity to sign with.
unset NPM_CONFIG_PROVENANCE npm_config_provenance APPS_PLATFORM_CONSTRUCTS_PACKAGE APPS_PLATFORM_CONSTRUCTS_ACCESS
PKG="$(node -p 'require(process.argv[1]).name' "$ROOT/packages/constructs/package.json")"
VERSION="$(node -p 'require(process.argv[1]).version' "$ROOT/packages/constructs/package.json")"
OTHER="@e2e-other/apps-platform-constructs"
release() { local log="$1"; shift; (cd "$ROOT" && env NPM_CONFIG_REGISTRY="$LOCAL_REGISTRY_URL" "$@" npm run -s release) >"$W/$log.log" 2>&1; }

# --- 1. publish, and what the registry has -----------------------------------------------------------
release release || { cat "$W/release.log"; fail "npm run release to the local registry failed"; }
grep -q "published $PKG@$VERSION to $LOCAL_REGISTRY_URL" "$W/release.log" || { cat "$W/release.log"; fail "npm run release did not say it published $PKG@$VERSION"; }
pass "npm run release: $(grep -o 'published .*' "$W/release.log")"
npm view "$PKG@$VERSION" --json --registry "$LOCAL_REGISTRY_URL" >"$W/view.json" || fail "npm view $PKG@$VERSION"
node - "$W/view.json" "$ROOT/packages/constructs/package.json" <<'JS' || fail "the published manifest"
const [view, local] = process.argv.slice(2).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
const must = (c, m) => { if (!c) { console.error(m); process.exit(1); } };
must(view.name === local.name && view.version === local.version, `npm view gives ${view.name}@${view.version}`);
must(JSON.stringify(view.peerDependencies) === JSON.stringify(local.peerDependencies), `peers ${JSON.stringify(view.peerDependencies)}`);
must(!view.scripts && !view.devDependencies, "the published manifest has scripts or devDependencies");
must(JSON.stringify(Object.keys(view.exports)) === JSON.stringify(Object.keys(local.exports)), "the exports differ");
JS
pass "npm view $PKG@$VERSION: peers $(node -p 'JSON.stringify(require(process.argv[1]).peerDependencies)' "$W/view.json"), $(node -p 'Object.keys(require(process.argv[1]).exports).length' "$W/view.json") exports keys"

(cd "$W" && npm pack "$PKG@$VERSION" --registry "$LOCAL_REGISTRY_URL" --json --loglevel=error >"$W/pack.json") || fail "npm pack $PKG@$VERSION from the registry"
TARBALL="$W/$(node -p 'require(process.argv[1])[0].filename' "$W/pack.json")"
tar -tzf "$TARBALL" | sed 's#^package/##' | sort >"$W/files.txt"
mkdir -p "$W/unpacked" && tar -xzf "$TARBALL" -C "$W/unpacked"
node - "$W/unpacked/package" "$W/files.txt" "$PKG" <<'JS' || fail "the published tarball"
const fs = require("fs"), path = require("path");
const [dir, list, name] = process.argv.slice(2);
const files = new Set(fs.readFileSync(list, "utf8").split("\n").filter(Boolean));
const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
const problems = [];
for (const [key, target] of Object.entries(manifest.exports)) {
  if (key === "./package.json") continue;
  for (const f of [target.default, target.types]) if (!files.has(f.replace(/^\.\//, ""))) problems.push(`${key}: ${f} is not in the tarball`);
}
for (const f of ["dist/ephemeral/authorizer.js", "api/apps-platform-constructs.api.md", "README.md", "CHANGELOG.md"]) if (!files.has(f)) problems.push(`${f} is not in the tarball`);
for (const f of files) {
  if (f.endsWith(".ts") && !f.endsWith(".d.ts")) problems.push(`a TypeScript source: ${f}`);
  if (f.split("/").includes("runtime")) problems.push(`the authorizer's sources: ${f}`);
  if (f.startsWith("src/") || f.endsWith(".tsbuildinfo") || f.endsWith(".map")) problems.push(`not for the package: ${f}`);
  if (f.endsWith(".js") && new RegExp(`require\\(["']${name.replace(/[/.]/g, "\\$&")}`).test(fs.readFileSync(path.join(dir, f), "utf8"))) problems.push(`${f} loads ${name} by name`);
}
if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
JS
pass "tarball $(basename "$TARBALL"): $(wc -l <"$W/files.txt") files, $(wc -c <"$TARBALL") bytes; .js and .d.ts for every exports entry, dist/ephemeral/authorizer.js, the API report; no .ts source, no runtime/, no import of itself"

# --- 2. another name; a version already there --------------------------------------------------------
release release-other APPS_PLATFORM_CONSTRUCTS_PACKAGE="$OTHER" || { cat "$W/release-other.log"; fail "npm run release under $OTHER failed"; }
grep -q "published $OTHER@$VERSION" "$W/release-other.log" || { cat "$W/release-other.log"; fail "npm run release did not publish $OTHER@$VERSION"; }
[ "$(npm view "$OTHER@$VERSION" name --registry "$LOCAL_REGISTRY_URL")" = "$OTHER" ] || fail "npm view $OTHER@$VERSION"
pass "APPS_PLATFORM_CONSTRUCTS_PACKAGE=$OTHER npm run release: $(grep -o 'published .*' "$W/release-other.log")"
release release-again || { cat "$W/release-again.log"; fail "a second npm run release of $VERSION failed"; }
grep -q "nothing to publish: $PKG@$VERSION is on $LOCAL_REGISTRY_URL already" "$W/release-again.log" || { cat "$W/release-again.log"; fail "a second npm run release did not leave $VERSION alone"; }
pass "a second npm run release: $(grep -o 'nothing to publish: [^;]*' "$W/release-again.log")"
if release release-bad-name APPS_PLATFORM_CONSTRUCTS_PACKAGE="Not A Name"; then fail "npm run release took the name \"Not A Name\""; fi
[ "$(wc -l <"$W/release-bad-name.log")" = 1 ] && grep -q 'APPS_PLATFORM_CONSTRUCTS_PACKAGE must be an npm package name' "$W/release-bad-name.log" || { cat "$W/release-bad-name.log"; fail "a bad name was not refused in one line"; }
pass "a bad name is refused: $(cat "$W/release-bad-name.log")"

# --- 3. install outside the repository, with the exact peers -------------------------------------------
peers="$(node -p 'Object.entries(require(process.argv[1]).peerDependencies).map(([n, v]) => `${n}@${v}`).join(" ")' "$ROOT/packages/constructs/package.json")"
printf '{ "name": "consumer", "private": true }\n' >"$APP/package.json"
install_started=$(date +%s)
# shellcheck disable=SC2086
(cd "$APP" && npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error \
  "--@acme:registry=$LOCAL_REGISTRY_URL" "--${OTHER%%/*}:registry=$LOCAL_REGISTRY_URL" \
  "$PKG@$VERSION" "$OTHER@$VERSION" $peers) >"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "installing $PKG@$VERSION and $OTHER@$VERSION with $peers"; }
pass "installed $PKG@$VERSION and $OTHER@$VERSION with $peers into $APP in $(( $(date +%s) - install_started )) s"
for name in "$PKG" "$OTHER"; do
  (cd "$APP" && node - "$name" <<'JS') || fail "loading the entries of $name"
const name = process.argv[2];
const manifest = require(`${name}/package.json`);
const loaded = [];
for (const key of Object.keys(manifest.exports)) {
  if (key === "./package.json") continue;
  const spec = key === "." ? name : `${name}/${key.slice(2)}`;
  const m = require(spec);
  if (!m || Object.keys(m).length === 0) throw new Error(`${spec} exports nothing`);
  loaded.push(key);
}
const { authorizerPackage } = require(`${name}/ephemeral`);
if (!(authorizerPackage().zip.length > 1000)) throw new Error("the authorizer bundle did not zip");
console.log(`PASS ${name}: every exports entry loads (${loaded.join(" ")}); the authorizer bundle zips to ${authorizerPackage().zip.length} bytes`);
JS
done
(cd "$APP" && node - "$PKG" <<'JS') || fail "/service loads the provider barrel"
const barrel = (k) => /[\\/]@cdktf[\\/]provider-aws[\\/]lib[\\/]index\.js$/.test(k);
const svc = require(`${process.argv[2]}/service`);
const deep = Object.keys(require.cache).filter((k) => /[\\/]@cdktf[\\/]provider-aws[\\/]lib[\\/]/.test(k));
if (typeof svc.AppsPlatformApp !== "function") throw new Error("/service has no AppsPlatformApp");
if (Object.keys(require.cache).some(barrel)) throw new Error("/service loaded @cdktf/provider-aws/lib/index.js");
if (deep.length === 0) throw new Error("/service loaded nothing of the provider: the check would prove nothing");
// The same check sees the barrel when something loads it.
require("@cdktf/provider-aws");
if (!Object.keys(require.cache).some(barrel)) throw new Error("the barrel check does not see the barrel");
console.log(`PASS /service loads ${deep.length} modules of @cdktf/provider-aws/lib, not lib/index.js (which the same check finds once the barrel is required)`);
JS

# --- 4. a breaking change, in a copy of this working tree ----------------------------------------------
REPO="$W/repo"
mkdir -p "$REPO"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zvE '^(node_modules|\.cache|\.terraform-providers)$' | tar --null -cf - -T -) | tar -xf - -C "$REPO"
# The copy's own workspace package; every other package is this tree's.
mkdir -p "$REPO/node_modules/@acme"
for e in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do [ "$(basename "$e")" = "@acme" ] || ln -s "$e" "$REPO/node_modules/$(basename "$e")"; done
ln -s ../../packages/constructs "$REPO/node_modules/@acme/apps-platform-constructs"
gitc() { git -C "$REPO" -c user.email=e2e@apps-platform.invalid -c user.name=e2e "$@"; }
gitc init -q -b main && gitc add -A && gitc commit -qm "the tree under test"
check() { (cd "$REPO" && npm run -s api:check -- --base main) >"$W/$1.log" 2>&1; }

sed -i -e 's/readonly deletionWindowInDays?:/readonly deletionWindowDays?:/' -e 's/props\.deletionWindowInDays/props.deletionWindowDays/' "$REPO/packages/constructs/src/kms/encryption-key.ts"
if check check-renamed; then fail "npm run api:check passed a renamed prop"; fi
grep -q -- '- EncryptionKeyProps › readonly deletionWindowInDays?: number;' "$W/check-renamed.log" && grep -q -- '+ EncryptionKeyProps › readonly deletionWindowDays?: number;' "$W/check-renamed.log" \
  || { cat "$W/check-renamed.log"; fail "npm run api:check did not name the renamed prop"; }
grep -q 'Run npm run api, commit the report, and add a major changeset' "$W/check-renamed.log" || { cat "$W/check-renamed.log"; fail "npm run api:check did not say to run npm run api and add a major changeset"; }
pass "renamed EncryptionKeyProps.deletionWindowInDays: npm run api:check fails: $(grep -m1 -o 'packages/constructs/api/.*' "$W/check-renamed.log")"
pass "  and names it: $(grep -m1 -- '- EncryptionKeyProps' "$W/check-renamed.log" | sed 's/^ *//') / $(grep -m1 -- '+ EncryptionKeyProps' "$W/check-renamed.log" | sed 's/^ *//')"

(cd "$REPO" && npm run -s api) >"$W/api.log" 2>&1 || { cat "$W/api.log"; fail "npm run api in the copy"; }
printf -- '---\n"%s": minor\n---\n\nRename EncryptionKeyProps.deletionWindowInDays to deletionWindowDays.\n' "$PKG" >"$REPO/.changeset/rename-deletion-window.md"
if check check-minor; then fail "npm run api:check passed a renamed prop with a minor changeset"; fi
grep -q 'needs a major release .*, but only minor (.changeset/rename-deletion-window.md) is declared' "$W/check-minor.log" || { cat "$W/check-minor.log"; fail "npm run api:check with a minor changeset failed for another reason"; }
grep -q 'Run npm run api' "$W/check-minor.log" && { cat "$W/check-minor.log"; fail "npm run api:check still finds the report stale after npm run api"; }
pass "with the report updated and a minor changeset: npm run api:check fails: $(grep -m1 -o 'needs a major release' "$W/check-minor.log"), only minor is declared"

sed -i 's/": minor$/": major/' "$REPO/.changeset/rename-deletion-window.md"
check check-major || { cat "$W/check-major.log"; fail "npm run api:check failed with a major changeset"; }
pass "with a major changeset: npm run api:check passes: $(head -1 "$W/check-major.log" | sed 's/^npm run api:check: //')"

# The release gate measures against the last release on the registry, by the version's bump.
node -e 'const f=process.argv[1],p=JSON.parse(require("fs").readFileSync(f,"utf8"));p.version="0.2.0";require("fs").writeFileSync(f,JSON.stringify(p,null,2)+"\n")' "$REPO/packages/constructs/package.json"
if (cd "$REPO" && NPM_CONFIG_REGISTRY="$LOCAL_REGISTRY_URL" npm run -s release) >"$W/release-minor.log" 2>&1; then fail "npm run release published a breaking change as 0.2.0"; fi
grep -q "needs a major release .*the version $VERSION → 0.2.0" "$W/release-minor.log" || { cat "$W/release-minor.log"; fail "npm run release refused 0.2.0 for another reason"; }
grep -q -- '- EncryptionKeyProps › readonly deletionWindowInDays?: number;' "$W/release-minor.log" || { cat "$W/release-minor.log"; fail "npm run release did not name the changed line"; }
pass "npm run release of the change as 0.2.0 is refused against the release $VERSION: $(grep -m1 -o 'needs a major release' "$W/release-minor.log"), the version goes $VERSION → 0.2.0"
gitc checkout -q -- packages/constructs/package.json
(cd "$REPO" && npx changeset version) >"$W/version.log" 2>&1 || { cat "$W/version.log"; fail "changeset version in the copy"; }
NEXT="$(node -p 'require(process.argv[1]).version' "$REPO/packages/constructs/package.json")"
[ "$NEXT" = 1.0.0 ] || fail "changeset version made $NEXT of a major changeset on $VERSION, not 1.0.0"
grep -q 'Rename EncryptionKeyProps.deletionWindowInDays' "$REPO/packages/constructs/CHANGELOG.md" || fail "the changelog lacks the changeset's summary"
(cd "$REPO" && NPM_CONFIG_REGISTRY="$LOCAL_REGISTRY_URL" npm run -s release) >"$W/release-major.log" 2>&1 || { cat "$W/release-major.log"; fail "npm run release of 1.0.0 failed"; }
grep -q "published $PKG@1.0.0" "$W/release-major.log" || { cat "$W/release-major.log"; fail "npm run release did not publish 1.0.0"; }
[ "$(npm view "$PKG" version --registry "$LOCAL_REGISTRY_URL")" = 1.0.0 ] || fail "the registry's latest $PKG is not 1.0.0"
pass "changeset version makes 1.0.0 and its changelog entry; npm run release publishes it: $(grep -o "1.0.0 after $VERSION: [^;]*" "$W/release-major.log")"
pass "e2e-release done in $(( $(date +%s) - started )) s"
