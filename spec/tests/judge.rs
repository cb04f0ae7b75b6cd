//! The judgement of client histories against the key-value spec: each verdict is shown
//! catching the broken case, not only passing the good one.
use verraft_kv::{KvOp, KvOutput, Text};
use verraft_spec::{judge, KvOperation, Rejection};

fn get(key: &str) -> KvOp {
    KvOp::Get { key: key.into() }
}
fn put(key: &str, value: &str) -> KvOp {
    KvOp::Put {
        key: key.into(),
        value: value.into(),
    }
}
fn append(key: &str, value: &str) -> KvOp {
    KvOp::Append {
        key: key.into(),
        value: value.into(),
    }
}
fn cas(key: &str, expected: Option<&str>, new: &str) -> KvOp {
    KvOp::Cas {
        key: key.into(),
        expected: expected.map(Text::from),
        new: new.into(),
    }
}
fn value(v: Option<&str>) -> Option<KvOutput> {
    Some(KvOutput::Value(v.map(Text::from)))
}
fn op(client: u64, input: KvOp, output: Option<KvOutput>, call: u64, ret: u64) -> KvOperation {
    let ret = output.as_ref().map(|_| ret);
    KvOperation::new(client, input, output, call, ret)
}

#[test]
fn a_read_after_a_completed_write_must_see_it() {
    let good = vec![
        op(0, put("x", "1"), Some(KvOutput::Done), 0, 1),
        op(1, get("x"), value(Some("1")), 2, 3),
    ];
    assert_eq!(judge(good), Ok(()));

    let stale = vec![
        op(0, put("x", "1"), Some(KvOutput::Done), 0, 1),
        op(1, get("x"), value(None), 2, 3),
    ];
    match judge(stale) {
        Err(Rejection::NotLinearizable { part, explanation }) => {
            assert!(part.contains('x'), "the failing part names the key: {part}");
            assert!(!explanation.is_empty());
        }
        other => panic!("a stale read was accepted: {other:?}"),
    }
}

#[test]
fn concurrent_operations_may_take_effect_in_either_order() {
    // The read overlaps the append, so it may see it (or not).
    let either = vec![
        op(0, append("k", "a"), Some(KvOutput::Done), 0, 10),
        op(1, get("k"), value(Some("a")), 1, 5),
    ];
    assert_eq!(judge(either), Ok(()));

    // Two appends overlap, then two reads after both: the first sees only one append and
    // the second sees both, so no order of the appends explains the two reads.
    let impossible = vec![
        op(0, append("k", "a"), Some(KvOutput::Done), 0, 10),
        op(1, append("k", "b"), Some(KvOutput::Done), 0, 10),
        op(2, get("k"), value(Some("b")), 11, 12),
        op(3, get("k"), value(Some("ab")), 13, 14),
    ];
    assert!(matches!(
        judge(impossible),
        Err(Rejection::NotLinearizable { .. })
    ));
}

#[test]
fn an_unknown_outcome_may_or_may_not_have_taken_effect() {
    let took_effect = vec![
        op(0, put("x", "1"), None, 0, 0),
        op(1, get("x"), value(Some("1")), 5, 6),
    ];
    assert_eq!(judge(took_effect), Ok(()));
    let did_not = vec![
        op(0, put("x", "1"), None, 0, 0),
        op(1, get("x"), value(None), 5, 6),
    ];
    assert_eq!(judge(did_not), Ok(()));
    // It cannot have produced a value nobody wrote.
    let invented = vec![
        op(0, put("x", "1"), None, 0, 0),
        op(1, get("x"), value(Some("2")), 5, 6),
    ];
    assert!(judge(invented).is_err());
}

#[test]
fn compare_and_set_and_delete_follow_the_spec() {
    let good = vec![
        op(0, cas("k", None, "1"), cas_out(true, None), 0, 1),
        op(0, cas("k", Some("2"), "3"), cas_out(false, Some("1")), 2, 3),
        op(
            0,
            KvOp::Delete { key: "k".into() },
            Some(KvOutput::Done),
            4,
            5,
        ),
        op(0, get("k"), value(None), 6, 7),
    ];
    assert_eq!(judge(good), Ok(()));

    // A compare-and-set that claims to have swapped against the wrong value.
    let wrong_swap = vec![
        op(0, put("k", "1"), Some(KvOutput::Done), 0, 1),
        op(0, cas("k", Some("2"), "3"), cas_out(true, Some("1")), 2, 3),
    ];
    assert!(judge(wrong_swap).is_err());

    // A read that still sees a deleted key.
    let resurrected = vec![
        op(0, put("k", "1"), Some(KvOutput::Done), 0, 1),
        op(
            0,
            KvOp::Delete { key: "k".into() },
            Some(KvOutput::Done),
            2,
            3,
        ),
        op(1, get("k"), value(Some("1")), 4, 5),
    ];
    assert!(judge(resurrected).is_err());
}

#[test]
fn keys_are_judged_apart_and_the_failing_one_is_named() {
    let history = vec![
        op(0, put("a", "1"), Some(KvOutput::Done), 0, 10),
        op(1, put("b", "1"), Some(KvOutput::Done), 0, 10),
        op(2, get("a"), value(Some("1")), 5, 12),
        op(3, get("b"), value(Some("2")), 5, 12),
    ];
    match judge(history) {
        Err(Rejection::NotLinearizable { part, .. }) => {
            assert!(part.contains('b') && !part.contains('a'), "{part}")
        }
        other => panic!("expected key b to fail: {other:?}"),
    }
}

#[test]
fn a_return_before_its_call_is_a_malformed_history() {
    let backwards = vec![KvOperation::new(0, get("x"), value(None), 5, Some(4))];
    assert!(matches!(judge(backwards), Err(Rejection::Malformed(_))));
}

fn cas_out(swapped: bool, found: Option<&str>) -> Option<KvOutput> {
    Some(KvOutput::Cas {
        swapped,
        found: found.map(Text::from),
    })
}
