use clap::Parser;

fn main() {
    let cli = kubelint::cli::Cli::parse();
    // Made before any work, so the global pool cannot exist yet.
    rayon::ThreadPoolBuilder::new()
        .stack_size(kubelint::check::WORKER_STACK_BYTES)
        .build_global()
        .expect("the pool is built once, first");
    std::process::exit(kubelint::cli::run(cli));
}
