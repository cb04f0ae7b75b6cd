//! Renders a report in headless Chromium and checks a screenshot comes out. Skipped, with
//! a printed reason, when no Chromium is installed.
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use verraft_checker::models::{RegisterInput as I, RegisterModel, RegisterOutput as O};
use verraft_checker::{check, html, CheckOptions, History, Operation};

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipping report_renders_in_headless_chromium: no chromium found");
        return;
    };
    let op = |client, input, output, call, ret| Operation {
        client,
        input,
        output,
        call,
        ret,
    };
    let h = History::new(vec![
        op(0, I::Write(1), Some(O::Write), 0, Some(3)),
        op(1, I::Cas { from: 1, to: 2 }, Some(O::Cas(true)), 1, Some(5)),
        op(2, I::Read, Some(O::Read(Some(1))), 6, Some(8)),
        op(3, I::Write(4), None, 2, None),
    ])
    .unwrap();
    let result = check(&RegisterModel, &h, &CheckOptions::default());
    let dir = std::env::temp_dir().join(format!("verraft-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let png = dir.join("shot.png");
    std::fs::write(
        &page,
        html::render_with(&RegisterModel, &h, &result, "screenshot test"),
    )
    .unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,800",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    // A blank page compresses to a few hundred bytes; the report draws lanes, bars and text.
    assert!(size > 5_000, "screenshot of {size} bytes");
}
