//! A loopback TCP proxy the fault tests put between the app and a service (PostgreSQL,
//! Redis, S3, WeChat), so a test can take the service away without touching the shared
//! server: refuse new connections (the port is closed, as when the server is down),
//! reset every open connection (as when it restarts), slow every chunk down, and
//! resume.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

#[derive(Default)]
struct Shared {
    /// Milliseconds each chunk waits before it is passed on.
    delay_ms: AtomicU64,
    /// The tasks piping open connections, aborted on reset.
    conns: Mutex<Vec<AbortHandle>>,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop while the port is open; `None` while refusing.
    listener: Mutex<Option<JoinHandle<()>>>,
}

fn bind(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().expect("socket");
    // The same port again after `refuse`, without waiting out TIME_WAIT.
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).unwrap_or_else(|e| panic!("fault proxy cannot bind {addr}: {e}"));
    socket.listen(128).expect("listen")
}

impl FaultProxy {
    /// A proxy on a free loopback port forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = bind("127.0.0.1:0".parse().unwrap());
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(accept_loop(listener, upstream, shared.clone()));
        Self { addr, upstream, shared, listener: Mutex::new(Some(task)) }
    }

    /// `url` (`scheme://[user[:pass]@]host:port/...`) with its host and port replaced by
    /// the proxy's; the upstream is what `url` named.
    pub async fn for_url(url: &str) -> (Self, String) {
        let mut u = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let host = u.host_str().unwrap().to_string();
        let port = u.port_or_known_default().unwrap();
        let upstream = tokio::net::lookup_host((host.as_str(), port)).await.unwrap().next().unwrap();
        let proxy = Self::start(upstream).await;
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(proxy.addr.port())).unwrap();
        (proxy, u.to_string())
    }

    /// New connections are refused (the port closes); open ones carry on.
    pub fn refuse(&self) {
        if let Some(task) = self.listener.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Every open connection is reset (RST), as by a server that went away.
    pub fn reset_all(&self) {
        for conn in self.shared.conns.lock().unwrap().drain(..) {
            conn.abort();
        }
    }

    /// The service is down: open connections reset, new ones refused.
    pub fn stop(&self) {
        self.refuse();
        self.reset_all();
    }

    /// Each chunk in either direction waits this long (zero: none).
    pub fn delay(&self, by: Duration) {
        self.shared.delay_ms.store(u64::try_from(by.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Forwards again, on the same port, without delay.
    pub async fn resume(&self) {
        self.delay(Duration::ZERO);
        let mut listener = self.listener.lock().unwrap();
        if listener.is_none() {
            // The aborted accept loop drops its socket on its own task: wait for the port.
            let mut bound = None;
            for _ in 0..50 {
                let socket = TcpSocket::new_v4().expect("socket");
                socket.set_reuseaddr(true).expect("SO_REUSEADDR");
                if socket.bind(self.addr).is_ok() {
                    bound = Some(socket.listen(128).expect("listen"));
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let l = bound.unwrap_or_else(|| panic!("fault proxy cannot bind {} again", self.addr));
            *listener = Some(tokio::spawn(accept_loop(l, self.upstream, self.shared.clone())));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    while let Ok((client, _)) = listener.accept().await {
        let shared2 = shared.clone();
        let task = tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            // Closing either socket (an abort included) sends RST, not FIN: a reset is
            // what a crashed or restarted server looks like to its clients.
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::select! {
                () = pipe(cr, sw, shared2.clone()) => {}
                () = pipe(sr, cw, shared2) => {}
            }
        });
        let mut conns = shared.conns.lock().unwrap();
        conns.retain(|c| !c.is_finished());
        conns.push(task.abort_handle());
    }
}

async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let delay = shared.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn the_proxy_forwards_refuses_resets_delays_and_resumes() {
    // An echo server upstream.
    let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = echo.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = echo.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let proxy = FaultProxy::start(upstream).await;
    let roundtrip = async |s: &mut TcpStream| {
        s.write_all(b"ping").await?;
        let mut got = [0u8; 4];
        s.read_exact(&mut got).await?;
        assert_eq!(&got, b"ping");
        std::io::Result::Ok(())
    };
    let mut open = TcpStream::connect(proxy.addr).await.unwrap();
    roundtrip(&mut open).await.unwrap();

    proxy.refuse();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = TcpStream::connect(proxy.addr).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");
    roundtrip(&mut open).await.expect("an open connection carries on while new ones are refused");

    proxy.reset_all();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(roundtrip(&mut open).await.is_err(), "the open connection was reset");

    proxy.resume().await;
    let mut again = TcpStream::connect(proxy.addr).await.unwrap();
    roundtrip(&mut again).await.unwrap();

    proxy.delay(Duration::from_millis(300));
    let started = std::time::Instant::now();
    roundtrip(&mut again).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600), "both directions wait: {:?}", started.elapsed());
    proxy.resume().await;
}
