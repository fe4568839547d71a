//! `TagName` and `TagList`: tags are trimmed, lower-cased, 1–64 characters, without spaces or
//! commas (those separate tags when people type them).

use super::FieldError;
use std::fmt;

pub const MAX_TAG_LENGTH: usize = 64;
/// More tags than this on one bookmark is almost certainly a paste accident.
pub const MAX_TAGS_PER_BOOKMARK: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagName(String);

impl TagName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let tag = input.trim().to_lowercase();
        if tag.is_empty() {
            return Err(FieldError::new(
                "tags",
                "a tag is empty; remove it or type a word",
            ));
        }
        if tag.chars().any(char::is_whitespace) {
            return Err(FieldError::new(
                "tags",
                format!(
                    "tag `{tag}` contains a space; use `{}`",
                    tag.split_whitespace().collect::<Vec<_>>().join("-")
                ),
            ));
        }
        if tag.contains(',') {
            return Err(FieldError::new(
                "tags",
                format!(
                    "tag `{tag}` contains a comma; commas separate tags, so split it or use `{}`",
                    tag.replace(',', "-")
                ),
            ));
        }
        if tag.chars().any(char::is_control) {
            return Err(FieldError::new(
                "tags",
                format!(
                    "tag `{}` contains a control character; remove it",
                    tag.escape_debug()
                ),
            ));
        }
        let length = tag.chars().count();
        if length > MAX_TAG_LENGTH {
            return Err(FieldError::new(
                "tags",
                format!("tag `{tag}` is {length} characters long; the limit is {MAX_TAG_LENGTH}"),
            ));
        }
        Ok(Self(tag))
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn too_many(given: usize) -> FieldError {
    FieldError::new(
        "tags",
        format!("{given} tags given; a bookmark can have at most {MAX_TAGS_PER_BOOKMARK}"),
    )
}

/// The tags of one bookmark: distinct, in the order first given.
///
/// Kept as the text a bookmark row stores (`bookmarks.tag_names`): the names separated by
/// single spaces, which no name holds. A page read from the database takes each row's text as
/// it is, where a `Vec` of names cost an allocation per tag and one per bookmark (making and
/// dropping them, about 8 % of a JSON list request's instructions on PostgreSQL, callgrind
/// 2026-12-05).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList {
    /// Names joined by single spaces (valid and distinct when parsed here; as stored when read
    /// back); empty for no tags.
    text: String,
}

impl TagList {
    /// Each element is one tag, as in the JSON API's `"tags": [..]`.
    pub fn parse_each<S: AsRef<str>>(items: &[S]) -> Result<Self, FieldError> {
        let mut tags: Vec<TagName> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for item in items {
            let tag = TagName::parse(item.as_ref())?;
            if seen.insert(tag.clone()) {
                tags.push(tag);
                // Stop early: a hostile list of millions of tags must not cost millions of steps.
                if tags.len() > MAX_TAGS_PER_BOOKMARK {
                    return Err(too_many(items.len()));
                }
            }
        }
        Ok(Self::joined(tags.iter().map(TagName::as_str)))
    }

    /// Free text as typed in a form or a bookmarklet: tags separated by spaces or commas.
    pub fn parse_typed(input: &str) -> Result<Self, FieldError> {
        let items: Vec<&str> = input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        Self::parse_each(&items)
    }

    fn joined<'a>(names: impl Iterator<Item = &'a str> + Clone) -> Self {
        let mut text = String::with_capacity(names.clone().map(|name| name.len() + 1).sum());
        for name in names {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(name);
        }
        Self { text }
    }

    /// The names in order, separated by single spaces (no tag holds one): how a bookmark row
    /// carries its tags (`bookmarks.tag_names`).
    pub fn stored_text(&self) -> String {
        self.text.clone()
    }

    /// Reads back what [`TagList::stored_text`] wrote, keeping the text; empty names (from
    /// stray spaces) are skipped.
    pub fn from_stored_text(text: String) -> Self {
        let bytes = text.as_bytes();
        let tidy = bytes.first() != Some(&b' ')
            && bytes.last() != Some(&b' ')
            && !bytes.windows(2).any(|pair| pair == b"  ");
        if tidy {
            Self { text }
        } else {
            Self::joined(TagListNames { rest: &text })
        }
    }

    /// The names, in order.
    pub fn iter(&self) -> TagListNames<'_> {
        TagListNames { rest: &self.text }
    }

    pub fn len(&self) -> usize {
        if self.text.is_empty() {
            0
        } else {
            self.text.bytes().filter(|&b| b == b' ').count() + 1
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn contains(&self, tag: &TagName) -> bool {
        self.iter().any(|name| name == tag.as_str())
    }

    pub fn names(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    /// Space-separated, the way the edit form shows them: the same text a bookmark row keeps.
    pub fn to_typed(&self) -> String {
        self.stored_text()
    }
}

/// The names of a [`TagList`], in order: its text split at its spaces, byte by byte (a
/// `str::split(' ')` cost three times the instructions on a page's short lists).
#[derive(Debug, Clone)]
pub struct TagListNames<'a> {
    rest: &'a str,
}

impl<'a> Iterator for TagListNames<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while !self.rest.is_empty() {
            let (name, rest) = match self.rest.bytes().position(|b| b == b' ') {
                // A space is one byte, so both sides of it are whole characters.
                Some(at) => (self.rest.get(..at), self.rest.get(at + 1..)),
                None => (Some(self.rest), Some("")),
            };
            self.rest = rest.unwrap_or_default();
            if let Some(name) = name.filter(|name| !name.is_empty()) {
                return Some(name);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lower_cases() {
        assert_eq!(TagName::parse("  Rust ").map(|t| t.0), Ok("rust".into()));
        assert_eq!(TagName::parse("ÉCOLE").map(|t| t.0), Ok("école".into()));
    }

    #[test]
    fn rejects_spaces_with_a_suggestion() {
        let err = TagName::parse("a b").err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("tag `a b` contains a space; use `a-b`")
        );
    }

    #[test]
    fn rejects_commas_empty_and_control_characters() {
        assert!(TagName::parse("a,b").is_err());
        assert!(TagName::parse("   ").is_err());
        assert!(TagName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn length_limit_counts_characters() {
        assert!(TagName::parse(&"é".repeat(64)).is_ok());
        let err = TagName::parse(&"a".repeat(65)).err();
        assert!(err.is_some_and(|e| e.field == "tags" && e.message.contains("65 characters")));
    }

    #[test]
    fn typed_lists_split_on_spaces_and_commas_and_dedupe() {
        let list = TagList::parse_typed("rust, Web  rust,,async").map(|l| l.names());
        assert_eq!(list, Ok(vec!["rust".into(), "web".into(), "async".into()]));
        assert_eq!(TagList::parse_typed("  ").map(|l| l.len()), Ok(0));
    }

    #[test]
    fn each_element_must_be_one_tag() {
        assert!(TagList::parse_each(&["rust", "two words"]).is_err());
        assert_eq!(TagList::parse_each(&["A", "a"]).map(|l| l.len()), Ok(1));
    }

    #[test]
    fn stored_text_keeps_names_and_order() {
        let list = TagList::parse_each(&["web", "rust", "c++", "école"]).expect("tags");
        assert_eq!(list.stored_text(), "web rust c++ école");
        assert_eq!(TagList::from_stored_text(list.stored_text()), list);
        assert_eq!(TagList::default().stored_text(), "");
        assert!(TagList::from_stored_text(String::new()).is_empty());
        let untidy = TagList::from_stored_text(" a  b ".to_owned());
        assert_eq!(untidy.names(), vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(untidy, TagList::parse_each(&["a", "b"]).expect("tags"));
        assert_eq!(untidy.len(), 2);
        assert_eq!(untidy.stored_text(), "a b");
    }

    #[test]
    fn a_list_counts_finds_and_lists_its_names() {
        let list = TagList::parse_typed("rust web async").expect("tags");
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().collect::<Vec<_>>(), ["rust", "web", "async"]);
        assert!(list.contains(&TagName::parse("web").expect("tag")));
        // Whole names only: not a name's beginning or a part of two.
        assert!(!list.contains(&TagName::parse("we").expect("tag")));
        assert!(!list.contains(&TagName::parse("t").expect("tag")));
        assert_eq!(TagList::default().len(), 0);
        assert_eq!(TagList::default().iter().count(), 0);
        let one = TagList::parse_each(&["école"]).expect("tags");
        assert_eq!(one.iter().collect::<Vec<_>>(), ["école"]);
    }

    #[test]
    fn too_many_tags_is_an_error() {
        let many: Vec<String> = (0..=MAX_TAGS_PER_BOOKMARK)
            .map(|i| format!("t{i}"))
            .collect();
        assert!(TagList::parse_each(&many).is_err());
    }
}
