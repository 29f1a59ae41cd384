//! `escrow condition show | add FILE`: milestone condition documents, off chain.
//!
//! A milestone released on shipment data has the hash of a condition document as its
//! terms hash (`deal propose --milestone-condition INDEX=FILE`). The chain holds only that
//! hash, so the parties exchange the document itself off chain. `condition show` validates
//! a document and prints what it requires and its hash — the terms hash to compare with
//! `deal show` before accepting. `condition add` validates it and saves it into
//! `$ESCROW_HOME/conditions` (where `deal propose` saves the proposer's), so `deal show`
//! and `deal accept` name the milestones it is the condition of.
//!
//! The hash is BLAKE2b-256 of the document's canonical form (RFC 8785 JSON), so
//! reformatting the file or reordering its keys keeps it; any change of content changes it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use clap::{Args, Subcommand};
use escrow_client::{
    oracle::{condition::Document, store},
    units, ClientError, Result,
};
use serde_json::json;

use super::w;
use crate::Ctx;

/// `escrow condition …`.
#[derive(Debug, Subcommand)]
pub enum ConditionCommand {
    /// Validate a condition document; print what it requires, its hash (the terms hash of
    /// a milestone released on it) and its format.
    Show(FileArgs),
    /// Validate a condition document received off chain and save it into
    /// $ESCROW_HOME/conditions, so `deal show` and `deal accept` name the milestones it is
    /// the condition of; prints the saved file and the hash.
    Add(FileArgs),
}

/// A condition document.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The condition document (JSON, format milestone-escrow/condition/v1).
    pub file: PathBuf,
}

/// Dispatches `escrow condition …`.
pub async fn run(cmd: ConditionCommand, ctx: &mut Ctx, out: &mut impl Write) -> Result<()> {
    match cmd {
        ConditionCommand::Show(a) => show(a, ctx, out),
        ConditionCommand::Add(a) => add(a, ctx, out),
    }
}

/// Reads and validates a condition document; bad input naming the file otherwise.
pub fn read(file: &Path) -> Result<Document> {
    let bytes = std::fs::read(file)
        .map_err(|e| ClientError::input(format!("cannot read {}: {e}", file.display())))?;
    Document::parse(&bytes).map_err(|e| {
        ClientError::input(format!(
            "{} is not a valid condition document: {e}",
            file.display()
        ))
    })
}

/// `condition show FILE`.
fn show(a: FileArgs, ctx: &Ctx, out: &mut impl Write) -> Result<()> {
    let doc = read(&a.file)?;
    let c = &doc.condition;
    let hash = units::hex0x(&doc.hash);
    if ctx.global.json {
        let v = json!({
            "file": a.file.display().to_string(),
            "format": escrow_client::oracle::condition::FORMAT_V1,
            "hash": hash,
            "summary": c.summary(),
            "description": c.description,
            "not_before": c.not_before,
            "not_after": c.not_after,
            "canonical": String::from_utf8_lossy(&doc.canonical),
        });
        return w(out, v.to_string());
    }
    w(out, format!("condition    {}", c.summary()))?;
    if let Some(d) = &c.description {
        w(out, format!("description  {d}"))?;
    }
    w(
        out,
        format!("hash         {hash} (the terms hash of a milestone released on it)"),
    )?;
    w(
        out,
        format!(
            "format       {}",
            escrow_client::oracle::condition::FORMAT_V1
        ),
    )
}

/// `condition add FILE`.
fn add(a: FileArgs, ctx: &Ctx, out: &mut impl Write) -> Result<()> {
    let doc = read(&a.file)?;
    let path = store::save(&store::default_dir(&ctx.home), &doc).map_err(ClientError::input)?;
    let hash = units::hex0x(&doc.hash);
    if ctx.global.json {
        let v = json!({
            "file": path.display().to_string(),
            "hash": hash,
            "summary": doc.condition.summary(),
        });
        return w(out, v.to_string());
    }
    w(
        out,
        format!(
            "saved {} ({hash}: {})",
            path.display(),
            doc.condition.summary()
        ),
    )
}
