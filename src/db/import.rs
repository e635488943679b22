//! Hash lists as they are exchanged: one hex hash per line, or CSV/TSV rows.
//!
//! Accepted input, line by line (UTF-8, `\n` or `\r\n`, an optional byte-order mark):
//!
//! * empty lines and lines starting with `#` are ignored;
//! * a row is split on tabs if it has one, else on commas (CSV quoting with `"` is understood),
//!   else on whitespace;
//! * without a header, column 1 is the hash (64 hex digits), column 2 the quality (0..=100,
//!   may be empty) and column 3 a content id, as python-threatexchange, HMA and Meta's
//!   `pdq-photo-hasher` (`hash,quality,filename`) write them; further columns are ignored;
//! * a row `pdq <hash> [quality [content id]]` (a signal type, then the value, as
//!   threatexchange tools print them) is data, also on the first line;
//! * the first row is a header when none of its fields is a hash and it names a hash column
//!   (`hash`, `pdq`, `pdq_hash`, `signal`, `signal_value`); then `quality`/`pdq_quality`,
//!   `content_id`/`id`/`filename`/`file`/`path`/`name`, and the columns that
//!   [`ListFormat::Csv`] writes (`source`, `labels`, `media`, `video_id`, `timestamp_ms`,
//!   `derived`) are looked up by name;
//! * anything else — a first row that is neither a header nor a row, a vPDQ file (import those
//!   with [`Database::import_vpdq`](super::Database::import_vpdq)) — is an error naming the
//!   line, never an empty import.
//!
//! A bad row gives a [`ParseError`] with its 1-based line number; [`OnBadLine`] decides whether
//! it stops the import or is skipped and reported.

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{Database, Entry, MediaKind, Metadata};
use crate::error::{Error, ParseError, ParseErrorKind, Result};
use crate::hash::Hash256;

/// Longest line accepted (longer lines are bad lines, and are not held in memory).
const MAX_LINE: usize = 64 * 1024;

/// What to do with a line that does not parse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OnBadLine {
    /// Stop and return the line's error.
    #[default]
    Fail,
    /// Skip the line and record its error in the report.
    Skip,
}

/// Options for reading a hash list. `Default` fails on the first bad line.
///
/// ```
/// use mediamatch::db::{ImportOptions, OnBadLine};
/// let opts = ImportOptions::default().on_bad_line(OnBadLine::Skip);
/// assert_eq!(opts.on_bad_line, OnBadLine::Skip);
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Skip or fail on bad lines.
    pub on_bad_line: OnBadLine,
}

impl ImportOptions {
    /// Sets [`ImportOptions::on_bad_line`].
    #[must_use]
    pub fn on_bad_line(mut self, policy: OnBadLine) -> Self {
        self.on_bad_line = policy;
        self
    }
}

/// One parsed row of a hash list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRow {
    /// 1-based line number.
    pub line: usize,
    /// The hash.
    pub hash: Hash256,
    /// The quality, if the list has one for this row.
    pub quality: Option<u8>,
    /// The content id (or file name), if the list has one.
    pub content_id: Option<String>,
    /// The source (bank), if the list has a `source` column and it is not empty.
    pub source: Option<String>,
    /// The labels, if the list has a `labels` column (`|`-separated, `\|` and `\\` escape).
    pub labels: Option<Vec<String>>,
    /// The media kind, if the list has a `media` column (`image` or `video_frame` with
    /// `video_id` and `timestamp_ms`).
    pub media: Option<MediaKind>,
    /// How the entry was derived, if the list has a non-empty `derived` column.
    pub derived: Option<String>,
}

impl ListRow {
    /// The entry this row describes: `template` with the row's content id, source, labels,
    /// media kind and derivation where the row has them.
    pub fn into_entry(self, template: &super::Metadata) -> (Hash256, Option<u8>, super::Metadata) {
        let mut m = template.clone();
        if self.content_id.is_some() {
            m.content_id = self.content_id;
        }
        if let Some(s) = self.source {
            m.source = s;
        }
        if let Some(l) = self.labels {
            m.labels = l;
        }
        if let Some(k) = self.media {
            m.media = k;
        }
        if self.derived.is_some() {
            m.derived = self.derived;
        }
        (self.hash, self.quality, m)
    }
}

/// The rows of a list and the errors of the lines that were skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashList {
    /// Rows in file order.
    pub rows: Vec<ListRow>,
    /// Errors of skipped lines (empty under [`OnBadLine::Fail`]).
    pub skipped: Vec<ParseError>,
}

/// Output format for [`write_hash_list`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ListFormat {
    /// One hex hash per line.
    #[default]
    Hex,
    /// CSV with a header: `hash,quality,content_id,source,labels,media,video_id,timestamp_ms,derived`
    /// (empty quality = none; labels `|`-separated). Reading it back gives the same entries.
    Csv,
}

#[derive(Clone, Copy)]
struct Columns {
    hash: usize,
    quality: Option<usize>,
    content: Option<usize>,
    source: Option<usize>,
    labels: Option<usize>,
    media: Option<usize>,
    video_id: Option<usize>,
    timestamp: Option<usize>,
    derived: Option<usize>,
}

const DEFAULT_COLUMNS: Columns = Columns {
    hash: 0,
    quality: Some(1),
    content: Some(2),
    source: None,
    labels: None,
    media: None,
    video_id: None,
    timestamp: None,
    derived: None,
};

/// The columns of a `pdq <hash> [quality [content id]]` row.
const SIGNAL_COLUMNS: Columns = Columns {
    hash: 1,
    quality: Some(2),
    content: Some(3),
    ..DEFAULT_COLUMNS
};

fn is_signal_row(fields: &[Cow<'_, str>]) -> bool {
    fields.len() >= 2
        && fields[0].eq_ignore_ascii_case("pdq")
        && Hash256::from_hex(&fields[1]).is_ok()
}

/// `frame_number,quality,hash,seconds`: the vPDQ text format.
fn looks_like_vpdq(fields: &[Cow<'_, str>]) -> bool {
    fields.len() == 4
        && fields[0].parse::<u64>().is_ok()
        && fields[1].parse::<u8>().is_ok()
        && Hash256::from_hex(&fields[2]).is_ok()
        && fields[3].parse::<f64>().is_ok()
}

/// Splits a `labels` field (`|`-separated, `\|` and `\\` escape).
fn split_labels(f: &str) -> Vec<String> {
    if f.is_empty() {
        return Vec::new();
    }
    let mut out = vec![String::new()];
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(last)) = (chars.next(), out.last_mut()) {
                    last.push(n);
                }
            }
            '|' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

fn join_labels(labels: &[String]) -> String {
    let mut s = String::new();
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            s.push('|');
        }
        for c in l.chars() {
            if c == '|' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
    }
    s
}

/// Splits a row into fields (see the module docs).
fn split(line: &str) -> Vec<Cow<'_, str>> {
    if line.contains('\t') {
        return line.split('\t').map(|f| Cow::Borrowed(f.trim())).collect();
    }
    if !line.contains(',') {
        return line.split_whitespace().map(Cow::Borrowed).collect();
    }
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(Cow::Owned(std::mem::take(&mut cur).trim().to_string())),
            (c, _) => cur.push(c),
        }
    }
    fields.push(Cow::Owned(cur.trim().to_string()));
    fields
}

fn header_columns(fields: &[Cow<'_, str>]) -> Option<Columns> {
    let find = |names: &[&str]| {
        fields
            .iter()
            .position(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n)))
    };
    Some(Columns {
        hash: find(&["hash", "pdq", "pdq_hash", "signal", "signal_value"])?,
        quality: find(&["quality", "pdq_quality"]),
        content: find(&["content_id", "id", "filename", "file", "path", "name"]),
        source: find(&["source", "bank"]),
        labels: find(&["labels"]),
        media: find(&["media", "media_kind"]),
        video_id: find(&["video_id"]),
        timestamp: find(&["timestamp_ms"]),
        derived: find(&["derived"]),
    })
}

fn parse_row(
    line_no: usize,
    fields: &[Cow<'_, str>],
    cols: Columns,
) -> Result<ListRow, ParseError> {
    let field = |i: Option<usize>| {
        i.and_then(|i| fields.get(i))
            .map(|f| f.as_ref())
            .filter(|f| !f.is_empty())
    };
    let bad = |what: &'static str| ParseError::at_line(line_no, ParseErrorKind::Field(what.into()));
    let media = match cols.media.map(|_| field(cols.media).unwrap_or("image")) {
        None => None,
        Some("image") => Some(MediaKind::Image),
        Some("video_frame") => Some(MediaKind::VideoFrame {
            video_id: field(cols.video_id)
                .ok_or_else(|| bad("a video_frame row needs a video_id"))?
                .to_string(),
            timestamp_ms: field(cols.timestamp)
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| bad("a video_frame row needs timestamp_ms (an integer)"))?,
        }),
        Some(_) => return Err(bad("media must be image or video_frame")),
    };
    let hash_str = field(Some(cols.hash)).ok_or_else(|| {
        ParseError::at_line(line_no, ParseErrorKind::Field("missing hash column".into()))
    })?;
    let hash = Hash256::from_hex(hash_str)
        .map_err(|e| ParseError::at_line(line_no, ParseErrorKind::Hash(e)))?;
    let quality = match field(cols.quality) {
        None => None,
        Some(q) => match q.parse::<u8>() {
            Ok(v) if v <= 100 => Some(v),
            _ => return Err(ParseError::at_line(line_no, ParseErrorKind::Quality)),
        },
    };
    Ok(ListRow {
        line: line_no,
        hash,
        quality,
        content_id: field(cols.content).map(str::to_string),
        source: field(cols.source).map(str::to_string),
        labels: cols
            .labels
            .map(|_| split_labels(field(cols.labels).unwrap_or(""))),
        media,
        derived: field(cols.derived).map(str::to_string),
    })
}

/// Reads a hash list (see the [module documentation](crate::db) and [`ListFormat`] for the accepted forms).
///
/// ```
/// use mediamatch::db::{read_hash_list, ImportOptions, OnBadLine};
/// let text = "hash,quality,content_id\n\
///             f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,bridge\n\
///             not-a-hash,50,x\n";
/// let list = read_hash_list(text.as_bytes(), &ImportOptions::default().on_bad_line(OnBadLine::Skip))?;
/// assert_eq!(list.rows.len(), 1);
/// assert_eq!(list.rows[0].quality, Some(100));
/// assert_eq!(list.skipped[0].line(), Some(3));
/// assert!(read_hash_list(text.as_bytes(), &ImportOptions::default()).is_err());
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn read_hash_list(mut reader: impl BufRead, options: &ImportOptions) -> Result<HashList> {
    let mut out = HashList::default();
    let mut cols: Option<Columns> = None;
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut first_row = true;
    loop {
        buf.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let too_long = buf.len() > MAX_LINE && buf.last() != Some(&b'\n');
        if too_long {
            // Discard the rest of the line without holding it.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = reader
                    .by_ref()
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut sink)?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
        }
        let result = if too_long {
            Err(ParseError::at_line(
                line_no,
                ParseErrorKind::Field("line longer than 64 KiB".into()),
            ))
        } else {
            match std::str::from_utf8(&buf) {
                Err(_) => Err(ParseError::at_line(
                    line_no,
                    ParseErrorKind::Field("line is not valid UTF-8".into()),
                )),
                Ok(s) => {
                    let s = if line_no == 1 {
                        s.trim_start_matches('\u{feff}')
                    } else {
                        s
                    };
                    let s = s.trim();
                    if s.is_empty() || s.starts_with('#') {
                        continue;
                    }
                    let fields = split(s);
                    if first_row {
                        first_row = false;
                        let has_hash = fields.iter().any(|f| Hash256::from_hex(f).is_ok());
                        if !has_hash {
                            if let Some(c) = header_columns(&fields) {
                                cols = Some(c);
                                continue;
                            }
                        }
                        if looks_like_vpdq(&fields) {
                            return Err(Error::Parse(ParseError::at_line(
                                line_no,
                                ParseErrorKind::Field(
                                    "this is a vPDQ file (frame,quality,hash,seconds); \
                                     import it with Database::import_vpdq"
                                        .into(),
                                ),
                            )));
                        }
                    }
                    let c = match cols {
                        Some(c) => c,
                        None if is_signal_row(&fields) => SIGNAL_COLUMNS,
                        None => DEFAULT_COLUMNS,
                    };
                    parse_row(line_no, &fields, c)
                }
            }
        };
        match result {
            Ok(row) => out.rows.push(row),
            Err(e) => match options.on_bad_line {
                OnBadLine::Fail => return Err(Error::Parse(e)),
                OnBadLine::Skip => out.skipped.push(e),
            },
        }
    }
    Ok(out)
}

fn csv_field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r', '\t']) || s != s.trim() {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// Writes entries as a hash list; [`ListFormat::Csv`] keeps everything [`read_hash_list`]
/// reads back (source, labels, content id, media kind, quality, derived).
pub fn write_entry_list<'a>(
    mut w: impl Write,
    entries: impl IntoIterator<Item = Entry<'a>>,
    format: ListFormat,
) -> Result<()> {
    if format == ListFormat::Csv {
        writeln!(
            w,
            "hash,quality,content_id,source,labels,media,video_id,timestamp_ms,derived"
        )?;
    }
    for e in entries {
        match format {
            ListFormat::Hex => writeln!(w, "{}", e.hash)?,
            ListFormat::Csv => {
                let m = e.metadata;
                let q = e.quality.map(|q| q.to_string()).unwrap_or_default();
                let (kind, vid, ts) = match &m.media {
                    MediaKind::Image => ("image", "", String::new()),
                    MediaKind::VideoFrame {
                        video_id,
                        timestamp_ms,
                    } => ("video_frame", video_id.as_str(), timestamp_ms.to_string()),
                };
                writeln!(
                    w,
                    "{},{q},{},{},{},{kind},{},{ts},{}",
                    e.hash,
                    csv_field(m.content_id.as_deref().unwrap_or("")),
                    csv_field(&m.source),
                    csv_field(&join_labels(&m.labels)),
                    csv_field(vid),
                    csv_field(m.derived.as_deref().unwrap_or("")),
                )?
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes a hash list: `(hash, quality, content_id, source)` per row.
///
/// ```
/// use mediamatch::{Hash256, db::{write_hash_list, read_hash_list, ListFormat, ImportOptions}};
/// let mut out = Vec::new();
/// write_hash_list(&mut out, [(Hash256::ZERO, Some(90), Some("a,b"), "bank")], ListFormat::Csv)?;
/// let back = read_hash_list(&out[..], &ImportOptions::default())?;
/// assert_eq!(back.rows[0].content_id.as_deref(), Some("a,b"));
/// assert_eq!(back.rows[0].quality, Some(90));
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn write_hash_list<'a>(
    mut w: impl Write,
    rows: impl IntoIterator<Item = (Hash256, Option<u8>, Option<&'a str>, &'a str)>,
    format: ListFormat,
) -> Result<()> {
    if format == ListFormat::Csv {
        writeln!(w, "hash,quality,content_id,source")?;
    }
    for (hash, quality, content, source) in rows {
        match format {
            ListFormat::Hex => writeln!(w, "{hash}")?,
            ListFormat::Csv => {
                let q = quality.map(|q| q.to_string()).unwrap_or_default();
                writeln!(
                    w,
                    "{hash},{q},{},{}",
                    csv_field(content.unwrap_or("")),
                    csv_field(source)
                )?
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Result of [`Database::import_list`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// Ids given to the imported rows (consecutive).
    pub ids: Range<u64>,
    /// Errors of the lines that were skipped.
    pub skipped: Vec<ParseError>,
}

impl Database {
    /// Imports a hash list (see [`read_hash_list`]): every row becomes an entry with
    /// `template` as metadata, with the row's content id, source, labels, media kind and
    /// derivation when it has them (so [`Database::export_list`] with [`ListFormat::Csv`] then
    /// `import_list` gives the same entries).
    pub fn import_list(
        &mut self,
        reader: impl BufRead,
        options: &ImportOptions,
        template: &Metadata,
    ) -> Result<ImportReport> {
        let list = read_hash_list(reader, options)?;
        let ids = self.insert_many(list.rows.into_iter().map(|r| r.into_entry(template)))?;
        Ok(ImportReport {
            ids,
            skipped: list.skipped,
        })
    }

    /// Imports a vPDQ text file (`frame_number,quality,hash,seconds` per line, as
    /// [`crate::video::vpdq`] reads it): every frame becomes an entry with `template` as
    /// metadata and media kind [`MediaKind::VideoFrame`] with `video_id` and the frame's
    /// timestamp. A bad line is an error naming it; nothing is added then.
    ///
    /// ```
    /// use mediamatch::db::{Database, MediaKind, Metadata};
    /// let text = format!("0,100,{h},0.000\n30,90,{h},1.000\n", h = "ab".repeat(32));
    /// let mut db = Database::new();
    /// let ids = db.import_vpdq(&text, "clip-7", &Metadata::new("bank"))?;
    /// let e = db.get(ids.end - 1).unwrap();
    /// assert_eq!(e.metadata.media, MediaKind::VideoFrame { video_id: "clip-7".into(), timestamp_ms: 1000 });
    /// Ok::<(), mediamatch::Error>(())
    /// ```
    pub fn import_vpdq(
        &mut self,
        text: &str,
        video_id: &str,
        template: &Metadata,
    ) -> Result<Range<u64>> {
        let frames = crate::video::vpdq::parse_lines(text)?;
        self.insert_many(frames.into_iter().map(|f| {
            let m = template.clone().media(MediaKind::VideoFrame {
                video_id: video_id.to_string(),
                timestamp_ms: f.timestamp_ms,
            });
            (f.hash.hash, Some(f.hash.quality), m)
        }))
    }

    /// Exports every entry as a hash list ([`ListFormat::Csv`] keeps all the metadata; see
    /// [`write_entry_list`]).
    pub fn export_list(&self, w: impl Write, format: ListFormat) -> Result<()> {
        write_entry_list(w, self.iter(), format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn forms_and_line_numbers() {
        let text = format!(
            "\u{feff}# comment\n\n{H}\r\n{H},77,a.jpg\n{H}\t12\tb\n{H} 5\nzz\n{H},101\n{H},\n"
        );
        let list = read_hash_list(
            text.as_bytes(),
            &ImportOptions::default().on_bad_line(OnBadLine::Skip),
        )
        .unwrap();
        let q: Vec<_> = list.rows.iter().map(|r| (r.line, r.quality)).collect();
        assert_eq!(
            q,
            [
                (3, None),
                (4, Some(77)),
                (5, Some(12)),
                (6, Some(5)),
                (9, None)
            ]
        );
        assert_eq!(list.rows[1].content_id.as_deref(), Some("a.jpg"));
        let lines: Vec<_> = list.skipped.iter().map(|e| e.line()).collect();
        assert_eq!(lines, [Some(7), Some(8)]);
        assert!(matches!(list.skipped[1].kind(), ParseErrorKind::Quality));
        let e = read_hash_list(text.as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(matches!(e, Error::Parse(ref p) if p.line() == Some(7)));
    }

    #[test]
    fn header_by_name_and_long_lines() {
        let text = format!(
            "content_id,quality,signal_value\nx,40,{H}\n{}\ny,,{H}\n",
            "a".repeat(100_000)
        );
        let list = read_hash_list(
            text.as_bytes(),
            &ImportOptions::default().on_bad_line(OnBadLine::Skip),
        )
        .unwrap();
        assert_eq!(list.rows.len(), 2, "{:?}", list);
        assert_eq!(list.rows[0].content_id.as_deref(), Some("x"));
        assert_eq!(list.rows[0].quality, Some(40));
        assert_eq!((list.rows[1].line, list.rows[1].quality), (4, None));
        assert_eq!(list.skipped[0].line(), Some(3));
        let bad = read_hash_list(&b"\xff\xfe\n"[..], &ImportOptions::default());
        assert!(matches!(bad, Err(Error::Parse(_))));
    }
}
