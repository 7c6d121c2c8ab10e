//! Reads a `file://` secret safely: the path is resolved (`..` and symlinks) and must still
//! lie inside `SECRET_FILE_DIR`; only a regular file of at most [`MAX_FILE_LEN`] bytes is
//! read, without blocking on FIFOs or devices, and within [`READ_TIMEOUT`].

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest secret file read (client secrets are short).
const MAX_FILE_LEN: u64 = 4096;

/// How long resolving and reading a secret file may take (a hung network file system must
/// not hold a login forever).
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The content of the file at `path`, which must resolve to a regular file inside `dir`.
/// The error is a reason for the log: it never holds the content.
pub(super) async fn read(dir: &Path, path: &str) -> Result<String, String> {
    let (dir, path) = (dir.to_path_buf(), PathBuf::from(path));
    let task = tokio::task::spawn_blocking(move || read_blocking(&dir, &path));
    match tokio::time::timeout(READ_TIMEOUT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("reading the file failed (task aborted)".to_owned()),
        Err(_) => Err(format!(
            "reading the file took longer than {} s",
            READ_TIMEOUT.as_secs()
        )),
    }
}

/// For a reference being saved: when the file already exists, it must resolve inside `dir`
/// to a regular file of at most [`MAX_FILE_LEN`] bytes. A file not there yet passes (it may
/// be provisioned later; reading it is checked again at login).
pub(super) async fn check_existing(dir: &Path, path: &str) -> Result<(), String> {
    let (dir, path) = (dir.to_path_buf(), PathBuf::from(path));
    let task = tokio::task::spawn_blocking(move || match resolve(&dir, &path) {
        Err(Unresolved::Missing) => Ok(()),
        Err(Unresolved::Refused(reason)) => Err(reason),
        Ok(_) => Ok(()),
    });
    match tokio::time::timeout(READ_TIMEOUT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) | Err(_) => Err("the file cannot be checked right now".to_owned()),
    }
}

/// Why a path did not resolve to a readable secret file.
enum Unresolved {
    /// The file (or a directory on its way) does not exist.
    Missing,
    /// Anything else, with the reason.
    Refused(String),
}

/// The canonical directory and file: the file inside the directory, a regular file of at
/// most [`MAX_FILE_LEN`] bytes.
fn resolve(dir: &Path, path: &Path) -> Result<(PathBuf, PathBuf), Unresolved> {
    let dir = std::fs::canonicalize(dir).map_err(|e| {
        Unresolved::Refused(format!("SECRET_FILE_DIR cannot be resolved ({})", e.kind()))
    })?;
    let resolved = std::fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Unresolved::Missing,
        kind => Unresolved::Refused(format!("the file cannot be resolved ({kind})")),
    })?;
    if !resolved.starts_with(&dir) || resolved == dir {
        return Err(Unresolved::Refused(outside()));
    }
    let metadata = std::fs::symlink_metadata(&resolved)
        .map_err(|e| Unresolved::Refused(format!("the file cannot be read ({})", e.kind())))?;
    check_regular(&metadata).map_err(Unresolved::Refused)?;
    Ok((dir, resolved))
}

fn outside() -> String {
    "the file resolves to a path outside SECRET_FILE_DIR (through a symlink or `..`)".to_owned()
}

fn read_blocking(dir: &Path, path: &Path) -> Result<String, String> {
    let (dir, resolved) = resolve(dir, path).map_err(|e| match e {
        Unresolved::Missing => "the file does not exist".to_owned(),
        Unresolved::Refused(reason) => reason,
    })?;
    let file = open(&resolved).map_err(|e| format!("the file cannot be opened ({})", e.kind()))?;
    check_regular(
        &file
            .metadata()
            .map_err(|e| format!("the file cannot be read ({})", e.kind()))?,
    )?;
    if opened_path(&file).is_some_and(|opened| !opened.starts_with(&dir)) {
        return Err(outside());
    }
    let mut content = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("the file cannot be read ({})", e.kind()))?;
    if content.len() as u64 > MAX_FILE_LEN {
        return Err(format!("the file is larger than {MAX_FILE_LEN} bytes"));
    }
    String::from_utf8(content).map_err(|_| "the file is not UTF-8 text".to_owned())
}

/// A regular file of at most [`MAX_FILE_LEN`] bytes (not a device, FIFO or directory).
fn check_regular(metadata: &std::fs::Metadata) -> Result<(), String> {
    if !metadata.is_file() {
        return Err("the path is not a regular file".to_owned());
    }
    if metadata.len() > MAX_FILE_LEN {
        return Err(format!("the file is larger than {MAX_FILE_LEN} bytes"));
    }
    Ok(())
}

/// Opens for reading without following a final symlink and without blocking on a FIFO that
/// was swapped in after the checks.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Where the opened file really is (Linux), so a directory swapped for a symlink between the
/// checks and the open is caught too.
#[cfg(target_os = "linux")]
fn opened_path(file: &std::fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd as _;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(not(target_os = "linux"))]
fn opened_path(_file: &std::fs::File) -> Option<PathBuf> {
    None
}
