#!/usr/bin/env bash
# Runs gitlab-ci-local 4.75.1 (a devDependency) on Node 20: it calls Set methods that Node 22 added,
# which scripts/set-methods-polyfill.mjs defines first. Arguments go to gitlab-ci-local unchanged.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec node --import "$ROOT/scripts/set-methods-polyfill.mjs" "$ROOT/node_modules/gitlab-ci-local/dist/index.js" "$@"
