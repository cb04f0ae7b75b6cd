//! The key-value service end to end, as processes on loopback: a three-node cluster written
//! and read over RESP, its leader killed, the values read from the new leader, every node
//! killed and restarted from its data directory (one of them with a torn record appended to
//! its log, which must be cut and reported), and the values read again. And `verraft cluster
//! start`, stopped with Ctrl-C and started again, with `verraft kv` and `cluster status`.
//! (Snapshots in the service have their own test: `kv_snapshots.rs`.)
mod common;

use common::nodes::{bulk, cleanup, field, info, kill, ok, start, start_three, wait_leader};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use verraft_server::client::{call, Client};
use verraft_server::resp::Reply;

#[test]
fn a_cluster_survives_its_leaders_crash_and_a_restart_from_disk() {
    let dir = common::temp_dir("kv-service");
    let (mut nodes, peers, addrs) = start_three(&dir, &[]);
    let leader = wait_leader(&nodes);
    let port = |id: u8| nodes[usize::from(id) - 1].client;

    // verraft's client: a session, redirects followed.
    let mut client = Client::new(addrs.clone(), Duration::from_secs(20));
    assert_eq!(client.request(&["SET", "a", "1"]).unwrap(), ok());
    assert_eq!(client.request(&["APPEND", "a", "2"]).unwrap(), ok());
    assert_eq!(client.request(&["SET", "b", "x"]).unwrap(), ok());
    let cas = client.request(&["CAS", "b", "x", "y"]).unwrap();
    assert_eq!(cas, Reply::Array(Some(vec![Reply::Int(1), bulk("x")])));
    // A plain Redis connection to the leader; a follower redirects to it.
    let mut plain = TcpStream::connect(("127.0.0.1", port(leader))).unwrap();
    assert_eq!(call(&mut plain, &[b"SET", b"c", b"3"]).unwrap(), ok());
    assert_eq!(call(&mut plain, &[b"GET", b"c"]).unwrap(), bulk("3"));
    assert_eq!(
        call(&mut plain, &[b"EXISTS", b"zz"]).unwrap(),
        Reply::Int(0)
    );
    // Reads take the ReadIndex path: they add nothing to the log.
    let last = || field(&info(port(leader)).unwrap(), "last_index").unwrap();
    let before = last();
    for _ in 0..3 {
        assert_eq!(call(&mut plain, &[b"GET", b"c"]).unwrap(), bulk("3"));
    }
    assert_eq!(last(), before);
    let follower = if leader == 1 { 2 } else { 1 };
    let mut f = TcpStream::connect(("127.0.0.1", port(follower))).unwrap();
    let moved = call(&mut f, &[b"SET", b"d", b"4"]).unwrap();
    assert_eq!(
        moved,
        Reply::Error(format!("MOVED 0 127.0.0.1:{}", port(leader)))
    );
    // Garbage on the client port closes that connection only.
    let mut bad = TcpStream::connect(("127.0.0.1", port(leader))).unwrap();
    bad.write_all(b"*1\r\n:oops\r\n").unwrap();
    assert!(call(&mut bad, &[b"PING"]).is_err());
    assert_eq!(
        call(&mut plain, &[b"PING"]).unwrap(),
        Reply::Simple("PONG".into())
    );
    // Garbage on the peer port too: a frame of an unknown version, cut off and logged.
    let f_node = &nodes[usize::from(follower) - 1];
    let mut peer = TcpStream::connect(("127.0.0.1", f_node.peer)).unwrap();
    peer.write_all(&[3, 0, 0, 0, 99, 0, 0]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fs::read_to_string(&f_node.log)
        .unwrap()
        .contains("closed: unknown protocol version 99")
    {
        assert!(
            Instant::now() < deadline,
            "garbage on the peer port not logged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The leader crashes; the others elect a new one and still have every value.
    kill(&mut nodes[usize::from(leader) - 1]);
    assert_eq!(client.request(&["GET", "a"]).unwrap(), bulk("12"));
    assert_eq!(client.request(&["GET", "b"]).unwrap(), bulk("y"));
    assert_eq!(client.request(&["GET", "c"]).unwrap(), bulk("3"));
    assert_eq!(client.request(&["SET", "e", "5"]).unwrap(), ok());
    let new_leader = wait_leader(&nodes);
    assert_ne!(new_leader, leader);

    // Every node crashes. One of them also loses the end of its last write: a record header
    // promising 200 bytes, two of which made it.
    for n in &mut nodes {
        kill(n);
    }
    let torn = &nodes[0];
    let mut log = OpenOptions::new()
        .append(true)
        .open(torn.data.join("log"))
        .unwrap();
    log.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 9, 9]).unwrap();
    drop(log);
    for n in &mut nodes {
        start(n, &peers);
    }
    wait_leader(&nodes);
    let mut client = Client::new(addrs, Duration::from_secs(20));
    for (k, v) in [("a", "12"), ("b", "y"), ("c", "3"), ("e", "5")] {
        assert_eq!(client.request(&["GET", k]).unwrap(), bulk(v), "key {k}");
    }
    // The torn node reported the cut, and catches up with the others.
    let text = fs::read_to_string(&nodes[0].log).unwrap();
    assert!(
        text.contains("RECOVERY: the log's tail was damaged and is cut: 10 bytes"),
        "{text}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let applied: Vec<Option<String>> = nodes
            .iter()
            .map(|n| info(n.client).and_then(|i| field(&i, "applied")))
            .collect();
        if applied.iter().all(|a| a.is_some() && *a == applied[0]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replicas did not converge: {applied:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    cleanup(&dir, &mut nodes);
}

fn verraft(args: &[&str]) -> (bool, String) {
    let out = common::verraft(args);
    (out.status.success(), common::stdout(&out))
}

/// A base port whose next `n` ports are free (for `cluster start`'s BASE+i ports), below the
/// ephemeral range (32768 and up on Linux) that `free_port` draws from, so that the tests
/// running beside this one cannot be handed the same ports.
fn free_base(n: u16) -> u16 {
    let seed = std::process::id() as u64 * 7919
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
    'search: for attempt in 0..200u64 {
        let base = 20000 + ((seed + attempt * 104_729) % 10000) as u16;
        for i in 1..=n {
            if TcpListener::bind(("127.0.0.1", base + i)).is_err() {
                continue 'search;
            }
        }
        return base;
    }
    panic!("no free port range");
}

/// A running `verraft cluster start`, stopped (Ctrl-C, then a kill) if the test fails first.
struct Running(Option<Child>);

impl Running {
    /// Ctrl-C, as a user would; it must stop every node and exit 0 within 15 s.
    fn interrupt(&mut self) {
        let Some(mut c) = self.0.take() else { return };
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe {
            libc::kill(c.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                assert!(status.success(), "cluster start exited with {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("cluster start did not stop on Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.is_some() && !std::thread::panicking() {
            self.interrupt();
        } else if let Some(c) = &self.0 {
            // Stopping the nodes is the parent's job: Ctrl-C it and give it time.
            // SAFETY: as above.
            unsafe {
                libc::kill(c.id() as libc::pid_t, libc::SIGINT);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

#[test]
fn cluster_start_stops_on_ctrl_c_and_recovers_from_its_directory() {
    let dir = common::temp_dir("cluster-start");
    let data = dir.to_string_lossy().into_owned();
    let peer_base = free_base(3);
    let client_base = loop {
        let b = free_base(3);
        if b.abs_diff(peer_base) > 3 {
            break b;
        }
    };
    let start = || {
        let child = Command::new(env!("CARGO_BIN_EXE_verraft"))
            .args(["cluster", "start", "--nodes", "3", "--data", &data])
            .args(["--peer-base", &peer_base.to_string()])
            .args(["--client-base", &client_base.to_string()])
            // A snapshot every second applied entry: the restart below recovers from one.
            .args(["--snapshot-every", "2"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // `verraft kv` finds the cluster by its cluster.json: wait for it to be written.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !dir.join("cluster.json").exists() {
            assert!(Instant::now() < deadline, "no cluster.json");
            std::thread::sleep(Duration::from_millis(10));
        }
        Running(Some(child))
    };
    let interrupt = |mut c: Running| c.interrupt();
    let cluster = start();
    assert_eq!(
        verraft(&["kv", "--data", &data, "put", "x", "1"]),
        (true, "OK\n".into())
    );
    assert_eq!(
        verraft(&["kv", "--data", &data, "cas", "x", "1", "2"]),
        (true, "swapped (found \"1\")\n".into())
    );
    let (ok, status) = verraft(&["cluster", "status", "--data", &data]);
    let roles: Vec<&str> = status
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert!(ok, "{status}");
    // The leader applied its no-op, the put and the compare-and-set before it answered:
    // its latest snapshot (the `snap` column) is at index 2 at least.
    let leader_snap = status
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.get(2) == Some(&"leader"))
        .and_then(|cols| cols.get(8)?.parse::<u64>().ok());
    assert!(leader_snap >= Some(2), "{status}");
    assert_eq!(
        roles.iter().filter(|r| **r == "leader").count(),
        1,
        "{status}"
    );
    assert_eq!(
        roles.iter().filter(|r| **r == "follower").count(),
        2,
        "{status}"
    );
    interrupt(cluster);
    // Every node stopped with it.
    for id in 1..=3 {
        let port = client_base + id;
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "n{id} still up"
        );
    }
    let cluster = start();
    assert_eq!(
        verraft(&["kv", "--data", &data, "get", "x"]),
        (true, "\"2\"\n".into())
    );
    interrupt(cluster);
    let _ = fs::remove_dir_all(&dir);
}

/// Clients hammer one register (writes of unique values, compare-and-sets, reads) from four
/// threads while the leader is killed; the history they saw, outcomes unknown included
/// (a request that timed out), must be linearizable.
#[test]
fn concurrent_clients_see_a_linearizable_register_across_a_leader_crash() {
    use std::sync::{Arc, Mutex};
    use verraft_checker::models::{RegisterInput as I, RegisterModel, RegisterOutput as O};
    use verraft_checker::{check, CheckOptions, History, Operation, Verdict};

    let dir = common::temp_dir("kv-lincheck");
    let (mut nodes, _, addrs) = start_three(&dir, &[]);
    let leader = wait_leader(&nodes);

    let epoch = Instant::now();
    let now = move || epoch.elapsed().as_nanos() as u64;
    let ops = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let (addrs, ops) = (addrs.clone(), Arc::clone(&ops));
            std::thread::spawn(move || {
                let mut client = Client::new(addrs, Duration::from_secs(5));
                let mut x = t * 7919 + 1;
                for i in 0..80u64 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let value = (t * 1000 + i) as i64;
                    let (input, args): (I, Vec<String>) = match (x >> 33) % 3 {
                        0 => (I::Read, vec!["GET".into(), "r".into()]),
                        1 => (
                            I::Write(value),
                            vec!["SET".into(), "r".into(), value.to_string()],
                        ),
                        _ => {
                            let from = ((x >> 40) % 4) as i64 * 1000 + i as i64 - 1;
                            let args = ["CAS", "r", &from.to_string(), &value.to_string()];
                            (
                                I::Cas { from, to: value },
                                args.iter().map(|s| s.to_string()).collect(),
                            )
                        }
                    };
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let call = now();
                    let reply = client.request(&args);
                    let ret = now();
                    let output = match (&input, reply) {
                        (I::Read, Ok(Reply::Bulk(v))) => Some(O::Read(
                            v.map(|b| String::from_utf8(b).unwrap().parse().unwrap()),
                        )),
                        (I::Write(_), Ok(Reply::Simple(_))) => Some(O::Write),
                        (I::Cas { .. }, Ok(Reply::Array(Some(items)))) => {
                            Some(O::Cas(items.first() == Some(&Reply::Int(1))))
                        }
                        (_, Ok(other)) => panic!("unexpected reply {other}"),
                        (_, Err(_)) => None, // timed out: may or may not have happened
                    };
                    let ret = output.map(|_| ret);
                    ops.lock()
                        .unwrap()
                        .push(Operation::new(t, input, output, call, ret));
                }
            })
        })
        .collect();
    // Kill the leader mid-run, with operations in flight.
    while ops.lock().unwrap().len() < 120 {
        std::thread::sleep(Duration::from_millis(1));
    }
    kill(&mut nodes[usize::from(leader) - 1]);
    let killed_at = now();
    for t in threads {
        t.join().unwrap();
    }
    let ops = Arc::try_unwrap(ops).unwrap().into_inner().unwrap();
    let known = ops.iter().filter(|o| o.output.is_some()).count();
    let after_kill = ops.iter().filter(|o| o.call > killed_at).count();
    eprintln!(
        "{known} of {} operations completed, {after_kill} invoked after the kill",
        ops.len()
    );
    assert!(
        known > 250 && after_kill > 100,
        "too few operations completed"
    );
    let history = History::new(ops).unwrap();
    let result = check(&RegisterModel, &history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::Linearizable);
    cleanup(&dir, &mut nodes);
}
