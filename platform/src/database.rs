//! PostgreSQL databases for the catalogue and the gatekeeper: create them when missing (the
//! services run their migrations but do not create their database), and drop them (tests).

use anyhow::Context;
use reqwest::Url;
use sqlx::{Connection, PgConnection};

/// `postgres://` or `postgresql://`.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `postgres://host/sonata` + `catalogue` → `postgres://host/sonata_catalogue`; a URL without a
/// database gives `sonata_catalogue`.
pub fn with_suffix(url: &str, suffix: &str) -> anyhow::Result<String> {
    let (_, name) = split(url)?;
    let base = if name.is_empty() { "sonata" } else { &name };
    with_database(url, &format!("{base}_{suffix}"))
}

/// The same server and credentials, another database.
pub fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let mut parsed = Url::parse(url).with_context(|| format!("not a URL: {url:?}"))?;
    parsed.set_path(&format!("/{database}"));
    Ok(parsed.into())
}

/// Creates the database named by `url` unless it exists. Returns whether it was created.
pub async fn ensure_database(url: &str) -> anyhow::Result<bool> {
    let (admin, name) = split(url)?;
    let mut conn = connect(&admin).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating database {name:?}"))?;
    Ok(true)
}

/// Drops the database named by `url`, closing other sessions on it first.
pub async fn drop_database(url: &str) -> anyhow::Result<()> {
    let (admin, name) = split(url)?;
    let mut conn = connect(&admin).await?;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(&name)
    ))
    .execute(&mut conn)
    .await
    .with_context(|| format!("dropping database {name:?}"))?;
    Ok(())
}

async fn connect(admin_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot reach PostgreSQL at {}", redact(admin_url)))
}

/// The maintenance database's URL (`/postgres`) and the database name of `url`.
fn split(url: &str) -> anyhow::Result<(String, String)> {
    anyhow::ensure!(is_postgres(url), "not a postgres:// URL: {}", redact(url));
    let parsed = Url::parse(url).with_context(|| format!("not a URL: {}", redact(url)))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    Ok((with_database(url, "postgres")?, name))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.into()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_name_one_database_per_service() {
        assert_eq!(
            with_suffix("postgres://postgres@127.0.0.1:5432/sonata", "catalogue").unwrap(),
            "postgres://postgres@127.0.0.1:5432/sonata_catalogue"
        );
        assert_eq!(
            with_suffix("postgres://u:p@db:5432", "gatekeeper").unwrap(),
            "postgres://u:p@db:5432/sonata_gatekeeper"
        );
    }

    #[test]
    fn split_points_at_the_maintenance_database() {
        let (admin, name) = split("postgresql://a@h:1/x_y?sslmode=disable").unwrap();
        assert_eq!(admin, "postgresql://a@h:1/postgres?sslmode=disable");
        assert_eq!(name, "x_y");
        assert!(split("sqlite://data/x.db").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
    }
}
