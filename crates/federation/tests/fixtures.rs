//! Activities, objects and actors in the shapes other fediverse servers send (fixtures under
//! `tests/fixtures/<server>/`, written from each project's documentation and source, not
//! captured from live servers): every one must parse with the inbox's own types, and every
//! Note-like object must reduce to the bookmark in that server's `expect.json`.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federation::activitypub::actors::ActorDocument;
use federation::activitypub::inbox::{announced_object, InboxActivity};
use federation::activitypub::note::parse_note;
use serde_json::Value;
use std::path::{Path, PathBuf};

const SERVERS: [&str; 7] = [
    "mastodon",
    "pleroma",
    "misskey",
    "gotosocial",
    "lemmy",
    "betula",
    "postmarks",
];

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixtures(server: &str) -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(server);
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, path)
        })
        .collect();
    files.sort();
    files
}

fn check_bookmark(server: &str, what: &str, object: &Value, expect: &Value) {
    let bookmark = parse_note(object).unwrap_or_else(|e| panic!("{server} {what}: {e}"));
    assert_eq!(bookmark.url, expect["url"], "{server} {what}: url");
    let tags: Vec<Value> = bookmark
        .tags
        .iter()
        .map(|t| Value::String(t.clone()))
        .collect();
    assert_eq!(Value::Array(tags), expect["tags"], "{server} {what}: tags");
    assert_eq!(
        bookmark.visibility, expect["visibility"],
        "{server} {what}: visibility"
    );
    if let Some(title) = expect.get("title") {
        assert_eq!(bookmark.title, *title, "{server} {what}: title");
    }
    assert!(
        !bookmark.notes.contains('<'),
        "{server} {what}: notes are text: {}",
        bookmark.notes
    );
}

#[test]
fn every_servers_shapes_parse_and_reduce_to_bookmarks() {
    for server in SERVERS {
        let files = fixtures(server);
        let expect = read(&files.iter().find(|(s, _)| s == "expect").unwrap().1);
        let mut activities = 0;
        for (stem, path) in &files {
            let json = read(path);
            match stem.as_str() {
                "expect" => {}
                "actor" | "community" => {
                    let actor: ActorDocument = serde_json::from_value(json)
                        .unwrap_or_else(|e| panic!("{server} {stem}: {e}"));
                    assert_eq!(actor.public_key.owner, actor.id, "{server} {stem}");
                    assert!(actor.public_key.public_key_pem.contains("PUBLIC KEY"));
                }
                "note" => check_bookmark(server, stem, &json, &expect),
                kind => {
                    let activity: InboxActivity = serde_json::from_value(json.clone())
                        .unwrap_or_else(|e| panic!("{server} {stem}: {e}"));
                    assert_eq!(activity.kind().to_lowercase(), kind, "{server} {stem}");
                    activities += 1;
                    match kind {
                        "create" | "update" => {
                            check_bookmark(server, stem, activity.object(), &expect);
                        }
                        "announce" => {
                            let shared = announced_object(activity.object());
                            if shared.is_object() {
                                check_bookmark(server, stem, &shared, &expect);
                            } else {
                                assert!(shared.as_str().is_some_and(|s| s.starts_with("https://")));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        assert!(activities >= 3, "{server}: only {activities} activities");
    }
}

#[test]
fn an_actor_given_as_an_object_is_read_by_its_id() {
    let activity: InboxActivity = serde_json::from_value(serde_json::json!({
        "id": "https://h.example/a/1",
        "type": ["Follow"],
        "actor": { "id": "https://h.example/u/x", "type": "Person" },
        "object": "https://office-a.example/u/alice",
    }))
    .unwrap();
    assert_eq!(activity.kind(), "Follow");
    assert_eq!(
        activitypub_federation::traits::Activity::actor(&activity).as_str(),
        "https://h.example/u/x"
    );
}
