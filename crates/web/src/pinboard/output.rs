//! Pinboard's response shapes, in XML (the default) and JSON (`format=json`), as its v1 API
//! documents them.

use crate::interchange::{md5_hex, pinboard_meta};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bookmarks::store::Bookmark;
use chrono::{NaiveDateTime, SecondsFormat};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// `2011-03-24T19:02:07Z`, Pinboard's time format.
pub fn pinboard_time(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A small XML document under construction; attribute values and text are escaped. It writes
/// into memory, where writing cannot fail, so the writer's results are not checked.
pub struct Xml(Writer<Vec<u8>>);

impl Xml {
    pub fn new() -> Self {
        let mut writer = Writer::new(Vec::new());
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        Self(writer)
    }

    /// A piece of a document another writer began (no declaration).
    pub fn fragment() -> Self {
        Self(Writer::new(Vec::new()))
    }

    fn element<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
        let mut element = BytesStart::new(name);
        for (key, value) in attributes {
            // Line breaks are written as references: a parser turns a literal one in an
            // attribute into a space, and notes would lose their paragraphs.
            let escaped = quick_xml::escape::escape(*value)
                .replace('\n', "&#10;")
                .replace('\r', "&#13;")
                .replace('\t', "&#9;");
            element.push_attribute(quick_xml::events::attributes::Attribute {
                key: quick_xml::name::QName(key),
                value: std::borrow::Cow::Owned(escaped),
            });
        }
        element
    }

    pub fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        let _ = self
            .0
            .write_event(Event::Empty(Self::element(name, attributes)));
        self
    }

    pub fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        let _ = self
            .0
            .write_event(Event::Start(Self::element(name, attributes)));
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        let _ = self.0.write_event(Event::Text(BytesText::new(text)));
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = self.0.write_event(Event::End(BytesEnd::new(name)));
        self
    }

    pub fn finish(self) -> String {
        String::from_utf8(self.0.into_inner()).unwrap_or_default()
    }
}

pub fn xml_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    crate::api::json::json_response_with(status, body, 1024)
}

/// `<result code="done" />` / `{"result_code": "done"}`: posts/add, posts/delete, errors.
pub fn result_code(format: Format, status: StatusCode, code: &str) -> HttpResponse {
    match format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.empty("result", &[("code", code)]);
            xml_response(status, xml.finish())
        }
        Format::Json => json_response(status, &json!({ "result_code": code })),
    }
}

/// `<result>text</result>` / `{"result": "text"}`: tags/delete, tags/rename, user/api_token.
pub fn result_text(format: Format, text: &str) -> HttpResponse {
    match format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("result", &[]).text(text).close("result");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(StatusCode::OK, &json!({ "result": text })),
    }
}

/// One bookmark as Pinboard's post: `description` is the title, `extended` the notes.
pub struct Post {
    pub href: String,
    pub description: String,
    pub extended: String,
    pub meta: String,
    pub hash: String,
    pub time: String,
    pub shared: &'static str,
    pub toread: &'static str,
    pub tags: String,
}

impl Post {
    pub fn of(b: &Bookmark) -> Self {
        Self {
            href: b.url.to_string(),
            description: b.title.as_str().to_owned(),
            extended: b.notes.as_str().to_owned(),
            meta: pinboard_meta(b),
            hash: md5_hex(b.url.as_str()),
            time: pinboard_time(b.created_at),
            shared: if !b.visibility.is_open() { "no" } else { "yes" },
            toread: if b.unread { "yes" } else { "no" },
            tags: b.tags.names().join(" "),
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "href": self.href,
            "description": self.description,
            "extended": self.extended,
            "meta": self.meta,
            "hash": self.hash,
            "time": self.time,
            "shared": self.shared,
            "toread": self.toread,
            "tags": self.tags,
        })
    }

    /// XML names the tag attribute `tag`, JSON `tags`.
    pub fn xml(&self, xml: &mut Xml) {
        xml.empty(
            "post",
            &[
                ("href", &self.href),
                ("description", &self.description),
                ("extended", &self.extended),
                ("meta", &self.meta),
                ("hash", &self.hash),
                ("time", &self.time),
                ("shared", self.shared),
                ("toread", self.toread),
                ("tag", &self.tags),
            ],
        );
    }
}

/// posts/get and posts/recent: `<posts dt user>` / `{"date", "user", "posts": [..]}`.
pub fn posts_with_date(format: Format, user: &str, date: &str, posts: &[Post]) -> HttpResponse {
    match format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("posts", &[("dt", date), ("user", user)]);
            for post in posts {
                post.xml(&mut xml);
            }
            xml.close("posts");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(
            StatusCode::OK,
            &json!({ "date": date, "user": user, "posts": posts.iter().map(Post::json).collect::<Vec<_>>() }),
        ),
    }
}

/// posts/all: `<posts user>` / a bare JSON array, written in pieces: this begins it.
pub fn all_posts_head(format: Format, user: &str) -> String {
    match format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("posts", &[("user", user)]);
            xml.finish()
        }
        Format::Json => "[".to_owned(),
    }
}

/// Appends posts to posts/all's answer; `first` when none were written before them.
pub fn all_posts_more(format: Format, out: &mut String, posts: &[Post], first: bool) {
    match format {
        Format::Xml => {
            let mut xml = Xml::fragment();
            for post in posts {
                post.xml(&mut xml);
            }
            out.push_str(&xml.finish());
        }
        Format::Json => {
            for (at, post) in posts.iter().enumerate() {
                if at > 0 || !first {
                    out.push(',');
                }
                // Strings only: writing cannot fail.
                if let Ok(json) = sonic_rs::to_string(&post.json()) {
                    out.push_str(&json);
                }
            }
        }
    }
}

/// Ends posts/all's answer.
pub fn all_posts_tail(format: Format) -> &'static str {
    match format {
        Format::Xml => "</posts>",
        Format::Json => "]",
    }
}

/// A JSON object from name → count pairs (tags/get, the dates of posts/dates).
pub fn counts_object(pairs: &[(String, i64)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(name, count)| (name.clone(), json!(count)))
            .collect::<Map<String, Value>>(),
    )
}
