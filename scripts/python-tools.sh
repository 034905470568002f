#!/usr/bin/env bash
# The Python tools of the end-to-end tests, pinned, in a virtualenv inside the project:
# moto's server (the AWS emulator) and checkov (the policy scanner). Idempotent: a second run checks
# the pins and returns.
source "$(dirname "$0")/lib.sh"

VENV="$CACHE/venv"
PINS="moto[server]==5.2.5 checkov==3.3.30"
if [ -f "$VENV/pins" ] && [ "$(cat "$VENV/pins")" = "$PINS" ]; then exit 0; fi
log "installing $PINS into $VENV"
python3 -m venv "$VENV"
# shellcheck disable=SC2086
timed "python tools install" "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
echo "$PINS" > "$VENV/pins"
