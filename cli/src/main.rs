//! The `verraft` command line. Each subcommand lives in its own module under `cmd/`.
//! Exit codes: 0 success/clean, 1 a violation or non-linearizable history, 2 bad input,
//! 3 unknown (a search that hit its time limit).
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// The model checker and the simulator allocate and free a world's parts for every state
/// they generate, from two threads: mimalloc's thread-local free lists do this with
/// noticeably less CPU than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "verraft",
    version,
    about = "A Raft that carries its own proof: model checking, simulation, fuzzing, linearizability checking"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exhaustively model-check the Raft core within bounds (stateright)
    Check(cmd::check::CheckArgs),
    /// Browse the model's state space in a web browser (stateright Explorer)
    Explore(cmd::explore::ExploreArgs),
    /// Re-run a scenario file step by step
    Replay(cmd::replay::ReplayArgs),
    /// Random simulation with swarm-chosen faults and a liveness check
    Sim(cmd::sim::SimArgs),
    /// Shrink a failing scenario to a short one that breaks the same invariant
    Minimize(cmd::minimize::MinimizeArgs),
    /// Check client histories for linearizability (Jepsen etcd, porcupine kv, verraft JSON)
    Lincheck(cmd::lincheck::LincheckArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One clear line for a bad argument; `--help` shows the rest.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            eprintln!("verraft: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print(); // --help, --version
            return ExitCode::SUCCESS;
        }
    };
    let code = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Explore(args) => cmd::explore::run(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Sim(args) => cmd::sim::run(args),
        Command::Minimize(args) => cmd::minimize::run(args),
        Command::Lincheck(args) => cmd::lincheck::run(args),
    };
    ExitCode::from(code)
}
