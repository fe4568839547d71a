//! Free-text fields with length limits: `Title` (≤ 500 characters), `Notes` (≤ 10,000) and the
//! fetched page `Description` (cut to 1,000, since it comes from someone else's page).

use super::FieldError;

pub const MAX_TITLE_LENGTH: usize = 500;
pub const MAX_NOTES_LENGTH: usize = 10_000;
pub const MAX_DESCRIPTION_LENGTH: usize = 1_000;

fn check_length(field: &'static str, value: &str, limit: usize) -> Result<(), FieldError> {
    let length = value.chars().count();
    if length > limit {
        return Err(FieldError::new(
            field,
            format!("{field} is {length} characters long; the limit is {limit}, so shorten it"),
        ));
    }
    Ok(())
}

/// Removes control characters other than newlines and tabs; they only cause trouble in
/// feeds, XML and terminals.
fn strip_controls(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Trims, folds line breaks into spaces; may be empty (the page title is then fetched).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let single_line = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let value = strip_controls(&single_line);
        check_length("title", &value, MAX_TITLE_LENGTH)?;
        Ok(Self(value))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes(String);

impl Notes {
    /// Keeps line breaks (notes are paragraphs), normalises CRLF, trims the ends.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = strip_controls(&input.replace("\r\n", "\n"))
            .trim()
            .to_owned();
        check_length("notes", &value, MAX_NOTES_LENGTH)?;
        Ok(Self(value))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Never fails: a description comes from a fetched page, so it is cleaned and cut rather
    /// than rejected.
    pub fn from_page(input: &str) -> Self {
        let single_line = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let value: String = strip_controls(&single_line)
            .chars()
            .take(MAX_DESCRIPTION_LENGTH)
            .collect();
        Self(value)
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_one_trimmed_line() {
        assert_eq!(
            Title::parse("  A\n  title\t here ").map(|t| t.0),
            Ok("A title here".into())
        );
        assert_eq!(Title::parse("").map(|t| t.is_empty()), Ok(true));
    }

    #[test]
    fn title_limit_is_500_characters() {
        assert!(Title::parse(&"ü".repeat(500)).is_ok());
        let err = Title::parse(&"a".repeat(501)).err();
        assert!(err.is_some_and(|e| e.field == "title"
            && e.message.contains("501")
            && e.message.contains("500")));
    }

    #[test]
    fn notes_keep_paragraphs_and_limit_is_10000() {
        assert_eq!(
            Notes::parse(" why:\r\n\r\nbecause \u{0}").map(|n| n.0),
            Ok("why:\n\nbecause".into())
        );
        assert!(Notes::parse(&"a".repeat(10_000)).is_ok());
        assert!(Notes::parse(&"a".repeat(10_001)).is_err_and(|e| e.field == "notes"));
    }

    #[test]
    fn description_is_cut_not_rejected() {
        let d = Description::from_page(&"word ".repeat(1000));
        assert_eq!(d.as_str().chars().count(), MAX_DESCRIPTION_LENGTH);
    }
}
