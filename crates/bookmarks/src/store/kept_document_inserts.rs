//! The search index's inserts as statements diesel keeps compiled.
//!
//! Diesel never keeps a statement written with `sql_query` (its text could differ from run to
//! run), so the insert of every search document was compiled anew: once per bookmark created,
//! and once per bookmark of an import on SQLite, where documents are inserted one per
//! statement (`search::insert_sqlite_documents`). These have a fixed text and a type of their own, so
//! each connection compiles them once and finds them again by type.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Text};
use diesel::sqlite::Sqlite;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

/// `INSERT INTO bookmark_search (rowid, document) VALUES (?, ?)` (SQLite's FTS5 index).
pub(crate) struct InsertSqliteDocument<'a> {
    pub rowid: i64,
    pub document: &'a str,
}

impl QueryId for InsertSqliteDocument<'_> {
    type QueryId = InsertSqliteDocument<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Sqlite> for InsertSqliteDocument<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT INTO bookmark_search (rowid, document) VALUES (");
        out.push_bind_param::<BigInt, _>(&self.rowid)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.document)?;
        out.push_sql(")");
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for InsertSqliteDocument<'_> {}

/// Writes (or rewrites) PostgreSQL's documents of the bookmarks `ids`, owned by `owners`: each
/// one's lexemes, space-separated, become its `tsvector`. A rewritten document is given its
/// owner again: the same one, as a bookmark's owner never changes, unless an older build wrote
/// the document without it (migration 000018).
pub(crate) struct UpsertPostgresDocuments {
    pub ids: Vec<i64>,
    pub owners: Vec<i64>,
    pub lexemes: Vec<String>,
}

impl QueryId for UpsertPostgresDocuments {
    type QueryId = UpsertPostgresDocuments;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for UpsertPostgresDocuments {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO bookmark_search (bookmark_id, user_id, document) \
             SELECT id, owner, array_to_tsvector(string_to_array(lexemes, ' ')) FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.ids)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.owners)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Text>, _>(&self.lexemes)?;
        out.push_sql(
            "::text[]) AS new(id, owner, lexemes) \
             ON CONFLICT (bookmark_id) \
             DO UPDATE SET document = EXCLUDED.document, user_id = EXCLUDED.user_id",
        );
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for UpsertPostgresDocuments {}
