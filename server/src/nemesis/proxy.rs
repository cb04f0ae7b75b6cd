//! Link proxies: one TCP proxy per ordered pair of nodes, so the nemesis can cut any link in
//! either direction. A node dials each peer once and sends only its own messages on that
//! connection (see `peer.rs`), so the proxy of link a→b carries exactly a's messages to b:
//! node a's `--peers` names the proxy for b, and the proxy forwards to b's real peer port.
//!
//! A cut link swallows what the sender writes, on its open connections and on new ones,
//! until it is healed: the messages are lost, as in a partition where packets are dropped.
//! Healing closes the connections that were swallowed (a frame may have been cut in two),
//! and the sender reconnects and sends on.
use std::net::SocketAddr;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// One link's proxy, running on a runtime of the caller's.
pub struct LinkProxy {
    /// Where the sending node dials.
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
}

impl LinkProxy {
    /// Listen on a free loopback port and forward to `upstream`, open at first. Spawns the
    /// accept loop on `rt`.
    pub fn start(rt: &tokio::runtime::Handle, upstream: SocketAddr) -> std::io::Result<LinkProxy> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (open, state) = watch::channel(true);
        let _guard = rt.enter();
        let listener = TcpListener::from_std(std_listener)?;
        rt.spawn(accept(listener, upstream, state));
        Ok(LinkProxy { addr, open })
    }

    /// Open or cut the link.
    pub fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }

    /// Whether the link is open.
    pub fn is_open(&self) -> bool {
        *self.open.borrow()
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, state: watch::Receiver<bool>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        tokio::spawn(forward(inbound, upstream, state.clone()));
    }
}

/// Carry one connection until either side closes it or the link is cut; while it is cut,
/// swallow what the sender writes, and close it when the link is healed.
async fn forward(mut inbound: TcpStream, upstream: SocketAddr, mut state: watch::Receiver<bool>) {
    let _ = inbound.set_nodelay(true);
    if *state.borrow() {
        let Ok(mut outbound) = TcpStream::connect(upstream).await else {
            return; // the node is down: the sender sees its connection close and retries
        };
        let _ = outbound.set_nodelay(true);
        tokio::select! {
            _ = copy_bidirectional(&mut inbound, &mut outbound) => return,
            _ = state.wait_for(|open| !*open) => {}
        }
    }
    let mut sink = tokio::io::sink();
    tokio::select! {
        _ = tokio::io::copy(&mut inbound, &mut sink) => {}
        _ = state.wait_for(|open| *open) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// An echo server standing in for a node.
    fn echo() -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    fn round_trip(addr: SocketAddr) -> std::io::Result<Vec<u8>> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(b"ping")?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf)?;
        Ok(buf.to_vec())
    }

    #[test]
    fn an_open_link_forwards_and_a_cut_one_swallows_until_healed() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let proxy = LinkProxy::start(rt.handle(), echo()).unwrap();
        assert_eq!(round_trip(proxy.addr).unwrap(), b"ping");
        let mut held = std::net::TcpStream::connect(proxy.addr).unwrap();
        held.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        held.write_all(b"x").unwrap();
        let mut one = [0u8; 1];
        held.read_exact(&mut one).unwrap();

        proxy.set_open(false);
        assert!(!proxy.is_open());
        // What is sent now is lost: no echo, on the open connection or a new one.
        std::thread::sleep(Duration::from_millis(50));
        held.write_all(b"y").unwrap();
        assert!(held.read(&mut one).is_err(), "an answer through a cut link");
        assert!(round_trip(proxy.addr).is_err());

        // Healed: the swallowed connection is closed, new ones carry messages again.
        proxy.set_open(true);
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(held.read(&mut one), Ok(0) | Err(_)));
        assert_eq!(round_trip(proxy.addr).unwrap(), b"ping");
    }
}
