#!/usr/bin/env bash
# Puts the Terraform of .terraform-version on PATH: the one already there when its version matches,
# otherwise built from source with the Go module proxy into .cache/bin (no prebuilt download).
# Prints the path of the binary.
source "$(dirname "$0")/lib.sh"

has_version() { "$1" version -json 2>/dev/null | grep -q "\"terraform_version\": \"$TERRAFORM_VERSION\""; }
if [ -x "$GOBIN/terraform" ] && has_version "$GOBIN/terraform"; then echo "$GOBIN/terraform"; exit 0; fi
if command -v terraform >/dev/null && has_version "$(command -v terraform)"; then command -v terraform; exit 0; fi

log "building terraform $TERRAFORM_VERSION from source"
# `go install github.com/hashicorp/terraform@vX` is refused: terraform's go.mod replaces its
# internal sub-modules with local paths that its module zip lacks. Build a copy of the module with
# those replaced by the proxy's pseudo-versions of the release commit, and without the godebug
# setting newer Go versions no longer know.
go mod download "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
SRC="$CACHE/src/terraform-$TERRAFORM_VERSION"
rm -rf "$SRC"; mkdir -p "$(dirname "$SRC")"
cp -r "$GOMODCACHE/github.com/hashicorp/terraform@v$TERRAFORM_VERSION" "$SRC"; chmod -R u+w "$SRC"
# The release commit of each version this script knows; its time comes from the proxy.
declare -A RELEASE_COMMIT=([1.11.4]=35645b8fca68)
origin="${RELEASE_COMMIT[$TERRAFORM_VERSION]:?no release commit recorded for terraform $TERRAFORM_VERSION in scripts/terraform.sh}"
commit_time="$(python3 -c 'import json,sys,datetime; t=json.load(open(sys.argv[1]))["Time"]; print(datetime.datetime.fromisoformat(t.replace("Z","+00:00")).strftime("%Y%m%d%H%M%S"))' "$GOMODCACHE/cache/download/github.com/hashicorp/terraform/@v/v$TERRAFORM_VERSION.info")"
(
  cd "$SRC"
  for m in $(grep -o '^replace github.com/hashicorp/terraform/internal/[^ ]*' go.mod | awk '{print $2}'); do
    go mod edit -replace="$m=$m@v0.0.0-$commit_time-$origin"
  done
  go mod edit -dropgodebug=tlskyber 2>/dev/null || true
  timed "terraform $TERRAFORM_VERSION build" go build -mod=mod -trimpath -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$GOBIN/terraform" .
)
has_version "$GOBIN/terraform" || { echo "the terraform built from source does not report $TERRAFORM_VERSION" >&2; exit 1; }
echo "$GOBIN/terraform"
