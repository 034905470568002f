# Starts moto's server (the AWS emulator) on a free loopback port and stops it when the calling
# script exits, whatever the exit. Source it; it exports MOTO_URL and the dummy credentials.
# shellcheck shell=bash

MOTO_LOG="$ROOT/.tmp/e2e/moto-$$.log"
mkdir -p "$(dirname "$MOTO_LOG")"
MOTO_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
# Requests signed with the dummy keys act in the deployment account of the example config.
export MOTO_ACCOUNT_ID="${MOTO_ACCOUNT_ID:-111111111111}"
# AWS managed policies exist (roles attach them), and ACM certificates are issued at once (AWS issues a
# DNS-validated one within minutes of its record; moto waits 60 s by default).
MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_ACM_VALIDATION_WAIT=0 \
  "$CACHE/venv/bin/python" "$ROOT/scripts/moto-server.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!

stop_moto() {
  kill -TERM "$MOTO_PID" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$MOTO_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$MOTO_PID" 2>/dev/null || true
}
trap stop_moto EXIT
trap 'exit 130' INT TERM

export MOTO_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-central-1 AWS_DEFAULT_REGION=eu-central-1
export AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 100); do
  curl -sf -o /dev/null "$MOTO_URL/moto-api/" && break
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$MOTO_LOG" >&2; exit 1; }
  sleep 0.1
done
curl -sf -o /dev/null "$MOTO_URL/moto-api/" || { echo "moto did not start" >&2; exit 1; }
log "moto $("$CACHE/venv/bin/python" -c 'import moto; print(moto.__version__)') on $MOTO_URL (pid $MOTO_PID)"
