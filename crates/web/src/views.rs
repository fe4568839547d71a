//! Display-ready values for templates: the page chrome (instance name, who is logged in, the
//! logout form's token) and bookmarks with their dates formatted and their links ready to be
//! written ([`TagHref`]). Templates only place these; askama escapes every one of them. The
//! tag cloud arrives as HTML (`|safe`) rendered from `templates/cloud.html`, which escaped it.

use crate::auth::session::PageContext;
use crate::rfc3339::Rfc3339;
use crate::state::AppState;
use bookmarks::model::{TagList, TagListNames, Visibility};
use bookmarks::store::{Bookmark, TagCount};
use chrono::{Datelike, NaiveDateTime};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::fmt;

/// Characters kept as they are in a path segment or query value (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value or a path segment.
pub fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Appends `value` percent-encoded as a path segment. Most names need no encoding and are
/// copied whole: a list page links every tag of every bookmark and of its cloud (300 links),
/// and encoding them byte by byte was 3 % of the page.
fn push_component(out: &mut String, value: &str) {
    // Writing to a `String` cannot fail.
    let _ = write_component(out, value);
}

/// Writes `value` percent-encoded as a path segment, as [`push_component`] does.
fn write_component(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
    if value.bytes().all(unreserved) {
        out.write_str(value)
    } else {
        write!(out, "{}", utf8_percent_encode(value, COMPONENT))
    }
}

/// Escapes text for HTML or XML, attribute values included (`&`, `<`, `>`, `"`, `'`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The header and footer of every page.
pub struct Chrome {
    pub instance_name: String,
    pub user_name: Option<String>,
    /// Written into the page's forms (signed only if the page has one).
    pub csrf: crate::auth::csrf::FormToken,
    pub search: String,
}

impl Chrome {
    pub fn new(state: &AppState, page: &PageContext) -> Self {
        Self {
            instance_name: state.settings.instance_name.clone(),
            user_name: page.user.as_ref().map(|u| u.name.to_string()),
            csrf: page.csrf.clone(),
            search: String::new(),
        }
    }

    pub fn with_search(mut self, search: &str) -> Self {
        self.search = search.to_owned();
        self
    }
}

pub struct TagLink<'a> {
    pub name: &'a str,
    pub href: TagHref<'a>,
}

/// A tag's link: `before` (a path, already encoded) and then the tag, encoded; written straight
/// into the page rather than built as a string first (a list page links every tag of its fifty
/// bookmarks: building those strings was 4 % of a user page's instructions, callgrind,
/// 2026-12-03).
pub struct TagHref<'a> {
    before: TagHrefStart<'a>,
    tag: &'a str,
}

enum TagHrefStart<'a> {
    /// `/u/{user}/t/`.
    User(&'a str),
    /// A path ending where the tag begins (see [`tag_href_prefix`]).
    Path(&'a str),
}

impl<'a> TagHref<'a> {
    /// `/u/{user}/t/{tag}`, as [`user_tag_href`] builds it.
    pub fn of_user(user: &'a str, tag: &'a str) -> Self {
        Self {
            before: TagHrefStart::User(user),
            tag,
        }
    }

    /// `{prefix}{tag}`, for a prefix from [`tag_href_prefix`] or `/t/`.
    pub fn after(prefix: &'a str, tag: &'a str) -> Self {
        Self {
            before: TagHrefStart::Path(prefix),
            tag,
        }
    }
}

impl TagHref<'_> {
    fn write_pieces(&self, out: &mut impl fmt::Write) -> fmt::Result {
        match self.before {
            TagHrefStart::User(user) => {
                out.write_str("/u/")?;
                write_component(out, user)?;
                out.write_str("/t/")?;
            }
            TagHrefStart::Path(prefix) => out.write_str(prefix)?,
        }
        write_component(out, self.tag)
    }
}

impl fmt::Display for TagHref<'_> {
    /// The link in one piece when it fits [`ShortText`] (nearly every one does): a page writes
    /// each piece through the template's escaper, which costs about as much for four bytes as
    /// for a hundred (twenty-sixth performance round).
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut short = ShortText::default();
        match self.write_pieces(&mut short) {
            Ok(()) => out.write_str(short.as_str()),
            Err(fmt::Error) => self.write_pieces(out),
        }
    }
}

/// Text of up to [`ShortText::CAPACITY`] bytes kept on the stack; writing more fails.
struct ShortText {
    bytes: [u8; ShortText::CAPACITY],
    len: usize,
}

impl ShortText {
    const CAPACITY: usize = 192;

    fn as_str(&self) -> &str {
        // Only whole `str`s are ever copied in, so the bytes are UTF-8.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl Default for ShortText {
    fn default() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
            len: 0,
        }
    }
}

impl fmt::Write for ShortText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        let into = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        into.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A bookmark as a page shows it. Its texts are borrowed from the stored bookmark, not copied:
/// a list page shows fifty, and copying each text into a view and dropping it after rendering
/// was about a tenth of the page's instructions (callgrind, 2026-12-03).
pub struct BookmarkView<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub host: &'a str,
    /// The title, or the URL when the bookmark has none.
    pub heading: &'a str,
    pub description: &'a str,
    pub notes: Paragraphs<'a>,
    pub tags: TagLinks<'a>,
    pub owner: &'a str,
    pub visibility: &'static str,
    pub is_public: bool,
    pub unread: bool,
    pub saved_on: HumanDate,
    pub saved_at_iso: Rfc3339,
    pub is_mine: bool,
}

impl<'a> BookmarkView<'a> {
    pub fn new(bookmark: &'a Bookmark, viewer: Option<i64>) -> Self {
        let owner = &*bookmark.owner_name;
        Self {
            id: &bookmark.public_id,
            url: bookmark.url.as_str(),
            host: bookmark.url.host_str(),
            heading: bookmark.heading(),
            description: bookmark.description.as_str(),
            notes: Paragraphs(bookmark.notes.as_str()),
            tags: TagLinks {
                tags: &bookmark.tags,
                owner,
            },
            visibility: bookmark.visibility.label(),
            is_public: bookmark.visibility == Visibility::Public,
            unread: bookmark.unread,
            saved_on: HumanDate(bookmark.created_at),
            saved_at_iso: Rfc3339(bookmark.created_at),
            is_mine: viewer == Some(bookmark.owner_id),
            owner,
        }
    }
}

/// A bookmark's tags as links to their pages on its owner's list, made as the page is
/// written: a `Vec` of them was an allocation per bookmark of a list page, and with the notes'
/// paragraphs and the two dates about 5 % of a PostgreSQL user page's instructions (callgrind,
/// 2026-12-05).
pub struct TagLinks<'a> {
    tags: &'a TagList,
    owner: &'a str,
}

impl TagLinks<'_> {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

impl<'a> IntoIterator for &TagLinks<'a> {
    type Item = TagLink<'a>;
    type IntoIter = TagLinksIter<'a>;

    fn into_iter(self) -> TagLinksIter<'a> {
        TagLinksIter {
            names: self.tags.iter(),
            owner: self.owner,
        }
    }
}

pub struct TagLinksIter<'a> {
    names: TagListNames<'a>,
    owner: &'a str,
}

impl<'a> Iterator for TagLinksIter<'a> {
    type Item = TagLink<'a>;

    fn next(&mut self) -> Option<TagLink<'a>> {
        let owner = self.owner;
        self.names.next().map(|name| TagLink {
            name,
            href: TagHref::of_user(owner, name),
        })
    }
}

/// Notes as paragraphs: split at blank lines, trimmed, empty ones left out; found as the page
/// is written.
pub struct Paragraphs<'a>(pub &'a str);

impl<'a> IntoIterator for &Paragraphs<'a> {
    type Item = &'a str;
    type IntoIter = ParagraphsIter<'a>;

    fn into_iter(self) -> ParagraphsIter<'a> {
        ParagraphsIter { rest: Some(self.0) }
    }
}

pub struct ParagraphsIter<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for ParagraphsIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while let Some(rest) = self.rest {
            // Most notes are one paragraph: a search for a blank line in each cost as much as
            // the rest of the bookmark's view, so it is made only where a line ends.
            let (paragraph, after) = match rest.contains('\n').then(|| rest.split_once("\n\n")) {
                Some(Some((paragraph, after))) => (paragraph, Some(after)),
                _ => (rest, None),
            };
            self.rest = after;
            let paragraph = paragraph.trim();
            if !paragraph.is_empty() {
                return Some(paragraph);
            }
        }
        None
    }
}

pub fn views(bookmarks: &[Bookmark], viewer: Option<i64>) -> Vec<BookmarkView<'_>> {
    bookmarks
        .iter()
        .map(|b| BookmarkView::new(b, viewer))
        .collect()
}

pub struct TagCountView<'a> {
    pub name: &'a str,
    pub count: i64,
    pub href: TagHref<'a>,
    /// 1–5, for the cloud's font size.
    pub weight: u8,
}

/// Tag counts linked to `href_prefix` followed by the tag (see [`tag_href_prefix`]), weighted
/// relative to the most used tag, in the order given: by name, as `TagCountsCache` keeps them.
pub fn tag_cloud<'a>(counts: &'a [TagCount], href_prefix: &'a str) -> Vec<TagCountView<'a>> {
    debug_assert!(
        counts.is_sorted_by(|a, b| a.name <= b.name),
        "counts by name"
    );
    let max = counts.iter().map(|c| c.count).max().unwrap_or(1).max(1);
    counts
        .iter()
        .map(|c| TagCountView {
            name: &c.name,
            count: c.count,
            href: TagHref::after(href_prefix, &c.name),
            weight: u8::try_from(1 + (c.count * 4) / max).unwrap_or(5),
        })
        .collect()
}

/// The start of a link to the tags `tags` and one more: `/t/` (the instance's) or `/u/{user}/t/`,
/// then each of `tags` followed by `+`. A cloud's links are this and a tag.
pub fn tag_href_prefix(user: Option<&str>, tags: &[&str]) -> String {
    let mut prefix = match user {
        Some(user) => user_tag_href(user, &[]),
        None => "/t/".to_owned(),
    };
    for tag in tags {
        push_component(&mut prefix, tag);
        prefix.push('+');
    }
    prefix
}

/// `/u/{name}/t/{tag1}+{tag2}`; a `+` inside a tag is percent-encoded so it is not a separator.
pub fn user_tag_href(user: &str, tags: &[&str]) -> String {
    // Written into one string: a page builds one of these for every tag of every bookmark.
    let mut href =
        String::with_capacity(8 + user.len() + tags.iter().map(|t| t.len() + 1).sum::<usize>());
    href.push_str("/u/");
    push_component(&mut href, user);
    href.push_str("/t/");
    for (i, tag) in tags.iter().enumerate() {
        if i > 0 {
            href.push('+');
        }
        push_component(&mut href, tag);
    }
    href
}

/// "3 May 2026".
pub fn human_date(at: NaiveDateTime) -> String {
    HumanDate(at).to_string()
}

/// A day as people write it, "3 May 2026"; written straight into a page.
pub struct HumanDate(pub NaiveDateTime);

impl fmt::Display for HumanDate {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not `format("%-d %B %Y")`, which reads its pattern again on every call (a list page
        // formats fifty dates).
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let at = self.0;
        let month = MONTHS
            .get(at.month0() as usize)
            .copied()
            .unwrap_or_default();
        // Written piece by piece: `write!` with a pattern cost a list page 2 % (fifty dates).
        let mut number = itoa::Buffer::new();
        out.write_str(number.format(at.day()))?;
        out.write_str(" ")?;
        out.write_str(month)?;
        out.write_str(" ")?;
        out.write_str(number.format(at.year()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_dates_name_every_month_as_chrono_does() {
        for month in 1..=12 {
            for day in [1, 9, 10, 28] {
                let at = chrono::NaiveDate::from_ymd_opt(2026, month, day)
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
                    .unwrap();
                assert_eq!(human_date(at), at.format("%-d %B %Y").to_string());
            }
        }
    }

    #[test]
    fn tag_links_encode_plus_and_unicode() {
        assert_eq!(
            user_tag_href("alice", &["c++", "rust"]),
            "/u/alice/t/c%2B%2B+rust"
        );
    }

    #[test]
    fn tag_links_written_in_place_are_the_built_ones() {
        for (user, tag) in [
            ("alice", "rust"),
            ("a-b_c", "c++"),
            ("bob", "école"),
            ("b", "x/y"),
        ] {
            assert_eq!(
                TagHref::of_user(user, tag).to_string(),
                user_tag_href(user, &[tag])
            );
            let prefix = tag_href_prefix(Some(user), &["c++", "go"]);
            assert_eq!(
                TagHref::after(&prefix, tag).to_string(),
                user_tag_href(user, &["c++", "go", tag])
            );
            assert_eq!(
                TagHref::after(&tag_href_prefix(None, &[]), tag).to_string(),
                format!("/t/{}", encode_query(tag))
            );
        }
        assert_eq!(
            TagHref::after(&tag_href_prefix(None, &["c++"]), "école").to_string(),
            "/t/c%2B%2B+%C3%A9cole"
        );
        // Links longer than the one piece written at once are written in pieces, the same.
        let long_tag = "é".repeat(64);
        for user in ["alice", &"u".repeat(200)] {
            let href = TagHref::of_user(user, &long_tag).to_string();
            assert!(href.len() > ShortText::CAPACITY, "{}", href.len());
            assert_eq!(href, user_tag_href(user, &[&long_tag]));
        }
        let mut exactly = String::from("/t/");
        exactly.push_str(&"a".repeat(ShortText::CAPACITY - 4));
        assert_eq!(
            TagHref::after(&exactly, "b").to_string().len(),
            ShortText::CAPACITY
        );
        assert_eq!(
            TagHref::after(&exactly, "bc").to_string(),
            format!("{exactly}bc")
        );
    }

    /// The templates write dates without escaping them (`|safe`): they must never hold a
    /// character HTML gives a meaning to.
    #[test]
    fn dates_hold_nothing_to_escape() {
        let special = |text: &str| text.contains(['<', '>', '&', '"', '\'']);
        let days = [
            chrono::NaiveDateTime::MIN,
            chrono::NaiveDateTime::MAX,
            chrono::NaiveDate::from_ymd_opt(-44, 3, 15)
                .and_then(|d| d.and_hms_nano_opt(12, 0, 0, 1))
                .unwrap(),
        ]
        .into_iter()
        .chain((1..=12).map(|month| {
            chrono::NaiveDate::from_ymd_opt(2026, month, 28)
                .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
                .unwrap()
        }));
        for at in days {
            let human = HumanDate(at).to_string();
            let machine = crate::rfc3339::Rfc3339(at).to_string();
            assert!(!special(&human) && !special(&machine), "{human} {machine}");
        }
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"a & <b> "c" 'd'"#),
            "a &amp; &lt;b&gt; &quot;c&quot; &#39;d&#39;"
        );
    }

    fn paragraphs(notes: &str) -> Vec<&str> {
        (&Paragraphs(notes)).into_iter().collect()
    }

    #[test]
    fn notes_become_paragraphs() {
        assert_eq!(paragraphs("one\n\n two \n\n\n"), vec!["one", "two"]);
        assert_eq!(paragraphs(" one line "), vec!["one line"]);
        assert_eq!(paragraphs("two\nlines"), vec!["two\nlines"]);
        assert!(paragraphs("  ").is_empty());
        assert!(paragraphs("").is_empty());
    }

    #[test]
    fn names_needing_no_encoding_are_copied_and_the_rest_encoded() {
        for name in ["rust", "a-b.c_d~e", "c++", "école", "a b", "x/y", "50%", ""] {
            let mut pushed = String::new();
            push_component(&mut pushed, name);
            assert_eq!(pushed, encode_query(name), "{name}");
        }
    }

    #[test]
    fn human_dates_of_every_year_length() {
        for year in [0, 7, 99, 999, 2026, 12_345, -44] {
            let at = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap();
            // The year as a plain number, as `format!` wrote it before.
            let expected = format!("{} {year}", at.format("%-d %B"));
            assert_eq!(human_date(at), expected, "{year}");
        }
    }

    #[test]
    fn dates_read_like_people_write_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 5, 3).and_then(|d| d.and_hms_opt(10, 0, 0));
        assert_eq!(at.map(human_date).as_deref(), Some("3 May 2026"));
    }
}
