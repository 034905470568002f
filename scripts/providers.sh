#!/usr/bin/env bash
# Builds the Terraform providers from source with the Go module proxy and lays them out as a
# filesystem mirror in .terraform-providers/, with the CLI config the project's scripts point
# TF_CLI_CONFIG_FILE at. Idempotent: a provider already in the mirror is not rebuilt.
#
# The wanted versions are those the pinned CDKTF bindings wrap: hashicorp/aws 6.25.0,
# hashicorp/random 3.7.2 and hashicorp/tfe 0.71.0. This machine's Go module proxy refuses them (the
# aws and random modules have no /v6 or /v3 suffix, so only pseudo-versions of commits can be fetched,
# and it serves only some of those; of tfe it serves only some releases: v0.71.0 and the commits after
# it up to v0.72.0 are refused, v0.76.2 is the nearest release it serves); the script asks for them
# first and, when refused, builds the nearest version the proxy serves, under its real version number.
# .terraform-providers/versions.env records what was built.
#
# The AWS provider is built with only the service packages whose resource and data source types the
# project writes (scripts/aws-provider-services.py finds them in the sources): the provider's own code
# for every one of those types, about 20 minutes less to compile cold than the whole provider's ~265
# packages, and Terraform's "does not support resource type" for any other type. A type added to the
# sources adds its package and rebuilds. APPS_PLATFORM_AWS_PROVIDER=full builds the whole provider, as
# the CI image does, since a service repository's own code may use any type.
source "$(dirname "$0")/lib.sh"
AWS_PROVIDER="${APPS_PLATFORM_AWS_PROVIDER:-services}"
case "$AWS_PROVIDER" in
  services|full) ;;
  *) echo "APPS_PLATFORM_AWS_PROVIDER must be services (the default: the service packages the project uses) or full, got '$AWS_PROVIDER'" >&2; exit 2 ;;
esac
AWS_SERVICES_FILE="$MIRROR/aws-services.txt"

# The service packages the mirror's aws provider holds: "all" for a whole build (and a mirror built
# before this file existed), else the list it was built with.
built_aws_services() { if [ -f "$AWS_SERVICES_FILE" ]; then cat "$AWS_SERVICES_FILE"; else echo all; fi; }
# True when the packages in $2 are all among those in $1 (space-separated lists; "all" holds any).
holds_services() {
  [ "$1" = all ] && return 0
  [ "$2" = all ] && return 1
  local p; for p in $2; do [[ " $1 " == *" $p "* ]] || return 1; done
}
# The folder of a downloaded module version (<module>@<version>) in the Go module cache.
module_dir() { go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }

# name | module | wanted version | served module version | its provider version | version ldflag | plugin protocol
PROVIDERS=(
  "aws|github.com/hashicorp/terraform-provider-aws|6.25.0|v1.60.1-0.20260602190131-5f2286d6d836|6.47.1|github.com/hashicorp/terraform-provider-aws/version.ProviderVersion|5"
  "random|github.com/terraform-providers/terraform-provider-random|3.7.2|v1.3.2-0.20260513075824-f8d869dc98d9|3.9.0||5"
  "tfe|github.com/hashicorp/terraform-provider-tfe|0.71.0|v0.76.2|0.76.2|github.com/hashicorp/terraform-provider-tfe/version.ProviderVersion|6"
)

PLATFORM="linux_amd64"
: > "$MIRROR/versions.env.new"
for entry in "${PROVIDERS[@]}"; do
  IFS='|' read -r name module wanted served_module served_version ldflag protocol <<<"$entry"
  target_dir() { echo "$MIRROR/registry.terraform.io/hashicorp/$name/$1/$PLATFORM"; }
  built=""
  for version in "$wanted" "$served_version"; do
    if [ -x "$(target_dir "$version")/terraform-provider-${name}_v${version}_x${protocol}" ]; then built="$version"; break; fi
  done
  services=""
  if [ "$name" = aws ]; then
    if [ "$AWS_PROVIDER" = full ]; then
      services=all
    else
      aws_modver="$served_module"; [ "$built" != "$wanted" ] || aws_modver="v$wanted"
      [ -n "$built" ] || ! go mod download "$module@v$wanted" 2>/dev/null || aws_modver="v$wanted"
      aws_src="$(module_dir "$module@$aws_modver")"
      services="$(python3 "$ROOT/scripts/aws-provider-services.py" list "$aws_src" "$ROOT")"
    fi
    if [ -n "$built" ] && ! holds_services "$(built_aws_services)" "$services"; then
      log "the mirror's aws $built holds the service packages '$(built_aws_services)'; building it again with '$services'"
      rm -rf "$(target_dir "$built")"
      built=""
    fi
  fi
  if [ -z "$built" ]; then
    if go mod download "$module@v$wanted" 2>"$CACHE/$name-wanted.err"; then
      modver="v$wanted"; version="$wanted"
    else
      log "BLOCKED: the Go module proxy refuses $module@v$wanted: $(tail -1 "$CACHE/$name-wanted.err")"
      log "building $name $served_version ($served_module) instead"
      modver="$served_module"; version="$served_version"
    fi
    timed "$name $version download" go mod download "$module@$modver"
    flags="-s -w"
    [ -z "$ldflag" ] || flags="$flags -X '$ldflag=$version'"
    # Built inside the downloaded module rather than with `go install <module>@<version>`, which also
    # asks the proxy for the module's version list (to look for a deprecation notice) and fails where
    # the proxy refuses that list, as it does for tfe. None of the modules has replace directives, so
    # both build the same program.
    src="$(module_dir "$module@$modver")"
    copy=""
    if [ -n "$services" ] && [ "$services" != all ]; then
      # The module cache is read-only to the build (and Go refuses overlays of it), so the two
      # generated registration files are rewritten in a copy.
      copy="$CACHE/src/terraform-provider-$name@$modver"
      rm -rf "$copy"; mkdir -p "$CACHE/src"; cp -a "$src" "$copy"; chmod -R u+w "$copy"
      python3 "$ROOT/scripts/aws-provider-services.py" trim "$copy" $services
      log "building $name $version with the service packages: $services"
      src="$copy"
    fi
    timed "$name $version build" go build -C "$src" -trimpath -ldflags "$flags" -o "$GOBIN/terraform-provider-$name" .
    [ -z "$copy" ] || rm -rf "$copy"
    mkdir -p "$(target_dir "$version")"
    mv "$GOBIN/terraform-provider-$name" "$(target_dir "$version")/terraform-provider-${name}_v${version}_x${protocol}"
    built="$version"
    [ -z "$services" ] || echo "$services" > "$AWS_SERVICES_FILE"
  fi
  [ -z "$services" ] || echo "PROVIDER_AWS_SERVICES='$(built_aws_services)'" >> "$MIRROR/versions.env.new"
  [ "$built" = "$wanted" ] || log "NOTE: hashicorp/$name is $built in the mirror, not the wanted $wanted (see above)"
  echo "PROVIDER_${name^^}_VERSION=$built" >> "$MIRROR/versions.env.new"
  echo "PROVIDER_${name^^}_WANTED=$wanted" >> "$MIRROR/versions.env.new"
done
mv "$MIRROR/versions.env.new" "$MIRROR/versions.env"

cat > "$TF_CLI_CONFIG_FILE" <<HCL
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
HCL
log "provider mirror ready: $(tr '\n' ' ' < "$MIRROR/versions.env")"
