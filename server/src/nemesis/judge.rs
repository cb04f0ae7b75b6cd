//! The verdict on what the clients saw: the history judged by verraft's linearizability
//! checker (its key-value model, one part per key), and the final reads compared with the
//! acknowledged appends, which names a lost or doubled write directly.
use super::workload::{KeyKind, Recorded};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use verraft_checker::models::{KvInput, KvModel, KvOutput};
use verraft_checker::parse::json::to_json;
use verraft_checker::{check, html, CheckOptions, CheckResult, History, Operation, ParsedHistory};

/// An append whose token the final read of its key does not hold the right number of times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    /// The key.
    pub key: String,
    /// The token appended.
    pub token: String,
    /// Times the final value holds it.
    pub found: usize,
    /// Whether the append was acknowledged (else its outcome was unknown: once or never).
    pub acknowledged: bool,
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.found, self.acknowledged) {
            (0, _) => write!(
                f,
                "lost write: append {:?} to {} was acknowledged, and the final read of {} does not hold it",
                self.token, self.key, self.key
            ),
            (n, ack) => write!(
                f,
                "doubled write: append {:?} to {} ({}) is in the final read {n} times",
                self.token,
                self.key,
                if ack { "acknowledged" } else { "outcome unknown" }
            ),
        }
    }
}

/// The final value of each key, from the final reads that got an answer.
fn final_values(finals: &[Recorded]) -> BTreeMap<&str, &str> {
    finals
        .iter()
        .filter_map(|r| match (&r.input, &r.output) {
            (KvInput::Get { key }, Some(KvOutput::Value(v))) => Some((key.as_str(), v.as_str())),
            _ => None,
        })
        .collect()
}

/// Appends the final reads do not account for: an acknowledged one missing, or any one
/// there more than once. Keys whose final read got no answer are not judged here.
pub fn anomalies(history: &[Recorded], finals: &[Recorded]) -> Vec<Anomaly> {
    let values = final_values(finals);
    let mut out = Vec::new();
    for r in history {
        let (KvInput::Append { key, value }, output) = (&r.input, &r.output) else {
            continue;
        };
        let Some(final_value) = values.get(key.as_str()) else {
            continue;
        };
        let token = value.as_str().trim();
        let found = final_value
            .split_whitespace()
            .filter(|t| *t == token)
            .count();
        let acknowledged = output.is_some();
        if (acknowledged && found == 0) || found > 1 {
            out.push(Anomaly {
                key: key.clone(),
                token: token.to_string(),
                found,
                acknowledged,
            });
        }
    }
    out
}

/// The history for the checker: every recorded operation and the final reads.
pub fn history(
    ops: &[Recorded],
    finals: &[Recorded],
) -> Result<History<KvInput, KvOutput>, String> {
    let ops = ops
        .iter()
        .chain(finals)
        .map(|r| {
            Operation::new(
                r.process,
                r.input.clone(),
                r.output.clone(),
                r.call,
                Some(r.ret),
            )
        })
        .collect();
    History::new(ops).map_err(|e| format!("the recorded history is malformed: {e}"))
}

/// Judge a history with the key-value model, each key apart, within `timeout`.
pub fn linearizable(history: &History<KvInput, KvOutput>, timeout: Duration) -> CheckResult {
    let options = CheckOptions {
        timeout: Some(timeout),
        memory_limit: Some(4 << 30),
        ..CheckOptions::default()
    };
    check(&KvModel, history, &options)
}

/// Write the history (verraft's JSON, which `verraft lincheck` reads) and the checker's
/// HTML view of it into `dir`; their paths.
pub fn keep(
    dir: &Path,
    history: &History<KvInput, KvOutput>,
    result: &CheckResult,
    title: &str,
) -> Result<(PathBuf, PathBuf), String> {
    let parsed = ParsedHistory::Kv(history.clone());
    let json = dir.join("history.json");
    std::fs::write(&json, to_json(&parsed)).map_err(|e| format!("{}: {e}", json.display()))?;
    let page = dir.join("history.html");
    std::fs::write(&page, html::render(&parsed, result, title))
        .map_err(|e| format!("{}: {e}", page.display()))?;
    Ok((json, page))
}

/// Whether `key` holds appends (its final read is compared with them).
pub fn is_append_key(key: &str) -> bool {
    KeyKind::of(key) == KeyKind::Append
}

#[cfg(test)]
mod tests {
    use super::*;
    use verraft_checker::Verdict;

    fn rec(
        process: u64,
        input: KvInput,
        output: Option<KvOutput>,
        call: u64,
        ret: u64,
    ) -> Recorded {
        Recorded {
            process,
            input,
            output,
            call,
            ret,
        }
    }

    fn append(token: &str) -> KvInput {
        KvInput::Append {
            key: "a0.0".into(),
            value: format!("{token} ").as_str().into(),
        }
    }

    fn read() -> KvInput {
        KvInput::Get { key: "a0.0".into() }
    }

    #[test]
    fn a_lost_acknowledged_append_and_a_doubled_one_are_named() {
        let ops = vec![
            rec(0, append("0.1"), Some(KvOutput::Done), 0, 5),
            rec(1, append("1.1"), Some(KvOutput::Done), 1, 6),
            rec(2, append("2.1"), None, 2, 9),
        ];
        let final_of = |v: &str| vec![rec(9, read(), Some(KvOutput::Value(v.into())), 20, 21)];
        // Everything acknowledged is there once; the unknown one may be missing.
        assert!(anomalies(&ops, &final_of("0.1 1.1 ")).is_empty());
        assert!(anomalies(&ops, &final_of("1.1 2.1 0.1 ")).is_empty());
        let lost = anomalies(&ops, &final_of("0.1 "));
        assert_eq!(lost.len(), 1);
        assert_eq!((lost[0].token.as_str(), lost[0].found), ("1.1", 0));
        assert!(lost[0].to_string().starts_with("lost write"));
        let doubled = anomalies(&ops, &final_of("0.1 1.1 2.1 2.1 "));
        assert_eq!(doubled.len(), 1);
        assert!(doubled[0].to_string().starts_with("doubled write"));
    }

    #[test]
    fn the_checker_rejects_a_history_with_a_lost_write_and_accepts_one_without() {
        let ops = vec![
            rec(0, append("0.1"), Some(KvOutput::Done), 0, 5),
            rec(1, append("1.1"), Some(KvOutput::Done), 6, 8),
        ];
        let good = vec![rec(
            9,
            read(),
            Some(KvOutput::Value("0.1 1.1 ".into())),
            20,
            21,
        )];
        let bad = vec![rec(9, read(), Some(KvOutput::Value("0.1 ".into())), 20, 21)];
        let timeout = Duration::from_secs(10);
        let h = history(&ops, &good).unwrap();
        assert_eq!(linearizable(&h, timeout).verdict, Verdict::Linearizable);
        let h = history(&ops, &bad).unwrap();
        assert_eq!(linearizable(&h, timeout).verdict, Verdict::NotLinearizable);
    }
}
