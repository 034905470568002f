#!/usr/bin/env bash
# Puts the Terraform of .terraform-version on PATH: the one already there when its version matches,
# otherwise built from source with the Go module proxy into .cache/bin (no prebuilt download).
# Prints the path of the binary.
source "$(dirname "$0")/lib.sh"

if [ -x "$GOBIN/terraform" ] && "$GOBIN/terraform" version -json 2>/dev/null | grep -q "\"terraform_version\": \"$TERRAFORM_VERSION\""; then
  echo "$GOBIN/terraform"; exit 0
fi
if command -v terraform >/dev/null && terraform version -json 2>/dev/null | grep -q "\"terraform_version\": \"$TERRAFORM_VERSION\""; then
  command -v terraform; exit 0
fi
log "building terraform $TERRAFORM_VERSION from source"
timed "terraform $TERRAFORM_VERSION build" go install -trimpath -ldflags "-s -w" "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
echo "$GOBIN/terraform"
