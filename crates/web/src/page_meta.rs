//! Fetching a page's title and description when someone saves a link without a title. Goes
//! through the SSRF-safe client (1 MiB, 10 s, HTML only); any failure just means "no title",
//! never a failed save.

use bookmarks::model::{BookmarkUrl, Description, Title};
use federation::{FetchLimits, SafeClient};
use scraper::{Html, Selector};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: Option<Title>,
    pub description: Option<Description>,
}

pub async fn fetch_page_meta(client: &SafeClient, url: &BookmarkUrl) -> PageMeta {
    let Ok(parsed) = url::Url::parse(url.as_str()) else {
        return PageMeta::default();
    };
    match client.get_html(&parsed, FetchLimits::PAGE).await {
        Ok(document) => {
            let html = decode(&document.body, &document.content_type);
            // Parsing a megabyte of HTML is CPU work; keep it off the async workers.
            actix_web::web::block(move || extract(&html))
                .await
                .unwrap_or_default()
        }
        Err(e) => {
            tracing::info!(url = %url, error = %e, "no title: the page could not be fetched");
            PageMeta::default()
        }
    }
}

/// Decodes with the charset from the Content-Type header or a `<meta charset>` near the top,
/// UTF-8 otherwise; undecodable bytes become U+FFFD.
fn decode(body: &[u8], content_type: &str) -> String {
    let declared =
        charset_param(content_type).or_else(|| meta_charset(&body[..body.len().min(2048)]));
    let encoding = declared
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode(body).0.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("charset"))
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn meta_charset(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = text.find("charset=")? + "charset=".len();
    let value: String = text[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!value.is_empty()).then_some(value)
}

fn extract(html: &str) -> PageMeta {
    let document = Html::parse_document(html);
    let first = |selector: &str, attribute: Option<&str>| -> Option<String> {
        let selector = Selector::parse(selector).ok()?;
        let element = document.select(&selector).next()?;
        let value = match attribute {
            Some(name) => element.value().attr(name)?.to_owned(),
            None => element.text().collect::<String>(),
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        (!value.is_empty()).then_some(value)
    };
    let title = first("head title", None)
        .or_else(|| first("title", None))
        .or_else(|| first(r#"meta[property="og:title"]"#, Some("content")))
        .and_then(|t| {
            let cut: String = t.chars().take(bookmarks::model::MAX_TITLE_LENGTH).collect();
            Title::parse(&cut).ok()
        });
    let description = first(r#"meta[name="description"]"#, Some("content"))
        .or_else(|| first(r#"meta[property="og:description"]"#, Some("content")))
        .map(|d| Description::from_page(&d));
    PageMeta { title, description }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_title_and_description() {
        let meta = extract(
            r#"<html><head><title>  Hello
            World </title><meta name="description" content="A page &amp; more"></head></html>"#,
        );
        assert_eq!(
            meta.title.map(|t| t.as_str().to_owned()).as_deref(),
            Some("Hello World")
        );
        assert_eq!(
            meta.description.map(|d| d.as_str().to_owned()).as_deref(),
            Some("A page & more")
        );
    }

    #[test]
    fn falls_back_to_open_graph() {
        let meta = extract(
            r#"<meta property="og:title" content="OG"><meta property="og:description" content="D">"#,
        );
        assert_eq!(
            meta.title.map(|t| t.as_str().to_owned()).as_deref(),
            Some("OG")
        );
        assert_eq!(
            meta.description.map(|d| d.as_str().to_owned()).as_deref(),
            Some("D")
        );
    }

    #[test]
    fn empty_or_missing_title_is_none() {
        assert_eq!(extract("<title>   </title>"), PageMeta::default());
        assert_eq!(extract("not html at all"), PageMeta::default());
    }

    #[test]
    fn overlong_titles_are_cut_to_the_limit() {
        let meta = extract(&format!("<title>{}</title>", "a".repeat(2000)));
        assert_eq!(meta.title.map(|t| t.as_str().chars().count()), Some(500));
    }

    #[test]
    fn decodes_declared_charsets() {
        let latin1 = b"<title>caf\xe9</title>";
        assert!(decode(latin1, "text/html; charset=ISO-8859-1").contains("café"));
        let with_meta = b"<meta charset=\"windows-1252\"><title>caf\xe9</title>";
        assert!(decode(with_meta, "text/html").contains("café"));
        assert!(decode("<title>café</title>".as_bytes(), "text/html").contains("café"));
    }
}
