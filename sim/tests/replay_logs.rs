//! The replay never cuts an event (the one entry two appends disagree on may be the last of
//! a long list), and under each step that changed a node's log it says what was added or
//! cut: an append, and a restart that came back without its unsynced writes.
use verraft_sim::replay::{replay, Outcome};
use verraft_sim::scenario::parse;

const EVENTS: &str = "\
client c1 put x 1
timeout n1
deliver n1->n2 RV t1 last=0/0
deliver n2->n1 V+ t1
invoke c1 n1
drop n1->n2 AE t1 prev=0/0 commit=0 [1:noop]
deliver n1->n2 AE t1 prev=1/1 commit=0 [1:c1.1]
deliver n2->n1 A- t1 idx=1
deliver n1->n2 AE t1 prev=0/0 commit=0 [1:noop 1:c1.1]
crash n2
restart n2
";

fn lines(header: &str) -> Vec<String> {
    let scenario = parse(&format!("{header}{EVENTS}")).unwrap();
    let run = replay(&scenario).unwrap();
    assert_eq!(run.outcome, Outcome::Clean);
    run.lines
        .iter()
        .flat_map(|l| l.lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

#[test]
fn a_long_event_is_written_whole_and_the_cells_follow_in_their_columns() {
    let lines = lines("nodes 3\nfaults loss,crash\n");
    assert!(lines.iter().all(|l| !l.contains('…')), "{lines:#?}");
    let at = lines
        .iter()
        .position(|l| l == "   8  deliver n1->n2 AE t1 prev=0/0 commit=0 [1:noop 1:c1.1]")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    // The cells start where the header's node columns do.
    let column = lines[0].find("n1 ").unwrap();
    let cells = &lines[at + 1];
    assert!(cells[..column].trim().is_empty(), "{cells}");
    assert!(cells[column..].starts_with("L t1 i2 c0"), "{cells}");
}

#[test]
fn each_change_to_a_log_is_named_under_its_step() {
    let changes: Vec<String> = lines("nodes 3\nfaults loss,crash\n")
        .into_iter()
        .filter(|l| l.contains(" log "))
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(
        changes,
        [
            "n1 log +[1:t1 noop]",
            "n1 log +[2:t1 c1.1 put x 1]",
            "n2 log +[1:t1 noop, 2:t1 c1.1 put x 1]",
        ],
        "a correct node synced what it acknowledged: its restart keeps it"
    );
    let lost =
        lines("nodes 3\nbugs ack-before-sync\nfaults loss,crash\ncrash-mode lose-unsynced\n");
    let restart = lost.iter().position(|l| l.contains("restart n2")).unwrap();
    assert_eq!(lost[restart + 1].trim(), "n2 log cut 1..2", "{lost:#?}");
}
