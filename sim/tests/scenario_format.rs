//! The scenario format: printer and parser round-trip exactly; malformed files give one clear
//! line naming the line number, never a panic.
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use verraft_core::{Bug, BugSet};
use verraft_kv::{KvOp, Text};
use verraft_sim::scenario::{parse, Scenario, Step};
use verraft_sim::*;

fn word() -> impl Strategy<Value = Text> {
    "[a-z0-9][a-z0-9.]{0,5}".prop_map(Text::from)
}

fn op() -> impl Strategy<Value = KvOp> {
    prop_oneof![
        word().prop_map(|key| KvOp::Get { key }),
        (word(), word()).prop_map(|(key, value)| KvOp::Put { key, value }),
        (word(), word()).prop_map(|(key, value)| KvOp::Append { key, value }),
        (word(), proptest::option::of(word()), word()).prop_map(|(key, expected, new)| KvOp::Cas {
            key,
            expected,
            new
        }),
        word().prop_map(|key| KvOp::Delete { key }),
    ]
}

fn entry() -> impl Strategy<Value = EntryRef> {
    prop_oneof![
        (0u64..9).prop_map(|term| EntryRef::Noop { term }),
        (0u64..9, 1u64..4, 1u64..9).prop_map(|(term, client, seq)| EntryRef::Command {
            term,
            client,
            seq
        }),
    ]
}

fn msg() -> impl Strategy<Value = MsgRef> {
    prop_oneof![
        (0u64..9, 0u64..20, 0u64..9, any::<bool>()).prop_map(
            |(term, last_index, last_term, transfer)| MsgRef::RequestVote {
                term,
                last_index,
                last_term,
                transfer,
            }
        ),
        (0u64..9).prop_map(|term| MsgRef::TimeoutNow { term }),
        (0u64..9, any::<bool>()).prop_map(|(term, granted)| MsgRef::Vote { term, granted }),
        (0u64..9, 0u64..20, 0u64..9).prop_map(|(term, last_index, last_term)| {
            MsgRef::PreVote {
                term,
                last_index,
                last_term,
            }
        }),
        (0u64..9, any::<bool>()).prop_map(|(term, granted)| MsgRef::PreVoteReply { term, granted }),
        (0u64..9, 0u64..5).prop_map(|(term, round)| MsgRef::ReadConfirm { term, round }),
        (0u64..9, 0u64..5).prop_map(|(term, round)| MsgRef::ReadConfirmReply { term, round }),
        (0u64..9, 1u64..4, 1u64..6).prop_map(|(term, client, seq)| MsgRef::ReadIndex {
            term,
            client,
            seq
        }),
        (0u64..9, 1u64..4, 1u64..6, proptest::option::of(0u64..20)).prop_map(
            |(term, client, seq, index)| MsgRef::ReadIndexReply {
                term,
                client,
                seq,
                index
            }
        ),
        (
            0u64..9,
            0u64..20,
            0u64..9,
            0u64..20,
            proptest::collection::vec(entry(), 0..4)
        )
            .prop_map(
                |(term, prev_index, prev_term, commit, entries)| MsgRef::Append {
                    term,
                    prev_index,
                    prev_term,
                    commit,
                    entries
                }
            ),
        (
            0u64..9,
            any::<bool>(),
            0u64..20,
            proptest::option::of(0u64..9)
        )
            .prop_map(
                |(term, success, index, conflict_term)| MsgRef::AppendReply {
                    term,
                    success,
                    index,
                    conflict_term
                }
            ),
        (0u64..9, 0u64..20, 0u64..9).prop_map(|(term, index, last_term)| MsgRef::Snapshot {
            term,
            index,
            last_term
        }),
    ]
}

fn event(nodes: u8, clients: u64) -> impl Strategy<Value = Event> {
    let n = move || 1..=nodes;
    let c = move || 1..=clients.max(1);
    prop_oneof![
        (n(), n(), msg()).prop_map(|(from, to, msg)| Event::Deliver { from, to, msg }),
        (n(), n(), msg()).prop_map(|(from, to, msg)| Event::Drop { from, to, msg }),
        (n(), n(), msg()).prop_map(|(from, to, msg)| Event::Duplicate { from, to, msg }),
        n().prop_map(Event::Timeout),
        n().prop_map(Event::Heartbeat),
        n().prop_map(Event::Crash),
        n().prop_map(Event::Restart),
        Just(Event::Heal),
        proptest::sample::subsequence((1..=nodes).collect::<Vec<_>>(), 1..nodes as usize).prop_map(
            move |first| {
                let second: Vec<u8> = (1..=nodes).filter(|id| !first.contains(id)).collect();
                Event::Partition(vec![first, second])
            }
        ),
    ]
    .boxed()
    .prop_union(
        prop_oneof![
            (c(), n()).prop_map(|(client, node)| Event::Invoke { client, node }),
            c().prop_map(Event::ClientTimeout),
            c().prop_map(Event::Reply),
            n().prop_map(Event::Sync),
            Just(Event::Tick),
            n().prop_map(Event::TickOne),
            n().prop_map(Event::Snapshot),
            (n(), n()).prop_map(|(from, to)| Event::Transfer { from, to }),
            (n(), 0..40u32).prop_map(|(node, keep)| Event::CrashKeeping { node, keep }),
        ]
        .boxed(),
    )
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        2u8..6,
        proptest::collection::vec(proptest::collection::vec(op(), 0..3), 1..3),
    )
        .prop_flat_map(|(nodes, clients)| {
            let k = clients.len() as u64;
            (
                Just(nodes),
                Just(clients),
                proptest::collection::vec(
                    (
                        event(nodes, k),
                        proptest::option::of("[a-z][a-z ]{0,10}[a-z]"),
                    ),
                    0..12,
                ),
                proptest::collection::vec("[a-z]{1,8}( [a-z]{1,8})?", 0..3),
                proptest::sample::subsequence(Bug::ALL.to_vec(), 0..3),
                any::<[bool; 5]>(),
                proptest::option::of(proptest::sample::select(Invariant::ALL.to_vec())),
                (
                    any::<u64>(),
                    1u32..9,
                    proptest::option::of(0u64..9),
                    proptest::option::of(0u32..9),
                    any::<bool>(),
                ),
            )
                .prop_map(
                    |(
                        nodes,
                        clients,
                        steps,
                        notes,
                        bugs,
                        f,
                        expect,
                        (seed, max_append, term, crashes, lose),
                    )| {
                        let mut config = WorldConfig::new(nodes);
                        config.clients = clients;
                        config.bugs = bugs.into_iter().collect::<BugSet>();
                        config.faults = Faults {
                            loss: f[0],
                            duplication: f[1],
                            reorder: f[2],
                            crash: f[3],
                            partition: f[4],
                        };
                        config.crash_mode = if lose {
                            CrashMode::LoseUnsynced
                        } else {
                            CrashMode::KeepUnsynced
                        };
                        config.max_append_entries = max_append;
                        config.limits.max_term = term;
                        config.limits.max_crashes = crashes;
                        config.seed = seed;
                        // The optional features and the snapshot interval, from the seed's
                        // bits (an interval other than the default must survive printing
                        // with snapshots off too).
                        config.features.snapshots = seed & 4 != 0;
                        config.features.transfer = seed & 8 != 0;
                        config.snapshot_every = (seed >> 4) as u32 % 4;
                        // Lease reads, and a timing other than the default that must survive
                        // printing with them off too.
                        config.features.lease_reads = seed & 64 != 0;
                        if seed & 128 != 0 {
                            config.timing.election_ticks = (seed >> 8) as u32 % 20;
                            config.timing.clock_drift = (seed >> 16) as u32 % 5;
                            config.limits.max_ticks = Some((seed >> 24) as u32 % 50);
                        }
                        if seed & 256 != 0 {
                            config.limits.max_losses = Some((seed >> 32) as u32 % 4);
                            config.limits.max_elections = Some((seed >> 40) as u32 % 6);
                        }
                        Scenario {
                            notes,
                            config,
                            expect,
                            steps: steps
                                .into_iter()
                                .map(|(event, comment)| Step { event, comment })
                                .collect(),
                        }
                    },
                )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, rng_seed: RngSeed::Fixed(2000), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_back_the_same_scenario(s in scenario()) {
        let text = s.to_text();
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &s, "{}", text);
        prop_assert_eq!(back.to_text(), text);
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(text in "(?s).{0,400}") {
        let _ = parse(&text);
    }

    #[test]
    fn the_parser_never_panics_on_mangled_scenarios(s in scenario(), cut in any::<prop::sample::Index>(), junk in "[ -~]{0,6}") {
        let mut text = s.to_text();
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(at, &junk);
        let _ = parse(&text);
    }
}

fn error_of(text: &str) -> String {
    let e = parse(text).expect_err("must be refused");
    let shown = e.to_string();
    assert!(!shown.contains('\n'), "one line: {shown}");
    shown
}

#[test]
fn malformed_scenarios_get_one_clear_line_each() {
    let cases: &[(&str, &str)] = &[
        (
            "timeout n1\n",
            "line 1: expected 'nodes N' before the first event",
        ),
        (
            "nodes 3\nfrobnicate n1\n",
            "line 2: unknown event 'frobnicate'",
        ),
        (
            "nodes 3\ntimeout n7\n",
            "line 2: n7 does not exist: the scenario has 3 nodes",
        ),
        (
            "nodes 3\ntimeout 1\n",
            "line 2: expected a node such as n1, found '1'",
        ),
        (
            "nodes 3\ndeliver n1->n2 RV t1\n",
            "line 2: malformed RV message",
        ),
        (
            "nodes 3\ndeliver n1n2 V+ t1\n",
            "line 2: expected a link such as n1->n2",
        ),
        (
            "nodes 3\ndeliver n1->n2 AE t1 prev=0/0 commit=0 [1:noop\n",
            "line 2: missing ']'",
        ),
        (
            "nodes 3\ndeliver n1->n2 ZZ t1\n",
            "line 2: unknown message kind 'ZZ'",
        ),
        ("nodes 3\nbugs figure-9\n", "line 2: unknown bug 'figure-9'"),
        (
            "nodes 3\nfaults loss,teleport\n",
            "line 2: unknown fault 'teleport'",
        ),
        ("nodes 0\n", "line 1: nodes must be between 1 and 9"),
        (
            "nodes three\n",
            "line 1: expected a node count, found 'three'",
        ),
        (
            "nodes 3\nclient c2 get x\n",
            "line 2: expected client c1, found c2",
        ),
        (
            "nodes 3\nclient c1 fly x\n",
            "line 2: expected an operation",
        ),
        (
            "nodes 3\ntimeout n1\nseed 4\n",
            "line 3: header line 'seed' after the first event",
        ),
        (
            "nodes 3\nlimits term=x\n",
            "line 2: expected a limit, found 'x'",
        ),
        (
            "nodes 3\nexpect Happiness\n",
            "line 2: unknown invariant 'Happiness'",
        ),
        (
            "nodes 3\ninvoke c1 n1\n",
            "line 2: c1 does not exist: the scenario has 0 clients",
        ),
        ("# only a comment\n", "line 1: missing 'nodes N' header"),
    ];
    for (text, want) in cases {
        let got = error_of(text);
        assert!(
            got.starts_with(want),
            "for {text:?}\n  got:  {got}\n  want: {want}…"
        );
    }
}

#[test]
fn comments_and_blank_lines_are_allowed_anywhere() {
    let text = "# verraft scenario\n# a note\n\nnodes 3   # three nodes\n\ntimeout n1 # go\n# between\nheal\n";
    let s = parse(text).unwrap();
    // Comment lines before the first event are notes; later ones are just comments.
    assert_eq!(s.notes, vec!["a note".to_string()]);
    assert_eq!(s.steps.len(), 2);
    assert_eq!(s.steps[0].comment.as_deref(), Some("go"));
}
