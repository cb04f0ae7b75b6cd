//! Checking parsed files and summarising the results as text: the part of the command
//! line that is not argument parsing.
use crate::check::{check, CheckOptions, CheckResult, Outcome, Verdict};
use crate::models::{KvModel, RegisterModel};
use crate::parse::ParsedHistory;
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

/// A built-in model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    Register,
    Kv,
}

impl FromStr for ModelChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "register" => Ok(ModelChoice::Register),
            "kv" => Ok(ModelChoice::Kv),
            _ => Err(format!("unknown model {s:?} (expected register or kv)")),
        }
    }
}

impl ModelChoice {
    pub fn name(self) -> &'static str {
        match self {
            ModelChoice::Register => "register",
            ModelChoice::Kv => "kv",
        }
    }

    /// The model that reads the operations of `history`.
    pub fn of(history: &ParsedHistory) -> Self {
        match history {
            ParsedHistory::Register(_) => ModelChoice::Register,
            ParsedHistory::Kv(_) => ModelChoice::Kv,
        }
    }
}

/// Checks a parsed history with the model its operations belong to; `model`, when given,
/// must be that one (an empty history fits any model).
pub fn check_parsed(
    history: &ParsedHistory,
    model: Option<ModelChoice>,
    options: &CheckOptions,
) -> Result<CheckResult, String> {
    let own = ModelChoice::of(history);
    if let Some(m) = model {
        if m != own && !history.is_empty() {
            return Err(format!(
                "the {} model cannot check {} operations",
                m.name(),
                own.name()
            ));
        }
    }
    Ok(match history {
        ParsedHistory::Register(h) => check(&RegisterModel, h, options),
        ParsedHistory::Kv(h) => check(&KvModel, h, options),
    })
}

/// A duration for humans: microseconds to seconds.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// `NAME: VERDICT, N operations, P partitions (...), TIME`.
pub fn summary_line(name: &str, operations: usize, result: &CheckResult, time: Duration) -> String {
    let count = |v: Verdict| {
        result
            .parts
            .iter()
            .filter(|p| p.outcome.verdict() == v)
            .count()
    };
    let mut s = format!(
        "{name}: {}, {operations} operations, {} partition{}",
        result.verdict,
        result.parts.len(),
        if result.parts.len() == 1 { "" } else { "s" }
    );
    if result.parts.len() > 1 {
        let _ = write!(
            s,
            " ({} linearizable, {} not, {} unknown)",
            count(Verdict::Linearizable),
            count(Verdict::NotLinearizable),
            count(Verdict::Unknown)
        );
    }
    let _ = write!(s, ", {}", format_duration(time));
    s
}

/// One line per part that is not linearizable or unknown, followed by the explanation.
pub fn details(result: &CheckResult) -> String {
    let mut s = String::new();
    for p in &result.parts {
        let head = format!(
            "  {} ({} operations, {})",
            p.label,
            p.ops.len(),
            format_duration(p.elapsed)
        );
        match &p.outcome {
            Outcome::Linearizable { .. } => {}
            Outcome::NotLinearizable { explanation } => {
                let _ = writeln!(s, "{head}: not linearizable");
                for line in explanation.to_string().lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
            Outcome::Unknown {
                reason,
                longest_prefix,
            } => {
                let _ = writeln!(
                    s,
                    "{head}: unknown ({reason}); longest linearizable prefix so far: {} operations",
                    longest_prefix.len()
                );
            }
        }
    }
    s
}
