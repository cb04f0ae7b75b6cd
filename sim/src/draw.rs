//! A scenario drawn as one self-contained HTML page: a message-sequence chart (one lane per
//! node, an arrow for every delivered message from the step it was sent to the step it
//! arrived), each node's role and term along its lane, and, for the step under the mouse
//! or clicked, every node's log, commit index, vote and disk, and the messages in flight.
use crate::event::{Event, MsgRef};
use crate::invariants::{disk_log_summary, node_log_summary};
use crate::replay::{node_cell, Outcome};
use crate::scenario::Scenario;
use crate::world::World;
use std::collections::BTreeMap;
use std::fmt::Write;
use verraft_core::{NodeId, Role};

const ROW: usize = 26;
const TOP: usize = 60;
const EVENT_X: usize = 10;
const LANES_X: usize = 440;
/// Lanes are narrower in larger clusters, so that chart and state panel fit side by side.
const LANE_GAP_SMALL: usize = 150;
const LANE_GAP_LARGE: usize = 110;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The x of node `id`'s lane in a cluster of `nodes`.
fn lane(nodes: u8, id: NodeId) -> usize {
    LANES_X + (id as usize - 1) * lane_gap(nodes)
}

fn lane_gap(nodes: u8) -> usize {
    if nodes <= 3 {
        LANE_GAP_SMALL
    } else {
        LANE_GAP_LARGE
    }
}

fn row(step: usize) -> usize {
    TOP + step * ROW
}

type Key = (NodeId, NodeId, MsgRef);

/// Messages added to the network by a step (multiset difference), as (from, to, message).
fn sent_by_step(before: &World, after: &World) -> Vec<Key> {
    let mut count: BTreeMap<Key, i64> = BTreeMap::new();
    for e in after.network.messages() {
        *count.entry((e.from, e.to, MsgRef::of(&e.msg))).or_default() += 1;
    }
    for e in before.network.messages() {
        *count.entry((e.from, e.to, MsgRef::of(&e.msg))).or_default() -= 1;
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .flat_map(|(k, n)| std::iter::repeat_n(k, n as usize))
        .collect()
}

fn node_details(world: &World) -> String {
    let mut s = String::new();
    for id in world.config.node_ids() {
        let disk = &world.disks[id as usize - 1].durable;
        let _ = write!(s, "<div class=node><b>n{id}</b> ");
        match world.node(id) {
            Some(n) => {
                let vote = n.voted_for().map_or("-".into(), |v| format!("n{v}"));
                let _ = write!(
                    s,
                    "{:?}, term {}, vote {vote}, commit {}, applied {}<br>log {}",
                    n.role(),
                    n.term(),
                    n.commit_index(),
                    n.applied_index(),
                    esc(&node_log_summary(n))
                );
            }
            None => s.push_str("down"),
        }
        let disk_vote = disk
            .hard_state
            .voted_for
            .map_or("-".into(), |v| format!("n{v}"));
        let _ = write!(
            s,
            "<br><span class=disk>disk: term {}, vote {disk_vote}, log {}</span></div>",
            disk.hard_state.term,
            esc(&disk_log_summary(disk))
        );
    }
    let flying: Vec<String> = world
        .network
        .messages()
        .iter()
        .map(|e| format!("n{}->n{} {}", e.from, e.to, MsgRef::of(&e.msg)))
        .collect();
    let _ = write!(
        s,
        "<div class=node><b>in flight ({})</b><br>{}</div>",
        flying.len(),
        esc(&flying.join("\n")).replace('\n', "<br>")
    );
    s
}

fn role_color(role: Role) -> &'static str {
    match role {
        Role::Leader => "#c0392b",
        Role::Candidate => "#d68910",
        Role::PreCandidate => "#b7950b",
        Role::Follower => "#5d6d7e",
    }
}

/// Replays `scenario` and draws it.
pub fn scenario_html(scenario: &Scenario, title: &str) -> Result<String, String> {
    let mut world = World::new(scenario.config.clone())?;
    let mut worlds = vec![world.clone()];
    let mut sent_at: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    let mut arrows: Vec<(NodeId, NodeId, usize, usize, String, bool)> = Vec::new();
    let mut outcome = Outcome::Clean;
    for (i, event) in scenario.events().enumerate() {
        let step = i + 1;
        let before = world.clone();
        let result = match world.apply(event) {
            Ok(r) => r,
            Err(error) => {
                outcome = Outcome::Invalid { step, error };
                break;
            }
        };
        match event {
            Event::Deliver { from, to, msg } | Event::Drop { from, to, msg } => {
                let key = (*from, *to, msg.clone());
                let sent = sent_at
                    .get_mut(&key)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.remove(0))
                    .unwrap_or(0);
                arrows.push((
                    *from,
                    *to,
                    sent,
                    step,
                    msg.to_string(),
                    matches!(event, Event::Drop { .. }),
                ));
            }
            _ => {}
        }
        for key in sent_by_step(&before, &world) {
            sent_at.entry(key).or_default().push(step);
        }
        worlds.push(world.clone());
        if let Some(violation) = result {
            outcome = Outcome::Violation { step, violation };
            break;
        }
    }
    let steps = worlds.len() - 1;
    let n = scenario.config.nodes;
    let lane = |id: NodeId| lane(n, id);
    let width = lane(n) + lane_gap(n);
    let height = row(steps) + 3 * ROW;
    let mut svg =
        format!("<svg width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg'>");
    svg.push_str("<defs><marker id='a' markerWidth='8' markerHeight='8' refX='7' refY='3' orient='auto'><path d='M0,0 L7,3 L0,6 z' fill='#1f618d'/></marker>\
        <marker id='d' markerWidth='8' markerHeight='8' refX='7' refY='3' orient='auto'><path d='M0,0 L7,3 L0,6 z' fill='#aaa'/></marker></defs>");
    for id in 1..=n {
        let _ = write!(svg, "<text x='{}' y='{}' class='lanehead'>n{id}</text><line x1='{x}' y1='{}' x2='{x}' y2='{}' class='lane'/>", lane(id) - 8, TOP - 20, TOP - 10, row(steps) + 10, x = lane(id));
    }
    let mut labels = String::from("<g class='labels'>");
    for (step, (event, w)) in scenario
        .events()
        .zip(worlds.iter().skip(1))
        .enumerate()
        .map(|(i, x)| (i + 1, x))
    {
        let y = row(step);
        let _ = write!(svg, "<g class='row' data-step='{step}'><rect x='0' y='{}' width='{width}' height='{ROW}' class='hit'/>", y - ROW / 2 - 4);
        let _ = write!(
            svg,
            "<text x='{EVENT_X}' y='{y}' class='ev'>{step:>3}  {}</text>",
            esc(&event.to_string().chars().take(52).collect::<String>())
        );
        // Each node's role and term, drawn last (see below) so arrows pass under them.
        for id in 1..=n {
            let cell = node_cell(w, id);
            let color = w.node(id).map_or("#999", |nd| role_color(nd.role()));
            let _ = write!(
                labels,
                "<text x='{}' y='{}' class='st' fill='{color}'>{}</text>",
                lane(id) + 6,
                y + 4,
                esc(&cell.split(' ').take(2).collect::<Vec<_>>().join(" "))
            );
        }
        match event {
            Event::Timeout(id) | Event::Heartbeat(id) => {
                let _ = write!(
                    svg,
                    "<circle cx='{}' cy='{}' r='5' class='timer'/>",
                    lane(*id),
                    y - 4
                );
            }
            Event::Crash(id) => {
                let _ = write!(
                    svg,
                    "<text x='{}' y='{}' class='crash'>✕</text>",
                    lane(*id) - 6,
                    y + 2
                );
            }
            Event::Restart(id) => {
                let _ = write!(
                    svg,
                    "<circle cx='{}' cy='{}' r='6' class='restart'/>",
                    lane(*id),
                    y - 4
                );
            }
            Event::Invoke { client, node } => {
                let _ = write!(
                    svg,
                    "<text x='{}' y='{}' class='client'>c{client}▶</text>",
                    lane(*node) - 34,
                    y
                );
            }
            _ => {}
        }
        svg.push_str("</g>");
    }
    for (from, to, sent, arrived, label, dropped) in &arrows {
        let (x1, y1, x2, y2) = (lane(*from), row(*sent) - 4, lane(*to), row(*arrived) - 4);
        let class = if *dropped { "drop" } else { "msg" };
        let marker = if *dropped { "d" } else { "a" };
        let _ = write!(svg, "<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' class='{class}' marker-end='url(#{marker})'><title>{}</title></line>", esc(label));
    }
    svg.push_str(&labels);
    svg.push_str("</g></svg>");

    let mut details = String::new();
    for (step, w) in worlds.iter().enumerate() {
        let _ = write!(
            details,
            "<div class=step id='s{step}'><h3>after step {step}</h3>{}</div>",
            node_details(w)
        );
    }
    // The replay's own outcome carries the violation's story (votes, restarts, commit steps).
    if let Ok(r) = crate::replay::replay(scenario) {
        if matches!(outcome, Outcome::Violation { .. })
            || matches!(r.outcome, Outcome::Violation { .. })
        {
            outcome = r.outcome;
        }
    }
    let verdict = match &outcome {
        Outcome::Clean => "<p class=ok>clean: no invariant broken</p>".to_string(),
        Outcome::Violation { step, violation } => {
            let mut v = format!(
                "<p class=bad>VIOLATION at step {step}: {}</p><ul>",
                esc(&format!("{}: {}", violation.invariant, violation.summary))
            );
            for d in &violation.details {
                let _ = write!(v, "<li>{}</li>", esc(d));
            }
            v + "</ul>"
        }
        Outcome::Invalid { step, error } => format!(
            "<p class=bad>step {step} is not possible: {}</p>",
            esc(&error.to_string())
        ),
    };
    let notes: String = scenario
        .notes
        .iter()
        .map(|n| format!("<div class=note>{}</div>", esc(n)))
        .collect();
    Ok(format!(
        "<!doctype html><html><head><meta charset=utf-8><title>{title}</title><style>{CSS}</style></head><body>\
         <h1>{title}</h1>{notes}<p class=meta>{nodes} nodes · bugs {bugs} · faults {faults} · {steps} steps</p>{verdict}\
         <div class=wrap><div class=chart>{svg}</div><div class=panel>{details}</div></div>\
         <script>{JS}</script></body></html>",
        title = esc(title),
        nodes = n,
        bugs = esc(&scenario.config.bugs.iter().map(|b| b.name()).collect::<Vec<_>>().join(",")).to_string() + if scenario.config.bugs.is_empty() { "none" } else { "" },
        faults = esc(&scenario.config.faults.names().join(",")),
    ))
}

const CSS: &str = "body{font:14px sans-serif;margin:16px;color:#222}h1{font-size:18px}.meta,.note{color:#555}\
.ok{color:#1e8449;font-weight:bold}.bad{color:#c0392b;font-weight:bold}.wrap{display:flex;gap:16px;align-items:flex-start}\
.chart{flex:none}.panel{position:sticky;top:8px;font:12px monospace;flex:1 0 340px;max-width:560px}.step{display:none}.step.on{display:block}\
.node{border:1px solid #ddd;padding:4px 6px;margin:4px 0;white-space:normal;overflow-wrap:anywhere}.disk{color:#777}\
.lane{stroke:#bbb;stroke-width:2}.lanehead{font:bold 14px sans-serif}.ev{font:12px monospace;white-space:pre}\
.st{font:11px monospace;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.labels{pointer-events:none}\
.hit{fill:transparent}.row:hover .hit,.row.sel .hit{fill:#eef5fb}.msg{stroke:#1f618d;stroke-width:1.5}.drop{stroke:#aaa;stroke-dasharray:4 3}\
.timer{fill:#d68910}.restart{fill:none;stroke:#1e8449;stroke-width:2}.crash{fill:#c0392b;font:bold 16px sans-serif}.client{font:11px monospace;fill:#6c3483}";

const JS: &str = "function show(s){document.querySelectorAll('.step').forEach(e=>e.classList.toggle('on',e.id=='s'+s));\
document.querySelectorAll('.row').forEach(r=>r.classList.toggle('sel',r.dataset.step==s));}\
document.querySelectorAll('.row').forEach(r=>{r.addEventListener('mouseenter',()=>show(r.dataset.step));r.addEventListener('click',()=>show(r.dataset.step));});\
show(document.querySelectorAll('.row').length);";
