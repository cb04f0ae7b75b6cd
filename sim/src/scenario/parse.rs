use super::{Scenario, Step};
use crate::config::{CrashMode, Faults, Features, Limits, Timing, WorldConfig};
use crate::event::{change_ids, EntryRef, Event, MsgRef};
use crate::invariants::Invariant;
use std::fmt;
use verraft_core::{Bug, BugSet, MembershipChange, NodeId, NodeSet};
use verraft_kv::{KvOp, Text};

/// What went wrong, and on which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

type R<T> = Result<T, String>;

/// Read a scenario file. Never panics: any malformed input is a `ParseError` naming the line.
pub fn parse(text: &str) -> Result<Scenario, ParseError> {
    let mut notes = Vec::new();
    let mut config = WorldConfig::new(3);
    // A file without a `features` line was written before optional features existed: its
    // nodes ran none of them.
    config.features = Features::NONE;
    let mut seen_nodes = false;
    let mut expect = None;
    let mut steps = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| ParseError {
            line: line_no,
            message,
        };
        let (body, comment) = match raw.find('#') {
            // One space after `#` is the printer's; more is the note's own indentation
            // (the detail lines under a violation), kept so that notes round-trip.
            Some(at) => {
                let text = raw[at + 1..].trim_end();
                (&raw[..at], Some(text.strip_prefix(' ').unwrap_or(text)))
            }
            None => (raw, None),
        };
        let body = body.trim();
        if body.is_empty() {
            // A comment line before the first event is a note (the banner line is not).
            if let Some(c) = comment {
                if steps.is_empty() && !(first && c == "verraft scenario") {
                    notes.push(c.to_string());
                }
            }
            first = false;
            continue;
        }
        first = false;
        let (keyword, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        let rest = rest.trim();
        let is_header = matches!(
            keyword,
            "nodes"
                | "voters"
                | "bugs"
                | "faults"
                | "crash-mode"
                | "max-append"
                | "limits"
                | "seed"
                | "quiet-phase"
                | "features"
                | "snapshot-every"
                | "timing"
                | "auxiliary"
                | "client"
                | "expect"
        );
        if is_header {
            if !steps.is_empty() {
                return Err(err(format!(
                    "header line '{keyword}' after the first event"
                )));
            }
            header(keyword, rest, &mut config, &mut seen_nodes, &mut expect).map_err(err)?;
            continue;
        }
        if !seen_nodes {
            return Err(err(format!(
                "expected 'nodes N' before the first event, found '{keyword}'"
            )));
        }
        let event = event(keyword, rest).map_err(err)?;
        check_ranges(&event, &config).map_err(err)?;
        let comment = comment.filter(|c| !c.is_empty()).map(str::to_string);
        steps.push(Step { event, comment });
    }
    if !seen_nodes {
        return Err(ParseError {
            line: text.lines().count().max(1),
            message: "missing 'nodes N' header".into(),
        });
    }
    Ok(Scenario {
        notes,
        config,
        expect,
        steps,
    })
}

fn header(
    keyword: &str,
    rest: &str,
    c: &mut WorldConfig,
    seen_nodes: &mut bool,
    expect: &mut Option<Invariant>,
) -> R<()> {
    match keyword {
        "nodes" => {
            let n: u8 = number(rest, "a node count")?;
            if !(1..=9).contains(&n) {
                return Err(format!("nodes must be between 1 and 9, found {n}"));
            }
            c.nodes = n;
            *seen_nodes = true;
        }
        "voters" => {
            let v: u8 = number(rest, "a voter count")?;
            if v == 0 || v > c.nodes {
                return Err(format!(
                    "voters must be between 1 and the node count ({}), found {v}",
                    c.nodes
                ));
            }
            c.voters = Some(v);
        }
        "bugs" => {
            c.bugs = if rest == "none" {
                BugSet::NONE
            } else {
                rest.split(',')
                    .map(|b| b.trim().parse::<Bug>().map_err(|e| e.to_string()))
                    .collect::<R<BugSet>>()?
            }
        }
        "faults" => c.faults = Faults::parse(rest)?,
        "features" => c.features = Features::parse(rest)?,
        "snapshot-every" => c.snapshot_every = number(rest, "a number of applied entries")?,
        "timing" => c.timing = timing(rest)?,
        "crash-mode" => {
            c.crash_mode = match rest {
                "keep-unsynced" => CrashMode::KeepUnsynced,
                "lose-unsynced" => CrashMode::LoseUnsynced,
                other => {
                    return Err(format!(
                        "expected crash-mode keep-unsynced or lose-unsynced, found '{other}'"
                    ))
                }
            }
        }
        "max-append" => {
            c.max_append_entries = number(rest, "a number of entries")?;
            if c.max_append_entries == 0 {
                return Err("max-append must be at least 1".into());
            }
        }
        "limits" => c.limits = limits(rest)?,
        "seed" => c.seed = number(rest, "a seed")?,
        "quiet-phase" => c.quiet_phase = Some(number(rest, "a number of events")?),
        "auxiliary" => {
            c.auxiliary = match rest {
                "on" => true,
                "off" => false,
                other => {
                    return Err(format!(
                        "expected 'auxiliary on' or 'auxiliary off', found '{other}'"
                    ))
                }
            }
        }
        "client" => {
            let (name, ops) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let id = client_id(name)?;
            if id as usize != c.clients.len() + 1 {
                return Err(format!(
                    "expected client c{}, found {name} (clients are listed in order)",
                    c.clients.len() + 1
                ));
            }
            let script = ops
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(op)
                .collect::<R<Vec<_>>>()?;
            c.clients.push(script);
        }
        "expect" => {
            *expect = match rest {
                "none" => None,
                name => Some(
                    Invariant::parse(name).ok_or_else(|| format!("unknown invariant '{name}'"))?,
                ),
            }
        }
        _ => unreachable!("header keywords are matched by the caller"),
    }
    Ok(())
}

/// `timing election=6 jitter=3 heartbeat=2 drift=2`: every field named, in any order.
fn timing(rest: &str) -> R<Timing> {
    let mut t = [None; 4];
    const NAMES: [&str; 4] = ["election", "jitter", "heartbeat", "drift"];
    for part in rest.split_whitespace() {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=value in timing, found '{part}'"))?;
        let at = NAMES.iter().position(|n| *n == name).ok_or_else(|| {
            format!("unknown timing '{name}' (known: election, jitter, heartbeat, drift)")
        })?;
        t[at] = Some(number(value, "a number of ticks")?);
    }
    let missing: Vec<&str> = NAMES
        .iter()
        .zip(t)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(format!("timing needs {} too", missing.join(", ")));
    }
    let [election_ticks, election_jitter, heartbeat_ticks, clock_drift] =
        t.map(Option::unwrap_or_default);
    Ok(Timing {
        election_ticks,
        election_jitter,
        heartbeat_ticks,
        clock_drift,
    })
}

fn limits(rest: &str) -> R<Limits> {
    let mut l = Limits::NONE;
    for part in rest.split_whitespace() {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=value in limits, found '{part}'"))?;
        let v: u64 = number(value, "a limit")?;
        let small = || u32::try_from(v).map_err(|_| format!("limit {name}={v} is too large"));
        match name {
            "term" => l.max_term = Some(v),
            "crashes" => l.max_crashes = Some(small()?),
            "in-flight" => l.max_in_flight = Some(small()?),
            "partitions" => l.max_partitions = Some(small()?),
            "client-timeouts" => l.max_client_timeouts = Some(small()?),
            "heartbeats" => l.max_heartbeats = Some(small()?),
            "snapshots" => l.max_snapshots = Some(small()?),
            "transfers" => l.max_transfers = Some(small()?),
            "ticks" => l.max_ticks = Some(small()?),
            "losses" => l.max_losses = Some(small()?),
            "elections" => l.max_elections = Some(small()?),
            "reconfigs" => l.max_reconfigs = Some(small()?),
            other => {
                return Err(format!(
                    "unknown limit '{other}' (known: term, crashes, in-flight, partitions, client-timeouts, heartbeats, snapshots, transfers, ticks, losses, elections, reconfigs)"
                ))
            }
        }
    }
    Ok(l)
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> R<T> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected {what}, found '{}'", s.trim()))
}

fn node_id(s: &str) -> R<NodeId> {
    s.strip_prefix('n')
        .and_then(|d| d.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("expected a node such as n1, found '{s}'"))
}

fn client_id(s: &str) -> R<u64> {
    s.strip_prefix('c')
        .and_then(|d| d.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("expected a client such as c1, found '{s}'"))
}

fn term(s: &str) -> R<u64> {
    s.strip_prefix('t')
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("expected a term such as t1, found '{s}'"))
}

fn value(s: &str) -> Option<Text> {
    (s != "-").then(|| Text::from(s))
}

fn op(text: &str) -> R<KvOp> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let key = |i: usize| w.get(i).map(|s| Text::from(*s));
    let want = |n: usize, form: &str| {
        if w.len() == n {
            Ok(())
        } else {
            Err(format!("expected '{form}', found '{text}'"))
        }
    };
    match w.first().copied() {
        Some("get") => want(2, "get KEY").map(|_| KvOp::Get {
            key: key(1).unwrap_or_default(),
        }),
        Some("put") => want(3, "put KEY VALUE").map(|_| KvOp::Put {
            key: key(1).unwrap_or_default(),
            value: key(2).unwrap_or_default(),
        }),
        Some("append") => want(3, "append KEY VALUE").map(|_| KvOp::Append {
            key: key(1).unwrap_or_default(),
            value: key(2).unwrap_or_default(),
        }),
        Some("cas") => want(4, "cas KEY EXPECTED NEW").map(|_| KvOp::Cas {
            key: key(1).unwrap_or_default(),
            expected: value(w[2]),
            new: key(3).unwrap_or_default(),
        }),
        Some("delete") => want(2, "delete KEY").map(|_| KvOp::Delete {
            key: key(1).unwrap_or_default(),
        }),
        _ => Err(format!(
            "expected an operation (get, put, append, cas, delete), found '{text}'"
        )),
    }
}

fn link(s: &str) -> R<(NodeId, NodeId)> {
    let (a, b) = s
        .split_once("->")
        .ok_or_else(|| format!("expected a link such as n1->n2, found '{s}'"))?;
    Ok((node_id(a)?, node_id(b)?))
}

fn event(keyword: &str, rest: &str) -> R<Event> {
    let args: Vec<&str> = rest.split_whitespace().collect();
    let one_node = |form: &str| -> R<NodeId> {
        match args.as_slice() {
            [n] => node_id(n),
            _ => Err(format!("expected '{form}', found '{keyword} {rest}'")),
        }
    };
    let one_client = |form: &str| -> R<u64> {
        match args.as_slice() {
            [c] => client_id(c),
            _ => Err(format!("expected '{form}', found '{keyword} {rest}'")),
        }
    };
    match keyword {
        "deliver" | "drop" | "dup" => {
            let (l, m) = rest.split_once(char::is_whitespace).ok_or_else(|| format!("expected '{keyword} nA->nB MESSAGE'"))?;
            let (from, to) = link(l)?;
            let msg = message(m.trim())?;
            Ok(match keyword {
                "deliver" => Event::Deliver { from, to, msg },
                "drop" => Event::Drop { from, to, msg },
                _ => Event::Duplicate { from, to, msg },
            })
        }
        "timeout" => one_node("timeout nN").map(Event::Timeout),
        "heartbeat" => one_node("heartbeat nN").map(Event::Heartbeat),
        "crash" => match args.as_slice() {
            [n] => node_id(n).map(Event::Crash),
            [n, keep] => {
                let keep = keep
                    .strip_prefix("keep=")
                    .ok_or_else(|| format!("expected 'crash nN' or 'crash nN keep=K', found 'crash {rest}'"))?;
                Ok(Event::CrashKeeping {
                    node: node_id(n)?,
                    keep: number(keep, "a number of parts kept")?,
                })
            }
            _ => Err(format!("expected 'crash nN' or 'crash nN keep=K', found 'crash {rest}'")),
        },
        "sync" => one_node("sync nN").map(Event::Sync),
        "tick" if args.is_empty() => Ok(Event::Tick),
        "tick" => one_node("tick or tick nN").map(Event::TickOne),
        "snapshot" => one_node("snapshot nN").map(Event::Snapshot),
        "transfer" => match args.as_slice() {
            [l] => link(l).map(|(from, to)| Event::Transfer { from, to }),
            _ => Err(format!("expected 'transfer nA->nB', found 'transfer {rest}'")),
        },
        "reconfig" => match args.as_slice() {
            [l, kind, target] => Ok(Event::Reconfig {
                leader: node_id(l)?,
                change: membership_change(kind, target)?,
            }),
            _ => Err(format!(
                "expected 'reconfig nL add|remove|learner|promote|drop-learner nN' or 'reconfig nL joint nA,nB,...', found 'reconfig {rest}'"
            )),
        },
        "restart" => one_node("restart nN").map(Event::Restart),
        "heal" if args.is_empty() => Ok(Event::Heal),
        "heal" => Err(format!("'heal' takes nothing, found '{rest}'")),
        "partition" => {
            let groups = rest
                .split('|')
                .map(|g| g.split(',').map(|n| node_id(n.trim())).collect::<R<Vec<_>>>())
                .collect::<R<Vec<_>>>()?;
            if groups.len() < 2 {
                return Err("expected at least two groups, such as 'partition n1,n2 | n3'".into());
            }
            Ok(Event::Partition(groups))
        }
        "invoke" => match args.as_slice() {
            [c, n] => Ok(Event::Invoke { client: client_id(c)?, node: node_id(n)? }),
            _ => Err(format!("expected 'invoke cN nN', found 'invoke {rest}'")),
        },
        "client-timeout" => one_client("client-timeout cN").map(Event::ClientTimeout),
        "reply" => one_client("reply cN").map(Event::Reply),
        other => Err(format!(
            "unknown event '{other}' (known: deliver, drop, dup, timeout, heartbeat, crash, restart, sync, snapshot, transfer, reconfig, partition, heal, invoke, client-timeout, reply)"
        )),
    }
}

fn field<'a>(tok: Option<&&'a str>, name: &str) -> R<&'a str> {
    let tok = tok.ok_or_else(|| format!("missing {name}=..."))?;
    tok.strip_prefix(name)
        .and_then(|r| r.strip_prefix('='))
        .ok_or_else(|| format!("expected {name}=..., found '{tok}'"))
}

fn pair(s: &str) -> R<(u64, u64)> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| format!("expected INDEX/TERM, found '{s}'"))?;
    Ok((number(a, "an index")?, number(b, "a term")?))
}

/// A message summary as `MsgRef`'s Display writes it.
fn message(text: &str) -> R<MsgRef> {
    let (head, entries) = match text.find('[') {
        Some(at) => {
            let close = text
                .rfind(']')
                .filter(|c| *c > at)
                .ok_or("missing ']' after the entry list")?;
            if !text[close + 1..].trim().is_empty() {
                return Err(format!(
                    "unexpected text after ']': '{}'",
                    text[close + 1..].trim()
                ));
            }
            (&text[..at], Some(&text[at + 1..close]))
        }
        None => (text, None),
    };
    let t: Vec<&str> = head.split_whitespace().collect();
    let kind = *t
        .first()
        .ok_or("expected a message such as 'RV t1 last=0/0'")?;
    let term = term(t.get(1).copied().ok_or("missing the message term")?)?;
    let expect_len = |n: usize| {
        if t.len() == n {
            Ok(())
        } else {
            Err(format!("malformed {kind} message '{text}'"))
        }
    };
    if kind != "AE" && entries.is_some() {
        return Err(format!("only AE messages carry entries, found '{text}'"));
    }
    match kind {
        "RV" => {
            if t.len() != 3 && t.len() != 4 {
                return Err(format!("malformed RV message '{text}'"));
            }
            let transfer = match t.get(3) {
                None => false,
                Some(&"transfer") if t.len() == 4 => true,
                Some(_) => return Err(format!("malformed RV message '{text}'")),
            };
            let (last_index, last_term) = pair(field(t.get(2), "last")?)?;
            Ok(MsgRef::RequestVote {
                term,
                last_index,
                last_term,
                transfer,
            })
        }
        "TN" => {
            expect_len(2)?;
            Ok(MsgRef::TimeoutNow { term })
        }
        "V+" | "V-" => {
            expect_len(2)?;
            Ok(MsgRef::Vote {
                term,
                granted: kind == "V+",
            })
        }
        "RC" | "RC+" => {
            expect_len(3)?;
            // (`#` would start a comment.)
            let round = t[2]
                .strip_prefix('r')
                .ok_or_else(|| format!("expected a round such as r0, found '{}'", t[2]))?;
            let round = number(round, "a round")?;
            Ok(if kind == "RC" {
                MsgRef::ReadConfirm { term, round }
            } else {
                MsgRef::ReadConfirmReply { term, round }
            })
        }
        "RI" | "RI-" => {
            expect_len(3)?;
            let (client, seq) = request(t[2])?;
            Ok(if kind == "RI" {
                MsgRef::ReadIndex { term, client, seq }
            } else {
                MsgRef::ReadIndexReply {
                    term,
                    client,
                    seq,
                    index: None,
                }
            })
        }
        "RI+" => {
            expect_len(4)?;
            let (client, seq) = request(t[2])?;
            let index = number(field(t.get(3), "idx")?, "an index")?;
            Ok(MsgRef::ReadIndexReply {
                term,
                client,
                seq,
                index: Some(index),
            })
        }
        "PV" => {
            expect_len(3)?;
            let (last_index, last_term) = pair(field(t.get(2), "last")?)?;
            Ok(MsgRef::PreVote {
                term,
                last_index,
                last_term,
            })
        }
        "P+" | "P-" => {
            expect_len(2)?;
            Ok(MsgRef::PreVoteReply {
                term,
                granted: kind == "P+",
            })
        }
        "AE" => {
            expect_len(4)?;
            let (prev_index, prev_term) = pair(field(t.get(2), "prev")?)?;
            let commit = number(field(t.get(3), "commit")?, "a commit index")?;
            let entries =
                entries.ok_or("AE needs its entry list, such as [] or [1:noop 1:c1.1]")?;
            let entries = entries
                .split_whitespace()
                .map(entry)
                .collect::<R<Vec<_>>>()?;
            Ok(MsgRef::Append {
                term,
                prev_index,
                prev_term,
                commit,
                entries,
            })
        }
        "IS" => {
            expect_len(3)?;
            let (index, last_term) = pair(field(t.get(2), "snap")?)?;
            Ok(MsgRef::Snapshot {
                term,
                index,
                last_term,
            })
        }
        "A+" | "A-" => {
            if t.len() != 3 && t.len() != 4 {
                return Err(format!("malformed {kind} message '{text}'"));
            }
            let index = number(field(t.get(2), "idx")?, "an index")?;
            let conflict_term = match t.get(3) {
                Some(_) => Some(number(field(t.get(3), "ct")?, "a term")?),
                None => None,
            };
            Ok(MsgRef::AppendReply {
                term,
                success: kind == "A+",
                index,
                conflict_term,
            })
        }
        other => Err(format!(
            "unknown message kind '{other}' (known: RV, V+, V-, PV, P+, P-, RC, RC+, RI, RI+, RI-, AE, IS, TN, A+, A-)"
        )),
    }
}

/// A client request as read messages name it: `c1.2`.
fn request(s: &str) -> R<(u64, u64)> {
    let (c, seq) = s
        .strip_prefix('c')
        .and_then(|r| r.split_once('.'))
        .ok_or_else(|| format!("expected a request such as c1.2, found '{s}'"))?;
    Ok((number(c, "a client")?, number(seq, "a sequence number")?))
}

fn membership_change(kind: &str, target: &str) -> R<MembershipChange> {
    Ok(match kind {
        "add" => MembershipChange::AddVoter(node_id(target)?),
        "remove" => MembershipChange::RemoveVoter(node_id(target)?),
        "learner" => MembershipChange::AddLearner(node_id(target)?),
        "promote" => MembershipChange::Promote(node_id(target)?),
        "drop-learner" => MembershipChange::RemoveLearner(node_id(target)?),
        "joint" => MembershipChange::Joint(
            target
                .split(',')
                .map(|n| node_id(n.trim()))
                .collect::<R<NodeSet>>()?,
        ),
        other => {
            return Err(format!(
                "unknown membership change '{other}' (known: add, remove, learner, promote, drop-learner, joint)"
            ))
        }
    })
}

fn entry(s: &str) -> R<EntryRef> {
    let (t, what) = s
        .split_once(':')
        .ok_or_else(|| format!("expected an entry such as 1:noop or 2:c1.3, found '{s}'"))?;
    let term = number(t, "an entry term")?;
    if what == "noop" {
        return Ok(EntryRef::Noop { term });
    }
    if let Some(m) = what.strip_prefix("config=") {
        return Ok(EntryRef::Config {
            term,
            membership: m.parse()?,
        });
    }
    let (c, seq) = what
        .split_once('.')
        .ok_or_else(|| format!("expected an entry such as 1:noop or 2:c1.3, found '{s}'"))?;
    Ok(EntryRef::Command {
        term,
        client: client_id(c)?,
        seq: number(seq, "a sequence number")?,
    })
}

/// Node and client ids must exist in the header's world.
fn check_ranges(e: &Event, c: &WorldConfig) -> R<()> {
    let node = |n: NodeId| {
        if n <= c.nodes {
            Ok(())
        } else {
            Err(format!(
                "n{n} does not exist: the scenario has {} nodes",
                c.nodes
            ))
        }
    };
    let client = |id: u64| {
        if id as usize <= c.clients.len() {
            Ok(())
        } else {
            Err(format!(
                "c{id} does not exist: the scenario has {} clients",
                c.clients.len()
            ))
        }
    };
    match e {
        Event::Deliver { from, to, .. }
        | Event::Drop { from, to, .. }
        | Event::Duplicate { from, to, .. } => {
            node(*from)?;
            node(*to)
        }
        Event::Tick => Ok(()),
        Event::Timeout(n)
        | Event::Heartbeat(n)
        | Event::TickOne(n)
        | Event::Crash(n)
        | Event::Restart(n)
        | Event::Sync(n)
        | Event::Snapshot(n)
        | Event::CrashKeeping { node: n, .. } => node(*n),
        Event::Transfer { from, to } => {
            node(*from)?;
            node(*to)
        }
        Event::Reconfig { leader, change } => {
            node(*leader)?;
            change_ids(change).try_for_each(node)
        }
        Event::Partition(g) => g.iter().flatten().try_for_each(|n| node(*n)),
        Event::Heal => Ok(()),
        Event::Invoke {
            client: cl,
            node: n,
        } => {
            client(*cl)?;
            node(*n)
        }
        Event::ClientTimeout(cl) | Event::Reply(cl) => client(*cl),
    }
}
