//! The distinct-values check (`verraft_checker::distinct`): each of its verdicts on a
//! history where it must say "not linearizable" and on a close one where it must say
//! "linearizable", the parts it must leave to the search, and agreement with the search on
//! generated histories and on every acceptance history it applies to.
mod common;

use std::path::Path;
use std::time::Duration;
use verraft_checker::generate::{register_history, Workload};
use verraft_checker::models::{
    KvInput, KvModel, KvOutput, RegisterInput as I, RegisterModel, RegisterOutput as O,
};
use verraft_checker::report::check_parsed;
use verraft_checker::{
    check, parse_history, CheckOptions, CheckResult, Format, History, Method, Operation, Outcome,
    ParsedHistory, Verdict,
};

type Op = Operation<I, O>;

fn w(client: u64, v: i64, call: u64, ret: u64) -> Op {
    Operation::new(client, I::Write(v), Some(O::Write), call, Some(ret))
}

fn r(client: u64, v: Option<i64>, call: u64, ret: u64) -> Op {
    Operation::new(client, I::Read, Some(O::Read(v)), call, Some(ret))
}

fn w_unknown(client: u64, v: i64, call: u64) -> Op {
    Operation::new(client, I::Write(v), None, call, None)
}

fn options(distinct_values: bool) -> CheckOptions {
    CheckOptions {
        threads: 1,
        distinct_values,
        ..CheckOptions::default()
    }
}

/// Checks `ops` both ways; they must agree, and the distinct-values check must be the one
/// that decided. Returns its result.
fn decided_by_distinct(ops: Vec<Op>) -> CheckResult {
    let h = History::new(ops).unwrap();
    let fast = check(&RegisterModel, &h, &options(true));
    let searched = check(&RegisterModel, &h, &options(false));
    assert_eq!(fast.parts[0].method, Method::DistinctValues, "{h:?}");
    assert_ne!(searched.parts[0].method, Method::DistinctValues);
    assert_eq!(fast.verdict, searched.verdict, "{h:?}");
    fast
}

fn conflict_text(r: &CheckResult) -> String {
    match &r.parts[0].outcome {
        Outcome::NotLinearizable { explanation } => {
            assert!(explanation.conflict.is_some(), "{explanation:?}");
            explanation.to_string()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_read_of_a_value_nobody_wrote() {
    let no = decided_by_distinct(vec![w(0, 1, 0, 10), r(1, Some(2), 5, 15)]);
    assert!(conflict_text(&no).contains("no operation writes"));
    let yes = decided_by_distinct(vec![w(0, 1, 0, 10), w(2, 2, 0, 10), r(1, Some(2), 5, 15)]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn a_read_before_its_write() {
    let no = decided_by_distinct(vec![r(1, Some(1), 0, 4), w(0, 1, 5, 10)]);
    let text = conflict_text(&no);
    assert!(text.contains("returned at 4 before #1"), "{text}");
    // Touching intervals are concurrent: the read may come right after the write.
    let yes = decided_by_distinct(vec![r(1, Some(1), 0, 5), w(0, 1, 5, 10)]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn the_initial_value_after_a_write() {
    // Read by another read, not only by the write itself.
    let no = decided_by_distinct(vec![
        w_unknown(0, 1, 0),
        r(1, Some(1), 2, 3),
        r(2, None, 4, 5),
    ]);
    let text = conflict_text(&no);
    assert!(
        text.contains("#2 read the initial value after #0"),
        "{text}"
    );
    let yes = decided_by_distinct(vec![
        w_unknown(0, 1, 0),
        r(1, Some(1), 2, 4),
        r(2, None, 4, 5),
    ]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn two_forward_zones_that_overlap() {
    // Write 2 overlaps the first read of 1; then reads see 2, then 1 again.
    let no = decided_by_distinct(vec![
        w(0, 1, 0, 1),
        w(1, 2, 0, 2),
        r(2, Some(1), 2, 3),
        r(3, Some(2), 4, 5),
        r(4, Some(1), 6, 7),
    ]);
    assert!(conflict_text(&no).contains("must both come before the other"));
    // The same with the last read seeing 2: 1, then 2 for good.
    let yes = decided_by_distinct(vec![
        w(0, 1, 0, 1),
        w(1, 2, 0, 2),
        r(2, Some(1), 2, 3),
        r(3, Some(2), 4, 5),
        r(4, Some(2), 6, 7),
    ]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn a_backward_zone_inside_a_forward_one() {
    // Write 2 begins and ends between write 1 and a read of 1.
    let no = decided_by_distinct(vec![w(0, 1, 0, 1), w(1, 2, 2, 3), r(2, Some(1), 4, 5)]);
    assert_eq!(no.verdict, Verdict::NotLinearizable);
    let yes = decided_by_distinct(vec![w(0, 1, 0, 1), w(1, 2, 2, 4), r(2, Some(1), 4, 5)]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn an_unknown_write_nobody_read_may_never_have_happened() {
    // Had write 2 taken effect, it would separate write 1 from the read of 1.
    let yes = decided_by_distinct(vec![
        w(0, 1, 0, 1),
        w_unknown(1, 2, 2),
        r(2, Some(1), 10, 11),
    ]);
    let Outcome::Linearizable { witness } = &yes.parts[0].outcome else {
        panic!("{yes:?}")
    };
    assert_eq!(witness, &vec![0, 2]);
    // Once it was read it took effect, and has to be placed.
    let no = decided_by_distinct(vec![
        w(0, 1, 0, 1),
        w_unknown(1, 2, 2),
        r(3, Some(2), 5, 6),
        r(2, Some(1), 10, 11),
    ]);
    assert_eq!(no.verdict, Verdict::NotLinearizable);
    // An unknown write takes effect no earlier than its invocation, however late.
    let no = decided_by_distinct(vec![r(1, Some(7), 0, 4), w_unknown(0, 7, 5)]);
    assert_eq!(no.verdict, Verdict::NotLinearizable);
    let yes = decided_by_distinct(vec![
        w_unknown(0, 7, 0),
        r(1, None, 1, 2),
        r(2, Some(7), 900, 901),
    ]);
    assert_eq!(yes.verdict, Verdict::Linearizable);
}

#[test]
fn parts_the_check_does_not_cover_are_searched() {
    let cas = Operation::new(2, I::Cas { from: 1, to: 2 }, Some(O::Cas(true)), 0, Some(9));
    let twice = [w(0, 1, 0, 5), w(1, 1, 0, 5), r(2, Some(1), 1, 6)];
    let wrong_kind = Operation::new(1, I::Read, Some(O::Write), 0, Some(9));
    for ops in [
        vec![w(0, 1, 0, 5), r(1, Some(2), 0, 5), cas],
        twice.to_vec(),
        vec![w(0, 1, 0, 5), wrong_kind],
    ] {
        let h = History::new(ops).unwrap();
        let result = check(&RegisterModel, &h, &options(true));
        assert_ne!(result.parts[0].method, Method::DistinctValues, "{h:?}");
    }
    // A key-value part with an append is searched; one with puts and gets is not.
    let kv = |input, output| Operation::new(0, input, Some(output), 0, Some(5));
    let put = KvInput::Put {
        key: "k".into(),
        value: "a".into(),
    };
    let get = KvInput::Get { key: "k".into() };
    let append = KvInput::Append {
        key: "j".into(),
        value: "b".into(),
    };
    let h = History::new(vec![
        kv(put.clone(), KvOutput::Done),
        kv(get.clone(), KvOutput::Value("a".into())),
        kv(append, KvOutput::Done),
    ])
    .unwrap();
    let result = check(&KvModel, &h, &options(true));
    let methods: Vec<Method> = result.parts.iter().map(|p| p.method).collect();
    assert_ne!(methods[0], Method::DistinctValues, "key \"j\"");
    assert_eq!(methods[1], Method::DistinctValues, "key \"k\"");
    // Two keys checked as one part are not one register.
    let h = History::new(vec![
        kv(put, KvOutput::Done),
        kv(KvInput::Get { key: "j".into() }, KvOutput::Value("".into())),
        kv(get, KvOutput::Value("a".into())),
    ])
    .unwrap();
    let whole = CheckOptions {
        partition: false,
        ..options(true)
    };
    assert_eq!(check(&KvModel, &h, &whole).parts[0].method, Method::Search);
    // A put of "" writes a key's initial value: a read of "" names no single write.
    let empty = KvInput::Put {
        key: "k".into(),
        value: "".into(),
    };
    let h = History::new(vec![
        kv(empty, KvOutput::Done),
        kv(KvInput::Get { key: "k".into() }, KvOutput::Value("".into())),
    ])
    .unwrap();
    assert_ne!(
        check(&KvModel, &h, &options(true)).parts[0].method,
        Method::DistinctValues
    );
}

/// Generated histories of every kind, small enough for the search, with many unknown
/// outcomes: the two must agree on each, and both verdicts must occur.
#[test]
fn agrees_with_the_search_on_generated_histories() {
    let (mut yes, mut no) = (0, 0);
    for seed in 0..400u64 {
        let fault = ["", "stale", "future", "flip-flop"][seed as usize % 4];
        let ops = (8 + seed % 53).to_string();
        let clients = (2 + seed % 5).to_string();
        let mut args = vec!["--ops", &ops, "--clients", &clients, "--unknown", "15"];
        args.extend(["--reads", "60"]);
        let seed_text = seed.to_string();
        args.extend(["--seed", &seed_text]);
        if !fault.is_empty() {
            args.extend(["--fault", fault]);
        }
        let Ok(g) = register_history(&Workload::from_args(&args).unwrap()) else {
            continue; // too small to hold that fault
        };
        let fast = check(&RegisterModel, &g.history, &options(true));
        let searched = check(&RegisterModel, &g.history, &options(false));
        assert_eq!(fast.parts[0].method, Method::DistinctValues, "{args:?}");
        assert_eq!(fast.verdict, searched.verdict, "{args:?}");
        // Linearizable exactly when no fault was asked for: the generator's own promise.
        assert_eq!(
            fast.verdict == Verdict::Linearizable,
            fault.is_empty(),
            "{args:?}"
        );
        match fast.verdict {
            Verdict::Linearizable => yes += 1,
            _ => no += 1,
        }
    }
    assert!(yes > 50 && no > 150, "linearizable {yes}, not {no}");
}

/// Larger generated histories, on which the search runs long enough to widen its
/// lookahead (past 4,096 configurations), still get the same verdicts from both.
#[test]
fn agrees_with_long_searches() {
    let mut long = 0;
    for seed in 0..60u64 {
        let fault = ["", "stale", "future", "flip-flop"][seed as usize % 4];
        let seed_text = seed.to_string();
        let mut args = vec!["--ops", "120", "--clients", "8", "--unknown", "15"];
        args.extend(["--reads", "60", "--seed", &seed_text]);
        if !fault.is_empty() {
            args.extend(["--fault", fault]);
        }
        let g = register_history(&Workload::from_args(&args).unwrap()).unwrap();
        let fast = check(&RegisterModel, &g.history, &options(true));
        let searched = check(&RegisterModel, &g.history, &options(false));
        assert_eq!(fast.verdict, searched.verdict, "{args:?}");
        assert_eq!(
            fast.verdict == Verdict::Linearizable,
            fault.is_empty(),
            "{args:?}"
        );
        long += usize::from(searched.parts[0].stats.configurations > 4096);
    }
    assert!(long >= 5, "only {long} searches ran long");
}

/// Every part of the acceptance data the check applies to: a "linearizable" comes with a
/// witness that an independent replay accepts, and the search, where it decides within
/// its budget, gives the same verdict. (The search cannot decide every 2,000-operation
/// register in time, which is what the check is for; the "not linearizable" ones were
/// made so by construction, see `tests/data/generated/README.md`.)
#[test]
fn agrees_with_the_search_on_the_acceptance_data() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let search = CheckOptions {
        timeout: Some(Duration::from_secs(1)),
        ..options(false)
    };
    let (mut eligible, mut witnessed, mut compared) = (0, 0, 0);
    for dir in ["porcupine", "generated"] {
        let expected = std::fs::read_to_string(data.join(dir).join("EXPECTED.tsv")).unwrap();
        for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let file = line.split('\t').next().unwrap();
            let bytes = std::fs::read(data.join(dir).join(file)).unwrap();
            let history = parse_history(&bytes, Format::Auto).unwrap();
            let fast = check_parsed(&history, None, &options(true)).unwrap();
            let slow = check_parsed(&history, None, &search).unwrap();
            for (f, s) in fast.parts.iter().zip(&slow.parts) {
                if f.method != Method::DistinctValues {
                    continue;
                }
                eligible += 1;
                if let (Outcome::Linearizable { witness }, ParsedHistory::Register(h)) =
                    (&f.outcome, &history)
                {
                    let sub = common::sub_history(h, &f.ops);
                    let local: Vec<usize> = witness
                        .iter()
                        .map(|w| f.ops.binary_search(w).unwrap())
                        .collect();
                    assert!(
                        common::valid_witness(&RegisterModel, &sub, &local),
                        "{file}"
                    );
                    witnessed += 1;
                }
                if s.outcome.verdict() != Verdict::Unknown {
                    compared += 1;
                    assert_eq!(
                        f.outcome.verdict(),
                        s.outcome.verdict(),
                        "{file} {}",
                        f.label
                    );
                }
            }
        }
    }
    // The porcupine histories have a cas or an append in every part; the generated ones
    // are single registers of distinct values.
    assert!(eligible >= 7, "{eligible} parts eligible");
    assert!(witnessed >= 3, "{witnessed} witnesses");
    assert!(compared >= 2, "only {compared} of {eligible} compared");
}
