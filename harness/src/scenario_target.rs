//! The `scenario` fuzz target: the scenario-file parser on raw bytes. Parsing must never
//! panic, and whatever parses must print and parse back to the same scenario, so a file a
//! person edits and a file an engine writes mean the same thing.
use verraft_sim::scenario::{parse, Scenario};

/// Check one input. `Err` says how the round trip failed (a panic fails by itself).
pub fn check(bytes: &[u8]) -> Result<(), String> {
    // Raw bytes that are not UTF-8 still exercise the parser through their lossy decoding.
    let text = String::from_utf8_lossy(bytes);
    let Ok(first) = parse(&text) else {
        return Ok(());
    };
    round_trip(&first)
}

/// `scenario` printed and parsed again must give `scenario` back.
pub fn round_trip(scenario: &Scenario) -> Result<(), String> {
    let printed = scenario.to_text();
    let again = parse(&printed)
        .map_err(|e| format!("the printed scenario does not parse again ({e}):\n{printed}"))?;
    if again != *scenario {
        return Err(format!(
            "the printed scenario parses to something else:\n{printed}\nfirst:  {scenario:?}\nagain:  {again:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_scenario_round_trips() {
        let text = "# verraft scenario\n# found by hand\nnodes 3\nfaults loss,dup\n\
                    client c1 put x 1; get x\nexpect Election Safety\n\
                    timeout n1   # n1 stands\ndeliver n1->n2 RV t1 last=0/0\n\
                    partition n1 | n2,n3\nheal\ninvoke c1 n1\n";
        let s = parse(text).unwrap();
        assert_eq!(s.steps.len(), 5);
        assert_eq!(round_trip(&s), Ok(()));
        assert_eq!(check(text.as_bytes()), Ok(()));
    }

    #[test]
    fn garbage_is_refused_not_a_failure() {
        for input in [
            &b""[..],
            b"\xff\xfe",
            b"nodes 300",
            b"nodes 3\ndeliver n1->n9 V+ t1",
        ] {
            assert_eq!(check(input), Ok(()));
        }
    }
}
