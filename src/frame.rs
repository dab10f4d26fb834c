//! Records in a byte stream, each behind its length: 4 bytes little-endian,
//! then the record. The spilled roll-up runs, the state's rows and the
//! pages waiting for their person ids use it, each with its own encoding of
//! a record (the last two postcard, through [`encode_postcard`]).

use std::io::{self, Read, Write};

/// Writes one record behind its length. A record of 4 GiB or more cannot be
/// framed, and is an error rather than a length that wraps.
pub fn write_frame(w: &mut impl Write, record: &[u8]) -> io::Result<()> {
    let len = u32::try_from(record.len())
        .map_err(|_| io::Error::other(format!("a record of {} bytes is too long to store", record.len())))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(record)
}

/// Encodes `value` in postcard into `buf`, in place of what it held: the
/// buffer is reused from record to record, so its room is allocated once.
pub fn encode_postcard<T: serde::Serialize + ?Sized>(value: &T, buf: &mut Vec<u8>) -> postcard::Result<()> {
    buf.clear();
    *buf = postcard::to_extend(value, std::mem::take(buf))?;
    Ok(())
}

/// Reads the next record into `buf`: `false` at the end of the stream, which
/// may only fall between records. A stream cut inside a length or a record
/// is an `UnexpectedEof` error.
pub fn read_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < len.len() {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the data ends inside a record's length",
                ))
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(buf)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_in_order_and_cuts_are_errors() {
        let mut stream = Vec::new();
        for record in [&b"h\xc3\xa0"[..], b"", b"xyz"] {
            write_frame(&mut stream, record).unwrap();
        }
        assert_eq!(&stream[..7], b"\x03\0\0\0h\xc3\xa0");
        let mut r = &stream[..];
        let mut buf = Vec::new();
        let mut read = Vec::new();
        while read_frame(&mut r, &mut buf).unwrap() {
            read.push(buf.clone());
        }
        assert_eq!(read, [b"h\xc3\xa0".to_vec(), Vec::new(), b"xyz".to_vec()]);
        // Cut inside the last record, and inside the last length.
        for cut in [stream.len() - 1, 7 + 4 + 2] {
            let mut r = &stream[..cut];
            let err = std::iter::from_fn(|| Some(read_frame(&mut r, &mut buf)))
                .find(|x| !matches!(x, Ok(true)))
                .unwrap()
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
        }
    }
}
