//! Reading an attached log or a command's recorded output back (`incident logs`): whole,
//! grepped or tailed, a chunk at a time, so that a 1 GB log is read with bounded memory.

use crate::store::{StoreError, Txn};
use regex::bytes::Regex;
use std::collections::VecDeque;

/// A stored log: its blob and how many lines it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log {
    pub blob_id: i64,
    pub lines: u64,
}

/// Which of a log's lines to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Only lines matching this.
    pub grep: Option<&'a Regex>,
    /// Only the last N lines (of those matching `grep`, with it).
    pub tail: Option<usize>,
}

/// Hands `out` the bytes of `log` that `filter` keeps, in order.
pub fn read<E: From<StoreError>>(
    txn: &Txn,
    log: Log,
    filter: Filter,
    mut out: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let Filter { grep, tail } = filter;
    if grep.is_none() && tail.is_none() {
        return txn.read_blob(log.blob_id, 1, out);
    }
    // Without a grep, a tail of N needs only the chunks holding the last N lines.
    let from_line = match (grep, tail) {
        (None, Some(n)) => log.lines.saturating_sub(n as u64).max(1),
        _ => 1,
    };
    let mut ring = Tail::new(tail);
    for_each_line(txn, log.blob_id, from_line, |line| {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if grep.is_some_and(|re| !re.is_match(body)) {
            return Ok(());
        }
        // A matching last line without a newline gets one, as grep prints it: the output of
        // two logs one after the other must not run together.
        let terminated;
        let line = if grep.is_some() && body.len() == line.len() {
            terminated = [line, b"\n"].concat();
            &terminated[..]
        } else {
            line
        };
        match &mut ring {
            None => out(line),
            Some(ring) => {
                ring.push(line);
                Ok(())
            }
        }
    })?;
    for line in ring.iter().flat_map(|r| r.lines.iter()) {
        out(line)?;
    }
    Ok(())
}

/// Hands `f` each line of blob `id` from about line `from_line` on, with its newline (the last
/// one may have none).
fn for_each_line<E: From<StoreError>>(
    txn: &Txn,
    id: i64,
    from_line: u64,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    // A line split between chunks is put together here.
    let mut carry: Vec<u8> = Vec::new();
    txn.read_blob(id, from_line, |chunk| {
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            let (line, after) = rest.split_at(i + 1);
            if carry.is_empty() {
                f(line)?;
            } else {
                carry.extend_from_slice(line);
                f(&carry)?;
                carry.clear();
            }
            rest = after;
        }
        carry.extend_from_slice(rest);
        Ok::<(), E>(())
    })?;
    if !carry.is_empty() {
        f(&carry)?;
    }
    Ok(())
}

/// The last N lines seen. It holds at most N lines: memory is bounded by the tail asked for,
/// not by the log.
struct Tail {
    keep: usize,
    lines: VecDeque<Vec<u8>>,
}

impl Tail {
    fn new(keep: Option<usize>) -> Option<Tail> {
        keep.map(|keep| Tail {
            keep,
            lines: VecDeque::new(),
        })
    }

    fn push(&mut self, line: &[u8]) {
        if self.keep == 0 {
            return;
        }
        if self.lines.len() == self.keep
            && let Some(mut old) = self.lines.pop_front()
        {
            old.clear();
            old.extend_from_slice(line);
            self.lines.push_back(old);
        } else {
            self.lines.push_back(line.to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_lines_only() {
        let mut tail = Tail::new(Some(2)).unwrap();
        for line in [&b"a\n"[..], b"b\n", b"c"] {
            tail.push(line);
        }
        assert_eq!(tail.lines, [b"b\n".to_vec(), b"c".to_vec()]);
        let mut none = Tail::new(Some(0)).unwrap();
        none.push(b"a\n");
        assert!(none.lines.is_empty());
    }
}
