//! The benchmark's data: a seeded generator of Netscape bookmark files, so every run (and every
//! machine) imports the same bookmarks. Realistic URLs on a dozen hosts, 3–8 word titles,
//! ~200-character notes and 1–5 tags per bookmark. Words and tags are drawn from long-tailed
//! (Zipf-like) vocabularies, as in real text: a few words are everywhere, most are rare. 10 % of
//! the bookmarks are private and 5 % marked to read.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Distinct tags.
pub const TAG_VOCABULARY: usize = 2_000;
/// Distinct words in titles and notes.
const TEXT_VOCABULARY: usize = 20_000;
const SEED: u64 = 42;

const COMMON_WORDS: &[&str] = &[
    "rust",
    "async",
    "database",
    "design",
    "notes",
    "guide",
    "release",
    "performance",
    "security",
    "web",
    "api",
    "testing",
    "linux",
    "history",
    "writing",
    "research",
    "team",
    "office",
    "meeting",
    "onboarding",
    "tutorial",
    "reference",
    "paper",
    "talk",
    "video",
    "library",
    "tooling",
    "review",
    "incident",
    "postmortem",
    "architecture",
    "cache",
    "queue",
    "search",
];
const SYLLABLES: &[&str] = &[
    "ka", "ri", "to", "mon", "sel", "ar", "ve", "lin", "do", "pra", "nu", "est", "or", "qui",
    "bel", "tan", "ex", "ro", "sa", "ful",
];
const HOSTS: &[&str] = &[
    "github.com",
    "docs.rs",
    "blog.example.org",
    "en.wikipedia.org",
    "news.ycombinator.com",
    "lwn.net",
    "arxiv.org",
    "www.youtube.com",
    "medium.com",
    "developer.mozilla.org",
    "stackoverflow.com",
    "intranet.office-a.example",
];

/// The word of a rank: the common words first, then made-up words of two to four syllables,
/// each rank its own word.
pub fn word(rank: usize) -> String {
    if let Some(word) = COMMON_WORDS.get(rank) {
        return (*word).to_owned();
    }
    let mut n = rank - COMMON_WORDS.len() + SYLLABLES.len();
    let mut word = String::new();
    while n > 0 {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    word
}

/// Tags are words too (a tag of rank r is the word of rank r), so searches find them in text
/// and in tags alike.
pub fn tag(rank: usize) -> String {
    word(rank)
}

/// Picks ranks with probability proportional to 1/rank^1.07.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.07);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.gen::<f64>() * total;
        self.cumulative.partition_point(|c| *c < x)
    }
}

/// The tag vocabulary and its weights as Lua tables (`tag_names`, `tag_cumulative`,
/// `tag_total`), for `wrk` scripts that tag new bookmarks as the generator does.
pub fn tag_distribution_lua() -> String {
    let zipf = Zipf::new(TAG_VOCABULARY);
    let names: Vec<String> = (0..TAG_VOCABULARY)
        .map(|rank| format!("\"{}\"", tag(rank)))
        .collect();
    let cumulative: Vec<String> = zipf.cumulative.iter().map(|c| format!("{c:.9}")).collect();
    format!(
        "local tag_names = {{{}}}\nlocal tag_cumulative = {{{}}}\nlocal tag_total = tag_cumulative[#tag_cumulative]\n",
        names.join(","),
        cumulative.join(",")
    )
}

struct Generator {
    rng: StdRng,
    tags: Zipf,
    words: Zipf,
}

impl Generator {
    fn new() -> Self {
        Self {
            rng: StdRng::seed_from_u64(SEED),
            tags: Zipf::new(TAG_VOCABULARY),
            words: Zipf::new(TEXT_VOCABULARY),
        }
    }

    fn sentence(&mut self, words: usize) -> String {
        let words: Vec<String> = (0..words)
            .map(|_| word(self.words.sample(&mut self.rng)))
            .collect();
        words.join(" ")
    }

    /// One `<DT>` entry, the `index`-th bookmark of the whole data set.
    fn entry(&mut self, index: usize, out: &mut String) {
        let host = HOSTS[self.rng.gen_range(0..HOSTS.len())];
        let tag_count = self.rng.gen_range(1..=5);
        let mut tags: Vec<String> = (0..tag_count)
            .map(|_| tag(self.tags.sample(&mut self.rng)))
            .collect();
        tags.sort();
        tags.dedup();
        // One bookmark every ~50 minutes, going back from 2026.
        let added = 1_790_000_000 - index as i64 * 3_000 - self.rng.gen_range(0..3_000);
        let title_words = self.rng.gen_range(3..9);
        let title = self.sentence(title_words);
        let notes = self.sentence(28);
        let _ = writeln!(
            out,
            "<DT><A HREF=\"https://{host}/{}/{index}?ref={}\" ADD_DATE=\"{added}\" PRIVATE=\"{}\" TOREAD=\"{}\" TAGS=\"{}\">{title}</A>\n<DD>{notes}",
            tags[0],
            self.rng.gen_range(0..1000),
            u8::from(self.rng.gen_bool(0.1)),
            u8::from(self.rng.gen_bool(0.05)),
            tags.join(","),
        );
    }
}

const HEADER: &str = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n";
const FOOTER: &str = "</DL><p>\n";

/// Writes `bookmarks` bookmarks for `users` users as one Netscape file per user under `dir`
/// (bookmark i goes to user i mod users) and returns the files in user order. Files already
/// there from an earlier run with the same sizes are reused: the generator is deterministic.
pub fn generate(dir: &Path, bookmarks: usize, users: usize) -> std::io::Result<Vec<PathBuf>> {
    let dir = dir.join(format!("{bookmarks}-bookmarks-{users}-users"));
    let files: Vec<PathBuf> = (0..users)
        .map(|u| dir.join(format!("user-{u}.html")))
        .collect();
    let complete = dir.join("complete");
    if complete.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(&dir)?;
    let mut writers = files
        .iter()
        .map(|path| {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            file.write_all(HEADER.as_bytes())?;
            Ok(file)
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut generator = Generator::new();
    let mut entry = String::new();
    for index in 0..bookmarks {
        entry.clear();
        generator.entry(index, &mut entry);
        writers[index % users].write_all(entry.as_bytes())?;
    }
    for mut writer in writers {
        writer.write_all(FOOTER.as_bytes())?;
        writer.flush()?;
    }
    std::fs::write(complete, "")?;
    Ok(files)
}
