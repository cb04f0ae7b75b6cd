//! A self-contained HTML report (inline CSS, SVG and a few lines of script; no network).
//!
//! Per part: one lane per client, each operation a bar from invocation to return (unknown
//! outcomes run to the right edge, dashed), the linearization points of the witness or of
//! the longest prefix joined in order, the operations that could not be placed next in red,
//! and on hover the operation with the model state before and after it.
use crate::check::{CheckResult, Outcome, PartResult, Verdict};
use crate::explain::BlockReason;
use crate::history::{History, Operation};
use crate::model::{describe, Model};
use crate::models::{KvModel, RegisterModel};
use crate::parse::ParsedHistory;
use crate::report::format_duration;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

const LANE: f64 = 24.0;
const LEFT: f64 = 90.0;
const TOP: f64 = 24.0;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report for a parsed history checked with its built-in model.
pub fn render(history: &ParsedHistory, result: &CheckResult, title: &str) -> String {
    match history {
        ParsedHistory::Register(h) => render_with(&RegisterModel, h, result, title),
        ParsedHistory::Kv(h) => render_with(&KvModel, h, result, title),
    }
}

/// Renders the report for any model.
pub fn render_with<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    title: &str,
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"summary {}\">{}: {} operations, {} part{}, checked in {}</p>{LEGEND}",
        escape(title),
        verdict_class(result.verdict),
        result.verdict,
        history.len(),
        result.parts.len(),
        if result.parts.len() == 1 { "" } else { "s" },
        format_duration(result.elapsed),
    );
    for part in &result.parts {
        body.push_str(&render_part(model, history, part));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head>\
         <body>{body}<div id=\"tip\"></div><script>{SCRIPT}</script></body></html>\n",
        escape(title)
    )
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "ok",
        Verdict::NotLinearizable => "bad",
        Verdict::Unknown => "unknown",
    }
}

/// How an operation is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// In the witness or the longest prefix.
    Linearized,
    /// Could not be placed right after the longest prefix.
    Blocked,
    Other,
}

fn render_part<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    part: &PartResult,
) -> String {
    let all = history.ops();
    let order = part.outcome.order();
    // States before and after each linearized operation, replaying the order.
    let mut position: HashMap<usize, (usize, String, String)> = HashMap::new();
    let mut state = model.init();
    for (k, &i) in order.iter().enumerate() {
        let op = &all[i];
        let Some(next) = model.step(&state, &op.input, op.output.as_ref()) else {
            break;
        };
        position.insert(
            i,
            (
                k + 1,
                model.describe_state(&state),
                model.describe_state(&next),
            ),
        );
        state = next;
    }
    let mut role: HashMap<usize, Role> = order.iter().map(|&i| (i, Role::Linearized)).collect();
    let mut notes: HashMap<usize, String> = HashMap::new();
    let mut text = String::new();
    if let Outcome::NotLinearizable { explanation } = &part.outcome {
        for b in explanation
            .blocked
            .iter()
            .chain(explanation.deadline.iter())
        {
            role.insert(b.op, Role::Blocked);
            let why = match &b.reason {
                BlockReason::Illegal => {
                    format!("cannot go next: illegal in state {}", explanation.state)
                }
                BlockReason::DeadEnd { state_after } => format!(
                    "cannot go next: fits (giving {state_after}) but no linearization continues"
                ),
            };
            notes.insert(b.op, why);
        }
        if let Some(c) = &explanation.conflict {
            for &op in &c.ops {
                role.insert(op, Role::Blocked);
                notes.insert(op, "named in the conflict below".to_string());
            }
        }
        text = explanation.to_string();
    } else if let Outcome::Unknown { reason, .. } = &part.outcome {
        text = format!("stopped: {reason}; the points shown are the longest prefix found\n");
    }

    // Compress time: only the order of call and return times matters.
    let mut times: Vec<u64> = part
        .ops
        .iter()
        .flat_map(|&i| [Some(all[i].call), all[i].ret])
        .flatten()
        .collect();
    times.sort_unstable();
    times.dedup();
    let slots = times.len().max(1) as f64 + 1.0;
    let step = (1200.0 / slots).clamp(4.0, 40.0);
    let x_of = |t: u64| LEFT + step * (times.partition_point(|&u| u < t) as f64 + 0.5);
    let right = LEFT + step * slots;
    let mut clients: BTreeMap<u64, usize> = BTreeMap::new();
    for &i in &part.ops {
        clients.insert(all[i].client, 0);
    }
    for (lane, v) in clients.values_mut().enumerate() {
        *v = lane;
    }
    let height = TOP + LANE * clients.len() as f64 + 10.0;
    let lane_y = |c: u64| TOP + LANE * clients[&c] as f64;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg width=\"{:.0}\" height=\"{height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">",
        right + 20.0
    );
    for (&c, &lane) in &clients {
        let y = TOP + LANE * lane as f64;
        let _ = write!(
            svg,
            "<line class=\"lane\" x1=\"{LEFT}\" x2=\"{right:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"client\" x=\"{:.0}\" y=\"{:.1}\">client {c}</text>",
            y + LANE / 2.0,
            y + LANE / 2.0,
            LEFT - 8.0,
            y + LANE / 2.0 + 4.0
        );
    }
    for &i in &part.ops {
        let op = &all[i];
        let x1 = x_of(op.call);
        let x2 = match op.effective_ret() {
            Some(r) => x_of(r),
            None => right,
        };
        let r = role.get(&i).copied().unwrap_or(Role::Other);
        let class = match (r, op.output.is_some()) {
            (Role::Linearized, true) => "op lin",
            (Role::Linearized, false) => "op lin unknown",
            (Role::Blocked, _) => "op blocked",
            (Role::Other, true) => "op",
            (Role::Other, false) => "op unknown",
        };
        let tip = tooltip(model, i, op, position.get(&i), notes.get(&i));
        let _ = write!(
            svg,
            "<g class=\"{class}\" data-tip=\"{}\"><title>{}</title><rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\"/>",
            escape(&tip),
            escape(&tip),
            lane_y(op.client) + 4.0,
            (x2 - x1).max(3.0),
            LANE - 8.0
        );
        if x2 - x1 > 60.0 {
            let _ = write!(
                svg,
                "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x1 + 4.0,
                lane_y(op.client) + LANE / 2.0 + 4.0,
                escape(&clip(
                    &describe(model, op),
                    ((x2 - x1 - 8.0) / 6.5) as usize
                ))
            );
        }
        svg.push_str("</g>");
    }
    // Linearization points: each as early as its invocation and the previous point allow,
    // which stays within the operation's interval for any valid order.
    let mut points = Vec::with_capacity(order.len());
    let mut last = 0.0f64;
    for &i in order {
        let op = &all[i];
        let lo = x_of(op.call);
        let hi = op.effective_ret().map_or(right, x_of);
        let x = lo.max(last + 0.5).min(hi);
        last = x;
        points.push((x, lane_y(op.client) + LANE / 2.0));
    }
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"order\" points=\"{}\"/>",
            path.join(" ")
        );
    }
    for (k, (x, y)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"><title>linearization point {}</title></circle>",
            k + 1
        );
    }
    svg.push_str("</svg>");

    let open = if part.outcome.verdict() == Verdict::Linearizable {
        ""
    } else {
        " open"
    };
    format!(
        "<details class=\"part\"{open}><summary><span class=\"{}\">{}</span> {}: {} operations, {} linearized in order, {}</summary>\
         {}<div class=\"timeline\">{svg}</div></details>",
        verdict_class(part.outcome.verdict()),
        part.outcome.verdict(),
        escape(&part.label),
        part.ops.len(),
        order.len(),
        format_duration(part.elapsed),
        if text.is_empty() { String::new() } else { format!("<pre class=\"why\">{}</pre>", escape(&text)) },
    )
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn tooltip<M: Model>(
    model: &M,
    i: usize,
    op: &Operation<M::Input, M::Output>,
    position: Option<&(usize, String, String)>,
    note: Option<&String>,
) -> String {
    let mut t = crate::explain::op_label(model, i, op);
    match position {
        Some((k, before, after)) => {
            let _ = write!(
                t,
                "\nlinearized #{k}\nstate before: {before}\nstate after: {after}"
            );
        }
        None if op.output.is_none() => {
            t.push_str("\noutcome unknown: not linearized (never took effect, or after everything)")
        }
        None => t.push_str("\nnot linearized"),
    }
    if let Some(n) = note {
        t.push('\n');
        t.push_str(n);
    }
    t
}

const LEGEND: &str = "<p class=\"legend\"><span class=\"sw lin\"></span> linearized (numbered dots: linearization points in order) \
<span class=\"sw blocked\"></span> could not be placed next <span class=\"sw other\"></span> not reached \
<span class=\"sw unknown\"></span> outcome unknown. Hover an operation for its states.</p>";

const CSS: &str = "body{font:14px system-ui,sans-serif;margin:16px;color:#222}h1{font-size:20px;margin:0 0 6px}\
.summary{font-weight:600}.ok{color:#1a7f37}.bad{color:#c62828}.unknown{color:#9a6700}\
.legend{color:#555}.sw{display:inline-block;width:22px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}\
.sw.lin{background:#8fd19e}.sw.blocked{background:#ef9a9a;border:1px solid #c62828}.sw.other{background:#d6d6d6}.sw.unknown{background:#fff;border:1px dashed #777}\
details.part{border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:6px 10px}summary{cursor:pointer;font-weight:600}\
pre.why{background:#fff5f5;border-left:3px solid #c62828;padding:6px 10px;white-space:pre-wrap;font-size:12px}\
.timeline{overflow-x:auto}.lane{stroke:#eee}.client{font-size:11px;text-anchor:end;fill:#555}\
.op rect{fill:#d6d6d6;stroke:#999}.op.lin rect{fill:#8fd19e;stroke:#2e7d32}.op.blocked rect{fill:#ef9a9a;stroke:#c62828;stroke-width:2}\
.op.unknown rect{fill-opacity:.35;stroke-dasharray:4 3}.op:hover rect{stroke:#000;stroke-width:2}\
.label{font-size:10px;pointer-events:none;fill:#222}.order{fill:none;stroke:#1565c0;stroke-opacity:.45;stroke-width:1.2}\
.point{fill:#1565c0}#tip{position:fixed;display:none;background:#222;color:#fff;padding:6px 8px;border-radius:4px;\
font:12px ui-monospace,monospace;white-space:pre-wrap;max-width:560px;pointer-events:none;z-index:9}";

const SCRIPT: &str = "const tip=document.getElementById('tip');\
document.querySelectorAll('g.op').forEach(g=>{g.addEventListener('mousemove',e=>{tip.textContent=g.dataset.tip;\
tip.style.display='block';tip.style.left=(e.clientX+14)+'px';tip.style.top=(e.clientY+14)+'px';});\
g.addEventListener('mouseleave',()=>{tip.style.display='none';});});";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check, CheckOptions};
    use crate::models::{RegisterInput as I, RegisterOutput as O};

    #[test]
    fn report_marks_the_failing_operation_and_escapes_text() {
        let op = |client, input, output, call, ret| Operation {
            client,
            input,
            output,
            call,
            ret,
        };
        let h = History::new(vec![
            op(0, I::Write(1), Some(O::Write), 0, Some(1)),
            op(1, I::Read, Some(O::Read(None)), 2, Some(3)),
            op(2, I::Cas { from: 1, to: 2 }, None, 0, None),
        ])
        .unwrap();
        let r = check(&RegisterModel, &h, &CheckOptions::default());
        let page = render_with(&RegisterModel, &h, &r, "<stale read>");
        assert!(page.contains("&lt;stale read&gt;"));
        assert!(page.contains("class=\"op blocked\""));
        assert!(page.contains("state before: nil"));
        // Self-contained: nothing is fetched.
        assert!(!page.contains("src=") && !page.contains("href=") && !page.contains("@import"));
    }
}
