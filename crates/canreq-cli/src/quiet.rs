//! `request -s`: whether progress bars stay off, for the whole run.

use std::sync::atomic::{AtomicBool, Ordering};

static SILENT: AtomicBool = AtomicBool::new(false);

/// Turns progress output off (or on) for the rest of the run.
pub fn set_silent(silent: bool) {
    SILENT.store(silent, Ordering::Relaxed);
}

/// Whether progress output is off.
pub fn silent() -> bool {
    SILENT.load(Ordering::Relaxed)
}
