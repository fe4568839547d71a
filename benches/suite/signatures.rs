//! HTTP signatures for the federation scenarios, with the same crate (and the same rules:
//! `(request-target) host date digest`, RSA-SHA256) the ActivityPub library uses: signing the
//! inbound scenario's activities, verifying in the fan-out scenario's inbox sinks, and the
//! machine's signing and verification rates, the physical limits of both scenarios.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http_signature_normalization::Config;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

pub struct RequestSigner {
    key_id: String,
    key: SigningKey<Sha256>,
}

impl RequestSigner {
    pub fn new(key_id: &str, private_pem: &str) -> Self {
        let key = RsaPrivateKey::from_pkcs8_pem(private_pem).expect("a PKCS#8 private key");
        Self {
            key_id: key_id.to_owned(),
            key: SigningKey::new(key),
        }
    }

    /// The headers of a signed `POST path` with `body` to `host`.
    pub fn sign_post(&self, host: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
        let mut headers = BTreeMap::new();
        headers.insert("host".to_owned(), host.to_owned());
        headers.insert(
            "date".to_owned(),
            httpdate::fmt_http_date(SystemTime::now()),
        );
        headers.insert(
            "digest".to_owned(),
            format!("SHA-256={}", BASE64.encode(Sha256::digest(body))),
        );
        headers.insert(
            "content-type".to_owned(),
            "application/activity+json".to_owned(),
        );
        let signature = Config::new()
            .mastodon_compat()
            .begin_sign("POST", path, headers.clone())
            .expect("the headers to sign are there")
            .sign(self.key_id.clone(), |signing_string| {
                let signature: Signature = self.key.sign(signing_string.as_bytes());
                Ok::<_, std::convert::Infallible>(BASE64.encode(signature.to_bytes()))
            })
            .unwrap_or_else(|never| match never {})
            .signature_header();
        headers.insert("signature".to_owned(), signature);
        headers.into_iter().collect()
    }
}

/// True when the request carries a valid signature by `public_pem` over its headers and a
/// digest that matches its body.
pub fn verify(
    method: &str,
    path: &str,
    headers: BTreeMap<String, String>,
    body: &[u8],
    public_pem: &str,
) -> bool {
    let expected_digest = format!("SHA-256={}", BASE64.encode(Sha256::digest(body)));
    if headers.get("digest") != Some(&expected_digest) {
        return false;
    }
    let Ok(key) = RsaPublicKey::from_public_key_pem(public_pem) else {
        return false;
    };
    let key = VerifyingKey::<Sha256>::new(key);
    let Ok(unverified) = Config::new()
        .require_digest()
        .begin_verify(method, path, headers)
    else {
        return false;
    };
    unverified.verify(|signature, signing_string| {
        BASE64
            .decode(signature)
            .ok()
            .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
            .is_some_and(|signature| key.verify(signing_string.as_bytes(), &signature).is_ok())
    })
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on one core, and verifications per
/// second, each measured for a second.
pub fn rsa_rates(private_pem: &str, public_pem: &str) -> (f64, f64) {
    let signer =
        SigningKey::<Sha256>::new(RsaPrivateKey::from_pkcs8_pem(private_pem).expect("key"));
    let verifier =
        VerifyingKey::<Sha256>::new(RsaPublicKey::from_public_key_pem(public_pem).expect("key"));
    let message = b"(request-target): post /inbox\nhost: example.org\ndate: now";
    let started = Instant::now();
    let mut signed = 0u32;
    let mut signature: Signature = signer.sign(message);
    while started.elapsed().as_secs_f64() < 1.0 {
        signature = signer.sign(message);
        signed += 1;
    }
    let signing = f64::from(signed) / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut verified = 0u32;
    while started.elapsed().as_secs_f64() < 1.0 {
        assert!(verifier.verify(message, &signature).is_ok());
        verified += 1;
    }
    (
        signing,
        f64::from(verified) / started.elapsed().as_secs_f64(),
    )
}
