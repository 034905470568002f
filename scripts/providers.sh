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
source "$(dirname "$0")/lib.sh"

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
    src="$(go mod download -json "$module@$modver" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    timed "$name $version build" go build -C "$src" -trimpath -ldflags "$flags" -o "$GOBIN/terraform-provider-$name" .
    mkdir -p "$(target_dir "$version")"
    mv "$GOBIN/terraform-provider-$name" "$(target_dir "$version")/terraform-provider-${name}_v${version}_x${protocol}"
    built="$version"
  fi
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
