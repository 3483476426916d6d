#!/usr/bin/env bash
# Tests `kubelint lsp` with a real LSP client library: pytest-lsp (PyPI, on pygls) starts the
# release binary over stdio and runs tests/lsp/test_lsp.py, once per client whose capabilities
# pytest-lsp ships (VS Code, Neovim 0.7, Emacs), and with Neovim itself (Debian's 0.7).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! command -v nvim >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq neovim >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq neovim >/dev/null
  }
fi
nvim --version | head -n 1

cargo build --release --locked --quiet
venv=$root/target/ci-lsp-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  pytest-lsp==1.0.1 pygls==2.1.1 lsprotocol==2025.0.0
# -W error: a message pytest-lsp finds outside the specification fails the run.
(cd tests/lsp && KUBELINT_BIN=$root/target/release/kubelint "$venv/bin/python" -m pytest -q -W error)
