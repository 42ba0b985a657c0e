//! gzip for response bodies, with one deflate state that every response
//! reuses.
//!
//! A deflate compressor is about 350 KiB (dictionary, hash chains, the
//! buffer of pending codes). One per response meant mapping, zeroing and
//! unmapping that much on every scrape, and one per concurrent scrape at
//! the peak: two of them were most of the heap at redis-exporter's peak
//! RSS (massif, 8 concurrent scrapers). Compressing an exposition body
//! takes a fraction of a millisecond, so scrapes that arrive together
//! take turns on the one state instead.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use tokio::sync::Mutex;

/// RFC 1952 header as flate2's `GzEncoder` writes it at the fastest level:
/// deflate, no flags, no mtime, XFL 4 (fastest), OS 255 (unknown).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

#[derive(Debug, thiserror::Error)]
pub enum GzipError {
    #[error(transparent)]
    Compress(#[from] flate2::CompressError),
    #[error("the compressor made no progress")]
    Stalled,
}

/// The shared compressor; created on the first gzipped response.
#[derive(Default)]
pub struct Gzip {
    state: Mutex<Option<Compress>>,
}

impl Gzip {
    /// `body` as one gzip member.
    pub async fn compress(&self, body: &[u8]) -> Result<Vec<u8>, GzipError> {
        let mut state = self.state.lock().await;
        let compress = state.get_or_insert_with(|| Compress::new(Compression::fast(), false));
        // A failed response may have left the stream mid-way.
        compress.reset();
        let result = deflate(compress, body);
        if result.is_err() {
            // Start the next response from a new state.
            *state = None;
        }
        result
    }
}

fn deflate(compress: &mut Compress, body: &[u8]) -> Result<Vec<u8>, GzipError> {
    let mut out = Vec::with_capacity(HEADER.len() + body.len() / 4 + 64);
    out.extend_from_slice(&HEADER);
    let mut input = body;
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity() / 2 + 64);
        }
        let (read, written) = (compress.total_in(), out.len());
        let status = compress.compress_vec(input, &mut out, FlushCompress::Finish)?;
        let consumed = usize::try_from(compress.total_in() - read).unwrap_or(input.len());
        input = input.get(consumed..).unwrap_or_default();
        if status == Status::StreamEnd {
            break;
        }
        // There was room in `out`: finishing must consume or produce.
        if consumed == 0 && out.len() == written {
            return Err(GzipError::Stalled);
        }
    }
    let mut crc = Crc::new();
    crc.update(body);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    /// Decodes with the system's gzip, not with the library that encoded.
    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut child = Command::new("gzip")
            .args(["-d", "-c"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("gzip (Debian package gzip) runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output().expect("gzip output");
        writer.join().expect("writer").expect("write to gzip");
        assert!(out.status.success(), "gzip -d failed: {out:?}");
        out.stdout
    }

    fn exposition_like(lines: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for i in 0..lines {
            writeln!(body, "redis_db_keys{{db=\"db{}\"}} {}", i % 16, i * 7919).unwrap();
        }
        body
    }

    #[tokio::test]
    async fn bodies_of_every_size_round_trip_through_one_state() {
        let gzip = Gzip::default();
        // Empty, tiny, larger than the 32 KiB window, larger than the
        // first output allocation, then small again on the same state.
        for body in [
            Vec::new(),
            b"up 1\n".to_vec(),
            exposition_like(5_000),
            (0..300_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
            b"up 0\n".to_vec(),
        ] {
            let compressed = gzip.compress(&body).await.unwrap();
            assert_eq!(&compressed[..2], &[0x1f, 0x8b]);
            assert_eq!(gunzip(&compressed), body);
            let isize = u32::from_le_bytes(compressed[compressed.len() - 4..].try_into().unwrap());
            assert_eq!(isize as usize, body.len());
        }
    }

    #[tokio::test]
    async fn text_compresses() {
        let body = exposition_like(5_000);
        let compressed = Gzip::default().compress(&body).await.unwrap();
        assert!(
            compressed.len() * 5 < body.len(),
            "{} -> {}",
            body.len(),
            compressed.len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_responses_do_not_mix() {
        let gzip = std::sync::Arc::new(Gzip::default());
        let tasks: Vec<_> = (0..16)
            .map(|n| {
                let gzip = gzip.clone();
                tokio::spawn(async move {
                    let body = exposition_like(200 + n * 300);
                    (body.clone(), gzip.compress(&body).await.unwrap())
                })
            })
            .collect();
        for task in tasks {
            let (body, compressed) = task.await.unwrap();
            assert_eq!(gunzip(&compressed), body);
        }
    }
}
