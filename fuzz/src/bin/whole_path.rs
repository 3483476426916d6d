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

/// Made in the forked child on its first input, not before the fork server starts: rayon's
/// thread pool does not survive a fork, and a pool made in the parent would hang every child.
/// Each input runs inside the pool, which has one thread (`install`): its parallel loops then
/// run inline on that thread. Called from the main thread, each loop was handed over and
/// waited for, spinning in `sched_yield`: a third of an execution's time. A second fuzzer gets
/// the other core. AFL sees about 40 % of the edges vary between runs of one input, with the
/// hand-over as without it; the cause is not found (std's hash maps, each seeded anew, are a
/// candidate).
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

fn main() {
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
