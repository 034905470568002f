# Helpers of the end-to-end scripts. Source after lib.sh.
# shellcheck shell=bash

E2E="$ROOT/.tmp/e2e"
mkdir -p "$E2E"
TF="${TF:-$("$ROOT/scripts/terraform.sh")}"
export TF

# The backend settings that point the generated S3 backend block at the emulator. The committed
# block stays as generated; these only add endpoints (and path-style addressing, since bucket
# names cannot be host names on 127.0.0.1).
write_backend_overrides() {
  cat > "$1" <<HCL
endpoints = {
  s3       = "$MOTO_URL"
  dynamodb = "$MOTO_URL"
  sts      = "$MOTO_URL"
  iam      = "$MOTO_URL"
}
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
HCL
}

# Prints the generated S3 backend block of a stack, verbatim.
backend_block_of() {
  awk '/^  backend "s3" \{/{on=1} on{print} on&&/^  \}/{exit}' "$ROOT/generated/$1/main.tf"
}

# Prints the generated workspace guard of a stack, verbatim.
guard_block_of() {
  awk '/^resource "terraform_data" "workspace_guard"/{on=1} on{print} on&&/^\}/{exit}' "$ROOT/generated/$1/main.tf"
}

pass() { printf 'PASS %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

# Copies a generated stack into a work directory. When the mirror holds other provider versions than
# the generated code pins (see scripts/providers.sh), the copy's constraints name the mirror's.
# shellcheck disable=SC1091
source "$MIRROR/versions.env"
copy_stack() {
  local stack="$1" work="$2"
  # A stack name means generated/<name>; a path means that folder.
  local from="$ROOT/generated/$stack"; [ -d "$stack" ] && from="$stack"
  rm -rf "$work"; mkdir -p "$work"; cp "$from/main.tf" "$work/"
  sed -i -e "s/version = \"$PROVIDER_AWS_WANTED\"/version = \"$PROVIDER_AWS_VERSION\"/" \
         -e "s/version = \"$PROVIDER_RANDOM_WANTED\"/version = \"$PROVIDER_RANDOM_VERSION\"/" "$work/main.tf"
}
