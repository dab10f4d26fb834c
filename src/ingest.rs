//! Stage 1, ingest: walk the input root, read each file, hash it, tell its format.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::{BodyFormat, JsonlFields};
use crate::error::{Error, Result};
use crate::model::{stable_id, Format, RecordMeta, SourceDocument};

/// A file found under the input root, not yet read.
#[derive(Debug, Clone)]
pub struct InputFile {
    path: PathBuf,
    /// The path under the input root, with `/` between folders.
    pub source: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (0 when unknown).
    pub mtime_ns: i64,
}

impl InputFile {
    /// The file at `path`, known as `source`.
    pub fn new(path: PathBuf, source: String, size: u64, mtime_ns: i64) -> InputFile {
        InputFile {
            path,
            source,
            size,
            mtime_ns,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A file's facts in a file of records (a run's plan).
impl crate::spill::Codec for InputFile {
    fn encode(&self, e: &mut crate::spill::Encoder) {
        e.str(&self.source);
        e.u64(self.size);
        e.i64(self.mtime_ns);
        e.bytes(&path_bytes(&self.path));
    }

    fn decode(d: &mut crate::spill::Decoder) -> std::result::Result<InputFile, crate::spill::DecodeError> {
        let source = d.str()?;
        let (size, mtime_ns) = (d.u64()?, d.i64()?);
        let path = path_from_bytes(d.bytes()?);
        Ok(InputFile::new(path, source, size, mtime_ns))
    }
}

/// A path as bytes: exactly on Unix, where a name need not be UTF-8.
#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()).to_vec()
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b))
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

fn mtime_ns(m: &std::fs::Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Lists the files under `root` in a stable order (by path), skipping hidden ones.
pub fn discover(root: &Path) -> Result<Vec<InputFile>> {
    Ok(walk(root)?.collect())
}

/// The files under `root` in [`discover`]'s order, one at a time: a walk holds
/// one folder's names, not the whole tree's.
pub fn walk(root: &Path) -> Result<impl Iterator<Item = InputFile>> {
    if !root.is_dir() {
        return Err(Error::NoInput(root.to_path_buf()));
    }
    let root = root.to_path_buf();
    let entries = walkdir::WalkDir::new(&root)
        .follow_links(true)
        .sort_by_file_name();
    Ok(entries.into_iter().filter_map(move |entry| {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // An unreadable folder entry: reported as a file that cannot be read.
                let path = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                let source = relative(&root, &path);
                return Some(InputFile::new(path, source, 0, 0));
            }
        };
        let name = entry.file_name().to_string_lossy();
        if (name.starts_with('.') && entry.depth() > 0) || !entry.file_type().is_file() {
            return None;
        }
        let meta = entry.metadata().ok();
        let size = meta.as_ref().map_or(0, |m| m.len());
        let mtime = meta.as_ref().map_or(0, mtime_ns);
        let path = entry.path().to_path_buf();
        let source = relative(&root, &path);
        Some(InputFile::new(path, source, size, mtime))
    }))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Compression of a file, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

fn compression_of(bytes: &[u8]) -> Option<Compression> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// The name without a compression suffix: "page.html.gz" -> "page.html".
fn inner_name(source: &str) -> &str {
    let lower = source.to_lowercase();
    for suffix in [".gz", ".gzip", ".zst", ".zstd"] {
        if lower.ends_with(suffix) {
            return &source[..source.len() - suffix.len()];
        }
    }
    source
}

/// The page format a file name says, looking through .gz / .zst suffixes.
pub fn format_of(source: &str) -> Option<Format> {
    let lower = inner_name(source).to_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or("");
    match ext {
        "txt" | "text" => Some(Format::Txt),
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        _ => None,
    }
}

fn hash_hex(bytes: &[u8]) -> String {
    crate::model::hex(&Sha256::digest(bytes))
}

/// Decompresses at most `limit` bytes; more is an error a person understands.
fn decompress(bytes: &[u8], kind: Compression, limit: u64) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let name = if kind == Compression::Gzip { "gzip" } else { "zstd" };
    let result = match kind {
        Compression::Gzip => flate2::read::MultiGzDecoder::new(bytes)
            .take(limit + 1)
            .read_to_end(&mut out),
        Compression::Zstd => match zstd::stream::read::Decoder::new(bytes) {
            Ok(d) => d.take(limit + 1).read_to_end(&mut out),
            Err(e) => Err(e),
        },
    };
    match result {
        Err(e) => Err(format!(
            "the file looks {name}-compressed but does not decompress: {e}"
        )),
        Ok(_) if out.len() as u64 > limit => Err(format!(
            "the file decompresses to more than the limit of {limit} bytes (input.max_file_bytes)"
        )),
        Ok(_) => Ok(out),
    }
}

/// How ingest reads files.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    pub max_file_bytes: u64,
    pub jsonl: JsonlFields,
}

impl Default for ReadSettings {
    fn default() -> Self {
        ReadSettings {
            max_file_bytes: 5_000_000,
            jsonl: JsonlFields::default(),
        }
    }
}

fn document(source: String, format: Format, content_sha256: String) -> SourceDocument {
    SourceDocument {
        doc_id: stable_id(&[&source]),
        source,
        format,
        content_sha256,
        bytes: Vec::new(),
        rejected: None,
        record: None,
    }
}

/// Reads one file into its documents (one, or one per line of a `.jsonl`
/// dump). Never fails: what cannot be read comes back `rejected`.
pub fn read(file: &InputFile, settings: &ReadSettings) -> Vec<SourceDocument> {
    read_hashed(file, settings).0
}

/// [`read`], with the SHA-256 of the file's bytes as stored (empty when the
/// file could not be read), so that a new file need not be read twice.
pub fn read_hashed(file: &InputFile, settings: &ReadSettings) -> (Vec<SourceDocument>, String) {
    let mut file_hash = String::new();
    let docs = read_file(file, settings, &mut file_hash);
    (docs, file_hash)
}

fn read_file(file: &InputFile, settings: &ReadSettings, file_hash: &mut String) -> Vec<SourceDocument> {
    let max_bytes = settings.max_file_bytes;
    let format = format_of(&file.source).unwrap_or(Format::Txt);
    let mut doc = document(file.source.clone(), format, String::new());
    // A dump holds many pages: its size limit applies per record.
    let file_limit = if format == Format::Jsonl {
        u64::MAX
    } else {
        max_bytes
    };
    if file.size > file_limit {
        doc.content_sha256 = hash_file(file.path()).unwrap_or_default();
        file_hash.clone_from(&doc.content_sha256);
        doc.rejected = Some(format!(
            "the file is {} bytes, above the limit of {} bytes (input.max_file_bytes)",
            file.size, max_bytes
        ));
        return vec![doc];
    }
    let mut raw = Vec::with_capacity(file.size as usize);
    if let Err(e) = std::fs::File::open(file.path()).and_then(|mut f| f.read_to_end(&mut raw)) {
        doc.content_sha256 = hash_hex(b"");
        doc.rejected = Some(format!("the file could not be read: {e}"));
        return vec![doc];
    }
    doc.content_sha256 = hash_hex(&raw);
    file_hash.clone_from(&doc.content_sha256);
    if format_of(&file.source).is_none() {
        let ext = file.source.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        doc.rejected = Some(
            if ext.is_empty() || file.source.rsplit('/').next().is_some_and(|n| !n.contains('.')) {
                "the file has no extension; pages must be .txt, .html, .htm or .jsonl (optionally .gz or .zst)".to_string()
            } else {
                format!("the file type .{ext} is not a page format hoinghi reads (.txt, .html, .htm, .jsonl, optionally .gz or .zst)")
            },
        );
        return vec![doc];
    }
    let bytes = match compression_of(&raw) {
        Some(kind) => {
            let limit = if format == Format::Jsonl {
                max_bytes.saturating_mul(1000)
            } else {
                max_bytes
            };
            match decompress(&raw, kind, limit) {
                Ok(b) => b,
                Err(reason) => {
                    doc.rejected = Some(reason);
                    return vec![doc];
                }
            }
        }
        None => raw,
    };
    if format == Format::Jsonl {
        return read_jsonl(&file.source, &bytes, settings);
    }
    doc.bytes = bytes;
    vec![doc]
}

fn field(v: &serde_json::Value, name: &str) -> Option<String> {
    match v.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// One document per line of a dump; a bad line is quarantined on its own.
fn read_jsonl(source: &str, bytes: &[u8], settings: &ReadSettings) -> Vec<SourceDocument> {
    let f = &settings.jsonl;
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let key = format!("{source}#{}", i + 1);
        let mut doc = document(key, Format::Jsonl, hash_hex(line));
        let reject = |doc: &mut SourceDocument, why: String| doc.rejected = Some(why);
        if line.len() as u64 > settings.max_file_bytes {
            reject(
                &mut doc,
                format!(
                    "line {} is {} bytes, above the limit of {} bytes (input.max_file_bytes)",
                    i + 1,
                    line.len(),
                    settings.max_file_bytes
                ),
            );
            out.push(doc);
            continue;
        }
        let value: serde_json::Value = match std::str::from_utf8(line)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str(s).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                reject(
                    &mut doc,
                    format!("line {} is not a valid JSON record: {e}", i + 1),
                );
                out.push(doc);
                continue;
            }
        };
        let Some(body) = field(&value, &f.body).filter(|b| !b.trim().is_empty()) else {
            reject(
                &mut doc,
                format!(
                    "line {} has no \"{}\" field with the page body (input.jsonl.body)",
                    i + 1,
                    f.body
                ),
            );
            out.push(doc);
            continue;
        };
        let url = field(&value, &f.url);
        if let Some(u) = &url {
            // The URL identifies a page better than its place in a dump.
            doc.doc_id = stable_id(&[u]);
        }
        let body_is_html = match f.body_format {
            BodyFormat::Html => true,
            BodyFormat::Text => false,
            BodyFormat::Auto => body.contains("</") || body.contains("<br") || body.contains("<p"),
        };
        doc.record = Some(RecordMeta {
            url,
            title: field(&value, &f.title),
            published: field(&value, &f.published),
            body_is_html,
        });
        doc.bytes = body.into_bytes();
        out.push(doc);
    }
    if out.is_empty() {
        let mut doc = document(source.to_string(), Format::Jsonl, hash_hex(bytes));
        doc.rejected = Some("the dump holds no records (every line is empty)".to_string());
        out.push(doc);
    }
    out
}

/// The SHA-256 of a file's bytes as stored, in hex digits.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    Ok(crate::model::hex(&sha256_of_file(path)?))
}

/// The SHA-256 of a file's bytes, read in 64 KB pieces: as bytes, for the
/// plan's comparison with the previous state, which keeps them so.
pub fn sha256_of_file(path: &Path) -> std::io::Result<[u8; 32]> {
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
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_still_read() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"h\xf4i-ngh\xec.txt");
        std::fs::write(dir.path().join(name), "Đảng ủy xã").unwrap();
        let files = discover(dir.path()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path(), dir.path().join(name));
        let d = read(&files[0], &ReadSettings::default()).remove(0);
        assert!(d.rejected.is_none(), "{:?}", d.rejected);
    }

    #[test]
    fn a_file_gives_back_its_path() {
        let f = InputFile::new(PathBuf::from("/crawl/pages/a/b.txt"), "a/b.txt".into(), 1, 0);
        assert_eq!(f.path(), Path::new("/crawl/pages/a/b.txt"));
        // A source that is not the end of the path: the path is kept as is.
        let f = InputFile::new(PathBuf::from("/crawl/x.txt"), "y.txt".into(), 1, 0);
        assert_eq!(f.path(), Path::new("/crawl/x.txt"));
        let f = InputFile::new(PathBuf::from("/crawl/ab.txt"), "b.txt".into(), 1, 0);
        assert_eq!(f.path(), Path::new("/crawl/ab.txt"));
        let f = InputFile::new(PathBuf::from("b.txt"), "b.txt".into(), 1, 0);
        assert_eq!(f.path(), Path::new("b.txt"));
    }

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
        let d = read(&files[0], &ReadSettings::default()).remove(0);
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
        let small = ReadSettings {
            max_file_bytes: 10,
            ..Default::default()
        };
        let big = read(&files[0], &small).remove(0);
        assert!(big.rejected.unwrap().contains("above the limit of 10 bytes"));
        let png = read(&files[1], &ReadSettings::default()).remove(0);
        assert!(png.rejected.unwrap().contains(".png is not a page format"));
    }

    fn one_file(dir: &Path, name: &str, bytes: &[u8]) -> InputFile {
        std::fs::write(dir.join(name), bytes).unwrap();
        InputFile::new(dir.join(name), name.to_string(), bytes.len() as u64, 0)
    }

    #[test]
    fn compressed_pages_are_read_through() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let page = "Đảng ủy phường Tân Lập tổ chức hội nghị".as_bytes();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(page).unwrap();
        let gz = gz.finish().unwrap();
        let d = read(&one_file(dir.path(), "a.txt.gz", &gz), &ReadSettings::default()).remove(0);
        assert_eq!(
            (d.bytes.as_slice(), d.format, d.rejected),
            (page, Format::Txt, None)
        );
        // The hash is of the bytes as stored.
        assert_eq!(d.content_sha256, hash_hex(&gz));
        let zst = zstd::stream::encode_all(page, 3).unwrap();
        let d = read(
            &one_file(dir.path(), "b.html.zst", &zst),
            &ReadSettings::default(),
        )
        .remove(0);
        assert_eq!((d.bytes.as_slice(), d.format), (page, Format::Html));
    }

    #[test]
    fn corrupt_or_oversized_archives_are_rejected() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let d = read(
            &one_file(dir.path(), "c.txt.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]),
            &ReadSettings::default(),
        )
        .remove(0);
        assert!(d
            .rejected
            .unwrap()
            .contains("gzip-compressed but does not decompress"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'a'; 100_000]).unwrap();
        let bomb = gz.finish().unwrap();
        let small = ReadSettings {
            max_file_bytes: 1_000,
            ..Default::default()
        };
        let d = read(&one_file(dir.path(), "d.txt.gz", &bomb), &small).remove(0);
        assert!(d
            .rejected
            .unwrap()
            .contains("decompresses to more than the limit of 1000 bytes"));
    }

    #[test]
    fn a_dump_gives_one_document_per_line_and_bad_lines_alone() {
        let dir = tempfile::tempdir().unwrap();
        let dump = concat!(
            r#"{"url": "https://x.gov.vn/a", "title": "Hội nghị", "body": "<p>Đảng ủy xã họp</p>", "published_at": "2024-01-10T08:00:00+07:00"}"#,
            "\n",
            "{not json\n",
            "\n",
            r#"{"url": "https://x.gov.vn/c", "title": "Không có thân bài"}"#,
            "\n",
            r#"{"title": "Văn bản", "body": "Đảng ủy xã họp tổng kết"}"#,
            "\n"
        );
        let docs = read(
            &one_file(dir.path(), "dump.jsonl", dump.as_bytes()),
            &ReadSettings::default(),
        );
        let sources: Vec<&str> = docs.iter().map(|d| d.source.as_str()).collect();
        assert_eq!(
            sources,
            ["dump.jsonl#1", "dump.jsonl#2", "dump.jsonl#4", "dump.jsonl#5"]
        );
        let first = &docs[0];
        assert_eq!(first.doc_id, stable_id(&["https://x.gov.vn/a"]));
        let r = first.record.as_ref().unwrap();
        assert!(r.body_is_html);
        assert_eq!(r.title.as_deref(), Some("Hội nghị"));
        assert!(docs[1]
            .rejected
            .as_ref()
            .unwrap()
            .starts_with("line 2 is not a valid JSON record"));
        assert!(docs[2].rejected.as_ref().unwrap().contains("no \"body\" field"));
        assert!(docs[3].rejected.is_none());
        assert!(!docs[3].record.as_ref().unwrap().body_is_html);
        assert_eq!(docs[3].doc_id, stable_id(&["dump.jsonl#5"]));
    }

    #[test]
    fn missing_root_is_an_error() {
        assert!(matches!(
            discover(Path::new("/no/such/folder")),
            Err(Error::NoInput(_))
        ));
    }
}
