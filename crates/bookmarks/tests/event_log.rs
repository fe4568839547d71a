//! Reading the domain event log as federation does (`store::events_after`): every event once,
//! in order, and on PostgreSQL never past an event whose transaction is still running, so an
//! event that commits after a later one's is read rather than skipped.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{
    BookmarkChanges, BookmarkDraft, BookmarkUrl, DomainEvent, TagList, Title, Visibility,
};
use bookmarks::store::{self, Backend, ChangeGeneration, EventPosition, StoredEvent, User};
use bookmarks::test_db::{add_user, wait_until_settled, TestDatabase};
use bookmarks::Database;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A public bookmark of `url` tagged `tag`.
fn draft(url: &str, tag: &str) -> BookmarkDraft {
    BookmarkDraft {
        url: BookmarkUrl::parse(url).expect("url"),
        changes: BookmarkChanges {
            title: Some(Title::parse("A page").expect("title")),
            tags: Some(TagList::parse_each(&[tag]).expect("tags")),
            visibility: Some(Visibility::Public),
            ..BookmarkChanges::default()
        },
    }
}

fn save(db: &Database, user: &User, url: &str, tag: &str) {
    db.write(|c| store::save_bookmark(c, user.id, &draft(url, tag)))
        .expect("save");
}

/// The user's change generation as a page reads it with the user, and as it is read alone.
fn generations(db: &Database, user: &User) -> (ChangeGeneration, ChangeGeneration) {
    let name = user.name.clone();
    let (_, with_user) = db
        .read(|c| store::find_user_by_name_with_generation(c, &name))
        .expect("read the user")
        .expect("the user");
    let alone = db
        .read(|c| store::change_generation(c, Some(user.id)))
        .expect("read the generation");
    (with_user, alone)
}

fn created_url(event: &StoredEvent) -> String {
    match &event.event {
        DomainEvent::BookmarkCreated { bookmark } => bookmark.url.clone(),
        other => panic!("expected a created bookmark, got {other:?}"),
    }
}

/// Reads from `from`, `limit` events at most at a time, until `count` events have come (with
/// `count` 0: until nothing waits), as the delivery worker would over several passes. Other
/// tests' transactions on the same PostgreSQL server can hold events back for a moment, so
/// this waits for them (30 s at most).
fn read(
    db: &Database,
    from: EventPosition,
    count: usize,
    limit: usize,
) -> (Vec<StoredEvent>, EventPosition) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut read = Vec::new();
    let mut position = from;
    loop {
        let wanted = if count == 0 {
            limit
        } else {
            limit.min(count - read.len())
        };
        let batch = db
            .read(|c| store::events_after(c, position, i64::try_from(wanted).expect("a limit")))
            .expect("read the log");
        assert!(batch.events.len() <= wanted);
        let read_none = batch.events.is_empty();
        read.extend(batch.events);
        position = batch.end;
        let done = if count == 0 {
            read_none && !batch.waiting
        } else {
            read.len() == count
        };
        if done {
            return (read, position);
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {count} events were read",
            read.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_log_is_read_once_in_order_a_batch_at_a_time() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    for page in 1..=3 {
        save(&db, &alice, &format!("https://log.example/{page}"), "log");
    }

    let (first_two, after_two) = read(&db, EventPosition::default(), 2, 2);
    assert_eq!(
        first_two.iter().map(created_url).collect::<Vec<_>>(),
        ["https://log.example/1", "https://log.example/2"]
    );
    assert_eq!(after_two.id, first_two[1].id);

    let (rest, end) = read(&db, after_two, 1, 100);
    assert_eq!(
        rest.iter().map(created_url).collect::<Vec<_>>(),
        ["https://log.example/3"]
    );

    // Nothing new: the place stays where it was and nothing waits.
    let empty = db.read(|c| store::events_after(c, end, 100)).expect("read");
    assert!(empty.events.is_empty());
    assert_eq!(empty.end, end);
    assert!(!empty.waiting);
}

#[test]
fn an_event_committed_after_a_later_one_is_read_and_moves_the_change_generation() {
    let (_guard, db) = TestDatabase::connect();
    // SQLite commits one write at a time, so its events commit in id order.
    if db.backend() != Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let (_, start) = read(&db, EventPosition::default(), 0, 100);

    let (written, wait_for_written) = mpsc::channel();
    let (commit, wait_for_commit) = mpsc::channel::<()>();
    let (db_ref, alice_id) = (&db, alice.id);
    let generation_meanwhile = std::thread::scope(|scope| {
        let slow = scope.spawn(move || {
            db_ref
                .write(|c| {
                    store::save_bookmark(c, alice_id, &draft("https://log.example/slow", "slow"))?;
                    written.send(()).expect("tell the test");
                    // Bounded, so that a failed assertion below ends the test instead of leaving
                    // this thread (and the scope) waiting for good.
                    let _ = wait_for_commit.recv_timeout(Duration::from_secs(10));
                    Ok(())
                })
                .expect("the slow save");
        });
        wait_for_written
            .recv()
            .expect("the slow save wrote its event");
        // A later transaction takes a later id and commits first (another tag, so that it
        // does not wait for the slow save's tag totals).
        save(&db, &alice, "https://log.example/quick", "quick");

        let meanwhile = db
            .read(|c| store::events_after(c, start, 100))
            .expect("read");
        assert!(
            meanwhile.events.is_empty(),
            "read past a transaction still running: {:?}",
            meanwhile.events.iter().map(created_url).collect::<Vec<_>>()
        );
        assert!(meanwhile.waiting, "the quick save's event waits");
        assert_eq!(meanwhile.end, start);
        // Tag clouds are cached by the change generation: one counted now (without the slow
        // save) must not hold once the slow save commits.
        let generation_meanwhile = generations(&db, &alice);

        commit.send(()).expect("let the slow save commit");
        slow.join().expect("the slow save's thread");
        generation_meanwhile
    });

    // Once every transaction begun before the slow save's commit has ended (the other tests'
    // too, on a shared server), its change counts.
    wait_until_settled(&db, alice.id);
    let generation_after = generations(&db, &alice);
    for (meanwhile, after) in [
        (generation_meanwhile.0, generation_after.0),
        (generation_meanwhile.1, generation_after.1),
    ] {
        assert!(
            !meanwhile.covers(&after),
            "the change generation moved past a count made before the slow save committed: \
             {meanwhile:?} then {after:?}"
        );
    }
    assert_eq!(generation_after.0, generation_after.1);

    let (read, _) = read(&db, start, 2, 100);
    let urls: Vec<String> = read.iter().map(created_url).collect();
    assert_eq!(
        urls,
        ["https://log.example/slow", "https://log.example/quick"]
    );
    // By id alone the slow save's event comes first too, yet it committed last: a reader that
    // had moved past the quick save's id would never have read it.
    assert!(read[0].id < read[1].id);
}

#[test]
fn a_log_restored_onto_another_server_reads_on_without_repeats_or_gaps() {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    let (guard, db) = TestDatabase::connect();
    if db.backend() != Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let cursor = "test.event_cursor";
    for page in ["a", "b", "c"] {
        save(&db, &alice, &format!("https://log.example/{page}"), "log");
    }
    let (written, _) = read(&db, EventPosition::default(), 3, 100);
    let id_of = |page: &str| {
        written
            .iter()
            .find(|e| created_url(e) == format!("https://log.example/{page}"))
            .expect("an event of each page")
            .id
    };
    db.write(|c| store::lock_event_cursor(c, cursor).map(|_| ()))
        .expect("make the cursor");

    // As after pg_dump and a restore onto a server whose transaction ids are far behind the
    // old one's: the log and the cursor hold ids this server has not given out. On the old
    // server b's transaction came before a's (so transaction order is not id order), and the
    // reader had read b and a but not c.
    let ahead = 1_000_000_000_000_i64;
    let mut raw = diesel::PgConnection::establish(&guard.url).expect("connect");
    for (page, transaction) in [("a", ahead + 2), ("b", ahead + 1), ("c", ahead + 3)] {
        diesel::sql_query("UPDATE domain_events SET xact_id = $1 WHERE id = $2")
            .bind::<BigInt, _>(transaction)
            .bind::<BigInt, _>(id_of(page))
            .execute(&mut raw)
            .expect("move an event's transaction ahead");
    }
    diesel::sql_query("UPDATE instance_settings SET value = $1 WHERE name = $2")
        .bind::<Text, _>(format!("{}:{}", ahead + 2, id_of("a")))
        .bind::<Text, _>(cursor)
        .execute(&mut raw)
        .expect("move the cursor ahead");
    save(&db, &alice, "https://log.example/after-restore", "log");

    let position = db
        .write(|c| store::lock_event_cursor(c, cursor))
        .expect("take the cursor");
    assert_eq!(
        position,
        EventPosition {
            transaction: 1,
            id: 0
        }
    );
    let (rest, _) = read(&db, position, 2, 100);
    assert_eq!(
        rest.iter().map(created_url).collect::<Vec<_>>(),
        ["https://log.example/c", "https://log.example/after-restore"],
        "neither a nor b again, and c not passed over"
    );
    // Renumbered once: the next turn finds the log this server's.
    let again = db
        .write(|c| store::lock_event_cursor(c, cursor))
        .expect("take the cursor again");
    assert_eq!(again, position);
}
