//! Instance-wide values the server makes for itself on first start (e.g. the secret that signs
//! CSRF tokens), so an operator has nothing to generate by hand.

use super::connection::DbConnection;
use super::error::StoreError;
use super::schema::instance_settings;
use diesel::prelude::*;

pub fn get_setting(conn: &mut DbConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(instance_settings::table
        .filter(instance_settings::name.eq(name))
        .select(instance_settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Returns the stored value, or stores and returns `make()` when there is none. Run it inside
/// [`super::Database::write`] so two processes starting at once agree on one value.
pub fn get_or_create_setting(
    conn: &mut DbConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    if let Some(value) = get_setting(conn, name)? {
        return Ok(value);
    }
    let value = make();
    diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(&value),
        ))
        .execute(conn)?;
    Ok(value)
}
