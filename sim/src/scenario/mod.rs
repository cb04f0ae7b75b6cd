//! Scenario files: the project's one counterexample format. Plain text, one event per line
//! after a header that fully describes the world, `#` starts a comment. Every engine writes
//! them, `verraft replay` runs them, `corpus/` keeps them.
//!
//! ```text
//! # verraft scenario
//! # found by: verraft check --bug no-persist-vote
//! nodes 3
//! bugs no-persist-vote
//! faults crash
//! crash-mode keep-unsynced
//! max-append 64
//! seed 42
//! client c1 put x 1; get x
//! expect Election Safety
//! timeout n1                       # n1 becomes candidate of term 1
//! deliver n1->n2 RV t1 last=0/0
//! ```
mod parse;
mod print;

pub use parse::{parse, ParseError};

use crate::config::WorldConfig;
use crate::event::Event;
use crate::invariants::Invariant;

/// One event line and its trailing comment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Step {
    pub event: Event,
    pub comment: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Scenario {
    /// Comment lines before the header (what found it, what it shows), without the `# `.
    pub notes: Vec<String>,
    pub config: WorldConfig,
    /// The invariant this scenario is known to break (`None`: it must run clean).
    pub expect: Option<Invariant>,
    pub steps: Vec<Step>,
}

impl Scenario {
    pub fn new(config: WorldConfig, events: impl IntoIterator<Item = Event>) -> Scenario {
        Scenario {
            notes: Vec::new(),
            config,
            expect: None,
            steps: events
                .into_iter()
                .map(|event| Step {
                    event,
                    comment: None,
                })
                .collect(),
        }
    }

    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.steps.iter().map(|s| &s.event)
    }

    /// The scenario as text; `parse` reads it back to an equal scenario.
    pub fn to_text(&self) -> String {
        print::print(self)
    }
}
