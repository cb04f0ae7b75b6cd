//! The table `verraft bughunt` fills: for each seeded bug (and the correct core) and each
//! engine, whether the engine caught it within its budget, how fast, which invariant fired
//! and how long the counterexample was, as found and after minimization. Plain data, so
//! that it prints as text or as JSON and tests can read it.
use serde::Serialize;
use std::fmt;
use verraft_core::Bug;
use verraft_sim::scenario::Scenario;
use verraft_sim::Event;

/// An engine that hunts bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// `verraft check`: exhaustive model checking within the bug's bounds.
    Check,
    /// `verraft sim`: random simulation, one seed after another.
    Sim,
    /// The `schedule` fuzz target under cargo-fuzz.
    Fuzz,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Check, Engine::Sim, Engine::Fuzz];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Check => "check",
            Engine::Sim => "sim",
            Engine::Fuzz => "fuzz",
        }
    }

    pub fn parse(s: &str) -> Result<Engine, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown engine '{s}' (known: check, sim, fuzz, all)"))
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The length of a counterexample: every event, and the message deliveries among them (the
/// measure published hand-built counterexamples use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Length {
    pub events: usize,
    pub deliveries: usize,
}

impl Length {
    pub fn of(scenario: &Scenario) -> Length {
        Length {
            events: scenario.steps.len(),
            deliveries: scenario
                .events()
                .filter(|e| matches!(e, Event::Deliver { .. }))
                .count(),
        }
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.events, self.deliveries)
    }
}

/// What an engine found.
#[derive(Clone, Debug, Serialize)]
pub struct Catch {
    /// Seconds from the engine's start to its counterexample (minimization not included).
    pub seconds: f64,
    /// The invariant that fired.
    pub invariant: String,
    /// The counterexample as the engine handed it out (the model checker's is already a
    /// shortest one within its bounds).
    pub raw: Length,
    /// After `verraft minimize`'s algorithm (`None`: the minimizer failed; `note` says why).
    pub minimized: Option<Length>,
}

/// How one engine's hunt for one bug ended.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Caught(Catch),
    /// The whole budget ran out (or the search was exhaustive) without a violation.
    NotCaught,
    /// The engine cannot run here (the fuzzer without nightly or cargo-fuzz).
    Unavailable,
    /// Ctrl-C stopped it before a verdict.
    Interrupted,
    /// The engine itself failed (not a finding about the core).
    Error,
}

/// One engine's hunt for one bug, or on the correct core (`bug: None`).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub bug: Option<String>,
    pub engine: Engine,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Seconds the engine ran in all.
    pub spent: f64,
    /// What it tried (seeds, states, executions) or why it could not run.
    pub note: String,
}

impl Row {
    pub fn caught(&self) -> bool {
        matches!(self.verdict, Verdict::Caught(_))
    }

    /// The row as one line of progress.
    pub fn summary(&self) -> String {
        let who = self.bug.as_deref().unwrap_or("correct core");
        let what = match (&self.verdict, self.bug.is_some()) {
            (Verdict::Caught(c), true) => format!(
                "caught in {:.2} s: {}, {} events ({} after minimizing)",
                c.seconds,
                c.invariant,
                c.raw.events,
                c.minimized.map_or("?".into(), |m| m.events.to_string())
            ),
            (Verdict::Caught(c), false) => format!(
                "FALSE ALARM after {:.1} s: {} ({} events)",
                c.seconds, c.invariant, c.raw.events
            ),
            (Verdict::NotCaught, true) => format!("not caught in {:.1} s", self.spent),
            (Verdict::NotCaught, false) => format!("clean for {:.1} s", self.spent),
            (Verdict::Unavailable, _) => "unavailable".into(),
            (Verdict::Interrupted, _) => format!("interrupted after {:.1} s", self.spent),
            (Verdict::Error, _) => "ERROR".into(),
        };
        format!("{who:<17} {:<5} {what}; {}", self.engine.name(), self.note)
    }
}

/// Every row of one hunt.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    /// Seconds each engine may spend on each bug.
    pub budget: f64,
    pub rows: Vec<Row>,
    /// Ctrl-C ended the hunt before every row was filled.
    pub interrupted: bool,
}

impl Table {
    /// Bugs with no row that caught them.
    pub fn missed(&self, bugs: &[Bug]) -> Vec<Bug> {
        bugs.iter()
            .copied()
            .filter(|b| {
                !self
                    .rows
                    .iter()
                    .any(|r| r.bug.as_deref() == Some(b.name()) && r.caught())
            })
            .collect()
    }

    /// Whether the correct core raised no alarm and no engine failed on it.
    pub fn correct_core_clean(&self) -> bool {
        self.rows
            .iter()
            .filter(|r| r.bug.is_none())
            .all(|r| matches!(r.verdict, Verdict::NotCaught | Verdict::Unavailable))
    }

    /// The table as fixed-width text: lengths are events/deliveries.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<17} {:<6} {:<12} {:>8}  {:<21} {:>9} {:>9}  {}\n",
            "bug", "engine", "verdict", "time", "invariant", "raw", "minimized", "note"
        );
        for r in &self.rows {
            let bug = r.bug.as_deref().unwrap_or("(correct core)");
            let (verdict, time, inv, raw, min) = match &r.verdict {
                Verdict::Caught(c) => (
                    if r.bug.is_some() {
                        "caught"
                    } else {
                        "FALSE ALARM"
                    },
                    format!("{:.2} s", c.seconds),
                    c.invariant.clone(),
                    c.raw.to_string(),
                    c.minimized.map_or("-".into(), |m| m.to_string()),
                ),
                other => (
                    match other {
                        Verdict::NotCaught if r.bug.is_none() => "clean",
                        Verdict::NotCaught => "not caught",
                        Verdict::Unavailable => "unavailable",
                        Verdict::Interrupted => "interrupted",
                        _ => "ERROR",
                    },
                    format!("{:.2} s", r.spent),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ),
            };
            out += &format!(
                "{bug:<17} {:<6} {verdict:<12} {time:>8}  {inv:<21} {raw:>9} {min:>9}  {}\n",
                r.engine.name(),
                r.note
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bug: Option<Bug>, verdict: Verdict) -> Row {
        Row {
            bug: bug.map(|b| b.name().to_string()),
            engine: Engine::Sim,
            verdict,
            spent: 1.0,
            note: String::new(),
        }
    }

    fn caught() -> Verdict {
        Verdict::Caught(Catch {
            seconds: 0.5,
            invariant: "Commit Quorum".into(),
            raw: Length {
                events: 9,
                deliveries: 4,
            },
            minimized: Some(Length {
                events: 3,
                deliveries: 1,
            }),
        })
    }

    #[test]
    fn a_bug_counts_as_caught_only_when_some_row_caught_it() {
        let t = Table {
            budget: 1.0,
            rows: vec![
                row(Some(Bug::WrongQuorum), Verdict::NotCaught),
                row(Some(Bug::WrongQuorum), caught()),
                row(Some(Bug::Figure8), Verdict::Unavailable),
                row(None, Verdict::NotCaught),
            ],
            interrupted: false,
        };
        assert_eq!(
            t.missed(&[Bug::WrongQuorum, Bug::Figure8]),
            vec![Bug::Figure8]
        );
        assert!(t.correct_core_clean());
        assert!(t.render().contains("9/4"));
    }

    #[test]
    fn an_alarm_or_an_error_on_the_correct_core_is_not_clean() {
        for v in [caught(), Verdict::Error, Verdict::Interrupted] {
            let t = Table {
                budget: 1.0,
                rows: vec![row(None, v)],
                interrupted: false,
            };
            assert!(!t.correct_core_clean());
        }
    }
}
