//! The command line: argument parsing and dispatch. Everything it calls lives in the library.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};

use crate::check::{self, Outcome};
use crate::config::{Config, ConfigError};
use crate::report::{self, FailOn, Format};
use crate::rules::docs::{self, ListFormat};
use crate::rules::{RuleSet, cases};

#[derive(Debug, Parser)]
#[command(
    name = "kubelint",
    // The version and the commit it was built from (build.rs), so a bug report names the source.
    version = env!("KUBELINT_VERSION"),
    about = "A fast static policy linter for Kubernetes manifests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint files and folders (default: the current folder); `-` reads standard input.
    Check {
        /// Files and folders to lint (default: the current folder); `-` reads standard input.
        paths: Vec<PathBuf>,
        /// The output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// The lowest severity that makes the run fail (exit 1).
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOn,
        /// The config file; otherwise `.kubelint.yaml` is searched upward from the linted paths,
        /// then from the current folder.
        #[arg(long)]
        config: Option<PathBuf>,
        /// With `-` as the path: the path standard input stands for, so that its environment
        /// applies.
        #[arg(long)]
        stdin_filename: Option<PathBuf>,
        /// Also render each chart in the repository with `helm template`, per release and
        /// environment, and lint what it renders (helm from `KUBELINT_HELM`, else PATH).
        #[arg(long)]
        helm_render: bool,
        /// Apply the fixes rules declare, re-linting until none applies; then report what is left.
        #[arg(long)]
        fix: bool,
        /// Print the fixes as a unified diff instead of writing them (exit 1 if there are any).
        #[arg(long, conflicts_with = "fix")]
        diff: bool,
        /// With --fix or --diff, also apply the fixes rules mark unsafe.
        #[arg(long)]
        unsafe_fixes: bool,
        /// Record today's findings in FILE (JSON), so that `--baseline FILE` hides them.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff", "baseline"])]
        write_baseline: Option<PathBuf>,
        /// Report only findings that FILE (written by --write-baseline) does not record.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Neither read nor write the repository's inventory cache (`.kubelint-cache/`).
        #[arg(long)]
        no_cache: bool,
    },
    /// Compare what an environment gets from Git with what its cluster runs.
    Drift {
        /// What the cluster runs: the output of `kubectl get deploy,sts,ds,cronjob,svc,ingress,cm
        /// -A -o yaml`; `-` reads standard input.
        live: PathBuf,
        /// Files and folders of Git to compare (default: the config's folder).
        paths: Vec<PathBuf>,
        /// The environment (of the config) the dump comes from.
        #[arg(long)]
        env: String,
        /// The output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// The lowest severity that makes the run fail (exit 1).
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOn,
        /// The config file; otherwise `.kubelint.yaml` is searched upward from the paths, then
        /// from the current folder.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show which environments each path deploys to, per the config.
    Env {
        /// Files and folders to show (default: the current folder).
        paths: Vec<PathBuf>,
        /// The config file; otherwise `.kubelint.yaml` is searched upward.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print what a kustomization builds, the objects `kubectl kustomize DIR` prints; for a
    /// chart folder, what `helm template` renders for each of its releases.
    Build {
        /// The folder holding the kustomization (or the chart's Chart.yaml).
        dir: PathBuf,
        /// Follow each value with `# file:line:column` of the line that set it.
        #[arg(long)]
        origins: bool,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List the rules (id, severity, on by default, summary); `--test` runs their own cases.
    Rules {
        /// The config file, whose rule folders add rules.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Run each rule's good and bad cases and report failures.
        #[arg(long)]
        test: bool,
        #[arg(long, value_enum, default_value = "human")]
        format: ListFormat,
    },
    /// Print a rule's documentation with one bad and one good case.
    Explain {
        rule: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Serve the Language Server Protocol on standard input and output, for editors: diagnostics
    /// as you type, hover, and code actions (fixes, disable for this line).
    Lsp,
    /// Print the shell completion script for SHELL, e.g. `kubelint completions bash`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page kubelint(1) as roff, e.g. `kubelint man | man -l -`.
    Man {
        /// Instead, write kubelint.1 and a page per subcommand (kubelint-check.1, ...) into
        /// this folder, e.g. /usr/local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Runs a command and returns the process exit code: 0 clean, 1 findings, 2 usage or
/// configuration error.
pub fn run(cli: Cli) -> i32 {
    // The server writes standard output from lsp-server's writer thread: it must not be locked here.
    if let Command::Lsp = cli.command {
        return crate::lsp::run_stdio();
    }
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            fail_on,
            config,
            stdin_filename,
            helm_render,
            fix,
            diff,
            unsafe_fixes,
            write_baseline,
            baseline,
            no_cache,
        } => check_command(
            &paths,
            CheckOptions {
                format,
                fail_on,
                config: config.as_deref(),
                stdin_filename: stdin_filename.as_deref(),
                helm_render,
                fixing: match (fix, diff) {
                    (true, _) => Some(Fixing::Write),
                    (_, true) => Some(Fixing::Diff),
                    _ => None,
                },
                unsafe_fixes,
                write_baseline: write_baseline.as_deref(),
                baseline: baseline.as_deref(),
                cache: !no_cache,
            },
            &mut stdout,
        ),
        Command::Drift {
            live,
            paths,
            env,
            format,
            fail_on,
            config,
        } => drift_command(
            &live,
            &paths,
            &env,
            (format, fail_on),
            config.as_deref(),
            &mut stdout,
        ),
        Command::Env { paths, config } => env_command(&paths, config.as_deref(), &mut stdout),
        Command::Build {
            dir,
            origins,
            config,
        } => build_command(&dir, origins, config.as_deref(), &mut stdout),
        Command::Rules {
            config,
            test,
            format,
        } => rules_command(config.as_deref(), test, format, &mut stdout),
        Command::Explain { rule, config } => explain_command(&rule, config.as_deref(), &mut stdout),
        Command::Lsp => unreachable!("the language server runs before stdout is locked"),
        Command::Completions { shell } => completions_command(shell, &mut stdout),
        Command::Man { out_dir } => man_command(out_dir.as_deref(), &mut stdout),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(error) => {
            eprintln!("kubelint: {error}");
            2
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// The config that applies: `--config`; else the `.kubelint.yaml` found upward from the
/// linted paths (as ruff and eslint look), so `kubelint check /path/to/repo` from elsewhere
/// uses that repository's config; else the one found upward from the current folder.
fn load_config(explicit: Option<&Path>, paths: &[PathBuf]) -> Result<Config, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(path) = explicit {
        return Ok(Config::load(path)?);
    }
    let mut found: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .filter_map(|p| {
            let absolute = crate::config::absolutize(&cwd, p);
            let start = if absolute.is_dir() {
                absolute.as_path()
            } else {
                absolute.parent()?
            };
            Config::find(start)
        })
        .collect();
    found.sort();
    found.dedup();
    if found.len() > 1 {
        let names: Vec<String> = found
            .iter()
            .map(|p| crate::config::display_path(p))
            .collect();
        return Err(CliError::Usage(format!(
            "the paths belong to different configs ({}): lint them in separate runs, or choose one with --config",
            names.join(", ")
        )));
    }
    match found.pop().or_else(|| Config::find(&cwd)) {
        Some(path) => Ok(Config::load(&path)?),
        None => Ok(Config::empty(cwd)),
    }
}

/// Prints the build as YAML documents; problems go to standard error as `path:line:column`,
/// and an error among them fails the command (exit 1), as kustomize fails.
fn build_command(
    dir: &Path,
    origins: bool,
    config: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let config = load_config(config, &[dir.to_path_buf()])?;
    let rules = RuleSet::load(&config)?;
    // A folder with a kustomization is built as kustomize builds it, even beside a chart.
    if crate::model::kustomize::file_in(dir).is_none() && dir.join("Chart.yaml").is_file() {
        return render_command(dir, origins, &config, &rules, out);
    }
    let built = check::build_dir(dir, &config, &rules).map_err(CliError::Usage)?;
    let options = crate::yaml::Emit {
        origins: origins.then_some(&built.sources),
    };
    for (index, object) in built.objects.iter().enumerate() {
        if index > 0 {
            writeln!(out, "---")?;
        }
        write!(out, "{}", crate::yaml::emit(object, options))?;
    }
    Ok(print_problems(&built.findings, &built.sources))
}

/// `kubelint build CHART`: each release of the chart as helm renders it and kubelint reads
/// it, headed by the `helm template` command it stands for.
fn render_command(
    dir: &Path,
    origins: bool,
    config: &Config,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let helm = crate::model::helm::locate_helm().map_err(CliError::Usage)?;
    let rendered = check::render_dir(dir, config, rules, &helm);
    let options = crate::yaml::Emit {
        origins: origins.then_some(&rendered.sources),
    };
    for (command, objects) in &rendered.releases {
        writeln!(out, "# {command}")?;
        for object in objects {
            writeln!(out, "---")?;
            write!(out, "{}", crate::yaml::emit(object, options))?;
        }
    }
    Ok(print_problems(&rendered.findings, &rendered.sources))
}

/// Problems go to standard error as `path:line:column`; an error among them is exit 1.
fn print_problems(findings: &[crate::finding::Finding], sources: &crate::source::Sources) -> i32 {
    let mut failed = false;
    for finding in findings {
        let file = &sources[finding.origin.file];
        let at = file.position(finding.span().start);
        eprintln!(
            "{}:{}:{}: {}: {}",
            file.path, at.line, at.column, finding.rule, finding.message
        );
        failed |= finding.severity == crate::finding::Severity::Error;
    }
    i32::from(failed)
}

/// How `kubelint check` runs, from its flags.
struct CheckOptions<'a> {
    format: Format,
    fail_on: FailOn,
    config: Option<&'a Path>,
    stdin_filename: Option<&'a Path>,
    helm_render: bool,
    fixing: Option<Fixing>,
    unsafe_fixes: bool,
    write_baseline: Option<&'a Path>,
    baseline: Option<&'a Path>,
    /// Whether the repository's inventory cache is read and written.
    cache: bool,
}

/// `--fix` writes the fixes, `--diff` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixing {
    Write,
    Diff,
}

fn check_command(
    paths: &[PathBuf],
    options: CheckOptions<'_>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let CheckOptions {
        format,
        fail_on,
        config,
        stdin_filename,
        helm_render,
        fixing,
        unsafe_fixes,
        write_baseline,
        baseline,
        cache,
    } = options;
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin_filename.is_some() && !reads_stdin {
        return Err(CliError::Usage(
            "--stdin-filename needs `-` as the path, to lint standard input".into(),
        ));
    }
    // A path that is not there is a typo on the command line, not a finding in a file.
    if let Some(missing) = paths
        .iter()
        .find(|p| p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err())
    {
        return Err(CliError::Usage(format!(
            "{}: no such file or folder",
            missing.display()
        )));
    }
    let searched_from: Vec<PathBuf> = match stdin_filename {
        Some(name) if reads_stdin => vec![name.to_path_buf()],
        _ => paths.to_vec(),
    };
    let mut config = load_config(config, &searched_from)?;
    if helm_render || config.file.helm.render {
        // Asked for rendering, a run without helm is a usage error, never a silent skip.
        config.helm_binary = Some(crate::model::helm::locate_helm().map_err(CliError::Usage)?);
    }
    let rules = RuleSet::load(&config)?;
    // The process ends after this one run and its report.
    check::leave_memory_to_exit();
    if unsafe_fixes && fixing.is_none() {
        return Err(CliError::Usage(
            "--unsafe-fixes goes with --fix or --diff".into(),
        ));
    }
    let defaults = [PathBuf::from(".")];
    let linted = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let outcome: Outcome = if let Some(fixing) = fixing {
        if reads_stdin {
            return Err(CliError::Usage(
                "--fix and --diff edit files; they cannot read standard input".into(),
            ));
        }
        let options = crate::fix::Options {
            unsafe_fixes,
            only: None,
        };
        let write = fixing == Fixing::Write;
        let (outcome, fixed) = crate::fix::fix_paths(linted, &config, &rules, options, write);
        for refused in &fixed.refused {
            eprintln!("kubelint: {refused}");
        }
        if !write {
            for diff in fixed.diffs.values() {
                out.write_all(diff.as_bytes())?;
            }
            eprintln!("kubelint: {}", fixed.summary("would fix"));
            return Ok(i32::from(!fixed.diffs.is_empty()));
        }
        eprintln!("kubelint: {}", fixed.summary("fixed"));
        outcome
    } else if reads_stdin {
        if paths.len() > 1 {
            return Err(CliError::Usage(
                "`-` (standard input) cannot be mixed with other paths".into(),
            ));
        }
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text)?;
        let name = stdin_filename.unwrap_or(Path::new("stdin.yaml"));
        check::check_text_cached(&text, name, &config, &rules, cache)
    } else {
        check::check_paths_cached(linted, &config, &rules, cache)
    };
    let mut outcome = outcome;
    if let Some(path) = write_baseline {
        let recorded = report::baseline::record(&outcome.findings, &outcome.sources, &config);
        report::baseline::write(path, &recorded).map_err(CliError::Usage)?;
        eprintln!(
            "kubelint: recorded {} findings in {}",
            recorded.findings.len(),
            path.display()
        );
        return Ok(0);
    }
    if let Some(path) = baseline {
        let known = report::baseline::read(path).map_err(CliError::Usage)?;
        let findings = std::mem::take(&mut outcome.findings);
        let (kept, hidden) = report::baseline::filter(findings, &outcome.sources, &config, &known);
        outcome.findings = kept;
        outcome.baseline_hidden = hidden;
    }
    report_outcome(&outcome, format, fail_on, &rules, out)
}

/// Writes a run's findings in `format`; the exit code as `--fail-on` says.
fn report_outcome(
    outcome: &Outcome,
    format: Format,
    fail_on: FailOn,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let context = report::Context {
        rules,
        color,
        root: std::env::current_dir().ok(),
        step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
        fail_on,
    };
    for warning in &outcome.warnings {
        eprintln!("kubelint: warning: {warning}");
    }
    let code = report::exit_code(outcome, fail_on);
    match report::write(outcome, format, &context, out) {
        // A reader that stops early (`| head`) does not change what the run found.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        other => other.map(|()| code).map_err(CliError::from),
    }
}

fn drift_command(
    live: &Path,
    paths: &[PathBuf],
    env: &str,
    (format, fail_on): (Format, FailOn),
    config: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let from_stdin = live.as_os_str() == "-";
    if let Some(missing) = paths
        .iter()
        .map(PathBuf::as_path)
        .chain((!from_stdin).then_some(live))
        .find(|p| std::fs::symlink_metadata(p).is_err())
    {
        return Err(CliError::Usage(format!(
            "{}: no such file or folder",
            missing.display()
        )));
    }
    let config = load_config(config, paths)?;
    let rules = RuleSet::load(&config)?;
    let text = if from_stdin {
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text)?;
        text
    } else {
        std::fs::read(live)
            .map_err(|e| CliError::Usage(format!("{}: cannot read: {e}", live.display())))?
    };
    let live_name = if from_stdin {
        Path::new("stdin.yaml")
    } else {
        live
    };
    let roots = [config.root.clone()];
    let paths = if paths.is_empty() { &roots[..] } else { paths };
    let outcome = check::check_drift(paths, &text, live_name, env, &config, &rules)
        .map_err(CliError::Usage)?;
    report_outcome(&outcome, format, fail_on, &rules, out)
}

fn completions_command(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<i32, CliError> {
    // Into memory first: clap_complete panics on a write error, and a reader that closes early
    // (`| head`) must not crash kubelint.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kubelint", &mut script);
    out.write_all(&script)?;
    Ok(0)
}

fn man_command(out_dir: Option<&Path>, out: &mut dyn Write) -> Result<i32, CliError> {
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(Cli::command(), dir)?;
        }
        None => clap_mangen::Man::new(Cli::command()).render(out)?,
    }
    Ok(0)
}

fn env_command(
    paths: &[PathBuf],
    config: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let config = load_config(config, paths)?;
    let rules = RuleSet::load(&config)?;
    match &config.source {
        Some(source) => writeln!(out, "config: {}", crate::config::display_path(source))?,
        None => writeln!(out, "config: none (no .kubelint.yaml found)")?,
    }
    let files: Vec<&Path> = paths
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| p.is_file())
        .collect();
    let mut deployments = if files.is_empty() {
        Vec::new()
    } else {
        check::deployments(&files, &config, &rules)
    }
    .into_iter();
    for path in paths {
        let direct = config.environments_for(&config.relative(path));
        let built = if path.is_file() {
            deployments.next().unwrap_or_default()
        } else {
            Vec::new()
        };
        let shown = crate::config::display_path(path);
        if direct.is_empty() && built.is_empty() {
            writeln!(out, "{shown}: no environment")?;
        }
        let describe = |env: &crate::config::Env| {
            let spec = &env.spec;
            let platform = spec.platform.map_or("unknown platform", |p| p.as_str());
            let region = spec.region.as_deref().unwrap_or("unknown region");
            let namespace = spec
                .namespace
                .as_deref()
                .map(|n| format!(", namespace {n}"))
                .unwrap_or_default();
            format!("{} ({platform}, {region}{namespace})", env.name)
        };
        for env in &direct {
            writeln!(out, "{shown}: {}", describe(env))?;
        }
        for (env, via) in &built {
            writeln!(out, "{shown}: {} via {via}", describe(env))?;
        }
    }
    write_releases(paths, &config, out)?;
    Ok(0)
}

/// Each Helm release under `paths`, per environment, with its values files in helm's order.
fn write_releases(paths: &[PathBuf], config: &Config, out: &mut dyn Write) -> std::io::Result<()> {
    let inputs = crate::discover::discover(paths, config).inputs;
    let helm_files: Vec<String> = inputs
        .iter()
        .filter(|i| {
            i.kind == crate::model::InputKind::HelmValues
                || i.path.file_name().is_some_and(|n| n == "Chart.yaml")
        })
        .map(|i| config.relative(&i.path))
        .collect();
    for release in crate::model::helm::plan(config, helm_files.iter().map(String::as_str)) {
        let env = release
            .env
            .as_ref()
            .map_or("no environment", |e| e.name.as_str());
        let namespace = release
            .namespace
            .as_deref()
            .map(|n| format!(", namespace {n}"))
            .unwrap_or_default();
        let values: Vec<String> = release
            .values
            .iter()
            .map(|v| crate::config::display_path(&config.root.join(v)))
            .collect();
        let values = if values.is_empty() {
            "no values files (the chart's defaults)".to_string()
        } else {
            values.join(" then ")
        };
        writeln!(
            out,
            "helm release {} ({}{namespace}) in {env}: {values}",
            release.name, release.chart
        )?;
    }
    Ok(())
}

fn rules_command(
    config: Option<&Path>,
    test: bool,
    format: ListFormat,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let config = load_config(config, &[])?;
    let rules = RuleSet::load(&config)?;
    if test {
        let failures = cases::run_all(&rules);
        for failure in &failures {
            writeln!(out, "{failure}")?;
        }
        let cases: usize = rules
            .rules()
            .iter()
            .map(|r| r.cases().map_or(0, |c| c.len()))
            .sum();
        writeln!(
            out,
            "{} rules, {cases} cases, {} failures",
            rules.rules().len(),
            failures.len()
        )?;
        return Ok(i32::from(!failures.is_empty()));
    }
    out.write_all(docs::listing(&rules, format).as_bytes())?;
    Ok(0)
}

fn explain_command(id: &str, config: Option<&Path>, out: &mut dyn Write) -> Result<i32, CliError> {
    let config = load_config(config, &[])?;
    let rules = RuleSet::load(&config)?;
    let Some(rule) = rules.rules().iter().find(|r| &*r.id == id) else {
        return Err(CliError::Usage(format!(
            "unknown rule `{id}` (`kubelint rules` lists them)"
        )));
    };
    out.write_all(docs::explain(rule).as_bytes())?;
    Ok(0)
}
