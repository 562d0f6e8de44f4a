//! [`Cols`]: typed column reads by name that work on rows of both backends, so row decoding
//! is written once (each backend's row type implements it through the same macro).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::StorageError;

/// Column reads by name, in the few types the schema uses.
pub(crate) trait Cols {
    fn text(&self, column: &str) -> Result<String, StorageError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StorageError>;
    fn int(&self, column: &str) -> Result<i64, StorageError>;
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StorageError>;
}

macro_rules! impl_cols {
    ($row:ty) => {
        impl Cols for $row {
            fn text(&self, column: &str) -> Result<String, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StorageError> {
                Ok(self.try_get(column)?)
            }
            fn bytes(&self, column: &str) -> Result<Vec<u8>, StorageError> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

impl_cols!(SqliteRow);
impl_cols!(PgRow);
