//! The hash exchanges' own formats: parse the bytes a client fetched (no network here) into
//! typed [`SignalRecord`]s and a resumable checkpoint, and export submissions.
//!
//! * [`threatexchange`]: Meta ThreatExchange `threat_updates` pages (Graph API JSON), as
//!   GIFCT members read the hash-sharing database: `HASH_PDQ`, `HASH_MD5`, `HASH_TMK`,
//!   `HASH_VIDEO_MD5`, ... with `should_delete`, tags, `last_updated` and a paging cursor; and
//!   the descriptor form to submit a hash.
//! * [`tcap`]: Tech Against Terrorism hash-list pages (MD5, SHA-256, SHA-512, PDQ) with their
//!   metadata and checkpoint.
//! * [`hma`]: HMA bank exports / python-threatexchange dataset files (signal type, signal
//!   value, bank, content id) as CSV, read and written.
//! * [`import`]: one page or file into a [`crate::db::Store`] (any of the formats above, or a
//!   hex / CSV / vPDQ list), deletions applied, the checkpoint kept in the store so a re-run
//!   resumes. This step sits above the store; the parsers sit below it.
//!
//! Every importer returns records in page order, deletions included (`deleted: true`);
//! [`SignalSet::apply`] applies a page to a local mirror. Bad records give
//! [`crate::Error::Parse`] naming the record (its index in the page and its id).
//!
//! ```
//! use mediamatch::exchange::{threatexchange, SignalSet, SignalType};
//! let page = br#"{"data":[{"id":"1","indicator":"d41d8cd98f00b204e9800998ecf8427e",
//!   "type":"HASH_MD5","last_updated":1700000000,"should_delete":false,"tags":["x"]}]}"#;
//! let p = threatexchange::parse_page(page, None)?;
//! let mut set = SignalSet::default();
//! set.apply(&p.records);
//! assert_eq!(set.len(), 1);
//! assert_eq!(p.records[0].signal_type, SignalType::Md5);
//! # Ok::<(), mediamatch::Error>(())
//! ```

pub mod hma;
pub mod import;
mod record;
pub mod tcap;
pub mod threatexchange;

pub use record::{SignalRecord, SignalSet, SignalType};
