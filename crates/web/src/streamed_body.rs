//! Answers written a piece at a time, each piece read on the blocking pool: a download of a
//! whole collection (an export, Pinboard's `posts/all`) holds one page of bookmarks in memory
//! instead of all of them, holds a blocking thread for one page's read at a time, and starts
//! as soon as its first page is read.

use crate::blocking::run_db;
use actix_web::web::Bytes;
use bookmarks::{Database, StoreError};
use futures_util::stream::{self, Stream, StreamExt};

/// A document read and written in pieces.
pub trait Pieces: Send + 'static {
    /// The next piece; `None` once the document is whole.
    fn next_piece(&mut self, db: &Database) -> Result<Option<String>, StoreError>;
}

impl Pieces for crate::interchange::Export {
    fn next_piece(&mut self, db: &Database) -> Result<Option<String>, StoreError> {
        crate::interchange::Export::next_piece(self, db)
    }
}

/// The body of `pieces`. The first piece is read before this returns, so that a database that
/// fails at once still gets an error answer; a failure after that ends the body early (the
/// client sees a download cut short: a document without its end) and is logged.
pub async fn streamed<P: Pieces>(
    db: &Database,
    pieces: P,
) -> Result<impl Stream<Item = Result<Bytes, actix_web::Error>> + 'static, StoreError> {
    let (pieces, first) = next(db, pieces).await?;
    let rest = stream::unfold(
        (db.clone(), first.is_some().then_some(pieces)),
        |(db, pieces)| async move {
            let pieces = pieces?;
            match next(&db, pieces).await {
                Ok((pieces, Some(piece))) => Some((Ok(Bytes::from(piece)), (db, Some(pieces)))),
                Ok((_, None)) => None,
                Err(e) => {
                    tracing::error!("a streamed answer stopped: {e}");
                    let error = actix_web::error::ErrorInternalServerError(e.to_string());
                    Some((Err(error), (db, None)))
                }
            }
        },
    );
    Ok(stream::iter(first.map(|piece| Ok(Bytes::from(piece)))).chain(rest))
}

async fn next<P: Pieces>(db: &Database, mut pieces: P) -> Result<(P, Option<String>), StoreError> {
    run_db(db, move |db| {
        let piece = pieces.next_piece(db)?;
        Ok((pieces, piece))
    })
    .await
}
