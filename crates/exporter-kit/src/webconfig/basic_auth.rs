//! bcrypt basic auth with caches of checked credentials.
//!
//! bcrypt is slow on purpose, so the outcome of each check is remembered,
//! as exporter-toolkit does. The cache key is a digest of the user name,
//! the password *and* the stored hash: a wrong password can never be let
//! in by a cache entry made for the right one (upstream's CVE-2022-46146
//! keyed the cache on less than the full credential). Refusals are kept
//! apart from acceptances, so a flood of distinct wrong passwords evicts
//! only other refusals and an authorized scraper stays cached (answered
//! without bcrypt and without waiting behind the flood).

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;

/// Credentials remembered per outcome; a full cache is emptied.
const CACHE_LIMIT: usize = 1024;

/// A hash bcrypt accepts, checked against when the user name is unknown so
/// that answering does not reveal which user names exist.
const DUMMY_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

pub struct BasicAuth {
    users: BTreeMap<String, String>,
    allowed: Mutex<HashSet<[u8; 32]>>,
    denied: Mutex<HashSet<[u8; 32]>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Allowed,
    Denied,
}

impl BasicAuth {
    /// Checks that every hash is a well-formed bcrypt hash with a valid
    /// cost, as upstream's `bcrypt.Cost` does, without running bcrypt: a
    /// users file with cost-18 hashes must not delay startup by seconds.
    pub fn new(users: &BTreeMap<String, String>) -> Result<BasicAuth, String> {
        for (user, hash) in users {
            check_hash(hash).map_err(|why| {
                format!("basic_auth_users: the hash for {user:?} is not a bcrypt hash: {why}")
            })?;
        }
        Ok(BasicAuth {
            users: users.clone(),
            allowed: Mutex::new(HashSet::new()),
            denied: Mutex::new(HashSet::new()),
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

    /// Answers from the caches when it can: `None` means bcrypt must
    /// decide ([`Self::check`], off the async workers).
    pub fn check_cached(&self, authorization: Option<&str>) -> Option<AuthOutcome> {
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return Some(AuthOutcome::Denied);
        };
        let key = Self::key(&user, &password, self.hash_for(&user));
        if lock(&self.allowed).contains(&key) {
            return Some(AuthOutcome::Allowed);
        }
        lock(&self.denied)
            .contains(&key)
            .then_some(AuthOutcome::Denied)
    }

    /// The stored hash, or for an unknown user one that bcrypt accepts, so
    /// that answering does not reveal which user names exist.
    fn hash_for(&self, user: &str) -> &str {
        self.users.get(user).map_or(DUMMY_HASH, String::as_str)
    }

    /// Checks an `Authorization` header value. Blocking (bcrypt): call it
    /// off the async workers, one at a time per CPU slot.
    pub fn check(&self, authorization: Option<&str>) -> AuthOutcome {
        if let Some(outcome) = self.check_cached(authorization) {
            return outcome;
        }
        let Some((user, password)) = authorization.and_then(parse_basic) else {
            return AuthOutcome::Denied;
        };
        let hash = self.hash_for(&user);
        let key = Self::key(&user, &password, hash);
        let ok = bcrypt::verify(&password, hash).unwrap_or(false) && self.users.contains_key(&user);
        let cache = if ok { &self.allowed } else { &self.denied };
        let mut cache = lock(cache);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key);
        if ok {
            AuthOutcome::Allowed
        } else {
            AuthOutcome::Denied
        }
    }
}

fn lock(cache: &Mutex<HashSet<[u8; 32]>>) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
    // A panic while holding the lock leaves a valid set behind.
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

/// What `bcrypt.Cost` checks in upstream: the `$2a$`/`$2b$`/`$2x$`/`$2y$`
/// prefix, a cost from 4 to 31, 53 characters of salt and digest. The
/// messages never quote the hash.
fn check_hash(hash: &str) -> Result<u32, String> {
    const BCRYPT_LEN: usize = 60;
    if hash.len() < BCRYPT_LEN - 1 {
        return Err("hashedSecret too short to be a bcrypted password".into());
    }
    let parts: bcrypt::HashParts = hash
        .parse()
        .map_err(|_| "want $2y$<cost>$ and 53 characters of salt and digest".to_string())?;
    let cost = parts.get_cost();
    if !(4..=31).contains(&cost) {
        return Err(format!("cost {cost} is outside allowed range (4,31)"));
    }
    let body = hash.rsplit('$').next().unwrap_or("");
    if !body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
    {
        return Err("the salt and digest hold characters bcrypt does not use".into());
    }
    Ok(cost)
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
    fn rejects_non_bcrypt_hashes_without_quoting_them() {
        let good = bcrypt::hash("x", 4).unwrap();
        assert_eq!(check_hash(&good), Ok(4));
        assert_eq!(check_hash(DUMMY_HASH), Ok(10));
        let cost_99 = good.replacen("$04$", "$99$", 1);
        let cost_03 = good.replacen("$04$", "$03$", 1);
        let bad_prefix = good.replacen("$2b$", "$3b$", 1);
        let bad_chars = format!("{}!", &good[..good.len() - 1]);
        for (hash, why) in [
            ("plain", "too short"),
            (cost_99.as_str(), "cost 99 is outside"),
            (cost_03.as_str(), "cost 3 is outside"),
            (bad_prefix.as_str(), "want $2y$"),
            (bad_chars.as_str(), "characters"),
        ] {
            let err = BasicAuth::new(&BTreeMap::from([("a".to_string(), hash.to_string())]))
                .err()
                .unwrap_or_else(|| panic!("{hash} accepted"));
            assert!(err.contains(why), "{hash}: {err}");
            if hash.len() > 20 {
                assert!(
                    !err.contains(&hash[10..]),
                    "the error quotes the hash: {err}"
                );
            }
        }
    }

    #[test]
    fn refusals_are_cached_apart_from_acceptances() {
        let hash = bcrypt::hash("right", 4).unwrap();
        let auth = BasicAuth::new(&BTreeMap::from([("alice".to_string(), hash)])).unwrap();
        let right = header("alice", "right");
        assert_eq!(auth.check_cached(Some(&right)), None);
        assert_eq!(auth.check(Some(&right)), AuthOutcome::Allowed);
        for i in 0..CACHE_LIMIT + 10 {
            let wrong = header("alice", &format!("wrong{i}"));
            assert_eq!(auth.check(Some(&wrong)), AuthOutcome::Denied);
            assert_eq!(auth.check_cached(Some(&wrong)), Some(AuthOutcome::Denied));
        }
        // A flood of wrong passwords did not evict the right one.
        assert_eq!(auth.check_cached(Some(&right)), Some(AuthOutcome::Allowed));
        assert_eq!(
            auth.check_cached(Some(&header("bob", "x"))),
            None,
            "unknown users are checked against the dummy hash once"
        );
    }
}
