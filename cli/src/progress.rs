//! Progress of a long command: a spinner line on a terminal, and off a terminal (CI logs, a
//! file) one plain line every few seconds, so a long run is never silent.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a plain progress line is written when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    /// The command's name, at the start of every plain line.
    label: &'static str,
    bar: Option<ProgressBar>,
    started: Instant,
    last_plain: Instant,
}

impl Progress {
    pub fn new(label: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let now = Instant::now();
        Progress {
            label,
            bar,
            started: now,
            last_plain: now,
        }
    }

    /// Show `message` now (on a terminal) or when the last plain line is old enough.
    pub fn update(&mut self, message: impl FnOnce() -> String) {
        match &self.bar {
            Some(bar) => bar.set_message(message()),
            None => {
                if self.last_plain.elapsed() >= PLAIN_EVERY {
                    self.last_plain = Instant::now();
                    eprintln!(
                        "{}: {:.0} s  {}",
                        self.label,
                        self.started.elapsed().as_secs_f64(),
                        message()
                    );
                }
            }
        }
    }

    /// Print a line of its own (above the spinner on a terminal).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{}: {line}", self.label),
        }
    }

    /// Clear the spinner before the command prints its result.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
