//! The inbox's memory of activity ids it has processed. Marked in the same transaction as the
//! activity's effect, so a second delivery of the same activity changes nothing.

use crate::store::connection::DbConnection;
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::received_activities;
use diesel::prelude::*;

pub fn already_received(conn: &mut DbConnection, ap_id: &str) -> Result<bool, StoreError> {
    Ok(received_activities::table
        .find(ap_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Records the id; `false` when it was already recorded (the caller then changes nothing).
pub fn mark_received(conn: &mut DbConnection, ap_id: &str) -> Result<bool, StoreError> {
    if already_received(conn, ap_id)? {
        return Ok(false);
    }
    diesel::insert_into(received_activities::table)
        .values((
            received_activities::ap_id.eq(ap_id),
            received_activities::received_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}
