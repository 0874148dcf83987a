//! Entry point shared by the fuzz target and the test that replays its corpus.

use crate::CaptureReader;

/// The maximum number of calls to `next_frame` per input, which bounds the work on inputs made
/// of many recoverable errors.
const MAX_CALLS: usize = 100_000;

/// Reads `data` as a capture file until the end or an error that ends it, decoding every frame.
pub fn read_capture(data: &[u8]) {
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    for _ in 0..MAX_CALLS {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                assert!(frame.data.len() <= data.len());
                let _ = dnstel_packet::decode(&frame);
            }
            Ok(None) => break,
            Err(error) => {
                let _ = error.to_string();
                if !error.is_recoverable() {
                    assert!(matches!(reader.next_frame(), Ok(None)));
                    break;
                }
            }
        }
    }
    assert!(reader.offset() <= data.len() as u64);
}
