#!/usr/bin/env bash
# Lints every GitHub Actions workflow in .github/workflows with actionlint (built from source by
# scripts/tools.sh). Exit 0 when every workflow passes; otherwise the findings, one per line, and 1.
source "$(dirname "$0")/lib.sh"
started=$(date +%s)
ACTIONLINT="$("$ROOT/scripts/tools.sh" actionlint)"
shopt -s nullglob
workflows=("$ROOT"/.github/workflows/*.yml "$ROOT"/.github/workflows/*.yaml)
[ "${#workflows[@]}" -gt 0 ] || { echo "FAIL no workflow in .github/workflows" >&2; exit 1; }
failed=0
for wf in "${workflows[@]}"; do
  rel="${wf#"$ROOT"/}"
  # -shellcheck= : the run scripts are linted for their expressions and syntax, not with shellcheck.
  if out="$(cd "$ROOT" && "$ACTIONLINT" -no-color -shellcheck= "$rel" 2>&1)"; then
    printf 'PASS actionlint %s\n' "$rel"
  else
    failed=1
    printf 'FAIL actionlint %s:\n%s\n' "$rel" "$out"
  fi
done
printf '%s: actionlint %s on %d workflows in %d s\n' "$([ $failed = 0 ] && echo PASS || echo FAIL)" "$("$ACTIONLINT" -version | head -1)" "${#workflows[@]}" "$(( $(date +%s) - started ))"
exit "$failed"
