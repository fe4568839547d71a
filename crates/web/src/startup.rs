//! `Application`: opens the database (creating and migrating it), binds the listener first so
//! the real port is known, prints the first-run setup link, and wires the routes.

use crate::auth::csrf::ensure_seed_cookie;
use crate::auth::rate_limit::LoginLimiter;
use crate::errors::PageError;
use crate::state::AppState;
use crate::{api, assets, feeds, pages, pinboard, Settings};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, DefaultHeaders, Logger, Next};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use bookmarks::model::Secret;
use bookmarks::{store, Database};
use federation::activitypub::delivery;
use federation::activitypub::routes::routes as federation_routes;
use federation::{Federation, FederationSettings, SafeClient};
use std::net::TcpListener;
use std::sync::Mutex;

pub struct Application {
    port: u16,
    server: Server,
    setup_url: Option<String>,
    db: Database,
    federation: Federation,
}

impl Application {
    /// Binds `settings.bind` and prepares the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind).with_context(|| {
            format!(
                "cannot listen on `{}` (setting `bind`); is another server using it?",
                settings.bind
            )
        })?;
        Self::build_with_listener(settings, listener).await
    }

    /// Prepares the server on a listener bound by the caller (tests bind port 0 first, then
    /// put the real port into `public_url`).
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        settings.validate().map_err(anyhow::Error::msg)?;
        let port = listener.local_addr()?.port();
        let url = settings.database_url.clone();
        let db = web::block(move || Database::connect(&url)).await??;
        let prepared = db.clone();
        let (csrf_key, user_count) = web::block(move || {
            let key = prepared.write(|c| {
                store::get_or_create_setting(c, "csrf_key", || Secret::generate().into_string())
            })?;
            let users = prepared.read(store::count_users)?;
            Ok::<_, bookmarks::StoreError>((key, users))
        })
        .await??;
        let user_agent = format!(
            "Commonplace/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.base_url()
        );
        let http = SafeClient::new(&settings.federation.network(), &user_agent)?;
        let federation = Federation::new(
            FederationSettings {
                public_url: settings.public_url.clone(),
                network: settings.federation.network(),
                allowlist: settings.federation.allowlist.clone(),
                blocklist: settings.federation.blocklist.clone(),
                open_registrations: settings.registration
                    == crate::settings::RegistrationMode::Open,
            },
            db.clone(),
            http.clone(),
        )
        .await?;
        if settings.federation.deliver {
            tokio::spawn(delivery::run_worker(federation.data()));
        }
        tokio::spawn(crate::maintenance::keep_pending_totals_small(db.clone()));
        tokio::spawn(crate::maintenance::keep_search_pending_list_short(
            db.clone(),
        ));
        let (setup_code, setup_url) = if user_count == 0 {
            let code = Secret::generate();
            let url = format!("{}/setup?code={}", settings.base_url(), code.as_str());
            (Some(code.hash()), Some(url))
        } else {
            (None, None)
        };
        let state = web::Data::new(AppState {
            db: db.clone(),
            login_limiter: LoginLimiter::new(settings.login_attempts_per_minute),
            settings,
            http,
            federation: federation.clone(),
            csrf_key: csrf_key.into_bytes(),
            setup_code: Mutex::new(setup_code),
            imports: Default::default(),
            pinboard_logins: Default::default(),
            api_tokens: Default::default(),
            tag_counts: Default::default(),
            owners: Default::default(),
            slow_listings: Default::default(),
        });
        let served = federation.clone();
        let server =
            HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .wrap(served.middleware())
                    .app_data(web::FormConfig::default().limit(256 * 1024).error_handler(
                        |err, _| {
                            PageError::BadRequest(format!(
                                "the form could not be read ({err}); reload the page and try again"
                            ))
                            .into()
                        },
                    ))
                    .app_data(web::QueryConfig::default().error_handler(|err, _| {
                        PageError::BadRequest(format!(
                            "the address has a parameter this page does not understand: {err}"
                        ))
                        .into()
                    }))
                    .wrap(from_fn(csrf_cookie_for_pages))
                    .wrap(security_headers())
                    // The path without its query: setup codes and invite codes travel in queries.
                    .wrap(
                        Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                            .custom_request_replace("method", |req| req.method().to_string()),
                    )
                    .configure(assets::routes)
                    .configure(pinboard::routes)
                    .configure(api::routes)
                    .configure(feeds::routes)
                    .configure(federation_routes)
                    .configure(pages::routes)
                    .default_service(web::to(|| async {
                        Err::<actix_web::HttpResponse, _>(PageError::NotFound)
                    }))
            })
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            setup_url,
            db,
            federation,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one-time link that creates the first (admin) account, while there is none.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn federation(&self) -> &Federation {
        &self.federation
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Pages get a CSRF seed cookie; the API, assets and health check do not need one.
async fn csrf_cookie_for_pages<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/static/") || path == "/healthz" {
        return next.call(req).await;
    }
    ensure_seed_cookie(req, next).await
}

/// No inline script, no framing, no sniffing; links to other sites carry no referrer path.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
}
