//! Condition documents on disk: a directory of them, indexed by hash.
//!
//! A milestone's terms hash is the hash of its condition document ([`super::condition`]);
//! the chain holds only the hash. Whoever needs the condition itself — `deal show` naming
//! it, the party who received the document off-chain, the oracle service checking it —
//! finds it here by that hash. [`save`] writes a document's canonical bytes to
//! `0x<hash>.json`, so the file's own BLAKE2b-256 is the terms hash; [`load_dir`] reads a
//! directory of documents and indexes them by the hash of their content (never by their
//! file name, so a renamed or reformatted copy is still found, under its true hash).
//!
//! Documents are not secret (both parties and the oracles hold them), so the directory is
//! an ordinary one, not a private one like the keystore's.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
};

use super::condition::{Document, MAX_DOCUMENT_BYTES};

/// The store of the CLI's state directory `home`: `$ESCROW_HOME/conditions`.
pub fn default_dir(home: &Path) -> PathBuf {
    home.join("conditions")
}

/// The file name a document is saved under: `0x<hex hash>.json`.
pub fn file_name(hash: &[u8; 32]) -> String {
    format!("0x{}.json", hex::encode(hash))
}

/// Saves `doc`'s canonical bytes to `dir/0x<hash>.json`, creating `dir` (and its parents)
/// if needed; returns the file's path. Saving a document already there rewrites the same
/// bytes. The file is written under a temporary name and renamed, so a reader never sees
/// half a document.
pub fn save(dir: &Path, doc: &Document) -> Result<PathBuf, String> {
    fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    let name = file_name(&doc.hash);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, &doc.canonical)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })?;
    Ok(path)
}

/// What [`load_dir`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The documents, by hash, with the file each was read from (the first file in name
    /// order when several hold the same document).
    pub by_hash: HashMap<[u8; 32], (PathBuf, Document)>,
    /// The `.json` files that are not condition documents, each with why.
    pub refused: Vec<(PathBuf, String)>,
}

/// Reads every `*.json` file directly in `dir` (not in subdirectories), in name order. A
/// file that is not a valid condition document goes to [`Loaded::refused`] with the
/// parse error; the others are indexed by the hash of their content. A missing `dir`
/// holds nothing; a `dir` that cannot be listed is an error naming it.
pub fn load_dir(dir: &Path) -> Result<Loaded, String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(format!("cannot read the directory {}: {e}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    let mut loaded = Loaded::default();
    for path in files {
        match read_document(&path) {
            Ok(doc) => {
                loaded.by_hash.entry(doc.hash).or_insert((path, doc));
            }
            Err(why) => loaded.refused.push((path, why)),
        }
    }
    Ok(loaded)
}

/// One file of [`load_dir`]: the document, or why it is not one (without the file's
/// name, which [`Loaded::refused`] pairs with it). A file larger than a document may be is
/// refused without being read whole.
fn read_document(path: &Path) -> Result<Document, String> {
    let len = fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if len > MAX_DOCUMENT_BYTES as u64 {
        return Err(format!(
            "the document is {len} bytes, at most {MAX_DOCUMENT_BYTES}"
        ));
    }
    let bytes = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    Document::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOAD: &str = r#"{
        "format": "milestone-escrow/condition/v1",
        "transportDocumentReference": "MUN-HAM-0042",
        "events": [{"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD",
                    "location": "INMUN"}]
    }"#;

    const ARRI: &str = r#"{"format":"milestone-escrow/condition/v1",
        "transportDocumentReference":"MUN-HAM-0042",
        "events":[{"eventType":"TRANSPORT","transportEventTypeCode":"ARRI","location":"DEHAM"}]}"#;

    fn doc(text: &str) -> Document {
        Document::parse(text.as_bytes()).expect("a valid condition document")
    }

    #[test]
    fn default_dir_is_conditions_under_the_state_directory() {
        assert_eq!(
            default_dir(Path::new("/x/escrow")),
            PathBuf::from("/x/escrow/conditions")
        );
    }

    #[test]
    fn save_writes_the_canonical_bytes_named_by_hash_and_load_dir_finds_them() {
        let tmp = tempfile::tempdir().unwrap();
        // Created with its parents.
        let dir = tmp.path().join("home/conditions");
        let (load, arri) = (doc(LOAD), doc(ARRI));
        let p1 = save(&dir, &load).unwrap();
        let p2 = save(&dir, &arri).unwrap();
        assert_eq!(p1, dir.join(format!("0x{}.json", hex::encode(load.hash))));
        assert_eq!(fs::read(&p1).unwrap(), load.canonical);
        // The file's own hash is the terms hash.
        assert_eq!(crate::units::blake2_256(&fs::read(&p2).unwrap()), arri.hash);
        // Saving again is harmless, and leaves no temporary file.
        assert_eq!(save(&dir, &load).unwrap(), p1);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);

        let loaded = load_dir(&dir).unwrap();
        assert!(loaded.refused.is_empty(), "{:?}", loaded.refused);
        assert_eq!(loaded.by_hash.len(), 2);
        let (path, got) = &loaded.by_hash[&load.hash];
        assert_eq!(path, &p1);
        assert_eq!(got.canonical, load.canonical);
        assert_eq!(got.condition.summary(), load.condition.summary());
        assert_eq!(loaded.by_hash[&arri.hash].0, p2);
    }

    #[test]
    fn load_dir_indexes_by_content_not_by_file_name() {
        let tmp = tempfile::tempdir().unwrap();
        let load = doc(LOAD);
        // A hand-named, reformatted copy: found under the document's hash.
        fs::write(tmp.path().join("shipment.json"), LOAD).unwrap();
        // And a file misnamed with another hash.
        let wrong = tmp.path().join(file_name(&[7; 32]));
        fs::write(&wrong, ARRI).unwrap();
        let loaded = load_dir(tmp.path()).unwrap();
        assert_eq!(
            loaded.by_hash[&load.hash].0,
            tmp.path().join("shipment.json")
        );
        assert!(!loaded.by_hash.contains_key(&[7; 32]));
        assert_eq!(loaded.by_hash[&doc(ARRI).hash].0, wrong);
    }

    #[test]
    fn load_dir_lists_a_file_that_is_not_a_document_with_its_error() {
        let tmp = tempfile::tempdir().unwrap();
        save(tmp.path(), &doc(LOAD)).unwrap();
        let bad = tmp.path().join("bad.json");
        let bad_text = LOAD.replace("\"LOAD\"", "\"LOAF\"");
        fs::write(&bad, &bad_text).unwrap();
        let big = tmp.path().join("big.json");
        let big_bytes = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        fs::write(&big, &big_bytes).unwrap();
        // Not *.json, and a subdirectory: neither is read.
        fs::write(tmp.path().join("notes.txt"), "not a document").unwrap();
        fs::create_dir(tmp.path().join("sub.json")).unwrap();
        save(&tmp.path().join("sub.json"), &doc(ARRI)).unwrap();

        let loaded = load_dir(tmp.path()).unwrap();
        assert_eq!(loaded.by_hash.len(), 1);
        assert!(loaded.by_hash.contains_key(&doc(LOAD).hash));
        let parse_error = Document::parse(bad_text.as_bytes()).unwrap_err();
        assert_eq!(
            loaded.refused,
            vec![
                (bad, parse_error),
                // Refused as a document that large is.
                (big, Document::parse(&big_bytes).unwrap_err()),
            ]
        );
    }

    #[test]
    fn load_dir_of_a_missing_directory_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let loaded = load_dir(&tmp.path().join("never-created")).unwrap();
        assert!(loaded.by_hash.is_empty());
        assert!(loaded.refused.is_empty());
    }

    #[test]
    fn load_dir_of_a_file_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain");
        fs::write(&file, "x").unwrap();
        let e = load_dir(&file).unwrap_err();
        assert!(
            e.starts_with(&format!("cannot read the directory {}: ", file.display())),
            "{e}"
        );
    }
}
