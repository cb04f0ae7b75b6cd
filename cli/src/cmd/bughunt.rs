//! `verraft bughunt`: measured bug-finding power. Every selected seeded bug is hunted by
//! every selected engine (model checker, random simulation, fuzzer) with the bounds
//! `verraft_models::bug_bounds` gives it, each for at most the budget; then the correct
//! core is run by each engine for the same budget and must raise no alarm. The table says,
//! per bug and engine, whether it was caught, how fast, which invariant fired and how long
//! the counterexample was as found and after minimization.
mod check_engine;
mod found;
mod fuzz_engine;
mod sim_engine;

use crate::cmd::check::parse_seconds;
use crate::progress::Progress;
use clap::{ArgGroup, Args};
use found::{into_row, Hunt, Outcome};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use verraft_core::Bug;
use verraft_models::bug_bounds::{bug_bounds, correct_core, readme_row};
use verraft_models::hunt::{Engine, Table, Verdict};
use verraft_sim::scenario::Scenario;

#[derive(Args)]
#[command(group(ArgGroup::new("which").required(true).args(["bugs", "all"])))]
pub struct BughuntArgs {
    /// Hunt this seeded bug (repeatable): vote-count, wrong-quorum, figure-8, ...
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Hunt every seeded bug
    #[arg(long)]
    all: bool,
    /// Engines to run: a list of check, sim, fuzz, or all
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = parse_engines)]
    engine: Engines,
    /// Seconds each engine may spend on each bug, and on the correct core
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_seconds)]
    budget: Duration,
    /// Print the table as JSON instead of text
    #[arg(long)]
    json: bool,
    /// Write each caught bug's shortest minimized counterexample to DIR/BUG.scn
    #[arg(long, value_name = "DIR")]
    save_corpus: Option<PathBuf>,
    /// Print what each selected bug is hunted with (a Markdown table: the `verraft check`
    /// and `verraft sim` commands, the fuzzer's forced world) and hunt nothing
    #[arg(long)]
    list_bounds: bool,
    /// Model checker threads (default: every core)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// The engines asked for, in the order they run.
#[derive(Clone, Debug)]
pub struct Engines(Vec<Engine>);

fn parse_engines(s: &str) -> Result<Engines, String> {
    if s.trim().is_empty() {
        return Err("empty list of engines (check, sim, fuzz, all)".into());
    }
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim) {
        let add: Vec<Engine> = if name == "all" {
            Engine::ALL.to_vec()
        } else {
            vec![Engine::parse(name)?]
        };
        for e in add {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out.sort();
    Ok(Engines(out))
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse::<Bug>().map_err(|e| e.to_string())
}

/// Where the fuzzer runs, decided once: available (built) or why not.
enum Fuzzer {
    Ready { dir: PathBuf, work: PathBuf },
    Unavailable(String),
}

/// Exit codes: 0 every selected bug caught by some engine and the correct core clean; 1 a
/// bug missed by every engine, or an alarm (or an engine failure) on the correct core; 2
/// bad arguments; 3 interrupted by Ctrl-C (the table so far is printed).
pub fn run(args: BughuntArgs) -> u8 {
    let bugs: Vec<Bug> = if args.all {
        Bug::ALL.to_vec()
    } else {
        let mut b: Vec<Bug> = Vec::new();
        for bug in &args.bugs {
            if !b.contains(bug) {
                b.push(*bug);
            }
        }
        b
    };
    if args.list_bounds {
        println!("| bug | model checker | random simulation | fuzzer's cluster and features |");
        println!("|---|---|---|---|");
        for bug in &bugs {
            println!("{}", readme_row(*bug));
        }
        return 0;
    }
    if let Some(dir) = &args.save_corpus {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("verraft bughunt: --save-corpus {}: {e}", dir.display());
            return 2;
        }
    }
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        usize::from,
    );
    let interrupt = crate::interrupt::flag();
    let mut progress = Progress::new("verraft bughunt");
    let fuzzer = args
        .engine
        .0
        .contains(&Engine::Fuzz)
        .then(|| prepare_fuzzer(&progress));
    let mut table = Table {
        budget: args.budget.as_secs_f64(),
        rows: Vec::new(),
        interrupted: false,
    };
    let mut best: Vec<(Bug, Engine, Scenario)> = Vec::new();
    let targets = bugs.iter().map(|b| Some(*b)).chain([None]);
    'all: for bug in targets {
        for &engine in &args.engine.0 {
            let label = format!(
                "{} {engine}",
                bug.map_or("correct core".to_string(), |b| b.to_string())
            );
            let hunt = hunt_one(
                bug,
                engine,
                &args,
                threads,
                fuzzer.as_ref(),
                &mut progress,
                &label,
            );
            let interrupted = matches!(hunt.outcome, Outcome::Interrupted);
            let (row, minimized) = into_row(bug.map(Bug::name), engine, hunt);
            progress.println(&row.summary());
            if let (Some(bug), Some(s)) = (bug, minimized) {
                keep_shortest(&mut best, bug, engine, s);
            }
            table.rows.push(row);
            if interrupted || interrupt.load(Ordering::Relaxed) {
                table.interrupted = true;
                break 'all;
            }
        }
    }
    progress.finish();
    // The fuzzer's folders are kept only when a run failed: its error names their logs.
    if let Some(Fuzzer::Ready { work, .. }) = &fuzzer {
        let failed = table
            .rows
            .iter()
            .any(|r| r.engine == Engine::Fuzz && matches!(r.verdict, Verdict::Error));
        if !failed {
            let _ = std::fs::remove_dir_all(work);
        }
    }
    if let Some(dir) = &args.save_corpus {
        if let Err(e) = save_corpus(dir, &best, &args) {
            eprintln!("verraft bughunt: --save-corpus: {e}");
            return 2;
        }
    }
    print_table(&table, args.json);
    // With --json, standard output is the JSON alone; the verdict goes beside it.
    let say = |line: &str| {
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    if table.interrupted {
        say("INTERRUPTED: the table holds the hunts finished so far");
        return 3;
    }
    verdict(&table, &bugs, say)
}

fn prepare_fuzzer(progress: &Progress) -> Fuzzer {
    let dir = fuzz_engine::fuzz_dir();
    if let Some(why) = fuzz_engine::unavailable(&dir) {
        progress.println(&format!("fuzz engine unavailable: {why}"));
        return Fuzzer::Unavailable(why);
    }
    let work = std::env::temp_dir().join(format!("verraft-bughunt-{}", std::process::id()));
    progress.println("building the fuzz target (not counted in any budget)");
    match fuzz_engine::build(&dir, &work) {
        Ok(()) => Fuzzer::Ready { dir, work },
        Err(e) => {
            progress.println(&format!("fuzz engine unavailable: {e}"));
            Fuzzer::Unavailable(e)
        }
    }
}

fn hunt_one(
    bug: Option<Bug>,
    engine: Engine,
    args: &BughuntArgs,
    threads: usize,
    fuzzer: Option<&Fuzzer>,
    progress: &mut Progress,
    label: &str,
) -> Hunt {
    let interrupt = crate::interrupt::flag();
    let (check_bounds, sim_options, fuzz_world) = match bug {
        Some(b) => {
            let bb = bug_bounds(b);
            let world = fuzz_engine::FuzzWorld {
                bugs: b.name().to_string(),
                nodes: bb.fuzz_nodes,
                features: bb.fuzz_features,
            };
            (bb.check, bb.sim, world)
        }
        None => {
            let (check, sim) = correct_core();
            let world = fuzz_engine::FuzzWorld {
                bugs: "none".into(),
                nodes: None,
                features: None,
            };
            (check, sim, world)
        }
    };
    match engine {
        Engine::Check => check_engine::hunt(
            check_bounds,
            args.budget,
            threads,
            interrupt,
            progress,
            label,
        ),
        Engine::Sim => sim_engine::hunt(&sim_options, args.budget, interrupt, progress, label),
        Engine::Fuzz => match fuzzer {
            Some(Fuzzer::Ready { dir, work }) => fuzz_engine::hunt(
                dir,
                work,
                &fuzz_world,
                args.budget,
                interrupt,
                progress,
                label,
            ),
            Some(Fuzzer::Unavailable(why)) => Hunt {
                outcome: Outcome::Unavailable,
                spent: Duration::ZERO,
                note: why.clone(),
            },
            None => Hunt {
                outcome: Outcome::Failed,
                spent: Duration::ZERO,
                note: "the fuzzer was not prepared".into(),
            },
        },
    }
}

/// Keep, per bug, the shortest minimized counterexample of any engine (the first engine's
/// on a tie).
fn keep_shortest(best: &mut Vec<(Bug, Engine, Scenario)>, bug: Bug, engine: Engine, s: Scenario) {
    match best.iter_mut().find(|(b, _, _)| *b == bug) {
        Some(slot) if s.steps.len() < slot.2.steps.len() => *slot = (bug, engine, s),
        Some(_) => {}
        None => best.push((bug, engine, s)),
    }
}

/// Write `DIR/BUG.scn` for every bug caught, each saying what found it.
fn save_corpus(
    dir: &Path,
    best: &[(Bug, Engine, Scenario)],
    args: &BughuntArgs,
) -> Result<(), String> {
    let started = Instant::now();
    for (bug, engine, scenario) in best {
        let mut s = scenario.clone();
        s.notes.insert(
            0,
            format!(
                "found by verraft bughunt --bug {bug} --engine {engine} --budget {}, then minimized",
                args.budget.as_secs_f64()
            ),
        );
        let path = dir.join(format!("{bug}.scn"));
        std::fs::write(&path, s.to_text()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!(
        "verraft bughunt: {} counterexamples written to {} ({:.1} s)",
        best.len(),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_table(table: &Table, json: bool) {
    if json {
        match serde_json::to_string_pretty(table) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("verraft bughunt: cannot write JSON: {e}"),
        }
    } else {
        println!(
            "budget {:.1} s per bug and engine; lengths are events/message deliveries",
            table.budget
        );
        print!("{}", table.render());
    }
}

fn verdict(table: &Table, bugs: &[Bug], say: impl Fn(&str)) -> u8 {
    let missed = table.missed(bugs);
    let clean = table.correct_core_clean();
    if !missed.is_empty() {
        let names: Vec<&str> = missed.iter().map(|b| b.name()).collect();
        say(&format!("MISSED by every engine: {}", names.join(", ")));
    }
    if !clean {
        say("the correct core did NOT stay clean (see the rows of the correct core)");
    }
    if missed.is_empty() && clean {
        say("every bug caught by at least one engine; the correct core stayed clean");
        0
    } else {
        1
    }
}
