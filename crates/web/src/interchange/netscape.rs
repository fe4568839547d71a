//! Netscape bookmark files: `<DT><A HREF ADD_DATE LAST_MODIFIED PRIVATE TOREAD TAGS>title</A>`,
//! an optional `<DD>` with notes, folders as `<DT><H3>name</H3><DL>…</DL>`. Read as a stream of
//! HTML tokens (html5ever's tokenizer: entities, unquoted and upper-case attributes, unclosed
//! tags as browsers read them) without building a document, so a file of 100,000 bookmarks costs
//! little more memory than the bookmarks themselves.

use super::{epoch_time, folder_tag, ImportError, RawEntry};
use bookmarks::model::Visibility;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;

/// The tokenizer is fed this much text at a time (it copies what it is fed).
pub(super) const CHUNK_BYTES: usize = 64 * 1024;

/// Reads `text`, handing its entries to `found` as they are read, in file order, after every
/// part of [`CHUNK_BYTES`] (so that they can be stored while the rest is read), until `found`
/// returns `false`. An error (the file is not whole) comes after every entry was handed over:
/// none of them may then be kept.
pub fn read(text: &str, found: &mut dyn FnMut(Vec<RawEntry>) -> bool) -> Result<(), ImportError> {
    let mut reader = PartReader::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (chunk, after) = rest.split_at(end);
        rest = after;
        let ready = reader.feed(chunk);
        if !ready.is_empty() && !found(ready) {
            return Ok(());
        }
    }
    let last = reader.finish()?;
    if !last.is_empty() {
        found(last);
    }
    Ok(())
}

/// Reads a file a part at a time: each part's complete entries come back as it is fed.
pub(super) struct PartReader {
    tokenizer: Tokenizer<Reader>,
    input: BufferQueue,
}

impl PartReader {
    pub fn new() -> Self {
        Self {
            tokenizer: Tokenizer::new(Reader::default(), TokenizerOpts::default()),
            input: BufferQueue::default(),
        }
    }

    /// Reads the file's next part; returns the entries it completed.
    pub fn feed(&mut self, part: &str) -> Vec<RawEntry> {
        self.input.push_back(StrTendril::from_slice(part));
        let _ = self.tokenizer.feed(&self.input);
        std::mem::take(&mut self.tokenizer.sink.state.borrow_mut().entries)
    }

    /// Ends the file: its last entries, or why it is not whole.
    pub fn finish(self) -> Result<Vec<RawEntry>, ImportError> {
        self.tokenizer.end();
        let state = self.tokenizer.sink.state.into_inner();
        check_complete(state.opened_lists, state.closed_lists)?;
        Ok(state.entries)
    }
}

/// A file cut off in the middle still reads as HTML, so check that every list was closed.
fn check_complete(opened: usize, closed: usize) -> Result<(), ImportError> {
    if opened == 0 {
        return Err(ImportError(
            "the file has no bookmark list (`<DL>`); is it a bookmark export?".into(),
        ));
    }
    if closed < opened {
        return Err(ImportError(format!(
            "the file ends in the middle: {opened} lists (`<DL>`) are opened but only {closed} closed, so it looks truncated; export it again"
        )));
    }
    Ok(())
}

#[derive(Default)]
struct Reader {
    state: RefCell<ReadState>,
}

/// Where the reader is in the file.
#[derive(Default)]
struct ReadState {
    entries: Vec<RawEntry>,
    /// One per open `<DL>`: the folder it is (the `<H3>` before it), if any.
    folders: Vec<Option<String>>,
    /// The last `<H3>`'s text, until the `<DL>` it names (or a link) comes.
    heading: Option<String>,
    /// Inside an `<H3>`: its text so far.
    heading_text: Option<String>,
    /// The link being read, until its `<DD>` (if any) has ended.
    link: Option<RawEntry>,
    in_link_text: bool,
    /// Inside the link's `<DD>`: its notes so far.
    in_notes: bool,
    opened_lists: usize,
    closed_lists: usize,
}

impl ReadState {
    fn finish_link(&mut self) {
        self.in_link_text = false;
        self.in_notes = false;
        if let Some(link) = self.link.take() {
            self.entries.push(link);
        }
    }

    fn start(&mut self, tag: &Tag) {
        match &*tag.name {
            "a" => {
                let Some(entry) = self.link_entry(tag) else {
                    return;
                };
                self.finish_link();
                self.heading = None;
                self.link = Some(entry);
                self.in_link_text = true;
            }
            "dd" => {
                let reading_link = self.link.is_some() && !self.in_link_text && !self.in_notes;
                if !reading_link {
                    self.finish_link();
                }
                self.in_notes = reading_link;
            }
            "dt" => self.finish_link(),
            "dl" => {
                self.finish_link();
                self.opened_lists += 1;
                let folder = self.heading.take();
                self.folders.push(folder);
            }
            "h3" => {
                self.finish_link();
                self.heading_text = Some(String::new());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: &Tag) {
        match &*tag.name {
            "a" => self.in_link_text = false,
            "h3" => self.heading = self.heading_text.take(),
            "dl" => {
                self.finish_link();
                self.closed_lists += 1;
                self.folders.pop();
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(heading) = &mut self.heading_text {
            heading.push_str(text);
        } else if let Some(link) = &mut self.link {
            if self.in_link_text {
                link.title.push_str(text);
            } else if self.in_notes {
                link.notes.push_str(text);
            }
        }
    }

    /// The entry of an `<A HREF>` (links without HREF are not bookmarks).
    fn link_entry(&self, tag: &Tag) -> Option<RawEntry> {
        let attribute = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == name)
                .map(|a| a.value.to_string())
        };
        let href = attribute("href")?;
        let flag = |name: &str| {
            attribute(name)
                .is_some_and(|v| v.trim() == "1" || v.trim().eq_ignore_ascii_case("true"))
        };
        let mut tags: Vec<String> = attribute("tags")
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        tags.extend(self.folders.iter().flatten().filter_map(|f| folder_tag(f)));
        // PRIVATE="1" wins over our own attribute (a stricter setting is never loosened),
        // except for "my organisation", which we export as PRIVATE="1" too so other tools keep
        // it hidden.
        let visibility = match attribute("visibility").as_deref().map(Visibility::parse) {
            Some(Ok(Visibility::Org)) => Visibility::Org,
            _ if flag("private") => Visibility::Private,
            Some(Ok(v)) => v,
            _ => Visibility::Public,
        };
        Some(RawEntry {
            url: href.trim().to_owned(),
            title: String::new(),
            description: attribute("description").unwrap_or_default(),
            notes: String::new(),
            tags,
            visibility,
            unread: flag("toread"),
            created_at: attribute("add_date").as_deref().and_then(epoch_time),
            updated_at: attribute("last_modified").as_deref().and_then(epoch_time),
            problem: None,
        })
    }
}

impl TokenSink for Reader {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => state.start(&tag),
                TagKind::EndTag => state.end(&tag),
            },
            Token::CharacterTokens(text) => state.text(&text),
            Token::EOFToken => state.finish_link(),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of `text`, or why the file is refused.
    fn parse(text: &str) -> Result<Vec<RawEntry>, ImportError> {
        let mut entries = Vec::new();
        read(text, &mut |found| {
            entries.extend(found);
            true
        })?;
        Ok(entries)
    }

    const SAMPLE: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3 ADD_DATE="1600000000">Bookmarks Toolbar</H3>
    <DL><p>
        <DT><H3>Rust Things</H3>
        <DL><p>
            <DT><A HREF="https://doc.rust-lang.org/" ADD_DATE="1600000001" TAGS="docs,Learning Rust">The Book &amp; more</A>
            <DD>Start <b>here</b>
        </DL><p>
        <DT><A HREF="https://example.com/" ADD_DATE="1600000002" PRIVATE="1" TOREAD="1">Example</A>
    </DL><p>
</DL><p>
"#;

    #[test]
    fn reads_links_notes_flags_dates_and_folders() {
        let entries = parse(SAMPLE).expect("parses");
        assert_eq!(entries.len(), 2);
        let book = &entries[0];
        assert_eq!(book.url, "https://doc.rust-lang.org/");
        assert_eq!(book.title, "The Book & more");
        assert_eq!(book.notes.trim(), "Start here");
        assert_eq!(book.tags, vec!["docs", "Learning Rust", "rust-things"]);
        assert_eq!(
            book.created_at.map(|d| d.and_utc().timestamp()),
            Some(1_600_000_001)
        );
        let example = &entries[1];
        assert_eq!(example.visibility, Visibility::Private);
        assert!(example.unread);
        assert!(example.tags.is_empty(), "the toolbar is not a tag");
    }

    #[test]
    fn folder_descriptions_do_not_hide_folders_and_private_wins() {
        let text = r#"<DL><p><DT><H3>Work</H3><DD>Folder description<DL><p>
            <DT><A HREF="https://e.com/" PRIVATE="1" VISIBILITY="public">x</A></DL><p></DL><p>"#;
        let entries = parse(text).expect("parses");
        assert_eq!(entries[0].tags, vec!["work"]);
        assert_eq!(entries[0].visibility, Visibility::Private);
    }

    #[test]
    fn links_without_notes_folders_in_folders_and_entities_read_like_a_browser() {
        let text = r#"<DL><p>
            <DT><H3>Outer</H3>
            <DL><p>
                <DT><A HREF=https://a.example/ TAGS="x">A &lt;one&gt;</A>
                <DT><H3>Inner</H3>
                <DL><p>
                    <DT><A HREF="https://b.example/?a=1&amp;b=2">B</A>
                    <DD>Notes of B
                </DL><p>
                <DT><A HREF="https://c.example/">C</A>
                <DD>Notes of C
                <DT><A>no address</A>
            </DL><p>
        </DL><p>"#;
        let entries = parse(text).expect("parses");
        let summary: Vec<(&str, &str, &str, Vec<&str>)> = entries
            .iter()
            .map(|e| {
                (
                    e.url.as_str(),
                    e.title.as_str(),
                    e.notes.trim(),
                    e.tags.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("https://a.example/", "A <one>", "", vec!["x", "outer"]),
                (
                    "https://b.example/?a=1&b=2",
                    "B",
                    "Notes of B",
                    vec!["outer", "inner"]
                ),
                ("https://c.example/", "C", "Notes of C", vec!["outer"]),
            ]
        );
    }

    #[test]
    fn files_without_a_list_are_refused() {
        assert!(parse("<html><body>hello</body></html>")
            .is_err_and(|e| e.0.contains("no bookmark list")));
    }

    #[test]
    fn truncated_files_are_refused() {
        let cut = &SAMPLE[..SAMPLE.find("Example").unwrap_or(0)];
        assert!(parse(cut).is_err_and(|e| e.0.contains("truncated")));
    }

    #[test]
    fn a_long_file_is_handed_over_in_parts_in_file_order_and_can_be_stopped() {
        let mut file = String::from("<DL><p>\n");
        for i in 0..2_000 {
            file.push_str(&format!(
                "<DT><A HREF=\"https://e.example/{i}\">Page {i}</A>\n<DD>Notes of page {i}\n"
            ));
        }
        file.push_str("</DL><p>\n");
        assert!(file.len() > 2 * CHUNK_BYTES);
        let mut parts = Vec::new();
        read(&file, &mut |part| {
            parts.push(part);
            true
        })
        .expect("a whole file");
        assert!(parts.len() > 2, "{} parts", parts.len());
        let entries: Vec<RawEntry> = parts.into_iter().flatten().collect();
        assert_eq!(entries.len(), 2_000);
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(entry.url, format!("https://e.example/{i}"));
            assert_eq!(entry.notes.trim(), format!("Notes of page {i}"));
        }

        let mut handed = 0;
        read(&file, &mut |_| {
            handed += 1;
            false
        })
        .expect("stopped after the first part");
        assert_eq!(handed, 1);
    }
}
