#!/usr/bin/env bash
# Builds the project's developer tools from source with the Go module proxy into .cache/bin (GOBIN of
# scripts/lib.sh), and prints the path of each. Idempotent: a tool already built at its version is kept.
#   actionlint  the GitHub Actions workflow linter (scripts/e2e-actionlint.sh)
source "$(dirname "$0")/lib.sh"

ACTIONLINT_VERSION=1.7.12

actionlint_path() {
  local bin="$GOBIN/actionlint"
  if [ -x "$bin" ] && "$bin" -version 2>/dev/null | head -1 | grep -qx "v\?$ACTIONLINT_VERSION"; then echo "$bin"; return; fi
  log "building actionlint $ACTIONLINT_VERSION from source"
  timed "actionlint $ACTIONLINT_VERSION build" go install -trimpath -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
  "$bin" -version | head -1 | grep -qx "v\?$ACTIONLINT_VERSION" || { echo "the actionlint built does not report $ACTIONLINT_VERSION: $("$bin" -version | head -1)" >&2; exit 1; }
  echo "$bin"
}

case "${1:-all}" in
  actionlint) actionlint_path ;;
  all) actionlint_path ;;
  -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; echo "usage: scripts/tools.sh [actionlint]"; exit 0 ;;
  *) echo "scripts/tools.sh: unknown tool $1 (known: actionlint)" >&2; exit 2 ;;
esac
