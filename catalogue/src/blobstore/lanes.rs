//! An upload hashed (and, for the local store, written) off the async threads.
//!
//! Chunks are gathered into batches of [`BATCH`] bytes. Once an upload is bigger than one
//! batch, MD5, SHA-256 and the sink (the staged file) each run on their own blocking thread,
//! fed the same batches (shared, not copied) through short bounded queues. The two digests of
//! one upload so use two cores, and the async thread only copies chunks into the batch. An
//! upload that fits in one batch is hashed and written in a single blocking call.

use std::io;

use bytes::{Bytes, BytesMut};
use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{BlobDigests, BlobError};

/// Bytes handed to the lanes at a time.
pub(super) const BATCH: usize = 1024 * 1024;
/// Batches queued per lane; with one batch being filled this bounds an upload's memory to
/// about `LANE_DEPTH + 2` batches (the lanes share them).
const LANE_DEPTH: usize = 4;

/// Where the bytes go besides the digests.
pub(super) trait Sink: Send + 'static {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// All bytes were written: make them durable.
    fn finish(&mut self) -> io::Result<()>;
}

/// No sink: the caller stores the bytes itself (the S3 store).
pub(super) struct NoSink;

impl Sink for NoSink {
    fn write(&mut self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What one lane does with each batch, and what it gives at the end.
trait Work: Send + 'static {
    type Out: Send + 'static;
    fn feed(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn end(self) -> io::Result<Self::Out>;
}

struct Hex<D>(D);

impl<D: Digest + Send + 'static> Work for Hex<D> {
    type Out = String;

    fn feed(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.update(bytes);
        Ok(())
    }

    fn end(self) -> io::Result<String> {
        Ok(hex::encode(self.0.finalize()))
    }
}

struct Sinking<S>(S);

impl<S: Sink> Work for Sinking<S> {
    type Out = ();

    fn feed(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write(bytes)
    }

    fn end(mut self) -> io::Result<()> {
        self.0.finish()
    }
}

enum Message {
    Data(Bytes),
    /// The upload is complete; without it (the upload was dropped) a lane ends in an error,
    /// so a sink never makes an abandoned upload durable.
    End,
}

struct Lane<T> {
    tx: mpsc::Sender<Message>,
    done: JoinHandle<io::Result<T>>,
}

fn lane<W: Work>(mut work: W) -> Lane<W::Out> {
    let (tx, mut rx) = mpsc::channel(LANE_DEPTH);
    let done = tokio::task::spawn_blocking(move || {
        while let Some(message) = rx.blocking_recv() {
            match message {
                Message::Data(bytes) => work.feed(&bytes)?,
                Message::End => return work.end(),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "upload abandoned",
        ))
    });
    Lane { tx, done }
}

impl<T> Lane<T> {
    /// `false` when the lane stopped (its error is in `done`).
    async fn send(&self, message: Message) -> bool {
        self.tx.send(message).await.is_ok()
    }

    async fn join(self) -> Result<T, BlobError> {
        drop(self.tx);
        self.done
            .await
            .map_err(io::Error::other)?
            .map_err(BlobError::Io)
    }
}

struct Lanes {
    md5: Lane<String>,
    sha: Lane<String>,
    sink: Lane<()>,
}

impl Lanes {
    fn start(sink: impl Sink) -> Self {
        Self {
            md5: lane(Hex(Md5::new())),
            sha: lane(Hex(Sha256::new())),
            sink: lane(Sinking(sink)),
        }
    }

    /// Every lane gets `bytes`; on a stopped lane, the error of the first one that failed.
    async fn send(self, bytes: Bytes) -> Result<Self, BlobError> {
        let sent = self.md5.send(Message::Data(bytes.clone())).await
            && self.sha.send(Message::Data(bytes.clone())).await
            && self.sink.send(Message::Data(bytes)).await;
        if sent {
            return Ok(self);
        }
        Err(self.abort().await)
    }

    /// After a lane stopped: end the others without finishing them, and give the error of
    /// the one that stopped.
    async fn abort(self) -> BlobError {
        let results = [
            self.sink.join().await.err(),
            self.sha.join().await.err(),
            self.md5.join().await.err(),
        ];
        let abandoned = |e: &BlobError| matches!(e, BlobError::Io(io) if io.kind() == io::ErrorKind::Interrupted);
        results
            .into_iter()
            .flatten()
            .find(|e| !abandoned(e))
            .unwrap_or_else(|| BlobError::Io(io::Error::other("a hashing lane stopped")))
    }

    async fn end(self) -> Result<(String, String), BlobError> {
        for lane in [&self.md5.tx, &self.sha.tx] {
            let _ = lane.send(Message::End).await;
        }
        let _ = self.sink.tx.send(Message::End).await;
        let sink = self.sink.join().await;
        let sha = self.sha.join().await;
        let md5 = self.md5.join().await;
        sink?;
        Ok((sha?, md5?))
    }
}

enum Stage<S> {
    /// Not more than one batch so far: no lane started.
    Gathering(S),
    Flowing(Lanes),
    /// Only while a batch is being handed over, or after a failure.
    Spent,
}

/// Digests and size of an upload, with the size limit enforced as it grows; the bytes also go
/// to a [`Sink`].
pub(super) struct Ingest<S: Sink> {
    limit: u64,
    size: u64,
    batch: BytesMut,
    stage: Stage<S>,
}

impl<S: Sink> Ingest<S> {
    pub(super) fn new(limit: u64, sink: S) -> Self {
        Self {
            limit,
            size: 0,
            batch: BytesMut::with_capacity(BATCH),
            stage: Stage::Gathering(sink),
        }
    }

    pub(super) async fn push(&mut self, mut chunk: &[u8]) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(BlobError::TooLarge(self.limit));
        }
        while !chunk.is_empty() {
            let room = BATCH - self.batch.len();
            let (now, later) = chunk.split_at(room.min(chunk.len()));
            self.batch.extend_from_slice(now);
            chunk = later;
            if self.batch.len() == BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), BlobError> {
        let batch = std::mem::replace(&mut self.batch, BytesMut::with_capacity(BATCH)).freeze();
        let lanes = match std::mem::replace(&mut self.stage, Stage::Spent) {
            Stage::Gathering(sink) => Lanes::start(sink),
            Stage::Flowing(lanes) => lanes,
            Stage::Spent => return Err(BlobError::Io(io::Error::other("upload already failed"))),
        };
        self.stage = Stage::Flowing(lanes.send(batch).await?);
        Ok(())
    }

    /// The digests, once every byte is hashed and the sink has finished.
    pub(super) async fn finish(mut self) -> Result<BlobDigests, BlobError> {
        let size = self.size;
        let (sha256, md5) = match std::mem::replace(&mut self.stage, Stage::Spent) {
            Stage::Gathering(sink) => {
                let batch = std::mem::take(&mut self.batch).freeze();
                tokio::task::spawn_blocking(move || all_at_once(&batch, sink))
                    .await
                    .map_err(io::Error::other)??
            }
            Stage::Flowing(mut lanes) => {
                if !self.batch.is_empty() {
                    lanes = lanes.send(std::mem::take(&mut self.batch).freeze()).await?;
                }
                lanes.end().await?
            }
            Stage::Spent => return Err(BlobError::Io(io::Error::other("upload already failed"))),
        };
        Ok(BlobDigests { sha256, md5, size })
    }
}

/// A small upload: both digests and the sink in one blocking call.
fn all_at_once(bytes: &[u8], mut sink: impl Sink) -> io::Result<(String, String)> {
    sink.write(bytes)?;
    sink.finish()?;
    Ok((
        hex::encode(Sha256::digest(bytes)),
        hex::encode(Md5::digest(bytes)),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what it is given, in memory.
    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<(Vec<u8>, bool)>>);

    impl Sink for Collect {
        fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.lock().expect("lock").0.extend_from_slice(bytes);
            Ok(())
        }

        fn finish(&mut self) -> io::Result<()> {
            self.0.lock().expect("lock").1 = true;
            Ok(())
        }
    }

    struct Broken;

    impl Sink for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }

        fn finish(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    async fn ingest(data: &[u8], chunk: usize) -> (BlobDigests, Collect) {
        let sink = Collect::default();
        let mut ingest = Ingest::new(u64::MAX, sink.clone());
        for piece in data.chunks(chunk) {
            ingest.push(piece).await.expect("push");
        }
        (ingest.finish().await.expect("finish"), sink)
    }

    #[tokio::test]
    async fn small_and_big_uploads_get_the_digests_of_their_bytes() {
        for len in [0, 10, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 12_345] {
            let data = bytes(len);
            let (digests, sink) = ingest(&data, 70_000).await;
            assert_eq!(digests.size, len as u64);
            assert_eq!(digests.sha256, hex::encode(Sha256::digest(&data)), "{len}");
            assert_eq!(digests.md5, hex::encode(Md5::digest(&data)), "{len}");
            let written = sink.0.lock().expect("lock");
            assert_eq!(written.0, data, "{len}");
            assert!(written.1, "sink finished for {len}");
        }
    }

    #[tokio::test]
    async fn the_limit_stops_an_upload() {
        let mut ingest = Ingest::new(100, NoSink);
        ingest.push(&[0; 60]).await.expect("under the limit");
        let err = ingest.push(&[0; 60]).await.expect_err("over the limit");
        assert!(matches!(err, BlobError::TooLarge(100)));
    }

    #[tokio::test]
    async fn a_failing_sink_fails_the_upload() {
        let mut ingest = Ingest::new(u64::MAX, Broken);
        let data = bytes(3 * BATCH);
        let mut failed = false;
        for piece in data.chunks(BATCH) {
            if let Err(err) = ingest.push(piece).await {
                assert!(err.to_string().contains("disk full"), "{err}");
                failed = true;
                break;
            }
        }
        if !failed {
            let err = ingest.finish().await.expect_err("the sink failed");
            assert!(err.to_string().contains("disk full"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_dropped_upload_is_not_finished() {
        let sink = Collect::default();
        let mut ingest = Ingest::new(u64::MAX, sink.clone());
        ingest.push(&bytes(2 * BATCH)).await.expect("push");
        drop(ingest);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            !sink.0.lock().expect("lock").1,
            "abandoned bytes made durable"
        );
    }
}
