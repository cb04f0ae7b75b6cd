//! Histories: operations with a client, an input, an output (or an unknown outcome) and an
//! invocation/return interval. Histories recorded as an ordered list of events (Jepsen,
//! porcupine logs) are built with [`EventLog`], which uses the event position as time.
use std::collections::HashMap;

/// A point in time. Only the order matters; the unit is whatever the recorder used.
pub type Time = u64;

/// One operation of a concurrent history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client (process, thread) that issued the operation. Each client is sequential.
    pub client: u64,
    /// What the client asked for.
    pub input: I,
    /// What the client observed, or `None` when the outcome is unknown (the client crashed or
    /// timed out). An operation with an unknown outcome may take effect at any point after
    /// its invocation, or never, so the checker treats its return as lying at infinity.
    pub output: Option<O>,
    /// Invocation time.
    pub call: Time,
    /// Return time. Required when the output is known; for an unknown outcome it is only the
    /// moment the client gave up and is used for display, not for checking.
    pub ret: Option<Time>,
}

impl<I, O> Operation<I, O> {
    pub fn new(client: u64, input: I, output: Option<O>, call: Time, ret: Option<Time>) -> Self {
        Operation {
            client,
            input,
            output,
            call,
            ret,
        }
    }

    /// The return time the checker uses: unknown outcomes return at infinity.
    pub fn effective_ret(&self) -> Option<Time> {
        if self.output.is_some() {
            self.ret
        } else {
            None
        }
    }
}

/// Why a list of operations is not a well-formed history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("operation {index}: a known output needs a return time")]
    MissingReturn { index: usize },
    #[error("operation {index}: returns at {ret} before it is invoked at {call}")]
    ReturnBeforeCall { index: usize, call: Time, ret: Time },
}

/// A concurrent history: the operations in no particular order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

impl<I, O> History<I, O> {
    /// Validates the operations: known outputs need a return, and returns follow calls.
    pub fn new(ops: Vec<Operation<I, O>>) -> Result<Self, HistoryError> {
        for (index, op) in ops.iter().enumerate() {
            match (op.output.is_some(), op.ret) {
                (true, None) => return Err(HistoryError::MissingReturn { index }),
                (_, Some(ret)) if ret < op.call => {
                    return Err(HistoryError::ReturnBeforeCall {
                        index,
                        call: op.call,
                        ret,
                    })
                }
                _ => {}
            }
        }
        Ok(History { ops })
    }

    pub fn ops(&self) -> &[Operation<I, O>] {
        &self.ops
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The latest time mentioned by any operation (0 for an empty history).
    pub fn max_time(&self) -> Time {
        self.ops
            .iter()
            .map(|o| o.ret.unwrap_or(o.call).max(o.call))
            .max()
            .unwrap_or(0)
    }
}

/// Why an event does not fit the events before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("client {0} invokes an operation while its previous one is still pending")]
    AlreadyPending(u64),
    #[error("client {0} completes an operation it never invoked")]
    NotPending(u64),
}

/// Builds a [`History`] from an ordered list of events; the position of an event in the
/// list is its time, so two events never share a time.
#[derive(Debug)]
pub struct EventLog<I, O> {
    ops: Vec<Operation<I, O>>,
    /// Parallel to `ops`: `false` marks an operation removed by [`EventLog::discard`].
    live: Vec<bool>,
    pending: HashMap<u64, usize>,
    time: Time,
}

impl<I, O> Default for EventLog<I, O> {
    fn default() -> Self {
        EventLog {
            ops: Vec::new(),
            live: Vec::new(),
            pending: HashMap::new(),
            time: 0,
        }
    }
}

impl<I, O> EventLog<I, O> {
    pub fn new() -> Self {
        Self::default()
    }

    fn tick(&mut self) -> Time {
        let t = self.time;
        self.time += 1;
        t
    }

    /// The client's pending operation's input, if any.
    pub fn pending_input(&self, client: u64) -> Option<&I> {
        self.pending.get(&client).map(|&i| &self.ops[i].input)
    }

    /// `client` invokes an operation.
    pub fn invoke(&mut self, client: u64, input: I) -> Result<(), EventError> {
        if self.pending.contains_key(&client) {
            return Err(EventError::AlreadyPending(client));
        }
        let call = self.tick();
        self.pending.insert(client, self.ops.len());
        self.ops.push(Operation {
            client,
            input,
            output: None,
            call,
            ret: None,
        });
        self.live.push(true);
        Ok(())
    }

    fn take_pending(&mut self, client: u64) -> Result<usize, EventError> {
        self.pending
            .remove(&client)
            .ok_or(EventError::NotPending(client))
    }

    /// The pending operation of `client` returns `output`.
    pub fn complete(&mut self, client: u64, output: O) -> Result<(), EventError> {
        let i = self.take_pending(client)?;
        let ret = self.tick();
        self.ops[i].output = Some(output);
        self.ops[i].ret = Some(ret);
        Ok(())
    }

    /// The client gave up on its pending operation (timeout, crash): the outcome is unknown.
    pub fn give_up(&mut self, client: u64) -> Result<(), EventError> {
        let i = self.take_pending(client)?;
        let ret = self.tick();
        self.ops[i].ret = Some(ret);
        Ok(())
    }

    /// The pending operation of `client` is known not to have taken effect: it is removed.
    pub fn discard(&mut self, client: u64) -> Result<(), EventError> {
        let i = self.take_pending(client)?;
        self.tick();
        self.live[i] = false;
        Ok(())
    }

    /// Operations still pending at the end have unknown outcomes.
    pub fn finish(self) -> History<I, O> {
        let ops = self
            .ops
            .into_iter()
            .zip(self.live)
            .filter_map(|(op, live)| live.then_some(op))
            .collect();
        History { ops }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_log_pairs_events_by_client() {
        let mut log: EventLog<&str, u8> = EventLog::new();
        log.invoke(1, "a").unwrap();
        log.invoke(2, "b").unwrap();
        log.complete(2, 7).unwrap();
        assert_eq!(log.invoke(1, "c"), Err(EventError::AlreadyPending(1)));
        assert_eq!(log.complete(3, 0), Err(EventError::NotPending(3)));
        log.invoke(3, "d").unwrap();
        log.discard(3).unwrap();
        let h = log.finish();
        assert_eq!(h.len(), 2);
        assert_eq!(h.ops()[0].output, None);
        assert_eq!(h.ops()[1].output, Some(7));
        assert_eq!((h.ops()[1].call, h.ops()[1].ret), (1, Some(2)));
    }

    #[test]
    fn new_rejects_malformed_operations() {
        let op = |output: Option<u8>, call, ret| Operation {
            client: 0,
            input: (),
            output,
            call,
            ret,
        };
        assert!(History::new(vec![op(Some(1), 0, None)]).is_err());
        assert!(History::new(vec![op(Some(1), 5, Some(4))]).is_err());
        assert!(History::new(vec![op(None, 5, None), op(Some(1), 5, Some(5))]).is_ok());
    }
}
