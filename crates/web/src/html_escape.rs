//! The templates' HTML escaper (`askama.toml`): askama's own, with the search for the characters
//! to escape made eight bytes at a time.
//!
//! askama looks at every byte of every value it writes into a page, one at a time: a user's
//! page of fifty bookmarks spent 11 % of its instructions there (callgrind, 2026-12-03). Most
//! of a page's text needs no escaping, so this one tests eight bytes per step for any of the
//! five characters and copies the runs between them whole. It writes exactly what askama's
//! `Html` writes (`&#34;`, `&#38;`, `&#39;`, `&#60;`, `&#62;`), which the tests below compare
//! for every byte and for mixed texts.
//!
//! Per value, that is: askama skips its escaper for values it knows are HTML already (and
//! escapes literals at compile time) only when the escaper is its own `Html`. The templates mark
//! such values with `|safe`, which works with any escaper; a filter that returns HTML
//! (`linebreaks`, `urlencode`, …) would be escaped a second time here, so it needs `|safe`.

use std::fmt::{self, Write};

/// The escaper the templates use for `.html` files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        let bytes = string.as_bytes();
        let mut copied = 0;
        let mut from = 0;
        while let Some(at) = next_to_escape(bytes, from) {
            if copied < at {
                dest.write_str(&string[copied..at])?;
            }
            dest.write_str(entity(bytes[at]))?;
            copied = at + 1;
            from = at + 1;
        }
        if copied < bytes.len() {
            dest.write_str(&string[copied..])?;
        }
        Ok(())
    }

    fn write_escaped_char<W: Write>(&self, dest: W, c: char) -> fmt::Result {
        askama::filters::Html.write_escaped_char(dest, c)
    }
}

/// What askama writes for a character that needs escaping.
fn entity(byte: u8) -> &'static str {
    match byte {
        b'"' => "&#34;",
        b'&' => "&#38;",
        b'\'' => "&#39;",
        b'<' => "&#60;",
        b'>' => "&#62;",
        other => {
            // `next_to_escape` finds only the five above.
            debug_assert!(false, "not a character to escape: {other:#x}");
            "&#62;"
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` equal to `byte`. The lowest bit set marks the first
/// such byte exactly (a borrow only runs upwards from a byte that matched), which is all the
/// search uses.
#[inline(always)]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let differences = word ^ (ONES * u64::from(byte));
    differences.wrapping_sub(ONES) & !differences & HIGHS
}

/// The high bit of each byte of `word` that is one of `"&'<>` (at least the lowest one exactly,
/// as [`bytes_equal`]). Three tests, not five: `"` and `&` differ only in the bit `0x04`, `<`
/// and `>` only in `0x02`, so each pair is one test with that bit cleared.
#[inline(always)]
fn bytes_to_escape(word: u64) -> u64 {
    bytes_equal(word & !(ONES * 0x04), b'"')
        | bytes_equal(word & !(ONES * 0x02), b'<')
        | bytes_equal(word, b'\'')
}

/// Whether `byte` is one of `"&'<>`, tested as [`bytes_to_escape`] tests each byte.
#[inline(always)]
fn is_to_escape(byte: u8) -> bool {
    (byte & !0x04 == b'"') | (byte & !0x02 == b'<') | (byte == b'\'')
}

/// The eight bytes of `bytes` from `at`, as one little-endian word.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// Where in `bytes` the first of `"&'<>` is, given the lowest high bit `found` marks in the
/// word read from `at`.
#[inline(always)]
fn place(at: usize, found: u64) -> usize {
    // Little-endian: the lowest bit belongs to the first byte.
    at + (found.trailing_zeros() / 8) as usize
}

/// Where the first of `"&'<>` is in `bytes` at or after `from`: eight bytes tested per step,
/// and the last (fewer than eight) as the text's last eight, which overlap bytes already
/// found clean. A text shorter than eight is tested a byte at a time.
fn next_to_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let end = bytes.len();
    if end.checked_sub(from)? < 8 {
        return bytes
            .get(from..)?
            .iter()
            .position(|&byte| is_to_escape(byte))
            .map(|offset| from + offset);
    }
    let mut at = from;
    while let Some(word) = word_at(bytes, at) {
        let found = bytes_to_escape(word);
        if found != 0 {
            return Some(place(at, found));
        }
        at += 8;
    }
    if at == end {
        return None;
    }
    let last = end - 8;
    let found = bytes_to_escape(word_at(bytes, last)?);
    (found != 0).then(|| place(last, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::filters::Escaper;

    fn ours(text: &str) -> String {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, text).expect("write");
        out
    }

    fn askamas(text: &str) -> String {
        let mut out = String::new();
        askama::filters::Html
            .write_escaped_str(&mut out, text)
            .expect("write");
        out
    }

    #[test]
    fn every_ascii_character_is_written_as_askama_writes_it() {
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            // At every place of texts of every length up to past four words of eight (so
            // alone, in the short path, in a whole word and in the overlapping last one).
            for length in 0..40 {
                for place in 0..=length {
                    let mut text = "x".repeat(length);
                    text.insert(place, c);
                    assert_eq!(ours(&text), askamas(&text), "{byte:#x} at {place}");
                }
            }
        }
    }

    #[test]
    fn mixed_texts_are_written_as_askama_writes_them() {
        let texts = [
            "",
            "plain words with no markup at all, longer than one chunk",
            "<script>alert('x')</script> & \"quotes\" > 'apostrophes'",
            "<<<<<<<<>>>>>>>>&&&&&&&&\"\"\"\"\"\"\"\"''''''''",
            "é漢字🦀 <b>ünïcödé</b> & more é漢字🦀",
            "https://example.com/a?b=1&c=2&d=<3>#'frag'",
            "a&b",
            "1234567&",
            "12345678&",
            "&1234567",
            // Bytes just after a match that can set a false bit in the same word.
            "\"#<=>?&'!\"\"#$<<=>>?",
            "a<=b>?c\"#d&'e",
        ];
        for text in texts {
            assert_eq!(ours(text), askamas(text), "{text:?}");
        }
        // Every byte position of a longer text with characters to escape scattered through it.
        let long: String = (0..200)
            .map(|i| match i % 37 {
                0 => '<',
                5 => '&',
                11 => '"',
                19 => '\'',
                23 => '>',
                29 => 'é',
                _ => 'a',
            })
            .collect();
        assert_eq!(ours(&long), askamas(&long));
    }

    #[test]
    fn characters_are_escaped_as_askama_escapes_them() {
        for c in ['<', '>', '&', '"', '\'', 'a', 'é', '🦀'] {
            let mut mine = String::new();
            Html.write_escaped_char(&mut mine, c).expect("write");
            let mut theirs = String::new();
            askama::filters::Html
                .write_escaped_char(&mut theirs, c)
                .expect("write");
            assert_eq!(mine, theirs);
        }
    }
}
