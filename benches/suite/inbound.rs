//! Inbound: signed `Create(Note)` activities per second that a running `commonplace serve`
//! verifies, dedupes and stores. The remote actor is already known (its key cached, as for any
//! actor someone follows) and followed by bench0, so every activity becomes a bookmark in
//! bench0's network. The requests are signed before the clock starts (signing is the sender's
//! cost, about 30 times a verification's), then sent over 8 connections. The limit is the
//! machine's RSA verification rate, measured in the same run.

use crate::instance::{self, Backend, Server};
use crate::report::{median, Report, Row};
use crate::scenarios::Settings;
use crate::signatures::{self, RequestSigner};
use bookmarks::model::{ActorKeys, UserName};
use bookmarks::store::federation::{
    accept_follow, create_follow, upsert_remote_actor, RemoteActor,
};
use bookmarks::store::{self, DbConnection};
use bookmarks::Database;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use futures_util::StreamExt;
use std::time::Instant;

/// The remote actor's host: nothing listens there, and nothing needs to, since its key is known.
const REMOTE_HOST: &str = "localhost:9";
const CONNECTIONS: usize = 8;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count_remote_bookmarks(conn: &mut DbConnection) -> i64 {
    let rows: Vec<Count> = match conn {
        DbConnection::Sqlite(c) => {
            diesel::sql_query("SELECT COUNT(*) AS n FROM remote_bookmarks").load(c)
        }
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT COUNT(*) AS n FROM remote_bookmarks").load(c)
        }
    }
    .expect("count remote bookmarks");
    rows.first().map_or(0, |row| row.n)
}

fn actor_id() -> String {
    format!("http://{REMOTE_HOST}/users/remote")
}

/// bench0 and an accepted follow of the remote actor, written straight into the database.
fn follow_remote_actor(database_url: &str, keys: &ActorKeys) -> Database {
    instance::add_user(database_url, "bench0");
    let db = Database::connect(database_url).expect("open the benchmark database");
    let public_pem = keys.public_pem.clone();
    db.write(|c| {
        let name = UserName::parse("bench0").expect("a valid name");
        let user = store::find_user_by_name(c, &name)?.expect("bench0 exists");
        let actor = upsert_remote_actor(
            c,
            &RemoteActor {
                id: 0,
                ap_id: actor_id(),
                kind: "Person".into(),
                handle: format!("remote@{REMOTE_HOST}"),
                host: REMOTE_HOST.to_owned(),
                name: "Remote".into(),
                summary: String::new(),
                profile_url: actor_id(),
                inbox: format!("{}/inbox", actor_id()),
                shared_inbox: Some(format!("http://{REMOTE_HOST}/inbox")),
                public_key_pem: public_pem.clone(),
                fetched_at: chrono::Utc::now().naive_utc(),
            },
        )?;
        let (follow, _) = create_follow(c, user.id, &actor, "bench-follow")?;
        accept_follow(c, follow.id)?;
        Ok(())
    })
    .expect("follow the remote actor");
    db
}

fn create_activity(run: usize, i: usize) -> Vec<u8> {
    let actor = actor_id();
    let note = format!("{actor}/statuses/{run}-{i}");
    serde_json::to_vec(&serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "published": "2026-11-27T12:00:00Z",
            "content": format!("<p>Worth reading: <a href=\"https://blog.example/{run}/{i}\">blog.example/{run}/{i}</a> on caching and queues <a href=\"http://{REMOTE_HOST}/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>rust</span></a></p>"),
            "tag": [{"type": "Hashtag", "href": format!("http://{REMOTE_HOST}/tags/rust"), "name": "#rust"}],
        }
    }))
    .expect("JSON")
}

/// The headers and body of a signed POST.
type SignedRequest = (Vec<(String, String)>, Vec<u8>);

/// Sends `activities` pre-signed Creates; returns activities/s and the count of non-2xx answers.
async fn send(
    server: &Server,
    signer: &RequestSigner,
    run: usize,
    activities: usize,
) -> (f64, usize) {
    let host = format!("127.0.0.1:{}", server.port);
    let requests: Vec<SignedRequest> = (0..activities)
        .map(|i| {
            let body = create_activity(run, i);
            (signer.sign_post(&host, "/inbox", &body), body)
        })
        .collect();
    let client = reqwest::Client::new();
    let url = server.url("/inbox");
    let started = Instant::now();
    let failures = futures_util::stream::iter(requests)
        .map(|(headers, body)| {
            let mut request = client.post(&url).body(body);
            for (name, value) in headers.into_iter().filter(|(name, _)| name != "host") {
                request = request.header(name, value);
            }
            async move {
                match request.send().await {
                    Ok(response) if response.status().is_success() => 0,
                    _ => 1,
                }
            }
        })
        .buffer_unordered(CONNECTIONS)
        .fold(0, |sum, failed| async move { sum + failed })
        .await;
    (
        activities as f64 / started.elapsed().as_secs_f64(),
        failures,
    )
}

pub async fn run(backend: Backend, activities: usize, settings: &Settings, report: &mut Report) {
    let keys = ActorKeys::generate().expect("keys");
    let (_, verifying) = signatures::rsa_rates(&keys.private_pem, &keys.public_pem);
    let database_url = instance::fresh_database(backend, "inbound");
    let db = follow_remote_actor(&database_url, &keys);
    let server = Server::start(&database_url, "inbound").await;
    let signer = RequestSigner::new(&format!("{}#main-key", actor_id()), &keys.private_pem);
    server.reset_peak();
    let mut rates = Vec::new();
    let mut failures = 0;
    for run in 0..settings.runs {
        let (rate, failed) = send(&server, &signer, run, activities).await;
        rates.push(rate);
        failures += failed;
    }
    let stored = db.read(|c| Ok(count_remote_bookmarks(c))).expect("count");
    let expected = (activities * settings.runs) as i64;
    assert_eq!(
        stored, expected,
        "every activity is stored once ({failures} requests failed; see the inbound server log)"
    );
    // Replaying the last run changes nothing.
    let (_, _) = send(&server, &signer, settings.runs - 1, activities.min(200)).await;
    let after_replay = db.read(|c| Ok(count_remote_bookmarks(c))).expect("count");
    assert_eq!(after_replay, expected, "a replayed activity is stored once");
    report.add(Row {
        scenario: "inbound: signed Create(Note) stored".into(),
        backend,
        setup: format!(
            "{activities} activities, 8 connections (verification: {verifying:.0}/s on one core)"
        ),
        result: format!("{:.0} activities/s", median(rates)),
        p50_ms: None,
        p99_ms: None,
        errors: Some(failures as u64),
        peak_rss_mb: Some(server.peak_rss_mb()),
    });
}
