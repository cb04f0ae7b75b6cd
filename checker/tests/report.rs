//! The text reports: a summary line that tells unknown parts from parts not checked, and a
//! list of which parts stand where.
use std::time::Duration;
use verraft_checker::models::{KvInput, KvModel, KvOutput};
use verraft_checker::report::{methods_line, parts_by_standing, summary_line};
use verraft_checker::{
    check, CheckOptions, CheckResult, History, Method, Operation, Outcome, StopReason, Verdict,
};

fn put(client: u64, key: &str, call: u64, ret: u64) -> Operation<KvInput, KvOutput> {
    let input = KvInput::Put {
        key: key.into(),
        value: "1".into(),
    };
    Operation::new(client, input, Some(KvOutput::Done), call, Some(ret))
}

fn get(client: u64, key: &str, value: &str, call: u64, ret: u64) -> Operation<KvInput, KvOutput> {
    let input = KvInput::Get { key: key.into() };
    Operation::new(
        client,
        input,
        Some(KvOutput::Value(value.into())),
        call,
        Some(ret),
    )
}

/// Keys "k0".."k{n-1}": the even ones linearizable, the odd ones with a stale read.
fn result(keys: u64) -> CheckResult {
    let mut ops = Vec::new();
    for k in 0..keys {
        let key = format!("k{k:02}");
        let seen = if k % 2 == 0 { "1" } else { "" };
        ops.push(put(2 * k, &key, 0, 1));
        ops.push(get(2 * k + 1, &key, seen, 2, 3));
    }
    check(
        &KvModel,
        &History::new(ops).unwrap(),
        &CheckOptions::default(),
    )
}

fn set_unknown(r: &mut CheckResult, part: usize, reason: StopReason) {
    r.parts[part].outcome = Outcome::Unknown {
        reason,
        longest_prefix: Vec::new(),
    };
}

#[test]
fn parts_are_listed_by_standing_and_unknown_ones_by_reason() {
    let mut r = result(6);
    set_unknown(&mut r, 2, StopReason::Timeout);
    set_unknown(&mut r, 3, StopReason::Interrupted);
    set_unknown(&mut r, 5, StopReason::Cancelled);
    assert_eq!(
        parts_by_standing(&r),
        "  not linearizable: key \"k01\"\n\
         \x20 unknown (interrupted): key \"k03\"\n\
         \x20 unknown (timeout): key \"k02\"\n\
         \x20 not checked: key \"k05\"\n\
         \x20 linearizable: key \"k00\", key \"k04\"\n"
    );
    let line = summary_line("h", 12, &r, Duration::from_millis(3));
    assert_eq!(
        line,
        "h: NOT linearizable, 12 operations, 6 partitions \
         (2 linearizable, 1 not, 2 unknown, 1 not checked), 3.00 ms"
    );
}

#[test]
fn long_lists_are_cut_and_settled_histories_list_nothing() {
    let r = result(30);
    let text = parts_by_standing(&r);
    assert!(
        text.contains("key \"k23\" and 3 more\n"),
        "15 failing keys, 12 shown: {text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
    // A linearizable history has nothing to list.
    let mut ops = Vec::new();
    for k in 0..3 {
        ops.push(put(2 * k, &format!("k{k}"), 0, 1));
        ops.push(get(2 * k + 1, &format!("k{k}"), "1", 2, 3));
    }
    let fine = check(
        &KvModel,
        &History::new(ops).unwrap(),
        &CheckOptions::default(),
    );
    assert_eq!(parts_by_standing(&fine), "");
}

#[test]
fn an_unknown_verdict_says_why() {
    let mut r = result(2);
    set_unknown(&mut r, 1, StopReason::MemoryLimit);
    r.verdict = Verdict::Unknown;
    let line = summary_line("h", 4, &r, Duration::ZERO);
    assert!(
        line.starts_with("h: unknown (memory limit), 4 operations"),
        "{line}"
    );
}

#[test]
fn the_methods_line_counts_parts_per_method() {
    // Puts and gets of distinct values: every key goes to the distinct-values check.
    let mut r = result(3);
    assert!(r.parts.iter().all(|p| p.method == Method::DistinctValues));
    for p in &mut r.parts {
        p.elapsed = Duration::from_micros(10);
    }
    r.parts[1].method = Method::Search;
    r.parts[1].elapsed = Duration::from_millis(2);
    assert_eq!(
        methods_line(&r),
        "  checked by: distinct values 2 parts (20 µs), search 1 part (2.00 ms)\n"
    );
}
