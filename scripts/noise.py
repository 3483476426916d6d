#!/usr/bin/env python3
"""Rule noise on real configuration: runs kubelint (every rule on) over ../shared/corpus and
prints, per rule, how many objects and repositories it fires on, as the Markdown table in
docs/noise.md. Defaults are chosen from it. Skips with a message when the corpus is absent.

Usage: scripts/noise.py [KUBELINT_BINARY]   (default: target/release/kubelint)
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "..", "shared", "corpus")
if not os.path.isdir(corpus):
    print(f"skipped: no corpus at {corpus}")
    sys.exit(0)
binary = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, "target", "release", "kubelint")

listing = json.loads(subprocess.run([binary, "rules", "--format", "json"], check=True,
                                    capture_output=True, text=True).stdout)
with tempfile.TemporaryDirectory() as config_dir:
    tmp = os.path.join(config_dir, "rules")
    os.mkdir(tmp)
    # Every rule on, plus two counting rules for the denominators.
    with open(os.path.join(tmp, "count-pods.yaml"), "w") as f:
        f.write("id: count-pods\nseverity: info\nsummary: s\ndescription: d\nfor: pod\n"
                "deny:\n  - message: pod\n")
    with open(os.path.join(tmp, "count-containers.yaml"), "w") as f:
        f.write("id: count-containers\nseverity: info\nsummary: s\ndescription: d\n"
                "for: container\ndeny:\n  - message: container\n")
    config = os.path.join(config_dir, "kubelint.yaml")
    off = [r["id"] for r in listing if not r["on_by_default"]]
    with open(config, "w") as f:
        f.write(f"rules:\n  folders: [{tmp}]\n  enable: [{', '.join(off)}]\n")
    run = subprocess.run([binary, "check", ".", "--format", "json", "--fail-on", "never",
                          "--config", config], cwd=corpus, capture_output=True, text=True)
if run.returncode not in (0, 1):
    sys.exit(f"kubelint failed: {run.stderr}")
findings = json.loads(run.stdout)

objects = collections.defaultdict(set)
repos = collections.defaultdict(set)
for f in findings:
    o = f.get("object") or {}
    objects[f["rule"]].add((f["file"], o.get("kind"), o.get("name")))
    repos[f["rule"]].add(f["file"].split("/")[0])
all_repos = {f["file"].split("/")[0] for f in findings}
pods, containers = len(objects["count-pods"]), sum(1 for f in findings if f["rule"] == "count-containers")
print(f"{pods} workloads (objects with a pod spec), {containers} containers, "
      f"{len(all_repos)} repositories with findings.\n")
print("| rule | severity | on by default | findings | objects | repositories |")
print("|---|---|---|---|---|---|")
counts = collections.Counter(f["rule"] for f in findings)
for rule in sorted(listing, key=lambda r: (-counts[r["id"]], r["id"])):
    rid = rule["id"]
    print(f"| `{rid}` | {rule['severity']} | {'yes' if rule['on_by_default'] else 'no'} | "
          f"{counts[rid]} | {len(objects[rid])} | {len(repos[rid])} |")
