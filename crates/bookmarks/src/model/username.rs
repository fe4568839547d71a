//! `UserName`: the local part of `name@host`. ASCII letters, digits, `_` and `-`, 1–32
//! characters, stored lower-case. No `.`, so that tag-feed actors (`alice.rust`) can never
//! collide with a user.

use super::FieldError;
use std::fmt;

pub const MAX_USERNAME_LENGTH: usize = 32;
/// Names that would shadow pages or well-known actors.
const RESERVED: &[&str] = &[
    "admin", "api", "inbox", "instance", "login", "logout", "settings", "setup", "signup",
    "static", "tools",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let name = input.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(FieldError::new(
                "name",
                "the user name is empty; choose one such as `alice`",
            ));
        }
        if name.len() > MAX_USERNAME_LENGTH {
            return Err(FieldError::new(
                "name",
                format!(
                    "user name `{name}` is {} characters long; the limit is {MAX_USERNAME_LENGTH}",
                    name.len()
                ),
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(FieldError::new(
                "name",
                format!("user name `{name}` contains `{bad}`; use only letters a–z, digits, `_` and `-`"),
            ));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(FieldError::new(
                "name",
                format!("user name `{name}` is reserved; choose another"),
            ));
        }
        Ok(Self(name))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_accepts_simple_names() {
        assert_eq!(UserName::parse(" Alice ").map(|n| n.0), Ok("alice".into()));
        assert!(UserName::parse("bob_smith-2").is_ok());
    }

    #[test]
    fn rejects_dots_so_tag_feeds_never_collide() {
        let err = UserName::parse("alice.rust").err();
        assert!(err.is_some_and(|e| e.message.contains("`.`")));
    }

    #[test]
    fn rejects_non_ascii_empty_long_and_reserved() {
        assert!(UserName::parse("jürgen").is_err());
        assert!(UserName::parse("").is_err());
        assert!(UserName::parse(&"a".repeat(33)).is_err());
        assert!(UserName::parse("settings").is_err());
    }
}
