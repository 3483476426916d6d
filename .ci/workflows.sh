#!/usr/bin/env bash
# Checks the GitHub workflows (.github/workflows/*.yml) and the action (action.yml) the way
# GitHub and a security review would: against GitHub's JSON schemas (check-jsonschema's
# built-in vendor.github-workflows and vendor.github-actions), with zizmor's offline audits
# (template injection, credentials left in checkouts, excessive permissions, unpinned
# actions), and that every `uses:` is pinned by a full commit SHA. Both tools come from PyPI
# (pinned) into target/ci-venv. actionlint is not used: its PyPI package downloads its
# binary when it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$PWD/target/ci-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  check-jsonschema==0.39.0 zizmor==1.32.0

workflows=(.github/workflows/*.yml)

echo "--- check-jsonschema: GitHub's workflow and action schemas"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml

echo "--- zizmor --offline"
"$venv/bin/zizmor" --offline --no-progress "${workflows[@]}" action.yml

echo "--- every action is pinned by a full commit SHA"
unpinned=$(grep -nE '^\s*-?\s*uses:' "${workflows[@]}" action.yml |
  grep -vE 'uses:\s*[^@[:space:]]+@[0-9a-f]{40}\s+#\s*v[0-9]' || true)
if [[ -n $unpinned ]]; then
  echo "FAIL: not pinned by commit (with a comment naming its tag):" >&2
  echo "$unpinned" >&2
  exit 1
fi
echo "workflows: ${#workflows[@]} workflows and action.yml checked"
