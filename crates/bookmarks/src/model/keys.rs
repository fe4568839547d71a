//! Every local user has an RSA key pair from the moment the account exists, so federation can
//! sign on their behalf without a migration. PEM encoded: PKCS#8 private, SPKI public, the forms
//! ActivityPub's HTTP signatures publish and read.

use super::FieldError;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

pub const KEY_BITS: usize = 2048;

#[derive(Clone, PartialEq, Eq)]
pub struct ActorKeys {
    pub public_pem: String,
    pub private_pem: String,
}

impl std::fmt::Debug for ActorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorKeys")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

impl ActorKeys {
    pub fn generate() -> Result<Self, FieldError> {
        let failed = |e: &dyn std::fmt::Display| {
            FieldError::new("keys", format!("could not generate an RSA key pair: {e}"))
        };
        let private =
            RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS).map_err(|e| failed(&e))?;
        let public = RsaPublicKey::from(&private);
        let private_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| failed(&e))?
            .to_string();
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| failed(&e))?;
        Ok(Self {
            public_pem,
            private_pem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};

    #[test]
    fn generated_keys_are_a_matching_2048_bit_pair() {
        let keys = ActorKeys::generate().expect("key generation");
        assert!(keys.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(keys.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let private = RsaPrivateKey::from_pkcs8_pem(&keys.private_pem).expect("private parses");
        let public = RsaPublicKey::from_public_key_pem(&keys.public_pem).expect("public parses");
        assert_eq!(RsaPublicKey::from(&private), public);
        assert!(!format!("{keys:?}").contains("PRIVATE"));
    }
}
