//! The entries of a file kept for import as it is read: in file order, each numbered, with
//! every later entry of an address already kept skipped (the first one wins, as a browser's
//! export lists it first).

use super::Skipped;
use bookmarks::model::ImportedBookmark;
use std::hash::BuildHasher;

/// One entry as read from a file: its number in the file (from 1) and its bookmark, or why it
/// is skipped.
#[derive(Debug)]
pub struct ReadEntry {
    pub number: usize,
    pub parsed: Result<ImportedBookmark, Skipped>,
}

#[derive(Default)]
pub struct KeptEntries {
    pub entries: Vec<ImportedBookmark>,
    /// The entry number in the file of each of `entries`.
    pub numbers: Vec<usize>,
    /// In file order.
    pub skipped: Vec<Skipped>,
    /// Indexes into `entries`, found by address. The addresses are looked up where they are
    /// rather than copied into a set: 100,000 copies were 10 MB more at the peak of an import.
    by_address: hashbrown::HashTable<usize>,
    hasher: std::hash::RandomState,
}

impl KeptEntries {
    /// Entries read so far, including those skipped.
    pub fn read(&self) -> usize {
        self.entries.len() + self.skipped.len()
    }

    /// Keeps the entries of `part`, read after every entry kept so far.
    pub fn add(&mut self, part: Vec<ReadEntry>) {
        for ReadEntry { number, parsed } in part {
            match parsed {
                Ok(entry) => self.keep(number, entry),
                Err(skipped) => self.skipped.push(skipped),
            }
        }
    }

    fn keep(&mut self, number: usize, entry: ImportedBookmark) {
        let address = entry.url.as_str();
        let hash = self.hasher.hash_one(address);
        let entries = &self.entries;
        if let Some(&first) = self
            .by_address
            .find(hash, |&kept| entries[kept].url.as_str() == address)
        {
            self.skipped.push(Skipped {
                entry: number,
                url: address.to_owned(),
                reason: format!("same address as entry {}", self.numbers[first]),
            });
            return;
        }
        let hasher = &self.hasher;
        self.by_address.insert_unique(hash, entries.len(), |&kept| {
            hasher.hash_one(entries[kept].url.as_str())
        });
        self.entries.push(entry);
        self.numbers.push(number);
    }
}
