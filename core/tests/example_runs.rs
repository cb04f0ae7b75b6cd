//! Runs the driver loop of `examples/three_nodes.rs` (cargo builds examples in `cargo test`
//! but does not run them): it must elect a leader, commit every command on all three nodes,
//! and apply the same sequence everywhere.

// `main` is the example's entry point, unused here.
#[allow(dead_code)]
#[path = "../examples/three_nodes.rs"]
mod example;

#[test]
fn the_three_node_example_commits_the_same_commands_everywhere() {
    let applied = example::run();
    assert_eq!(applied.len(), 3);
    for node in &applied {
        let seqs: Vec<u64> = node.iter().map(|(_, cmd, _)| cmd.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
    }
}
