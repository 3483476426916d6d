#!/usr/bin/env python3
"""Compares kubelint's schema verdict with kubernetes-validate's (strict mode) per object.

Every YAML file of the corpus that is not a Helm template or a kustomization is read with
PyYAML; each object (List items included) is validated by kubernetes-validate (the PyPI
package, strict, Kubernetes VERSION) and linted by kubelint (its `schema-invalid` findings,
for the same release). Prints one JSON object:

    {"objects": N, "compared": N, "agree": N, "invalid_in_both": N,
     "disagreements": [{"file", "kind", "name", "kubelint", "kubernetes_validate"}, ...]}

where `kubelint` and `kubernetes_validate` are each tool's messages (empty: valid). Objects
either tool has no schema for are not compared.

Usage: python scripts/schema-compare.py KUBELINT CORPUS [VERSION]   (run with the python of a
virtual environment that has kubernetes-validate installed; VERSION defaults to 1.35)
"""

import functools
import json
import os
import subprocess
import sys
import tempfile

import kubernetes_validate.utils as kv
import yaml

# kubernetes-validate reads the schema files again for every object; the same files serve
# every object of a kind, so they are read once.
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)


def manifests(corpus):
    for folder, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")) or name.startswith("kustomization"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "{{" in text:
                continue
            yield os.path.relpath(path, corpus), text


def objects(text):
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return
    for document in documents:
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "List" or (
            str(document.get("kind", "")).endswith("List") and "items" in document
        ):
            yield from (i for i in document.get("items") or [] if isinstance(i, dict))
        else:
            yield document


def key_of(file, document):
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    return (file, str(document.get("kind")), str(metadata.get("name")))


def reference_verdicts(corpus, version):
    verdicts = {}
    files = []
    for file, text in manifests(corpus):
        found = False
        for document in objects(text):
            if not isinstance(document.get("apiVersion"), str) or not isinstance(document.get("kind"), str):
                continue
            found = True
            key = key_of(file, document)
            try:
                kv.validate(document, version, strict=True)
                message = None
            except kv.SchemaNotFoundError:
                verdicts[key] = "unknown"
                continue
            except kv.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                message = f"{path}: {error.message}"[:300]
            except Exception as error:  # kubernetes-validate's own failures count as verdicts
                message = f"kubernetes-validate failed: {type(error).__name__}: {error}"[:300]
            previous = verdicts.get(key, [])
            if previous == "unknown":
                continue
            verdicts[key] = previous + ([message] if message else [])
        if found:
            files.append(file)
    return verdicts, files


def kubelint_verdicts(binary, corpus, files, version):
    findings = []
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "kubelint.yaml")
        with open(config, "w") as f:
            f.write(f'kubernetes-version: "{version}"\n')
        for start in range(0, len(files), 500):
            run = subprocess.run(
                [binary, "check", "--format", "json", "--fail-on", "never", "--config", config]
                + files[start:start + 500],
                cwd=corpus, capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"kubelint failed ({run.returncode}): {run.stderr}")
            findings.extend(json.loads(run.stdout))
    verdicts = {}
    for finding in findings:
        if finding["rule"] not in ("schema-invalid", "schema-unknown-kind") or not finding["object"]:
            continue
        key = (finding["file"], finding["object"]["kind"], str(finding["object"]["name"]))
        if finding["rule"] == "schema-unknown-kind":
            verdicts[key] = "unknown"
        elif verdicts.get(key) != "unknown":
            verdicts.setdefault(key, []).append(f"{finding['line']}:{finding['column']} {finding['message']}")
    return verdicts


def main():
    binary, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else "1.35"
    reference, files = reference_verdicts(corpus, version)
    linted = kubelint_verdicts(binary, corpus, files, version)
    compared = agree = invalid = 0
    disagreements = []
    for key in sorted(reference):
        theirs, ours = reference[key], linted.get(key, [])
        if theirs == "unknown" or ours == "unknown":
            continue
        compared += 1
        if bool(theirs) == bool(ours):
            agree += 1
            invalid += bool(ours)
            continue
        file, kind, name = key
        disagreements.append({"file": file, "kind": kind, "name": name,
                              "kubelint": ours, "kubernetes_validate": theirs})
    print(json.dumps({"objects": len(reference), "compared": compared, "agree": agree,
                      "invalid_in_both": invalid, "disagreements": disagreements}, indent=1))


if __name__ == "__main__":
    main()
