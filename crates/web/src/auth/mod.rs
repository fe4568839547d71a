//! Who is asking: browser sessions (cookie), API bearer tokens, CSRF tokens for forms, and the
//! login rate limit.

pub mod bearer;
pub mod client_address;
pub mod csrf;
pub mod rate_limit;
pub mod session;
pub mod token_cache;
