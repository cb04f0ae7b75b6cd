//! A single register with read, write and compare-and-set, as etcd implements them: the
//! register starts empty (`nil`), a read returns the current value, and a cas on an empty
//! register fails.
use crate::model::{Access, Model, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    Read,
    Write(i64),
    Cas { from: i64, to: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOutput {
    /// The value read; `None` is the empty register.
    Read(Option<i64>),
    Write,
    /// Whether the comparison held (and the swap happened).
    Cas(bool),
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterModel;

fn show(v: Option<i64>) -> String {
    v.map_or_else(|| "nil".to_string(), |v| v.to_string())
}

impl Model for RegisterModel {
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type State = Option<i64>;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        use RegisterInput as I;
        use RegisterOutput as O;
        match (input, output) {
            (I::Read, None) => Some(*state),
            (I::Read, Some(O::Read(v))) => (v == state).then_some(*state),
            (I::Write(v), None | Some(O::Write)) => Some(Some(*v)),
            (I::Cas { from, to }, out) => {
                let holds = *state == Some(*from);
                match out {
                    None => Some(if holds { Some(*to) } else { *state }),
                    Some(O::Cas(ok)) if *ok == holds => {
                        Some(if holds { Some(*to) } else { *state })
                    }
                    _ => None,
                }
            }
            // An output of the wrong kind can never be explained.
            _ => None,
        }
    }

    fn is_read_only(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        matches!(
            (input, output),
            (RegisterInput::Read, _)
                | (RegisterInput::Cas { .. }, Some(RegisterOutput::Cas(false)))
        )
    }

    fn can_become_legal(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: &RegisterOutput,
        others: &[&RegisterInput],
    ) -> bool {
        match (input, output) {
            // A read of v needs the register to hold v: something must still write it.
            (RegisterInput::Read, RegisterOutput::Read(v)) => {
                v == state
                    || others.iter().any(|o| match (o, v) {
                        (RegisterInput::Write(w), Some(v)) => w == v,
                        (RegisterInput::Cas { to, .. }, Some(v)) => to == v,
                        _ => false,
                    })
            }
            _ => true,
        }
    }

    fn access<'a>(
        &self,
        input: &'a RegisterInput,
        output: Option<&'a RegisterOutput>,
    ) -> Option<Access<'a>> {
        let value = |v: Option<i64>| v.map_or(Value::Initial, Value::Int);
        let object = "";
        match (input, output) {
            (RegisterInput::Read, None) => Some(Access::Read {
                object,
                value: None,
            }),
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => Some(Access::Read {
                object,
                value: Some(value(*v)),
            }),
            (RegisterInput::Write(v), None | Some(RegisterOutput::Write)) => Some(Access::Write {
                object,
                value: Value::Int(*v),
            }),
            // A cas reads and writes at once (or, failing, reads "anything but"): not a
            // plain access.
            _ => None,
        }
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        let call = match input {
            RegisterInput::Read => "read()".to_string(),
            RegisterInput::Write(v) => format!("write({v})"),
            RegisterInput::Cas { from, to } => format!("cas({from}, {to})"),
        };
        let ret = match output {
            None => "?".to_string(),
            Some(RegisterOutput::Read(v)) => show(*v),
            Some(RegisterOutput::Write) => "ok".to_string(),
            Some(RegisterOutput::Cas(true)) => "ok".to_string(),
            Some(RegisterOutput::Cas(false)) => "fail".to_string(),
        };
        format!("{call} -> {ret}")
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        show(*state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegisterInput as I;
    use RegisterOutput as O;

    #[test]
    fn etcd_semantics() {
        let m = RegisterModel;
        assert_eq!(m.step(&None, &I::Read, Some(&O::Read(None))), Some(None));
        assert_eq!(m.step(&Some(1), &I::Read, Some(&O::Read(None))), None);
        assert_eq!(m.step(&None, &I::Write(3), Some(&O::Write)), Some(Some(3)));
        let cas = I::Cas { from: 1, to: 2 };
        assert_eq!(m.step(&Some(1), &cas, Some(&O::Cas(true))), Some(Some(2)));
        assert_eq!(m.step(&Some(1), &cas, Some(&O::Cas(false))), None);
        assert_eq!(m.step(&None, &cas, Some(&O::Cas(false))), Some(None));
        assert_eq!(m.step(&None, &cas, Some(&O::Cas(true))), None);
        assert_eq!(m.step(&Some(1), &cas, None), Some(Some(2)));
        assert_eq!(m.step(&Some(5), &cas, None), Some(Some(5)));
        assert_eq!(m.step(&None, &I::Read, Some(&O::Write)), None);
        assert_eq!(
            m.describe_operation(&cas, Some(&O::Cas(false))),
            "cas(1, 2) -> fail"
        );
    }
}
