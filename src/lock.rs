//! One run at a time per output folder. The lock is an OS file lock on
//! `OUT/state/lock` (`File::try_lock`): the operating system drops it when the
//! holding process dies, `kill -9` included, so a lock left by a dead run is
//! taken over without guessing. The file also records who holds it, for the
//! message a second run prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Held for the life of a run; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    pub path: PathBuf,
    /// A previous holder had died without cleaning up: its note, if any.
    pub took_over: Option<String>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn holder_note(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut s);
    s.trim().to_string()
}

/// Takes the lock of an output folder. With `wait`, waits for the current
/// holder to finish (up to `max_wait`); without, fails at once with
/// [`Error::Locked`].
pub fn acquire(out: &Path, wait: bool, max_wait: Duration) -> Result<RunLock> {
    let dir = out.join("state");
    std::fs::create_dir_all(&dir).map_err(Error::writing(&dir))?;
    let path = dir.join("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::writing(&path))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                if !wait || started.elapsed() >= max_wait {
                    return Err(Error::Locked {
                        path,
                        holder: holder_note(&mut file),
                    });
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(TryLockError::Error(source)) => return Err(Error::Write { path, source }),
        }
    }
    // A note left behind means its writer died holding the lock.
    let previous = holder_note(&mut file);
    let took_over = (!previous.is_empty()).then_some(previous);
    let note = format!(
        "pid {} since {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    let write = |f: &mut File| -> std::io::Result<()> {
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(note.as_bytes())?;
        f.sync_all()
    };
    write(&mut file).map_err(Error::writing(&path))?;
    Ok(RunLock {
        file,
        path,
        took_over,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_then_admitted() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), false, Duration::ZERO).unwrap();
        assert!(first.took_over.is_none());
        match acquire(dir.path(), false, Duration::ZERO) {
            Err(Error::Locked { holder, .. }) => {
                assert!(holder.contains(&format!("pid {}", std::process::id())))
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        let again = acquire(dir.path(), false, Duration::ZERO).unwrap();
        // A clean release leaves no note, so nothing was taken over.
        assert!(again.took_over.is_none());
    }

    #[test]
    fn waiting_gives_up_after_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let _first = acquire(dir.path(), false, Duration::ZERO).unwrap();
        let t = Instant::now();
        assert!(matches!(
            acquire(dir.path(), true, Duration::from_millis(500)),
            Err(Error::Locked { .. })
        ));
        assert!(t.elapsed() >= Duration::from_millis(500));
    }
}
