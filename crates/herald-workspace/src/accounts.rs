//! Sign-in for people: an email and a password per person, kept as an argon2id hash (never in
//! clear, never logged); invites and resets as one-time set-password codes that expire; failed
//! sign-ins slowed, then refused for a while, per account and per client address.
//!
//! Hashing is deliberately slow (argon2id's defaults: 19 MiB, 2 passes — tens of milliseconds),
//! so it runs on the blocking pool and at most [`HASHING_AT_ONCE`] at a time: a flood of sign-ins
//! waits its turn instead of taking every core from routing.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Hashes computed at once.
pub const HASHING_AT_ONCE: usize = 2;
/// Passwords: at least this many characters…
pub const MIN_PASSWORD: usize = 10;
/// …and at most this many bytes (argon2 takes any length; this bounds the work a request asks).
pub const MAX_PASSWORD: usize = 1024;
/// How long an invite or reset link works.
pub const INVITE_TTL: Duration = Duration::from_secs(72 * 3600);

/// Failed sign-ins are counted over this window…
const WINDOW_MS: u64 = 15 * 60 * 1000;
/// …from this many failures on one account each further attempt is slowed by [`SLOW`]…
const SLOW_AFTER: u32 = 3;
const SLOW: Duration = Duration::from_secs(1);
/// …and from this many the account is refused until the window has passed since the last one.
const LOCK_AFTER: u32 = 10;
/// One client address may fail this many times (over all accounts) before it is refused.
const ADDRESS_LOCK_AFTER: u32 = 50;
/// Addresses tracked at most (the oldest windows are dropped first when a flood fills it).
const MAX_TRACKED: usize = 100_000;

/// The password rules, in words a person can act on.
pub fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Some(format!("the password must have at least {MIN_PASSWORD} characters"));
    }
    if password.len() > MAX_PASSWORD {
        return Some(format!("the password must have at most {MAX_PASSWORD} bytes"));
    }
    None
}

/// An email as stored and looked up: trimmed, lower case; `Err` says what is wrong with it.
pub fn normalise_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or("an email needs an @")?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err("that is not an email address (name@example.com)");
    }
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err("that is not an email address (name@example.com)");
    }
    Ok(email)
}

#[derive(Clone, Copy, Debug, Default)]
struct Failures {
    count: u32,
    last_ms: u64,
}

impl Failures {
    fn current(self, now_ms: u64) -> u32 {
        if now_ms.saturating_sub(self.last_ms) >= WINDOW_MS { 0 } else { self.count }
    }
}

/// What a sign-in attempt may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Go, after waiting this long (the account has failed several times).
    Slowed(Duration),
    /// Refused; try again in this many seconds.
    Refused {
        retry_after_secs: u64,
        by_address: bool,
    },
}

/// Sign-in for people: hashing and the failure counts (see the module docs).
#[derive(Debug)]
pub struct Accounts {
    hashing: Arc<Semaphore>,
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
}

impl Default for Accounts {
    fn default() -> Self {
        Self { hashing: Arc::new(Semaphore::new(HASHING_AT_ONCE)), accounts: Mutex::default(), addresses: Mutex::default() }
    }
}

/// A hash of a password nobody has, verified when the email is unknown, so an unknown email
/// takes as long to refuse as a wrong password (no list of accounts by timing).
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| Argon2::default().hash_password(b"herald-decoy-password").expect("argon2 hashes").to_string())
}

impl Accounts {
    /// The argon2id PHC string of `password` (random salt).
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _turn = self.hashing.clone().acquire_owned().await?;
        let password = password.as_bytes().to_vec();
        let phc = tokio::task::spawn_blocking(move || Argon2::default().hash_password(&password).map(|h| h.to_string())).await?;
        phc.map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    }

    /// Whether `password` matches `phc`; with no hash (unknown email, or no password set yet)
    /// a decoy is verified and the answer is `false`.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let Ok(_turn) = self.hashing.clone().acquire_owned().await else { return false };
        let (password, phc, real) = (password.as_bytes().to_vec(), phc.unwrap_or(decoy()).to_string(), phc.is_some());
        let ok = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else { return false };
            Argon2::default().verify_password(&password, &parsed).is_ok()
        })
        .await
        .unwrap_or(false);
        ok && real
    }

    /// Whether a sign-in for `email` from `client` may go ahead at `now_ms`.
    pub fn admit(&self, email: &str, client: IpAddr, now_ms: u64) -> Admission {
        let retry = |last_ms: u64| (last_ms + WINDOW_MS).saturating_sub(now_ms).div_ceil(1000).max(1);
        let address = self.addresses.lock().unwrap_or_else(|p| p.into_inner()).get(&client).copied().unwrap_or_default();
        if address.current(now_ms) >= ADDRESS_LOCK_AFTER {
            return Admission::Refused { retry_after_secs: retry(address.last_ms), by_address: true };
        }
        let account = self.accounts.lock().unwrap_or_else(|p| p.into_inner()).get(email).copied().unwrap_or_default();
        match account.current(now_ms) {
            n if n >= LOCK_AFTER => Admission::Refused { retry_after_secs: retry(account.last_ms), by_address: false },
            n if n >= SLOW_AFTER => Admission::Slowed(SLOW),
            _ => Admission::Go,
        }
    }

    /// Counts a failed sign-in against `email` and `client`.
    pub fn failed(&self, email: &str, client: IpAddr, now_ms: u64) {
        fn bump<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Failures>>, key: K, now_ms: u64) {
            let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
            if m.len() >= MAX_TRACKED {
                m.retain(|_, f| f.current(now_ms) > 0);
            }
            let f = m.entry(key).or_default();
            *f = Failures { count: f.current(now_ms) + 1, last_ms: now_ms };
        }
        bump(&self.accounts, email.to_string(), now_ms);
        bump(&self.addresses, client, now_ms);
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner()).remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email("  Ada@Example.COM "), Ok("ada@example.com".to_string()));
        for bad in ["", "ada", "@example.com", "ada@", "ada@example", "a b@example.com", "a@b@example.com"] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_ten_characters_and_at_most_a_kilobyte() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("ten chars!").is_none());
        assert!(password_problem(&"x".repeat(MAX_PASSWORD + 1)).is_some());
    }

    #[test]
    fn failures_slow_then_refuse_an_account_and_the_window_forgives() {
        let a = Accounts::default();
        let ip: IpAddr = [192, 0, 2, 1].into();
        let t0 = 1_000_000;
        for i in 0..SLOW_AFTER {
            assert_eq!(a.admit("ada@example.com", ip, t0 + u64::from(i)), Admission::Go);
            a.failed("ada@example.com", ip, t0 + u64::from(i));
        }
        assert_eq!(a.admit("ada@example.com", ip, t0 + 10), Admission::Slowed(SLOW));
        for i in SLOW_AFTER..LOCK_AFTER {
            a.failed("ada@example.com", ip, t0 + u64::from(i));
        }
        let last = t0 + u64::from(LOCK_AFTER - 1);
        assert_eq!(a.admit("ada@example.com", ip, last + 1), Admission::Refused { retry_after_secs: WINDOW_MS / 1000, by_address: false });
        assert_eq!(a.admit("bob@example.com", ip, last + 1), Admission::Go, "another account from the same address still goes");
        assert_eq!(a.admit("ada@example.com", ip, last + WINDOW_MS), Admission::Go, "the window has passed");
        a.succeeded("ada@example.com");
        assert_eq!(a.admit("ada@example.com", ip, last + 2), Admission::Go, "a success clears the account");
    }

    #[test]
    fn one_address_failing_across_many_accounts_is_refused() {
        let a = Accounts::default();
        let ip: IpAddr = [198, 51, 100, 7].into();
        for i in 0..ADDRESS_LOCK_AFTER {
            a.failed(&format!("user{i}@example.com"), ip, 5_000);
        }
        assert!(matches!(a.admit("new@example.com", ip, 5_001), Admission::Refused { by_address: true, .. }));
        assert_eq!(a.admit("new@example.com", [198, 51, 100, 8].into(), 5_001), Admission::Go);
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_an_unknown_account_never_verifies() {
        let a = Accounts::default();
        let phc = a.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("correct"), "never the password in clear");
        assert!(a.verify("correct horse battery", Some(&phc)).await);
        assert!(!a.verify("wrong horse battery", Some(&phc)).await);
        assert!(!a.verify("herald-decoy-password", None).await, "the decoy's own password does not sign anyone in");
    }
}
