//! `verraft node` processes on this machine: how a local cluster (`verraft cluster start`,
//! the nemesis, the benchmark) runs each node — its command line, its log file, its pid
//! file — and how it signals and stops them.
use std::fs::{self, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use verraft_core::NodeId;

/// How to start one node.
#[derive(Debug, Clone)]
pub struct NodeCommand {
    /// The `verraft` binary.
    pub exe: PathBuf,
    /// The node's id.
    pub id: NodeId,
    /// Its `--peers` argument: `1=host:port,...`, itself included.
    pub peers: String,
    /// Its client port.
    pub client_port: u16,
    /// Its data directory.
    pub data: PathBuf,
    /// Where its standard output and error go (appended to).
    pub log: PathBuf,
    /// Where its pid is written, if anywhere.
    pub pid_file: Option<PathBuf>,
    /// More arguments of `verraft node` (`--bug`, `--clock-rate`).
    pub extra: Vec<String>,
    /// Kill the node when the thread that started it ends (Linux's parent-death signal):
    /// for clusters that must not outlive the command that made them, even when it is
    /// killed. Start such nodes from a thread that lives as long as they should.
    pub die_with_parent: bool,
}

/// Start the node in a process group of its own: a Ctrl-C in the terminal reaches the
/// command that started it alone, which then stops the nodes itself, in order.
pub fn spawn(cmd: &NodeCommand) -> Result<Child, String> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&cmd.log)
        .map_err(|e| format!("{}: {e}", cmd.log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(&cmd.exe);
    command
        .arg("node")
        .args(["--id", &cmd.id.to_string()])
        .args(["--peers", &cmd.peers])
        .args(["--client-port", &cmd.client_port.to_string()])
        .arg("--data")
        .arg(&cmd.data)
        .args(&cmd.extra)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    if cmd.die_with_parent {
        // SAFETY: prctl(2) is async-signal-safe, as code between fork and exec must be.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cmd.exe.display()))?;
    if let Some(pid) = &cmd.pid_file {
        fs::write(pid, child.id().to_string()).map_err(|e| format!("{}: {e}", pid.display()))?;
    }
    Ok(child)
}

/// Send `sig` to a child not yet reaped.
pub fn signal(child: &Child, sig: libc::c_int) -> Result<(), String> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    // SAFETY: kill(2) with the pid of a child this process holds and has not reaped, so the
    // pid cannot have been reused by another process.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

/// SIGTERM every node, wait for them (a node stops at once: all it acknowledged is on disk),
/// and SIGKILL any still running after five seconds. A stopped (SIGSTOP) node is woken
/// first, or it could not take the SIGTERM.
pub fn stop_all(children: &mut [(NodeId, Option<Child>)]) {
    for child in children.iter().filter_map(|(_, c)| c.as_ref()) {
        let _ = signal(child, libc::SIGTERM);
        let _ = signal(child, libc::SIGCONT);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for (id, slot) in children.iter_mut() {
        let Some(child) = slot else { continue };
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    eprintln!("n{id} did not stop in time: killing it");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        *slot = None;
    }
}
