//! Fan-out benchmark: one public bookmark by a user with N followers spread over M instances.
//! The instances are minimal inbox sinks on loopback (they count requests and answer 202; they
//! do not verify signatures). Measures the requests sent (one per shared inbox is the goal), the
//! time from publishing to the last delivery, and signed deliveries per second, next to this
//! machine's RSA-2048 signing rate measured in the same run (the physical limit of signing).
//!
//!     cargo bench -p commonplace-web --bench fanout                 # 1,000/10 and 10,000/100
//!     BENCH_FANOUT=5000:50 cargo bench -p commonplace-web --bench fanout
//!
//! Set COMMONPLACE_TEST_DATABASE_URL to a postgres:// URL to run on PostgreSQL.

// A benchmark's failures should panic with their message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{web as aw, App, HttpResponse, HttpServer};
use bookmarks::model::{
    ActorKeys, BookmarkChanges, BookmarkDraft, BookmarkUrl, Password, PasswordHash, UserName,
    Visibility,
};
use bookmarks::store::federation::{add_follower, upsert_remote_actor, RemoteActor};
use bookmarks::store::{self, NewAccount};
use bookmarks::test_db::TestDatabase;
use federation::FederationMode;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use web::settings::{FederationSettings, RegistrationMode, Settings};
use web::Application;

fn sink(counter: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let counter = counter.clone();
        App::new().default_service(aw::to(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { HttpResponse::Accepted().finish() }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    port
}

fn settings(port: u16, database_url: &str) -> Settings {
    Settings {
        public_url: url::Url::parse(&format!("http://localhost:{port}")).unwrap(),
        bind: format!("127.0.0.1:{port}"),
        database_url: database_url.to_owned(),
        registration: RegistrationMode::Closed,
        instance_name: "Fan-out".into(),
        session_days: 1,
        login_attempts_per_minute: 10,
        import_max_bytes: 1024,
        trusted_proxies: Vec::new(),
        federation: FederationSettings {
            mode: FederationMode::LocalTest,
            allow_private_addresses: false,
            allow_loopback_addresses: false,
            extra_ca_certificates: Vec::new(),
            allowlist: Vec::new(),
            blocklist: Vec::new(),
            deliver: false,
        },
    }
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on one core (what HTTP signatures use).
fn signing_rate(private_pem: &str) -> f64 {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed().as_secs_f64() < 2.0 {
        let signature = signer.sign(format!("(request-target): post /inbox\ndate: {n}").as_bytes());
        std::hint::black_box(signature.to_bytes());
        n += 1;
    }
    f64::from(n) / started.elapsed().as_secs_f64()
}

async fn run(followers: usize, instances: usize, keys: &ActorKeys) {
    let counters: Vec<Arc<AtomicUsize>> = (0..instances).map(|_| Arc::default()).collect();
    let ports: Vec<u16> = counters.iter().map(|c| sink(c.clone())).collect();
    let database = TestDatabase::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Application::build_with_listener(settings(port, &database.url), listener)
        .await
        .unwrap();
    let db = app.database().clone();
    let password = PasswordHash::new(&Password::parse("correct horse battery").unwrap()).unwrap();
    let account = NewAccount {
        name: UserName::parse("alice").unwrap(),
        password_hash: password,
        is_admin: false,
        keys: keys.clone(),
    };
    let alice = db.write(|c| store::create_user(c, &account)).unwrap();
    let public_key = keys.public_pem.clone();
    db.write(|c| {
        for i in 0..followers {
            let host = format!("localhost:{}", ports[i % instances]);
            let actor = upsert_remote_actor(
                c,
                &RemoteActor {
                    id: 0,
                    ap_id: format!("http://{host}/u/f{i}"),
                    kind: "Person".into(),
                    handle: format!("f{i}@{host}"),
                    host: host.clone(),
                    name: format!("f{i}"),
                    summary: String::new(),
                    profile_url: String::new(),
                    inbox: format!("http://{host}/u/f{i}/inbox"),
                    shared_inbox: Some(format!("http://{host}/inbox")),
                    public_key_pem: public_key.clone(),
                    fetched_at: chrono::Utc::now().naive_utc(),
                },
            )?;
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
    .unwrap();
    let draft = BookmarkDraft {
        url: BookmarkUrl::parse("https://example.com/fan-out").unwrap(),
        changes: BookmarkChanges {
            visibility: Some(Visibility::Public),
            ..BookmarkChanges::default()
        },
    };
    db.write(|c| store::save_bookmark(c, alice.id, &draft))
        .unwrap();
    let data = app.federation().data();
    let started = Instant::now();
    let delivered = federation::activitypub::delivery::drain(&data)
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let requests: usize = counters.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    assert!(
        counters.iter().all(|c| c.load(Ordering::Relaxed) == 1),
        "every instance gets exactly one request"
    );
    println!(
        "{followers:>6} followers on {instances:>4} instances: {requests:>4} requests ({delivered} queue steps), last delivery after {:>7.1} ms, {:>7.0} signed deliveries/s",
        elapsed * 1000.0,
        requests as f64 / elapsed
    );
}

fn scenarios() -> Vec<(usize, usize)> {
    match std::env::var("BENCH_FANOUT") {
        Ok(spec) => spec
            .split(',')
            .map(|pair| {
                let (n, m) = pair
                    .split_once(':')
                    .expect("BENCH_FANOUT=FOLLOWERS:INSTANCES,…");
                (n.trim().parse().unwrap(), m.trim().parse().unwrap())
            })
            .collect(),
        Err(_) => vec![(1_000, 10), (10_000, 100)],
    }
}

#[actix_web::main]
async fn main() {
    let keys = ActorKeys::generate().unwrap();
    println!(
        "RSA-2048 signing: {:.0} signatures/s on one core",
        signing_rate(&keys.private_pem)
    );
    for (followers, instances) in scenarios() {
        run(followers, instances, &keys).await;
    }
}
