//! How a check spends its time over the parts of a history: stopping once the verdict is
//! settled, whatever the number of threads and however hard the other parts are; reports
//! that do not depend on timing; interrupts; limits that cannot overflow.
use std::sync::Arc;
use std::time::{Duration, Instant};
use verraft_checker::models::{KvInput, KvModel, KvOutput};
use verraft_checker::report::Standing;
use verraft_checker::{
    check, CheckOptions, CheckResult, History, Monitor, Operation, Outcome, StopReason, Verdict,
};

type KvOp = Operation<KvInput, KvOutput>;

fn put(client: u64, key: &str, value: &str, call: u64, ret: u64) -> KvOp {
    let input = KvInput::Put {
        key: key.into(),
        value: value.into(),
    };
    Operation::new(client, input, Some(KvOutput::Done), call, Some(ret))
}

fn get(client: u64, key: &str, value: &str, call: u64, ret: u64) -> KvOp {
    let input = KvInput::Get { key: key.into() };
    Operation::new(
        client,
        input,
        Some(KvOutput::Value(value.into())),
        call,
        Some(ret),
    )
}

fn append(client: u64, key: &str, value: &str, call: u64, ret: u64) -> KvOp {
    let input = KvInput::Append {
        key: key.into(),
        value: value.into(),
    };
    Operation::new(client, input, Some(KvOutput::Done), call, Some(ret))
}

/// `n` concurrent puts of distinct values to `key`, a read of each, and after them all two
/// concurrent reads of "0" and "1": the last put cannot be both, but the search learns it
/// only once every other put is placed, in each of about 2^n orders (n = 20 takes
/// minutes). The empty append changes nothing; it keeps the key from the distinct-values
/// check, which would decide it at once. Clients `client..client + 2n + 3`.
fn hard_key(key: &str, n: u64, client: u64) -> Vec<KvOp> {
    let mut ops = Vec::new();
    for i in 0..n {
        let v = i.to_string();
        ops.push(put(client + i, key, &v, 0, 100));
        ops.push(get(client + n + i, key, &v, 1, 100));
    }
    ops.push(append(client + 2 * n, key, "", 0, 100));
    ops.push(get(client + 2 * n + 1, key, "0", 101, 102));
    ops.push(get(client + 2 * n + 2, key, "1", 101, 102));
    ops
}

/// The hard key, two keys with a stale read ("a" and "c") and a linearizable key ("b"),
/// each with its own clients.
fn history_with_a_hard_key(n: u64) -> History<KvInput, KvOutput> {
    let mut ops = hard_key("h", n, 100);
    ops.extend([
        put(0, "a", "1", 0, 1),
        get(1, "a", "", 2, 3),
        put(2, "b", "1", 0, 1),
        get(3, "b", "1", 2, 3),
        put(4, "c", "1", 0, 1),
        get(5, "c", "2", 2, 3),
    ]);
    History::new(ops).unwrap()
}

fn standings(r: &CheckResult) -> Vec<(String, Standing)> {
    r.parts
        .iter()
        .map(|p| (p.label.clone(), Standing::of(&p.outcome)))
        .collect()
}

fn stop_early(threads: usize) -> CheckOptions {
    CheckOptions {
        stop_at_first_failure: true,
        threads,
        // Only reached if the hard key held the others back.
        timeout: Some(Duration::from_secs(5)),
        ..CheckOptions::default()
    }
}

#[test]
fn one_thread_stops_at_a_failing_key_despite_a_hard_one() {
    let h = history_with_a_hard_key(20);
    let r = check(&KvModel, &h, &stop_early(1));
    assert_eq!(r.verdict, Verdict::NotLinearizable, "{:?}", standings(&r));
    let hard = r.parts.iter().find(|p| p.label == "key \"h\"").unwrap();
    assert!(
        matches!(
            hard.outcome,
            Outcome::Unknown {
                reason: StopReason::Cancelled,
                ..
            }
        ),
        "{:?}",
        hard.outcome
    );
}

#[test]
fn stopping_early_reports_the_same_parts_with_any_number_of_threads() {
    let h = history_with_a_hard_key(20);
    let want = vec![
        ("key \"a\"".to_string(), Standing::NotLinearizable),
        ("key \"b\"".to_string(), Standing::Linearizable),
        ("key \"c\"".to_string(), Standing::NotLinearizable),
        ("key \"h\"".to_string(), Standing::NotChecked),
    ];
    for threads in [1, 2, 3, 4, 1, 2] {
        let r = check(&KvModel, &h, &stop_early(threads));
        assert_eq!(standings(&r), want, "{threads} threads");
    }
}

#[test]
fn parts_that_need_several_rounds_still_get_searched() {
    // Keys "g" and "h" need about 78,000 and 168,000 configurations, more than the first
    // round gives, and the other part is linearizable: only a later round can settle the
    // verdict.
    let mut ops = hard_key("h", 13, 100);
    ops.extend(hard_key("g", 12, 200));
    ops.extend([put(2, "b", "1", 0, 1), get(3, "b", "1", 2, 3)]);
    let h = History::new(ops).unwrap();
    for threads in [1, 2] {
        let r = check(&KvModel, &h, &stop_early(threads));
        assert_eq!(r.verdict, Verdict::NotLinearizable, "{threads} threads");
        assert_eq!(Standing::of(&r.parts[0].outcome), Standing::Linearizable);
    }
}

#[test]
fn judging_every_part_decides_every_easy_part() {
    let h = history_with_a_hard_key(8);
    let r = check(&KvModel, &h, &CheckOptions::default());
    assert!(r
        .parts
        .iter()
        .all(|p| p.outcome.verdict() != Verdict::Unknown));
    assert_eq!(r.verdict, Verdict::NotLinearizable);
}

#[test]
fn an_interrupt_returns_what_was_decided() {
    let h = history_with_a_hard_key(20);
    let monitor = Arc::new(Monitor::default());
    let options = CheckOptions {
        monitor: Some(monitor.clone()),
        threads: 2,
        ..CheckOptions::default()
    };
    let stopper = {
        let monitor = monitor.clone();
        std::thread::spawn(move || {
            // Once the three easy keys are decided, only the hard one is left running.
            let start = Instant::now();
            while monitor.decided() < 3 && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(5));
            }
            monitor.interrupt();
        })
    };
    let start = Instant::now();
    let r = check(&KvModel, &h, &options);
    stopper.join().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the interrupt was ignored"
    );
    assert_eq!(monitor.parts(), 4);
    assert_eq!(monitor.decided(), 3);
    assert_eq!(
        standings(&r),
        vec![
            ("key \"a\"".to_string(), Standing::NotLinearizable),
            ("key \"b\"".to_string(), Standing::Linearizable),
            ("key \"c\"".to_string(), Standing::NotLinearizable),
            ("key \"h\"".to_string(), Standing::Unknown),
        ]
    );
    let hard = &r.parts[3].outcome;
    assert!(
        matches!(
            hard,
            Outcome::Unknown {
                reason: StopReason::Interrupted,
                ..
            }
        ),
        "{hard:?}"
    );
    // The interrupt stays set: the next check with the same monitor stops at once.
    let start = Instant::now();
    let again = check(&KvModel, &history_with_a_hard_key(20), &options);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the interrupt was forgotten"
    );
    assert_eq!(again.verdict, Verdict::Unknown);
}

#[test]
fn a_timeout_too_long_for_the_clock_is_no_limit() {
    let h = history_with_a_hard_key(4);
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        let options = CheckOptions {
            timeout: Some(timeout),
            ..CheckOptions::default()
        };
        assert_eq!(
            check(&KvModel, &h, &options).verdict,
            Verdict::NotLinearizable
        );
    }
}
