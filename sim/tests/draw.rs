//! The HTML drawing of a scenario: one lane per node, one arrow per delivered or dropped
//! message, a state panel per step, the violation's story; well-formed SVG.
use verraft_sim::draw::scenario_html;
use verraft_sim::scenario::parse;

const SCENARIO: &str = "nodes 3\nbugs no-persist-vote\nfaults crash,loss\n\
    timeout n1\ndeliver n1->n2 RV t1 last=0/0\ndeliver n2->n1 V+ t1\ndrop n1->n3 RV t1 last=0/0\ncrash n2\nrestart n2\n\
    timeout n3\ndeliver n3->n2 RV t1 last=0/0\n";

#[test]
fn the_drawing_has_lanes_arrows_states_and_the_story() {
    let html = scenario_html(&parse(SCENARIO).unwrap(), "npv <test>").unwrap();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>"));
    assert!(html.contains("npv &lt;test&gt;"), "the title is escaped");
    assert_eq!(html.matches("class='lane'").count(), 3);
    assert_eq!(html.matches("class='msg'").count(), 3, "three deliveries");
    assert_eq!(html.matches("class='drop'").count(), 1, "one drop");
    assert_eq!(
        html.matches("<div class=step id=").count(),
        9,
        "the initial state and 8 steps"
    );
    assert!(html.contains("VIOLATION at step 8"));
    assert!(html.contains("its restart at step 6 came back at term 0 with no vote"));
    // Every SVG attribute is quoted: an unquoted value before `/>` breaks the whole chart.
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    let tags = svg
        .split('<')
        .filter_map(|t| t.split_once('>').map(|(tag, _)| tag));
    for attr in tags
        .flat_map(|t| t.split_whitespace())
        .filter(|w| w.contains('='))
    {
        let value = attr.split_once('=').unwrap().1;
        assert!(
            value.starts_with('\'') || value.starts_with('"'),
            "unquoted attribute {attr}"
        );
    }
    assert!(
        !html.contains("http://") || html.matches("http://").count() == 1,
        "no network: only the SVG namespace"
    );
}
