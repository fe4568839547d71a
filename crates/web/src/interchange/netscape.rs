//! Netscape bookmark files: `<DT><A HREF ADD_DATE LAST_MODIFIED PRIVATE TOREAD TAGS>title</A>`,
//! an optional `<DD>` with notes, folders as `<DT><H3>name</H3><DL>…</DL>`. Parsed with an HTML5
//! parser (scraper), which copes with the format's unclosed tags the way browsers do.

use super::{epoch_time, folder_tag, ImportError, RawEntry};
use bookmarks::model::Visibility;
use scraper::{ElementRef, Html, Selector};

pub fn parse(text: &str) -> Result<Vec<RawEntry>, ImportError> {
    check_complete(text)?;
    let document = Html::parse_document(text);
    let links = Selector::parse("a[href]")
        .map_err(|e| ImportError(format!("internal selector error: {e}")))?;
    Ok(document.select(&links).map(entry).collect())
}

/// A file cut off in the middle still parses as HTML, so check that every list was closed.
fn check_complete(text: &str) -> Result<(), ImportError> {
    let lower = text.to_ascii_lowercase();
    let opened = lower.matches("<dl").count();
    let closed = lower.matches("</dl").count();
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

fn entry(link: ElementRef<'_>) -> RawEntry {
    let attribute = |name: &str| link.value().attr(name).map(str::to_owned);
    let flag = |name: &str| {
        attribute(name).is_some_and(|v| v.trim() == "1" || v.trim().eq_ignore_ascii_case("true"))
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
    tags.extend(folders(link).iter().filter_map(|f| folder_tag(f)));
    // PRIVATE="1" wins over our own attribute (a stricter setting is never loosened), except
    // for "my organisation", which we export as PRIVATE="1" too so other tools keep it hidden.
    let visibility = match attribute("visibility").as_deref().map(Visibility::parse) {
        Some(Ok(Visibility::Org)) => Visibility::Org,
        _ if flag("private") => Visibility::Private,
        Some(Ok(v)) => v,
        _ => Visibility::Public,
    };
    RawEntry {
        url: attribute("href").unwrap_or_default().trim().to_owned(),
        title: link.text().collect::<String>(),
        description: attribute("description").unwrap_or_default(),
        notes: notes(link),
        tags,
        visibility,
        unread: flag("toread"),
        created_at: attribute("add_date").as_deref().and_then(epoch_time),
        updated_at: attribute("last_modified").as_deref().and_then(epoch_time),
        problem: None,
    }
}

/// The text of the `<DD>` right after the link's `<DT>` (its own text, not nested lists).
fn notes(link: ElementRef<'_>) -> String {
    let Some(dt) = link
        .parent()
        .and_then(ElementRef::wrap)
        .filter(|e| e.value().name() == "dt")
    else {
        return String::new();
    };
    let next = dt.next_siblings().filter_map(ElementRef::wrap).next();
    match next {
        Some(dd) if dd.value().name() == "dd" => own_text(dd),
        _ => String::new(),
    }
}

/// All text inside `element` (markup such as `<b>` in notes kept as its text), except what is
/// inside a nested list: a folder's description `<DD>` can swallow the folder's `<DL>`.
fn own_text(element: ElementRef<'_>) -> String {
    let mut text = String::new();
    for child in element.children() {
        if let Some(t) = child.value().as_text() {
            text.push_str(t);
        } else if let Some(inner) = ElementRef::wrap(child).filter(|e| e.value().name() != "dl") {
            text.push_str(&own_text(inner));
        }
    }
    text
}

/// Folder names from the outermost in: each `<DL>` around the link is named by the `<H3>`
/// just before it (or before the folder's description `<DD>` that contains it).
/// The `<H3>` right before `element`, or inside the `<DT>` right before it (a folder's `<DD>`
/// ends its `<DT>`, so the heading sits one level down).
fn heading_before(element: ElementRef<'_>) -> Option<ElementRef<'_>> {
    let before = element
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .next()?;
    match before.value().name() {
        "h3" => Some(before),
        "dt" => before
            .children()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == "h3"),
        _ => None,
    }
}

fn folders(link: ElementRef<'_>) -> Vec<String> {
    let mut names: Vec<String> = link
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "dl")
        .filter_map(|dl| {
            heading_before(dl).or_else(|| {
                dl.parent()
                    .and_then(ElementRef::wrap)
                    .filter(|p| p.value().name() == "dd")
                    .and_then(heading_before)
            })
        })
        .map(|heading| heading.text().collect::<String>())
        .collect();
    names.reverse();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn truncated_files_are_refused() {
        let cut = &SAMPLE[..SAMPLE.find("Example").unwrap_or(0)];
        assert!(parse(cut).is_err_and(|e| e.0.contains("truncated")));
    }
}
