//! A fresh, empty database per test: a temporary SQLite file by default, or, when
//! `COMMONPLACE_TEST_DATABASE_URL` names a PostgreSQL server, a new database on it that is
//! dropped again when the test ends. Used by the storage and API tests of every crate.

use crate::store::{Backend, Database};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The environment variable that switches the storage tests to PostgreSQL.
pub const TEST_DATABASE_URL_VAR: &str = "COMMONPLACE_TEST_DATABASE_URL";

pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates the database (empty, no migrations applied yet).
    ///
    /// # Panics
    /// When the PostgreSQL server named by the environment cannot be reached: a test that
    /// should run on PostgreSQL must not silently run on nothing.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(base) if Backend::from_url(&base).0 == Backend::Postgres => {
                let base = without_tls(&base);
                let name = format!("commonplace_test_{unique}");
                let mut admin = PgConnection::establish(&base).unwrap_or_else(|e| {
                    panic!("{TEST_DATABASE_URL_VAR}={base} does not answer: {e}")
                });
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                let mut url = url::Url::parse(&base).expect("a PostgreSQL URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    cleanup: Cleanup::PostgresDatabase {
                        admin_url: base,
                        name,
                    },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("commonplace-test-{unique}.db"));
                Self {
                    url: path.display().to_string(),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }

    /// Creates the database and connects to it with migrations applied.
    #[allow(clippy::expect_used)]
    pub fn connect() -> (Self, Database) {
        let test_db = Self::new();
        let db = Database::connect(&test_db.url).expect("open the test database");
        (test_db, db)
    }
}

/// Creates a user named `name` (password "correct horse battery"). The key pair and password
/// hash are made once per test process, since generating them is slow.
///
/// # Panics
/// When the name is not a valid user name or the user cannot be stored.
#[allow(clippy::expect_used)]
pub fn add_user(db: &Database, name: &str) -> crate::store::User {
    let account = crate::store::NewAccount {
        name: crate::model::UserName::parse(name).expect("a valid user name"),
        password_hash: password_hash(),
        is_admin: false,
        keys: keys(),
    };
    db.write(|c| crate::store::create_user(c, &account))
        .expect("create the user")
}

/// A remote actor `{name}@far.example`, as a fetch of its profile would give it (not stored).
pub fn far_actor(name: &str) -> crate::store::federation::RemoteActor {
    crate::store::federation::RemoteActor {
        id: 0,
        ap_id: format!("https://far.example/users/{name}"),
        kind: "Person".into(),
        handle: format!("{name}@far.example"),
        host: "far.example".into(),
        name: name.into(),
        summary: String::new(),
        profile_url: format!("https://far.example/@{name}"),
        inbox: format!("https://far.example/users/{name}/inbox"),
        shared_inbox: None,
        public_key_pem: "key".into(),
        fetched_at: chrono::Utc::now().naive_utc(),
    }
}

/// `a0@far.example` … `a{n-1}@far.example` follow `user` and `user` follows each of them, in
/// that order; a follower whose number is a multiple of three follows only the tag `rust`,
/// and every fourth follow still waits for its answer.
///
/// # Panics
/// When they cannot be stored.
#[allow(clippy::expect_used)]
pub fn add_followers_and_follows(db: &Database, user: &crate::store::User, n: usize) {
    use crate::store::federation as fed;
    db.write(|c| {
        for i in 0..n {
            let actor = fed::upsert_remote_actor(c, &far_actor(&format!("a{i}")))?;
            let tag = if i % 3 == 0 { "rust" } else { "" };
            let activity = format!("https://far.example/f/{i}");
            fed::add_follower(c, user.id, tag, &actor, &activity)?;
            let public_id = format!("{}-f{i}", user.name);
            let (follow, _) = fed::create_follow(c, user.id, &actor, &public_id)?;
            if i % 4 != 0 {
                fed::accept_follow(c, follow.id)?;
            }
        }
        Ok(())
    })
    .expect("store the followers and follows");
}

/// The titles on every page of `filter`'s listing, following each page's cursor.
///
/// # Panics
/// When a page cannot be read.
#[allow(clippy::expect_used)]
pub fn titles_of_every_page(db: &Database, filter: &crate::store::BookmarkFilter) -> Vec<String> {
    let mut filter = filter.clone();
    let mut titles = Vec::new();
    loop {
        let page = db
            .read(|c| crate::store::list_bookmarks(c, &filter))
            .expect("read a page");
        titles.extend(page.items.iter().map(|b| b.title.as_str().to_owned()));
        match page.next {
            Some(next) => filter.before = Some(next),
            None => return titles,
        }
    }
}

/// Waits until every transaction that wrote one of `owner`'s events has ended and no older one
/// still runs anywhere on the server, so that their change generation
/// ([`crate::store::ChangeGeneration`]) stands still until their next write (on PostgreSQL its
/// `settled` part moves only then; tests on a shared server see other tests' transactions).
/// Nothing to wait for on SQLite.
///
/// # Panics
/// When that has not happened within 30 seconds.
#[allow(clippy::expect_used)]
pub fn wait_until_settled(db: &Database, owner: i64) {
    #[derive(diesel::QueryableByName)]
    struct Settled {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        settled: bool,
    }
    if db.backend() != Backend::Postgres {
        return;
    }
    let started = std::time::Instant::now();
    loop {
        let now = db
            .read(|c| {
                use diesel::RunQueryDsl;
                Ok(diesel::sql_query(
                    "SELECT coalesce(max(xact_id), 0) \
                     < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS settled \
                     FROM domain_events WHERE user_id = $1",
                )
                .bind::<diesel::sql_types::BigInt, _>(owner)
                .get_result::<Settled>(c)?)
            })
            .expect("look at the running transactions");
        if now.settled {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "a transaction on the server ran for 30 s and held back user {owner}'s changes"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// One key pair for every test account (generating RSA keys takes a while).
///
/// # Panics
/// When no key pair can be generated.
#[allow(clippy::expect_used)]
pub fn keys() -> crate::model::ActorKeys {
    static KEYS: std::sync::OnceLock<crate::model::ActorKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| crate::model::ActorKeys::generate().expect("generate a key pair"))
        .clone()
}

/// The hash of the test accounts' password, "correct horse battery" (hashed once).
///
/// # Panics
/// When the password cannot be hashed.
#[allow(clippy::expect_used)]
pub fn password_hash() -> crate::model::PasswordHash {
    use crate::model::{Password, PasswordHash};
    static HASH: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        PasswordHash::new(&Password::parse("correct horse battery").expect("the password policy"))
            .expect("hash the password")
    })
    .clone()
}

/// The test server's URL with TLS and GSS encryption turned off unless the URL asks for them.
/// Test databases are on loopback; with TLS, a test process whose leftover pool threads still
/// held encrypted connections when it exited crashed in OpenSSL's exit handlers (SIGSEGV in
/// `libcrypto.so.3` after every test had passed, seen once in CI).
#[allow(clippy::expect_used)]
fn without_tls(base: &str) -> String {
    let mut url = url::Url::parse(base).expect("a PostgreSQL URL");
    let given: Vec<String> = url.query_pairs().map(|(key, _)| key.into_owned()).collect();
    for key in ["sslmode", "gssencmode"] {
        if !given.iter().any(|k| k == key) {
            url.query_pairs_mut().append_pair(key, "disable");
        }
    }
    url.to_string()
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_tls;

    #[test]
    fn test_connections_go_without_tls_unless_the_url_asks_for_it() {
        assert_eq!(
            without_tls("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&gssencmode=disable"
        );
        assert_eq!(
            without_tls("postgres://postgres@db:5432/x?sslmode=require"),
            "postgres://postgres@db:5432/x?sslmode=require&gssencmode=disable"
        );
    }
}
