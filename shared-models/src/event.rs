//! Process state and the on-change event (decision 1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::napd::NapdRecord;

/// `event_name` of every on-change event.
pub const EVENT_NAME: &str = "onPackageChangeEvent";

/// Where a process is: `waiting` and `running` are open, `success` and `failed` are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessState {
    Waiting,
    Running,
    Success,
    Failed,
}

impl ProcessState {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for ProcessState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "waiting" => Ok(Self::Waiting),
            "running" => Ok(Self::Running),
            "success" => Ok(Self::Success),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown process state {other:?}")),
        }
    }
}

/// The terminal outcome carried by `package_process_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessOutcome {
    Success,
    Failed,
}

impl From<ProcessOutcome> for ProcessState {
    fn from(value: ProcessOutcome) -> Self {
        match value {
            ProcessOutcome::Success => Self::Success,
            ProcessOutcome::Failed => Self::Failed,
        }
    }
}

/// The answer to an upload, and the running shape of a status query:
/// `{package_process_uuid, status, error_msg}` with no `package_process_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProcessAccepted {
    pub package_process_uuid: Uuid,
    pub status: ProcessState,
    pub error_msg: Option<String>,
}

/// The event POSTed to callbacks when a process ends, and the finished shape of a status query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OnChangeEvent {
    pub event_name: String,
    /// Catalogue uuid of the package descriptor, null when nothing was stored.
    pub package_id: Option<String>,
    /// URL of the stored package, null when nothing was stored.
    pub package_location: Option<String>,
    pub package_metadata: NapdRecord,
    pub package_process_status: ProcessOutcome,
    pub package_process_uuid: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OnChangeEvent {
    /// The `error_code` of a failed process.
    pub fn error_code(&self) -> Option<&str> {
        self.package_metadata.error_code.as_deref()
    }
}
