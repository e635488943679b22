//! The `import` tool and `exchange::import`: sample pages written from the formats' public
//! documentation, applied in order into a store with their deletions; a re-run resumes from
//! the checkpoint kept in the store and applies only what is newer; bad pages name the record
//! and change nothing. Also the exchanges' two TMK value forms.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use mediamatch::db::StoreReader;
use mediamatch::exchange::{tcap, threatexchange, SignalType};
use mediamatch::filehash::{ExactAlg, ExactDigest, FileDigests};
use mediamatch::index::IndexConfig;
use mediamatch::tmk::{TmkBuilder, TmkFeatures};

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn import_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe
        .parent()?
        .parent()?
        .join("examples")
        .join(format!("import{}", std::env::consts::EXE_SUFFIX));
    if p.exists() {
        return Some(p);
    }
    let why = "the import example is not built (run the whole `cargo test`)";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mediamatch-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A standard-size (256-dimension) TMK feature of 30 synthetic frames.
fn tmk() -> TmkFeatures {
    let mut b = TmkBuilder::new();
    for t in 0..30 {
        let mut f = [3.0f32; 256];
        f[(t * 7) % 256] = 90.0;
        b.push(&f);
    }
    b.finish()
}

/// Runs the tool; (exit code, stdout lines, stderr).
fn run(
    bin: &Path,
    args: &[&std::ffi::OsStr],
    stdin: Option<&[u8]>,
) -> (Option<i32>, Vec<String>, String) {
    let mut c = Command::new(bin);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().unwrap();
    if let Some(b) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The counts column of an output line: (added, removed, skipped, older).
fn counts(line: &str) -> (usize, usize, usize, usize) {
    let n = |key: &str| -> usize {
        line.split('\t')
            .find_map(|c| c.strip_prefix(key))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (n("added "), n("removed "), n("skipped "), n("older "))
}

#[test]
fn import_applies_pages_with_deletions_and_resumes_from_the_store() {
    let Some(bin) = import_binary() else { return };
    let dir = scratch("pages");
    let store = dir.join("bank.db");
    let t = tmk();
    let tmk_te = threatexchange::encode_tmk(&t);
    // Page 1 (ThreatExchange threat_updates): PDQ, MD5, TMK in ThreatExchange's form.
    let page1 = format!(
        r#"{{"data":[
          {{"id":"101","indicator":"{PDQ}","type":"HASH_PDQ","last_updated":1700000000,
            "should_delete":false,"tags":["tvec","gifct"]}},
          {{"id":"102","indicator":"{MD5}","type":"HASH_MD5","last_updated":"1700000010",
            "should_delete":false,"tags":[]}},
          {{"id":"103","indicator":"{tmk_te}","type":"HASH_TMK","last_updated":1700000020,
            "should_delete":false,"tags":[{{"text":"video"}}]}}],
          "paging":{{"cursors":{{"before":"QVFI","after":"QVFIUk"}},
            "next":"https://graph.facebook.com/v21.0/threat_updates?after=QVFIUk"}}}}"#
    );
    // Page 2: the MD5 withdrawn, a SHA-256 added, a type the store does not hold.
    let page2 = format!(
        r#"{{"data":[
          {{"id":"102","indicator":"{MD5}","type":"HASH_MD5","last_updated":1700000100,
            "should_delete":true}},
          {{"id":"104","indicator":"{SHA256}","type":"HASH_SHA256","last_updated":1700000100}},
          {{"id":"105","indicator":"https://example.org/x","type":"URI","last_updated":1700000100}}],
          "paging":{{"cursors":{{"before":"QVFIUk","after":"QVFIUl"}}}}}}"#
    );
    let (p1, p2) = (dir.join("page1.json"), dir.join("page2.json"));
    std::fs::write(&p1, &page1).unwrap();
    std::fs::write(&p2, &page2).unwrap();

    let (code, out, err) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), p1.as_os_str()],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.len(), 1);
    assert!(out[0].contains("\tthreatexchange\t"), "{out:?}");
    assert_eq!(counts(&out[0]), (3, 0, 0, 0));

    // The resumed run is given both pages: page 1 was applied, only page 2 is.
    let (code, out, err) = run(
        &bin,
        &[
            "--store".as_ref(),
            store.as_os_str(),
            p1.as_os_str(),
            p2.as_os_str(),
        ],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(counts(&out[0]), (0, 0, 0, 3));
    assert_eq!(counts(&out[1]), (1, 1, 1, 0));

    let r = StoreReader::open(&store, IndexConfig::default()).unwrap();
    assert_eq!(r.snapshot().len(), 1, "the PDQ entry");
    let md5 = ExactDigest::parse(ExactAlg::Md5, MD5).unwrap();
    assert!(r.lookup_digest(&md5).is_empty(), "the MD5 was withdrawn");
    let sha = ExactDigest::parse(ExactAlg::Sha256, SHA256).unwrap();
    assert_eq!(r.lookup_digest(&sha).len(), 1);
    // The empty file's SHA-256: an upload of it is found by its digest.
    assert!(r.lookup_exact(&FileDigests::of_bytes(b"")).is_some());
    let hits = r.search_tmk(&t, &Default::default()).unwrap();
    assert_eq!(hits.len(), 1);
    let e = r.get_signal(hits[0].id).unwrap().unwrap();
    assert_eq!(TmkFeatures::from_bytes(&e.value).unwrap(), t);
    assert_eq!(
        (e.metadata.source.as_str(), e.metadata.labels.as_slice()),
        ("threatexchange", &["video".to_string()][..])
    );
    let pdq_id = r.snapshot().iter().next().unwrap().id;
    let pdq = r.get(pdq_id).unwrap().unwrap();
    assert_eq!(pdq.hash.to_string(), PDQ);
    assert_eq!(pdq.metadata.labels, ["tvec", "gifct"]);
    let seq = r.seq();
    let cp = r
        .source_checkpoint("import:threatexchange")
        .unwrap()
        .unwrap();
    let cp: serde_json::Value = serde_json::from_str(&cp).unwrap();
    assert_eq!(cp["since"], 1700000100);
    assert_eq!(cp["threatexchange"]["after"], "QVFIUl");
    drop(r);

    // Page 2 again: nothing newer, nothing changes.
    let (code, out, _) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), p2.as_os_str()],
        None,
    );
    assert_eq!(code, Some(0));
    assert_eq!(counts(&out[0]), (0, 0, 0, 3));
    assert_eq!(
        StoreReader::open(&store, IndexConfig::default())
            .unwrap()
            .seq(),
        seq
    );

    // A bad page: exit 2, the error names the file and the record; nothing is applied, and a
    // later page on the command line is not either.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        format!(r#"{{"data":[{{"id":"201","indicator":"{PDQ}","type":"HASH_PDQ","last_updated":1700000200}},
                 {{"id":"202","indicator":"abc","type":"HASH_MD5","last_updated":1700000200}}]}}"#),
    )
    .unwrap();
    let (code, out, err) = run(
        &bin,
        &[
            "--store".as_ref(),
            store.as_os_str(),
            bad.as_os_str(),
            p1.as_os_str(),
        ],
        None,
    );
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(
        err.contains("bad.json") && err.contains("record 2 (id 202)"),
        "{err}"
    );
    assert_eq!(
        StoreReader::open(&store, IndexConfig::default())
            .unwrap()
            .seq(),
        seq
    );
}

#[test]
fn import_reads_tcap_from_stdin_hma_csv_and_lists_by_content() {
    let Some(bin) = import_binary() else { return };
    let dir = scratch("formats");
    let store = dir.join("bank.db");
    // TCAP hash-list page on stdin, the format named.
    let tcap_page = format!(
        r#"{{"count":2,"next":null,"previous":null,"checkpoint":"1700000300.0-7",
          "results":[
            {{"id":6,"hash_digest":"{MD5}","algorithm":"MD5","ideology":"islamist",
              "file_type":"video","deleted":false,"updated_on":1700000200.5}},
            {{"id":7,"hash_digest":"{SHA256}","algorithm":"SHA256","deleted":true,
              "updated_on":1700000300.0}}]}}"#
    );
    let (code, out, err) = run(
        &bin,
        &[
            "--store".as_ref(),
            store.as_os_str(),
            "--format".as_ref(),
            "tcap".as_ref(),
            "-".as_ref(),
        ],
        Some(tcap_page.as_bytes()),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out[0].starts_with("-\ttcap\t"), "{out:?}");
    assert_eq!(counts(&out[0]), (1, 0, 0, 0));
    // HMA CSV, sniffed; then the same file grown by one row: only that row is imported.
    let csv = dir.join("bank.csv");
    let mut text = format!("signal_type,signal_value,bank,content_id\npdq,{PDQ},bank-a,c1\n");
    std::fs::write(&csv, &text).unwrap();
    let (code, out, _) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), csv.as_os_str()],
        None,
    );
    assert_eq!(code, Some(0));
    assert!(out[0].contains("\thma\t"));
    assert_eq!(counts(&out[0]), (1, 0, 0, 0));
    text.push_str(&format!("video_md5,{MD5},bank-a,c2\n"));
    std::fs::write(&csv, &text).unwrap();
    let (_, out, _) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), csv.as_os_str()],
        None,
    );
    assert_eq!(counts(&out[0]), (1, 0, 0, 1));
    // A hex list under a named source; grown, resumed.
    let list = dir.join("list.txt");
    let other = "0000000000000000000000000000000000000000000000000000000000000001";
    std::fs::write(&list, format!("{PDQ}\n")).unwrap();
    let src = [
        "--store".as_ref(),
        store.as_os_str(),
        "--source".as_ref(),
        "mine".as_ref(),
    ];
    let (_, out, _) = run(&bin, &[&src[..], &[list.as_os_str()]].concat(), None);
    assert!(out[0].contains("\tlist\t"));
    assert_eq!(counts(&out[0]), (1, 0, 0, 0));
    std::fs::write(&list, format!("{PDQ}\n{other}\n")).unwrap();
    let (_, out, _) = run(&bin, &[&src[..], &[list.as_os_str()]].concat(), None);
    assert_eq!(counts(&out[0]), (1, 0, 0, 1));

    // A vPDQ file (two frames), sniffed: video-frame entries named after the file; grown by
    // a frame, resumed.
    let vpdq = dir.join("clip-9.txt");
    let other2 = "00000000000000000000000000000000000000000000000000000000000000ff";
    std::fs::write(&vpdq, format!("0,100,{PDQ},0.000\n15,90,{other},0.500\n")).unwrap();
    let (_, out, err) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), vpdq.as_os_str()],
        None,
    );
    assert!(out[0].contains("\tvpdq\t"), "{out:?} {err}");
    assert_eq!(counts(&out[0]), (2, 0, 0, 0));
    std::fs::write(
        &vpdq,
        format!("0,100,{PDQ},0.000\n15,90,{other},0.500\n30,80,{other2},1.000\n"),
    )
    .unwrap();
    let (_, out, _) = run(
        &bin,
        &["--store".as_ref(), store.as_os_str(), vpdq.as_os_str()],
        None,
    );
    assert_eq!(counts(&out[0]), (1, 0, 0, 2));

    let r = StoreReader::open(&store, IndexConfig::default()).unwrap();
    let frames: Vec<_> = r
        .snapshot()
        .iter()
        .filter_map(|e| r.get(e.id).unwrap())
        .filter(|e| e.metadata.source == "vpdq")
        .map(|e| (e.hash.to_string(), e.quality, e.metadata.media))
        .collect();
    let frame = |h: &str, q: u8, ms: u64| {
        (
            h.to_string(),
            Some(q),
            mediamatch::db::MediaKind::VideoFrame {
                video_id: "clip-9".into(),
                timestamp_ms: ms,
            },
        )
    };
    assert_eq!(
        frames,
        [
            frame(PDQ, 100, 0),
            frame(other, 90, 500),
            frame(other2, 80, 1000)
        ]
    );
    let md5 = ExactDigest::parse(ExactAlg::Md5, MD5).unwrap();
    let ids = r.lookup_digest(&md5).to_vec();
    assert_eq!(ids.len(), 2, "TCAP's MD5 and the HMA video_md5");
    let sources: Vec<String> = ids
        .iter()
        .map(|&i| r.get_signal(i).unwrap().unwrap().metadata.source)
        .collect();
    assert_eq!(sources, ["tcap", "hma"]);
    let tc = r.get_signal(ids[0]).unwrap().unwrap();
    assert_eq!(tc.metadata.labels, ["ideology:islamist", "file_type:video"]);
    assert_eq!(
        r.snapshot().len(),
        6,
        "HMA's PDQ, the list's two, the vPDQ file's three"
    );
    let mine: Vec<_> = r
        .snapshot()
        .iter()
        .filter_map(|e| r.get(e.id).unwrap())
        .filter(|e| e.metadata.source == "mine")
        .collect();
    assert_eq!(mine.len(), 2);

    // Usage errors and --version.
    let (code, _, err) = run(
        &bin,
        &[
            "--store".as_ref(),
            store.as_os_str(),
            "--format".as_ref(),
            "nope".as_ref(),
            list.as_os_str(),
        ],
        None,
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("--format nope"), "{err}");
    let (code, out, _) = run(&bin, &["--version".as_ref()], None);
    assert_eq!(code, Some(0));
    assert_eq!(out[0], format!("mediamatch {}", env!("CARGO_PKG_VERSION")));
}

/// ThreatExchange's `HASH_TMK` form (`TMK1FVECPDQF|` + base64 of the rest, as Meta's reference
/// client writes it) and TCAP's (base64 of the whole file) both read back as the same
/// features; each encoder writes its exchange's form, byte for byte.
#[test]
fn tmk_values_in_both_exchange_forms() {
    let t = tmk();
    let bytes = t.to_bytes();
    let b64 = base64::engine::general_purpose::STANDARD;
    let te = threatexchange::encode_tmk(&t);
    assert_eq!(te, format!("TMK1FVECPDQF|{}", b64.encode(&bytes[12..])));
    assert_eq!(tcap::encode_tmk(&t), b64.encode(&bytes));
    for v in [te.as_str(), &tcap::encode_tmk(&t)] {
        assert!(SignalType::Tmk.normalise(v).is_ok());
    }
    let r = |v: &str| mediamatch::exchange::SignalRecord {
        signal_type: SignalType::Tmk,
        value: v.to_owned(),
        source: "x".into(),
        id: Some("1".into()),
        bank: None,
        content_id: None,
        labels: vec![],
        deleted: false,
        updated: None,
    };
    assert_eq!(r(&te).tmk().unwrap().unwrap(), t);
    assert_eq!(r(&tcap::encode_tmk(&t)).tmk().unwrap().unwrap(), t);
    // A corrupted TE value is an error, not a panic.
    assert!(SignalType::Tmk.normalise("TMK1FVECPDQF|!!!").is_err());
    assert!(SignalType::Tmk.normalise("TMK1FVECPDQF|").is_err());
    // Submissions: ThreatExchange's descriptor carries its form whatever the record holds;
    // TCAP's verification request the whole-file base64, one TMK per request, 50 others.
    let form = threatexchange::descriptor_form(
        &r(&tcap::encode_tmk(&t)),
        "HAS_PRIVACY_GROUP",
        "AMBER",
        "MALICIOUS",
        "d",
    )
    .unwrap();
    assert_eq!(form[0], ("indicator", te.clone()));
    let mut records = vec![r(&te)];
    for i in 0..51u32 {
        let mut m = r("");
        m.signal_type = SignalType::Md5;
        m.value = format!("{:032x}", i);
        records.push(m);
    }
    let batches = tcap::verification_batches(&records, 0.8).unwrap();
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [50, 1, 1]);
    assert_eq!(batches[2][0]["hash_type"], "TMK");
    assert_eq!(batches[2][0]["hash_value"], tcap::encode_tmk(&t));
    assert_eq!(batches[2][0]["confidence"], 0.8);
    assert_eq!(
        batches[0][0],
        serde_json::json!({"hash_value": format!("{:032x}", 0), "hash_type": "MD5"})
    );
    assert!(tcap::verification_batches(&records, 1.5).is_err());
}
