//! `sonata download`: stream a package's `.tgo` to disk, then check its length and digest.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use indicatif::ProgressBar;
use reqwest::{header, Method, Response};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use uuid::Uuid;

use crate::args::Download;
use crate::client::Gatekeeper;
use crate::error::CliError;
use crate::ui::{self, Ui};

/// What was written.
struct Written {
    bytes: u64,
    sha256: String,
}

pub async fn download(gk: &Gatekeeper, args: &Download, ui: Ui) -> Result<(), CliError> {
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if let Some(path) = args.output.as_deref().filter(|_| !to_stdout) {
        refuse_overwrite(path, args.force)?;
    }
    let path = format!("/packages/{}/package-file", args.uuid);
    let res = gk.send(gk.request(Method::GET, &path, false)).await?;
    let expected = res.content_length();
    let digest = etag_sha256(&res);
    if to_stdout {
        let written = copy_to_stdout(gk, res).await?;
        return check(&written, expected, digest.as_deref());
    }
    let target = match &args.output {
        Some(path) => path.clone(),
        None => {
            let target = PathBuf::from(server_file_name(&res, args.uuid));
            refuse_overwrite(&target, args.force)?;
            target
        }
    };
    let written = to_file(gk, res, &target, expected, digest.as_deref(), ui).await?;
    println!("{}", target.display());
    ui.info(format!(
        "downloaded {} to {} (sha256 {})",
        ui::bytes(written.bytes),
        target.display(),
        written.sha256
    ));
    Ok(())
}

fn refuse_overwrite(path: &Path, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::Usage(format!(
            "{} exists; use --force to overwrite it",
            path.display()
        )));
    }
    Ok(())
}

/// Streams into `<dir>/.<name>.part`, checks, then renames onto `target`.
async fn to_file(
    gk: &Gatekeeper,
    res: Response,
    target: &Path,
    expected: Option<u64>,
    digest: Option<&str>,
    ui: Ui,
) -> Result<Written, CliError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    let part = target.with_file_name(format!(".{name}.part"));
    let local =
        |e: std::io::Error| CliError::Local(format!("cannot write {}: {e}", part.display()));
    let mut file = tokio::fs::File::create(&part).await.map_err(local)?;
    let bar = ui.bytes_bar(expected, &format!("downloading {name}"));
    let result = async {
        let written = copy(gk, res, &mut file, &bar, &local).await?;
        file.sync_all().await.map_err(local)?;
        check(&written, expected, digest)?;
        tokio::fs::rename(&part, target).await.map_err(|e| {
            CliError::Local(format!(
                "cannot move the download to {}: {e}",
                target.display()
            ))
        })?;
        Ok(written)
    }
    .await;
    bar.finish_and_clear();
    if result.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    result
}

async fn copy_to_stdout(gk: &Gatekeeper, res: Response) -> Result<Written, CliError> {
    let local = |e: std::io::Error| CliError::Local(format!("cannot write to stdout: {e}"));
    copy(
        gk,
        res,
        &mut tokio::io::stdout(),
        &ProgressBar::hidden(),
        &local,
    )
    .await
}

/// Streams the body into `out`, counting and hashing it.
async fn copy<W: AsyncWrite + Unpin>(
    gk: &Gatekeeper,
    res: Response,
    out: &mut W,
    bar: &ProgressBar,
    local: &dyn Fn(std::io::Error) -> CliError,
) -> Result<Written, CliError> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| gk.transport(&e))?;
        out.write_all(&chunk).await.map_err(local)?;
        hasher.update(&chunk);
        bytes += chunk.len() as u64;
        bar.inc(chunk.len() as u64);
    }
    out.flush().await.map_err(local)?;
    Ok(Written {
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The byte count against `Content-Length`, the digest against a sha256 `ETag`.
fn check(written: &Written, expected: Option<u64>, digest: Option<&str>) -> Result<(), CliError> {
    if let Some(expected) = expected.filter(|e| *e != written.bytes) {
        return Err(CliError::BadResponse(format!(
            "incomplete download: {} of {expected} bytes",
            written.bytes
        )));
    }
    if let Some(digest) = digest.filter(|d| *d != written.sha256) {
        return Err(CliError::BadResponse(format!(
            "download corrupted: sha256 {} but the server's ETag says {digest}",
            written.sha256
        )));
    }
    Ok(())
}

/// The `ETag` when it is a sha256 in hex (as the catalogue sends it).
fn etag_sha256(res: &Response) -> Option<String> {
    let tag = res.headers().get(header::ETAG)?.to_str().ok()?;
    let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
    (tag.len() == 64 && tag.bytes().all(|b| b.is_ascii_hexdigit())).then(|| tag.to_lowercase())
}

/// The `filename` of `Content-Disposition`, reduced to a safe base name; `<uuid>.tgo` otherwise.
fn server_file_name(res: &Response, uuid: Uuid) -> String {
    res.headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(disposition_file_name)
        .unwrap_or_else(|| format!("{uuid}.tgo"))
}

pub fn disposition_file_name(value: &str) -> Option<String> {
    let raw = value.split(';').map(str::trim).find_map(|param| {
        let (key, v) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| v.trim().trim_matches('"').replace("\\\"", "\""))
    })?;
    let base = raw.rsplit(['/', '\\']).next()?.trim();
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim_start_matches('.');
    (!clean.is_empty()).then(|| clean.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_comes_from_content_disposition_and_cannot_escape() {
        for (header, name) in [
            (
                "attachment; filename=\"eu.x.ns.0.1.tgo\"",
                Some("eu.x.ns.0.1.tgo"),
            ),
            ("attachment; filename=p.tgo", Some("p.tgo")),
            ("attachment; FileName=\"../../etc/passwd\"", Some("passwd")),
            ("attachment; filename=\"..\"", None),
            ("attachment; filename=\"C:\\\\x\\\\y.tgo\"", Some("y.tgo")),
            ("attachment", None),
        ] {
            assert_eq!(disposition_file_name(header).as_deref(), name, "{header}");
        }
    }

    #[test]
    fn a_short_or_altered_download_is_refused() {
        let written = Written {
            bytes: 3,
            sha256: "ab".repeat(32),
        };
        assert!(check(&written, Some(3), Some(&"ab".repeat(32))).is_ok());
        assert!(check(&written, None, None).is_ok());
        assert!(check(&written, Some(4), None).is_err());
        assert!(check(&written, Some(3), Some(&"cd".repeat(32))).is_err());
    }
}
