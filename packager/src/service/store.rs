//! Storing an unpacked package (packager.md §5.1) with the fixes of issue 4, in one catalogue
//! transaction (ADR-23): all of it is stored or nothing, a duplicate stores nothing, and a
//! store that ends after the deadline is removed again.

use std::{path::Path, time::Duration};

use package_format::{descriptor::content_id, Limits, Unpacked};

use super::{
    bundle::{BundleAnswer, BundleRequest},
    catalogue_client::{CatalogueClient, StoreError},
};

/// The uploaded archive: where it is and the name it was uploaded under.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    pub path: &'a Path,
    pub name: &'a str,
    /// SHA-256 of the uploaded bytes: the stored archive must have the same.
    pub sha256: &'a str,
}

/// When the process must end, and the configured limit (for the message).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub limit: Duration,
}

impl Deadline {
    /// `Timeout` once the deadline has passed.
    fn check(&self) -> Result<(), StoreError> {
        if tokio::time::Instant::now() >= self.at {
            return Err(StoreError::Timeout(self.limit));
        }
        Ok(())
    }
}

/// What was stored: the package descriptor's uuid and URL.
#[derive(Debug, Clone)]
pub struct Stored {
    pub package_uuid: String,
    pub location: String,
}

/// Archives above this size are checked for a duplicate before they are sent: a question costs
/// less than streaming them for a 409.
const PRECHECK_ABOVE: u64 = 1024 * 1024;

impl CatalogueClient {
    /// Store the package in one request. Before it, the VNFs named from outside the package
    /// must be known (and the package must be new, asked first then, so that a duplicate is
    /// reported as one). The checks create nothing, so the deadline cuts them short; the store
    /// itself is cut at the deadline and then cancelled by its `request_id` (the process id):
    /// the catalogue then stores nothing of it, or deletes what it stored. A bundle whose
    /// answer was lost (the connection broke) is cancelled the same way.
    pub async fn store(
        &self,
        unpacked: &mut Unpacked,
        archive: &Archive<'_>,
        request_id: &str,
        username: Option<&str>,
        limits: &Limits,
        deadline: Deadline,
    ) -> Result<Stored, StoreError> {
        if !unpacked.topology.outside.is_empty() || is_big(archive.path).await {
            tokio::time::timeout_at(deadline.at, self.check_new(unpacked))
                .await
                .unwrap_or(Err(StoreError::Timeout(deadline.limit)))?;
        }
        deadline.check()?;
        annotate(unpacked, archive.name, limits);
        let request = BundleRequest::plan(unpacked, archive, request_id, username)?;
        let sent =
            tokio::time::timeout_at(deadline.at, self.post_bundle(&request, &unpacked.record))
                .await;
        let answer = match sent {
            Ok(Ok(answer)) => answer,
            Ok(Err(lost @ StoreError::Unavailable { .. })) => {
                self.cancel_bundle(request_id).await;
                return Err(lost);
            }
            Ok(Err(refused)) => return Err(refused),
            Err(_) => {
                self.cancel_bundle(request_id).await;
                return Err(StoreError::Timeout(deadline.limit));
            }
        };
        record_answer(unpacked, &answer, archive.sha256);
        if let Err(late) = deadline.check() {
            self.cancel_bundle(request_id).await;
            return Err(late);
        }
        Ok(Stored {
            location: format!("{}/packages/{}", self.base, answer.uuid),
            package_uuid: answer.uuid,
        })
    }

    /// Not a duplicate, and every VNF named from outside the package is known.
    async fn check_new(&self, unpacked: &Unpacked) -> Result<(), StoreError> {
        let triple = unpacked.record.triple().unwrap_or_default();
        if let Some(uuid) = self.existing_package(&unpacked.record).await? {
            return Err(StoreError::Duplicate { triple, uuid });
        }
        self.check_outside(&unpacked.topology.outside).await
    }
}

async fn is_big(archive: &Path) -> bool {
    tokio::fs::metadata(archive)
        .await
        .is_ok_and(|m| m.len() > PRECHECK_ABOVE)
}

/// `id` of every entry and `package_file_name` (§5.1 annotations); the catalogue adds the
/// uuids.
fn annotate(unpacked: &mut Unpacked, archive_name: &str, limits: &Limits) {
    let ids: Vec<_> = unpacked
        .record
        .package_content
        .iter()
        .map(|entry| content_id(&unpacked.descriptors, &unpacked.extracted, entry, limits))
        .collect();
    for (entry, id) in unpacked.record.package_content.iter_mut().zip(ids) {
        entry.id = Some(id);
    }
    unpacked.record.package_file_name = Some(archive_name.to_owned());
}

/// The uuids the catalogue gave, in the record the event carries.
fn record_answer(unpacked: &mut Unpacked, answer: &BundleAnswer, sha256: &str) {
    let record = &mut unpacked.record;
    for part in &answer.parts {
        if let Some(entry) = record.package_content.get_mut(part.content_index) {
            entry.uuid = Some(part.uuid.clone());
        }
    }
    record.package_file_uuid = Some(answer.archive.uuid.clone());
    record
        .metadata
        .insert("package_sha256".into(), sha256.into());
}
