//! A listed page's `LIMIT` and `OFFSET`, written into the statement's text for the usual page
//! sizes from the first row, so that PostgreSQL keeps one plan for the page.
//!
//! PostgreSQL plans a prepared statement for its values five times, then compares a generic
//! plan's estimate with theirs. With `LIMIT $n` the generic plan cannot know that it reads 51
//! rows and reckons with a tenth of the user's bookmarks (cost 2,178 against 23 for the same
//! walk down `bookmarks_user_created`, at 100,000 bookmarks), so PostgreSQL planned a user's
//! list anew for every page (`pg_prepared_statements`: 0 generic plans after 8 runs; 3 of 8 with
//! `LIMIT 51`). With the values in the text the generic plan is estimated like the others and
//! kept, and PostgreSQL's own comparison still plans a statement for its values where that
//! is cheaper. Only pages whose plan is the walk down a listing index whatever the values
//! (nothing filtered but the owner, visibility, one tag and the cursor; see
//! `listing::walks_the_listing_index`) are written so: a page filtered by dates, an address,
//! the unread flag or a search is planned for its values, as before. Other sizes and offsets
//! stay bound: every text is a statement each pooled connection keeps, and a client that asked
//! for each of the 200 sizes in turn would otherwise make 200 of them per filter.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::BigInt;
use diesel::{QueryResult, RunQueryDsl};

use super::listing::MAX_PAGE_SIZE;

/// Page sizes written into the statement: the HTML pages', the API's and the feeds' 50,
/// Pinboard `posts/recent`'s default 15, the ActivityPub outbox's 20, and the largest page
/// (Pinboard's `posts/all`, retagging; exports read their pages with `list_oldest_first`).
const SIZES_IN_TEXT: [i64; 4] = [15, 20, 50, MAX_PAGE_SIZE];

/// `query` with `LIMIT rows OFFSET offset`; `rows` is the page's size and one more, which
/// tells whether a next page exists.
#[derive(Debug, Clone)]
pub(crate) struct Page<Q> {
    query: Q,
    rows: i64,
    offset: i64,
    /// Whether the page's plan is the same whatever its values (see the module's notes).
    one_plan: bool,
}

impl<Q> Page<Q> {
    pub(crate) fn new(query: Q, rows: i64, offset: i64, one_plan: bool) -> Self {
        Self {
            query,
            rows,
            offset,
            one_plan,
        }
    }

    /// Whether the limit is written as a number rather than bound.
    fn in_text(&self) -> bool {
        self.one_plan && self.offset == 0 && SIZES_IN_TEXT.contains(&(self.rows - 1))
    }
}

impl<Q: Query> Query for Page<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Page<Q> {}

impl<Q> QueryId for Page<Q> {
    type QueryId = ();
    // The text depends on the values: never looked up by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, DB> QueryFragment<DB> for Page<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        if self.in_text() {
            // A number from the constant list above, never a request's text; written without
            // allocating, as for every page.
            out.push_sql(itoa::Buffer::new().format(self.rows));
        } else {
            out.push_bind_param::<BigInt, _>(&self.rows)?;
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, _>(&self.offset)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::debug_query;
    use diesel::pg::Pg;
    use diesel::sql_types::Integer;

    fn text(rows: i64, offset: i64, one_plan: bool) -> String {
        let query = diesel::select(diesel::dsl::sql::<Integer>("1"));
        debug_query::<Pg, _>(&Page::new(query, rows, offset, one_plan)).to_string()
    }

    #[test]
    fn usual_first_pages_carry_their_limit_in_the_text() {
        for rows in [16, 21, 51, 201] {
            let text = text(rows, 0, true);
            assert!(
                text.starts_with(&format!("SELECT 1 LIMIT {rows} --")),
                "{text}"
            );
        }
    }

    #[test]
    fn other_sizes_offsets_and_pages_planned_for_their_values_are_bound() {
        for (rows, offset, one_plan) in [(52, 0, true), (51, 50, true), (51, 0, false)] {
            let text = text(rows, offset, one_plan);
            assert!(text.starts_with("SELECT 1 LIMIT $1 OFFSET $2 --"), "{text}");
            assert!(text.contains(&format!("[{rows}, {offset}]")), "{text}");
        }
    }
}
