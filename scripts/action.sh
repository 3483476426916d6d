# The GitHub Action (action.yml): install kubelint if needed, then lint.
#
#   bash scripts/action.sh install   pick a kubelint (KUBELINT_BIN, PATH, an earlier install
#                                    or a cached build) or download the release for this
#                                    runner; when neither works, say on GITHUB_OUTPUT that the
#                                    next step must build it (build=true) and under which cache
#                                    key (cache-key, cache-path), so action.yml can restore a
#                                    build cached by an earlier run first
#   bash scripts/action.sh build     pick a kubelint as above or build it from source (then
#                                    action.yml saves the build to the cache, before linting
#                                    can fail the job: a failed job saves no cache)
#   bash scripts/action.sh lint      pick a kubelint as above or build it, then lint
#   bash scripts/action.sh           all of it, in one step
#
# Inputs, as environment variables (action.yml passes its inputs this way; the defaults are
# the action's):
#   INPUT_VERSION   which kubelint: a release version `X.Y.Z` or `vX.Y.Z` is downloaded from
#                   the action repository's GitHub release (checksum verified); when no
#                   release matches, or for any other git ref (branch, commit), that ref of the
#                   action's repository is built (a bare `X.Y.Z` also tries the tag `vX.Y.Z`).
#                   Empty: the action's own ref (KUBELINT_ACTION_REF), built from the action's
#                   own source when it is not a released version.
#   INPUT_PATHS     files and folders to lint, separated by spaces or newlines (default `.`)
#   INPUT_CONFIG    config file (default: `.kubelint.yaml` searched from the workspace up)
#   INPUT_FORMAT    human | json | sarif | github | junit (default `github`: annotations)
#   INPUT_FAIL_ON   error | warning | info | never (default `error`)
#   INPUT_SARIF     when set, also write SARIF to this file (relative to the workspace)
# Other variables:
#   KUBELINT_ACTION_REF  the ref the workflow uses the action at (`github.action_ref`)
#   KUBELINT_BIN         a kubelint binary to use as is (no install)
#   KUBELINT_REPOSITORY  where a ref is fetched from (default: the action's repository)
#   KUBELINT_RELEASE_URL for tests only: the base URL of the releases, in place of
#                        https://github.com/OWNER/REPO/releases/download (assets are read
#                        from BASE/vX.Y.Z/kubelint-X.Y.Z-TARGET.tar.gz and its .sha256)
#   GITHUB_WORKSPACE     the folder kubelint runs in, so its paths and config are the repo's
#   RUNNER_TEMP          where kubelint is installed (downloaded or built)
#   RUNNER_OS, RUNNER_ARCH  pick the release asset (uname when unset)
#   GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY  set by the runner; used when set
#
# Exit code: kubelint's, from the pass with INPUT_FORMAT and INPUT_FAIL_ON (0 clean, 1
# findings at or above fail-on, 2 usage or configuration error, or kubelint could not be
# installed, e.g. a download whose checksum does not match). The SARIF pass runs first
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
  local source=$1 root=$install_root
  command -v cargo >/dev/null ||
    fail "cargo is not on PATH: install Rust first (GitHub's hosted runners have it), or put kubelint on PATH"
  echo "::group::Install kubelint (cargo install --locked)"
  cargo install --locked --force --path "$source" --root "$root" >&2
  echo "::endgroup::"
  kubelint_bin=$installed
  add_to_path
}

# The repository a ref is fetched from: KUBELINT_REPOSITORY, or the action's own.
source_repository() {
  if [[ -n ${KUBELINT_REPOSITORY:-} ]]; then
    printf '%s' "$KUBELINT_REPOSITORY"
  else
    [[ -n ${GITHUB_ACTION_REPOSITORY:-} ]] || return 1
    printf '%s' "${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_ACTION_REPOSITORY"
  fi
}

# Fetches REF of the action's repository (or KUBELINT_REPOSITORY) into a temporary folder.
fetch_ref() {
  local ref=$1 repo dest candidate candidates
  repo=$(source_repository) ||
    fail "version: ${ref}: cannot tell which repository to fetch it from (set KUBELINT_REPOSITORY)"
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

# --- pick, download or build the binary
phase=${1:-all}
case $phase in
  install | build | lint | all) ;;
  *) fail "unknown phase ${phase} (install, build, lint, or none for all)" ;;
esac

exe=
case ${RUNNER_OS:-$(uname -s)} in
  Windows | MINGW* | MSYS* | CYGWIN*) exe=.exe ;;
esac
install_root=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubelint-action
installed=$install_root/bin/kubelint$exe

ref=${version:-${KUBELINT_ACTION_REF:-}}
release_version=
if [[ $ref =~ ^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
  release_version=${ref#v}
fi
if [[ -n $release_version ]]; then
  wanted=$release_version
elif [[ -z $version ]]; then
  wanted=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_dir/Cargo.toml" | head -n 1)
else
  wanted=${version#v}
fi

# Sets kubelint_bin to a kubelint that needs no install: KUBELINT_BIN, one of the wanted
# version on PATH, or the one an earlier step (or the cache) left in the install folder.
pick_existing() {
  kubelint_bin=${KUBELINT_BIN:-}
  if [[ -n $kubelint_bin ]]; then
    [[ -f $kubelint_bin && -x $kubelint_bin ]] || fail "KUBELINT_BIN=${kubelint_bin} is not an executable"
    # Absolute, as the run below happens in the workspace.
    kubelint_bin=$(cd "$(dirname "$kubelint_bin")" && pwd)/$(basename "$kubelint_bin")
    return 0
  fi
  if command -v kubelint >/dev/null && [[ $(binary_version kubelint) == "$wanted" ]]; then
    kubelint_bin=$(command -v kubelint)
    log "using $kubelint_bin (kubelint $wanted, already on PATH)"
    return 0
  fi
  if [[ -x $installed && -f $install_root/installed-from ]] &&
    [[ $(cat "$install_root/installed-from") == "$(install_key)" ]]; then
    kubelint_bin=$installed
    log "using $kubelint_bin ($(cat "$install_root/installed-from"))"
    add_to_path
    return 0
  fi
  kubelint_bin=
  return 1
}

add_to_path() {
  if [[ -n ${GITHUB_PATH:-} ]]; then
    printf '%s\n' "$install_root/bin" >>"$GITHUB_PATH"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$@"
  else
    shasum -a 256 "$@"
  fi
}

# The release asset's target triple for this runner; empty when there is none. Linux gets
# the static musl build, which also runs in Alpine and other containers.
release_target() {
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  case $os/$arch in
    Linux/X64 | Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64 | Linux/arm64) echo aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) echo x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) echo aarch64-apple-darwin ;;
    Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) echo x86_64-pc-windows-msvc ;;
  esac
}

# What the install folder holds, in one line (`installed-from` in it): the release and
# target, or the source and the hash of its contents, so that a cached build is used only
# for the very source it was built from.
install_key() {
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  if [[ -n $release_version && -n $(release_target) && -z ${build_reason:-} ]]; then
    printf 'release v%s %s' "$release_version" "$(release_target)"
  elif [[ -z $version ]]; then
    printf 'source %s-%s-%s' "$os" "$arch" "$(source_hash "$action_dir")"
  else
    printf 'ref %s-%s-%s' "$os" "$arch" "$(ref_commit)"
  fi
}

# The commit INPUT_VERSION names in the repository it is fetched from (a branch moves, so
# its name alone cannot key a cache); `unknown` when the repository cannot say.
ref_commit() {
  local commit
  if [[ $version =~ ^[0-9a-f]{40}$ ]]; then
    printf '%s' "$version"
    return
  fi
  commit=$(git ls-remote "$(source_repository)" "$version" "refs/tags/v${version#v}" \
    2>/dev/null | head -n 1 | cut -f1) || true
  printf '%s' "${commit:-unknown}"
}

# A hash of everything the build reads, so the cache key changes with any source change.
source_hash() {
  (cd "$1" && find Cargo.toml Cargo.lock build.rs src rules -type f 2>/dev/null | LC_ALL=C sort |
    while IFS= read -r file; do sha256 "$file"; done | sha256 | cut -c1-32)
}

# Downloads the release asset of release_version for this runner, checks its SHA-256 and
# installs it. Returns 1 when there is no such release (the caller builds instead); a
# checksum that does not match is an error.
download_release() {
  local target base folder name dir expected actual
  target=$(release_target)
  if [[ -z $target ]]; then
    log "no release build for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}"
    return 1
  fi
  command -v curl >/dev/null || {
    log "curl is not on PATH: cannot download the release"
    return 1
  }
  base=${KUBELINT_RELEASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_ACTION_REPOSITORY:-kubelint/kubelint}/releases/download}
  base=${base%/}/v$release_version
  folder=kubelint-$release_version-$target
  if [[ $target == *windows* ]]; then name=$folder.zip; else name=$folder.tar.gz; fi
  dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubelint-download.XXXXXX")
  if ! curl -fsSL --retry 3 -o "$dir/$name" "$base/$name" ||
    ! curl -fsSL --retry 3 -o "$dir/$name.sha256" "$base/$name.sha256"; then
    log "no release asset $base/$name"
    rm -rf "$dir"
    return 1
  fi
  read -r expected _ <"$dir/$name.sha256"
  read -r actual _ < <(sha256 "$dir/$name")
  if [[ $expected != "$actual" ]]; then
    rm -rf "$dir"
    fail "the SHA-256 of $name is $actual, but the release says $expected: not installed"
  fi
  echo "::group::Install kubelint $release_version ($target, SHA-256 $actual)"
  if [[ $name == *.zip ]]; then
    if command -v unzip >/dev/null; then
      unzip -q "$dir/$name" -d "$dir"
    else
      powershell -NoProfile -Command "Expand-Archive -LiteralPath '$dir/$name' -DestinationPath '$dir'"
    fi
  else
    tar -xzf "$dir/$name" -C "$dir"
  fi
  mkdir -p "$install_root/bin"
  mv -f "$dir/$folder/kubelint$exe" "$installed"
  chmod +x "$installed"
  rm -rf "$dir"
  echo "::endgroup::"
  [[ $(binary_version "$installed") == "$release_version" ]] ||
    fail "the downloaded kubelint says $("$installed" --version 2>&1), not $release_version"
  install_key >"$install_root/installed-from"
  kubelint_bin=$installed
  log "downloaded kubelint $release_version for $target from $base"
  add_to_path
}

# Builds kubelint from the action's source or from the ref asked for.
build_from_source() {
  if [[ -z $version ]]; then
    install_from "$action_dir"
  else
    fetched_source=
    fetch_ref "$version"
    install_from "$fetched_source"
  fi
  install_key >"$install_root/installed-from"
}

build_reason=
if ! pick_existing; then
  if [[ -n $release_version ]] && download_release; then
    :
  else
    # From here on the install folder holds (or will hold) a build from source.
    build_reason=no-release
    if ! pick_existing; then
      if [[ $phase == install ]]; then
        log "kubelint will be built from source (cache key: $(install_key))"
        if [[ -n ${GITHUB_OUTPUT:-} ]]; then
          echo "build=true" >>"$GITHUB_OUTPUT"
          # No cache for a ref whose commit is unknown: the key would not name its source.
          if [[ $(install_key) != *-unknown ]]; then
            echo "cache-key=kubelint-$(install_key | tr ' ' '-')" >>"$GITHUB_OUTPUT"
            echo "cache-path=$install_root" >>"$GITHUB_OUTPUT"
          fi
        fi
      else
        build_from_source
      fi
    fi
  fi
fi
[[ $phase == install || $phase == build ]] && exit 0

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
