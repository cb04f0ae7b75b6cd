//! verraft's own client (blocking, for the command line, the nemesis and tests): one
//! session, numbered requests, redirects followed, retries across leader changes with the
//! same number, so each request is applied at most once however often it is sent.
use crate::resp::{parse_reply, Reply};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use verraft_kv::ClientId;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No node answered in time; the last thing that went wrong.
    #[error("no answer within {0:?}; last error: {1}")]
    Timeout(Duration, String),
}

/// A session with a cluster.
pub struct Client {
    addrs: Vec<String>,
    next: usize,
    /// Open connections by address: a client that starts every request at its home node
    /// and is redirected to the leader keeps both.
    conns: HashMap<String, TcpStream>,
    client: ClientId,
    seq: u64,
    timeout: Duration,
    /// Where every request starts (an index into `addrs`), if anywhere: a client bound to
    /// one node, as Jepsen's are, sees what that node answers even while it wrongly
    /// believes it leads. Without one, requests go where the last one was answered.
    home: Option<usize>,
    /// Longest wait for one node's answer before the request is tried elsewhere.
    attempt_timeout: Duration,
}

/// Send `args` as one RESP command on `stream` and read one reply.
pub fn call(stream: &mut TcpStream, args: &[&[u8]]) -> std::io::Result<Reply> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    stream.write_all(&out)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match parse_reply(&buf) {
            Ok(Some((reply, _))) => return Ok(reply),
            Ok(None) => {}
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

impl Client {
    /// A new session (random client id) with the nodes at `addrs` (client ports).
    pub fn new(addrs: Vec<String>, timeout: Duration) -> Client {
        Client {
            addrs,
            next: 0,
            conns: HashMap::new(),
            client: crate::client_port::random_client_id(),
            seq: 0,
            timeout,
            home: None,
            attempt_timeout: Duration::from_secs(6),
        }
    }

    /// Start every request at `addrs[home]` (following redirects from there), and give a
    /// node `attempt` to answer before trying the next one.
    pub fn bound(mut self, home: usize, attempt: Duration) -> Client {
        self.home = Some(home % self.addrs.len().max(1));
        self.attempt_timeout = attempt;
        self
    }

    /// Run one command (`["SET", "x", "1"]`) in this session and return its reply. Errors
    /// that mean "ask elsewhere or later" are retried with the same sequence number.
    pub fn request(&mut self, args: &[&str]) -> Result<Reply, ClientError> {
        self.seq += 1;
        let (client, seq) = (self.client.to_string(), self.seq.to_string());
        let mut full: Vec<&[u8]> = vec![b"VSESSION", client.as_bytes(), seq.as_bytes()];
        full.extend(args.iter().map(|a| a.as_bytes()));
        let deadline = Instant::now() + self.timeout;
        let mut last = String::from("no node tried");
        if let Some(home) = self.home {
            self.next = home;
        }
        while Instant::now() < deadline {
            let wait = self
                .attempt_timeout
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(1));
            let (addr, stream) = match self.connection() {
                Ok(c) => c,
                Err(e) => {
                    last = e;
                    self.rotate();
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            let _ = stream.set_read_timeout(Some(wait));
            match call(stream, &full) {
                Ok(Reply::Error(e)) if e.starts_with("MOVED ") => {
                    let to = e.rsplit(' ').next().unwrap_or_default().to_string();
                    last = format!("{addr}: {e}");
                    if !self.addrs.contains(&to) {
                        self.addrs.push(to.clone());
                    }
                    self.next = self.addrs.iter().position(|a| *a == to).unwrap_or(0);
                }
                Ok(Reply::Error(e)) if e.starts_with("TRYAGAIN") => {
                    last = format!("{addr}: {e}");
                    self.rotate();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Ok(reply) => return Ok(reply),
                Err(e) => {
                    // The connection may still carry the answer to come: never reuse it.
                    last = format!("{addr}: {e}");
                    self.conns.remove(&addr);
                    self.rotate();
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        Err(ClientError::Timeout(self.timeout, last))
    }

    fn rotate(&mut self) {
        self.next = (self.next + 1) % self.addrs.len().max(1);
    }

    fn connection(&mut self) -> Result<(String, &mut TcpStream), String> {
        let addr = self
            .addrs
            .get(self.next)
            .cloned()
            .ok_or_else(|| "no addresses".to_string())?;
        if !self.conns.contains_key(&addr) {
            let sock = addr
                .parse()
                .map_err(|e| format!("{addr}: {e}"))
                .and_then(|sa| {
                    TcpStream::connect_timeout(&sa, Duration::from_secs(1))
                        .map_err(|e| format!("{addr}: {e}"))
                })?;
            let _ = sock.set_nodelay(true);
            self.conns.insert(addr.clone(), sock);
        }
        match self.conns.get_mut(&addr) {
            Some(s) => Ok((addr, s)),
            None => Err("not connected".into()),
        }
    }
}

/// A node's `INFO` text (`field:value` lines), asked on a connection of its own.
pub fn info(addr: &str, timeout: Duration) -> Result<String, String> {
    let sa = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let mut s = TcpStream::connect_timeout(&sa, timeout).map_err(|e| e.kind().to_string())?;
    let _ = s.set_read_timeout(Some(timeout));
    match call(&mut s, &[b"INFO"]).map_err(|e| e.to_string())? {
        Reply::Bulk(Some(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
        other => Err(format!("unexpected reply {other}")),
    }
}

/// One field of an `INFO` text.
pub fn info_field(info: &str, key: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::to_string)
    })
}
