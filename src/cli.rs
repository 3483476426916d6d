//! The command line: argument parsing and dispatch. Everything it calls lives in the library.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};

use crate::check::{self, Outcome};
use crate::config::{Config, ConfigError};
use crate::report::{self, FailOn, Format};
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
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// The lowest severity that makes the run fail (exit 1).
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOn,
        /// The config file; otherwise `.kubelint.yaml` is searched from the current folder up.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The path standard input stands for, so that its environment applies.
        #[arg(long)]
        stdin_filename: Option<PathBuf>,
    },
    /// Show which environments each path deploys to, per the config.
    Env {
        paths: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List the rules; `--test` runs every rule's own cases.
    Rules {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Run each rule's good and bad cases and report failures.
        #[arg(long)]
        test: bool,
    },
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
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            fail_on,
            config,
            stdin_filename,
        } => check_command(
            &paths,
            format,
            fail_on,
            config.as_deref(),
            stdin_filename.as_deref(),
            &mut stdout,
        ),
        Command::Env { paths, config } => env_command(&paths, config.as_deref(), &mut stdout),
        Command::Rules { config, test } => rules_command(config.as_deref(), test, &mut stdout),
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

fn load_config(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    match explicit
        .map(Path::to_path_buf)
        .or_else(|| Config::find(&cwd))
    {
        Some(path) => Config::load(&path),
        None => Ok(Config::empty(cwd)),
    }
}

fn check_command(
    paths: &[PathBuf],
    format: Format,
    fail_on: FailOn,
    config: Option<&Path>,
    stdin_filename: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let config = load_config(config)?;
    let rules = RuleSet::load(&config)?;
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let outcome: Outcome = if reads_stdin {
        if paths.len() > 1 {
            return Err(CliError::Usage(
                "`-` (standard input) cannot be mixed with other paths".into(),
            ));
        }
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text)?;
        let name = stdin_filename.unwrap_or(Path::new("stdin.yaml"));
        check::check_text(&text, name, &config, &rules)
    } else if paths.is_empty() {
        check::check_paths(&[PathBuf::from(".")], &config, &rules)
    } else {
        check::check_paths(paths, &config, &rules)
    };
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let context = report::Context {
        rules: &rules,
        color,
        root: std::env::current_dir().ok(),
        step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
    };
    let code = report::exit_code(&outcome, fail_on);
    match report::write(&outcome, format, &context, out) {
        // A reader that stops early (`| head`) does not change what the run found.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        other => other.map(|()| code).map_err(CliError::from),
    }
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
    let config = load_config(config)?;
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    for path in paths {
        let envs = config.environments_for(&config.relative(path));
        let shown = crate::config::display_path(path);
        if envs.is_empty() {
            writeln!(out, "{shown}: no environment")?;
        }
        for env in envs {
            let spec = &env.spec;
            let platform = spec.platform.map_or("unknown platform", |p| p.as_str());
            let region = spec.region.as_deref().unwrap_or("unknown region");
            let namespace = spec
                .namespace
                .as_deref()
                .map(|n| format!(", namespace {n}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{shown}: {} ({platform}, {region}{namespace})",
                env.name
            )?;
        }
    }
    Ok(0)
}

fn rules_command(config: Option<&Path>, test: bool, out: &mut dyn Write) -> Result<i32, CliError> {
    let config = load_config(config)?;
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
    for rule in rules.rules() {
        let runbook = rule
            .runbook
            .as_deref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<28} {:<8} {}{runbook}",
            rule.id,
            rule.severity.as_str(),
            rule.summary
        )?;
    }
    Ok(0)
}
