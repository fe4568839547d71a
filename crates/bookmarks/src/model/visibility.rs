//! Who may see a bookmark. `public`: everyone, everywhere; `unlisted`: anyone with the link and
//! on the owner's own pages, but not in instance-wide lists (home page, instance tag pages,
//! instance search); `org` ("my organisation"): people logged in on this instance and followers
//! on the instances of `federation.allowlist`, never visitors, never instance-wide lists;
//! `private`: the owner only, never anybody else on any page.

use super::FieldError;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    Org,
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Org,
        Visibility::Private,
    ];

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "public" => Ok(Self::Public),
            "unlisted" => Ok(Self::Unlisted),
            "org" => Ok(Self::Org),
            "private" => Ok(Self::Private),
            other => Err(FieldError::new(
                "visibility",
                format!(
                    "`{other}` is not a visibility; use `public`, `unlisted`, `org` (my organisation) or `private`"
                ),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Org => "org",
            Self::Private => "private",
        }
    }

    /// What people read in forms and badges.
    pub fn label(self) -> &'static str {
        match self {
            Self::Org => "my organisation",
            other => other.as_str(),
        }
    }

    /// Whether someone other than the owner who is not logged in here may see it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Public | Self::Unlisted)
    }

    /// Values read back from storage were written by `as_str`; anything else is treated as
    /// private so that a corrupted row can never leak.
    pub fn from_stored(value: &str) -> Self {
        // What the store writes is one of the four names exactly: read without allocating
        // (`parse` lowercases a copy), which every listed bookmark does.
        match value {
            "public" => Self::Public,
            "unlisted" => Self::Unlisted,
            "org" => Self::Org,
            "private" => Self::Private,
            other => Self::parse(other).unwrap_or(Self::Private),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_organisation_parses_is_labelled_and_is_not_open() {
        assert_eq!(Visibility::parse(" ORG "), Ok(Visibility::Org));
        assert_eq!(Visibility::from_stored("org"), Visibility::Org);
        assert_eq!(Visibility::Org.label(), "my organisation");
        assert!(!Visibility::Org.is_open() && !Visibility::Private.is_open());
        assert!(Visibility::Unlisted.is_open());
        let e = Visibility::parse("friends").unwrap_err().to_string();
        assert!(e.contains("`org`"), "{e}");
    }

    #[test]
    fn parses_known_names_case_insensitively() {
        assert_eq!(Visibility::parse("Public"), Ok(Visibility::Public));
        assert_eq!(Visibility::parse("unlisted"), Ok(Visibility::Unlisted));
        assert_eq!(Visibility::parse(" PRIVATE "), Ok(Visibility::Private));
    }

    #[test]
    fn unknown_names_say_what_is_allowed() {
        let err = Visibility::parse("friends").err();
        assert!(err.is_some_and(|e| e.field == "visibility" && e.message.contains("`public`")));
    }

    #[test]
    fn corrupted_stored_values_fail_closed() {
        assert_eq!(Visibility::from_stored("???"), Visibility::Private);
        for v in Visibility::ALL {
            assert_eq!(Visibility::from_stored(v.as_str()), v);
        }
    }
}
