//! The HTTP front under attack at the connection level, over real loopback
//! sockets with short time-outs: slow and half-sent requests, connection
//! caps per address and in all, the trusted proxy's client-address header,
//! and a 1 MB body that must get its 413 intact.
//!
//! Clients come from different loopback addresses (127.0.0.0/8 is all
//! loopback on Linux), so the per-address cap can be seen at work. Tests
//! assert what happens (a connection is closed, an answer arrives), never
//! how long it took. Linux only: other systems route only 127.0.0.1 by
//! default.
#![cfg(target_os = "linux")]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akuersi_protocol::wire::paths;
use akuersi_server::http::{self, ClientAddr, HttpConfig, ServerHandle, TrustedProxy};
use axum::http::HeaderName;
use common::*;

/// A TCP connection to `to` from the loopback address `from`.
fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
        socket.connect(to).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Whether the server has closed `s`: reading gives end of file or a reset.
/// Blocks until something happens (or the 30 s socket time-out, which
/// counts as "not closed").
fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an answer (such as 408) before the close
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                ) =>
            {
                return true
            }
            Err(_) => return false,
        }
    }
}

/// Whether `s` is still open right now (nothing to read, no end of file).
fn still_open(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1];
    let open = matches!((&*s).read(&mut buf), Err(e) if e.kind() == ErrorKind::WouldBlock);
    s.set_nonblocking(false).unwrap();
    open
}

/// Send `request` on `s` and read one answer (status and body), assuming
/// `Content-Length` framing, which the service always uses.
fn exchange(s: &mut TcpStream, request: &[u8]) -> (u16, String) {
    s.write_all(request).unwrap();
    read_one_answer(s)
}

fn read_one_answer(s: &mut TcpStream) -> (u16, String) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                let status = head[9..12].parse().unwrap();
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned();
                return (status, body);
            }
        }
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "connection closed before a whole answer: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn health_request(extra: &str) -> Vec<u8> {
    format!("GET /v1/health HTTP/1.1\r\nhost: test\r\n{extra}\r\n").into_bytes()
}

fn serve(config: HttpConfig) -> Fixture {
    Fixture::start_with(config)
}

const SLOW_ADDRS: [Ipv4Addr; 4] = [
    Ipv4Addr::new(127, 0, 0, 2),
    Ipv4Addr::new(127, 0, 0, 3),
    Ipv4Addr::new(127, 0, 0, 4),
    Ipv4Addr::new(127, 0, 0, 5),
];

#[test]
fn slow_clients_are_held_at_the_caps_and_an_honest_client_gets_through() {
    let per_address = 6;
    let fx = serve(HttpConfig {
        header_read_timeout: Duration::from_secs(4),
        read_timeout: Duration::from_secs(5),
        // Few slots: before the fix, slow bodies held them all.
        max_in_flight: 2,
        max_connections: SLOW_ADDRS.len() * per_address + 8,
        max_connections_per_address: per_address,
        ..HttpConfig::ephemeral()
    });
    let addr = fx.server.addr();
    create_identity(&fx.base, "aviaja.k").ok();

    // Two addresses send a head and then one body byte at a time; two send
    // half a head. Each fills its per-address cap.
    let stop = Arc::new(AtomicBool::new(false));
    let mut tricklers = Vec::new();
    let mut half_heads = Vec::new();
    for (i, from) in SLOW_ADDRS.iter().enumerate() {
        for _ in 0..per_address {
            let mut s = connect_from(*from, addr);
            if i < 2 {
                s.write_all(
                    format!(
                        "POST {} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{",
                        paths::CREATE_REQUEST
                    )
                    .as_bytes(),
                )
                .unwrap();
                tricklers.push(s);
            } else {
                s.write_all(b"POST /v1/requests/create HTTP/1.1\r\nhost: te")
                    .unwrap();
                half_heads.push(s);
            }
        }
        // One more from the same address is over its cap: closed at once.
        let mut extra = connect_from(*from, addr);
        assert!(
            closed_by_server(&mut extra),
            "connection over the per-address cap from {from}"
        );
    }
    let trickle = {
        let stop = stop.clone();
        let mut conns: Vec<TcpStream> = tricklers.iter().map(|s| s.try_clone().unwrap()).collect();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                for s in &mut conns {
                    let _ = s.write_all(b" ");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // The honest requester, from its own address: create and poll work.
    let (_, handle) = start_request(&fx.base, "aviaja.k");
    assert_eq!(poll(&fx.base, &handle).ok()["status"], "pending");
    // The slow clients were held all the while.
    for s in half_heads.iter().chain(&tricklers) {
        assert!(
            still_open(s),
            "a slow client was let go before the honest one finished"
        );
    }

    // Each half-sent head is closed by the server; each trickled body gets
    // its 408 and the connection is closed.
    for mut s in half_heads {
        assert!(
            closed_by_server(&mut s),
            "a half-sent head was never closed"
        );
    }
    for mut s in tricklers {
        let (status, body) = read_one_answer(&mut s);
        assert_eq!(status, 408, "{body}");
        assert!(closed_by_server(&mut s));
    }
    stop.store(true, Ordering::SeqCst);
    trickle.join().unwrap();
}

#[test]
fn connections_over_the_per_address_cap_are_refused() {
    let fx = serve(HttpConfig {
        header_read_timeout: Duration::from_secs(60),
        max_connections_per_address: 3,
        ..HttpConfig::ephemeral()
    });
    let addr = fx.server.addr();
    let a = Ipv4Addr::new(127, 0, 0, 7);
    let mut held: Vec<TcpStream> = (0..3).map(|_| connect_from(a, addr)).collect();
    let mut fourth = connect_from(a, addr);
    assert!(closed_by_server(&mut fourth));
    // Another address is served meanwhile…
    let mut other = connect_from(Ipv4Addr::new(127, 0, 0, 8), addr);
    assert_eq!(exchange(&mut other, &health_request("")).0, 200);
    // …and so are the held connections (the header time-out is long).
    assert_eq!(exchange(&mut held[0], &health_request("")).0, 200);
    // Once one of the three closes, the address may connect again.
    drop(held.pop());
    let mut answered = false;
    for _ in 0..100 {
        let mut s = connect_from(a, addr);
        s.write_all(&health_request("")).unwrap();
        let mut buf = [0u8; 12];
        if s.read_exact(&mut buf).is_ok() {
            assert_eq!(&buf[9..12], b"200");
            answered = true;
            break;
        }
        // The server had not yet seen the close: try again.
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        answered,
        "the address stayed refused after a connection closed"
    );
}

#[test]
fn connections_over_the_total_cap_are_refused() {
    let fx = serve(HttpConfig {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 4,
        ..HttpConfig::ephemeral()
    });
    let addr = fx.server.addr();
    let mut held: Vec<TcpStream> = (2..6)
        .map(|i| connect_from(Ipv4Addr::new(127, 0, 0, i), addr))
        .collect();
    let mut fifth = connect_from(Ipv4Addr::new(127, 0, 0, 9), addr);
    assert!(closed_by_server(&mut fifth));
    for s in &mut held {
        assert_eq!(exchange(s, &health_request("")).0, 200);
    }
}

#[test]
fn a_one_megabyte_body_gets_its_413_intact() {
    let fx = serve(HttpConfig::ephemeral());
    let addr = fx.server.addr();
    let body = vec![b'a'; 1_000_000];
    for round in 0..6 {
        let chunked = round % 2 == 1;
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let framing = if chunked {
            "transfer-encoding: chunked".to_owned()
        } else {
            format!("content-length: {}", body.len())
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n{framing}\r\n\r\n",
            paths::CREATE_REQUEST
        );
        s.write_all(head.as_bytes()).unwrap();
        if chunked {
            for part in body.chunks(16 * 1024) {
                s.write_all(format!("{:x}\r\n", part.len()).as_bytes())
                    .unwrap();
                s.write_all(part).unwrap();
                s.write_all(b"\r\n").unwrap();
            }
            s.write_all(b"0\r\n\r\n").unwrap();
        } else {
            s.write_all(&body).unwrap();
        }
        let (status, answer) = read_one_answer(&mut s);
        assert_eq!(status, 413, "round {round}: {answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["code"], "too_large", "round {round}");
    }
}

/// A router that tells a client the address the front took it for.
fn whoami_server(config: HttpConfig) -> ServerHandle {
    let router =
        axum::Router::new().route(
            "/whoami",
            axum::routing::get(
                |axum::Extension(ClientAddr(ip)): axum::Extension<ClientAddr>| async move {
                    ip.to_string()
                },
            ),
        );
    ServerHandle::start_with(router, config).unwrap()
}

fn whoami(s: &mut TcpStream, forwarded: &str) -> String {
    let request =
        format!("GET /whoami HTTP/1.1\r\nhost: test\r\nx-forwarded-for: {forwarded}\r\n\r\n");
    let (status, body) = exchange(s, request.as_bytes());
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn the_client_address_header_is_believed_only_from_the_trusted_proxy() {
    let proxy = Ipv4Addr::new(127, 0, 0, 20);
    let server = whoami_server(HttpConfig {
        trusted_proxy: Some(TrustedProxy {
            addr: IpAddr::V4(proxy),
            header: HeaderName::from_static("x-forwarded-for"),
        }),
        ..HttpConfig::ephemeral()
    });
    let mut via_proxy = connect_from(proxy, server.addr());
    // The proxy's own entry is the last one; earlier ones are the client's word.
    assert_eq!(
        whoami(&mut via_proxy, "10.9.9.9, 198.51.100.7"),
        "198.51.100.7"
    );
    let mut direct = connect_from(Ipv4Addr::new(127, 0, 0, 21), server.addr());
    assert_eq!(whoami(&mut direct, "198.51.100.7"), "127.0.0.21");
}

#[test]
fn behind_the_proxy_the_per_address_cap_counts_each_client() {
    let proxy = Ipv4Addr::new(127, 0, 0, 30);
    let fx = serve(HttpConfig {
        header_read_timeout: Duration::from_secs(60),
        read_timeout: Duration::from_secs(60),
        max_connections_per_address: 1,
        trusted_proxy: Some(TrustedProxy {
            addr: IpAddr::V4(proxy),
            header: HeaderName::from_static("x-forwarded-for"),
        }),
        ..HttpConfig::ephemeral()
    });
    let addr = fx.server.addr();
    // Client .7 has a message in progress (its body is not all there).
    let mut busy = connect_from(proxy, addr);
    busy.write_all(
        format!(
            "POST {} HTTP/1.1\r\nhost: test\r\nx-forwarded-for: 198.51.100.7\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
            paths::CREATE_REQUEST
        )
        .as_bytes(),
    )
    .unwrap();
    // A second message from .7, on another of the proxy's connections (the
    // proxy itself is not capped per address), is refused once the first
    // has been taken in.
    let mut refused = None;
    for _ in 0..100 {
        let mut s = connect_from(proxy, addr);
        let (status, body) = exchange(&mut s, &health_request("x-forwarded-for: 198.51.100.7\r\n"));
        if status == 429 {
            refused = Some(body);
            break;
        }
        assert_eq!(status, 200, "{body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let body = refused.expect("the second message from one client was never refused");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Another client behind the proxy is served.
    let mut s = connect_from(proxy, addr);
    assert_eq!(
        exchange(&mut s, &health_request("x-forwarded-for: 198.51.100.8\r\n")).0,
        200
    );
    // A direct peer that claims to be .7 is its own address: served.
    let mut d = connect_from(Ipv4Addr::new(127, 0, 0, 31), addr);
    assert_eq!(
        exchange(&mut d, &health_request("x-forwarded-for: 198.51.100.7\r\n")).0,
        200
    );
    // …and capped as itself: a second connection from it is refused.
    let mut d2 = connect_from(Ipv4Addr::new(127, 0, 0, 31), addr);
    assert!(closed_by_server(&mut d2));
    drop(busy);
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let fx = serve(HttpConfig {
        idle_timeout: Duration::from_millis(300),
        // Far longer, so only the idle time-out can close it.
        header_read_timeout: Duration::from_secs(120),
        ..HttpConfig::ephemeral()
    });
    let mut s = TcpStream::connect(fx.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(exchange(&mut s, &health_request("")).0, 200);
    assert!(closed_by_server(&mut s));
}

#[test]
fn an_oversized_request_head_is_refused() {
    let fx = serve(HttpConfig::ephemeral());
    let mut s = TcpStream::connect(fx.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let big = "a".repeat(http::MAX_HEAD_BYTES + 1024);
    let _ = s.write_all(health_request(&format!("x-filler: {big}\r\n")).as_slice());
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}
