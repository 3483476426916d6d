#!/usr/bin/env bash
# Tests .pre-commit-hooks.yaml with the real pre-commit (from PyPI, in target/ci-venv): a
# temporary project with a `.kubelint.yaml` and a manifest runs this repository's hooks with
# `pre-commit try-repo`, the way a user tries a hook repository before adding it.
#
#   KUBELINT_CI_HOOK_BUILDS=0  skip the `kubelint` (language: rust) and `kubelint-python`
#                              hooks, which each build kubelint from source (minutes, cold)
#
# try-repo clones the hook repository at a commit (its uncommitted changes only when they are
# tracked or staged: untracked files are left out), so this script commits a snapshot of the
# working tree (tracked and untracked files, not ignored ones) to a temporary repository and
# tries that.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo build --release --locked --quiet
bin_dir=$root/target/release

venv=$root/target/ci-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit
pre_commit=$venv/bin/pre-commit
echo "pre-commit $("$pre_commit" --version | awk '{print $2}')"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PRE_COMMIT_HOME=$tmp/pre-commit-home
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
# The hooks that compile kubelint build into target/, so they reuse the dependencies the
# release build compiled (a fresh machine would otherwise build them twice more).
export CARGO_TARGET_DIR=$root/target

# --- the hook repository: a snapshot of the working tree
hooks_repo=$tmp/kubelint
mkdir -p "$hooks_repo"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do
    [[ -e $file ]] && printf '%s\0' "$file"
  done | xargs -0 cp --parents -t "$hooks_repo"
git -C "$hooks_repo" init --quiet
git -C "$hooks_repo" add -A
git -C "$hooks_repo" commit --quiet -m "kubelint snapshot"

# --- the project that uses the hooks
project=$tmp/project
mkdir -p "$project/k8s" "$project/chart/templates"
cd "$project"
git init --quiet
cat >.kubelint.yaml <<'EOF'
environments:
  prod:
    paths: ["k8s/**"]
    platform: ack
    region: cn-shanghai
    registries:
      example.azurecr.io: { pull-secret: acr-secret }
    external-secrets:                  # created with kubectl, as the incident team creates it
      acr-secret: []
EOF
write_pod() { # IMAGE
  cat >k8s/pod.yaml <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  containers:
    - name: redis
      image: $1
EOF
}
write_pod redis:7.2-alpine
echo '# a project' >README.md
cat >chart/Chart.yaml <<'EOF'
apiVersion: v2
name: app
version: 0.1.0
EOF
cat >chart/templates/pod.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}
spec:
  containers:
    - name: app
      image: {{ .Values.image }}
EOF
git add -A
git commit --quiet -m project

failures=0
passes=0
# try HOOK EXPECTED_STATUS PATTERN_TO_FIND TRY-REPO-ARGS...: one try-repo run, checked.
try() {
  local hook=$1 expected=$2 pattern=$3 status=0 log
  shift 3
  log=$tmp/$hook.$((passes + failures)).log
  "$pre_commit" try-repo "$hooks_repo" "$hook" "$@" >"$log" 2>&1 || status=$?
  if [[ $status -eq $expected ]] && grep -qE -- "$pattern" "$log"; then
    passes=$((passes + 1))
    echo "ok: $hook $* -> exit $status"
  else
    failures=$((failures + 1))
    echo "FAIL: $hook $*: exit $status (expected $expected), output (wanted /$pattern/):" >&2
    sed 's/^/    /' "$log" >&2
  fi
}

echo "--- kubelint-system (the release binary on PATH)"
export PATH=$bin_dir:$PATH
try kubelint-system 1 'dockerhub-image-in-china' --files k8s/pod.yaml
try kubelint-system 1 'k8s/pod\.yaml:8:14' --files k8s/pod.yaml
write_pod registry.cn-hangzhou.aliyuncs.com/library/redis:7.2-alpine
try kubelint-system 0 'kubelint\.+Passed' --files k8s/pod.yaml

echo "--- file types: JSON manifests are linted, other files and Helm templates are not"
cat >k8s/job.json <<'EOF'
{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
 "spec": {"template": {"spec": {"restartPolicy": "Never",
   "containers": [{"name": "once", "image": "busybox:1.36"}]}}}}
EOF
try kubelint-system 1 'k8s/job\.json:3:45' --files k8s/job.json
rm k8s/job.json
try kubelint-system 0 'kubelint\.+\(no files to check\)Skipped' --files README.md
try kubelint-system 0 'kubelint\.+Passed' --files chart/Chart.yaml chart/templates/pod.yaml
try kubelint-system 0 'kubelint\.+Passed' --all-files

echo "--- several files in one run: a ServiceAccount lends its pull secret to a pod in another file"
cat >k8s/00-account.yaml <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata: { name: runner }
imagePullSecrets: [{ name: acr-secret }]
EOF
files=(k8s/00-account.yaml)
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
  cat >"k8s/$n-deploy.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: { name: api-$n }
spec:
  selector: { matchLabels: { app: api-$n } }
  template:
    metadata: { labels: { app: api-$n } }
    spec:
      serviceAccountName: runner
      containers:
        - name: api
          image: example.azurecr.io/api:1.0.$n
EOF
  files+=("k8s/$n-deploy.yaml")
done
# Without require_serial, pre-commit would shuffle these 13 files into one process per CPU.
try kubelint-system 0 'kubelint\.+Passed' --files "${files[@]}"

echo "--- a .pre-commit-config.yaml: only the pod's file changed"
# pre-commit names only the pod's file; kubelint reads the rest of the repository (from the
# folder of .kubelint.yaml), so the ServiceAccount in an unchanged file still lends its secret.
cat >"$tmp/pre-commit-config.yaml" <<EOF
repos:
  - repo: $hooks_repo
    rev: $(git -C "$hooks_repo" rev-parse HEAD)
    hooks:
      - id: kubelint-system
EOF
status=0
"$pre_commit" run --config "$tmp/pre-commit-config.yaml" --files k8s/1-deploy.yaml \
  >"$tmp/config.log" 2>&1 || status=$?
if [[ $status -eq 0 ]] && grep -qE 'kubelint\.+Passed' "$tmp/config.log"; then
  passes=$((passes + 1))
  echo "ok: pre-commit run --config ... --files k8s/1-deploy.yaml -> exit 0"
else
  failures=$((failures + 1))
  echo "FAIL: pre-commit run with a config file: exit $status" >&2
  sed 's/^/    /' "$tmp/config.log" >&2
fi
rm "${files[@]}"

if [[ ${KUBELINT_CI_HOOK_BUILDS:-1} != 0 ]]; then
  # Neither hook may find the release binary: each must run the one it built.
  bare_path=
  IFS=: read -r -a path_dirs <<<"$PATH"
  for dir in "${path_dirs[@]}"; do
    [[ -n $dir && ! -x $dir/kubelint ]] && bare_path=${bare_path:+$bare_path:}$dir
  done
  export PATH=$bare_path
  write_pod redis:7.2-alpine

  echo "--- kubelint (language: rust: cargo install of the hook repository)"
  started=$SECONDS
  try kubelint 1 'dockerhub-image-in-china' --files k8s/pod.yaml
  echo "(install and run: $((SECONDS - started)) s)"

  echo "--- kubelint-python (language: python: pip install of the hook repository, via maturin)"
  started=$SECONDS
  try kubelint-python 1 'dockerhub-image-in-china' --files k8s/pod.yaml
  echo "(install and run: $((SECONDS - started)) s)"
fi

echo "pre-commit: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
