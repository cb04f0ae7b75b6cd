//! The `verraft` command line. Each subcommand lives in its own module under `cmd/`.
//! Exit codes: 0 success/clean, 1 a violation or non-linearizable history, 2 bad input,
//! 3 unknown or stopped early (a time limit, a state limit or Ctrl-C: what was found so far
//! is printed).
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;
mod interrupt;
mod progress;

/// The model checker and the simulator allocate and free a world's parts for every state
/// they generate, from two threads: mimalloc's thread-local free lists do this with
/// noticeably less CPU than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str =
    "Exit codes (every subcommand): 0 clean (every property holds, every history \
linearizable), 1 a violation or a history that is not linearizable, 2 bad input (arguments, \
files, scenarios that do not fit their world), 3 unknown: stopped by a time or state limit or \
Ctrl-C before a verdict (what was found so far is printed).";

#[derive(Parser)]
#[command(
    name = "verraft",
    version,
    arg_required_else_help = true,
    after_help = EXIT_CODES,
    about = "A Raft that carries its own proof: model checking, simulation, fuzzing, linearizability checking"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exhaustively model-check the Raft core within bounds (stateright)
    ///
    /// Without a bound flag it explores the default portfolio, seven bound sets each
    /// exhaustively: the core with pre-vote, check-quorum, ReadIndex reads and snapshots,
    /// the Figure 2 core with message loss, ReadIndex reads and snapshots while messages
    /// are lost, leadership transfer in a second term, one-entry appends with two messages
    /// in flight, a crash that loses unsynced writes, and membership changes in a cluster
    /// of two voters and a spare. `--bug` and `--no-auxiliary` alone keep the portfolio (does the default check
    /// catch this bug?); any other flag gives one bound set, starting from the first.
    Check(cmd::check::CheckArgs),
    /// Browse the model's state space in a web browser (stateright Explorer)
    Explore(cmd::explore::ExploreArgs),
    /// Re-run a scenario file step by step
    Replay(cmd::replay::ReplayArgs),
    /// Random simulation with swarm-chosen faults and a liveness check
    Sim(cmd::sim::SimArgs),
    /// Measure bug-finding power: hunt seeded bugs with every engine, each within a budget
    ///
    /// For each seeded bug and engine (check, sim, fuzz): caught or not, the time to detect,
    /// the invariant that fired and the counterexample's length, as found and minimized.
    /// The correct core is run too and must raise no alarm. Exit 0 when every bug was caught
    /// by some engine and the correct core stayed clean.
    Bughunt(cmd::bughunt::BughuntArgs),
    /// Shrink a failing scenario to a short one that breaks the same invariant
    Minimize(cmd::minimize::MinimizeArgs),
    /// Check client histories for linearizability (Jepsen etcd, porcupine kv, verraft JSON)
    Lincheck(cmd::lincheck::LincheckArgs),
    /// Run one node of a replicated key-value service (TCP peers, durable log, RESP clients)
    Node(cmd::node::NodeArgs),
    /// Start a local key-value cluster (one process per node) or show its status
    Cluster(cmd::cluster::ClusterArgs),
    /// Send one request to a key-value cluster (a session; follows redirects, retries)
    Kv(cmd::kv::KvArgs),
    /// Run a local cluster under kills, pauses, partitions and clock faults while clients
    /// work, and check their history for linearizability
    Nemesis(cmd::nemesis::NemesisArgs),
    /// Measure a key-value cluster's throughput and latency percentiles (fsync on)
    Bench(cmd::bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's whole message: the error, the hint ("a similar argument exists"), the
            // usage line, and for a bare `verraft` the whole help. `--help` and `--version`
            // go to standard output and succeed; everything else is bad input (exit 2).
            let _ = e.print();
            return if e.use_stderr() || e.exit_code() != 0 {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let code = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Explore(args) => cmd::explore::run(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Sim(args) => cmd::sim::run(args),
        Command::Minimize(args) => cmd::minimize::run(args),
        Command::Bughunt(args) => cmd::bughunt::run(args),
        Command::Lincheck(args) => cmd::lincheck::run(args),
        Command::Node(args) => cmd::node::run(args),
        Command::Cluster(args) => cmd::cluster::run(args),
        Command::Kv(args) => cmd::kv::run(args),
        Command::Nemesis(args) => cmd::nemesis::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    ExitCode::from(code)
}
