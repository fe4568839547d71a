//! The SSRF-safe client against real local servers: what local-test mode fetches, what
//! production mode refuses, and the size, time and content-type caps.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use federation::{FederationMode, FetchError, FetchLimits, NetworkSettings, SafeClient};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `response` (raw HTTP) to every connection, after `delay`; returns the port.
async fn serve(response: Vec<u8>, delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                tokio::time::sleep(delay).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn client(mode: FederationMode) -> SafeClient {
    SafeClient::new(
        &NetworkSettings {
            mode,
            ..NetworkSettings::default()
        },
        "Commonplace-test",
    )
    .expect("client")
}

fn url(s: &str) -> url::Url {
    url::Url::parse(s).expect("url")
}

#[tokio::test]
async fn local_test_mode_fetches_html_from_localhost() {
    let port = serve(
        http(
            "200 OK",
            &[("Content-Type", "text/html; charset=utf-8")],
            b"<title>Hi</title>",
        ),
        Duration::ZERO,
    )
    .await;
    let page = client(FederationMode::LocalTest)
        .get_html(
            &url(&format!("http://localhost:{port}/")),
            FetchLimits::PAGE,
        )
        .await
        .expect("fetched");
    assert_eq!(page.body, b"<title>Hi</title>");
    assert!(page.content_type.starts_with("text/html"));
}

#[tokio::test]
async fn production_mode_refuses_loopback_by_name_and_by_address() {
    let port = serve(
        http("200 OK", &[("Content-Type", "text/html")], b"secret"),
        Duration::ZERO,
    )
    .await;
    let production = client(FederationMode::Production);
    for target in [
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        let err = production
            .get_html(&url(&target), FetchLimits::PAGE)
            .await
            .err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("private, local or reserved"),
            "{target}: {message}"
        );
    }
}

#[tokio::test]
async fn redirects_are_checked_again() {
    // A public-looking first hop cannot be staged locally, so check the redirect rule itself:
    // in local-test mode a redirect to a forbidden address class (unspecified) is refused.
    let port = serve(
        http("302 Found", &[("Location", "http://0.0.0.0:1/")], b""),
        Duration::ZERO,
    )
    .await;
    let err = client(FederationMode::LocalTest)
        .get_html(
            &url(&format!("http://localhost:{port}/")),
            FetchLimits::PAGE,
        )
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("0.0.0.0"), "{err}");
}

#[tokio::test]
async fn only_html_is_read() {
    let port = serve(
        http("200 OK", &[("Content-Type", "application/pdf")], b"%PDF"),
        Duration::ZERO,
    )
    .await;
    let err = client(FederationMode::LocalTest)
        .get_html(
            &url(&format!("http://localhost:{port}/")),
            FetchLimits::PAGE,
        )
        .await
        .err();
    assert!(matches!(err, Some(FetchError::NotHtml(t)) if t == "application/pdf"));
}

#[tokio::test]
async fn bodies_are_cut_at_the_size_cap() {
    let body = vec![b'a'; 300_000];
    let port = serve(
        http("200 OK", &[("Content-Type", "text/html")], &body),
        Duration::ZERO,
    )
    .await;
    let limits = FetchLimits {
        max_bytes: 100_000,
        timeout: Duration::from_secs(10),
    };
    let page = client(FederationMode::LocalTest)
        .get_html(&url(&format!("http://localhost:{port}/")), limits)
        .await
        .expect("fetched");
    assert_eq!(page.body.len(), 100_000);
}

#[tokio::test]
async fn slow_servers_time_out() {
    let port = serve(
        http("200 OK", &[("Content-Type", "text/html")], b"late"),
        Duration::from_secs(5),
    )
    .await;
    let limits = FetchLimits {
        max_bytes: 1000,
        timeout: Duration::from_millis(300),
    };
    let err = client(FederationMode::LocalTest)
        .get_html(&url(&format!("http://localhost:{port}/")), limits)
        .await
        .err();
    assert!(err
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("in time"));
}

#[tokio::test]
async fn errors_and_other_schemes_are_reported() {
    let port = serve(
        http("404 Not Found", &[("Content-Type", "text/html")], b"no"),
        Duration::ZERO,
    )
    .await;
    let local = client(FederationMode::LocalTest);
    let err = local
        .get_html(
            &url(&format!("http://localhost:{port}/")),
            FetchLimits::PAGE,
        )
        .await
        .err();
    assert!(matches!(err, Some(FetchError::Status(s)) if s.as_u16() == 404));
    let err = local
        .get_html(&url("ftp://example.com/"), FetchLimits::PAGE)
        .await
        .err();
    assert!(matches!(err, Some(FetchError::Scheme(s)) if s == "ftp"));
}

/// A CA and a `localhost` certificate it signed: (CA PEM, server certificate PEM, server key PEM).
fn internal_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Office A internal CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem())
}

/// Serves `response` over TLS with the given certificate; returns the port.
async fn serve_tls(response: Vec<u8>, cert_pem: &str, key_pem: &str) -> u16 {
    let identity =
        tokio_native_tls::native_tls::Identity::from_pkcs8(cert_pem.as_bytes(), key_pem.as_bytes())
            .expect("identity");
    let acceptor = tokio_native_tls::TlsAcceptor::from(
        tokio_native_tls::native_tls::TlsAcceptor::new(identity).expect("acceptor"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, response) = (acceptor.clone(), response.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buffer = [0u8; 4096];
                let _ = tls.read(&mut buffer).await;
                let _ = tls.write_all(&response).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn an_intranet_office_reaches_https_servers_of_its_own_certificate_authority() {
    let (ca_pem, cert_pem, key_pem) = internal_ca();
    let port = serve_tls(
        http(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"<title>Intranet</title>",
        ),
        &cert_pem,
        &key_pem,
    )
    .await;
    let url = url(&format!("https://localhost:{port}/wiki"));
    let dir = std::env::temp_dir().join(format!("commonplace-ca-{port}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca_file = dir.join("internal-ca.pem");
    std::fs::write(&ca_file, &ca_pem).expect("write CA");

    // Production mode with the lab's loopback allowance, but without the internal CA: refused.
    let lab = NetworkSettings {
        mode: FederationMode::Production,
        allow_loopback_addresses: true,
        ..NetworkSettings::default()
    };
    let untrusted = SafeClient::new(&lab, "test")
        .expect("client")
        .get_html(&url, FetchLimits::PAGE)
        .await;
    assert!(
        untrusted.is_err(),
        "a certificate from an unknown authority must be refused"
    );

    // With the CA added, the same server is trusted.
    let trusting = NetworkSettings {
        extra_ca_certificates: vec![ca_file.clone()],
        ..lab.clone()
    };
    let page = SafeClient::new(&trusting, "test")
        .expect("client")
        .get_html(&url, FetchLimits::PAGE)
        .await
        .expect("fetched");
    assert_eq!(page.body, b"<title>Intranet</title>");

    // Without the loopback allowance, production mode still refuses the address.
    let no_loopback = NetworkSettings {
        allow_loopback_addresses: false,
        ..trusting
    };
    let refused = SafeClient::new(&no_loopback, "test")
        .expect("client")
        .get_html(&url, FetchLimits::PAGE)
        .await;
    assert!(refused
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("private, local or reserved"));

    // A CA file that is not a certificate stops the client from being built, naming the file.
    let bad = dir.join("not-a-cert.pem");
    std::fs::write(&bad, "hello").expect("write");
    let error = SafeClient::new(
        &NetworkSettings {
            extra_ca_certificates: vec![bad],
            ..NetworkSettings::default()
        },
        "test",
    )
    .err();
    assert!(error
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("not-a-cert.pem"));
    let _ = std::fs::remove_dir_all(&dir);
}
