//! `POST /upload` and `GET /content/{uid}`: attachments.
//!
//! Uploads (users of this node only) stream the multipart field `file` to a temporary file
//! under `<data_dir>/content/tmp/` while computing SHA-256 and MD5 and counting bytes; past
//! the configured limit the request ends with 413 and nothing is kept. The file is then
//! fsynced and renamed to `<data_dir>/content/<sha256>` (content-addressed: the same bytes
//! are stored once). Each upload gets a random 128-bit `uid`; its sanitised file name and
//! MIME type are metadata only, never part of a path. The URL is built from the configured
//! public base URL, never from the request's Host header.
//!
//! Downloads are **public**, as in the original: other participants' nodes and users fetch
//! attachments that transactions reference by URL, and they hold no account here. The uid
//! is an unguessable capability, and a download can never run in this origin: it is served
//! as an attachment with `nosniff`, `Content-Security-Policy: sandbox; default-src 'none'`,
//! and a Content-Type from an allow-list of inert formats (anything else, HTML and SVG
//! included, as `application/octet-stream`).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use md5::Md5;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use super::error::{ApiError, ApiPath, ErrorBody};
use super::files::{clean_mime, content_disposition, guess_mime, sanitize_filename, served_type};
use super::users::User;
use super::ApiState;
use crate::storage::UploadRecord;

/// Room for the multipart framing around the file, on top of the size limit.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// What an upload returns.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UploadResult {
    /// `<public base URL>/content/<uid>`.
    pub url: String,
    pub md5: String,
    pub sha256: String,
    /// The sanitised file name.
    pub filename: String,
    pub size: u64,
    pub mime_type: String,
}

/// Multipart form of `POST /upload` (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("The file is larger than the limit of {limit} bytes."),
    )
}

fn multipart_error(e: &MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::bad_request("invalid_multipart", e.body_text())
    }
}

/// Uploads a file (multipart field `file`).
#[utoipa::path(
    post, path = "/upload", tag = "content",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = UploadResult),
        (status = 400, description = "No `file` field / bad multipart", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, description = "Larger than the configured limit", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
    ),
    security(("basic" = []), ("session" = []))
)]
pub async fn upload(
    State(state): State<ApiState>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<UploadResult>, ApiError> {
    let limit = state.settings.upload_max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(limit));
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Expected multipart/form-data with a `file` field: {}",
                e.body_text()
            ),
        )
    })?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e, limit))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let filename = sanitize_filename(field.file_name().unwrap_or_default());
        let mime_type = field
            .content_type()
            .and_then(clean_mime)
            .filter(|m| m != "application/octet-stream")
            .unwrap_or_else(|| guess_mime(&filename).to_owned());
        let stored = store(&state.settings.data_dir, field, limit).await?;
        let mut uid = [0u8; 16];
        OsRng.fill_bytes(&mut uid);
        let record = UploadRecord {
            uid: hex::encode(uid),
            sha256: stored.sha256,
            md5: stored.md5,
            filename,
            mime_type,
            size: stored.size,
            uploaded_by: Some(user.id),
            created_at_ms: state.now_ms(),
        };
        state.db.insert_upload(&record).await?;
        tracing::info!(uid = %record.uid, size = record.size, user = %user.username, "file uploaded");
        return Ok(Json(UploadResult {
            url: state
                .settings
                .public_url
                .join_path(&format!("/content/{}", record.uid)),
            md5: record.md5,
            sha256: record.sha256,
            filename: record.filename,
            size: record.size,
            mime_type: record.mime_type,
        }));
    }
    Err(ApiError::bad_request("missing_file", "Expected file value"))
}

struct Stored {
    sha256: String,
    md5: String,
    size: u64,
}

/// Removes the temporary file unless it was renamed into place.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::internal(&e)
}

/// The content directory of a data directory.
pub fn content_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("content")
}

async fn store(data_dir: &Path, mut field: Field<'_>, limit: u64) -> Result<Stored, ApiError> {
    let dir = content_dir(data_dir);
    let tmp_dir = dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir)
        .await
        .map_err(io_error)?;
    let mut name = [0u8; 16];
    OsRng.fill_bytes(&mut name);
    let tmp_path = tmp_dir.join(hex::encode(name));
    let mut guard = TempFile(Some(tmp_path.clone()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .await
        .map_err(io_error)?;
    let (mut sha, mut md5, mut size) = (Sha256::new(), Md5::new(), 0u64);
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_error(&e, limit))?
    {
        size = size.saturating_add(chunk.len() as u64);
        if size > limit {
            return Err(too_large(limit));
        }
        sha.update(&chunk);
        md5.update(&chunk);
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    let sha256 = hex::encode(sha.finalize());
    let final_path = dir.join(&sha256);
    if tokio::fs::try_exists(&final_path).await.unwrap_or(false) {
        // The same bytes are already stored; the guard removes the copy.
    } else {
        tokio::fs::rename(&tmp_path, &final_path)
            .await
            .map_err(io_error)?;
        guard.0 = None;
    }
    Ok(Stored {
        sha256,
        md5: hex::encode(md5.finalize()),
        size,
    })
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Downloads an uploaded file (public; see the module docs).
#[utoipa::path(
    get, path = "/content/{uid}", tag = "content",
    params(("uid" = String, Path, description = "32 lower-case hex characters")),
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn content(
    State(state): State<ApiState>,
    ApiPath(uid): ApiPath<String>,
) -> Result<Response, ApiError> {
    if !is_hex(&uid, 32) {
        return Err(ApiError::not_found());
    }
    let record = state
        .db
        .upload(&uid)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !is_hex(&record.sha256, 64) {
        return Err(ApiError::internal(&"stored sha256 is not hex"));
    }
    let path = content_dir(&state.settings.data_dir).join(&record.sha256);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(uid = %uid, "uploaded file is missing from the content directory");
            return Err(ApiError::not_found());
        }
        Err(e) => return Err(io_error(e)),
    };
    let length = file.metadata().await.map_err(io_error)?.len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|e| ApiError::internal(&e));
    h.insert(header::CONTENT_TYPE, value(served_type(&record.mime_type))?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(&record.filename))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=0"),
    );
    h.insert(header::ETAG, value(&format!("\"{}\"", record.sha256))?);
    Ok(response)
}
