//! A TCP relay in front of a real service that holds every connection until it is opened: a
//! network fault that heals (or never does). Behind it a packager's catalogue calls hang, so a
//! real packager keeps a process in flight for as long as a test needs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Gate {
    /// `127.0.0.1:<port>` of the relay.
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
    connections: Arc<AtomicUsize>,
}

impl Gate {
    /// A closed relay to `target`.
    pub async fn spawn(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind gate");
        let addr = listener.local_addr().expect("gate addr");
        let (open, watcher) = watch::channel(false);
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(relay(socket, target, watcher.clone()));
            }
        });
        Self {
            addr,
            open,
            connections,
        }
    }

    /// Lets held and future connections through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Waits until at least `n` connections arrived (the packager is talking to the catalogue).
    pub async fn wait_for_connections(&self, n: usize, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.connections.load(Ordering::SeqCst) < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "fewer than {n} connections reached the gate within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn relay(mut socket: TcpStream, target: SocketAddr, mut open: watch::Receiver<bool>) {
    while !*open.borrow_and_update() {
        if open.changed().await.is_err() {
            return;
        }
    }
    if let Ok(mut upstream) = TcpStream::connect(target).await {
        let _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
    }
}
