//! How early the search gives up on a branch: histories whose verdict takes exponentially
//! many configurations without a given pruning, and few with it. Each test counts
//! configurations, which do not depend on the machine.
use std::path::Path;
use std::time::Duration;
use verraft_checker::models::{
    KvInput, KvModel, KvOutput, RegisterInput as I, RegisterModel, RegisterOutput as O,
};
use verraft_checker::report::check_parsed;
use verraft_checker::{check, parse_history, CheckOptions, Format, History, Operation, Verdict};

fn search_only() -> CheckOptions {
    CheckOptions {
        threads: 1,
        distinct_values: false,
        // Far beyond what these tests need: a pruning that stopped working shows up as
        // Unknown rather than as a test that never ends.
        timeout: Some(Duration::from_secs(60)),
        ..CheckOptions::default()
    }
}

type KvOp = Operation<KvInput, KvOutput>;

fn kv(client: u64, input: KvInput, output: KvOutput, call: u64, ret: u64) -> KvOp {
    Operation::new(client, input, Some(output), call, Some(ret))
}

/// `n` concurrent puts of "0".."n-1", a read of each, and a read of "0x": that needs put
/// "0" followed by an append of "x", and there is no such append. A pruning that only asks
/// whether the value read starts with a pending put's value cannot see it and tries about
/// 2^n orders (n = 20 took minutes); one that asks whether the rest of the value can be
/// made of pending appends rules it out at once.
#[test]
fn a_value_no_pending_append_can_complete_is_ruled_out_at_once() {
    let key = || "h".to_string();
    let mut ops = Vec::new();
    let n = 20;
    for i in 0..n {
        let v = i.to_string();
        let put = KvInput::Put {
            key: key(),
            value: v.as_str().into(),
        };
        ops.push(kv(i, put, KvOutput::Done, 0, 100));
        ops.push(kv(
            n + i,
            KvInput::Get { key: key() },
            KvOutput::Value(v.as_str().into()),
            1,
            100,
        ));
    }
    let get = KvInput::Get { key: key() };
    ops.push(kv(2 * n, get, KvOutput::Value("0x".into()), 0, 100));
    // An append of "y" is no help: "0x" is not "0" followed by pending appends.
    let append = KvInput::Append {
        key: key(),
        value: "y".into(),
    };
    ops.push(kv(2 * n + 1, append, KvOutput::Done, 0, 100));
    let h = History::new(ops).unwrap();
    let r = check(&KvModel, &h, &search_only());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    assert!(
        r.parts[0].stats.configurations < 100,
        "{:?}",
        r.parts[0].stats
    );
}

/// `k` concurrent writes of distinct values, each read, then a run of operations one after
/// another (a failed cas among them keeps this from the distinct-values check either way)
/// and, after more than the lookahead's first reach, a read of a value nobody wrote. Until
/// the search looks that far it tries every order of the writes, about k * 2^k
/// configurations; reaching further once a search runs long ends it after a few thousand.
#[test]
fn a_long_search_looks_further_ahead() {
    let k = 16u64;
    let mut ops = Vec::new();
    for i in 0..k {
        let v = i as i64 + 1;
        ops.push(Operation::new(i, I::Write(v), Some(O::Write), 0, Some(100)));
        ops.push(Operation::new(
            k + i,
            I::Read,
            Some(O::Read(Some(v))),
            1,
            Some(100),
        ));
    }
    let c = 2 * k;
    for j in 0..30u64 {
        let t = 101 + 2 * j;
        ops.push(Operation::new(
            c,
            I::Write(1000 + j as i64),
            Some(O::Write),
            t,
            Some(t),
        ));
    }
    let cas = I::Cas { from: -7, to: -8 };
    ops.push(Operation::new(c, cas, Some(O::Cas(false)), 170, Some(171)));
    ops.push(Operation::new(
        c,
        I::Read,
        Some(O::Read(Some(-1))),
        180,
        Some(181),
    ));
    let h = History::new(ops).unwrap();
    let r = check(&RegisterModel, &h, &search_only());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let stats = r.parts[0].stats;
    assert!(stats.configurations < 40_000, "{stats:?}");
}

/// Porcupine's c50-bad: every key gets a verdict (key 0, 230 operations, stayed unknown
/// after 90 s before the search learned to look for pending appends and further ahead).
#[test]
fn every_key_of_c50_bad_is_decided() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/porcupine/kv/c50-bad.txt");
    let history = parse_history(&std::fs::read(path).unwrap(), Format::Auto).unwrap();
    let options = CheckOptions {
        threads: 0,
        ..search_only()
    };
    let r = check_parsed(&history, None, &options).unwrap();
    assert_eq!(r.parts.len(), 10);
    for p in &r.parts {
        assert_eq!(p.outcome.verdict(), Verdict::NotLinearizable, "{}", p.label);
    }
    let key0 = &r.parts[0];
    assert!(key0.stats.configurations < 32_768, "{:?}", key0.stats);
}
