//! A folder written in hiding, `<parent>/.tmp-<name>`, and renamed to
//! `<parent>/<name>` only once complete. Dropped before that (an error, a full
//! disk), it deletes itself; a run killed half-way leaves only hidden
//! folders, which the next run deletes (see [`is_leftover`]).

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const HIDDEN: &str = ".tmp-";

/// Whether a folder name is one a staging folder left behind.
pub fn is_leftover(name: &str) -> bool {
    name.starts_with(HIDDEN)
}

pub struct StagingDir {
    tmp: PathBuf,
    dst: PathBuf,
    done: bool,
}

impl StagingDir {
    /// Creates `<parent>/.tmp-<name>` afresh (and `parent` if need be).
    pub fn create(parent: &Path, name: &str) -> Result<StagingDir> {
        let tmp = parent.join(format!("{HIDDEN}{name}"));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(Error::writing(&tmp))?;
        }
        fs::create_dir_all(&tmp).map_err(Error::writing(&tmp))?;
        Ok(StagingDir {
            dst: parent.join(name),
            tmp,
            done: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the folder into place; returns where it is now.
    pub fn commit(mut self) -> Result<PathBuf> {
        fs::rename(&self.tmp, &self.dst).map_err(Error::writing(&self.dst))?;
        self.done = true;
        Ok(std::mem::take(&mut self.dst))
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_or_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let s = StagingDir::create(dir.path(), "a").unwrap();
        fs::write(s.path().join("f"), "x").unwrap();
        assert!(is_leftover(&s.path().file_name().unwrap().to_string_lossy()));
        let at = s.commit().unwrap();
        assert_eq!(at, dir.path().join("a"));
        assert_eq!(fs::read_to_string(at.join("f")).unwrap(), "x");
        let s = StagingDir::create(dir.path(), "b").unwrap();
        let tmp = s.path().to_path_buf();
        drop(s);
        assert!(!tmp.exists() && !dir.path().join("b").exists());
    }
}
