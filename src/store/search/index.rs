//! Writing the indexes, in the transaction that records what they index: incident fields,
//! notes (in batches), action items, snapshots, command lines and the chunks of blobs.

use super::lines::{blob_lines, line_rowid};
use rusqlite::{Connection, OptionalExtension, params};

/// Incident fields indexed, by their column names (also `Field::key`): the guide's, then the
/// post-mortem's prose (version 18 added the columns, version 21 indexes them).
pub(in crate::store) const FIELDS: [&str; 9] = [
    "title",
    "description",
    "root_cause",
    "resolution",
    "prevention",
    "lessons_learned",
    "impact",
    "trigger",
    "detection",
];

/// The fields version 6 indexed: the columns a database had then. A migration's step reads
/// only the columns of its version, so version 6 cannot index all of `FIELDS`.
pub(super) const FIELDS_OF_V6: &[&str] = FIELDS.split_at(6).0;

/// The fields version 21 indexes for what versions 18 to 20 recorded without indexing them.
pub(super) const FIELDS_OF_V20: &[&str] = FIELDS.split_at(6).1;

/// The kinds of timeline entries whose text is indexed, each as a document of that kind:
/// notes, post-mortem lessons and links (`timeline_doc`). They are indexed in batches, when a
/// search runs (`index_new_notes`), not when written, so that writing one stays one insert and
/// a pull of many writes no full-text segment per entry.
pub(in crate::store) const TIMELINE_KINDS: &str = "'note', 'lesson', 'link'";

pub(in crate::store) fn add_doc(
    conn: &Connection,
    kind: &str,
    incident_pk: Option<i64>,
    reference: &str,
    at: &str,
    text: &str,
) -> rusqlite::Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO search_docs (kind, incident_pk, ref, at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind, incident_pk, reference, at, text])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?
        .execute(params![id, text])?;
    Ok(())
}

fn remove_doc(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM search_docs WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Replaces the words of one indexed text (a purged note or command line): the doc of `kind`
/// and `reference` in the incident whose body is `old` gives way to one of `new`. Nothing
/// when it is not indexed (a note not indexed yet is indexed with its new words later).
pub(in crate::store) fn replace_doc(
    conn: &Connection,
    kind: &str,
    incident_pk: i64,
    reference: &str,
    old: &str,
    new: &str,
) -> rusqlite::Result<bool> {
    let found: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT id, at FROM search_docs
             WHERE incident_pk = ?1 AND kind = ?2 AND ref = ?3 AND body = ?4 LIMIT 1",
        )?
        .query_row(params![incident_pk, kind, reference, old], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((id, at)) = found else {
        return Ok(false);
    };
    remove_doc(conn, id)?;
    add_doc(conn, kind, Some(incident_pk), reference, &at, new)?;
    Ok(true)
}

/// Rewrites `search` without the entries of deleted texts. A contentless FTS5 delete only
/// marks a row deleted; its words stay in the index's pages until segments merge, so a purge
/// merges them all now (with `secure_delete` on, the pages freed are zeroed).
pub(in crate::store) fn drop_deleted_words(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO search (search) VALUES ('optimize')", [])
        .map(drop)
}

/// Re-indexes the incident's fields whose text differs from what is indexed.
pub(in crate::store) fn index_fields(conn: &Connection, incident_pk: i64) -> rusqlite::Result<()> {
    fields_to_docs(conn, incident_pk, &FIELDS, None)
}

/// `index_fields` for a pull, which writes thousands of incidents in one transaction: the texts
/// go into `search_docs` only, and `index_fields_since` puts every one added after the document
/// `mark` into the full-text index in one statement. Written one by one, FTS5 would flush its
/// pending text at the savepoint of the next statement that needs one (the next incident's
/// save): a segment, and merges, for every incident.
pub(in crate::store) fn index_fields_later(
    conn: &Connection,
    incident_pk: i64,
    mark: i64,
) -> rusqlite::Result<()> {
    fields_to_docs(conn, incident_pk, &FIELDS, Some(mark))
}

/// Puts the field documents added after `mark` (by `index_fields_later`) into the full-text
/// index; how many.
pub(in crate::store) fn index_fields_since(
    conn: &Connection,
    mark: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO search (rowid, text)
         SELECT id, body FROM search_docs WHERE id > ?1 AND kind = 'field' ORDER BY id",
    )?
    .execute([mark])
}

/// The newest document's id: the mark `index_fields_later` and `index_fields_since` take.
pub(in crate::store) fn last_doc(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(id), 0) FROM search_docs", [], |r| {
        r.get(0)
    })
}

/// The documents of `fields` brought up to date; with `later`, only in `search_docs` for the
/// documents added after that mark (see `index_fields_later`).
pub(super) fn fields_to_docs(
    conn: &Connection,
    incident_pk: i64,
    fields: &[&str],
    later: Option<i64>,
) -> rusqlite::Result<()> {
    // Quoted: `trigger` is an SQL keyword.
    let columns: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
    let row: Vec<String> = conn
        .prepare_cached(&format!(
            "SELECT {}, updated_at FROM incidents WHERE pk = ?1",
            columns.join(", ")
        ))?
        .query_row([incident_pk], |r| {
            (0..=fields.len()).map(|i| r.get(i)).collect()
        })?;
    let Some((at, row)) = row.split_last() else {
        return Ok(());
    };
    for (field, text) in fields.iter().zip(row) {
        let indexed: Option<(i64, Option<String>)> = conn
            .prepare_cached(
                "SELECT id, body FROM search_docs
                 WHERE incident_pk = ?1 AND kind = 'field' AND ref = ?2",
            )?
            .query_row(params![incident_pk, field], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match (indexed, later) {
            (Some((_, Some(body))), _) if body == *text => continue,
            // Added in this pull's batch: not in the full-text index yet.
            (Some((id, _)), Some(mark)) if id > mark => {
                conn.prepare_cached("DELETE FROM search_docs WHERE id = ?1")?
                    .execute([id])?;
            }
            (Some((id, _)), _) => remove_doc(conn, id)?,
            (None, _) => {}
        }
        match later {
            None => add_doc(conn, "field", Some(incident_pk), field, at, text)?,
            Some(_) if text.trim().is_empty() => {}
            Some(_) => {
                conn.prepare_cached(
                    "INSERT INTO search_docs (kind, incident_pk, ref, at, body)
                     VALUES ('field', ?1, ?2, ?3, ?4)",
                )?
                .execute(params![incident_pk, field, at, text])?;
            }
        }
    }
    Ok(())
}

/// An action item's text, under `action ID` (the id `incident action done` takes), counted in
/// the mark (see `ACTIONS_MARK`).
pub(in crate::store) fn index_action(conn: &Connection, action_id: i64) -> rusqlite::Result<()> {
    add_action_doc(conn, action_id)?;
    conn.prepare_cached(
        "UPDATE search_docs SET body = CAST(body AS INTEGER) + 1
         WHERE incident_pk IS NULL AND kind = 'mark' AND ref = 'action_items'",
    )?
    .execute([])?;
    Ok(())
}

fn add_action_doc(conn: &Connection, action_id: i64) -> rusqlite::Result<()> {
    let (incident_pk, text, at): (i64, String, String) = conn
        .prepare_cached("SELECT incident_pk, text, created_at FROM action_items WHERE id = ?1")?
        .query_row([action_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let reference = format!("action {action_id}");
    add_doc(conn, "action", Some(incident_pk), &reference, &at, &text)
}

/// How many action items are in the index: a `search_docs` row of kind `mark` (never in the
/// index itself, so never a result) whose body is the count. `action add` indexes its item and
/// counts it; an item written any other way (by a version before action items were
/// searchable, or by `import`, which keeps ids from the file) leaves the count behind the
/// table's, and the next search indexes what is missing. No migration needed; ids are no
/// high-water mark here, as an import can add ids below the highest.
const ACTIONS_MARK: &str = "SELECT id, CAST(body AS INTEGER) FROM search_docs
     WHERE incident_pk IS NULL AND kind = 'mark' AND ref = 'action_items'";

/// Whether some action items are not counted in the index: the count triggers keep (version
/// 8) against the mark's.
pub(super) fn actions_pending(conn: &Connection) -> rusqlite::Result<bool> {
    let counted: i64 = conn
        .prepare_cached(ACTIONS_MARK)?
        .query_row([], |r| r.get(1))
        .optional()?
        .unwrap_or(0);
    conn.prepare_cached("SELECT actions_written <> ?1 FROM search_state WHERE id = 1")?
        .query_row([counted], |r| r.get(0))
}

/// Indexes the action items that are not, and sets the count.
fn index_unindexed_actions(conn: &Connection) -> rusqlite::Result<()> {
    let unindexed: Vec<i64> = conn
        .prepare_cached(
            "SELECT a.id FROM action_items a WHERE NOT EXISTS (
                 SELECT 1 FROM search_docs d
                 WHERE d.incident_pk = a.incident_pk AND d.kind = 'action'
                   AND d.ref = 'action ' || a.id)
             ORDER BY a.id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in unindexed {
        add_action_doc(conn, id)?;
    }
    let count: i64 = conn.query_row("SELECT count(*) FROM action_items", [], |r| r.get(0))?;
    let mark: Option<i64> = conn
        .prepare_cached(ACTIONS_MARK)?
        .query_row([], |r| r.get(0))
        .optional()?;
    match mark {
        Some(id) => conn.execute(
            "UPDATE search_docs SET body = ?2 WHERE id = ?1",
            params![id, count.to_string()],
        )?,
        None => conn.execute(
            "INSERT INTO search_docs (kind, ref, body) VALUES ('mark', 'action_items', ?1)",
            [count.to_string()],
        )?,
    };
    Ok(())
}

/// Indexes the notes written since the last time, and moves the mark past them (and the
/// action items written without being indexed, likewise).
pub(in crate::store) fn index_pending_notes(conn: &Connection) -> rusqlite::Result<usize> {
    if actions_pending(conn)? {
        index_unindexed_actions(conn)?;
    }
    index_new_notes(conn)
}

/// Indexes the notes, lessons and links written since the last time and moves the mark past
/// them; how many.
pub(super) fn index_new_notes(conn: &Connection) -> rusqlite::Result<usize> {
    let indexed = index_entries(
        conn,
        &format!(
            "id > (SELECT notes_through FROM search_state WHERE id = 1)
             AND kind IN ({TIMELINE_KINDS})"
        ),
    )?;
    // After the entries: one retracted in the same batch is indexed, then taken out.
    unindex_retracted(conn)?;
    conn.execute(
        "UPDATE search_state SET notes_through = (SELECT coalesce(max(id), 0) FROM events) WHERE id = 1",
        [],
    )?;
    Ok(indexed)
}

/// Takes out of the index the entries retracted (`incident retract`) since the mark: a
/// retraction names its entry's uuid; the entry's doc is found by what `timeline_doc` made of
/// it. Nothing when it was never indexed.
fn unindex_retracted(conn: &Connection) -> rusqlite::Result<()> {
    // None yet (and none before version 12, whose events have no uuid to name).
    let any: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events
             WHERE id > (SELECT notes_through FROM search_state WHERE id = 1)
               AND kind = 'retraction')",
        [],
        |r| r.get(0),
    )?;
    if !any {
        return Ok(());
    }
    let targets = entries(
        conn,
        "SELECT t.incident_pk, t.kind, t.field, t.new_value, t.at, t.text
         FROM events r JOIN events t ON t.uuid = r.field
         WHERE r.id > (SELECT notes_through FROM search_state WHERE id = 1)
           AND r.kind = 'retraction'",
    )?;
    for (pk, kind, field, new, at, text) in &targets {
        let (reference, body) = timeline_doc(kind, field.as_deref(), new.as_deref(), text);
        let id: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM search_docs
                 WHERE incident_pk = ?1 AND kind = ?2 AND ref = ?3 AND at = ?4 AND body = ?5
                 LIMIT 1",
            )?
            .query_row(params![pk, kind, reference, at, body], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            remove_doc(conn, id)?;
        }
    }
    Ok(())
}

/// Indexes the timeline entries `filter` (a condition on `events`) selects, in recorded order;
/// how many.
pub(super) fn index_entries(conn: &Connection, filter: &str) -> rusqlite::Result<usize> {
    let found = entries(
        conn,
        &format!(
            "SELECT incident_pk, kind, field, new_value, at, text FROM events
             WHERE {filter} ORDER BY id"
        ),
    )?;
    for (pk, kind, field, new, at, text) in &found {
        let (reference, text) = timeline_doc(kind, field.as_deref(), new.as_deref(), text);
        add_doc(conn, kind, Some(*pk), &reference, at, &text)?;
    }
    Ok(found.len())
}

/// A timeline entry as the index reads it: incident, kind, field, new value, time, text.
type Entry = (i64, String, Option<String>, Option<String>, String, String);

/// The entries `sql` selects, its columns in [`Entry`]'s order.
fn entries(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Entry>> {
    conn.prepare(sql)?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect()
}

/// What a timeline entry is indexed as: its place within the incident (what `search` prints
/// after the kind: "lesson went wrong", "link action 7 bug") and its text. A note is its text;
/// a lesson its text under its list; a link its title and URL.
pub(in crate::store) fn timeline_doc(
    kind: &str,
    field: Option<&str>,
    new: Option<&str>,
    text: &str,
) -> (String, String) {
    match kind {
        "lesson" => {
            let list = match field {
                Some("went_well") => "went well",
                Some("went_wrong") => "went wrong",
                Some("lucky") => "lucky",
                _ => "",
            };
            (list.to_string(), text.to_string())
        }
        "link" => {
            let place = match field {
                Some(action) => format!("action {action} bug"),
                None => "supporting information".to_string(),
            };
            let url = new.unwrap_or_default();
            let text = if text.trim().is_empty() {
                url.to_string()
            } else {
                format!("{text}\n{url}")
            };
            (place, text)
        }
        _ => (String::new(), text.to_string()),
    }
}

/// A snapshot's summary and findings, and each item's error and raw text (log tails, command
/// output); a snapshot taken without an incident is not indexed.
pub(in crate::store) fn index_snapshot(
    conn: &Connection,
    snapshot_id: i64,
) -> rusqlite::Result<()> {
    let Some((incident_pk, seq, at, summary, findings)) = conn
        .prepare_cached(
            "SELECT incident_pk, seq, taken_at, summary, findings FROM snapshots
             WHERE id = ?1 AND incident_pk IS NOT NULL",
        )?
        .query_row([snapshot_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?
    else {
        return Ok(());
    };
    let mut text = summary;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&findings) {
        strings(&value, &mut text);
    }
    let reference = format!("snapshot {seq}");
    add_doc(conn, "snapshot", Some(incident_pk), &reference, &at, &text)?;
    let items: Vec<(String, String, String)> = conn
        .prepare_cached(
            "SELECT collector, name, coalesce(error, '') || char(10) || raw
             FROM snapshot_items WHERE snapshot_id = ?1 ORDER BY id",
        )?
        .query_map([snapshot_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (collector, name, text) in items {
        let text = text.trim_start_matches('\n');
        add_doc(
            conn,
            "snapshot",
            Some(incident_pk),
            &format!("{reference} {collector}/{name}"),
            &at,
            text,
        )?;
    }
    Ok(())
}

/// Every string in a JSON value, a line each.
fn strings(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::String(s) => {
            out.push('\n');
            out.push_str(s);
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// A command run's command line, and its output's chunks.
pub(in crate::store) fn index_command_run(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    let blob_id = index_command_line(conn, run_id)?;
    index_blob(conn, blob_id)
}

/// A command run's command line; returns its output's blob.
pub(super) fn index_command_line(conn: &Connection, run_id: i64) -> rusqlite::Result<i64> {
    let (incident_pk, seq, command, at, blob_id): (i64, i64, String, String, i64) = conn
        .prepare_cached(
            "SELECT incident_pk, seq, command, started_at, output_blob_id
             FROM command_runs WHERE id = ?1",
        )?
        .query_row([run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    add_doc(
        conn,
        "command",
        Some(incident_pk),
        &format!("command {seq}"),
        &at,
        &command,
    )?;
    Ok(blob_id)
}

/// Indexes a blob's lines, one row of `search_line` each, unless they are already: content is
/// indexed once per blob. Lines without a letter or digit hold no word and get no row.
pub(in crate::store) fn index_blob(conn: &Connection, blob_id: i64) -> rusqlite::Result<()> {
    let indexed: bool = conn
        .prepare_cached("SELECT indexed FROM blobs WHERE id = ?1")?
        .query_row([blob_id], |r| r.get(0))?;
    if indexed {
        return Ok(());
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO search_line (rowid, text) VALUES (?1, ?2)")?;
    indexed_lines(conn, blob_id, |rowid, text| {
        insert.execute(params![rowid, text]).map(drop)
    })?;
    conn.prepare_cached("UPDATE blobs SET indexed = 1 WHERE id = ?1")?
        .execute([blob_id])?;
    Ok(())
}

/// Drops the index rows of the blobs `blobs_sql` selects (ids), before `gc` deletes them. The
/// index keeps no text, so FTS5 is handed each line again to take out.
pub(in crate::store) fn forget_blobs(conn: &Connection, blobs_sql: &str) -> rusqlite::Result<()> {
    let blobs: Vec<i64> = conn
        .prepare(&format!(
            "SELECT id FROM blobs WHERE indexed AND id IN ({blobs_sql})"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut delete = conn.prepare_cached(
        "INSERT INTO search_line (search_line, rowid, text) VALUES ('delete', ?1, ?2)",
    )?;
    for blob_id in blobs {
        indexed_lines(conn, blob_id, |rowid, text| {
            delete.execute(params![rowid, text]).map(drop)
        })?;
    }
    Ok(())
}

/// Each line of a blob that has a row in `search_line`, with its rowid: those with a letter or
/// digit (others hold no word). One definition for indexing and for taking out again: FTS5
/// must be handed exactly the rows it was given.
fn indexed_lines(
    conn: &Connection,
    blob_id: i64,
    mut f: impl FnMut(i64, &str) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    blob_lines::<rusqlite::Error>(
        conn,
        blob_id,
        |_, _| true,
        |number, line| {
            if line.iter().any(|b| b.is_ascii_alphanumeric() || *b >= 0x80) {
                f(line_rowid(blob_id, number), &String::from_utf8_lossy(line))?;
            }
            Ok(true)
        },
    )
}
