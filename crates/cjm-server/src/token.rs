//! Secrets and the clock: random tokens, what the database keeps of them,
//! comparing them in constant time, and the time in seconds. A leaf: it
//! uses nothing else of the crate, so every module may use it.

use base64::Engine;
use sha2::{Digest, Sha256};

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a secret token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The server's key for tokens it must be able to make again (share
/// links), read from `path` or made there (owner-only) on first start.
/// It lives beside the database, not in it: the database alone holds no
/// way back to a token.
pub(crate) fn load_or_make_key(path: &std::path::Path) -> Result<[u8; 32], String> {
    match std::fs::read(path) {
        Ok(bytes) => bytes.try_into().map_err(|_| format!("{}: not a key of 32 bytes; remove it to make a new one (every share link made since it was made stops working)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::fill(&mut key[..]);
            let tmp = path.with_extension("tmp");
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let write = |opts: &std::fs::OpenOptions| -> std::io::Result<()> {
                use std::io::Write;
                let mut f = opts.open(&tmp)?;
                f.write_all(&key)?;
                f.sync_all()?;
                std::fs::rename(&tmp, path)
            };
            write(&opts).map_err(|e| format!("{}: cannot write the server's key: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("{}: cannot read the server's key: {e}", path.display())),
    }
}

/// The token made from `nonce` with `key` (HMAC-SHA256, base64url).
pub(crate) fn keyed_token(key: &[u8; 32], nonce: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}
