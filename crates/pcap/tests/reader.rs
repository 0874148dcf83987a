//! Reader tests on hand-built classic pcap and pcapng files.

use dnstel_packet::{LinkType, Timestamp};
use dnstel_pcap::{CaptureFormat, CaptureReader, MultiReader, PcapError};

/// The frames of a capture as (timestamp, link type, data, original length, interface).
type Collected = Vec<(Timestamp, LinkType, Vec<u8>, u32, u32)>;

/// Reads every frame until the end or a non-recoverable error; returns frames and errors.
fn collect(bytes: &[u8]) -> (Collected, Vec<String>) {
    let mut reader = CaptureReader::new(bytes).expect("header reads");
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => frames.push((
                frame.timestamp,
                frame.link_type,
                frame.data.to_vec(),
                frame.original_length,
                frame.interface,
            )),
            Ok(None) => break,
            Err(error) => errors.push(error.to_string()),
        }
    }
    (frames, errors)
}

// ---- classic pcap builders

fn classic(
    big_endian: bool,
    nanoseconds: bool,
    link_type: u32,
    records: &[(u32, u32, &[u8])],
) -> Vec<u8> {
    let u16b = |value: u16| {
        if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    };
    let u32b = |value: u32| {
        if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    };
    let magic = if nanoseconds {
        0xa1b2_3c4d
    } else {
        0xa1b2_c3d4
    };
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&u32b(magic));
    bytes.extend_from_slice(&u16b(2));
    bytes.extend_from_slice(&u16b(4));
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&u32b(65535));
    bytes.extend_from_slice(&u32b(link_type));
    for &(seconds, fraction, data) in records {
        bytes.extend_from_slice(&u32b(seconds));
        bytes.extend_from_slice(&u32b(fraction));
        bytes.extend_from_slice(&u32b(data.len() as u32));
        bytes.extend_from_slice(&u32b(data.len() as u32 + 4));
        bytes.extend_from_slice(data);
    }
    bytes
}

#[test]
fn classic_all_magic_variants() {
    for big_endian in [false, true] {
        for nanoseconds in [false, true] {
            let file = classic(
                big_endian,
                nanoseconds,
                1,
                &[(100, 250, b"abc"), (101, 0, b"de")],
            );
            let reader = CaptureReader::new(file.as_slice()).expect("header");
            assert_eq!(reader.format(), CaptureFormat::Pcap);
            assert_eq!(reader.link_types(), vec![LinkType::ETHERNET]);
            assert_eq!(reader.snap_length(), Some(65535));
            let (frames, errors) = collect(&file);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(frames.len(), 2);
            let fraction = if nanoseconds { 250 } else { 250_000 };
            assert_eq!(frames[0].0, Timestamp::from_parts(100, fraction));
            assert_eq!(frames[0].1, LinkType::ETHERNET);
            assert_eq!(frames[0].2, b"abc");
            assert_eq!(frames[0].3, 7);
            assert_eq!(frames[1].2, b"de");
        }
    }
}

#[test]
fn classic_link_type_fcs_bits_ignored() {
    let file = classic(false, false, 0x1000_0000 | 228, &[(1, 0, b"x")]);
    let reader = CaptureReader::new(file.as_slice()).expect("header");
    assert_eq!(reader.link_types(), vec![LinkType::IPV4]);
}

#[test]
fn classic_truncated_record_keeps_earlier_frames() {
    let file = classic(false, false, 1, &[(1, 0, b"first"), (2, 0, b"second")]);
    let cut = &file[..file.len() - 3];
    let mut reader = CaptureReader::new(cut).expect("header");
    assert!(reader.next_frame().expect("first frame").is_some());
    let error = reader.next_frame().expect_err("truncated");
    assert_eq!(
        error.to_string(),
        "file truncated: pcap record at offset 45 needs 22 bytes, 19 present"
    );
    assert!(!error.is_recoverable());
    assert!(reader.next_frame().expect("finished").is_none());
    let stats = reader.stats();
    assert_eq!(stats.frames, 1);
    assert!(stats.stopped_by_error);
}

#[test]
fn classic_truncated_record_header() {
    let file = classic(false, false, 1, &[(1, 0, b"first")]);
    let mut cut = file.clone();
    cut.extend_from_slice(&[1, 2, 3]);
    let (frames, errors) = collect(&cut);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        errors,
        vec!["file truncated: pcap record header at offset 45 needs 16 bytes, 3 present"]
    );
}

#[test]
fn classic_record_too_long() {
    let mut file = classic(false, false, 1, &[]);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    file.extend_from_slice(&[0; 4]);
    let (_, errors) = collect(&file);
    assert_eq!(
        errors,
        vec![
            "pcap record at offset 24 has captured length 4294967295, \
             more than the 16777216 supported"
        ]
    );
}

/// Sets the snapshot length in the global header of a little-endian file from [`classic`].
fn with_snap_length(mut file: Vec<u8>, snap_length: u32) -> Vec<u8> {
    file[16..20].copy_from_slice(&snap_length.to_le_bytes());
    file
}

#[test]
fn classic_over_snap_length_kept_and_counted() {
    let records: &[(u32, u32, &[u8])] = &[(1, 0, b"four"), (2, 0, b"fiver"), (3, 0, b"six___")];
    let file = with_snap_length(classic(false, false, 1, records), 4);
    let (frames, errors) = collect(&file);
    assert!(errors.is_empty(), "{errors:?}");
    let data: Vec<&[u8]> = frames.iter().map(|frame| frame.2.as_slice()).collect();
    assert_eq!(data, [&b"four"[..], b"fiver", b"six___"]);

    let mut reader = CaptureReader::new(file.as_slice()).expect("header");
    while reader.next_frame().expect("valid records").is_some() {}
    let stats = reader.stats();
    assert_eq!(stats.frames, 3);
    assert_eq!(stats.records_over_snap_length, 2);
    assert_eq!(stats.skipped_records, 0);
}

#[test]
fn cut_record_over_snap_length_not_counted() {
    let records: &[(u32, u32, &[u8])] = &[(1, 0, b"fiver"), (2, 0, b"sixsix")];
    let mut file = with_snap_length(classic(false, false, 1, records), 4);
    // The last record loses half of its data.
    file.truncate(file.len() - 3);
    let mut reader = CaptureReader::new(file.as_slice()).expect("header");
    let mut damaged = 0;
    loop {
        match reader.next_frame() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => damaged += 1,
        }
    }
    assert_eq!(damaged, 1);
    assert_eq!(reader.stats().frames, 1);
    assert_eq!(reader.stats().records_over_snap_length, 1);
}

#[test]
fn classic_snap_length_zero_is_no_limit() {
    let file = with_snap_length(classic(false, false, 1, &[(1, 0, b"payload")]), 0);
    let mut reader = CaptureReader::new(file.as_slice()).expect("header");
    while reader.next_frame().expect("valid records").is_some() {}
    assert_eq!(reader.stats().frames, 1);
    assert_eq!(reader.stats().records_over_snap_length, 0);
}

#[test]
fn classic_unsupported_version() {
    let mut file = classic(false, false, 1, &[]);
    file[4] = 3;
    let error = CaptureReader::new(file.as_slice()).expect_err("version 3");
    assert_eq!(
        error.to_string(),
        "unsupported pcap version 3.4, expected 2.x"
    );
}

#[test]
fn unknown_magic_is_named() {
    let error = CaptureReader::new(&b"GET / HTTP/1.1\r\n"[..]).expect_err("not a capture");
    assert_eq!(
        error.to_string(),
        "not a pcap or pcapng file: magic bytes 47 45 54 20"
    );
}

#[test]
fn empty_and_short_files() {
    let error = CaptureReader::new(&b""[..]).expect_err("empty");
    assert!(matches!(error, PcapError::Empty));
    let error = CaptureReader::new(&[0xd4, 0xc3][..]).expect_err("2 bytes");
    assert_eq!(
        error.to_string(),
        "file truncated: magic number at offset 0 needs 4 bytes, 2 present"
    );
    let file = classic(false, false, 1, &[]);
    let error = CaptureReader::new(&file[..10]).expect_err("short header");
    assert_eq!(
        error.to_string(),
        "file truncated: pcap global header at offset 0 needs 24 bytes, 10 present"
    );
}

// ---- pcapng builders

struct Ng {
    big_endian: bool,
    bytes: Vec<u8>,
}

impl Ng {
    fn new(big_endian: bool) -> Self {
        let mut ng = Ng {
            big_endian,
            bytes: Vec::new(),
        };
        ng.section(big_endian);
        ng
    }

    fn u16b(&self, value: u16) -> [u8; 2] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn u32b(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let mut padded = body.to_vec();
        padded.resize(body.len().div_ceil(4) * 4, 0);
        let length = padded.len() as u32 + 12;
        let (type_bytes, length_bytes) = (self.u32b(block_type), self.u32b(length));
        self.bytes.extend_from_slice(&type_bytes);
        self.bytes.extend_from_slice(&length_bytes);
        self.bytes.extend_from_slice(&padded);
        self.bytes.extend_from_slice(&length_bytes);
        self
    }

    fn section(&mut self, big_endian: bool) -> &mut Self {
        self.big_endian = big_endian;
        let mut body = self.u32b(0x1a2b_3c4d).to_vec();
        body.extend_from_slice(&self.u16b(1));
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &body)
    }

    /// Appends an interface description block with optional if_tsresol and if_tsoffset.
    fn interface(
        &mut self,
        link_type: u16,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Self {
        let mut body = self.u16b(link_type).to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&self.u32b(0));
        if let Some(value) = tsresol {
            body.extend_from_slice(&self.u16b(9));
            body.extend_from_slice(&self.u16b(1));
            body.extend_from_slice(&[value, 0, 0, 0]);
        }
        if let Some(seconds) = tsoffset {
            body.extend_from_slice(&self.u16b(14));
            body.extend_from_slice(&self.u16b(8));
            let raw = if self.big_endian {
                seconds.to_be_bytes()
            } else {
                seconds.to_le_bytes()
            };
            body.extend_from_slice(&raw);
        }
        body.extend_from_slice(&[0, 0, 0, 0]);
        self.block(1, &body)
    }

    fn enhanced(&mut self, interface: u32, units: u64, data: &[u8]) -> &mut Self {
        let mut body = self.u32b(interface).to_vec();
        body.extend_from_slice(&self.u32b((units >> 32) as u32));
        body.extend_from_slice(&self.u32b(units as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32 + 10));
        body.extend_from_slice(data);
        self.block(6, &body)
    }

    fn simple(&mut self, data: &[u8]) -> &mut Self {
        let mut body = self.u32b(data.len() as u32).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    fn obsolete(&mut self, interface: u16, units: u64, data: &[u8]) -> &mut Self {
        let mut body = self.u16b(interface).to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&self.u32b((units >> 32) as u32));
        body.extend_from_slice(&self.u32b(units as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(data);
        self.block(2, &body)
    }
}

#[test]
fn pcapng_interfaces_and_resolutions() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None)
        .interface(101, Some(9), None)
        .interface(228, Some(0x80 | 10), Some(1000))
        .enhanced(0, 5_000_001, b"eth")
        .block(0x0000_0bad, b"unknown block type")
        .block(5, &[0; 20])
        .enhanced(1, 7_000_000_123, b"raw")
        .enhanced(2, 3584, b"ipv4");
    let reader = CaptureReader::new(ng.bytes.as_slice()).expect("header");
    assert_eq!(reader.format(), CaptureFormat::PcapNg);
    let (frames, errors) = collect(&ng.bytes);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].0, Timestamp::from_parts(5, 1000));
    assert_eq!(frames[0].1, LinkType::ETHERNET);
    assert_eq!(frames[0].2, b"eth");
    assert_eq!(frames[0].3, 13);
    assert_eq!(frames[1].0, Timestamp::from_parts(7, 123));
    assert_eq!(frames[1].1, LinkType::RAW);
    assert_eq!(frames[1].4, 1);
    assert_eq!(frames[2].0, Timestamp::from_parts(1003, 500_000_000));
    assert_eq!(frames[2].1, LinkType::IPV4);
    assert_eq!(frames[2].4, 2);
}

#[test]
fn pcapng_interface_table_capped() {
    let mut ng = Ng::new(false);
    for _ in 0..dnstel_pcap::MAX_INTERFACES {
        ng.interface(1, None, None);
    }
    ng.enhanced(0, 0, b"a");
    let (frames, errors) = collect(&ng.bytes);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames.len(), 1);
    ng.interface(1, None, None).enhanced(0, 0, b"b");
    let (frames, errors) = collect(&ng.bytes);
    assert_eq!(frames.len(), 1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("65536 interfaces"), "{}", errors[0]);
}

#[test]
fn pcapng_skipped_blocks_counted() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None)
        .block(0x0000_0bad, b"x")
        .block(4, &[0; 8])
        .enhanced(0, 0, b"a");
    let mut reader = CaptureReader::new(ng.bytes.as_slice()).expect("header");
    while reader.next_frame().expect("reads").is_some() {}
    let stats = reader.stats();
    assert_eq!(stats.frames, 1);
    assert_eq!(stats.skipped_blocks, 2);
    assert!(!stats.stopped_by_error);
}

#[test]
fn pcapng_sections_in_both_byte_orders() {
    let mut ng = Ng::new(true);
    ng.interface(1, None, None).enhanced(0, 1_000_000, b"big");
    ng.section(false)
        .interface(113, None, None)
        .enhanced(0, 2_000_000, b"little");
    ng.section(true)
        .interface(276, None, None)
        .enhanced(0, 3_000_000, b"big again");
    let (frames, errors) = collect(&ng.bytes);
    assert!(errors.is_empty(), "{errors:?}");
    let summary: Vec<(LinkType, &[u8])> = frames
        .iter()
        .map(|frame| (frame.1, frame.2.as_slice()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (LinkType::ETHERNET, &b"big"[..]),
            (LinkType::LINUX_SLL, &b"little"[..]),
            (LinkType::LINUX_SLL2, &b"big again"[..]),
        ]
    );
    assert_eq!(frames[2].0, Timestamp::from_parts(3, 0));
}

#[test]
fn pcapng_simple_and_obsolete_blocks() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None)
        .enhanced(0, 9_000_000, b"first")
        .simple(b"simple")
        .obsolete(0, 10_000_000, b"old");
    let (frames, errors) = collect(&ng.bytes);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[1].2, b"simple");
    assert_eq!(frames[1].3, 6);
    // A simple packet block has no timestamp: it takes the previous packet's.
    assert_eq!(frames[1].0, Timestamp::from_parts(9, 0));
    assert_eq!(frames[2].2, b"old");
    assert_eq!(frames[2].0, Timestamp::from_parts(10, 0));
}

#[test]
fn pcapng_unknown_interface_is_recoverable() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None)
        .enhanced(3, 0, b"lost")
        .enhanced(0, 0, b"kept");
    let (frames, errors) = collect(&ng.bytes);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].2, b"kept");
    assert_eq!(
        errors,
        vec!["pcapng enhanced packet block at offset 52 names interface 3, but the section has 1"]
    );
}

#[test]
fn pcapng_captured_length_past_block() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None).enhanced(0, 0, b"data");
    // Raise the captured length field of the enhanced packet block (offset 52 + 8 + 12).
    ng.bytes[72] = 200;
    ng.enhanced(0, 0, b"next");
    let (frames, errors) = collect(&ng.bytes);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        errors,
        vec!["pcapng enhanced packet block at offset 52 needs 220 body bytes, block has 24"]
    );
}

#[test]
fn pcapng_block_length_too_small() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None);
    let offset = ng.bytes.len();
    ng.bytes.extend_from_slice(&6u32.to_le_bytes());
    ng.bytes.extend_from_slice(&7u32.to_le_bytes());
    ng.bytes.extend_from_slice(&[0; 8]);
    let (_, errors) = collect(&ng.bytes);
    assert_eq!(
        errors,
        vec![format!(
            "pcapng block at offset {offset} has length 7, less than 12"
        )]
    );
}

#[test]
fn pcapng_block_length_unaligned_and_huge() {
    for (length, problem) in [
        (30u32, "not a multiple of 4"),
        (0x4000_0000, "more than the 16777216 supported"),
    ] {
        let mut ng = Ng::new(false);
        ng.bytes.extend_from_slice(&6u32.to_le_bytes());
        ng.bytes.extend_from_slice(&length.to_le_bytes());
        let (_, errors) = collect(&ng.bytes);
        assert_eq!(
            errors,
            vec![format!(
                "pcapng block at offset 28 has length {length}, {problem}"
            )]
        );
    }
}

#[test]
fn pcapng_trailer_mismatch() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None);
    let last = ng.bytes.len() - 4;
    ng.bytes[last] = 99;
    let (_, errors) = collect(&ng.bytes);
    assert_eq!(
        errors,
        vec!["pcapng block at offset 28 has length 24 but trailing length 99"]
    );
}

#[test]
fn pcapng_truncated_block() {
    let mut ng = Ng::new(false);
    ng.interface(1, None, None)
        .enhanced(0, 0, b"whole")
        .enhanced(0, 0, b"cut off");
    let cut = &ng.bytes[..ng.bytes.len() - 6];
    let (frames, errors) = collect(cut);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        errors,
        vec!["file truncated: pcapng block at offset 92 needs 40 bytes, 34 present"]
    );
}

#[test]
fn pcapng_bad_byte_order_magic() {
    let mut ng = Ng::new(false);
    ng.bytes[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let error = CaptureReader::new(ng.bytes.as_slice()).expect_err("bad magic");
    assert_eq!(
        error.to_string(),
        "pcapng section header at offset 0 has invalid byte-order magic 01 02 03 04"
    );
}

#[test]
fn pcapng_invalid_tsresol() {
    let mut ng = Ng::new(false);
    ng.interface(1, Some(0x7f), None);
    let (_, errors) = collect(&ng.bytes);
    assert_eq!(
        errors,
        vec!["pcapng interface description at offset 28 has invalid if_tsresol 0x7f"]
    );
}

#[test]
fn multi_reader_keeps_files_apart() {
    let dir = std::env::temp_dir().join(format!("dnstel-pcap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let first = dir.join("first.pcap");
    let second = dir.join("second.pcapng");
    let broken = dir.join("broken.pcap");
    std::fs::write(&first, classic(false, false, 1, &[(1, 0, b"one")])).expect("write");
    let mut ng = Ng::new(false);
    ng.interface(101, None, None).enhanced(0, 2_000_000, b"two");
    std::fs::write(&second, &ng.bytes).expect("write");
    std::fs::write(&broken, b"nonsense").expect("write");

    let mut reader = MultiReader::new([&first, &broken, &second]);
    let frame = reader.next_frame().expect("first").expect("frame");
    assert_eq!(frame.link_type, LinkType::ETHERNET);
    assert_eq!(frame.data, b"one");
    let error = reader.next_frame().expect_err("broken file");
    assert_eq!(error.path, broken);
    assert!(error
        .to_string()
        .ends_with("broken.pcap: not a pcap or pcapng file: magic bytes 6e 6f 6e 73"));
    let frame = reader.next_frame().expect("second").expect("frame");
    assert_eq!(frame.link_type, LinkType::RAW);
    assert_eq!(frame.data, b"two");
    assert_eq!(reader.current_path(), Some(second.as_path()));
    assert!(reader.next_frame().expect("done").is_none());
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn multi_reader_sums_file_counters() {
    let dir = std::env::temp_dir().join(format!("dnstel-pcap-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let paths = [dir.join("first.pcap"), dir.join("second.pcap")];
    for path in &paths {
        let records: &[(u32, u32, &[u8])] = &[(1, 0, b"long record"), (2, 0, b"ok")];
        let file = with_snap_length(classic(false, false, 1, records), 4);
        std::fs::write(path, file).expect("write");
    }

    let mut reader = MultiReader::new(&paths);
    let mut frames = 0;
    while reader.next_frame().expect("valid files").is_some() {
        frames += 1;
    }
    let stats = reader.stats();
    assert_eq!(frames, 4);
    assert_eq!(stats.frames, 4);
    assert_eq!(stats.records_over_snap_length, 2);
    assert!(!stats.stopped_by_error);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn open_missing_file() {
    let error = dnstel_pcap::open("/nonexistent/capture.pcap").expect_err("missing");
    assert!(error
        .to_string()
        .starts_with("/nonexistent/capture.pcap: open failed:"));
}
