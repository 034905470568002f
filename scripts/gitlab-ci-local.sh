#!/usr/bin/env bash
# Runs gitlab-ci-local 4.75.1 (a devDependency) on Node 20: it calls Set methods that Node 22 added,
# which scripts/set-methods-polyfill.mjs defines first. Arguments go to gitlab-ci-local unchanged.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# gitlab-ci-local copies the tree into its build folder with rsync, which a new machine may lack
# (Debian's package, installed here when it is missing: every caller of gitlab-ci-local gets it).
if ! command -v rsync >/dev/null; then
  echo "== installing rsync (gitlab-ci-local copies the tree with it)" >&2
  { apt-get install -y -qq rsync >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq rsync >/dev/null; }; } \
    || { echo "gitlab-ci-local needs rsync, and apt-get could not install it: install rsync" >&2; exit 1; }
fi
exec node --import "$ROOT/scripts/set-methods-polyfill.mjs" "$ROOT/node_modules/gitlab-ci-local/dist/index.js" "$@"
