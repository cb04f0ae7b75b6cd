//! One conformance suite for every `Storage<KvCommand>`: `MemStorage` (the reference the
//! model checker uses), the simulator's disk (`verraft_sim::disk::Disk`, with writes left
//! pending until a later sync covers them) and `DiskStorage` run the same steps and must
//! agree with a plain model after every step and after every reopen: term and vote,
//! snapshots (the entries they cover dropped, older ones ignored, writes into them refused
//! with `Compacted`), ranged reads, and a node restarted from what the store holds.
mod conformance;

use conformance::{conformance, SimDisk};
use verraft_kv::KvCommand;
use verraft_server::storage::DiskStorage;
use verraft_sim::config::CrashMode;
use verraft_sim::disk::Disk;

#[test]
fn mem_storage_conforms() {
    // MemStorage is its own disk: reopening is keeping it.
    conformance(verraft_core::MemStorage::<KvCommand>::default, |s| s);
}

#[test]
fn the_simulated_disk_conforms() {
    // Reopening is a process crash with the operating system alive: what was written but
    // not synced survives (a power loss is the simulator's to test: it may lose it).
    conformance(
        || SimDisk::new(Disk::default()),
        |s| {
            let mut disk = s.into_disk();
            disk.crash(CrashMode::KeepUnsynced).unwrap();
            SimDisk::new(disk)
        },
    );
}

#[test]
fn disk_storage_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node");
    let open = |p: &std::path::Path| {
        let (s, recovery) = DiskStorage::<KvCommand>::open(p).unwrap();
        assert_eq!(recovery.cut, None, "a clean close leaves no damaged tail");
        s
    };
    conformance(
        || open(&path),
        |mut s| {
            s.sync().unwrap();
            drop(s);
            open(&path)
        },
    );
}
