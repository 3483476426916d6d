#!/usr/bin/env python3
"""Generates data/kubernetes-schemas.jsonl, the Kubernetes schemas kubelint embeds.

The schemas come from the PyPI package kubernetes-validate (Apache-2.0, by Will Thames; see
data/README.md), which ships the OpenAPI definitions of each Kubernetes release as JSON
schemas. They carry no enums: Kubernetes publishes enums only in its OpenAPI v3 documents,
and kubernetes-validate is made from the v2 ones. The enums come from the npm package
kubernetes-models (MIT, by Tommy Chen), generated from the v3 documents, whose TypeScript
declarations type each enum field as a union of its values (`"Always" | "IfNotPresent" |
"Never"`). Install both outside the repository and run this script with kubernetes-validate's
python, naming the unpacked npm package:

    python3 -m venv /tmp/kv && /tmp/kv/bin/pip install kubernetes-validate==1.37.0
    (cd /tmp && npm pack kubernetes-models@5.1.0 && tar xzf kubernetes-models-5.1.0.tgz)
    /tmp/kv/bin/python scripts/kubernetes-schemas.py /tmp/package

kubernetes-models is one release (it keeps definitions of older releases too), so a field's
enum applies to every release whose definition has that field as a string: older releases
accept no value a newer one lacks (Kubernetes adds enum values, it does not take them back).

Only what validation reads is kept (types, properties, required, items, enums, formats,
one-of, references); descriptions and the patch and list markers go. A definition that is the
same in several releases is stored once: each release lists, per definition name, which
stored definition it uses, so ten releases cost little more than one.

Output, one JSON document per line, so that kubelint finds a release or a definition by its
line and decodes only what an object needs (a whole-file decode would cost every save):
    line 1:           {"source": "...", "names": [name, ...], "releases": ["1.28", ...]}
    one per release:  {"version": "1.28", "defs": [def index or -1 per name],
                       "kinds": [[apiVersion, kind, name index], ...]}
    one per def:      the definition
A `$ref` inside a def is the index of the name it refers to.
"""

import json
import pathlib
import re
import sys

import kubernetes_validate
from kubernetes_validate.version import __version__

FIRST = (1, 28)
KEPT = {"type", "properties", "additionalProperties", "required", "items", "enum", "oneOf", "format"}
REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
# `export type { IContainer as IIoK8sApiCoreV1Container, ... }`: a declaration file's interface
# and the definition it is (the definition's name in PascalCase).
EXPORT = re.compile(r"export type \{ (I\w+) as I(IoK8s\w+),")
# A property of an interface, four spaces in: `"imagePullPolicy"?: "Always" | "Never";`.
PROPERTY = re.compile(r'^    "([^"]+)"\??: (.+);$')
UNION = re.compile(r'^"[^"]*"(?: \| "[^"]*")*$')


def pascal(name):
    """`io.k8s.api.core.v1.Container` as kubernetes-models names it: IoK8sApiCoreV1Container."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[.\-]", name))


def model_enums(package):
    """Per definition (PascalCase), per property: ("value" | "items", [enum values])."""
    enums = {}
    for path in sorted(pathlib.Path(package).rglob("*.d.ts")):
        text = path.read_text()
        export = EXPORT.search(text)
        if not export:
            continue
        local, full = export.groups()
        body = re.search(r"export interface " + local + r"\b[^{]*\{\n(.*?)\n\}", text, re.S)
        if not body:
            continue
        fields = {}
        for line in body.group(1).splitlines():
            match = PROPERTY.match(line)
            if not match:
                continue
            name, typed = match.groups()
            where = "value"
            if typed.startswith("Array<") and typed.endswith(">"):
                where, typed = "items", typed[len("Array<"):-1]
            if UNION.match(typed):
                fields[name] = (where, sorted(json.loads(v) for v in typed.split(" | ")))
        if fields:
            enums[full] = fields
    return enums


def is_string(schema):
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "string" in kinds and "$ref" not in schema


def add_enums(name, schema, enums):
    """The definition with kubernetes-models' enums on the string fields it has."""
    for field, (where, values) in enums.get(pascal(name), {}).items():
        if field in ("apiVersion", "kind"):
            continue
        target = schema.get("properties", {}).get(field)
        if target is not None and where == "items":
            target = target.get("items")
        if isinstance(target, dict) and is_string(target):
            target["enum"] = values


def strip(schema, names):
    """The parts of a schema validation reads, references as name indexes."""
    if isinstance(schema, bool):
        return schema
    out = {}
    if "$ref" in schema:
        name = REF.match(schema["$ref"]).group(1)
        out["$ref"] = names.setdefault(name, len(names))
    for key in sorted(KEPT & schema.keys()):
        value = schema[key]
        if key == "properties":
            value = {k: strip(v, names) for k, v in sorted(value.items())}
        elif key in ("additionalProperties", "items"):
            value = strip(value, names)
        elif key == "oneOf":
            value = [strip(v, names) for v in value]
        out[key] = value
    return out


def models_version(package):
    return json.loads((pathlib.Path(package) / "package.json").read_text())["version"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kubernetes-schemas.py PATH-TO-UNPACKED-kubernetes-models")
    enums = model_enums(sys.argv[1])
    root = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    releases = []
    for folder in root.iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.0-local-strict", folder.name)
        if match and (int(match[1]), int(match[2])) >= FIRST:
            releases.append(((int(match[1]), int(match[2])), folder))
    releases.sort()
    names = {}
    defs = []
    index_of = {}
    versions = []
    for (major, minor), folder in releases:
        definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
        by_name = {}
        kinds = []
        for name, schema in sorted(definitions.items()):
            name_index = names.setdefault(name, len(names))
            add_enums(name, schema, enums)
            stripped = json.dumps(strip(schema, names), sort_keys=True, separators=(",", ":"))
            if stripped not in index_of:
                index_of[stripped] = len(defs)
                defs.append(json.loads(stripped))
            by_name[name_index] = index_of[stripped]
            gvks = schema.get("x-kubernetes-group-version-kind", [])
            # Meta types (DeleteOptions, WatchEvent) claim every group; they are not objects.
            if len(gvks) == 1:
                gvk = gvks[0]
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                kinds.append([api_version, gvk["kind"], name_index])
        versions.append({"version": f"{major}.{minor}", "by_name": by_name, "kinds": sorted(kinds)})
    for version in versions:
        by_name = version.pop("by_name")
        version["defs"] = [by_name.get(i, -1) for i in range(len(names))]
    ordered_names = sorted(names, key=names.get)
    header = {
        "source": f"kubernetes-validate {__version__} (Apache-2.0), enums from kubernetes-models {models_version(sys.argv[1])} (MIT), generated by scripts/kubernetes-schemas.py",
        "names": ordered_names,
        "releases": [v["version"] for v in versions],
    }
    lines = [header] + versions + defs
    target = pathlib.Path(__file__).resolve().parent.parent / "data" / "kubernetes-schemas.jsonl"
    target.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    print(f"{target}: {len(versions)} releases, {len(names)} names, {len(defs)} definitions", file=sys.stderr)


if __name__ == "__main__":
    main()
