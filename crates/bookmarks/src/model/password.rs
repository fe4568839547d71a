//! Passwords: a length policy at the edge, argon2id hashing for storage.

use super::FieldError;
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub const MIN_PASSWORD_LENGTH: usize = 10;
/// argon2 accepts anything, but hashing megabytes on every login attempt is a denial of service.
pub const MAX_PASSWORD_LENGTH: usize = 1024;

/// A password that meets the policy. Not `Debug`-printable, so it cannot end up in logs.
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let length = input.chars().count();
        if length < MIN_PASSWORD_LENGTH {
            return Err(FieldError::new(
                "password",
                format!("the password has {length} characters; use at least {MIN_PASSWORD_LENGTH} (a few words make a good one)"),
            ));
        }
        if length > MAX_PASSWORD_LENGTH {
            return Err(FieldError::new(
                "password",
                format!("the password has {length} characters; the limit is {MAX_PASSWORD_LENGTH}"),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A PHC-format argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(password: &Password) -> Result<Self, FieldError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|h| Self(h.to_string()))
            .map_err(|e| FieldError::new("password", format!("could not hash the password: {e}")))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `candidate` is the password. Any input is accepted here (a login attempt is not
    /// subject to the policy), but over-long input is refused before hashing.
    pub fn verify(&self, candidate: &str) -> bool {
        if candidate.len() > MAX_PASSWORD_LENGTH * 4 {
            return false;
        }
        match argon2::PasswordHash::new(&self.0) {
            Ok(parsed) => Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// A hash of a random password, verified against when the user does not exist, so that a
    /// login attempt takes as long for unknown names as for known ones.
    pub fn decoy() -> &'static Self {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| {
            let random = crate::model::Secret::generate();
            Password::parse(random.as_str())
                .and_then(|p| Self::new(&p))
                .unwrap_or_else(|_| Self(String::new()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_the_minimum() {
        let err = Password::parse("short").err();
        assert!(err.is_some_and(|e| e.field == "password" && e.message.contains("at least 10")));
        assert!(Password::parse(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn hash_verifies_only_the_right_password() {
        let password = Password::parse("correct horse battery").ok();
        let hash = password.as_ref().map(PasswordHash::new);
        let Some(Ok(hash)) = hash else {
            panic!("hashing failed")
        };
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify("correct horse battery"));
        assert!(!hash.verify("correct horse battery!"));
        assert!(!PasswordHash::from_stored("garbage".into()).verify("x"));
        assert!(!PasswordHash::decoy().verify("correct horse battery"));
    }
}
