//! Catalogue envelopes: how the catalogue wraps what it stores (spec/catalogue.md §2.3, §4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The descriptor collections and the key their body sits under in the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DescriptorKind {
    Nsd,
    Vnfd,
    Testd,
    Pd,
}

impl DescriptorKind {
    pub const ALL: [Self; 4] = [Self::Nsd, Self::Vnfd, Self::Testd, Self::Pd];

    /// The envelope key (`nsd`, `vnfd`, `testd`, `pd`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Nsd => "nsd",
            Self::Vnfd => "vnfd",
            Self::Testd => "testd",
            Self::Pd => "pd",
        }
    }

    /// The collection's path below the catalogue prefix.
    pub fn route(self) -> &'static str {
        match self {
            Self::Nsd => "network-services",
            Self::Vnfd => "vnfs",
            Self::Testd => "tests",
            Self::Pd => "packages",
        }
    }

    /// Whether `platform` is part of the identity (NSDs and VNFDs).
    pub fn has_platform(self) -> bool {
        matches!(self, Self::Nsd | Self::Vnfd)
    }
}

/// A stored descriptor: the catalogue's wrapper with the body under `nsd`/`vnfd`/`testd`/`pd`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueRecord {
    pub created_at: DateTime<Utc>,
    pub md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkg_ref: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub username: Option<String>,
    pub uuid: Uuid,
    /// The descriptor, under the key of its kind.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub body: DescriptorBody,
}

/// The descriptor under its kind's key; externally tagged, flattened into the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DescriptorBody {
    Nsd(Value),
    Vnfd(Value),
    Testd(Value),
    Pd(Value),
}

impl DescriptorBody {
    pub fn new(kind: DescriptorKind, value: Value) -> Self {
        match kind {
            DescriptorKind::Nsd => Self::Nsd(value),
            DescriptorKind::Vnfd => Self::Vnfd(value),
            DescriptorKind::Testd => Self::Testd(value),
            DescriptorKind::Pd => Self::Pd(value),
        }
    }

    pub fn kind(&self) -> DescriptorKind {
        match self {
            Self::Nsd(_) => DescriptorKind::Nsd,
            Self::Vnfd(_) => DescriptorKind::Vnfd,
            Self::Testd(_) => DescriptorKind::Testd,
            Self::Pd(_) => DescriptorKind::Pd,
        }
    }

    pub fn value(&self) -> &Value {
        match self {
            Self::Nsd(v) | Self::Vnfd(v) | Self::Testd(v) | Self::Pd(v) => v,
        }
    }
}

/// Metadata of a stored blob: an artifact (`/files`) or a package archive (`/tgo-packages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlobRecord {
    pub uuid: Uuid,
    /// The name it was uploaded under (`file_name` for files, `package_name` for archives).
    #[serde(alias = "package_name")]
    pub file_name: String,
    pub md5: String,
    pub sha256: String,
    pub size: i64,
    pub pkg_ref: i64,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
