//! Live packet capture on Linux for the dnstel sensor.
//!
//! [`LiveCapture`] opens an AF_PACKET socket with a memory-mapped TPACKET_V3 receive ring on
//! one interface or on `any`, attaches a classic BPF program generated from the DNS ports and
//! the optional `bpf_filter` (see [`filter`] for the supported syntax), and returns
//! [`dnstel_packet::Frame`]s. [`drop_privileges`] switches to an unprivileged user once the
//! socket is open.
//!
//! A typical loop, with `stop` set from a signal-handling thread:
//!
//! ```no_run
//! # use std::sync::atomic::{AtomicBool, Ordering};
//! # use std::sync::Arc;
//! # use std::time::Duration;
//! # fn example(stop: Arc<AtomicBool>) -> Result<(), dnstel_capture::CaptureError> {
//! let config = dnstel_capture::CaptureConfig::default();
//! let mut capture = dnstel_capture::LiveCapture::open(&config)?;
//! dnstel_capture::drop_privileges("nobody", None)?;
//! capture.set_stop_flag(stop.clone());
//! while !stop.load(Ordering::Relaxed) {
//!     match capture.next_frame(Duration::from_secs(1))? {
//!         Some(frame) => { /* decode frame */ }
//!         None => { /* idle tick: expire transactions */ }
//!     }
//! }
//! let stats = capture.stats();
//! # Ok(()) }
//! ```

pub mod bpf;
pub mod config;
mod error;
pub mod filter;
mod frame_builder;
#[doc(hidden)]
pub mod fuzzing;
mod live;
mod privileges;
mod sys;

pub use config::{CaptureConfig, Fanout};
pub use error::{CaptureError, Result};
pub use live::{CaptureStats, LiveCapture, MAX_POLL_SLICE};
pub use privileges::drop_privileges;
