//! The `fundsim` binary: all logic lives in the library (`fundsim::cli`).

fn main() {
    std::process::exit(fundsim::cli::main(std::env::args_os()));
}
