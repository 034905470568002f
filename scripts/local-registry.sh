# Starts an npm registry (verdaccio 6.8.0, installed from tools/verdaccio's lockfile into .cache/) on a
# free loopback port, with its storage under .tmp/e2e/registry/<script>/, and stops it when the calling script exits. Source
# it; it exports LOCAL_REGISTRY_URL and an npm user config (LOCAL_REGISTRY_NPMRC) that holds the
# registry's token, so that `npm publish --registry "$LOCAL_REGISTRY_URL"` and
# `npm install --userconfig "$LOCAL_REGISTRY_NPMRC"` work. Nothing is proxied: packages other than the
# ones published here come from the registry npm is configured with.
# shellcheck shell=bash

# A folder per calling script: test:e2e runs two of them at once.
REGISTRY_HOME="$ROOT/.tmp/e2e/registry/$(basename "$0" .sh)"
REGISTRY_TOOLS="$CACHE/verdaccio"
rm -rf "$REGISTRY_HOME"; mkdir -p "$REGISTRY_HOME/storage"
# One install at a time: the second script to get here waits and finds it done.
mkdir -p "$CACHE"
(
  flock 9
  if ! cmp -s "$ROOT/tools/verdaccio/package-lock.json" "$REGISTRY_TOOLS/package-lock.json" 2>/dev/null || [ ! -x "$REGISTRY_TOOLS/node_modules/.bin/verdaccio" ]; then
    rm -rf "$REGISTRY_TOOLS"; mkdir -p "$REGISTRY_TOOLS"
    cp "$ROOT/tools/verdaccio/package.json" "$ROOT/tools/verdaccio/package-lock.json" "$REGISTRY_TOOLS/"
    (cd "$REGISTRY_TOOLS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
  fi
) 9>"$CACHE/verdaccio.lock"
REGISTRY_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export LOCAL_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/"
cat >"$REGISTRY_HOME/config.yaml" <<YAML
storage: $REGISTRY_HOME/storage
auth:
  htpasswd:
    file: $REGISTRY_HOME/htpasswd
    max_users: 1
uplinks: {}
packages:
  '**':
    access: \$authenticated
    publish: \$authenticated
    unpublish: \$authenticated
log: { type: file, path: $REGISTRY_HOME/verdaccio.log, level: warn }
publish:
  allow_offline: true
YAML
"$REGISTRY_TOOLS/node_modules/.bin/verdaccio" --config "$REGISTRY_HOME/config.yaml" --listen "127.0.0.1:$REGISTRY_PORT" >"$REGISTRY_HOME/stdout.log" 2>&1 &
REGISTRY_PID=$!
stop_registry() {
  kill -TERM "$REGISTRY_PID" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$REGISTRY_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$REGISTRY_PID" 2>/dev/null || true
}
# Keep an EXIT trap the caller set (moto's, say) running too.
_registry_prev_trap="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
trap "stop_registry; ${_registry_prev_trap:-:}" EXIT
for _ in $(seq 150); do
  curl -sf -o /dev/null "${LOCAL_REGISTRY_URL}-/ping" && break
  kill -0 "$REGISTRY_PID" 2>/dev/null || { cat "$REGISTRY_HOME/stdout.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf -o /dev/null "${LOCAL_REGISTRY_URL}-/ping" || { echo "the local registry did not start" >&2; exit 1; }
# One user, made through the registry's own API (what `npm adduser` does); its token goes into a
# user config of this run only.
REGISTRY_TOKEN="$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"ci","password":"local-registry-only"}' "${LOCAL_REGISTRY_URL}-/user/org.couchdb.user:ci" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
export LOCAL_REGISTRY_NPMRC="$REGISTRY_HOME/npmrc"
printf '//127.0.0.1:%s/:_authToken=%s\n' "$REGISTRY_PORT" "$REGISTRY_TOKEN" >"$LOCAL_REGISTRY_NPMRC"
log "verdaccio $("$REGISTRY_TOOLS/node_modules/.bin/verdaccio" --version) on $LOCAL_REGISTRY_URL (pid $REGISTRY_PID)"
