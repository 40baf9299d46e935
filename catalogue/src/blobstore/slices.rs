//! Files that are byte ranges of an upload (ADR-31), hashed while that upload streams in.
//!
//! A package file stored uncompressed in its archive is a plain range of the archive's bytes.
//! The sender names the ranges before the archive; [`Slicer`] is fed every chunk of the
//! archive, in order, and hashes the bytes of each range as they pass, so the file's digests
//! cost no second read and its bytes no second copy.

use std::collections::VecDeque;

use super::{
    lanes::{Ingest, NoSink},
    BlobDigests, BlobError,
};

/// `length` bytes at `offset` of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Slice {
    pub offset: u64,
    pub length: u64,
}

impl Slice {
    /// The first offset past the slice (`None` when it would overflow).
    pub fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.length)
    }
}

/// Whether `slices` can be hashed in one pass: each non-empty, none past `u64`, and no two
/// overlapping (so that one range at a time is being hashed).
pub fn in_one_pass(slices: &[Slice]) -> bool {
    let mut sorted = slices.to_vec();
    sorted.sort_by_key(|s| s.offset);
    let mut reached = 0u64;
    for slice in &sorted {
        let Some(end) = slice.end() else {
            return false;
        };
        if slice.length == 0 || slice.offset < reached {
            return false;
        }
        reached = end;
    }
    true
}

struct Open {
    index: usize,
    /// The offset of the range's next byte.
    next: u64,
    end: u64,
    ingest: Ingest<NoSink>,
}

/// The digests of some ranges of a stream, computed as it is fed.
pub struct Slicer {
    /// Ranges not started, by offset, with their index in the caller's list.
    waiting: VecDeque<(usize, Slice)>,
    open: Option<Open>,
    done: Vec<Option<BlobDigests>>,
    /// Bytes fed so far.
    at: u64,
}

impl Slicer {
    /// Hashes `slices`, which must satisfy [`in_one_pass`].
    pub fn new(slices: &[Slice]) -> Self {
        debug_assert!(in_one_pass(slices));
        let mut waiting: Vec<_> = slices.iter().copied().enumerate().collect();
        waiting.sort_by_key(|(_, s)| s.offset);
        Self {
            waiting: waiting.into(),
            open: None,
            done: vec![None; slices.len()],
            at: 0,
        }
    }

    /// The next chunk of the stream.
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let start = self.at;
        self.at += chunk.len() as u64;
        loop {
            if self.open.is_none() {
                match self.waiting.front() {
                    Some((_, slice)) if slice.offset < self.at => {
                        let (index, slice) = self.waiting.pop_front().expect("a front");
                        self.open = Some(Open {
                            index,
                            next: slice.offset,
                            end: slice.offset + slice.length,
                            ingest: Ingest::new(slice.length, NoSink),
                        });
                    }
                    _ => return Ok(()),
                }
            }
            let open = self.open.as_mut().expect("opened above");
            // Ranges start in order, each once the stream reaches it: `next` is in this chunk.
            let stop = open.end.min(self.at);
            let from = usize::try_from(open.next - start).map_err(std::io::Error::other)?;
            let to = usize::try_from(stop - start).map_err(std::io::Error::other)?;
            open.ingest.push(&chunk[from..to]).await?;
            open.next = stop;
            if stop < open.end {
                return Ok(());
            }
            let Open { index, ingest, .. } = self.open.take().expect("open");
            self.done[index] = Some(ingest.finish().await?);
        }
    }

    /// The digests of every range, in the order given; an error if the stream ended before
    /// one of them did.
    pub fn finish(self) -> Result<Vec<BlobDigests>, BlobError> {
        if self.open.is_some() || !self.waiting.is_empty() {
            return Err(BlobError::Client(format!(
                "a range lies beyond the {} bytes of the upload",
                self.at
            )));
        }
        Ok(self.done.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use md5::{Digest as _, Md5};
    use sha2::Sha256;

    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 13 % 241) as u8).collect()
    }

    async fn sliced(data: &[u8], slices: &[Slice], chunk: usize) -> Vec<BlobDigests> {
        let mut slicer = Slicer::new(slices);
        for piece in data.chunks(chunk) {
            slicer.feed(piece).await.expect("feed");
        }
        slicer.finish().expect("every range seen")
    }

    #[tokio::test]
    async fn every_range_gets_the_digests_of_its_bytes_whatever_the_chunking() {
        let data = bytes(3 * super::super::lanes::BATCH + 5_000);
        let slices = [
            Slice {
                offset: 10,
                length: 70_000,
            },
            Slice {
                offset: 0,
                length: 1,
            },
            Slice {
                offset: 70_010,
                length: 2 * super::super::lanes::BATCH as u64 + 3,
            },
            Slice {
                offset: data.len() as u64 - 7,
                length: 7,
            },
        ];
        for chunk in [1_000, 65_536, 1 << 20, data.len()] {
            let digests = sliced(&data, &slices, chunk).await;
            assert_eq!(digests.len(), slices.len());
            for (slice, got) in slices.iter().zip(&digests) {
                let part = &data[slice.offset as usize..slice.end().unwrap() as usize];
                assert_eq!(got.size, slice.length, "chunk {chunk}");
                assert_eq!(
                    got.sha256,
                    hex::encode(Sha256::digest(part)),
                    "chunk {chunk}"
                );
                assert_eq!(got.md5, hex::encode(Md5::digest(part)), "chunk {chunk}");
            }
        }
    }

    #[tokio::test]
    async fn a_range_past_the_end_is_an_error() {
        let mut slicer = Slicer::new(&[Slice {
            offset: 5,
            length: 10,
        }]);
        slicer.feed(&bytes(12)).await.expect("feed");
        let err = slicer.finish().expect_err("the range is not complete");
        assert!(err.to_string().contains("beyond the 12 bytes"), "{err}");
    }

    #[test]
    fn ranges_must_be_disjoint_and_not_empty() {
        let s = |offset, length| Slice { offset, length };
        assert!(in_one_pass(&[s(0, 5), s(5, 5), s(20, 1)]));
        assert!(in_one_pass(&[s(20, 1), s(0, 5)]), "any order");
        assert!(in_one_pass(&[]));
        assert!(!in_one_pass(&[s(0, 5), s(4, 5)]), "overlap");
        assert!(!in_one_pass(&[s(10, 5), s(0, 11)]), "overlap out of order");
        assert!(!in_one_pass(&[s(0, 0)]), "empty");
        assert!(!in_one_pass(&[s(u64::MAX, 2)]), "overflow");
    }
}
