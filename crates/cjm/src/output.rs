//! Writing results: to stdout, or to a file atomically (a temporary file in
//! the same directory, synced, then renamed), so a crash or an error never
//! leaves a half-written output.

use crate::input::io_reason;
use crate::CliError;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic_with(path, |file| file.write_all(bytes).map_err(|e| io_reason(&e)))
}

/// Writes to `path` atomically what `write` streams into the temporary
/// file (an `Err` is the reason, and leaves `path` as it was).
pub(crate) fn write_atomic_with<T>(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, String>,
) -> Result<T, CliError> {
    let shown = path.display();
    if path.is_dir() {
        return Err(CliError::usage(format!("`{shown}` is a directory; give a file name to write")));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| CliError::usage(format!("cannot write `{shown}`: {}", io_reason(&e)));
    let mut tmp = tempfile::Builder::new().prefix(".cjm-").suffix(".tmp").tempfile_in(dir).map_err(fail)?;
    let out = write(tmp.as_file_mut()).map_err(|why| CliError::usage(format!("cannot write `{shown}`: {why}")))?;
    tmp.as_file().sync_all().map_err(fail)?;
    match std::fs::metadata(path) {
        // Keep the permissions of a file we replace.
        Ok(meta) => {
            let _ = tmp.as_file().set_permissions(meta.permissions());
        }
        // A new file is readable by others, like any file an editor saves
        // (temporary files start as owner-only).
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
            }
        }
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    // The rename survives a crash once the directory is synced too.
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(fail)?;
    Ok(out)
}

/// Writes to `out` (atomically) or to stdout.
pub(crate) fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match out {
        Some(path) => write_atomic(path, bytes),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|_| stdout.flush()).or_else(|e| {
                // A closed pipe (`cjm … | head`) is not an error worth reporting.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(CliError::usage(format!("cannot write to standard output: {e}")))
                }
            })
        }
    }
}
