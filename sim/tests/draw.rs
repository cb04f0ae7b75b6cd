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

/// At five nodes the chart and the state panel still share the page: node states are drawn
/// above the arrows (with a halo), not under them, and the panel wraps long logs between
/// entries instead of breaking words ("Follower, t / erm 4").
#[test]
fn five_lanes_keep_states_readable() {
    let five = "nodes 5\nfaults none\ntimeout n1\ndeliver n1->n5 RV t1 last=0/0\n\
        deliver n1->n4 RV t1 last=0/0\ndeliver n5->n1 V+ t1\ndeliver n4->n1 V+ t1\n";
    let html = scenario_html(&parse(five).unwrap(), "five").unwrap();
    assert_eq!(html.matches("class='lane'").count(), 5);
    let last_arrow = html.rfind("class='msg'").unwrap();
    let first_state = html.find("class='st'").unwrap();
    assert!(
        first_state > last_arrow,
        "every state label comes after (so above) every arrow"
    );
    assert!(html.contains("paint-order:stroke"), "labels have a halo");
    assert!(!html.contains("word-break:break-all"), "no word is cut");
    // Five lanes end well inside a 1,400-pixel window next to a 340-pixel panel.
    let width: usize = html
        .split("<svg width='")
        .nth(1)
        .and_then(|w| w.split('\'').next())
        .and_then(|w| w.parse().ok())
        .unwrap();
    assert!(width + 340 + 48 <= 1400, "chart of {width} px");
}
