#!/usr/bin/env bash
# The GitHub Action (action.yml): install kubelint if needed, then lint.
#
# Inputs, as environment variables (action.yml passes its inputs this way; the defaults are
# the action's):
#   INPUT_VERSION   git ref (tag, branch, commit) of the action's repository to build; a bare
#                   version `X.Y.Z` also tries the tag `vX.Y.Z`. Empty: this checkout.
#   INPUT_PATHS     files and folders to lint, separated by spaces or newlines (default `.`)
#   INPUT_CONFIG    config file (default: `.kubelint.yaml` searched from the workspace up)
#   INPUT_FORMAT    human | json | sarif | github | junit (default `github`: annotations)
#   INPUT_FAIL_ON   error | warning | info | never (default `error`)
#   INPUT_SARIF     when set, also write SARIF to this file (relative to the workspace)
# Other variables:
#   KUBELINT_BIN         a kubelint binary to use as is (no install)
#   KUBELINT_REPOSITORY  where INPUT_VERSION is fetched from (default: the action's repository)
#   GITHUB_WORKSPACE     the folder kubelint runs in, so its paths and config are the repo's
#   RUNNER_TEMP          where kubelint is installed when it has to be built
#   GITHUB_PATH, GITHUB_STEP_SUMMARY  set by the runner; used when set
#
# Exit code: kubelint's, from the pass with INPUT_FORMAT and INPUT_FAIL_ON (0 clean, 1
# findings at or above fail-on, 2 usage or configuration error). The SARIF pass runs first
# with `--fail-on never`, so the SARIF file exists whatever the result.
set -euo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

version=${INPUT_VERSION:-}
paths_input=${INPUT_PATHS:-.}
config=${INPUT_CONFIG:-}
format=${INPUT_FORMAT:-github}
fail_on=${INPUT_FAIL_ON:-error}
sarif=${INPUT_SARIF:-}

log() { printf 'kubelint-action: %s\n' "$*" >&2; }

# Workflow-command escaping, as @actions/core does it.
escape_data() {
  local s=$1
  s=${s//'%'/%25}
  s=${s//$'\r'/%0D}
  s=${s//$'\n'/%0A}
  printf '%s' "$s"
}
escape_property() {
  local s
  s=$(escape_data "$1")
  s=${s//:/%3A}
  s=${s//,/%2C}
  printf '%s' "$s"
}

fail() {
  printf '::error title=kubelint::%s\n' "$(escape_data "$*")"
  exit 2
}

# The version `kubelint --version` of BINARY prints (`kubelint 0.1.0 (commit date)` -> `0.1.0`).
binary_version() {
  local out words
  out=$("$1" --version 2>/dev/null) || return 0
  read -r -a words <<<"$out"
  printf '%s' "${words[1]:-}"
}

install_from() {
  local source=$1 root=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubelint-action
  command -v cargo >/dev/null ||
    fail "cargo is not on PATH: install Rust first (GitHub's hosted runners have it), or put kubelint on PATH"
  echo "::group::Install kubelint (cargo install --locked)"
  cargo install --locked --force --path "$source" --root "$root" >&2
  echo "::endgroup::"
  kubelint_bin=$root/bin/kubelint
  if [[ -n ${GITHUB_PATH:-} ]]; then
    printf '%s\n' "$root/bin" >>"$GITHUB_PATH"
  fi
}

# Fetches REF of the action's repository (or KUBELINT_REPOSITORY) into a temporary folder.
fetch_ref() {
  local ref=$1 repo=${KUBELINT_REPOSITORY:-} dest candidate candidates
  if [[ -z $repo ]]; then
    [[ -n ${GITHUB_ACTION_REPOSITORY:-} ]] ||
      fail "version: ${ref}: cannot tell which repository to fetch it from (set KUBELINT_REPOSITORY)"
    repo=${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_ACTION_REPOSITORY
  fi
  candidates=("$ref")
  if [[ $ref =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    candidates+=("v$ref")
  fi
  dest=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubelint-src.XXXXXX")
  git -C "$dest" init --quiet
  for candidate in "${candidates[@]}"; do
    if git -C "$dest" fetch --quiet --depth 1 "$repo" "$candidate" 2>/dev/null; then
      git -C "$dest" checkout --quiet --detach FETCH_HEAD
      fetched_source=$dest
      return 0
    fi
  done
  fail "version: cannot fetch ${ref} from ${repo}"
}

# --- pick or install the binary
kubelint_bin=${KUBELINT_BIN:-}
if [[ -n $kubelint_bin ]]; then
  [[ -f $kubelint_bin && -x $kubelint_bin ]] || fail "KUBELINT_BIN=${kubelint_bin} is not an executable"
  # Absolute, as the run below happens in the workspace.
  kubelint_bin=$(cd "$(dirname "$kubelint_bin")" && pwd)/$(basename "$kubelint_bin")
else
  if [[ -z $version ]]; then
    wanted=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_dir/Cargo.toml" | head -n 1)
  else
    wanted=${version#v}
  fi
  if command -v kubelint >/dev/null && [[ $(binary_version kubelint) == "$wanted" ]]; then
    kubelint_bin=$(command -v kubelint)
    log "using $kubelint_bin (kubelint $wanted, already on PATH)"
  elif [[ -z $version ]]; then
    install_from "$action_dir"
  else
    fetched_source=
    fetch_ref "$version"
    install_from "$fetched_source"
  fi
fi

# --- lint
cd "${GITHUB_WORKSPACE:-.}"
# Split on spaces, tabs and newlines; no glob expansion.
read -r -d '' -a paths <<<"$paths_input" || true
if [[ ${#paths[@]} -eq 0 ]]; then
  paths=(.)
fi
options=()
if [[ -n $config ]]; then
  options+=(--config "$config")
fi
stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT

if [[ -n $sarif ]]; then
  mkdir -p "$(dirname "$sarif")"
  status=0
  "$kubelint_bin" check --format sarif --fail-on never ${options[@]+"${options[@]}"} \
    -- "${paths[@]}" >"$sarif" 2>"$stderr_file" || status=$?
  # A configuration error (2) is reported by the pass below; anything else is shown here.
  if [[ $status -ne 0 && $status -ne 2 ]]; then
    cat "$stderr_file" >&2
    log "the SARIF pass exited with $status"
  fi
fi

status=0
"$kubelint_bin" check --format "$format" --fail-on "$fail_on" ${options[@]+"${options[@]}"} \
  -- "${paths[@]}" 2>"$stderr_file" || status=$?
cat "$stderr_file" >&2

if [[ $status -eq 2 ]]; then
  # A usage or configuration error: make it an annotation, on the config file when kubelint
  # says where (`kubelint: /path/.kubelint.yaml:5:15: error: ...`).
  pattern='^kubelint: (.+):([0-9]+):([0-9]+): (error: )?(.*)$'
  while IFS= read -r line; do
    if [[ $line =~ $pattern ]]; then
      file=${BASH_REMATCH[1]#"$PWD"/}
      printf '::error file=%s,line=%s,col=%s,title=kubelint configuration::%s\n' \
        "$(escape_property "$file")" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" \
        "$(escape_data "${BASH_REMATCH[5]}")"
    elif [[ -n $line ]]; then
      printf '::error title=kubelint::%s\n' "$(escape_data "${line#kubelint: }")"
    fi
  done <"$stderr_file"
  if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    {
      printf '## kubelint\n\nkubelint could not run (exit code 2):\n\n```text\n'
      cat "$stderr_file"
      printf '```\n\n'
    } >>"$GITHUB_STEP_SUMMARY"
  fi
elif [[ $format != github && -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  # `--format github` writes the step summary table; other formats do not, so ask it to.
  "$kubelint_bin" check --format github --fail-on never ${options[@]+"${options[@]}"} -- "${paths[@]}" \
    >/dev/null 2>&1 || true
fi

exit "$status"
