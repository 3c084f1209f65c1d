//! `incident_phrases(search)`: an FTS5 auxiliary function answering, for the row a query is on,
//! which of the query's phrases that row holds (bit `i` for phrase `i`, in the order the query
//! names them). With it, the query that finds the newest texts matching any term of a probe
//! also says which terms each holds, where a second query per term had to ask again
//! (`similar`; BENCHMARKS.md "Past incidents at open").
//!
//! SQLite's C interface through rusqlite's `ffi`: FTS5 offers auxiliary functions only there.
//! The unsafe code is confined to this file: getting the `fts5_api` pointer (`SELECT fts5(?1)`
//! with the pointer bound, as FTS5's documentation prescribes), registering the function on
//! one connection, and the function itself, which reads the row's phrase instances through the
//! extension API it is handed.

use rusqlite::{Connection, ffi};
use std::ffi::{c_int, c_void};
use std::ptr;

/// The function's name, as a query calls it.
pub const NAME: &str = "incident_phrases";

/// Phrases past this many are not reported (a mask is one 64-bit integer); a probe has at most
/// 32 (`domain::similar`: 16 terms, a plural two phrases).
pub const MAX_PHRASES: usize = 63;

/// Registers `incident_phrases` on `conn`. Registering twice adds a second entry that is never
/// found (FTS5 takes the first); callers register once per connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let api = fts5_api(conn)?;
    // SAFETY: `api` is the live `fts5_api` of this connection's FTS5 module (checked non-null,
    // version 2 or later, as FTS5 documents for xCreateFunction); the name is a NUL-terminated
    // static; `phrases` has the `fts5_extension_function` signature and needs no user data.
    let rc = unsafe {
        match (*api).xCreateFunction {
            Some(create) => create(
                api,
                c"incident_phrases".as_ptr(),
                ptr::null_mut(),
                Some(phrases),
                None,
            ),
            None => ffi::SQLITE_ERROR,
        }
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(rc),
            Some(format!("cannot register {NAME}")),
        ))
    }
}

/// This connection's `fts5_api`: `SELECT fts5(?1)` with a pointer to fill bound as
/// "fts5_api_ptr" (https://sqlite.org/fts5.html#extending_fts5).
fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut ffi::fts5_api> {
    let failure = |rc: c_int, what: &str| {
        rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(what.to_string()))
    };
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: the connection's handle is valid while `conn` is borrowed; the statement is
    // finalized on every path; the bound pointer is `api`, alive across the step, and FTS5
    // writes one `fts5_api*` through it.
    unsafe {
        let db = conn.handle();
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "cannot ask for FTS5's API"));
        }
        let rc = ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&raw mut api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        let stepped = if rc == ffi::SQLITE_OK {
            ffi::sqlite3_step(stmt)
        } else {
            rc
        };
        ffi::sqlite3_finalize(stmt);
        if stepped != ffi::SQLITE_ROW && stepped != ffi::SQLITE_DONE {
            return Err(failure(stepped, "cannot ask for FTS5's API"));
        }
        if api.is_null() || (*api).iVersion < 2 {
            return Err(failure(
                ffi::SQLITE_ERROR,
                "FTS5's API is missing or too old",
            ));
        }
    }
    Ok(api)
}

/// The auxiliary function: for each phrase of the query (at most MAX_PHRASES), whether the
/// current row holds an instance of it.
unsafe extern "C" fn phrases(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    _n: c_int,
    _values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with its extension API and the context of the current row, both
    // valid for the call; `iter`, `col` and `off` are locals it writes.
    unsafe {
        let (Some(count), Some(first)) = ((*api).xPhraseCount, (*api).xPhraseFirst) else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_ERROR);
            return;
        };
        let n = usize::try_from(count(fts)).unwrap_or(0).min(MAX_PHRASES);
        let mut mask: i64 = 0;
        for i in 0..n {
            let mut iter = ffi::Fts5PhraseIter {
                a: ptr::null(),
                b: ptr::null(),
            };
            let (mut col, mut off): (c_int, c_int) = (-1, -1);
            let phrase = c_int::try_from(i).unwrap_or(c_int::MAX);
            let rc = first(fts, phrase, &mut iter, &mut col, &mut off);
            if rc != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, rc);
                return;
            }
            let bit = u32::try_from(i).ok().and_then(|i| 1_i64.checked_shl(i));
            if let (true, Some(bit)) = (col >= 0, bit) {
                mask |= bit;
            }
        }
        ffi::sqlite3_result_int64(ctx, mask);
    }
}

/// How many phrases an FTS5 query term of `domain::similar` holds: one per quoted string (a
/// term holds only letters, digits and spaces inside its quotes).
pub fn phrase_count(term: &str) -> usize {
    term.matches('"').count() / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_says_which_phrases_each_row_holds() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE s USING fts5(text, content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 2');
             INSERT INTO s (rowid, text) VALUES
                 (1, 'checkout API 5xx on lb-eu-1'),
                 (2, 'Redis connection refused (cache-01)'),
                 (3, 'checkout: <script> café connections'),
                 (4, 'nothing here');",
        )
        .unwrap();
        let rows = |q: &str| -> Vec<(i64, i64)> {
            let mut stmt = conn
                .prepare(
                    "SELECT rowid, incident_phrases(s) FROM s WHERE s MATCH ?1 ORDER BY rowid DESC",
                )
                .unwrap();
            stmt.query_map([q], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let q = "\"checkout\" OR (\"connections\" OR \"connection\") OR \"lb eu 1\" OR \"cafe\"";
        assert_eq!(rows(q), [(3, 0b10011), (2, 0b00100), (1, 0b01001)]);
        assert_eq!(
            [
                q.split(" OR (").next().unwrap(),
                "(\"connections\" OR \"connection\")",
                "\"lb eu 1\""
            ]
            .map(phrase_count),
            [1, 2, 1]
        );
        // Registered once per connection: a second connection needs its own.
        let other = Connection::open_in_memory().unwrap();
        other
            .execute_batch("CREATE VIRTUAL TABLE s USING fts5(text)")
            .unwrap();
        assert!(
            other
                .prepare("SELECT incident_phrases(s) FROM s WHERE s MATCH 'x'")
                .is_err()
        );
    }
}
