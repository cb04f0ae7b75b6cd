//! The `lincheck` fuzz target. The first byte picks what the rest is:
//! - even: a small register history built from the bytes, judged by the real checker and by
//!   the brute-force oracle ([`crate::brute`]), which must agree; a witness order the checker
//!   gives must really explain the history;
//! - odd: raw bytes for the history parsers (one format per value), which must never panic;
//!   what parses and is small enough is judged by both checkers too.
use std::time::Duration;

use verraft_checker::models::{KvModel, RegisterInput, RegisterModel, RegisterOutput};
use verraft_checker::{
    check as check_history, parse_history, CheckOptions, Format, History, Model, Operation,
    Outcome, ParsedHistory, Verdict,
};

use crate::brute;

const FORMATS: [Format; 4] = [
    Format::Auto,
    Format::Json,
    Format::PorcupineKv,
    Format::JepsenEtcd,
];

/// Check one input; `Err` says where the checker and the oracle disagree.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let Some((&mode, rest)) = bytes.split_first() else {
        return Ok(());
    };
    if mode % 2 == 0 {
        return compare(&RegisterModel, &register_history(rest));
    }
    let format = FORMATS[usize::from(mode / 2) % FORMATS.len()];
    match parse_history(rest, format) {
        Ok(ParsedHistory::Register(h)) => compare(&RegisterModel, &h),
        Ok(ParsedHistory::Kv(h)) => compare(&KvModel, &h),
        Err(_) => Ok(()),
    }
}

/// A history of at most 8 operations by 3 clients on one register, values 0 to 3. Each
/// operation takes 3 bytes: bits of the first pick the client, the kind and whether the
/// outcome is known; the second the values; the third how long after the client's previous
/// operation it starts and how long it lasts (so operations overlap in many ways).
pub fn register_history(bytes: &[u8]) -> History<RegisterInput, RegisterOutput> {
    let mut client_free = [0u64; 3];
    let ops: Vec<Operation<RegisterInput, RegisterOutput>> = bytes
        .chunks_exact(3)
        .take(8)
        .map(|c| {
            let client = usize::from(c[0] % 3);
            let (a, b) = (i64::from(c[1] & 3), i64::from((c[1] >> 2) & 3));
            let (input, output) = match (c[0] >> 2) % 3 {
                0 => (
                    RegisterInput::Read,
                    RegisterOutput::Read((c[1] & 16 != 0).then_some(a)),
                ),
                1 => (RegisterInput::Write(a), RegisterOutput::Write),
                _ => (
                    RegisterInput::Cas { from: a, to: b },
                    RegisterOutput::Cas(c[1] & 32 != 0),
                ),
            };
            let call = client_free[client] + u64::from(c[2] & 7);
            let ret = call + u64::from(c[2] >> 3 & 15);
            client_free[client] = ret + 1;
            let known = c[0] & 64 == 0;
            Operation {
                client: client as u64,
                input,
                output: known.then_some(output),
                call,
                ret: known.then_some(ret),
            }
        })
        .collect();
    // Every generated operation returns after it is called, so the history is well formed.
    History::new(ops).unwrap_or_default()
}

/// The real checker and the oracle must agree; a witness must be a valid linearization.
pub fn compare<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> Result<(), String> {
    let Some(expected) = brute::linearizable(model, history) else {
        return Ok(());
    };
    let options = CheckOptions {
        threads: 1,
        timeout: Some(Duration::from_secs(10)),
        ..CheckOptions::default()
    };
    let result = check_history(model, history, &options);
    let got = match result.verdict {
        Verdict::Linearizable => true,
        Verdict::NotLinearizable => false,
        Verdict::Unknown => return Err(format!("the checker gave up on {history:?}")),
    };
    if got != expected {
        return Err(format!(
            "the checker says {}, brute force says {}, for {history:?}",
            result.verdict,
            if expected {
                "linearizable"
            } else {
                "NOT linearizable"
            }
        ));
    }
    for part in &result.parts {
        if let Outcome::Linearizable { witness } = &part.outcome {
            witness_explains(model, history, witness, &part.ops)?;
        }
    }
    Ok(())
}

/// `witness` (history indices in order) must respect real time and fit the model, and hold
/// every operation of the part whose output is known.
fn witness_explains<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    witness: &[usize],
    part: &[usize],
) -> Result<(), String> {
    let ops = history.ops();
    let mut state = model.init();
    for (k, &i) in witness.iter().enumerate() {
        let op = ops
            .get(i)
            .ok_or(format!("witness names operation {i}, which does not exist"))?;
        state = model
            .step(&state, &op.input, op.output.as_ref())
            .ok_or(format!(
                "witness {witness:?}: operation {i} does not fit at position {k}"
            ))?;
        let later_returned_first = witness[k + 1..]
            .iter()
            .any(|&j| ops[j].effective_ret().is_some_and(|r| r < op.call));
        if later_returned_first {
            return Err(format!("witness {witness:?} puts operation {i} before one that returned before it was called"));
        }
    }
    let missing = part
        .iter()
        .find(|&&i| ops[i].output.is_some() && !witness.contains(&i));
    match missing {
        Some(i) => Err(format!(
            "witness {witness:?} leaves out operation {i}, whose output is known"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        client: u64,
        input: RegisterInput,
        output: Option<RegisterOutput>,
        call: u64,
        ret: u64,
    ) -> Operation<RegisterInput, RegisterOutput> {
        Operation {
            client,
            input,
            ret: output.map(|_| ret),
            output,
            call,
        }
    }

    #[test]
    fn the_oracle_sees_a_stale_read() {
        let h = History::new(vec![
            op(
                0,
                RegisterInput::Write(1),
                Some(RegisterOutput::Write),
                0,
                1,
            ),
            op(
                1,
                RegisterInput::Read,
                Some(RegisterOutput::Read(None)),
                2,
                3,
            ),
        ])
        .unwrap();
        assert_eq!(brute::linearizable(&RegisterModel, &h), Some(false));
        assert_eq!(compare(&RegisterModel, &h), Ok(()));
    }

    #[test]
    fn the_oracle_lets_concurrent_operations_go_either_way_and_unknown_ones_vanish() {
        let h = History::new(vec![
            op(
                0,
                RegisterInput::Write(1),
                Some(RegisterOutput::Write),
                0,
                5,
            ),
            op(
                1,
                RegisterInput::Read,
                Some(RegisterOutput::Read(None)),
                1,
                2,
            ),
            op(2, RegisterInput::Write(2), None, 0, 0),
            op(
                1,
                RegisterInput::Read,
                Some(RegisterOutput::Read(Some(1))),
                6,
                7,
            ),
        ])
        .unwrap();
        assert_eq!(brute::linearizable(&RegisterModel, &h), Some(true));
        assert_eq!(compare(&RegisterModel, &h), Ok(()));
    }

    #[test]
    fn a_wrong_witness_is_caught() {
        let h = History::new(vec![
            op(
                0,
                RegisterInput::Write(1),
                Some(RegisterOutput::Write),
                0,
                1,
            ),
            op(
                1,
                RegisterInput::Read,
                Some(RegisterOutput::Read(Some(1))),
                2,
                3,
            ),
        ])
        .unwrap();
        assert!(witness_explains(&RegisterModel, &h, &[0, 1], &[0, 1]).is_ok());
        assert!(witness_explains(&RegisterModel, &h, &[1, 0], &[0, 1]).is_err());
        assert!(witness_explains(&RegisterModel, &h, &[0], &[0, 1]).is_err());
    }

    #[test]
    fn generated_histories_agree_with_the_oracle() {
        let mut x: u64 = 99;
        let mut verdicts = [0usize; 2];
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..25)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let h = register_history(&bytes);
            let v = brute::linearizable(&RegisterModel, &h).unwrap();
            verdicts[usize::from(v)] += 1;
            assert_eq!(compare(&RegisterModel, &h), Ok(()));
        }
        // The generator makes both kinds, or the comparison would prove little.
        assert!(verdicts[0] > 100 && verdicts[1] > 100, "{verdicts:?}");
    }

    #[test]
    fn parsers_never_panic_on_junk() {
        for mode in [1u8, 3, 5, 7] {
            for junk in [
                &b""[..],
                b"{",
                b"[{\"client\":",
                b"{:process 0",
                b"\xff\x00",
            ] {
                let mut input = vec![mode];
                input.extend_from_slice(junk);
                assert_eq!(check(&input), Ok(()));
            }
        }
    }
}
