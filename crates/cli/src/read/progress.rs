//! The progress bar of `dnstel read`, shown only when standard error is a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Frames between two updates of the bar, so drawing costs nothing per packet.
const UPDATE_EVERY_FRAMES: u64 = 16_384;

/// A byte-based progress bar over all input files.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Sizes of the files before the current one, summed.
    done_bytes: u64,
    current_file: Option<PathBuf>,
    current_size: u64,
    frames: u64,
}

impl Progress {
    /// Creates the bar when standard error is a terminal; otherwise every call is a no-op.
    pub fn new(files: &[PathBuf]) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let total = files
                .iter()
                .filter_map(|file| std::fs::metadata(file).ok())
                .map(|metadata| metadata.len())
                .sum();
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            done_bytes: 0,
            current_file: None,
            current_size: 0,
            frames: 0,
        }
    }

    /// Counts one frame read at `offset` of `file`; redraws every [`UPDATE_EVERY_FRAMES`].
    pub fn frame(&mut self, file: Option<&std::path::Path>, offset: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        self.frames += 1;
        if self.frames % UPDATE_EVERY_FRAMES != 0 {
            return;
        }
        if file != self.current_file.as_deref() {
            self.done_bytes += self.current_size;
            self.current_file = file.map(PathBuf::from);
            self.current_size = file
                .and_then(|path| std::fs::metadata(path).ok())
                .map_or(0, |metadata| metadata.len());
        }
        bar.set_position(self.done_bytes + offset);
        bar.set_message(format!("{} frames", self.frames));
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
