//! The collector table: one row per collector, named as upstream names it.
//! The name is the file, the `--collector.<name>` flag and the
//! `collector="<name>"` label.

use exporter_kit::Registration;

use crate::args::Args;

pub const COLLECTORS: &[Registration<Args>] = &[];
