#!/usr/bin/env bash
# checkov over the generated HCL: zero failed checks; accepted findings are skip comments inside
# their resources, each with its reason.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/e2e-lib.sh"

"$CACHE/venv/bin/checkov" -d "$ROOT/generated" --framework terraform --quiet --compact --skip-download -o json >"$E2E/checkov.json" 2>"$E2E/checkov.err" || true
python3 - "$E2E/checkov.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d = d if isinstance(d, list) else [d]
passed = sum(r["summary"]["passed"] for r in d)
failed = sum(r["summary"]["failed"] for r in d)
skipped = sum(r["summary"]["skipped"] for r in d)
# A file checkov cannot parse is a file it did not check.
unparsed = sum(r["summary"].get("parsing_errors", 0) for r in d)
for r in d:
    for f in r["results"]["failed_checks"]:
        print(f'failed {f["check_id"]} {f["resource"]} ({f["file_path"]}:{f["file_line_range"][0]})', file=sys.stderr)
print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped, {unparsed} files unparsed")
sys.exit(1 if failed or unparsed else 0)
PY
