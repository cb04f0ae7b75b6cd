//! The `verraft` command line. Each subcommand lives in its own module under `cmd/`.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

#[derive(Parser)]
#[command(name = "verraft", version, about = "A Raft that carries its own proof: model checking, fuzzing, linearizability checking")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check client histories for linearizability (Jepsen etcd, porcupine kv, verraft JSON)
    Lincheck(cmd::lincheck::LincheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lincheck(args) => cmd::lincheck::run(args),
    };
    ExitCode::from(code)
}
