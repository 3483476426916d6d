use clap::Parser;

fn main() {
    let cli = kubelint::cli::Cli::parse();
    std::process::exit(kubelint::cli::run(cli));
}
