//! Bytes to worlds. Every byte string decodes to a valid world configuration: the first few
//! bytes are read as small fields (any value means something), so the fuzzer wastes no input
//! on configurations the world would refuse. Missing bytes read as zero.
//!
//! Layout (one byte each, in order):
//! 1. cluster size: the byte modulo 3 gives 3, 4 or 5 nodes, bits 3-4 snapshots (0: off;
//!    1, 2, 3: on, a node snapshotting on its own never, after every applied entry, or every
//!    second), bit 5 read-index, bit 6 pre-vote, bit 7 check-quorum (unless the options
//!    force them);
//! 2. faults: bit 0 loss, 1 duplication, 2 reordering, 3 crashes, 4 partitions,
//!    bit 5 crashes lose unsynced writes, bits 6-7 the most entries per AppendEntries (1, 2, 3, 64);
//!    bits 5-7 all set also switch membership changes on (two in the whole schedule; with 4
//!    or 5 nodes the last one starts as a spare that joins when added), unless the options
//!    force the features (added later: it changes what an eighth of the older inputs mean);
//! 3. bounds: bits 0-2 the highest term an election may start (1 to 8; a world with lease
//!    reads keeps time, and its timers fire at ticks whatever the term),
//!    bits 3-7 the most messages in flight (4 to 35), which keeps each step cheap; bit 7
//!    (in flight 20 or more) also switches lease reads on when check-quorum and read-index
//!    are (added later, it keeps what every older input means when features are forced);
//! 4. clients: bits 0-1 how many (0 to 2; 3 reads as 2 with leadership transfer requests on,
//!    unless the options force the features), bits 2-3 operations each (1 to 4);
//!    bits 4-5 the most crashes in the whole schedule (1, 2, 4 or 8), bits 6-7 the most
//!    partitions (1, 2, 4 or 8): unbounded, crash-restart and split-heal pairs (always
//!    enabled, one choice per node or split) would fill most of a random schedule and leave
//!    few events for elections and replication;
//!    then one byte per operation.
use arbitrary::Unstructured;
use verraft_kv::{KvOp, Text};
use verraft_sim::{CrashMode, Faults, Features, Limits, WorldConfig};

use crate::options::FuzzOptions;

const KEYS: [&str; 2] = ["x", "y"];
const VALUES: [&str; 4] = ["1", "2", "3", "4"];

/// Read one byte, zero once the input is used up.
pub fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary::<u8>().unwrap_or(0)
}

/// The world the first bytes describe.
pub fn config(u: &mut Unstructured<'_>, opts: &FuzzOptions) -> WorldConfig {
    let size = byte(u);
    let mut c = WorldConfig::new(opts.nodes.unwrap_or(3 + size % 3));
    let snapshots = (size >> 3) & 3;
    c.features = opts.features.unwrap_or(Features {
        pre_vote: size & 64 != 0,
        check_quorum: size & 128 != 0,
        read_index: size & 32 != 0,
        snapshots: snapshots != 0,
        transfer: false,
        lease_reads: false,
        membership: false,
    });
    c.snapshot_every = u32::from(snapshots.saturating_sub(1));
    c.bugs = opts.bugs;
    let f = byte(u);
    c.faults = Faults {
        loss: f & 1 != 0,
        duplication: f & 2 != 0,
        reorder: f & 4 != 0,
        crash: f & 8 != 0,
        partition: f & 16 != 0,
    };
    c.crash_mode = if f & 32 != 0 {
        CrashMode::LoseUnsynced
    } else {
        CrashMode::KeepUnsynced
    };
    c.max_append_entries = [1, 2, 3, 64][usize::from(f >> 6)];
    let b = byte(u);
    let cl = byte(u);
    c.limits = Limits {
        max_term: Some(1 + u64::from(b & 7)),
        max_in_flight: Some(4 + u32::from(b >> 3)),
        max_crashes: Some(1 << ((cl >> 4) & 3)),
        max_partitions: Some(1 << (cl >> 6)),
        ..Limits::NONE
    };
    let clients = usize::from((cl & 3).min(2));
    if opts.features.is_none() {
        c.features.transfer = cl & 3 == 3;
        // Leases need the followers' side (check-quorum) and reads to serve (read-index).
        c.features.lease_reads = b & 128 != 0 && c.features.check_quorum && c.features.read_index;
        c.features.membership = f >> 5 == 7;
    }
    if c.features.membership {
        c.limits.max_reconfigs = Some(2);
        if c.nodes > 3 {
            c.voters = Some(c.nodes - 1);
        }
    }
    let ops = 1 + usize::from((cl >> 2) & 3);
    c.clients = (0..clients)
        .map(|_| (0..ops).map(|_| op(byte(u))).collect())
        .collect();
    c
}

/// One client operation from one byte: bits 0-2 the kind, bit 3 the key, bits 4-5 the value,
/// bits 6-7 a cas's expected value (0: absent).
pub fn op(b: u8) -> KvOp {
    let key = Text::from(KEYS[usize::from((b >> 3) & 1)]);
    let value = Text::from(VALUES[usize::from((b >> 4) & 3)]);
    match b & 7 {
        0 | 1 => KvOp::Get { key },
        2 | 3 => KvOp::Put { key, value },
        4 => KvOp::Append { key, value },
        5 | 6 => KvOp::Cas {
            key,
            expected: match b >> 6 {
                0 => None,
                e => Some(Text::from(VALUES[usize::from(e)])),
            },
            new: value,
        },
        _ => KvOp::Delete { key },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_of_any_input_is_a_valid_world() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..64 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let c = config(&mut Unstructured::new(&bytes), &FuzzOptions::default());
            assert!(c.validate().is_ok(), "{c:?}");
            assert!((3..=5).contains(&c.nodes));
        }
    }

    #[test]
    fn three_high_fault_bits_switch_membership_changes_on_with_a_spare() {
        // 4 nodes (size 1 reads as 3 + 1), faults byte 0b1110_0000.
        let c = config(
            &mut Unstructured::new(&[1, 0xe0, 0, 0]),
            &FuzzOptions::default(),
        );
        assert!(c.features.membership);
        assert_eq!((c.nodes, c.voters), (4, Some(3)));
        assert_eq!(c.limits.max_reconfigs, Some(2));
        assert!(c.validate().is_ok());
        let c = config(
            &mut Unstructured::new(&[1, 0xc0, 0, 0]),
            &FuzzOptions::default(),
        );
        assert!(!c.features.membership);
        assert_eq!(c.voters, None);
    }

    #[test]
    fn forced_options_win_over_the_input() {
        let opts = FuzzOptions {
            nodes: Some(4),
            bugs: verraft_core::BugSet::NONE.with(verraft_core::Bug::Figure8),
            ..FuzzOptions::default()
        };
        let c = config(&mut Unstructured::new(&[0, 0xff, 0, 1, 2]), &opts);
        assert_eq!(c.nodes, 4);
        assert_eq!(c.bugs, opts.bugs);
        assert_eq!(c.faults, Faults::ALL);
        assert_eq!(c.clients.len(), 1);
    }

    #[test]
    fn every_operation_byte_is_a_valid_operation() {
        for b in 0..=255u8 {
            let mut c = WorldConfig::new(3);
            c.clients = vec![vec![op(b)]];
            assert!(c.validate().is_ok(), "byte {b}: {}", op(b));
        }
    }
}
