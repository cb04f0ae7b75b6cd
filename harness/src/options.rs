//! What a fuzz run may force on the worlds it decodes. The fuzz targets read these from the
//! environment once, so the same crash input decodes to the same scenario under
//! `cargo fuzz run`, `cargo fuzz tmin`, `cargo test` and `verraft replay --from-fuzz`,
//! provided the same variables are set.
use std::fmt;
use verraft_core::{Bug, BugSet};
use verraft_sim::Features;

/// Seeded bugs switched on in every decoded world (comma-separated bug names, or `none`).
pub const ENV_BUGS: &str = "VERRAFT_FUZZ_BUGS";
/// Force the cluster size (1..=9) instead of letting the input choose 3, 4 or 5 nodes.
pub const ENV_NODES: &str = "VERRAFT_FUZZ_NODES";
/// Force the optional features (`pre-vote,check-quorum`, `all` or `none`) instead of letting
/// the input choose.
pub const ENV_FEATURES: &str = "VERRAFT_FUZZ_FEATURES";

/// Most events a schedule decodes to.
pub const MAX_EVENTS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FuzzOptions {
    /// Bugs every decoded world runs with (empty: the correct core).
    pub bugs: BugSet,
    /// A forced cluster size; `None` lets the input choose.
    pub nodes: Option<u8>,
    /// Forced optional features; `None` lets the input choose.
    pub features: Option<Features>,
    /// Most events per schedule.
    pub max_events: usize,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            bugs: BugSet::NONE,
            nodes: None,
            features: None,
            max_events: MAX_EVENTS,
        }
    }
}

/// A malformed environment variable: the run must not silently fuzz another world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

impl FuzzOptions {
    /// Read `VERRAFT_FUZZ_BUGS`, `VERRAFT_FUZZ_NODES` and `VERRAFT_FUZZ_FEATURES`; unset
    /// means the default.
    pub fn from_env() -> Result<FuzzOptions, OptionsError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self::from_values(
            var(ENV_BUGS).as_deref(),
            var(ENV_NODES).as_deref(),
            var(ENV_FEATURES).as_deref(),
        )
    }

    /// The same as [`FuzzOptions::from_env`], from explicit values (testable without touching
    /// the process environment).
    pub fn from_values(
        bugs: Option<&str>,
        nodes: Option<&str>,
        features: Option<&str>,
    ) -> Result<FuzzOptions, OptionsError> {
        let mut o = FuzzOptions::default();
        if let Some(list) = bugs {
            o.bugs = parse_bugs(list).map_err(|e| OptionsError(format!("{ENV_BUGS}: {e}")))?;
        }
        if let Some(n) = nodes {
            let n: u8 = n
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=9).contains(n))
                .ok_or_else(|| {
                    OptionsError(format!("{ENV_NODES}: expected 1 to 9, found '{n}'"))
                })?;
            o.nodes = Some(n);
        }
        if let Some(list) = features {
            o.features = Some(
                Features::parse(list).map_err(|e| OptionsError(format!("{ENV_FEATURES}: {e}")))?,
            );
        }
        Ok(o)
    }
}

/// `vote-count,figure-8` or `none`.
pub fn parse_bugs(list: &str) -> Result<BugSet, String> {
    if list.trim() == "none" {
        return Ok(BugSet::NONE);
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|b| b.parse::<Bug>().map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bugs_and_nodes() {
        let o = FuzzOptions::from_values(Some("vote-count, figure-8"), Some("4"), Some("pre-vote"))
            .unwrap();
        assert!(o.bugs.contains(Bug::VoteCount) && o.bugs.contains(Bug::Figure8));
        assert_eq!(o.bugs.iter().count(), 2);
        assert_eq!(o.nodes, Some(4));
        assert_eq!(
            o.features,
            Some(Features {
                pre_vote: true,
                check_quorum: false,
                read_index: false,
                snapshots: false,
                transfer: false,
                lease_reads: false,
                membership: false,
            })
        );
        assert_eq!(
            FuzzOptions::from_values(None, None, None).unwrap(),
            FuzzOptions::default()
        );
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert!(FuzzOptions::from_values(Some("no-such-bug"), None, None).is_err());
        assert!(FuzzOptions::from_values(None, Some("0"), None).is_err());
        assert!(FuzzOptions::from_values(None, Some("ten"), None).is_err());
        assert!(FuzzOptions::from_values(None, None, Some("telepathy")).is_err());
    }
}
