//! Wire types shared by the gatekeeper, the packager, the catalogue and the callback mock.
//!
//! Everything here is plain serde data: no I/O, no HTTP framework. The shapes follow
//! `spec/README.md` (decisions 1, 2 and 7) and the catalogue envelopes of `spec/catalogue.md`.

pub mod catalogue;
pub mod error;
pub mod event;
pub mod ids;
pub mod keep_alive;
pub mod napd;
pub mod service_token;

pub use catalogue::{BlobRecord, CatalogueRecord, DescriptorKind};
pub use error::ErrorBody;
pub use event::{OnChangeEvent, ProcessAccepted, ProcessOutcome, ProcessState, EVENT_NAME};
pub use ids::{ProcessId, ProcessIdError};
pub use napd::{ContentEntry, ContentId, NapdRecord, DEFAULT_DESCRIPTOR_SCHEMA};
pub use service_token::{
    NotAHeaderValue, ServiceToken, ServiceTokenError, SERVICE_TOKEN_ENV, SERVICE_TOKEN_HEADER,
};
