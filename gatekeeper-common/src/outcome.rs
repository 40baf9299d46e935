//! The outcome of a process as the gatekeeper stores and sends it, whichever way it arrived:
//! the packager's on-change callback, or the packager's status read back when that callback
//! was lost (see [`crate::workers::reconcile`]).

use chrono::Utc;
use shared_models::OnChangeEvent;

use crate::db::processes::ProcessRecord;

/// The packager's event with the gatekeeper's own `package_location`
/// (`<packages_url>/<package_id>`), the upload time as `created_at` and now as `updated_at`.
pub fn as_stored(
    mut event: OnChangeEvent,
    record: &ProcessRecord,
    packages_url: &str,
) -> OnChangeEvent {
    event.package_location = event
        .package_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .map(|id| format!("{}/{id}", packages_url.trim_end_matches('/')));
    event.created_at = record.created_at;
    event.updated_at = Utc::now();
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_models::{NapdRecord, ProcessId, ProcessOutcome, ProcessState, EVENT_NAME};

    fn record() -> ProcessRecord {
        let created =
            chrono::DateTime::from_timestamp_millis(1_700_000_000_000).unwrap_or_default();
        ProcessRecord {
            id: ProcessId::new_random(),
            state: ProcessState::Running,
            created_at: created,
            updated_at: created,
            username: None,
            callback_url: None,
            event: None,
        }
    }

    fn event(package_id: Option<&str>) -> OnChangeEvent {
        OnChangeEvent {
            event_name: EVENT_NAME.to_owned(),
            package_id: package_id.map(str::to_owned),
            package_location: Some("http://catalogue:4011/elsewhere".to_owned()),
            package_metadata: NapdRecord::default(),
            package_process_status: ProcessOutcome::Success,
            package_process_uuid: uuid::Uuid::new_v4(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_location_is_the_gatekeepers_and_created_at_the_upload_time() {
        let record = record();
        let stored = as_stored(event(Some("p-1")), &record, "http://gk/api/v3/packages/");
        assert_eq!(
            stored.package_location.as_deref(),
            Some("http://gk/api/v3/packages/p-1")
        );
        assert_eq!(stored.created_at, record.created_at);
        assert!(stored.updated_at > record.updated_at);
    }

    #[test]
    fn no_package_means_no_location() {
        for id in [None, Some("")] {
            let stored = as_stored(event(id), &record(), "http://gk/api/v3/packages");
            assert_eq!(stored.package_location, None);
        }
    }
}
