#!/usr/bin/env bash
# Installs kubernetes-validate (PyPI), the validator tests/schema_corpus.rs compares kubelint's
# schema verdicts with, into a virtual environment in .ci/tools. Prints its python.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/tools/kubernetes-validate"
if ! "$venv/bin/python" -c "import kubernetes_validate" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi
echo "$venv/bin/python"
