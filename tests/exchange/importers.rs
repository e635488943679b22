//! The importers on sample pages written from the formats' public documentation: each with a
//! deletion, a resumed checkpoint, and a bad record named in the error.

use base64::Engine;
use mediamatch::exchange::{hma, tcap, threatexchange, SignalRecord, SignalSet, SignalType};
use mediamatch::filehash::{ExactAlg, FileDigests};
use mediamatch::tmk::{level2, TmkBuilder};
use mediamatch::Error;

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

fn err_text(r: mediamatch::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(e @ Error::Parse(_)) => e.to_string(),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn tmk_b64() -> (String, mediamatch::tmk::TmkFeatures) {
    let mut b = TmkBuilder::new();
    for t in 0..10 {
        let mut f = [2.0f32; 256];
        f[t] = 80.0;
        b.push(&f);
    }
    let t = b.finish();
    (
        base64::engine::general_purpose::STANDARD.encode(t.to_bytes()),
        t,
    )
}

#[test]
fn threatexchange_pages_deletion_and_resume() {
    let (tmk, tmk_features) = tmk_b64();
    let page1 = format!(
        r#"{{"data":[
          {{"id":"101","indicator":"{}","type":"HASH_PDQ","creation_time":1699990000,
            "last_updated":1700000000,"should_delete":false,"tags":["gifct","image"]}},
          {{"id":"102","indicator":"{MD5}","type":"HASH_VIDEO_MD5","last_updated":"1700000050",
            "should_delete":false,"tags":{{"data":[{{"text":"video"}}]}}}},
          {{"id":"103","indicator":"{tmk}","type":"HASH_TMK","last_updated":1700000020,
            "should_delete":false,"tags":[]}},
          {{"id":"104","indicator":"http://example.com","type":"URI","last_updated":1700000001,
            "should_delete":false}}],
         "paging":{{"cursors":{{"before":"QVFIUj","after":"QVFIUk"}},
            "next":"https://graph.facebook.com/v18.0/1234/threat_updates?after=QVFIUk"}}}}"#,
        PDQ.to_uppercase()
    );
    let p1 = threatexchange::parse_page(page1.as_bytes(), None).unwrap();
    assert_eq!(p1.records.len(), 4);
    assert_eq!(p1.records[0].signal_type, SignalType::Pdq);
    assert_eq!(p1.records[0].value, PDQ, "hex normalised to lower case");
    assert_eq!(p1.records[0].labels, ["gifct", "image"]);
    assert_eq!(p1.records[1].signal_type, SignalType::VideoMd5);
    assert_eq!(p1.records[1].labels, ["video"]);
    assert_eq!(p1.records[1].exact_digest().unwrap().alg(), ExactAlg::Md5);
    let decoded = p1.records[2].tmk().unwrap().unwrap();
    assert_eq!(decoded, tmk_features);
    assert!(level2(&decoded, &tmk_features) > 0.9999);
    assert_eq!(p1.records[3].signal_type, SignalType::Other("URI".into()));
    let cp = &p1.checkpoint;
    assert_eq!(cp.since, 1700000050);
    assert_eq!(cp.after.as_deref(), Some("QVFIUk"));
    assert!(cp.next_url.as_deref().unwrap().ends_with("after=QVFIUk"));

    // The checkpoint survives a restart (serialised), and the next page continues it.
    let saved = serde_json::to_string(cp).unwrap();
    let resumed: threatexchange::TeCheckpoint = serde_json::from_str(&saved).unwrap();
    let page2 = format!(
        r#"{{"data":[{{"id":"101","indicator":"{PDQ}","type":"HASH_PDQ",
            "last_updated":1700000100,"should_delete":true,"tags":[]}}],
           "paging":{{"cursors":{{"before":"a","after":"b"}}}}}}"#
    );
    let p2 = threatexchange::parse_page(page2.as_bytes(), Some(&resumed)).unwrap();
    assert!(p2.records[0].deleted);
    assert_eq!(p2.checkpoint.since, 1700000100);
    assert_eq!(p2.checkpoint.records, 5);
    assert_eq!(p2.checkpoint.next_url, None, "last page");

    let mut set = SignalSet::default();
    set.apply(&p1.records);
    assert_eq!(set.len(), 4);
    set.apply(&p2.records);
    assert_eq!(set.len(), 3);
    assert!(set.get(&SignalType::Pdq, PDQ).is_none(), "deletion applied");
    assert!(set.get(&SignalType::VideoMd5, MD5).is_some());

    // Export: the submission form of a record.
    let form = threatexchange::descriptor_form(
        &p1.records[1],
        "HAS_PRIVACY_GROUP",
        "AMBER",
        "MALICIOUS",
        "seen",
    )
    .unwrap();
    assert!(form.contains(&("type", "HASH_VIDEO_MD5".to_owned())));
    assert!(form.contains(&("indicator", MD5.to_owned())));
    assert!(form.contains(&("tags", "video".to_owned())));
    assert!(threatexchange::descriptor_form(&p1.records[3], "a", "b", "c", "d").is_none());
}

#[test]
fn threatexchange_bad_pages_name_the_record() {
    let bad_hash = br#"{"data":[{"id":"1","indicator":"00","type":"HASH_PDQ"},
        {"id":"2","indicator":"zz","type":"HASH_MD5"}]}"#;
    let e = err_text(threatexchange::parse_page(bad_hash, None));
    assert!(e.contains("record 1 (id 1)") && e.contains("pdq"), "{e}");
    let no_type = format!(
        r#"{{"data":[{{"id":"1","indicator":"{PDQ}","type":"HASH_PDQ"}},{{"id":"77","indicator":"x"}}]}}"#
    );
    let e = err_text(threatexchange::parse_page(no_type.as_bytes(), None));
    assert!(e.contains("record 2 (id 77)") && e.contains("type"), "{e}");
    let bad_delete = format!(
        r#"{{"data":[{{"id":"5","indicator":"{MD5}","type":"HASH_MD5","should_delete":"maybe"}}]}}"#
    );
    assert!(err_text(threatexchange::parse_page(bad_delete.as_bytes(), None)).contains("id 5"));
    let bad_tmk = br#"{"data":[{"id":"9","indicator":"bm90IGEgdG1r","type":"HASH_TMK"}]}"#;
    assert!(err_text(threatexchange::parse_page(bad_tmk, None)).contains("id 9"));
    assert!(err_text(threatexchange::parse_page(b"<html>", None)).contains("not JSON"));
    assert!(err_text(threatexchange::parse_page(b"{\"error\":{}}", None)).contains("data"));
}

#[test]
fn tcap_pages_deletion_and_resume() {
    let sha256 = FileDigests::of_bytes(b"x").sha256.to_string();
    let sha512 = FileDigests::of_bytes(b"x").sha512.to_string();
    let page1 = format!(
        r#"{{"count":5,"next":"https://beta.tcap.example/api/hash-list/v2/all?page=2",
            "previous":null,"checkpoint":"1700000000.5-17",
            "results":[
             {{"id":17,"hash_digest":"{MD5}","algorithm":"MD5","ideology":"islamist",
               "file_type":"video/mp4","deleted":false,"updated_on":1699999999.25}},
             {{"id":18,"hash_digest":"{sha256}","algorithm":"SHA256","ideology":"far-right",
               "file_type":"image/jpeg","deleted":false,"updated_on":1700000000.5}},
             {{"id":19,"hash_digest":"{sha512}","algorithm":"SHA512","ideology":"islamist",
               "file_type":"application/pdf","deleted":false,"updated_on":1700000000.5}},
             {{"id":20,"hash_digest":"{PDQ}","algorithm":"PDQ","ideology":"islamist",
               "file_type":"image/png","deleted":false,"updated_on":1700000000.5}}]}}"#
    );
    let p1 = tcap::parse_page(page1.as_bytes(), None).unwrap();
    assert_eq!(p1.count, Some(5));
    let types: Vec<_> = p1.records.iter().map(|r| r.signal_type.clone()).collect();
    assert_eq!(
        types,
        [
            SignalType::Md5,
            SignalType::Sha256,
            SignalType::Sha512,
            SignalType::Pdq
        ]
    );
    assert_eq!(
        p1.records[0].labels,
        ["ideology:islamist", "file_type:video/mp4"]
    );
    assert_eq!(p1.records[0].updated, Some(1699999999));
    assert_eq!(p1.records[1].id.as_deref(), Some("18"));
    assert!(p1.records[3].pdq().is_some());
    let saved = serde_json::to_string(&p1.checkpoint).unwrap();
    let resumed: tcap::TcapCheckpoint = serde_json::from_str(&saved).unwrap();
    assert_eq!(resumed.checkpoint.as_deref(), Some("1700000000.5-17"));
    let page2 = format!(
        r#"{{"count":5,"next":null,"previous":"p1","checkpoint":"1700000100.0-21",
            "results":[{{"id":18,"hash_digest":"{sha256}","algorithm":"SHA256",
              "ideology":"far-right","file_type":"image/jpeg","deleted":true,
              "updated_on":1700000100.0}}]}}"#
    );
    let p2 = tcap::parse_page(page2.as_bytes(), Some(&resumed)).unwrap();
    assert_eq!(p2.checkpoint.checkpoint.as_deref(), Some("1700000100.0-21"));
    assert_eq!(p2.checkpoint.next_url, None);
    assert_eq!(p2.checkpoint.records, 5);
    let mut set = SignalSet::default();
    set.apply(&p1.records);
    set.apply(&p2.records);
    assert_eq!(set.len(), 3);
    assert!(set.get(&SignalType::Sha256, &sha256).is_none());

    let bad = format!(
        r#"{{"results":[{{"id":1,"hash_digest":"{MD5}","algorithm":"MD5"}},
        {{"id":2,"hash_digest":"{MD5}","algorithm":"SHA256"}}]}}"#
    );
    let e = err_text(tcap::parse_page(bad.as_bytes(), None));
    assert!(e.contains("record 2 (id 2)") && e.contains("sha256"), "{e}");
    assert!(err_text(tcap::parse_page(b"{\"detail\":\"auth\"}", None)).contains("results"));
}

#[test]
fn hma_export_round_trip_deletion_and_resume() {
    let csv = format!(
        "signal_type,signal_value,bank,content_id,labels,deleted\n\
         pdq,{PDQ},\"TERRORISM, graphic\",c-1,gifct;image,false\n\
         video_md5,{MD5},VIDEOS,c-2,,false\n\
         pdq,{PDQ},\"TERRORISM, graphic\",c-1,,true\n"
    );
    let all = hma::parse_csv(csv.as_bytes(), 0).unwrap();
    assert_eq!(all.rows, 3);
    assert_eq!(all.records[0].bank.as_deref(), Some("TERRORISM, graphic"));
    assert_eq!(all.records[0].content_id.as_deref(), Some("c-1"));
    assert_eq!(all.records[0].labels, ["gifct", "image"]);
    assert_eq!(all.records[1].signal_type, SignalType::VideoMd5);
    assert!(all.records[2].deleted);
    let mut set = SignalSet::default();
    set.apply(&all.records);
    assert_eq!(set.len(), 1);

    // Resume after the first row: only rows 2 and 3.
    let rest = hma::parse_csv(csv.as_bytes(), 1).unwrap();
    assert_eq!(rest.records, all.records[1..]);
    assert_eq!(rest.rows, 3);

    // Write and read back.
    let written = hma::write_csv(&all.records);
    let again = hma::parse_csv(written.as_bytes(), 0).unwrap();
    assert_eq!(again.records, all.records);

    // pytx-style column names.
    let pytx = format!("bank_name,bank_content_id,signal_type,signal\nB,9,md5,{MD5}\n");
    let r = hma::parse_csv(pytx.as_bytes(), 0).unwrap();
    assert_eq!(r.records[0].bank.as_deref(), Some("B"));
    assert_eq!(r.records[0].signal_type, SignalType::Md5);

    let bad = format!("signal_type,signal_value,content_id\npdq,{PDQ},a\npdq,123,zz-7\n");
    let e = err_text(hma::parse_csv(bad.as_bytes(), 0));
    assert!(e.contains("record 2 (id zz-7)"), "{e}");
    assert!(err_text(hma::parse_csv(b"foo,bar\n1,2\n", 0)).contains("signal_type"));
    let _: Vec<SignalRecord> = r.records;
}
