//! The peer port refuses garbage and impostors connection by connection, and keeps serving.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use verraft_core::Message;
use verraft_server::core_loop::Input;
use verraft_server::peer;
use verraft_server::wire::{encode_frame, PeerFrame, MAX_FRAME};

fn hello(from: u8, to: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let frame = PeerFrame::Hello {
        from,
        to,
        client_addr: "127.0.0.1:1".into(),
    };
    encode_frame(&frame, &mut out).unwrap();
    out
}

fn vote() -> Vec<u8> {
    let mut out = Vec::new();
    let msg = Message::RequestVote {
        term: 1,
        last_log_index: 0,
        last_log_term: 0,
        transfer: false,
    };
    encode_frame(&PeerFrame::Msg(msg), &mut out).unwrap();
    out
}

/// Send `bytes` and tell whether the node closed the connection (rather than waiting).
async fn closed_after(addr: SocketAddr, bytes: &[u8]) -> bool {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = [0u8; 16];
    matches!(
        tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_impostors_are_cut_off_and_peers_still_served() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peers: BTreeMap<u8, SocketAddr> = (1..=3).map(|id| (id, addr)).collect();
    let (tx, mut rx) = mpsc::channel(16);
    tokio::spawn(peer::accept(listener, 1, peers, tx));

    // An id outside the cluster, this node's own id, a hello meant for another node.
    assert!(closed_after(addr, &hello(9, 1)).await);
    assert!(closed_after(addr, &hello(1, 1)).await);
    assert!(closed_after(addr, &hello(2, 3)).await);
    // A message before the hello, an oversized frame, an unknown version, junk.
    assert!(closed_after(addr, &vote()).await);
    assert!(closed_after(addr, &((MAX_FRAME + 1) as u32).to_le_bytes()).await);
    let mut v = hello(2, 1);
    v[4] = 7;
    assert!(closed_after(addr, &v).await);
    assert!(closed_after(addr, &[5, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).await);
    // None of them reached the node; a real peer's message does.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&[hello(2, 1), vote()].concat()).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let input = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        got.push(match input {
            Input::PeerClientAddr { id, .. } => format!("addr n{id}"),
            Input::Peer { from, .. } => format!("msg n{from}"),
            _ => "other".into(),
        });
    }
    assert_eq!(got, vec!["addr n2", "msg n2"]);
}
