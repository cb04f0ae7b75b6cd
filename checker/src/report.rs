//! Checking parsed files and summarising the results as text: the part of the command
//! line that is not argument parsing.
use crate::check::{check, CheckOptions, CheckResult, Method, Outcome, Verdict};
use crate::models::{KvModel, RegisterModel};
use crate::parse::ParsedHistory;
use crate::search::StopReason;
use std::collections::BTreeMap;
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

/// What a part's outcome is called in reports: the three verdicts, and "not checked" for a
/// part left undecided because another part already settled the verdict (an unknown that
/// is no loss: the history is not linearizable whatever that part says). Ordered as
/// reports list them: what settles the verdict first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    NotLinearizable,
    Unknown,
    NotChecked,
    Linearizable,
}

impl Standing {
    pub fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Linearizable { .. } => Standing::Linearizable,
            Outcome::NotLinearizable { .. } => Standing::NotLinearizable,
            Outcome::Unknown {
                reason: StopReason::Cancelled,
                ..
            } => Standing::NotChecked,
            Outcome::Unknown { .. } => Standing::Unknown,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Standing::Linearizable => "linearizable",
            Standing::NotLinearizable => "not linearizable",
            Standing::Unknown => "unknown",
            Standing::NotChecked => "not checked",
        }
    }
}

fn count(result: &CheckResult, standing: Standing) -> usize {
    result
        .parts
        .iter()
        .filter(|p| Standing::of(&p.outcome) == standing)
        .count()
}

/// `NAME: VERDICT, N operations, P partitions (...), TIME`; an unknown verdict says why.
pub fn summary_line(name: &str, operations: usize, result: &CheckResult, time: Duration) -> String {
    let mut s = format!("{name}: {}", result.verdict);
    if result.verdict == Verdict::Unknown {
        let mut reasons: Vec<String> = result
            .parts
            .iter()
            .filter_map(|p| match p.outcome {
                Outcome::Unknown { reason, .. } => Some(reason.to_string()),
                _ => None,
            })
            .collect();
        reasons.sort();
        reasons.dedup();
        let _ = write!(s, " ({})", reasons.join(", "));
    }
    let _ = write!(
        s,
        ", {operations} operations, {} partition{}",
        result.parts.len(),
        if result.parts.len() == 1 { "" } else { "s" }
    );
    if result.parts.len() > 1 {
        let _ = write!(
            s,
            " ({} linearizable, {} not, {} unknown",
            count(result, Standing::Linearizable),
            count(result, Standing::NotLinearizable),
            count(result, Standing::Unknown)
        );
        let not_checked = count(result, Standing::NotChecked);
        if not_checked > 0 {
            let _ = write!(s, ", {not_checked} not checked");
        }
        s.push(')');
    }
    let _ = write!(s, ", {}", format_duration(time));
    s
}

/// `  checked by: distinct values 9 parts (1.20 ms), search 1 part (3.10 s)`: how many
/// parts each procedure checked and the time it took there (a part left unknown counts
/// for the procedure that tried it, and one never started for the search).
pub fn methods_line(result: &CheckResult) -> String {
    let mut by: BTreeMap<Method, (usize, Duration)> = BTreeMap::new();
    for p in &result.parts {
        let e = by.entry(p.method).or_default();
        e.0 += 1;
        e.1 += p.elapsed;
    }
    let items: Vec<String> = by
        .into_iter()
        .map(|(m, (n, t))| {
            let s = if n == 1 { "" } else { "s" };
            format!("{} {n} part{s} ({})", m.name(), format_duration(t))
        })
        .collect();
    format!("  checked by: {}\n", items.join(", "))
}

/// Labels listed per line of [`parts_by_standing`] before "and N more".
const LABELS_SHOWN: usize = 12;

/// For a history of several parts whose verdict is not "linearizable": one line per
/// standing that some part has (unknown ones per reason), naming those parts, so that a
/// stopped or failed check still tells which keys are settled and which are not.
pub fn parts_by_standing(result: &CheckResult) -> String {
    let mut s = String::new();
    if result.parts.len() < 2 || result.verdict == Verdict::Linearizable {
        return s;
    }
    let mut groups: BTreeMap<(Standing, String), Vec<&str>> = BTreeMap::new();
    for p in &result.parts {
        let standing = Standing::of(&p.outcome);
        let heading = match &p.outcome {
            Outcome::Unknown { reason, .. } if standing == Standing::Unknown => {
                format!("unknown ({reason})")
            }
            _ => standing.name().to_string(),
        };
        groups
            .entry((standing, heading))
            .or_default()
            .push(p.label.as_str());
    }
    for ((_, heading), labels) in groups {
        let _ = write!(s, "  {heading}: ");
        s.push_str(&labels[..labels.len().min(LABELS_SHOWN)].join(", "));
        if labels.len() > LABELS_SHOWN {
            let _ = write!(s, " and {} more", labels.len() - LABELS_SHOWN);
        }
        s.push('\n');
    }
    s
}

/// One line per part that is not linearizable, unknown or not checked, followed by the
/// explanation of a failure.
pub fn details(result: &CheckResult) -> String {
    let mut s = String::new();
    for p in &result.parts {
        let head = format!(
            "  {} ({} operations, {}, {})",
            p.label,
            p.ops.len(),
            p.method.name(),
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
                reason: StopReason::Cancelled,
                ..
            } => {
                let _ = writeln!(s, "{head}: {}", StopReason::Cancelled);
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
