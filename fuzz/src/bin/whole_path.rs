//! Fuzzes the whole path a user's bytes take: read → parse → model → rules → suppressions →
//! every output format. The first byte picks what the file is (a manifest in the ACK
//! environment, a JSON file, a kustomization, Helm values) and the format its report is written
//! in, so each classification and each format is reached; the rest is the file. The config is
//! testdata/repo's, so environment rules run too.
//!
//! One format per input, not all five: the SARIF log describes every rule of the run, a
//! fixed cost three times the check's own, and writing it for every input made each execution
//! 2.5 times slower while the fuzzer learnt nothing from the repetition. For the same reason
//! `.ci/fuzz.sh` gives SARIF to one seed in 25, not one in five.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kubelint::check;
use kubelint::config::Config;
use kubelint::report::{self, Format};
use kubelint::rules::RuleSet;

/// Paths inside testdata/repo, each classified differently and in different environments.
const AS_PATHS: [&str; 5] = [
    ".pipeline/k8s/overlays/prod/fuzz.yaml",
    ".pipeline/k8s/overlays/test/fuzz.json",
    ".pipeline/k8s/overlays/prod/kustomization.yaml",
    ".pipeline/helm/nginx-ingress/values-prod.yaml",
    "fuzz.yml",
];

const FORMATS: [Format; 5] = [
    Format::Human,
    Format::Json,
    Format::Sarif,
    Format::Github,
    Format::Junit,
];

struct Setup {
    pool: rayon::ThreadPool,
    repo: PathBuf,
    config: Config,
    rules: RuleSet,
}

/// Made in each forked child (rayon's threads do not survive a fork, and a pool made before
/// it would hang every child), before its first input. The pool has one thread and each input
/// runs inside it (`install`), so its parallel loops run inline: handed over from the main
/// thread, they spun in `sched_yield` for a third of an execution's time. A second fuzzer gets
/// the other core.
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a one-thread pool builds");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/repo");
        let config =
            Config::load(&repo.join(".kubelint.yaml")).expect("testdata/repo's config loads");
        let rules = RuleSet::load(&config).expect("the built-in rules load");
        Setup {
            pool,
            repo,
            config,
            rules,
        }
    })
}

unsafe extern "C" {
    /// afl-compiler-rt's: starts the fork server on its first call and does nothing on the
    /// next, the one `afl::fuzz!` makes.
    fn __afl_manual_init();
}

fn main() {
    // The fork server starts here, so each child sets up and warms up before its first
    // input, where no input's coverage sees it: the persistent loop clears the map on its
    // first pass. Set up in the first input instead, every lazily built table (a kind's
    // schema, a rule's compiled parts, each regex) was built in whichever input first needed
    // it, and AFL saw 40 % of the edges vary between runs of one input.
    // SAFETY: called once, before any other thread exists; AFL's runtime is linked in by
    // `cargo afl build`, and without AFL's environment the call only returns.
    unsafe { __afl_manual_init() };
    warm_up(setup());
    afl::fuzz!(|data: &[u8]| {
        let Some((&selector, text)) = data.split_first() else {
            return;
        };
        let Setup {
            pool,
            repo,
            config,
            rules,
        } = setup();
        pool.install(|| run(selector, text, repo, config, rules));
    });
}

/// How long a child may warm up. AFL counts the warm-up in the child's first input, so it must
/// stay well inside `.ci/fuzz.sh`'s `-t 5000`: the optimised build warms every seed in 1.3 s,
/// the unoptimised one CI builds would take 6.7 s, and every input of AFL's first pass timed
/// out. Stopped early, it has still built what the first seeds need.
const WARM_UP_BUDGET: Duration = Duration::from_secs(2);

/// Runs each seed that `.ci/fuzz.sh` made (in the folder `KUBELINT_FUZZ_SEEDS` names) as each
/// kind of path, in each format in turn, so what they build lazily is built, for at most
/// [`WARM_UP_BUDGET`]. Without the variable (an input replayed by hand) nothing is warmed.
fn warm_up(setup: &Setup) {
    let started = Instant::now();
    let Some(folder) = std::env::var_os("KUBELINT_FUZZ_SEEDS") else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut seeds: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    seeds.sort();
    for (index, seed) in seeds.iter().enumerate() {
        if started.elapsed() > WARM_UP_BUDGET {
            return;
        }
        let Ok(bytes) = std::fs::read(seed) else {
            continue;
        };
        let Some((_, text)) = bytes.split_first() else {
            continue;
        };
        for as_path in 0..AS_PATHS.len() {
            let format = (index + as_path) % FORMATS.len();
            let selector = u8::try_from(as_path + AS_PATHS.len() * format).expect("under 25");
            setup.pool.install(|| {
                run(selector, text, &setup.repo, &setup.config, &setup.rules);
            });
        }
    }
}

fn run(selector: u8, text: &[u8], repo: &Path, config: &Config, rules: &RuleSet) {
    let selector = usize::from(selector);
    let path = repo.join(AS_PATHS[selector % AS_PATHS.len()]);
    let format = FORMATS[selector / AS_PATHS.len() % FORMATS.len()];
    // The bytes alone: `check_text` would also read testdata/repo around them on every
    // input (as an editor's buffer resolves its references), which is not the input's path.
    let outcome = check::check_buffer(text, &path, &[], &[], config, rules);
    let context = report::Context {
        rules,
        color: false,
        root: Some(repo.to_path_buf()),
        step_summary: None,
        fail_on: report::FailOn::Error,
    };
    let mut out = Vec::new();
    report::write(&outcome, format, &context, &mut out).expect("writing to memory");
}
