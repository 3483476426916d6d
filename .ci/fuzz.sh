#!/usr/bin/env bash
# Fuzzes the whole path (bytes → parse → model → rules → an output format) with AFL++
# through cargo-afl, on the stable toolchain, for a bounded time. Seeds are testdata's
# files. Usage: .ci/fuzz.sh SECONDS [OUTPUT_FOLDER]. Fails if the fuzzer found a crash or a hang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: .ci/fuzz.sh SECONDS [OUTPUT_FOLDER]}"
out="${2:-$(mktemp -d)}"

command -v cargo-afl >/dev/null || cargo install cargo-afl --locked --version 0.18.2
# Builds AFL++ itself once per toolchain; a second run says it is built already.
cargo afl config --build >/dev/null 2>&1 || true
(cd fuzz && cargo afl build --release --locked --quiet)

seeds="$(mktemp -d)"
n=0
while IFS= read -r -d '' file; do
    # The first byte picks how the harness names the file (0 a manifest, 1 a JSON file) plus
    # five times the format of its report: human, JSON, GitHub and JUnit in turn, and SARIF
    # (2) for one seed in 25, since its log describes every rule, a fixed cost of twice a
    # check's that the fuzzer learns nothing from.
    case "$file" in *.json) as=1 ;; *) as=0 ;; esac
    formats=(0 1 3 4)
    format="${formats[n % 4]}"
    [ $((n % 25)) = 24 ] && format=2
    { printf "\\$(printf %o $((as + 5 * format)))"; cat "$file"; } >"$seeds/$n"
    n=$((n + 1))
# deep-cel.yaml takes a tenth of a second a run by design (3,000 levels of CEL parsed to be
# refused), and drift's two 45 KB live exports 40-57 ms each instrumented (a check's ordinary
# pace, ~4 MB/s, slowed by the instrumentation): as seeds they held the fuzzers at that pace,
# a tenth of the usual executions a second, once their descendants filled the queue.
done < <(find testdata -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -size -32k \
    ! -name deep-cel.yaml -print0 | sort -z)

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1 AFL_QUIET=1
# The harness runs every seed once in each fuzzing process before its first input.
export KUBELINT_FUZZ_SEEDS="$seeds"
# The instrumented binary knows how large a coverage map it needs.
AFL_MAP_SIZE="$(AFL_DUMP_MAP_SIZE=1 fuzz/target/release/whole_path || true)"
export AFL_MAP_SIZE
log="$(mktemp)"
cargo afl fuzz -i "$seeds" -o "$out" -V "$seconds" -t 5000 -- fuzz/target/release/whole_path >"$log" 2>&1 || {
    tail -20 "$log"
    exit 1
}
stats="$out/default/fuzzer_stats"
execs="$(awk -F' *: *' '$1 == "execs_done" { print $2 }' "$stats")"
crashes="$(awk -F' *: *' '$1 == "saved_crashes" { print $2 }' "$stats")"
hangs="$(awk -F' *: *' '$1 == "saved_hangs" { print $2 }' "$stats")"
echo "fuzz: $execs executions in ${seconds}s, $crashes crashes, $hangs hangs (in $out)"
[ "$crashes" = 0 ] && [ "$hangs" = 0 ]
