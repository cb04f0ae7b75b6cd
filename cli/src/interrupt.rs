//! Ctrl-C for long commands: the first one raises a flag that the running search polls, so it
//! stops and prints what it found so far; a second one ends the process at once.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit code of a process ended by a second Ctrl-C (128 + SIGINT, as shells report it).
const HARD_EXIT: i32 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The flag the first Ctrl-C raises (the handler is installed on the first call). If the
/// handler cannot be installed, the flag never rises and Ctrl-C ends the process the usual
/// way (a warning says so).
pub fn flag() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let raised = Arc::clone(&flag);
        let installed = ctrlc::set_handler(move || {
            if raised.swap(true, Ordering::SeqCst) {
                std::process::exit(HARD_EXIT);
            }
            eprintln!("\ninterrupted: stopping and printing what was found so far (Ctrl-C again to quit at once)");
        });
        if let Err(e) = installed {
            eprintln!("warning: cannot catch Ctrl-C ({e}): it will end the run without a report");
        }
        flag
    })
    .clone()
}
