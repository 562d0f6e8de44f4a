//! The data-directory lock: one `tmtm` process per data directory. `tmtm serve` and
//! `tmtm demo` hold an exclusive advisory lock (`flock`/`LockFileEx` via `fs4`) on
//! `<data_dir>/.lock` while they run, so a second process on the same directory stops at once
//! with "data directory X is in use by another tmtm process" instead of sharing the
//! database, key store and outbox. The operating system releases the lock when the process
//! ends, however it ends, so a stale lock file never blocks a restart.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt as _;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = ".lock";

/// Why the data directory could not be locked.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error("data directory {} is in use by another tmtm process", .0.display())]
    InUse(PathBuf),
    /// The lock file could not be opened or locked.
    #[error("cannot lock data directory {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the exclusive lock on `<dir>/.lock` (creating the file), without waiting.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let io_err = |source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err)?;
    match file.try_lock_exclusive() {
        Ok(true) => Ok(DataDirLock { _file: file }),
        Ok(false) => Err(LockError::InUse(dir.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(LockError::InUse(dir.to_path_buf())),
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_data_dir(dir.path()).unwrap();
        let err = lock_data_dir(dir.path()).unwrap_err();
        assert!(matches!(err, LockError::InUse(_)));
        assert!(err
            .to_string()
            .contains("is in use by another tmtm process"));
        drop(first);
        assert!(lock_data_dir(dir.path()).is_ok());
    }
}
