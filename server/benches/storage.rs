//! Fsync'd appends per second, unbatched (one entry per fsync, the worst case: one client
//! write at a time) and batched (many entries per fsync, as group commit gives under load),
//! for the candidates of `server/STORAGE.md`: verraft's own checksummed append-only file
//! (`DiskStorage`), redb, and a bare `write` + `fdatasync` as the floor any of them pays.
//!
//! `cargo bench -p verraft-server --features bench-redb --bench storage [-- ENTRIES]`
use redb::{Database, TableDefinition};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use verraft_core::{Entry, LogWrite, Payload, Storage};
use verraft_kv::{KvCommand, KvOp};
use verraft_server::storage::DiskStorage;

const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("log");

fn entry(n: u64) -> Entry<KvCommand> {
    Entry {
        term: 1,
        payload: Payload::Command(KvCommand {
            client: 7,
            seq: n,
            op: KvOp::Put {
                key: format!("key-{n:08}").into(),
                value: "x".repeat(100).into(),
            },
        }),
    }
}

/// Append `total` entries, `batch` per fsync; returns (fsyncs/s, entries/s).
fn bench(name: &str, total: u64, batch: u64, mut append: impl FnMut(u64, u64)) {
    let start = Instant::now();
    let mut next = 1;
    while next <= total {
        append(next, batch);
        next += batch;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<28} batch {batch:>3}: {:>8.0} fsyncs/s {:>9.0} entries/s",
        (total / batch) as f64 / secs,
        total as f64 / secs
    );
}

fn verraft_file(dir: &Path, total: u64, batch: u64) {
    let (mut s, _) = DiskStorage::<KvCommand>::open(dir).unwrap();
    bench("verraft DiskStorage", total, batch, |from, n| {
        s.write_log(LogWrite {
            from,
            entries: (from..from + n).map(entry).collect(),
        })
        .unwrap();
        s.sync().unwrap();
    });
}

fn redb(dir: &Path, total: u64, batch: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let db = Database::create(dir.join("redb")).unwrap();
    bench("redb 2 (Durability::Immediate)", total, batch, |from, n| {
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(TABLE).unwrap();
            for i in from..from + n {
                let bytes = postcard::to_allocvec(&entry(i)).unwrap();
                t.insert(i, bytes.as_slice()).unwrap();
            }
        }
        tx.commit().unwrap();
    });
}

fn raw(dir: &Path, total: u64, batch: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("raw"))
        .unwrap();
    bench("raw write + fdatasync", total, batch, |from, n| {
        let mut buf = Vec::new();
        for i in from..from + n {
            buf.extend(postcard::to_allocvec(&entry(i)).unwrap());
        }
        f.write_all(&buf).unwrap();
        f.sync_data().unwrap();
    });
}

fn main() {
    let total: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let root = std::env::temp_dir().join(format!("verraft-storage-bench-{}", std::process::id()));
    println!("{total} entries of ~130 bytes each, in {}", root.display());
    for batch in [1, 8, 64] {
        raw(&root.join(format!("raw{batch}")), total, batch);
        verraft_file(&root.join(format!("file{batch}")), total, batch);
        redb(&root.join(format!("redb{batch}")), total, batch);
    }
    let _ = std::fs::remove_dir_all(&root);
}
