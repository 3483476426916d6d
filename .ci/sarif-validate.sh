#!/usr/bin/env bash
# Checks `kubelint check --format sarif` against what its consumers enforce, on testdata/repo
# and testdata/zoo:
#   1. the official SARIF 2.1.0 JSON schema (shipped in @microsoft/jest-sarif), with Ajv;
#   2. Microsoft's SARIF multitool validator with its SARIF and GitHub ingestion rules
#      (GH*: what GitHub code scanning rejects on upload);
#   3. every result sits where the folder's hand-written EXPECTED file says, ends where
#      `--format json` says, and names a rule of the run.
# Tools are installed with npm under target/ (pinned versions); only the npm registry is used.
set -euo pipefail
cd "$(dirname "$0")/.."

tools="$PWD/target/sarif-validate"
out="$tools/out"
mkdir -p "$tools" "$out"

echo "--- installing SARIF validators into $tools"
npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error \
  @microsoft/jest-sarif@1.0.0-beta.0 ajv@8.20.0 ajv-draft-04@1.0.0 ajv-formats@3.0.1 \
  @microsoft/sarif-multitool@5.7.0
schema="$tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
multitool="$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
test -f "$schema" || { echo "FAIL: schema not found at $schema" >&2; exit 1; }
test -x "$multitool" || { echo "FAIL: SARIF multitool not found at $multitool" >&2; exit 1; }

echo "--- building kubelint"
cargo build --locked --release
kubelint="$PWD/target/release/kubelint"

for name in repo zoo; do
  (cd "testdata/$name" && "$kubelint" check --format sarif --fail-on never) >"$out/$name.sarif"
  (cd "testdata/$name" && "$kubelint" check --format json --fail-on never) >"$out/$name.json"
done

echo "--- SARIF multitool: SARIF and GitHub (GH) rules"
# The multitool exits 0 even when it finds errors, so its own SARIF log is what we read.
# Invariant globalization: a fresh machine may have no ICU, which .NET otherwise needs.
rm -f "$out/multitool.sarif"
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$multitool" validate \
  --rule-kind "Sarif;Gh" --level "Error;Warning" \
  --output "$out/multitool.sarif" "$out/repo.sarif" "$out/zoo.sarif"
problems=$(jq '[.runs[].results[]?] | length' "$out/multitool.sarif")
if [ "$problems" -ne 0 ]; then
  echo "FAIL: the SARIF multitool reports $problems errors or warnings (above)" >&2
  exit 1
fi

echo "--- schema and positions"
node - "$tools" "$schema" "$out" <<'JS'
const fs = require("fs");
const path = require("path");
const [tools, schemaPath, out] = process.argv.slice(2);
const load = (name) => require(require.resolve(name, { paths: [tools] }));
const Ajv = load("ajv-draft-04");
const addFormats = load("ajv-formats");

// The schema is draft-04. One of its patterns is not a valid Unicode-mode regex
// (`]?` in the language pattern), so Ajv must compile patterns without the `u` flag.
const ajv = new Ajv({ allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));

let failures = 0;
const fail = (message) => {
  failures += 1;
  console.error(`FAIL: ${message}`);
};
const levels = { error: "error", warning: "warning", info: "note" };

for (const name of ["repo", "zoo"]) {
  const sarif = JSON.parse(fs.readFileSync(path.join(out, `${name}.sarif`), "utf8"));
  const json = JSON.parse(fs.readFileSync(path.join(out, `${name}.json`), "utf8"));
  const expected = fs
    .readFileSync(path.join("testdata", name, "EXPECTED"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");

  if (!validate(sarif)) {
    for (const e of validate.errors) fail(`${name}: schema: ${e.instancePath} ${e.message}`);
  }
  if (sarif.runs.length !== 1) fail(`${name}: ${sarif.runs.length} runs, expected 1`);
  const run = sarif.runs[0];
  const rules = run.tool.driver.rules;
  const results = run.results;
  if (run.columnKind !== "unicodeCodePoints") fail(`${name}: columnKind is ${run.columnKind}`);
  const root = run.originalUriBaseIds?.["%SRCROOT%"]?.uri ?? "";
  if (!/^file:\/\/\/.*\/$/.test(root)) fail(`${name}: %SRCROOT% is not a folder file URI: ${root}`);
  if (name === "repo" && results.length === 0) fail("repo: no results");
  if (results.length !== json.length) {
    fail(`${name}: ${results.length} SARIF results but ${json.length} JSON findings`);
  }
  if (results.length !== expected.length) {
    fail(`${name}: ${results.length} SARIF results but ${expected.length} lines in EXPECTED`);
  }

  results.forEach((result, i) => {
    const location = result.locations?.[0]?.physicalLocation;
    const region = location?.region ?? {};
    const file = decodeURIComponent(location?.artifactLocation?.uri ?? "");
    const at = `${file}:${region.startLine}:${region.startColumn} ${result.ruleId}`;
    if (location?.artifactLocation?.uriBaseId !== "%SRCROOT%") fail(`${name}: ${at}: no %SRCROOT%`);
    if (rules[result.ruleIndex]?.id !== result.ruleId) fail(`${name}: ${at}: wrong ruleIndex`);
    // EXPECTED is written by hand: it is the independent truth about where findings are.
    if (at !== expected[i]) fail(`${name}: result ${i} is at "${at}", EXPECTED says "${expected[i]}"`);
    const truth = (expected[i] ?? "").split(" ")[0].split(":");
    if (region.startLine === 1 && truth[truth.length - 2] !== "1") {
      fail(`${name}: ${at} sits on line 1, but its finding does not`);
    }
    const finding = json[i] ?? {};
    const same =
      finding.file === file &&
      finding.rule === result.ruleId &&
      finding.line === region.startLine &&
      finding.column === region.startColumn &&
      finding.end_line === region.endLine &&
      finding.end_column === region.endColumn &&
      levels[finding.severity] === result.level;
    if (!same) fail(`${name}: ${at} differs from the JSON finding ${JSON.stringify(finding)}`);
  });
  console.log(`${name}: ${results.length} results, ${rules.length} rules checked`);
}
if (failures > 0) {
  console.error(`${failures} SARIF problem(s)`);
  process.exit(1);
}
console.log("SARIF output is valid");
JS
