//! Slow clients for `akuersi-sim load --slow-clients N`: the stalling attack
//! of issue 13, held against the service while the honest load runs, so its
//! latency can be read under attack.
//!
//! Half of the connections send a request head with a `Content-Length` and
//! then one body byte per second; the other half send half a request head
//! and then one more head byte per second. They come from loopback source
//! addresses other than the honest clients' `127.0.0.1` (`127.0.0.2` and
//! up, as many connections each as the service's per-address cap allows),
//! and every connection the service closes is opened again at once,
//! so the service holds as many as its caps and time-outs allow.
//! Plain TCP only: over TLS a slow client has to finish the handshake
//! first, which the same header time-out bounds.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the slow clients saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlowReport {
    /// Connections opened (the first ones and every reconnect).
    pub opened: u64,
    /// Connections the service closed (a time-out, an answer with close, or
    /// a refusal at a cap).
    pub closed_by_service: u64,
}

/// Slow clients running on a background thread until [`SlowClients::stop`].
pub struct SlowClients {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<SlowReport>,
}

impl SlowClients {
    /// Start `n` slow connections to `target`, `per_address` from each
    /// source address (the service's per-address cap), on a background
    /// thread.
    pub fn start(target: SocketAddr, n: usize, per_address: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let per_address = per_address.max(1);
        let thread = std::thread::spawn(move || drive(target, n, per_address, &flag));
        Self { stop, thread }
    }

    /// Stop and say what happened.
    pub fn stop(self) -> SlowReport {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_default()
    }
}

struct Slow {
    from: Ipv4Addr,
    half_head: bool,
    stream: Option<TcpStream>,
}

fn source(i: usize, per_address: usize) -> Ipv4Addr {
    let n = 2 + u32::try_from(i / per_address).unwrap_or(u32::MAX - 2);
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + n)
}

fn open(from: Ipv4Addr, target: SocketAddr, half_head: bool) -> Option<TcpStream> {
    // std cannot bind before connecting: an IPv4 target is reached from
    // `from` through a tokio socket.
    let stream = match target {
        SocketAddr::V4(_) => bind_connect(from, target).ok()?,
        SocketAddr::V6(_) => TcpStream::connect_timeout(&target, Duration::from_secs(2)).ok()?,
    };
    stream.set_nonblocking(true).ok()?;
    let head: &[u8] = if half_head {
        b"POST /v1/requests/create HTTP/1.1\r\nhost: load\r\ncontent-"
    } else {
        b"POST /v1/requests/create HTTP/1.1\r\nhost: load\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{"
    };
    (&stream).write_all(head).ok()?;
    Some(stream)
}

fn bind_connect(from: Ipv4Addr, target: SocketAddr) -> std::io::Result<TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
        socket.connect(target).await
    })?;
    stream.into_std()
}

fn drive(target: SocketAddr, n: usize, per_address: usize, stop: &AtomicBool) -> SlowReport {
    let mut report = SlowReport::default();
    let mut conns: Vec<Slow> = (0..n)
        .map(|i| Slow {
            from: source(i, per_address),
            half_head: i % 2 == 1,
            stream: None,
        })
        .collect();
    let mut next_byte = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let tick = Instant::now() >= next_byte;
        for c in &mut conns {
            let alive = match &c.stream {
                None => false,
                Some(s) => {
                    // A closed connection reads as end of file or an error;
                    // an open one has nothing to read.
                    let mut buf = [0u8; 512];
                    let readable = match std::io::Read::read(&mut &*s, &mut buf) {
                        Ok(0) => false,
                        Ok(_) => true, // an answer (408): the close follows
                        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                    };
                    readable && (!tick || (&*s).write_all(b"x").is_ok())
                }
            };
            if !alive {
                if c.stream.take().is_some() {
                    report.closed_by_service += 1;
                }
                c.stream = open(c.from, target, c.half_head);
                if c.stream.is_some() {
                    report.opened += 1;
                }
            }
        }
        if tick {
            next_byte = Instant::now() + Duration::from_secs(1);
        }
        // A load driver may sleep: this paces the attack and times nothing.
        std::thread::sleep(Duration::from_millis(20));
    }
    report
}
