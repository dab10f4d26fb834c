//! Stage 1, ingest: walk the input root, read each file, hash it, tell its format.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{stable_id, Format, SourceDocument};

/// A file found under the input root, not yet read.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub source: String,
    pub size: u64,
}

/// Lists the files under `root` in a stable order (by path), skipping hidden ones.
pub fn discover(root: &Path) -> Result<Vec<InputFile>> {
    if !root.is_dir() {
        return Err(Error::NoInput(root.to_path_buf()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // An unreadable folder entry: reported as a file that cannot be read.
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let source = relative(root, &path);
                files.push(InputFile {
                    path,
                    source,
                    size: 0,
                });
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') && entry.depth() > 0 {
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        let path = entry.path().to_path_buf();
        files.push(InputFile {
            source: relative(root, &path),
            path,
            size,
        });
    }
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn format_of(source: &str) -> Option<Format> {
    let lower = source.to_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    match ext {
        "txt" | "text" => Some(Format::Txt),
        "html" | "htm" => Some(Format::Html),
        "jsonl" => Some(Format::Jsonl),
        _ => None,
    }
}

fn hash_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one file. Never fails: what cannot be read comes back `rejected`.
pub fn read(file: &InputFile, max_bytes: u64) -> SourceDocument {
    let doc_id = stable_id(&[&file.source]);
    let format = format_of(&file.source).unwrap_or(Format::Txt);
    let mut doc = SourceDocument {
        doc_id,
        source: file.source.clone(),
        format,
        content_sha256: String::new(),
        bytes: Vec::new(),
        rejected: None,
    };
    if file.size > max_bytes {
        doc.content_sha256 = hash_file(&file.path).unwrap_or_default();
        doc.rejected = Some(format!(
            "the file is {} bytes, above the limit of {} bytes (input.max_file_bytes)",
            file.size, max_bytes
        ));
        return doc;
    }
    let mut bytes = Vec::with_capacity(file.size as usize);
    match std::fs::File::open(&file.path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => {
            doc.content_sha256 = hash_hex(&bytes);
            doc.bytes = bytes;
        }
        Err(e) => {
            doc.content_sha256 = hash_hex(b"");
            doc.rejected = Some(format!("the file could not be read: {e}"));
            return doc;
        }
    }
    if format_of(&file.source).is_none() {
        let ext = file.source.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        doc.rejected = Some(if ext.is_empty() {
            "the file has no extension; pages must be .txt, .html, .htm or .jsonl".to_string()
        } else {
            format!("the file type .{ext} is not a page format hoinghi reads (.txt, .html, .htm, .jsonl)")
        });
    } else if format != Format::Txt {
        doc.rejected = Some(format!(
            "{} pages are not read yet by this version; save the page as text",
            format.as_str()
        ));
    }
    doc
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_in_stable_order_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.txt"), "Hội nghị").unwrap();
        std::fs::write(dir.path().join("a.txt"), "Đảng ủy").unwrap();
        std::fs::write(dir.path().join("sub/c.txt"), "xã").unwrap();
        std::fs::write(dir.path().join(".hidden"), "x").unwrap();
        let files = discover(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.source.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.txt", "sub/c.txt"]);
        let d = read(&files[0], 1000);
        assert_eq!(d.bytes, "Đảng ủy".as_bytes());
        assert_eq!(d.content_sha256.len(), 64);
        assert_eq!(d.doc_id, stable_id(&["a.txt"]));
        assert!(d.rejected.is_none());
    }

    #[test]
    fn rejects_large_and_unknown_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.txt"), "x".repeat(100)).unwrap();
        std::fs::write(dir.path().join("photo.png"), [0x89, b'P', b'N', b'G']).unwrap();
        let files = discover(dir.path()).unwrap();
        let big = read(&files[0], 10);
        assert!(big.rejected.unwrap().contains("above the limit of 10 bytes"));
        let png = read(&files[1], 1000);
        assert!(png.rejected.unwrap().contains(".png is not a page format"));
    }

    #[test]
    fn missing_root_is_an_error() {
        assert!(matches!(
            discover(Path::new("/no/such/folder")),
            Err(Error::NoInput(_))
        ));
    }
}
