//! A TCP relay in front of the real catalogue, to take it away and bring it back: `Up`
//! forwards, `Down` closes every connection at once (as a stopped server would), `Hang` accepts
//! and never answers (a stuck server).

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
        if mode != Mode::Up {
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
        }
    }
}
