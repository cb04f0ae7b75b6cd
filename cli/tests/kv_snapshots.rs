//! Snapshots in the key-value service, end to end: three `verraft node` processes on
//! loopback that snapshot their store every 20 applied entries (`--snapshot-every 20`).
//! Enough writes for several snapshots on every node; every node killed and restarted from
//! its data directory, each recovering from its snapshot and the log after it, with every
//! value; then a follower that was down while the leader compacted its log past the
//! follower's end catches up by InstallSnapshot over TCP, and, left the only node with the
//! data, serves every value.
mod common;

use common::nodes::{bulk, cleanup, field, info, kill, ok, start, start_three, wait_leader, Node};
use std::fs;
use std::time::{Duration, Instant};
use verraft_server::client::Client;

/// Applied entries between two snapshots of each node.
const EVERY: u64 = 20;

/// A numeric `INFO` field of a node (`None` while it does not answer).
fn stat(node: &Node, key: &str) -> Option<u64> {
    field(&info(node.client)?, key)?.parse().ok()
}

/// Poll `cond` until it holds; fail with `what` after 30 s, showing every node's log (a
/// timeout alone says nothing of why).
fn wait_until(nodes: &[Node], what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        if Instant::now() >= deadline {
            let logs: Vec<String> = nodes
                .iter()
                .map(|n| {
                    let log = fs::read_to_string(&n.log).unwrap_or_default();
                    format!("--- n{} ({}) ---\n{log}", n.id, n.log.display())
                })
                .collect();
            panic!("timed out: {what}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Put and then append to each key of `keys`: a value depends on both commands being
/// applied, in order, once each. What each key must read is added to `expected`.
fn write(client: &mut Client, keys: std::ops::Range<u32>, expected: &mut Vec<(String, String)>) {
    for i in keys {
        let key = format!("k{i}");
        assert_eq!(
            client.request(&["SET", &key, &i.to_string()]).unwrap(),
            ok()
        );
        assert_eq!(client.request(&["APPEND", &key, "+"]).unwrap(), ok());
        expected.push((key, format!("{i}+")));
    }
}

fn read_all(client: &mut Client, expected: &[(String, String)]) {
    for (key, value) in expected {
        let reply = client.request(&["GET", key]).unwrap();
        assert_eq!(reply, bulk(value), "key {key}");
    }
}

/// The snapshot index a node's latest start reported ("opened ... snapshot at N, ...").
fn opened_at_snapshot(node: &Node) -> u64 {
    let log = fs::read_to_string(&node.log).unwrap();
    let line = log
        .lines()
        .rfind(|l| l.contains("] opened "))
        .unwrap_or_else(|| panic!("n{} never opened its data: {log}", node.id));
    let at = line.split("snapshot at ").nth(1).unwrap_or_default();
    let digits: String = at.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no snapshot index in {line:?}"))
}

/// Every running node has applied as far as the others.
fn converged(nodes: &[Node]) -> bool {
    let applied: Vec<Option<u64>> = nodes
        .iter()
        .filter(|n| n.child.is_some())
        .map(|n| stat(n, "applied"))
        .collect();
    applied.iter().all(|a| a.is_some() && *a == applied[0])
}

#[test]
fn snapshots_restart_nodes_and_catch_up_a_follower_over_tcp() {
    let dir = common::temp_dir("kv-snapshots");
    let every = EVERY.to_string();
    let (mut nodes, peers, addrs) = start_three(&dir, &["--snapshot-every", &every]);
    wait_leader(&nodes);
    let client = || Client::new(addrs.clone(), Duration::from_secs(20));

    // 100 commands: five snapshots on every node, the first keys long compacted away.
    let mut expected = Vec::new();
    write(&mut client(), 0..50, &mut expected);
    wait_until(&nodes, "every node took four snapshots", || {
        nodes
            .iter()
            .all(|n| stat(n, "snapshot_index") >= Some(4 * EVERY))
    });

    // Every node crashes and comes back from its data directory alone: its snapshot, then
    // the entries after it, re-applied as the commit index is learned again.
    for n in &mut nodes {
        kill(n);
    }
    for n in &mut nodes {
        start(n, &peers);
    }
    wait_leader(&nodes);
    read_all(&mut client(), &expected);
    for n in &nodes {
        let at = opened_at_snapshot(n);
        assert!(at >= 4 * EVERY, "n{} restarted from index {at}", n.id);
    }
    wait_until(&nodes, "the restarted nodes converge", || converged(&nodes));

    // A follower goes down; the others write on, and the leader compacts its log past the
    // follower's last entry: the follower's next entry exists only in a snapshot.
    let leader = wait_leader(&nodes);
    let follower = if leader == 1 { 2 } else { 1 };
    let third = 6 - leader - follower;
    let idx = |id: u8| usize::from(id) - 1;
    let follower_last = stat(&nodes[idx(follower)], "last_index").unwrap();
    kill(&mut nodes[idx(follower)]);
    write(&mut client(), 50..90, &mut expected);
    let leader = wait_leader(&nodes);
    wait_until(
        &nodes,
        "the leader compacted past the follower's log",
        || stat(&nodes[idx(leader)], "snapshot_index") > Some(follower_last),
    );
    start(&mut nodes[idx(follower)], &peers);
    wait_until(
        &nodes,
        "the follower installed a snapshot sent over TCP",
        || stat(&nodes[idx(follower)], "snapshots_installed") >= Some(1),
    );
    assert!(stat(&nodes[idx(leader)], "snapshots_sent") >= Some(1));
    wait_until(&nodes, "the follower caught up", || converged(&nodes));

    // The two others stop, and one comes back with an empty disk: the follower is the only
    // node with the data, the only one that can be elected, and answers every read from the
    // store it installed and the entries after it. It catches the empty node up by
    // snapshot too.
    kill(&mut nodes[idx(leader)]);
    kill(&mut nodes[idx(third)]);
    fs::remove_dir_all(&nodes[idx(third)].data).unwrap();
    start(&mut nodes[idx(third)], &peers);
    assert_eq!(wait_leader(&nodes), follower);
    read_all(&mut client(), &expected);
    wait_until(
        &nodes,
        "the emptied node installed the follower's snapshot",
        || stat(&nodes[idx(third)], "snapshots_installed") >= Some(1),
    );
    cleanup(&dir, &mut nodes);
}
