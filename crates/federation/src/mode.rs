//! `federation.mode`: `production` refuses private, loopback and link-local addresses for every
//! outgoing request; `local-test` allows them, so tests and a laptop demo can run instances and
//! test pages on `localhost:PORT`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FederationMode {
    #[default]
    Production,
    LocalTest,
}

impl fmt::Display for FederationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Production => "production",
            Self::LocalTest => "local-test",
        })
    }
}
