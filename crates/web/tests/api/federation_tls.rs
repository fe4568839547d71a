//! Intranet offices: two instances in `production` mode behind TLS with certificates from an
//! internal CA, on loopback addresses (standing in for private ones), federate by configuration
//! alone: `allow_loopback_addresses` and `extra_ca_certificates`, https all the way.

use crate::helpers::{spawn_app_with, ApiClient, TestApp};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

/// A CA and a `localhost` certificate it signed: (CA PEM, certificate PEM, key PEM).
fn internal_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Offices' internal CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = server.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Terminates TLS on `listener` and passes each connection to `backend` (plain HTTP).
fn tls_proxy(listener: TcpListener, backend: u16, cert: &str, key: &str) {
    let identity =
        tokio_native_tls::native_tls::Identity::from_pkcs8(cert.as_bytes(), key.as_bytes())
            .unwrap();
    let acceptor = tokio_native_tls::TlsAcceptor::from(
        tokio_native_tls::native_tls::TlsAcceptor::new(identity).unwrap(),
    );
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let (Ok(mut tls), Ok(mut plain)) = (
                    acceptor.accept(socket).await,
                    TcpStream::connect(("127.0.0.1", backend)).await,
                ) else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
}

struct Office {
    app: TestApp,
    /// `localhost:PORT` of the TLS front.
    host: String,
}

async fn office(ca_file: Option<&std::path::Path>, cert: &str, key: &str) -> Office {
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = front.local_addr().unwrap().port();
    let ca = ca_file.map(|p| p.to_string_lossy().into_owned());
    let app = spawn_app_with(move |s| {
        s.public_url = url::Url::parse(&format!("https://localhost:{port}")).unwrap();
        s.federation.mode = federation::FederationMode::Production;
        s.federation.allow_loopback_addresses = true;
        s.federation.extra_ca_certificates = ca.into_iter().collect();
    })
    .await;
    let backend: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    tls_proxy(front, backend, cert, key);
    Office {
        app,
        host: format!("localhost:{port}"),
    }
}

async fn network_urls(client: &ApiClient) -> Vec<String> {
    let (_, body) = client.get("/api/network").await;
    body["bookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["url"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn offices_behind_an_internal_ca_federate_over_https() {
    let (ca, cert, key) = internal_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("offices-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let office_a = office(Some(&ca_file), &cert, &key).await;
    let office_b = office(Some(&ca_file), &cert, &key).await;
    let (_, alice) = office_a.app.api_user("alice");
    let (_, bob) = office_b.app.api_user("bob");

    let (status, body) = bob
        .post(
            "/api/follows",
            json!({"handle": format!("alice@{}", office_a.host)}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["actor"], format!("https://{}/u/alice", office_a.host));
    for _ in 0..3 {
        office_b.app.drain().await;
        office_a.app.drain().await;
    }
    let (_, follows) = bob.get("/api/follows").await;
    assert_eq!(follows["follows"][0]["state"], "accepted", "{follows}");
    alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://intranet.example/wiki", "visibility": "public"}),
        )
        .await;
    office_a.app.drain().await;
    assert_eq!(
        network_urls(&bob).await,
        vec!["https://intranet.example/wiki"]
    );

    // An office that does not trust the CA cannot even look the handle up.
    let stranger = office(None, &cert, &key).await;
    let (_, carol) = stranger.app.api_user("carol");
    let (status, body) = carol
        .post(
            "/api/follows",
            json!({"handle": format!("alice@{}", office_a.host)}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
}
