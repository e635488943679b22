//! Exact file hashes and the exchanges' import/export formats.

mod filehash;
mod import;
mod importers;
