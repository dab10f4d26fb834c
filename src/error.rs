//! Library errors. A config error names the file, the line and the problem.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}:{line}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },

    // The cause is the error's `source`, not part of its message: the CLI
    // prints the chain ("cannot read X: No such file or directory"), and a
    // message that held it too printed it twice.
    #[error("cannot read {}", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("cannot write {}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("cannot write table {table}: {message}")]
    Table { table: String, message: String },

    #[error("aggregation failed: {0}")]
    Aggregate(String),

    #[error("input folder {} does not exist or is not a folder", .0.display())]
    NoInput(PathBuf),

    #[error("another hoinghi run is using this output folder ({holder}; lock {}): try again later, or pass --wait", path.display())]
    Locked { path: PathBuf, holder: String },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Maps an I/O error met while reading `path`.
    pub fn reading(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
        move |source| Error::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Maps an I/O error met while writing `path`.
    pub fn writing(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
        move |source| Error::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A config error at a byte offset of a file's text.
    pub fn config_at(path: &std::path::Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        Error::Config {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}
