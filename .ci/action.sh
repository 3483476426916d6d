#!/usr/bin/env bash
# Tests the GitHub Action: action.yml's structure, and scripts/action.sh (what the action runs)
# with the runner's environment variables, against testdata/repo and testdata/bad-config.
# Both ways of installing are run: the download of a release (from a release-like folder that
# scripts/release-archive.py packs here, served by a local HTTP server on 127.0.0.1), with its
# checksum, and the fallback to a cached build from source when no release matches.
#
#   KUBELINT_CI_KEEP=1     keep the temporary folder (each case's stdout, stderr, summary)
#   KUBELINT_CI_INSTALL=1  also test installing a `version` ref fetched from a git repository
#                          (a second release build of kubelint, in target/ci-action-install)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo build --release --locked --quiet
bin_dir=$root/target/release
help=$("$bin_dir/kubelint" check --help)
grep -q -- '- github:' <<<"$help" || {
  echo "kubelint has no --format github yet" >&2
  exit 1
}

venv=$root/target/ci-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check PyYAML

tmp=$(mktemp -d)
if [[ ${KUBELINT_CI_KEEP:-0} == 1 ]]; then
  echo "(keeping $tmp)"
else
  trap 'rm -rf "$tmp"' EXIT
fi

failures=0
passes=0
check() { # DESCRIPTION COMMAND...: runs COMMAND, counts it
  if "${@:2}"; then
    passes=$((passes + 1))
  else
    failures=$((failures + 1))
    echo "FAIL: $1" >&2
  fi
}
contains() { grep -qF -- "$2" "$1"; }

echo "--- action.yml's structure"
check "action.yml is a valid composite action" "$venv/bin/python" - action.yml scripts/action.sh <<'EOF'
import re, sys, yaml

action_path, script_path = sys.argv[1], sys.argv[2]
action = yaml.safe_load(open(action_path))
script = open(script_path).read()
problems = []
for key in ("name", "description", "inputs", "runs"):
    if key not in action:
        problems.append(f"no `{key}`")
inputs = action.get("inputs") or {}
for name, spec in inputs.items():
    if not isinstance(spec, dict) or "description" not in spec:
        problems.append(f"input {name}: no description")
    elif "default" in spec and not isinstance(spec["default"], str):
        problems.append(f"input {name}: the default is not a string")
runs = action.get("runs") or {}
if runs.get("using") != "composite":
    problems.append(f"runs.using is {runs.get('using')!r}, not composite")
steps = runs.get("steps") or []
if not steps:
    problems.append("no steps")
text = open(action_path).read()
referenced = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", text))
for name in sorted(referenced - set(inputs)):
    problems.append(f"inputs.{name} is referenced but not declared")
for name in sorted(set(inputs) - referenced):
    problems.append(f"input {name} is declared but never passed on")
env_set = set()
for index, step in enumerate(steps):
    if "run" in step:
        if "shell" not in step:
            problems.append(f"step {index}: a composite `run` step needs `shell`")
        if "scripts/action.sh" not in step["run"]:
            problems.append(f"step {index}: runs something else than scripts/action.sh")
        if "${{" in step["run"]:
            problems.append(f"step {index}: expressions in `run` (pass them through env)")
    elif "uses" not in step:
        problems.append(f"step {index}: neither run nor uses")
    env_set |= set((step.get("env") or {}))
for name in sorted(set(re.findall(r"\bINPUT_[A-Z_]+", script)) - env_set):
    problems.append(f"scripts/action.sh reads {name}, which no step sets")
for name in sorted(env_set - set(re.findall(r"\b(?:INPUT|KUBELINT)_[A-Z_]+", script))):
    problems.append(f"action.yml sets {name}, which scripts/action.sh never reads")
for problem in problems:
    print(f"action.yml: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# A PATH on which no kubelint can be found (the runner's state before the action installs it).
bare_path=
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [[ -n $dir && ! -x $dir/kubelint ]] && bare_path=${bare_path:+$bare_path:}$dir
done

# The release layout: BASE/vX.Y.Z/kubelint-X.Y.Z-TARGET.tar.gz and its .sha256, as
# release.yml uploads them, served on 127.0.0.1 (every case uses it, so none reaches GitHub).
# The binary is this machine's (the runner here is Linux X64).
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
releases=$tmp/releases
python3 scripts/release-archive.py x86_64-unknown-linux-musl "$bin_dir/kubelint" \
  "$releases/good/v$version" >/dev/null
mkdir -p "$releases/tampered"
cp -R "$releases/good/v$version" "$releases/tampered/"
printf 'garbage' >>"$releases/tampered/v$version/kubelint-$version-x86_64-unknown-linux-musl.tar.gz"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$releases" "$port" >"$tmp/http.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; [[ ${KUBELINT_CI_KEEP:-0} == 1 ]] || rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.1
done
base=http://127.0.0.1:$port

# A PATH without kubelint and without cargo: a runner on which nothing can be built.
no_cargo_path=
for dir in "${path_dirs[@]}"; do
  [[ -n $dir && ! -x $dir/kubelint && ! -x $dir/cargo ]] && no_cargo_path=${no_cargo_path:+$no_cargo_path:}$dir
done

# Runs scripts/action.sh as the runner would: NAME (for the output files), then VAR=VALUE...
# The workspace is a copy of testdata/repo unless WORKSPACE_FROM is given.
run_action() {
  local name=$1 status=0
  shift
  local case_dir=$tmp/$name
  mkdir -p "$case_dir/runner-temp"
  : >"$case_dir/summary.md"
  : >"$case_dir/path"
  : >"$case_dir/output"
  (
    export GITHUB_ACTIONS=true CI=true
    export GITHUB_WORKSPACE=$case_dir/workspace
    export GITHUB_STEP_SUMMARY=$case_dir/summary.md
    export GITHUB_PATH=$case_dir/path
    export RUNNER_TEMP=$case_dir/runner-temp
    export GITHUB_ACTION_PATH=$root GITHUB_ACTION_REPOSITORY=kubelint/kubelint
    export INPUT_VERSION='' INPUT_PATHS=. INPUT_CONFIG='' INPUT_FORMAT=github
    export INPUT_FAIL_ON=error INPUT_SARIF=''
    export PATH=$bin_dir:$PATH WORKSPACE_FROM=$root/testdata/repo
    export RUNNER_OS=Linux RUNNER_ARCH=X64 GITHUB_OUTPUT=$case_dir/output
    unset KUBELINT_BIN KUBELINT_REPOSITORY KUBELINT_ACTION_REF
    export KUBELINT_RELEASE_URL=$base/good
    for assignment in "$@"; do
      export "${assignment?}"
    done
    cp -R "$WORKSPACE_FROM" "$GITHUB_WORKSPACE"
    cd "$GITHUB_WORKSPACE"
    # The phases as action.yml runs them, as steps (the cache steps between them aside).
    for phase in ${PHASES:-install build lint}; do
      bash "$root/scripts/action.sh" "$phase" >>"$case_dir/stdout" 2>>"$case_dir/stderr" || exit $?
    done
  ) || status=$?
  echo "$status" >"$case_dir/status"
}
status_is() { [[ $(cat "$tmp/$1/status") == "$2" ]]; }
is_json() { "$venv/bin/python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
is_sarif() {
  "$venv/bin/python" -c '
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0", log.get("version")
assert log["runs"][0]["results"], "no results"
' "$1"
}

echo "--- the defaults on testdata/repo, with SARIF (kubelint on PATH)"
run_action defaults INPUT_SARIF=reports/kubelint.sarif
check "exit code 1 (errors)" status_is defaults 1
check "annotation for toolbox.yaml:24:14" contains "$tmp/defaults/stdout" \
  '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'
check "warnings are annotations too" contains "$tmp/defaults/stdout" '::warning file='
check "the kubelint on PATH is used, not built" contains "$tmp/defaults/stderr" 'already on PATH'
check "the SARIF file is JSON" is_json "$tmp/defaults/workspace/reports/kubelint.sarif"
check "the SARIF file is SARIF 2.1.0 with results" is_sarif "$tmp/defaults/workspace/reports/kubelint.sarif"
check "the step summary is not empty" test -s "$tmp/defaults/summary.md"
check "the step summary has the table" contains "$tmp/defaults/summary.md" '| Severity | Rule |'

echo "--- fail-on never: the annotations, and success"
run_action never INPUT_FAIL_ON=never
check "exit code 0" status_is never 0
check "annotations still printed" contains "$tmp/never/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'

echo "--- fail-on warning on a path with warnings only"
run_action warning INPUT_FAIL_ON=warning INPUT_PATHS=.pipeline/k8s/overlays/prod/clb-service.yaml
check "exit code 1" status_is warning 1
run_action warning-error INPUT_PATHS=.pipeline/k8s/overlays/prod/clb-service.yaml
check "exit code 0 when only errors fail" status_is warning-error 0

echo "--- several paths, KUBELINT_BIN instead of PATH"
run_action bin "KUBELINT_BIN=$bin_dir/kubelint" "PATH=$bare_path" \
  "INPUT_PATHS=.pipeline/k8s/overlays/prod/toolbox.yaml
.pipeline/k8s/overlays/prod/jobs.yaml"
check "exit code 1" status_is bin 1
check "the first path is linted" contains "$tmp/bin/stdout" 'file=.pipeline/k8s/overlays/prod/toolbox.yaml,'
check "the second path is linted" contains "$tmp/bin/stdout" 'file=.pipeline/k8s/overlays/prod/jobs.yaml,'
check "nothing else is linted" bash -c "! grep -q 'file=.pipeline/k8s/overlays/prod/mongodb.yaml' '$tmp/bin/stdout'"

echo "--- format json: the output is JSON, the summary is still written"
run_action json INPUT_FORMAT=json
check "exit code 1" status_is json 1
check "stdout is JSON" is_json "$tmp/json/stdout"
check "the step summary has the table" contains "$tmp/json/summary.md" '| Severity | Rule |'

echo "--- an explicit config file (not named .kubelint.yaml, so only --config finds it)"
cp -R testdata/repo "$tmp/renamed-config"
mv "$tmp/renamed-config/.kubelint.yaml" "$tmp/renamed-config/kubelint-ci.yaml"
run_action config "WORKSPACE_FROM=$tmp/renamed-config" INPUT_CONFIG=kubelint-ci.yaml
check "exit code 1" status_is config 1
check "the config's environments apply" contains "$tmp/config/stdout" \
  '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,endLine=24,endColumn=47,title=dockerhub-image-in-china::'
run_action no-config "WORKSPACE_FROM=$tmp/renamed-config"
check "without it they do not" bash -c "! grep -q 'title=dockerhub-image-in-china' '$tmp/no-config/stdout'"

echo "--- a configuration error (testdata/bad-config)"
run_action bad "WORKSPACE_FROM=$root/testdata/bad-config" INPUT_SARIF=kubelint.sarif
check "exit code 2" status_is bad 2
check "an annotation on the config file" contains "$tmp/bad/stdout" \
  '::error file=.kubelint.yaml,line=5,col=15,title=kubelint configuration::'
check "the step summary says why" contains "$tmp/bad/summary.md" 'unknown variant'

echo "--- installing: from the action's own source (cargo install, reusing target/)"
run_action own-source "PATH=$bare_path" "CARGO_TARGET_DIR=$root/target"
check "exit code 1" status_is own-source 1
check "installed with cargo" contains "$tmp/own-source/stdout" '::group::Install kubelint'
check "annotations" contains "$tmp/own-source/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'
check "the install folder is added to GITHUB_PATH" contains "$tmp/own-source/path" "$tmp/own-source/runner-temp/kubelint-action/bin"

echo "--- installing: a version that cannot be fetched"
run_action no-ref "PATH=$bare_path" INPUT_VERSION=9.9.9 "KUBELINT_REPOSITORY=$tmp/nowhere"
check "exit code 2" status_is no-ref 2
check "an error annotation" contains "$tmp/no-ref/stdout" '::error title=kubelint::version: cannot fetch 9.9.9'
run_action other-version INPUT_VERSION=9.9.9 "KUBELINT_REPOSITORY=$tmp/nowhere"
check "a kubelint of another version on PATH is not used" status_is other-version 2

echo "--- installing: a release download from a local server standing in for GitHub's releases"

run_action download "PATH=$no_cargo_path" "INPUT_VERSION=$version" "KUBELINT_RELEASE_URL=$base/good"
check "exit code 1" status_is download 1
check "downloaded, checksum verified" contains "$tmp/download/stdout" "::group::Install kubelint $version (x86_64-unknown-linux-musl, SHA-256 "
check "annotations" contains "$tmp/download/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'
check "the install folder is added to GITHUB_PATH" contains "$tmp/download/path" "$tmp/download/runner-temp/kubelint-action/bin"
check "nothing to build, so no cache key" bash -c "! grep -q build=true '$tmp/download/output'"
check "the asset was fetched from the server" grep -q "GET /good/v$version/kubelint-$version-x86_64-unknown-linux-musl.tar.gz.sha256 HTTP/1.[01]\" 200" "$tmp/http.log"

run_action own-ref "PATH=$no_cargo_path" "KUBELINT_ACTION_REF=v$version" "KUBELINT_RELEASE_URL=$base/good"
check "no version input: the action's own ref v$version is downloaded" status_is own-ref 1
check "(downloaded)" contains "$tmp/own-ref/stderr" "downloaded kubelint $version"

run_action tampered "PATH=$no_cargo_path" "INPUT_VERSION=v$version" "KUBELINT_RELEASE_URL=$base/tampered"
check "a checksum mismatch is an error (exit 2)" status_is tampered 2
check "with an annotation" contains "$tmp/tampered/stdout" "::error title=kubelint::the SHA-256 of kubelint-$version-x86_64-unknown-linux-musl.tar.gz is "
check "and nothing is installed" test ! -e "$tmp/tampered/runner-temp/kubelint-action/bin/kubelint"

echo "--- installing: no release matches the action's ref, so its source is built (cached)"
run_action fallback "PATH=$bare_path" "CARGO_TARGET_DIR=$root/target" KUBELINT_ACTION_REF=v9.9.9 \
  "KUBELINT_RELEASE_URL=$base/good"
check "exit code 1" status_is fallback 1
check "the release was looked for" contains "$tmp/fallback/stderr" "no release asset $base/good/v9.9.9/kubelint-9.9.9-x86_64-unknown-linux-musl.tar.gz"
check "the install step asks for a build" grep -qx 'build=true' "$tmp/fallback/output"
check "under a cache key naming the source" grep -qE '^cache-key=kubelint-source-Linux-X64-[0-9a-f]{32}$' "$tmp/fallback/output"
check "and the folder to cache" grep -qx "cache-path=$tmp/fallback/runner-temp/kubelint-action" "$tmp/fallback/output"
check "built with cargo" contains "$tmp/fallback/stdout" '::group::Install kubelint (cargo install'
check "annotations" contains "$tmp/fallback/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'

# What actions/cache restores in a later run: the same folder, on a runner without cargo.
mkdir -p "$tmp/cached/runner-temp"
cp -R "$tmp/fallback/runner-temp/kubelint-action" "$tmp/cached/runner-temp/"
run_action cached "PATH=$no_cargo_path" KUBELINT_ACTION_REF=v9.9.9 "KUBELINT_RELEASE_URL=$base/good"
check "a restored build is used without cargo" status_is cached 1
check "(the cached build)" contains "$tmp/cached/stderr" 'kubelint-action/bin/kubelint (source Linux-X64-'
check "and no second cache key is needed" bash -c "! grep -q build=true '$tmp/cached/output'"
check "annotations" contains "$tmp/cached/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'

# A changed source must not reuse that build.
mkdir -p "$tmp/stale/runner-temp"
cp -R "$tmp/fallback/runner-temp/kubelint-action" "$tmp/stale/runner-temp/"
sed -i 's/^source /source stale-/' "$tmp/stale/runner-temp/kubelint-action/installed-from"
run_action stale "PATH=$no_cargo_path" KUBELINT_ACTION_REF=v9.9.9 "KUBELINT_RELEASE_URL=$base/good"
check "a build of other source is not used (no cargo here: exit 2)" status_is stale 2
check "(it asks for cargo)" contains "$tmp/stale/stdout" 'cargo is not on PATH'

if [[ ${KUBELINT_CI_INSTALL:-0} == 1 ]]; then
  echo "--- installing: a tag fetched from a repository (a second release build)"
  source_repo=$tmp/source-repo
  mkdir -p "$source_repo"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
      [[ -e $file ]] && printf '%s\0' "$file"
    done | xargs -0 cp --parents -t "$source_repo"
  git -C "$source_repo" init --quiet
  git -C "$source_repo" add -A
  git -C "$source_repo" -c user.name=ci -c user.email=ci@example.invalid commit --quiet -m snapshot
  git -C "$source_repo" tag "v$version"
  started=$SECONDS
  run_action tag "PATH=$bare_path" "CARGO_TARGET_DIR=$root/target/ci-action-install" \
    "INPUT_VERSION=$version" "KUBELINT_REPOSITORY=$source_repo"
  echo "(the build took $((SECONDS - started)) s)"
  check "exit code 1" status_is tag 1
  check "annotations" contains "$tmp/tag/stdout" '::error file=.pipeline/k8s/overlays/prod/toolbox.yaml,line=24,col=14,'
fi

if [[ $failures -ne 0 ]]; then
  for dir in "$tmp"/*/; do
    [[ -f $dir/status ]] || continue
    echo "=== $(basename "$dir"): exit $(cat "$dir/status")" >&2
    tail -n 5 "$dir/stdout" "$dir/stderr" >&2 || true
  done
fi
echo "action: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
