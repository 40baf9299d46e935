//! The one storage interface: PostgreSQL (production) or SQLite (embedded), chosen by URL.

mod backend;
pub mod blobs;
mod bundle;
mod connect;
mod field_queue;
pub use field_queue::Parked;
mod lists;
mod pg;
pub mod positions;
mod sqlite;
pub mod upkeep;

use serde::Serialize;
use serde_json::Value;
use shared_models::DescriptorKind;
use sqlx::{PgPool, SqlitePool};
use uuid::Uuid;

pub use connect::connect;

use crate::{
    blobstore::{BlobStore, StagedBlob},
    error::ApiError,
    model::{BlobKind, BlobRow, DescriptorRow, NewDescriptor, Release, StoredUpload, UploadMeta},
    query::{ListQuery, Listing},
};

#[derive(Debug, Clone)]
pub enum Repository {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// What a create did.
#[derive(Debug)]
pub enum CreateOutcome {
    Created(DescriptorRow),
    /// An existing descriptor with this identity, its `pkg_ref` counted up.
    Reused(DescriptorRow),
    /// A package with this identity exists already.
    Duplicate(Uuid),
}

/// The descriptors and files a package delete touched, as catalogue.md §8.2 lists them.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct PartLists {
    #[schema(value_type = Vec<Object>)]
    pub vnfds: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub nsds: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub testds: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<Value>,
}

#[derive(Debug, Default)]
pub struct CascadeReport {
    pub deleted: PartLists,
    pub not_found: PartLists,
}

/// Equality filters on blob metadata (`?file_name=...`), already validated.
#[derive(Debug, Clone)]
pub struct BlobFilter {
    pub column: &'static str,
    pub value: String,
}

macro_rules! dispatch {
    ($self:expr, $f:ident ( $($arg:expr),* )) => {
        match $self {
            Repository::Postgres(pool) => pg::$f(pool, $($arg),*).await,
            Repository::Sqlite(pool) => sqlite::$f(pool, $($arg),*).await,
        }
    };
}

impl Repository {
    pub async fn health(&self) -> Result<(), ApiError> {
        dispatch!(self, health())
    }

    pub async fn create_descriptor(&self, new: NewDescriptor) -> Result<CreateOutcome, ApiError> {
        dispatch!(self, create_descriptor(new))
    }

    /// Inserts a new version; `None` when that identity exists already.
    pub async fn insert_new_version(
        &self,
        new: NewDescriptor,
    ) -> Result<Option<DescriptorRow>, ApiError> {
        dispatch!(self, insert_new_version(new))
    }

    pub async fn get_descriptor(
        &self,
        kind: DescriptorKind,
        uuid: Uuid,
    ) -> Result<Option<DescriptorRow>, ApiError> {
        dispatch!(self, get_descriptor(kind, uuid))
    }

    pub async fn find_by_identity(
        &self,
        kind: DescriptorKind,
        vendor: &str,
        name: &str,
        version: &str,
    ) -> Result<Option<DescriptorRow>, ApiError> {
        dispatch!(self, find_by_identity(kind, vendor, name, version))
    }

    pub async fn set_status(
        &self,
        kind: DescriptorKind,
        uuid: Uuid,
        status: &str,
    ) -> Result<bool, ApiError> {
        dispatch!(self, set_status(kind, uuid, status))
    }

    /// Links a package descriptor to its package archive (`?sonp_uuid=`).
    pub async fn set_son_package(&self, uuid: Uuid, tgo: Uuid) -> Result<bool, ApiError> {
        dispatch!(self, set_son_package(uuid, tgo))
    }

    /// Drops one reference to a descriptor (not a package: see `delete_package`).
    pub async fn release_descriptor(
        &self,
        kind: DescriptorKind,
        uuid: Uuid,
    ) -> Result<Option<Release>, ApiError> {
        dispatch!(self, release_descriptor(kind, uuid))
    }

    pub async fn list_descriptors(
        &self,
        kind: DescriptorKind,
        query: &ListQuery,
    ) -> Result<Listing<DescriptorRow>, ApiError> {
        dispatch!(self, list_descriptors(kind, query))
    }

    pub async fn store_upload(
        &self,
        kind: BlobKind,
        staged: StagedBlob,
        meta: &UploadMeta,
        store: &dyn BlobStore,
    ) -> Result<StoredUpload, ApiError> {
        dispatch!(self, store_upload(kind, staged, meta, store))
    }

    pub async fn get_blob(&self, kind: BlobKind, uuid: Uuid) -> Result<Option<BlobRow>, ApiError> {
        dispatch!(self, get_blob(kind, uuid))
    }

    /// Where the bytes of blob `sha256` are (it may be a slice of another blob, ADR-31).
    pub async fn blob_place(&self, sha256: &str) -> Result<Option<blobs::BlobPlace>, ApiError> {
        dispatch!(self, blob_place(sha256))
    }

    pub async fn list_blobs(
        &self,
        kind: BlobKind,
        filters: &[BlobFilter],
        page: crate::query::Page,
    ) -> Result<Listing<BlobRow>, ApiError> {
        dispatch!(self, list_blobs(kind, filters, page))
    }

    pub async fn release_blob(
        &self,
        kind: BlobKind,
        uuid: Uuid,
        store: &dyn BlobStore,
    ) -> Result<Option<Release>, ApiError> {
        dispatch!(self, release_blob(kind, uuid, store))
    }

    /// Of `shas`, those that have a row in `blobs` (for the sweep).
    pub async fn known_blobs(
        &self,
        shas: &[String],
    ) -> Result<std::collections::HashSet<String>, ApiError> {
        dispatch!(self, known_blobs(shas))
    }

    /// Removes bytes that no `blobs` row describes; false when a row exists.
    pub async fn collect_orphan(
        &self,
        sha256: &str,
        store: &dyn BlobStore,
    ) -> Result<bool, ApiError> {
        dispatch!(self, collect_orphan(sha256, store))
    }

    /// Collects blob rows older than `cutoff` that no record references.
    pub async fn collect_unreferenced(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        store: &dyn BlobStore,
    ) -> Result<u64, ApiError> {
        dispatch!(self, collect_unreferenced(cutoff, store))
    }

    /// Queues for the field indexer the descriptors written without the field index (or
    /// indexed by an older extraction); how many (ADR-30).
    pub async fn queue_unindexed(&self) -> Result<u64, ApiError> {
        dispatch!(self, queue_unindexed())
    }

    /// How many descriptors wait for the indexer (ADR-30).
    pub async fn fields_waiting(&self) -> Result<u64, ApiError> {
        dispatch!(self, fields_waiting())
    }

    /// Writes the field index rows of up to `batch` queued descriptors that are not
    /// `parked`; how many (ADR-30). Those whose rows cannot be written are parked.
    pub async fn index_pending(&self, batch: u32, parked: &mut Parked) -> Result<u64, ApiError> {
        dispatch!(self, index_pending(batch, parked))
    }

    /// Folds pending count deltas into the kept counts; how many counts changed.
    pub async fn fold_counts(&self) -> Result<u64, ApiError> {
        dispatch!(self, fold_counts())
    }

    /// Copies SQLite's write-ahead log into the database file (ADR-29); nothing on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), ApiError> {
        match self {
            Repository::Postgres(_) => Ok(()),
            Repository::Sqlite(pool) => sqlite::checkpoint(pool).await,
        }
    }

    /// Vacuums and analyses the tables that are due when the PostgreSQL server runs without
    /// autovacuum (ADR-25); nothing on SQLite.
    pub async fn upkeep(&self) -> Result<Vec<upkeep::TableUpkeep>, ApiError> {
        match self {
            Repository::Postgres(pool) => upkeep::upkeep(pool).await,
            Repository::Sqlite(_) => Ok(Vec::new()),
        }
    }

    /// A whole package in one transaction (ADR-23).
    pub async fn store_bundle(
        &self,
        bundle: crate::bundle::Bundle,
        store: &dyn BlobStore,
    ) -> Result<crate::bundle::BundleOutcome, ApiError> {
        dispatch!(self, store_bundle(bundle, store))
    }

    /// Cancels a bundle request (ADR-23): what it had stored, if anything.
    pub async fn cancel_bundle(&self, id: &str) -> Result<crate::bundle::Cancelled, ApiError> {
        dispatch!(self, cancel_bundle(id))
    }

    /// Forgets bundle request ids recorded before `cutoff`; how many.
    pub async fn forget_bundle_requests(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, ApiError> {
        dispatch!(self, forget_bundle_requests(cutoff))
    }

    /// The cascade of catalogue.md §8, in one transaction; `None` when the package is unknown.
    pub async fn delete_package(
        &self,
        uuid: Uuid,
        store: &dyn BlobStore,
    ) -> Result<Option<CascadeReport>, ApiError> {
        dispatch!(self, delete_package(uuid, store))
    }
}
