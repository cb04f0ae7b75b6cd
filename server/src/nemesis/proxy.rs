//! Link proxies: one TCP proxy per ordered pair of nodes, so the nemesis can cut any link in
//! either direction. A node dials each peer once and sends only its own messages on that
//! connection (see `peer.rs`), so the proxy of link a→b carries exactly a's messages to b:
//! node a's `--peers` names the proxy for b, and the proxy forwards to b's real peer port.
//!
//! A cut link drops its open connections and every new one (the dialing node sees a reset
//! and retries with backoff), which loses the messages in flight, as a partition does.
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
        if !*state.borrow() {
            continue; // cut: dropped at once
        }
        tokio::spawn(forward(inbound, upstream, state.clone()));
    }
}

/// Carry one connection until either side closes it or the link is cut.
async fn forward(mut inbound: TcpStream, upstream: SocketAddr, mut state: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return; // the node is down: the dialer sees its connection close and retries
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = state.wait_for(|open| !*open) => {}
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
    fn an_open_link_forwards_and_a_cut_one_drops_old_and_new_connections() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let proxy = LinkProxy::start(rt.handle(), echo()).unwrap();
        assert_eq!(round_trip(proxy.addr).unwrap(), b"ping");
        let mut held = std::net::TcpStream::connect(proxy.addr).unwrap();
        held.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        held.write_all(b"x").unwrap();
        let mut one = [0u8; 1];
        held.read_exact(&mut one).unwrap();

        proxy.set_open(false);
        assert!(!proxy.is_open());
        // The connection that was open is closed (end of stream or reset), new ones too.
        let _ = held.write_all(b"y");
        assert!(matches!(held.read(&mut one), Ok(0) | Err(_)));
        assert!(round_trip(proxy.addr).is_err());

        proxy.set_open(true);
        assert_eq!(round_trip(proxy.addr).unwrap(), b"ping");
    }
}
