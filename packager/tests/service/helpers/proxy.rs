//! A TCP relay in front of the real catalogue, to take it away and bring it back: `Up`
//! forwards, `Down` closes every connection at once (as a stopped server would), `Hang` accepts
//! and never answers (a stuck server), `Slow` forwards but holds every answer chunk a while.

use std::sync::{Arc, Mutex};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    task::JoinSet,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    Down,
    Hang,
    Slow(std::time::Duration),
}

pub struct Relay {
    /// `http://127.0.0.1:<port>`: the address to give the packager instead of the catalogue's.
    pub origin: String,
    mode: Arc<Mutex<Mode>>,
    connections: Arc<Mutex<JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Relay to `target` (`127.0.0.1:<port>`).
    pub async fn start(target: String, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let mode = Arc::new(Mutex::new(mode));
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let accept = tokio::spawn(accept_loop(
            listener,
            target,
            mode.clone(),
            connections.clone(),
        ));
        Self {
            origin,
            mode,
            connections,
            accept,
        }
    }

    /// Switch mode; leaving `Up` cuts the connections already open.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
        if !matches!(mode, Mode::Up | Mode::Slow(_)) {
            self.connections.lock().expect("connections").abort_all();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.connections.lock().expect("connections").abort_all();
    }
}

async fn accept_loop(
    listener: TcpListener,
    target: String,
    mode: Arc<Mutex<Mode>>,
    connections: Arc<Mutex<JoinSet<()>>>,
) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let now = *mode.lock().expect("mode");
        let target = target.clone();
        match now {
            Mode::Down => drop(inbound),
            Mode::Hang => {
                connections.lock().expect("connections").spawn(async move {
                    // Hold the socket open, read nothing, answer nothing.
                    let _held = inbound;
                    std::future::pending::<()>().await;
                });
            }
            Mode::Up => {
                connections.lock().expect("connections").spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
            Mode::Slow(delay) => {
                connections.lock().expect("connections").spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(&target).await {
                        relay_slowly(inbound, outbound, delay).await;
                    }
                });
            }
        }
    }
}

/// Requests pass at once; each chunk of an answer waits `delay` first.
async fn relay_slowly(inbound: TcpStream, outbound: TcpStream, delay: std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = inbound.into_split();
    let (mut server_read, mut server_write) = outbound.into_split();
    let requests = tokio::io::copy(&mut client_read, &mut server_write);
    let answers = async {
        let mut buffer = vec![0u8; 16 * 1024];
        while let Ok(n @ 1..) = server_read.read(&mut buffer).await {
            tokio::time::sleep(delay).await;
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = requests => {}
        () = answers => {}
    }
}
