//! Imports hash-exchange pages and hash lists into a store, deletions applied, resumable.
//!
//! ```text
//! cargo run --release --example import -- --store bank.db page1.json page2.json
//! cargo run --release --example import -- --store bank.db --format tcap --source tcap - < page.json
//! ```
//!
//! Each argument is one page or file, applied in the order given as one atomic batch
//! (`mediamatch::exchange::import::import_page`): a ThreatExchange `threat_updates` page, a
//! TCAP hash-list page, an HMA / python-threatexchange CSV, a hex list or CSV/TSV, or a vPDQ
//! text file (one video, named after the file); `--format` names it, otherwise it is sniffed
//! from the content. Deletions
//! (`should_delete`, `deleted`) remove the stored entries of the same type and value. The
//! import's checkpoint is kept in the store under `--source` (default: the format's name),
//! so a later run skips what an earlier one applied: records updated before the checkpoint's
//! `since`, and rows of a CSV/list file already read. One line per page on stdout:
//! `file  format  added N  removed N  skipped N  older N`. Exit status: 0 when every page was
//! imported, 2 on an error (it names the file and the record or line; that page and the
//! following ones are not applied). `-` reads one page from stdin.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mediamatch::db::{Metadata, Store};
use mediamatch::exchange::import::{import_page, Format};
use mediamatch::index::IndexConfig;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Import hash-exchange pages and hash lists into a mediamatch store",
    after_help = "Exit status: 0 = every page imported, 2 = error (that page and the following ones not applied)."
)]
struct Args {
    /// The store to write (created if missing).
    #[arg(long)]
    store: PathBuf,
    /// Page format: threatexchange, tcap, hma, list, vpdq (default: sniffed from each page).
    #[arg(long)]
    format: Option<String>,
    /// The checkpoint's name in the store, and the source of list entries (default: the
    /// format's name). Exchange records keep their exchange as source unless `--bank` is set.
    #[arg(long)]
    source: Option<String>,
    /// Store every entry under this source (bank) name instead of the record's exchange.
    #[arg(long)]
    bank: Option<String>,
    /// Label added to every entry (repeatable).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// Pages or files, in order; `-` is stdin.
    #[arg(required = true)]
    pages: Vec<PathBuf>,
}

fn run(args: &Args) -> Result<(), String> {
    let format = match &args.format {
        None => None,
        Some(f) => Some(Format::from_name(f).ok_or_else(|| {
            format!("--format {f}: not one of threatexchange, tcap, hma, list, vpdq")
        })?),
    };
    let mut store = Store::open(&args.store, IndexConfig::default())
        .map_err(|e| format!("{}: {e}", args.store.display()))?;
    let mut template = Metadata::new(args.bank.clone().unwrap_or_default());
    template.labels = args.labels.clone();
    for p in &args.pages {
        let name = p.display().to_string();
        let bytes = if p.as_os_str() == "-" {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| format!("-: {e}"))?;
            b
        } else {
            std::fs::read(p).map_err(|e| format!("{name}: {e}"))?
        };
        let f = format.unwrap_or_else(|| Format::sniff(&bytes));
        let source = args.source.clone().unwrap_or_else(|| f.name().to_owned());
        let mut t = template.clone();
        if f == Format::Vpdq && t.content_id.is_none() {
            // a vPDQ file is one video: named after the file
            t.content_id = p.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        let c = import_page(&mut store, &source, &bytes, Some(f), &t)
            .map_err(|e| format!("{name}: {e}"))?;
        println!(
            "{name}\t{}\tadded {}\tremoved {}\tskipped {}\tolder {}",
            c.format.name(),
            c.added,
            c.removed,
            c.skipped,
            c.older
        );
    }
    store.save_index_cache().map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
