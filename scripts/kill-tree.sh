# kill_tree <pid>: stops a background job and everything it started (its children first), for the
# scripts that run steps beside each other (.ci/run, scripts/e2e.sh). Sourced; defines only that.
kill_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}
