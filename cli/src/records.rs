//! Reading and deleting catalogue records: `list`, `get`, `delete`, `services`, `functions`.

use reqwest::Method;
use serde_json::Value;
use shared_models::CatalogueRecord;
use uuid::Uuid;

use crate::args::Page;
use crate::client::Gatekeeper;
use crate::error::CliError;
use crate::process::print_json;
use crate::ui::Ui;

/// The collections a list command can show.
#[derive(Debug, Clone, Copy)]
pub enum Collection {
    Packages,
    Services,
    Functions,
}

impl Collection {
    fn path(self) -> &'static str {
        match self {
            Self::Packages => "/packages",
            Self::Services => "/services",
            Self::Functions => "/functions",
        }
    }

    fn uuid_header(self) -> &'static str {
        match self {
            Self::Packages => "PACKAGE UUID",
            Self::Services => "SERVICE UUID",
            Self::Functions => "FUNCTION UUID",
        }
    }
}

/// `sonata list|services|functions`: a table like tng-cli's, or the JSON array.
pub async fn list(
    gk: &Gatekeeper,
    collection: Collection,
    page: &Page,
    ui: Ui,
) -> Result<(), CliError> {
    let mut query = Vec::new();
    if let Some(size) = page.page_size {
        query.push(("page_size", size.to_string()));
    }
    if let Some(number) = page.page_number {
        query.push(("page_number", number.to_string()));
    }
    let (body, headers) = gk.get_json::<Value>(collection.path(), &query).await?;
    if ui.json {
        print_json(&body);
        return Ok(());
    }
    let records: Vec<CatalogueRecord> = serde_json::from_value(body)
        .map_err(|e| CliError::BadResponse(format!("the list is not of catalogue records: {e}")))?;
    print!("{}", table(collection, &records));
    let total = headers
        .get("Record-Count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(total) = total.filter(|t| *t > records.len()) {
        ui.info(format!(
            "{} of {total} shown (--page-size, --page-number)",
            records.len()
        ));
    }
    Ok(())
}

/// The table: uuid padded to 40; name and version cut to 18 and padded to 20; the creation
/// time cut to minutes with a space for the `T` (tng-cli's `package --list` layout).
/// Descriptor tables add the platform (`5gtango`, `osm`, `onap`) before the time.
pub fn table(collection: Collection, records: &[CatalogueRecord]) -> String {
    let descriptors = !matches!(collection, Collection::Packages);
    let platform_header = if descriptors { "PLATFORM" } else { "" };
    let mut out = row(
        collection.uuid_header(),
        "NAME",
        "VERSION",
        platform_header,
        "CREATED AT",
    );
    for record in records {
        let body = record.body.value();
        let field = |key: &str| cut(&identity_field(body, key).unwrap_or_else(|| "-".into()), 18);
        let platform = match descriptors {
            true => record.platform.as_deref().unwrap_or("-"),
            false => "",
        };
        out.push_str(&row(
            &record.uuid.to_string(),
            &field("name"),
            &field("version"),
            platform,
            &cut(&record.created_at.to_rfc3339(), 16).replace('T', " "),
        ));
    }
    out
}

fn row(uuid: &str, name: &str, version: &str, platform: &str, created: &str) -> String {
    let platform = match platform {
        "" => String::new(),
        p => format!("{p:<10}"),
    };
    let line = format!("{uuid:<40}{name:<20}{version:<20}{platform}{created}");
    format!("{}\n", line.trim_end())
}

/// `name` or `version` of a descriptor: a top-level key (5GTANGO, package descriptors), the
/// first entry of an OSM catalogue (`id` standing in for the name), or ONAP's `metadata`
/// (`template_name`, `template_version`), as the catalogue reads identities.
fn identity_field(body: &Value, key: &str) -> Option<String> {
    if let Some(value) = body.get(key) {
        return Some(text(value));
    }
    if let Some(meta) = body.get("metadata").and_then(Value::as_object) {
        return meta
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase().contains(key))
            .map(|(_, v)| text(v));
    }
    let inner = body
        .as_object()?
        .values()
        .next()?
        .as_object()?
        .values()
        .next()?;
    let first = match inner.as_array() {
        Some(items) => items.first()?,
        None => inner,
    };
    let fallback = if key == "name" { "id" } else { key };
    first.get(key).or_else(|| first.get(fallback)).map(text)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// `sonata get`: the package record as block YAML (or JSON).
pub async fn get(gk: &Gatekeeper, uuid: Uuid, ui: Ui) -> Result<(), CliError> {
    let (body, _) = gk
        .get_json::<Value>(&format!("/packages/{uuid}"), &[])
        .await?;
    if ui.json {
        print_json(&body);
        return Ok(());
    }
    let yaml = serde_saphyr::to_string(&body)
        .map_err(|e| CliError::BadResponse(format!("cannot render the record as YAML: {e}")))?;
    print!("{yaml}");
    if !yaml.ends_with('\n') {
        println!();
    }
    Ok(())
}

/// `sonata delete`: prints the uuid on 204.
pub async fn delete(gk: &Gatekeeper, uuid: Uuid, ui: Ui) -> Result<(), CliError> {
    let req = gk.request(Method::DELETE, &format!("/packages/{uuid}"), true);
    gk.send(req).await?;
    if ui.json {
        print_json(&serde_json::json!({ "deleted": uuid }));
    } else {
        println!("{uuid}");
    }
    ui.info(format!("deleted package {uuid}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_and_onap_descriptors_show_their_names() {
        let osm = serde_json::json!({"vnfd:vnfd-catalog": {"vnfd": [
            {"id": "hackfest1-vnf", "version": "1.0"}]}});
        assert_eq!(
            identity_field(&osm, "name").as_deref(),
            Some("hackfest1-vnf")
        );
        assert_eq!(identity_field(&osm, "version").as_deref(), Some("1.0"));
        let onap = serde_json::json!({"metadata": {"template_name": "vCPE_vgw",
            "template_version": 1.0}});
        assert_eq!(identity_field(&onap, "name").as_deref(), Some("vCPE_vgw"));
        assert_eq!(identity_field(&onap, "version").as_deref(), Some("1.0"));
        assert_eq!(identity_field(&serde_json::json!([]), "name"), None);
    }

    #[test]
    fn the_table_has_tng_cli_columns() {
        let record: CatalogueRecord = serde_json::from_value(serde_json::json!({
            "uuid": "7d0c6a4b-2a8e-4d4e-9d7b-2d6c6c1f0a11",
            "created_at": "2026-12-01T17:57:18.123Z", "updated_at": "2026-12-01T17:57:18Z",
            "md5": null, "status": "active",
            "pd": {"vendor": "eu.5gtango", "name": "a-rather-long-package-name", "version": "0.1"}
        }))
        .unwrap();
        let text = table(Collection::Packages, &[record]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "PACKAGE UUID                            NAME                VERSION             CREATED AT"
        );
        assert_eq!(
            lines[1],
            "7d0c6a4b-2a8e-4d4e-9d7b-2d6c6c1f0a11    a-rather-long-pack  0.1                 2026-12-01 17:57"
        );
    }
}
