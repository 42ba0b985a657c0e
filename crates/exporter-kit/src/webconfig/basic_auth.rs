//! bcrypt basic auth with a cache of verified credentials.
//!
//! bcrypt is slow on purpose, so verified credentials are remembered. The
//! cache key is a digest of the user name, the password *and* the stored
//! hash, and only successful checks are stored: a wrong password can never
//! be let in by a cache entry made for the right one (upstream's
//! CVE-2022-46146 keyed the cache on less than the full credential).

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;

const CACHE_LIMIT: usize = 1024;

/// A hash bcrypt accepts, checked against when the user name is unknown so
/// that answering does not reveal which user names exist.
const DUMMY_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

pub struct BasicAuth {
    users: BTreeMap<String, String>,
    verified: Mutex<HashSet<[u8; 32]>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Allowed,
    Denied,
}

impl BasicAuth {
    pub fn new(users: &BTreeMap<String, String>) -> Result<BasicAuth, String> {
        for (user, hash) in users {
            if bcrypt::verify("", hash).is_err() {
                return Err(format!(
                    "basic_auth_users: the hash for {user:?} is not a bcrypt hash"
                ));
            }
        }
        Ok(BasicAuth {
            users: users.clone(),
            verified: Mutex::new(HashSet::new()),
        })
    }

    fn key(user: &str, password: &str, hash: &str) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [user, password, hash] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part.as_bytes());
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        key
    }

    /// Answers from the cache of verified credentials when it can: `None`
    /// means bcrypt must decide ([`Self::check`], off the async workers).
    pub fn check_cached(&self, authorization: Option<&str>) -> Option<AuthOutcome> {
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return Some(AuthOutcome::Denied);
        };
        let hash = self.users.get(&user)?;
        self.lock()
            .contains(&Self::key(&user, &password, hash))
            .then_some(AuthOutcome::Allowed)
    }

    /// Checks an `Authorization` header value. Blocking (bcrypt): call it
    /// off the async workers.
    pub fn check(&self, authorization: Option<&str>) -> AuthOutcome {
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return AuthOutcome::Denied;
        };
        let (hash, known) = match self.users.get(&user) {
            Some(hash) => (hash.as_str(), true),
            None => (DUMMY_HASH, false),
        };
        let key = Self::key(&user, &password, hash);
        if known && self.lock().contains(&key) {
            return AuthOutcome::Allowed;
        }
        let ok = bcrypt::verify(&password, hash).unwrap_or(false) && known;
        if !ok {
            return AuthOutcome::Denied;
        }
        let mut cache = self.lock();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key);
        AuthOutcome::Allowed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn cache_cannot_be_poisoned() {
        let hash = bcrypt::hash("right", 4).unwrap();
        let auth = BasicAuth::new(&BTreeMap::from([("alice".to_string(), hash)])).unwrap();
        assert_eq!(
            auth.check(Some(&header("alice", "right"))),
            AuthOutcome::Allowed
        );
        // Once the right password is cached, a wrong one for the same user
        // must still be refused.
        assert_eq!(
            auth.check(Some(&header("alice", "wrong"))),
            AuthOutcome::Denied
        );
        assert_eq!(
            auth.check(Some(&header("bob", "right"))),
            AuthOutcome::Denied
        );
        assert_eq!(
            auth.check(Some(&header("alice", "right"))),
            AuthOutcome::Allowed
        );
        assert_eq!(auth.check(Some("Bearer x")), AuthOutcome::Denied);
        assert_eq!(auth.check(Some("Basic !!!")), AuthOutcome::Denied);
        assert_eq!(auth.check(None), AuthOutcome::Denied);
    }

    #[test]
    fn dummy_hash_is_valid() {
        assert!(bcrypt::verify("x", DUMMY_HASH).is_ok());
    }

    #[test]
    fn rejects_non_bcrypt_hashes() {
        assert!(BasicAuth::new(&BTreeMap::from([("a".to_string(), "plain".to_string())])).is_err());
    }
}
