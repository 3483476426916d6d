#!/usr/bin/env bash
# Tests the PyPI package (pyproject.toml): builds the manylinux2014 wheel the release ships
# (maturin with zig from the PyPI package `ziglang`, linking against glibc 2.17), checks its
# platform tag with `auditwheel show`, installs it into a fresh virtual environment with nothing
# else, and runs the kubelint it installed. Also builds the source distribution, checks what it
# holds, and builds kubelint from it (no .git there) to see `--version` name the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=$root/target/ci-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  maturin==1.16.0 ziglang==0.17.1 auditwheel==6.8.2
"$venv/bin/maturin" --version

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
passes=0
check() { # DESCRIPTION COMMAND...
  if "${@:2}"; then
    passes=$((passes + 1))
  else
    failures=$((failures + 1))
    echo "FAIL: $1" >&2
  fi
}

version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)

echo "--- maturin build --release --locked --zig --compatibility manylinux2014"
# maturin finds zig through the virtualenv's `python -m ziglang`, so its bin goes first on PATH.
started=$SECONDS
if ! PATH=$venv/bin:$PATH CARGO_TARGET_DIR=$root/target "$venv/bin/maturin" build --release \
  --locked --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu \
  --out "$tmp/dist" >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  echo "maturin build failed" >&2
  exit 1
fi
grep -vE '^ +(Compiling|Fresh) ' "$tmp/build.log" | tail -n 4
echo "(built in $((SECONDS - started)) s)"
wheels=("$tmp"/dist/kubelint-*.whl)
check "one wheel was built" test -f "${wheels[0]}"
wheel=${wheels[0]}
echo "$(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
named_for_version() { [[ $(basename "$wheel") == kubelint-"$version"-py3-none-* ]]; }
check "the wheel's version is Cargo.toml's ($version)" named_for_version
tagged_manylinux2014() { [[ $(basename "$wheel") == *-manylinux2014_x86_64.manylinux_2_17_x86_64.whl ]]; }
check "the wheel is tagged manylinux2014 (manylinux_2_17)" tagged_manylinux2014

echo "--- auditwheel show: the glibc symbols the binary needs allow manylinux_2_17"
"$venv/bin/auditwheel" show "$wheel" >"$tmp/auditwheel.log" 2>&1 || {
  cat "$tmp/auditwheel.log" >&2
  failures=$((failures + 1))
}
sed 's/^/    /' "$tmp/auditwheel.log"
# auditwheel wraps its lines; join them before reading the tag it allows.
audit_allows_2_17() { tr '\n' ' ' <"$tmp/auditwheel.log" | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; }
check "auditwheel: consistent with manylinux_2_17_x86_64" audit_allows_2_17
check "the wheel holds the binary and its metadata only" "$venv/bin/python" - "$wheel" "$version" <<'EOF'
import sys, zipfile
wheel, version = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
binary = [n for n in names if n.startswith(f"kubelint-{version}.data/scripts/kubelint")]
others = [n for n in names if n not in binary and not n.startswith(f"kubelint-{version}.dist-info/")]
if len(binary) != 1 or others:
    sys.exit(f"unexpected wheel contents: {names}")
EOF

echo "--- pip install into a fresh virtual environment (no index: the wheel needs nothing else)"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
kubelint=$tmp/venv/bin/kubelint
check "kubelint is installed into the environment's bin" test -x "$kubelint"
prints_version() { [[ $("$kubelint" --version) == "kubelint $version ("*")" ]]; }
check "kubelint --version" prints_version

echo "--- kubelint check on testdata/repo, from the environment's PATH"
status=0
(cd testdata/repo && PATH=$tmp/venv/bin:$PATH kubelint check) >"$tmp/out" 2>&1 || status=$?
check "exit code 1 (findings)" test "$status" -eq 1
check "the findings are there" grep -q '.pipeline/k8s/overlays/prod/toolbox.yaml:24:14' "$tmp/out"
check "dockerhub-image-in-china fires (the config was found)" grep -q 'dockerhub-image-in-china' "$tmp/out"
status=0
(cd testdata/repo && "$kubelint" check --fail-on never --format json) >"$tmp/json" || status=$?
check "--fail-on never exits 0" test "$status" -eq 0
check "--format json is JSON with findings" "$venv/bin/python" -c \
  'import json, sys; assert json.load(open(sys.argv[1]))' "$tmp/json"
rules_embedded() { # (not `kubelint rules | grep -q`: grep's early exit breaks the pipe)
  local rules
  rules=$("$kubelint" rules)
  grep -q '^dockerhub-image-in-china ' <<<"$rules"
}
check "the built-in rules are embedded" rules_embedded

echo "--- the wheel in pre-commit, without Rust: a local hook with additional_dependencies"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit
project=$tmp/project
mkdir -p "$project/k8s"
cat >"$project/.kubelint.yaml" <<'EOF'
environments:
  prod: { paths: ["k8s/**"], platform: ack, region: cn-shanghai }
EOF
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: cache}\nspec:\n  containers:\n    - {name: redis, image: "redis:7.2-alpine"}\n' \
  >"$project/k8s/pod.yaml"
cat >"$project/.pre-commit-config.yaml" <<EOF
repos:
  - repo: local
    hooks:
      - id: kubelint
        name: kubelint
        entry: kubelint check
        language: python
        additional_dependencies: ["kubelint==$version"]
        types_or: [yaml, json]
        require_serial: true
EOF
git -C "$project" init --quiet
git -C "$project" add -A
git -C "$project" -c user.name=ci -c user.email=ci@example.invalid commit --quiet -m project
status=0
failures_before=$failures
# pip, inside pre-commit, finds kubelint in dist/ (as it will on PyPI once published; the
# index, which has no kubelint, serves pre-commit's own setuptools), with no cargo on PATH:
# nothing can be built from source.
(cd "$project" && PIP_FIND_LINKS=$tmp/dist PRE_COMMIT_HOME=$tmp/pre-commit-home \
  PATH=$(dirname "$(command -v git)"):/usr/bin:/bin "$venv/bin/pre-commit" run --all-files) \
  >"$tmp/pre-commit.log" 2>&1 || status=$?
check "the hook fails on the Docker Hub image" test "$status" -eq 1
check "with the finding" grep -q 'k8s/pod.yaml:6:28' "$tmp/pre-commit.log"
if [[ $failures -ne $failures_before ]]; then
  cat "$tmp/pre-commit.log" >&2
fi

echo "--- the source distribution, with the COMMIT file the release workflow writes"
[[ ! -e COMMIT ]] || { echo "FAIL: a COMMIT file is in the checkout" >&2; exit 1; }
commit="$(git log -1 --format=%h --abbrev=12 2>/dev/null || echo 0123456789ab) 2026-01-02"
printf '%s\n' "$commit" >COMMIT
status=0
"$venv/bin/maturin" sdist --out "$tmp/dist" >"$tmp/sdist.log" 2>&1 || status=$?
rm -f COMMIT
[[ $status -eq 0 ]] || { cat "$tmp/sdist.log" >&2; exit 1; }
sdists=("$tmp"/dist/kubelint-*.tar.gz)
check "one sdist was built" test -f "${sdists[0]}"
tar -tzf "${sdists[0]}" | sed "s|^kubelint-$version/||" | sort >"$tmp/sdist-files"
for needed in Cargo.toml Cargo.lock build.rs pyproject.toml README.md LICENSE-MIT LICENSE-APACHE \
  COMMIT src/main.rs rules/registry/dockerhub-image-in-china.yaml; do
  check "the sdist has $needed" grep -qx -- "$needed" "$tmp/sdist-files"
done
sdist_is_lean() { ! grep -E '^(tests|testdata|\.ci|scripts)/|^action\.yml$' "$tmp/sdist-files"; }
check "the sdist has no tests, fixtures or CI files" sdist_is_lean

echo "--- kubelint built from the sdist (no .git): --version names the commit, or says it is unknown"
mkdir -p "$tmp/sdist"
tar -xzf "${sdists[0]}" -C "$tmp/sdist"
source_dir=$tmp/sdist/kubelint-$version
# target/: the dependencies the test build compiled are reused; only kubelint is built.
sdist_target=$root/target
started=$SECONDS
(cd "$source_dir" && CARGO_TARGET_DIR=$sdist_target cargo build --locked --quiet)
shown=$("$sdist_target/debug/kubelint" --version)
echo "$shown"
check "from the COMMIT file: kubelint $version ($commit)" test "$shown" = "kubelint $version ($commit)"
rm "$source_dir/COMMIT"
(cd "$source_dir" && CARGO_TARGET_DIR=$sdist_target cargo build --locked --quiet)
shown=$("$sdist_target/debug/kubelint" --version)
echo "$shown"
check "without it: kubelint $version (commit unknown)" test "$shown" = "kubelint $version (commit unknown)"
echo "(two builds from the sdist: $((SECONDS - started)) s)"

echo "wheel: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
