# Shared settings of the project's scripts. Everything they download or build stays inside the project
# (.cache/, .terraform-providers/), so a CI cache of those folders makes a second run fast, and nothing
# is written to the home directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0

CACHE="$ROOT/.cache"
export GOPATH="$CACHE/go"
# An existing Go cache can be reused (APPS_PLATFORM_GOMODCACHE/APPS_PLATFORM_GOCACHE): the AWS
# provider takes minutes to compile cold on two cores (about 35 built whole), seconds with its build cache.
export GOMODCACHE="${APPS_PLATFORM_GOMODCACHE:-$CACHE/go/mod}"
export GOCACHE="${APPS_PLATFORM_GOCACHE:-$CACHE/go/build}"
export GOFLAGS="-modcacherw"
export CGO_ENABLED=0
export GOBIN="$CACHE/bin"
export PATH="$GOBIN:$PATH"

MIRROR="$ROOT/.terraform-providers"
export TF_CLI_CONFIG_FILE="$MIRROR/terraformrc"
# No plugin cache: Terraform links providers from the unpacked filesystem mirror into .terraform/
# rather than copying them, and a shared cache is not safe for two inits at once. cdktf would
# otherwise point TF_PLUGIN_CACHE_DIR at a cache in the home directory.
unset TF_PLUGIN_CACHE_DIR
export CDKTF_DISABLE_PLUGIN_CACHE_ENV=true
mkdir -p "$CACHE" "$GOBIN" "$MIRROR"
# scripts/providers.sh writes the real file; until then Terraform gets an empty one, not the user's.
[ -f "$TF_CLI_CONFIG_FILE" ] || : > "$TF_CLI_CONFIG_FILE"

TERRAFORM_VERSION="$(tr -d '[:space:]' < "$ROOT/.terraform-version")"

log() { printf '== %s\n' "$*" >&2; }

# Runs a command under GNU time when there is one, appending "<label> <seconds> s, <MiB> MiB peak" to
# .cache/timings.log, so build costs are measured where they happen.
timed() {
  local label="$1"; shift
  if [ -x /usr/bin/time ]; then
    local out; out="$(mktemp)"
    /usr/bin/time -f '%e %M' -o "$out" "$@"
    local rc=$?
    read -r secs kib < "$out" || true
    rm -f "$out"
    printf '%s %s s, %s MiB peak\n' "$label" "$secs" "$((kib / 1024))" | tee -a "$CACHE/timings.log" >&2
    return $rc
  fi
  "$@"
}
