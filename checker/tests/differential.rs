//! The checker against a brute-force oracle on thousands of small random histories,
//! linearizable and not, with operations of unknown outcome.
mod common;

use common::{brute_force, sub_history, valid_prefix, valid_witness};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use verraft_checker::models::{
    KvInput, KvModel, KvOutput, RegisterInput, RegisterModel, RegisterOutput,
};
use verraft_checker::{check, CheckOptions, History, Method, Model, Operation, Outcome, Verdict};

/// A raw operation: interval, input choice, and how to make up its output.
#[derive(Clone, Debug)]
struct Raw {
    call: u64,
    len: u64,
    input: u8,
    value: u8,
    /// 0: unknown outcome; 1: the true output; 2: a random output.
    outcome: u8,
    random: u8,
    /// Where in its interval the operation takes effect in the generating execution.
    point: u8,
}

fn raw() -> impl Strategy<Value = Raw> {
    (
        0u64..12,
        0u64..8,
        0u8..3,
        0u8..3,
        prop_oneof![2 => Just(0u8), 6 => Just(1u8), 2 => Just(2u8)],
        0u8..4,
        0u8..=100,
    )
        .prop_map(|(call, len, input, value, outcome, random, point)| Raw {
            call,
            len,
            input,
            value,
            outcome,
            random,
            point,
        })
}

/// Builds a history by running the operations on the model at their linearization points
/// (so with only true outputs it is linearizable), then applying the outcome choices.
fn build<M: Model>(
    model: &M,
    raws: &[Raw],
    input: impl Fn(&Raw) -> M::Input,
    truth: impl Fn(&M::State, &M::Input) -> (M::Output, M::State),
    random: impl Fn(&Raw) -> M::Output,
) -> History<M::Input, M::Output> {
    let point = |r: &Raw| r.call as f64 + r.len as f64 * f64::from(r.point) / 100.0;
    let mut order: Vec<usize> = (0..raws.len()).collect();
    order.sort_by(|&a, &b| point(&raws[a]).total_cmp(&point(&raws[b])));
    let mut outputs = vec![None; raws.len()];
    let mut state = model.init();
    for &i in &order {
        let inp = input(&raws[i]);
        let (out, next) = truth(&state, &inp);
        // An unknown outcome may or may not have taken effect: say it did when `random` is odd.
        if raws[i].outcome != 0 || raws[i].random & 1 == 1 {
            state = next;
        }
        outputs[i] = Some(out);
    }
    let ops = raws
        .iter()
        .zip(outputs)
        .enumerate()
        .map(|(i, (r, out))| Operation {
            client: i as u64,
            input: input(r),
            output: match r.outcome {
                0 => None,
                1 => out,
                _ => Some(random(r)),
            },
            call: r.call,
            ret: Some(r.call + r.len),
        })
        .collect();
    History::new(ops).unwrap()
}

fn register_history(raws: &[Raw]) -> History<RegisterInput, RegisterOutput> {
    let m = RegisterModel;
    build(
        &m,
        raws,
        |r| match r.input {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(i64::from(r.value)),
            _ => RegisterInput::Cas {
                from: i64::from(r.value),
                to: i64::from(r.random % 3),
            },
        },
        |s, i| match i {
            RegisterInput::Read => (RegisterOutput::Read(*s), *s),
            RegisterInput::Write(v) => (RegisterOutput::Write, Some(*v)),
            RegisterInput::Cas { from, to } => {
                let ok = *s == Some(*from);
                (RegisterOutput::Cas(ok), if ok { Some(*to) } else { *s })
            }
        },
        |r| match r.input {
            0 => RegisterOutput::Read(if r.random == 3 {
                None
            } else {
                Some(i64::from(r.random))
            }),
            1 => RegisterOutput::Write,
            _ => RegisterOutput::Cas(r.random & 1 == 0),
        },
    )
}

fn kv_history(raws: &[Raw]) -> History<KvInput, KvOutput> {
    let m = KvModel;
    let key = |r: &Raw| {
        if r.value & 1 == 0 {
            "a".to_string()
        } else {
            "b".to_string()
        }
    };
    let piece = |r: &Raw| ["x", "y", ""][usize::from(r.random % 3)].into();
    // Half the writes of kind 2 are compare-and-sets (the parity of the linearization point
    // is one more random bit), from a missing key or a value a put or append can make.
    let is_cas = |r: &Raw| r.input == 2 && r.point.is_multiple_of(2);
    build(
        &m,
        raws,
        |r| match r.input {
            0 => KvInput::Get { key: key(r) },
            1 => KvInput::Append {
                key: key(r),
                value: piece(r),
            },
            _ if is_cas(r) => KvInput::Cas {
                key: key(r),
                from: ["", "x", "xy"][usize::from(r.value % 3)].into(),
                to: piece(r),
            },
            _ => KvInput::Put {
                key: key(r),
                value: piece(r),
            },
        },
        |s, i| match i {
            KvInput::Get { key } => (KvOutput::Value(s.get(key).to_string().into()), s.clone()),
            KvInput::Cas { key, from, .. } => (
                KvOutput::Cas(s.get(key).eq_text(from)),
                m.step(s, i, None).unwrap(),
            ),
            _ => (KvOutput::Done, m.step(s, i, Some(&KvOutput::Done)).unwrap()),
        },
        |r| match r.input {
            0 => KvOutput::Value(["", "x", "xy", "y"][usize::from(r.random)].into()),
            _ if is_cas(r) => KvOutput::Cas(r.random & 1 == 0),
            _ => KvOutput::Done,
        },
    )
}

/// The checker agrees with the oracle, with the distinct-values check on (the default) and
/// off (every part searched), part by part, and every witness and prefix is valid.
fn agree<M: Model>(
    model: &M,
    h: &History<M::Input, M::Output>,
    partition: bool,
) -> Result<(), TestCaseError> {
    for distinct_values in [true, false] {
        agree_with(model, h, partition, distinct_values)?;
    }
    Ok(())
}

fn agree_with<M: Model>(
    model: &M,
    h: &History<M::Input, M::Output>,
    partition: bool,
    distinct_values: bool,
) -> Result<(), TestCaseError> {
    let expected = brute_force(model, h);
    let options = CheckOptions {
        partition,
        threads: 1,
        distinct_values,
        ..CheckOptions::default()
    };
    let r = check(model, h, &options);
    let want = if expected {
        Verdict::Linearizable
    } else {
        Verdict::NotLinearizable
    };
    prop_assert_eq!(r.verdict, want, "history {:?}", h);
    for part in &r.parts {
        // Each part on its own, by the oracle: the two paths must agree part by part,
        // not only on the combined verdict.
        let sub = sub_history(h, &part.ops);
        prop_assert_eq!(
            part.outcome.verdict() == Verdict::Linearizable,
            brute_force(model, &sub),
            "part {} decided by {:?} in {:?}",
            &part.label,
            part.method,
            h
        );
        prop_assert!(distinct_values || part.method != Method::DistinctValues);
    }
    for part in &r.parts {
        match &part.outcome {
            Outcome::Linearizable { witness } => {
                let sub = sub_history(h, &part.ops);
                let local: Vec<usize> = witness
                    .iter()
                    .map(|w| part.ops.iter().position(|p| p == w).unwrap())
                    .collect();
                prop_assert!(
                    valid_witness(model, &sub, &local),
                    "bad witness {:?} for {:?}",
                    witness,
                    h
                );
            }
            Outcome::NotLinearizable { explanation } => {
                let sub = sub_history(h, &part.ops);
                let local: Vec<usize> = explanation
                    .prefix
                    .iter()
                    .map(|w| part.ops.iter().position(|p| p == w).unwrap())
                    .collect();
                prop_assert!(
                    valid_prefix(model, &sub, &local),
                    "bad prefix {:?} for {:?}",
                    explanation.prefix,
                    h
                );
                prop_assert!(
                    !explanation.blocked.is_empty()
                        || explanation.deadline.is_some()
                        || explanation.conflict.is_some()
                );
                prop_assert_eq!(
                    explanation.conflict.is_some(),
                    part.method == Method::DistinctValues
                );
            }
            Outcome::Unknown { .. } => prop_assert!(false, "no limits were set"),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn register_matches_brute_force(raws in prop::collection::vec(raw(), 1..8)) {
        agree(&RegisterModel, &register_history(&raws), true)?;
    }

    #[test]
    fn kv_matches_brute_force_split_or_whole(raws in prop::collection::vec(raw(), 1..8)) {
        let h = kv_history(&raws);
        agree(&KvModel, &h, true)?;
        agree(&KvModel, &h, false)?;
    }
}

#[test]
fn generators_produce_both_verdicts() {
    // Guards the property tests against a generator that only makes one kind of history.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut yes, mut no) = (0, 0);
    for _ in 0..500 {
        let raws = prop::collection::vec(raw(), 1..8)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        if brute_force(&RegisterModel, &register_history(&raws)) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 100 && no > 100, "linearizable {yes}, not {no}");
}

#[test]
fn the_distinct_values_check_decides_part_of_what_the_generators_make() {
    // Guards the comparison in `agree`: without eligible histories it would compare
    // nothing. Registers with values 0 to 2 and cas are rarely eligible; key-value parts
    // without appends often are.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut register, mut kv) = ((0, 0), (0, 0));
    let options = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    for _ in 0..500 {
        let raws = prop::collection::vec(raw(), 1..8)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        for (count, result) in [
            (
                &mut register,
                check(&RegisterModel, &register_history(&raws), &options),
            ),
            (&mut kv, check(&KvModel, &kv_history(&raws), &options)),
        ] {
            for p in &result.parts {
                if p.method == Method::DistinctValues {
                    match p.outcome.verdict() {
                        Verdict::Linearizable => count.0 += 1,
                        _ => count.1 += 1,
                    }
                }
            }
        }
    }
    assert!(register.0 > 20 && register.1 > 5, "register {register:?}");
    assert!(kv.0 > 20 && kv.1 > 20, "kv {kv:?}");
}
