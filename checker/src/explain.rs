//! Explanations of a failed search: where the longest linearizable prefix ends, and why
//! none of the operations that could come next fits there.
use crate::distinct::Conflict;
use crate::history::{History, Operation};
use crate::model::{describe, Model};
use crate::search::frontier;
use std::fmt;

/// Why an operation could not be linearized right after the longest prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// The model rejects the operation (its output) in the prefix's final state.
    Illegal,
    /// The operation fits, leading to `state_after`, but every continuation from there
    /// dead-ends.
    DeadEnd { state_after: String },
}

/// An operation that could not be placed next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// Index into the history's operations.
    pub op: usize,
    /// e.g. `#12 client 3 [40..52] read() -> 4`.
    pub label: String,
    pub reason: BlockReason,
}

/// The explanation of why one part of a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The longest linearizable prefix found, in linearization order (history indices).
    pub prefix: Vec<usize>,
    /// The model state after the prefix.
    pub state: String,
    /// The operations that could be linearized next (their invocation precedes the first
    /// pending return), and why each fails.
    pub blocked: Vec<Blocked>,
    /// The pending operation that returns first: it must be linearized before anything
    /// invoked after its return, so the window of candidates closes there.
    pub deadline: Option<Blocked>,
    /// Set when the distinct-values check decided the part ([`crate::distinct`]): the
    /// facts of real time that no linearization satisfies together. The prefix is then
    /// empty and nothing is blocked: that check builds no prefix.
    pub conflict: Option<ConflictNote>,
}

/// A conflict of the distinct-values check, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictNote {
    /// What no linearization can do.
    pub summary: String,
    /// The facts it rests on, one sentence each.
    pub facts: Vec<String>,
    /// The operations named (history indices).
    pub ops: Vec<usize>,
}

/// `#index client C [call..ret] description`, the way reports name an operation.
pub fn op_label<M: Model>(model: &M, index: usize, op: &Operation<M::Input, M::Output>) -> String {
    let ret = match (op.output.is_some(), op.ret) {
        (true, Some(r)) => r.to_string(),
        _ => "?".to_string(),
    };
    format!(
        "#{index} client {} [{}..{ret}] {}",
        op.client,
        op.call,
        describe(model, op)
    )
}

/// Builds the explanation for a part whose searched operations are `part` (history
/// indices) and whose longest prefix is `prefix` (positions in `part`).
pub fn explain<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    part: &[usize],
    prefix: &[usize],
) -> Explanation {
    let all = history.ops();
    let ops: Vec<&Operation<M::Input, M::Output>> = part.iter().map(|&i| &all[i]).collect();
    let mut state = model.init();
    for &p in prefix {
        let o = ops[p];
        match model.step(&state, &o.input, o.output.as_ref()) {
            Some(next) => state = next,
            // The search only records prefixes the model accepted; stop rather than lie.
            None => break,
        }
    }
    let (candidates, deadline) = frontier(&ops, prefix);
    let blocked_of = |p: usize| {
        let o = ops[p];
        let reason = match model.step(&state, &o.input, o.output.as_ref()) {
            None => BlockReason::Illegal,
            Some(next) => BlockReason::DeadEnd {
                state_after: model.describe_state(&next),
            },
        };
        Blocked {
            op: part[p],
            label: op_label(model, part[p], o),
            reason,
        }
    };
    Explanation {
        prefix: prefix.iter().map(|&p| part[p]).collect(),
        state: model.describe_state(&state),
        // An operation of unknown outcome that would change nothing here is no obstacle
        // (the search never takes it), so it is not listed.
        blocked: candidates
            .iter()
            .filter(|&&p| {
                let o = ops[p];
                o.output.is_some() || model.step(&state, &o.input, None).as_ref() != Some(&state)
            })
            .map(|&p| blocked_of(p))
            .collect(),
        deadline: deadline.map(blocked_of),
        conflict: None,
    }
}

/// The explanation of a conflict found by the distinct-values check in the operations
/// `part` (history indices; the conflict names positions in it).
pub fn explain_conflict<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    part: &[usize],
    conflict: &Conflict,
) -> Explanation {
    let all = history.ops();
    let label = |p: usize| op_label(model, part[p], &all[part[p]]);
    let ret = |p: usize| all[part[p]].ret.map_or("?".to_string(), |r| r.to_string());
    let call = |p: usize| all[part[p]].call;
    // "X returned (at t) before Y was invoked (at u)": the one kind of fact every
    // conflict rests on.
    let before = |x: usize, y: usize| {
        format!(
            "{} returned at {} before {} was invoked at {}",
            label(x),
            ret(x),
            label(y),
            call(y)
        )
    };
    let (summary, facts) = match *conflict {
        Conflict::NeverWritten { read } => (
            format!("{} returned a value that no operation writes", label(read)),
            Vec::new(),
        ),
        Conflict::ReadBeforeWrite { read, write } => (
            format!(
                "#{} read a value before the only write of it began",
                part[read]
            ),
            vec![before(read, write)],
        ),
        Conflict::InitialOverwritten {
            read,
            write,
            returned,
        } => {
            let mut facts = vec![before(returned, read)];
            if returned != write {
                facts.push(format!(
                    "{} read the value of {}, so that write had taken effect",
                    label(returned),
                    label(write)
                ));
            }
            (
                format!(
                    "#{} read the initial value after #{} had replaced it",
                    part[read], part[write]
                ),
                facts,
            )
        }
        Conflict::Cycle {
            a,
            b,
            a_first,
            b_first,
        } => (
            format!(
                "#{} and #{}, each with the reads of its value, must both come before the other",
                part[a], part[b]
            ),
            vec![
                format!("{}: #{} first", before(a_first.0, a_first.1), part[a]),
                format!("{}: #{} first", before(b_first.0, b_first.1), part[b]),
            ],
        ),
    };
    Explanation {
        prefix: Vec::new(),
        state: model.describe_state(&model.init()),
        blocked: Vec::new(),
        deadline: None,
        conflict: Some(ConflictNote {
            summary,
            facts,
            ops: conflict.ops().into_iter().map(|p| part[p]).collect(),
        }),
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.conflict {
            writeln!(f, "{} (distinct-values check)", c.summary)?;
            for fact in &c.facts {
                writeln!(f, "  {fact}")?;
            }
            return Ok(());
        }
        writeln!(
            f,
            "longest linearizable prefix: {} operations, ending in state {}",
            self.prefix.len(),
            self.state
        )?;
        if let Some(d) = &self.deadline {
            writeln!(
                f,
                "must be linearized next or before its return: {}",
                d.label
            )?;
        }
        for b in &self.blocked {
            match &b.reason {
                BlockReason::Illegal => {
                    writeln!(f, "  cannot go next: {} (illegal in state {})", b.label, self.state)?
                }
                BlockReason::DeadEnd { state_after } => writeln!(
                    f,
                    "  cannot go next: {} (fits, giving {state_after}, but no linearization continues from there)",
                    b.label
                )?,
            }
        }
        Ok(())
    }
}
