//! Unit-test helpers: rows as the server's text protocol gives them, and
//! the families a scraper wrote as one line per sample, so that a test
//! states by hand which metrics some rows must become.

use std::sync::Arc;

use exporter_kit::Emitter;
use exporter_kit::family::Value as Sample;
use mysql_async::{Row, Value};
use mysql_common::constants::ColumnType;
use mysql_common::packets::Column;

/// Rows of `columns`, each cell text or NULL (`None`).
pub fn rows(columns: &[&str], cells: &[&[Option<&str>]]) -> Vec<Row> {
    let columns: Arc<[Column]> = columns
        .iter()
        .map(|name| Column::new(ColumnType::MYSQL_TYPE_VAR_STRING).with_name(name.as_bytes()))
        .collect();
    cells
        .iter()
        .map(|row| {
            assert_eq!(row.len(), columns.len(), "cells of a row");
            let values = row
                .iter()
                .map(|cell| cell.map_or(Value::NULL, |s| Value::Bytes(s.as_bytes().to_vec())))
                .collect();
            mysql_common::row::new_row(values, columns.clone())
        })
        .collect()
}

/// Rows of `columns` where no cell is NULL.
pub fn text_rows(columns: &[&str], cells: &[&[&str]]) -> Vec<Row> {
    let cells: Vec<Vec<Option<&str>>> = cells
        .iter()
        .map(|row| row.iter().map(|s| Some(*s)).collect())
        .collect();
    let refs: Vec<&[Option<&str>]> = cells.iter().map(Vec::as_slice).collect();
    rows(columns, &refs)
}

/// The samples a scraper's `emit` writes: `emitted(|out| scraper.emit(&rows, out))`.
pub fn emitted(emit: impl FnOnce(&mut Emitter)) -> Vec<String> {
    let mut out = Emitter::new();
    emit(&mut out);
    samples(out)
}

/// Every sample written to `out` as `TYPE name{label="value",...} value`
/// (all labels, empty ones too, by name), sorted.
pub fn samples(out: Emitter) -> Vec<String> {
    let mut lines = Vec::new();
    for family in out.into_families() {
        for metric in &family.metrics {
            let labels: Vec<String> = family
                .desc
                .sorted_label_names()
                .map(|(i, name)| {
                    format!(
                        "{name}=\"{}\"",
                        metric.label_values.get(i).unwrap_or_default()
                    )
                })
                .collect();
            let value = match &metric.value {
                Sample::Scalar(v) => v.to_string(),
                other => format!("{other:?}"),
            };
            lines.push(format!(
                "{} {}{{{}}} {value}",
                family.desc.kind().as_str(),
                family.name(),
                labels.join(",")
            ));
        }
    }
    lines.sort();
    lines
}

/// `expected` sorted, to compare with [`samples`].
pub fn sorted(expected: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    lines.sort();
    lines
}

/// The exporter's flags with `argv` after the program name.
pub fn args(argv: &[&str]) -> crate::Args {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: crate::Args,
    }
    let argv = std::iter::once("mysqld_exporter").chain(argv.iter().copied());
    match <Cli as clap::Parser>::try_parse_from(argv) {
        Ok(cli) => cli.args,
        Err(e) => panic!("flags: {e}"),
    }
}
