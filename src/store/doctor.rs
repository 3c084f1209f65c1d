//! What `incident doctor` reads: SQLite's own checks, and the invariants the write path keeps
//! that nothing else verifies (every incident opened first, every stored time in the log's
//! range, the search index in step with what it indexes). Read only: nothing here writes.

use super::rows::time_in_range;
use super::{Store, StoreError, Txn};
use rusqlite::OptionalExtension;
use std::collections::HashMap;
use std::path::Path;

type Result<T> = std::result::Result<T, StoreError>;

/// A stored time outside what the log holds (`rows::time_in_range`): where it is and, when
/// the row belongs to an incident, which.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadTime {
    pub table: String,
    pub column: String,
    pub rowid: i64,
    pub value: String,
    /// The incident's number.
    pub incident: Option<i64>,
}

/// An incident whose timeline does not begin with its opening.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unopened {
    pub incident: i64,
    pub uuid: String,
    /// "no events at all", or "its first event is not its opening".
    pub why: &'static str,
}

/// Where the search index and what it indexes disagree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IndexProblem {
    /// A field's indexed text is not the field's text (or is indexed more than once).
    Field { incident: i64, field: String },
    /// Notes up to the index's mark that are not indexed (or indexed twice).
    Notes {
        incident: i64,
        notes: i64,
        indexed: i64,
    },
    /// Post-mortem lessons or links (`entry`) up to the index's mark that are not indexed (or
    /// indexed twice).
    Entries {
        incident: i64,
        entry: String,
        entries: i64,
        indexed: i64,
    },
    /// Documents that are not in the full-text index.
    MissingWords { documents: i64 },
    /// Words in the full-text index for documents that are gone.
    StrayWords { entries: i64 },
    /// The count of action items the triggers keep is not the table's.
    ActionCount { counted: i64, items: i64 },
    /// Stored content that is attached but whose lines are not indexed.
    Lines { sha256: String },
}

/// What opening a database for inspection found.
pub enum Inspected {
    /// No database there (or an empty file): nothing to check.
    Absent,
    /// A database of an older schema version: the next command updates it.
    Older {
        store: Store,
        version: i64,
    },
    Current(Store),
}

impl Store {
    /// Opens the database read only, for `incident doctor`: no migration, no judging, no WAL
    /// switch, nothing created. Refuses what `open` refuses (not a regular file, not SQLite,
    /// another program's database, a newer schema).
    pub fn inspect(path: &Path) -> Result<Inspected> {
        use rusqlite::{Connection, OpenFlags};
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) => return Ok(Inspected::Absent),
        };
        if !meta.is_file() {
            return Err(StoreError::Io {
                action: "open",
                path: path.to_path_buf(),
                source: std::io::Error::other("it is not a regular file"),
            });
        }
        if meta.len() == 0 {
            return Ok(Inspected::Absent);
        }
        std::fs::File::open(path).map_err(|source| StoreError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| super::classify(e, path))?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        let (version, objects, ours): (i64, i64, bool) = conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        (SELECT count(*) FROM sqlite_master),
                        (SELECT count(*) = 2 FROM sqlite_master
                         WHERE type = 'table' AND name IN ('incidents', 'events'))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| super::classify(e, path))?;
        if !ours {
            return if objects == 0 && version == 0 {
                Ok(Inspected::Absent)
            } else {
                Err(StoreError::Foreign(path.to_path_buf()))
            };
        }
        if version > super::LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported: super::LATEST_VERSION,
            });
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        Ok(if version < super::LATEST_VERSION {
            Inspected::Older { store, version }
        } else {
            Inspected::Current(store)
        })
    }
}

impl Txn<'_> {
    /// `PRAGMA integrity_check`: what it found wrong; empty when it says "ok".
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let found: Vec<String> = self
            .tx
            .prepare("PRAGMA integrity_check(100)")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(found.into_iter().filter(|l| l != "ok").collect())
    }

    /// `PRAGMA foreign_key_check`: each row that refers to one that is not there.
    pub fn foreign_key_problems(&self) -> Result<Vec<String>> {
        let found = self
            .tx
            .prepare("PRAGMA foreign_key_check")?
            .query_map([], |r| {
                let table: String = r.get(0)?;
                let rowid: Option<i64> = r.get(1)?;
                let parent: String = r.get(2)?;
                Ok(format!(
                    "{table} row {} refers to a missing {parent} row",
                    rowid.map_or("?".into(), |id| id.to_string())
                ))
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(found)
    }

    /// Incidents whose timeline does not begin with its opening, in the order it was recorded
    /// (row ids: the write path, an import and a pull each insert an opening before anything
    /// else of its incident, and its creator pushes it before anyone can add to it).
    pub fn unopened(&self) -> Result<Vec<Unopened>> {
        let found = self
            .tx
            .prepare(
                "SELECT i.number, i.uuid,
                        (SELECT kind FROM events e WHERE e.incident_pk = i.pk ORDER BY id LIMIT 1)
                            AS first
                 FROM incidents i
                 WHERE first IS NOT 'opened'
                 ORDER BY i.number",
            )?
            .query_map([], |r| {
                let first: Option<String> = r.get(2)?;
                Ok(Unopened {
                    incident: r.get(0)?,
                    uuid: r.get(1)?,
                    why: if first.is_none() {
                        "no events at all"
                    } else {
                        "its first event is not its opening"
                    },
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(found)
    }

    /// Every stored time outside the log's range, in every time column of every table (a
    /// column named `at` or ending in `_at`).
    pub fn bad_times(&self) -> Result<Vec<BadTime>> {
        let mut found = Vec::new();
        for (table, columns, has_incident_pk) in self.time_columns()? {
            let incident = match (table.as_str(), has_incident_pk) {
                ("incidents", _) => "number",
                (_, true) => "(SELECT number FROM incidents WHERE pk = incident_pk)",
                _ => "NULL",
            };
            for column in columns {
                // Text comparison finds every value of another shape or past either end (a
                // stored time is fixed-width text that sorts as time); Rust judges the few.
                // '' is no time (a search document's default).
                let sql = format!(
                    "SELECT rowid, CAST(\"{column}\" AS TEXT), {incident} FROM \"{table}\"
                     WHERE \"{column}\" IS NOT NULL AND \"{column}\" IS NOT '' AND (typeof(\"{column}\") <> 'text'
                        OR \"{column}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'
                        OR \"{column}\" < '1970-01-01T00:00:00Z'
                        OR \"{column}\" > '9999-12-31T23:59:59Z'
                        OR strftime('%Y-%m-%dT%H:%M:%S', \"{column}\") IS NOT substr(\"{column}\", 1, 19))"
                );
                let mut stmt = self.tx.prepare(&sql)?;
                let rows = stmt.query_map([], |r| {
                    Ok(BadTime {
                        table: table.clone(),
                        column: column.clone(),
                        rowid: r.get(0)?,
                        value: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        incident: r.get(2)?,
                    })
                })?;
                for bad in rows {
                    let bad = bad?;
                    if !time_in_range(&bad.value) {
                        found.push(bad);
                    }
                }
            }
        }
        Ok(found)
    }

    /// The ordinary tables with time columns: (table, its time columns, whether it has an
    /// `incident_pk`).
    fn time_columns(&self) -> Result<Vec<(String, Vec<String>, bool)>> {
        let tables: Vec<String> = self
            .tx
            .prepare(
                "SELECT name FROM sqlite_master
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'
                 ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for table in tables {
            let columns: Vec<String> = self
                .tx
                .prepare("SELECT name FROM pragma_table_info(?1)")?
                .query_map([&table], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            let has_incident_pk = columns.iter().any(|c| c == "incident_pk");
            let times: Vec<String> = columns
                .into_iter()
                .filter(|c| c == "at" || c.ends_with("_at"))
                .collect();
            if !times.is_empty() {
                out.push((table, times, has_incident_pk));
            }
        }
        Ok(out)
    }

    /// Where the search index is not what indexing the content would give: each field's text,
    /// the notes up to the index's mark, the full-text entries of every document, the action
    /// items' count, the lines of attached content. Notes and action items written since the
    /// last search are indexed by the next one, and are not a problem.
    pub fn index_problems(&self) -> Result<Vec<IndexProblem>> {
        let mut found = self.field_index_problems()?;
        found.extend(self.note_index_problems()?);
        let (missing, stray): (i64, i64) = self.tx.query_row(
            "SELECT (SELECT count(*) FROM search_docs d
                     WHERE kind <> 'mark' AND NOT EXISTS (SELECT 1 FROM search WHERE rowid = d.id)),
                    (SELECT count(*) FROM search s
                     WHERE NOT EXISTS (SELECT 1 FROM search_docs WHERE id = s.rowid AND kind <> 'mark'))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if missing > 0 {
            found.push(IndexProblem::MissingWords { documents: missing });
        }
        if stray > 0 {
            found.push(IndexProblem::StrayWords { entries: stray });
        }
        let (counted, items): (i64, i64) = self.tx.query_row(
            "SELECT (SELECT actions_written FROM search_state WHERE id = 1),
                    (SELECT count(*) FROM action_items)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if counted != items {
            found.push(IndexProblem::ActionCount { counted, items });
        }
        let unindexed: Vec<String> = self
            .tx
            .prepare(
                "SELECT hash FROM blobs b WHERE indexed = 0 AND (
                     EXISTS (SELECT 1 FROM attachments WHERE blob_id = b.id)
                     OR EXISTS (SELECT 1 FROM command_runs WHERE output_blob_id = b.id))
                 ORDER BY id",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        found.extend(
            unindexed
                .into_iter()
                .map(|sha256| IndexProblem::Lines { sha256 }),
        );
        Ok(found)
    }

    /// Each incident field against its document: one with the field's text when the field
    /// has words (`index::add_doc` skips blank texts), none when it is blank.
    fn field_index_problems(&self) -> Result<Vec<IndexProblem>> {
        let mut found = Vec::new();
        for field in super::search::FIELDS {
            let sql = format!(
                "SELECT i.number, i.\"{field}\",
                        (SELECT count(*) FROM search_docs d
                         WHERE d.incident_pk = i.pk AND d.kind = 'field' AND d.ref = ?1),
                        (SELECT count(*) FROM search_docs d
                         WHERE d.incident_pk = i.pk AND d.kind = 'field' AND d.ref = ?1
                           AND d.body = i.\"{field}\")
                 FROM incidents i ORDER BY i.number"
            );
            let mut stmt = self.tx.prepare(&sql)?;
            let rows = stmt.query_map([field], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for row in rows {
                let (incident, text, docs, same) = row?;
                let right = if text.trim().is_empty() {
                    docs == 0
                } else {
                    docs == 1 && same == 1
                };
                if !right {
                    found.push(IndexProblem::Field {
                        incident,
                        field: field.to_string(),
                    });
                }
            }
        }
        Ok(found)
    }

    /// The notes, lessons and links up to the index's mark, counted per incident and kind
    /// against their documents (a blank note has none).
    fn note_index_problems(&self) -> Result<Vec<IndexProblem>> {
        let through: i64 = self
            .tx
            .query_row(
                "SELECT notes_through FROM search_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let kinds = super::search::TIMELINE_KINDS;
        let mut counts: HashMap<(i64, String), (i64, i64)> = HashMap::new();
        let mut stmt = self.tx.prepare(&format!(
            "SELECT i.number, e.kind, e.field, e.new_value, e.text
             FROM events e JOIN incidents i ON i.pk = e.incident_pk
             WHERE e.kind IN ({kinds}) AND e.id <= ?1"
        ))?;
        type Entry = (i64, String, Option<String>, Option<String>, String);
        for row in stmt.query_map([through], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })? {
            let (number, kind, field, new, text): Entry = row?;
            // What indexing it gives: none for a blank text (`index::add_doc`).
            let (_, text) =
                super::search::timeline_doc(&kind, field.as_deref(), new.as_deref(), &text);
            if !text.trim().is_empty() {
                counts.entry((number, kind)).or_default().0 += 1;
            }
        }
        let mut stmt = self.tx.prepare(&format!(
            "SELECT i.number, d.kind, count(*) FROM search_docs d
             JOIN incidents i ON i.pk = d.incident_pk
             WHERE d.kind IN ({kinds}) GROUP BY i.number, d.kind"
        ))?;
        for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            let (number, kind, docs): (i64, String, i64) = row?;
            counts.entry((number, kind)).or_default().1 = docs;
        }
        let mut found: Vec<((i64, String), (i64, i64))> =
            counts.into_iter().filter(|(_, (n, d))| n != d).collect();
        found.sort();
        Ok(found
            .into_iter()
            .map(
                |((incident, kind), (entries, indexed))| match kind.as_str() {
                    "note" => IndexProblem::Notes {
                        incident,
                        notes: entries,
                        indexed,
                    },
                    _ => IndexProblem::Entries {
                        incident,
                        entry: kind,
                        entries,
                        indexed,
                    },
                },
            )
            .collect())
    }
}
