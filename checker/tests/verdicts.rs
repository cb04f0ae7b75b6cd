//! Each verdict path on small hand-made histories: broken histories are caught, limits
//! give `Unknown` and never a wrong verdict.
use std::time::Duration;
use verraft_checker::models::{
    KvInput, KvModel, KvOutput, RegisterInput as I, RegisterModel, RegisterOutput as O,
};
use verraft_checker::{
    check, BlockReason, CheckOptions, History, Operation, Outcome, StopReason, Verdict,
};

/// The search alone: these tests are about what it explains, and about its limits, on
/// registers the distinct-values check would otherwise decide first.
fn search_only() -> CheckOptions {
    CheckOptions {
        distinct_values: false,
        ..CheckOptions::default()
    }
}

#[test]
fn stale_read_is_not_linearizable_and_explained() {
    let h = History::new(vec![
        Operation::new(0, I::Write(1), Some(O::Write), 0, Some(10)),
        Operation::new(1, I::Read, Some(O::Read(Some(1))), 11, Some(20)),
        Operation::new(2, I::Read, Some(O::Read(None)), 21, Some(30)),
    ])
    .unwrap();
    let r = check(&RegisterModel, &h, &search_only());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let Outcome::NotLinearizable { explanation } = &r.parts[0].outcome else {
        panic!("{r:?}")
    };
    assert_eq!(explanation.prefix, vec![0, 1]);
    assert_eq!(explanation.state, "1");
    assert_eq!(explanation.blocked.len(), 1);
    assert_eq!(explanation.blocked[0].op, 2);
    assert_eq!(explanation.blocked[0].reason, BlockReason::Illegal);
    assert!(explanation.to_string().contains("read() -> nil"));
}

#[test]
fn concurrent_read_may_see_either_value() {
    let h = History::new(vec![
        Operation::new(0, I::Write(1), Some(O::Write), 0, Some(10)),
        Operation::new(1, I::Read, Some(O::Read(None)), 5, Some(6)),
        Operation::new(2, I::Read, Some(O::Read(Some(1))), 7, Some(8)),
    ])
    .unwrap();
    let r = check(&RegisterModel, &h, &CheckOptions::default());
    let Outcome::Linearizable { witness } = &r.parts[0].outcome else {
        panic!("{r:?}")
    };
    assert_eq!(witness, &vec![1, 0, 2]);
}

#[test]
fn unknown_outcomes_may_take_effect_late_or_never() {
    // A timed-out write seen much later; and one never seen.
    let h = History::new(vec![
        Operation::new(0, I::Write(7), None, 0, Some(1)),
        Operation::new(1, I::Write(9), None, 2, None),
        Operation::new(2, I::Read, Some(O::Read(None)), 3, Some(4)),
        Operation::new(3, I::Read, Some(O::Read(Some(7))), 50, Some(60)),
    ])
    .unwrap();
    let r = check(&RegisterModel, &h, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::Linearizable);
    // But not before its invocation.
    let h = History::new(vec![
        Operation::new(1, I::Read, Some(O::Read(Some(7))), 0, Some(4)),
        Operation::new(0, I::Write(7), None, 5, None),
    ])
    .unwrap();
    assert_eq!(
        check(&RegisterModel, &h, &CheckOptions::default()).verdict,
        Verdict::NotLinearizable
    );
}

#[test]
fn unknown_cas_applies_only_if_its_comparison_holds() {
    let h = History::new(vec![
        Operation::new(0, I::Write(1), Some(O::Write), 0, Some(1)),
        Operation::new(1, I::Cas { from: 2, to: 3 }, None, 2, None),
        Operation::new(2, I::Read, Some(O::Read(Some(3))), 10, Some(11)),
    ])
    .unwrap();
    assert_eq!(
        check(&RegisterModel, &h, &CheckOptions::default()).verdict,
        Verdict::NotLinearizable
    );
}

/// Many concurrent writes of distinct values and a final read of a value nobody wrote:
/// not linearizable, and only provable by exhausting every order.
fn hard_history(n: u64) -> History<I, O> {
    let mut ops: Vec<_> = (0..n)
        .map(|i| Operation::new(i, I::Write(i as i64), Some(O::Write), 0, Some(100)))
        .collect();
    ops.extend(
        (0..n).map(|i| Operation::new(n + i, I::Read, Some(O::Read(Some(i as i64))), 1, Some(100))),
    );
    ops.push(Operation::new(
        2 * n,
        I::Read,
        Some(O::Read(Some(-1))),
        0,
        Some(100),
    ));
    History::new(ops).unwrap()
}

#[test]
fn timeout_gives_unknown_never_a_wrong_verdict() {
    let h = hard_history(14);
    for micros in [0, 1, 100, 10_000] {
        let options = CheckOptions {
            timeout: Some(Duration::from_micros(micros)),
            ..CheckOptions::default()
        };
        let r = check(&RegisterModel, &h, &options);
        match &r.parts[0].outcome {
            Outcome::Unknown { reason, .. } => assert_eq!(*reason, StopReason::Timeout),
            other => assert_eq!(other.verdict(), Verdict::NotLinearizable, "{micros} µs"),
        }
        assert_ne!(r.verdict, Verdict::Linearizable);
    }
    let r = check(
        &RegisterModel,
        &h,
        &CheckOptions {
            timeout: Some(Duration::ZERO),
            ..CheckOptions::default()
        },
    );
    assert_eq!(r.verdict, Verdict::Unknown);
}

#[test]
fn memory_limit_gives_unknown() {
    let options = CheckOptions {
        memory_limit: Some(1),
        ..search_only()
    };
    let r = check(&RegisterModel, &hard_history(14), &options);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(matches!(
        r.parts[0].outcome,
        Outcome::Unknown {
            reason: StopReason::MemoryLimit,
            ..
        }
    ));
}

fn kv(
    client: u64,
    input: KvInput,
    output: KvOutput,
    call: u64,
    ret: u64,
) -> Operation<KvInput, KvOutput> {
    Operation::new(client, input, Some(output), call, Some(ret))
}

#[test]
fn kv_parts_get_their_own_verdicts_unless_stopping_early() {
    let get = |k: &str| KvInput::Get { key: k.to_string() };
    let app = |k: &str, v: &str| KvInput::Append {
        key: k.to_string(),
        value: v.into(),
    };
    let h = History::new(vec![
        kv(0, app("a", "x"), KvOutput::Done, 0, 1),
        kv(1, get("a"), KvOutput::Value("".into()), 2, 3),
        kv(2, app("b", "y"), KvOutput::Done, 0, 1),
        kv(3, get("b"), KvOutput::Value("y".into()), 2, 3),
    ])
    .unwrap();
    let r = check(&KvModel, &h, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let verdicts: Vec<_> = r
        .parts
        .iter()
        .map(|p| (p.label.as_str(), p.outcome.verdict()))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("key \"a\"", Verdict::NotLinearizable),
            ("key \"b\"", Verdict::Linearizable)
        ]
    );
    // As one part the history is not linearizable either.
    let whole = check(
        &KvModel,
        &h,
        &CheckOptions {
            partition: false,
            ..CheckOptions::default()
        },
    );
    assert_eq!(whole.verdict, Verdict::NotLinearizable);
    assert_eq!(whole.parts.len(), 1);
    // Stopping early never turns the verdict into a wrong one.
    let early = check(
        &KvModel,
        &h,
        &CheckOptions {
            stop_at_first_failure: true,
            threads: 1,
            ..CheckOptions::default()
        },
    );
    assert_eq!(early.verdict, Verdict::NotLinearizable);
}

#[test]
fn empty_history_is_linearizable() {
    let h: History<I, O> = History::new(vec![]).unwrap();
    assert_eq!(
        check(&RegisterModel, &h, &CheckOptions::default()).verdict,
        Verdict::Linearizable
    );
}
