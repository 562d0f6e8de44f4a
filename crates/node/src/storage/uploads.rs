//! The `uploads` table (migration 0003): one row per upload (random uid → SHA-256 of the
//! bytes, MD5, sanitised file name, declared MIME type, size, uploader). The bytes are stored
//! once per SHA-256 under `<data_dir>/content/` by `api::uploads`.

use super::error::{check_text, to_i64, to_u64};
use super::row::Cols;
use super::{Database, StorageError};

/// Metadata of one upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    /// Random public id (the `/content/{uid}` path segment).
    pub uid: String,
    /// Lower-case hex SHA-256 of the bytes (the file name under `content/`).
    pub sha256: String,
    /// Lower-case hex MD5 of the bytes (the original API's checksum).
    pub md5: String,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    pub uploaded_by: Option<i64>,
    pub created_at_ms: i64,
}

impl Database {
    /// Stores the metadata of an upload.
    pub async fn insert_upload(&self, upload: &UploadRecord) -> Result<(), StorageError> {
        for (field, value) in [
            ("uid", &upload.uid),
            ("filename", &upload.filename),
            ("mime type", &upload.mime_type),
        ] {
            check_text(field, value)?;
        }
        let size = to_i64("size", upload.size)?;
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO uploads (uid, sha256, md5, filename, mime_type, size, uploaded_by, \
                 created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&upload.uid)
            .bind(&upload.sha256)
            .bind(&upload.md5)
            .bind(&upload.filename)
            .bind(&upload.mime_type)
            .bind(size)
            .bind(upload.uploaded_by)
            .bind(upload.created_at_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The upload with this uid.
    pub async fn upload(&self, uid: &str) -> Result<Option<UploadRecord>, StorageError> {
        check_text("uid", uid)?;
        on_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT uid, sha256, md5, filename, mime_type, size, uploaded_by, created_at_ms \
                 FROM uploads WHERE uid = $1",
            )
            .bind(uid)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    use sqlx::Row;
                    Ok(Some(UploadRecord {
                        uid: row.text("uid")?,
                        sha256: row.text("sha256")?,
                        md5: row.text("md5")?,
                        filename: row.text("filename")?,
                        mime_type: row.text("mime_type")?,
                        size: to_u64("size", row.int("size")?)?,
                        uploaded_by: row.try_get::<Option<i64>, _>("uploaded_by")?,
                        created_at_ms: row.int("created_at_ms")?,
                    }))
                }
            }
        })
    }
}
