//! Files and directories the tool creates, readable by their owner only, whatever the umask:
//! the database, reports, exports, templates and spools hold what was said in an outage. The
//! one place that creates them, so none is left to the umask (0644, or 0666 under umask 000).

use std::fs::{File, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of every file created.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory created.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and any missing parents as 0700; directories already there are left as
/// they are (a home or a shared directory is not ours to change).
pub fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates a new file (failing if it exists) as 0600. The mode is set again on the open file:
/// the umask can only take bits away at creation, never add the owner's back.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// A temporary name beside `path`, hidden, unique to this process.
pub fn beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp{}", std::process::id()))
}

/// What failed while writing a file whole: writing it, or putting it in place.
#[derive(Debug)]
pub struct WriteFailed {
    pub action: &'static str,
    pub source: std::io::Error,
}

/// Writes `bytes` beside `path` as 0600 and renames over it, so a reader never sees half a
/// file and a file replaced ends up 0600 too. Nothing is left behind on failure.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), WriteFailed> {
    let tmp = beside(path);
    let fail = |action: &'static str, source: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        WriteFailed { action, source }
    };
    // A temporary file of ours left by a killed run: ours to replace.
    let _ = std::fs::remove_file(&tmp);
    let mut file = create_new(&tmp).map_err(|e| fail("write", e))?;
    file.write_all(bytes).map_err(|e| fail("write", e))?;
    file.sync_all().map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn files_are_0600_and_directories_0700_and_a_replaced_file_too() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        create_dir_all(&deep).unwrap();
        for d in [dir.path().join("a"), deep.clone()] {
            assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        }
        let report = deep.join("postmortem-12.md");
        std::fs::write(&report, "old").unwrap();
        std::fs::set_permissions(&report, Permissions::from_mode(0o644)).unwrap();
        write_whole(&report, b"# Post-mortem\r\n").unwrap();
        assert_eq!(std::fs::read(&report).unwrap(), b"# Post-mortem\r\n");
        assert_eq!(std::fs::metadata(&report).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::read_dir(&deep).unwrap().count(),
            1,
            "no temporary left"
        );
        let err = write_whole(&dir.path().join("missing/x.md"), b"x").unwrap_err();
        assert_eq!(err.action, "write");
    }
}
