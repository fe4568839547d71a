//! Fan-out: one public bookmark by a user with N followers spread over M instances, delivered
//! by the real delivery queue to M inbox sinks on loopback. The sinks check every request's
//! HTTP signature and body digest (with the sender's key already known, as a real instance has
//! it cached) and count the requests. Measures the requests sent (the goal is one per shared
//! inbox), the time from publishing to the last delivery and signed deliveries per second, next
//! to this machine's RSA-2048 signing rate measured in the same run. Two bookmarks are
//! delivered one after the other: the first after start (which also opens the delivery
//! workers' database connections) and the second, the measure, as a running server sends.

use crate::instance::{self, Backend};
use crate::report::{Report, Row};
use crate::signatures;
use actix_web::{web as aw, App, HttpRequest, HttpResponse, HttpServer};
use bookmarks::model::{
    ActorKeys, BookmarkChanges, BookmarkDraft, BookmarkUrl, Password, PasswordHash, UserName,
    Visibility,
};
use bookmarks::store::federation::{add_follower, upsert_remote_actor, RemoteActor};
use bookmarks::store::{self, NewAccount};
use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use web::settings::Settings;
use web::Application;

/// Requests per sink port, and requests whose signature did not verify.
#[derive(Default)]
struct Counts {
    by_port: HashMap<u16, AtomicUsize>,
    rejected: AtomicUsize,
}

/// One HTTP server (two workers) listening on `instances` ports: each port is one instance.
fn sinks(instances: usize, public_pem: String) -> (Vec<u16>, Arc<Counts>) {
    let listeners: Vec<TcpListener> = (0..instances)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a sink"))
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().expect("sink address").port())
        .collect();
    let counts = Arc::new(Counts {
        by_port: ports.iter().map(|p| (*p, AtomicUsize::new(0))).collect(),
        rejected: AtomicUsize::new(0),
    });
    let shared = counts.clone();
    let mut server = HttpServer::new(move || {
        let counts = shared.clone();
        let public_pem = public_pem.clone();
        App::new().default_service(aw::to(move |request: HttpRequest, body: aw::Bytes| {
            let counts = counts.clone();
            let public_pem = public_pem.clone();
            async move {
                let headers: BTreeMap<String, String> = request
                    .headers()
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                    .collect();
                let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
                if !signatures::verify("POST", path, headers, &body, &public_pem) {
                    counts.rejected.fetch_add(1, Ordering::Relaxed);
                    return HttpResponse::Unauthorized().finish();
                }
                let port = request.app_config().local_addr().port();
                if let Some(count) = counts.by_port.get(&port) {
                    count.fetch_add(1, Ordering::Relaxed);
                }
                HttpResponse::Accepted().finish()
            }
        }))
    })
    .workers(2);
    for listener in listeners {
        server = server.listen(listener).expect("listen on a sink port");
    }
    tokio::spawn(server.run());
    (ports, counts)
}

fn remote_follower(i: usize, host: &str, public_key: &str) -> RemoteActor {
    RemoteActor {
        id: 0,
        ap_id: format!("http://{host}/u/f{i}"),
        kind: "Person".into(),
        handle: format!("f{i}@{host}"),
        host: host.to_owned(),
        name: format!("f{i}"),
        summary: String::new(),
        profile_url: String::new(),
        inbox: format!("http://{host}/u/f{i}/inbox"),
        shared_inbox: Some(format!("http://{host}/inbox")),
        public_key_pem: public_key.to_owned(),
        fetched_at: chrono::Utc::now().naive_utc(),
    }
}

async fn measure(backend: Backend, followers: usize, instances: usize, keys: &ActorKeys) -> Row {
    let (ports, counts) = sinks(instances, keys.public_pem.clone());
    let database_url = instance::fresh_database(backend, "fanout");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let app = Application::build_with_listener(Settings::local_test(port, &database_url), listener)
        .await
        .expect("build the application");
    let db = app.database().clone();
    let account = NewAccount {
        name: UserName::parse("alice").expect("name"),
        password_hash: PasswordHash::new(&Password::parse("correct horse battery").expect("pw"))
            .expect("hash"),
        is_admin: false,
        keys: keys.clone(),
    };
    let alice = db.write(|c| store::create_user(c, &account)).expect("user");
    db.write(|c| {
        for i in 0..followers {
            let host = format!("localhost:{}", ports[i % instances]);
            let actor = upsert_remote_actor(c, &remote_follower(i, &host, &keys.public_pem))?;
            add_follower(
                c,
                alice.id,
                "",
                &actor,
                &format!("http://{host}/follows/{i}"),
            )?;
        }
        Ok(())
    })
    .expect("followers");
    let data = app.federation().data();
    // The first fan-out after start also opens the database connections the delivery workers
    // use (16 on PostgreSQL, each a new server process); a server that has been running has
    // them. Both are reported; the second is the measure.
    let first = fan_out(
        &db,
        &data,
        alice.id,
        "https://example.com/fan-out/1",
        &counts,
    )
    .await;
    let warm = fan_out(
        &db,
        &data,
        alice.id,
        "https://example.com/fan-out/2",
        &counts,
    )
    .await;
    Row {
        scenario: "fan-out: one public bookmark".into(),
        backend,
        setup: format!("{followers} followers on {instances} instances"),
        result: format!(
            "{} requests, last after {:.0} ms, {:.0} signed deliveries/s \
             (first after start: {:.0} ms, {:.0}/s)",
            warm.requests,
            warm.seconds * 1000.0,
            warm.requests as f64 / warm.seconds,
            first.seconds * 1000.0,
            first.requests as f64 / first.seconds,
        ),
        p50_ms: None,
        p99_ms: None,
        errors: Some(0),
        peak_rss_mb: None,
    }
}

struct FanOut {
    requests: usize,
    seconds: f64,
}

/// Saves one public bookmark and delivers it: the requests the sinks counted (then reset) and
/// the time from the start of delivery to the last one.
async fn fan_out(
    db: &bookmarks::store::Database,
    data: &federation::Data,
    user_id: i64,
    url: &str,
    counts: &Counts,
) -> FanOut {
    let draft = BookmarkDraft {
        url: BookmarkUrl::parse(url).expect("url"),
        changes: BookmarkChanges {
            visibility: Some(Visibility::Public),
            ..BookmarkChanges::default()
        },
    };
    db.write(|c| store::save_bookmark(c, user_id, &draft))
        .expect("bookmark");
    let started = Instant::now();
    federation::activitypub::delivery::drain(data)
        .await
        .expect("deliver");
    let seconds = started.elapsed().as_secs_f64();
    let rejected = counts.rejected.load(Ordering::Relaxed);
    assert_eq!(rejected, 0, "every delivery carries a valid signature");
    assert!(
        counts
            .by_port
            .values()
            .all(|c| c.load(Ordering::Relaxed) == 1),
        "every instance gets exactly one request"
    );
    let requests = counts
        .by_port
        .values()
        .map(|c| c.swap(0, Ordering::Relaxed))
        .sum();
    FanOut { requests, seconds }
}

pub async fn run(backend: Backend, pairs: &[String], report: &mut Report) {
    let keys = ActorKeys::generate().expect("keys");
    let (signing, verifying) = signatures::rsa_rates(&keys.private_pem, &keys.public_pem);
    report.add(Row {
        scenario: "RSA-2048 (the limit of fan-out and inbound)".into(),
        backend,
        setup: "one core".into(),
        result: format!("{signing:.0} signatures/s, {verifying:.0} verifications/s"),
        p50_ms: None,
        p99_ms: None,
        errors: None,
        peak_rss_mb: None,
    });
    for pair in pairs {
        let (followers, instances) = pair
            .split_once(':')
            .and_then(|(n, m)| Some((n.trim().parse().ok()?, m.trim().parse().ok()?)))
            .unwrap_or_else(|| panic!("--fanout {pair}: use FOLLOWERS:INSTANCES"));
        let row = measure(backend, followers, instances, &keys).await;
        report.add(row);
    }
}
