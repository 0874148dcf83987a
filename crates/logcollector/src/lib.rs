//! Reading JSON event files the way the Wazuh logcollector does with `log_format` json.
//!
//! Files (paths or glob patterns) are followed as they grow. A file renamed away (rotation) is
//! read to its end before it is dropped, and a file truncated in place is read again from its
//! start. Read positions persist so that a restart neither loses nor repeats a line. Each line
//! becomes the compact JSON text that a Wazuh agent would send to the manager.

mod cjson;
mod collector;
mod follower;
mod line;
mod positions;

pub use collector::{
    is_empty_line, CollectedLine, Collector, CollectorOptions, CollectorStats, LocalFile,
};
pub use line::{
    encode_line, encode_text, prepare_line, prepare_line_in, LineText, SkipReason, MAX_LINE_BYTES,
};
