//! Remote text is hostile until reduced: HTML from other servers becomes plain text (our pages
//! escape it again when they show it), and every field has a length cap.

/// Plain text of an HTML fragment: tags dropped (ammonia removes scripts and styles with their
/// content), paragraphs and line breaks kept as newlines, entities decoded, at most `max`
/// characters.
pub fn html_to_text(html: &str, max: usize) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "</p>\n\n");
    let stripped = ammonia::Builder::empty().clean(&with_breaks).to_string();
    let decoded = decode_entities(&stripped);
    let text = decoded
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let collapsed = collapse_blank_lines(text.trim());
    truncate(&collapsed, max)
}

/// A single-line remote string (a name, a title): control characters removed, whitespace
/// collapsed, at most `max` characters.
pub fn single_line(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(
        &cleaned.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// Multi-line remote plain text: control characters other than newlines and tabs removed, at
/// most `max` characters.
pub fn plain_text(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    truncate(cleaned.trim(), max)
}

pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

fn decode_entities(text: &str) -> String {
    // ammonia's output escapes exactly these; undo them to get the text back.
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text_without_markup_or_scripts() {
        let html = r#"<p>Read <a href="https://x.example">this</a> &amp; that</p><p>line<br>two</p><script>alert(1)</script><img src=x onerror=alert(2)>"#;
        assert_eq!(html_to_text(html, 1000), "Read this & that\n\nline\ntwo");
    }

    #[test]
    fn escaped_markup_stays_text() {
        assert_eq!(
            html_to_text("<p>&lt;script&gt;x&lt;/script&gt;</p>", 100),
            "<script>x</script>"
        );
    }

    #[test]
    fn single_line_drops_controls_and_caps_length() {
        assert_eq!(single_line("  a\u{0}b \n c  ", 100), "a b c");
        assert_eq!(single_line("ééééé", 3), "ééé");
    }
}
