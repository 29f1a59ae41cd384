//! The confirmation prompt before anything is signed (cargo-contract's convention): after a
//! successful dry-run, state-changing commands ask "submit? [y/N]" on stderr and read the
//! answer from stdin. Only when stdin is a terminal: scripts, pipes and CI (stdin not a
//! TTY) are never prompted, so they keep working unattended. `--yes` skips the question;
//! `--dry-run` never gets that far. Anything but "y"/"yes" cancels (exit code 5).
//!
//! Secrets are read here too, never from the command line: `--suri -` takes one line from
//! stdin (asked without echo when stdin is a terminal), `--suri-file` the first line of a
//! file. Both come back in buffers that are wiped when dropped.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::Path,
};

use escrow_client::{ClientError, Result};
use zeroize::Zeroizing;

use crate::Global;

/// Whether an answer means yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether to ask at all.
pub fn should_ask(g: &Global, stdin_is_terminal: bool) -> bool {
    stdin_is_terminal && !g.yes && !g.dry_run
}

/// Asks to confirm `what` when stdin is a terminal and --yes was not given.
pub fn confirm(g: &Global, what: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !should_ask(g, stdin.is_terminal()) {
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{what}\nsubmit? [y/N] ");
    let _ = err.flush();
    drop(err);
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ClientError::input(format!("cannot read the answer: {e}")))?;
    if is_yes(&answer) {
        Ok(())
    } else {
        Err(ClientError::Cancelled)
    }
}

/// A secret from stdin: asked without echo when stdin is a terminal, else its first line
/// (without the line ending).
pub fn read_secret_line(prompt: &str) -> Result<Zeroizing<String>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| format!("cannot read it from the terminal: {e}"));
    }
    // Room enough that reading does not reallocate (and leave a copy behind).
    let mut line = Zeroizing::new(String::with_capacity(4096));
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(first_line(&line))
}

/// The first line of `path`, without its line ending. Warns on stderr (unless `quiet`)
/// when other users may read the file.
pub fn read_secret_file(path: &Path, quiet: bool) -> Result<Zeroizing<String>, String> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?);
    #[cfg(unix)]
    if !quiet {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: other users may read {} (mode {mode:o}); restrict it with \
                     `chmod 600 {}`",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = quiet;
    let text = std::str::from_utf8(&bytes).map_err(|_| "not UTF-8 text".to_string())?;
    Ok(first_line(text))
}

fn first_line(text: &str) -> Zeroizing<String> {
    Zeroizing::new(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    fn ctx(args: &[&str]) -> crate::Ctx {
        let mut v = vec!["escrow"];
        v.extend_from_slice(args);
        v.push("withdraw");
        crate::Ctx::new(crate::Cli::try_parse_from(v).unwrap().global)
    }

    #[test]
    fn a_suri_file_gives_the_signer_from_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [
            ("lf", "//Alice\nsecond line\n"),
            ("crlf", "//Alice\r\n"),
            ("no-newline", "//Alice"),
            (
                "phrase",
                "bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice\n",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let p = path.to_str().unwrap();
            assert_eq!(read_secret_file(&path, true).unwrap().lines().count(), 1);
            let signer = ctx(&["-q", "--suri-file", p]).signer().unwrap();
            assert_eq!(
                escrow_client::keystore::address_of(&signer).to_string(),
                ALICE,
                "{name}"
            );
        }
    }

    #[test]
    fn a_bad_suri_file_is_named_and_its_secret_never_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "bottom drive obey lake curtain smoke basket hold race lonely fit wakl";
        let path = dir.path().join("key");
        std::fs::write(&path, format!("{secret}\n")).unwrap();
        let p = path.to_str().unwrap();
        let e = ctx(&["-q", "--suri-file", p]).signer().unwrap_err();
        assert_eq!(e.exit_code(), escrow_client::error::exit::BAD_INPUT);
        assert_eq!(
            e.to_string(),
            format!(
                "bad input: --suri-file {p}: invalid secret URI: not a valid mnemonic (mnemonic \
                 contains an unknown word (word 11))"
            )
        );
        for word in secret.split(' ') {
            assert!(
                !e.to_string().contains(&format!(" {word} ")),
                "{e} repeats {word}"
            );
        }
        std::fs::write(&path, "\n//Alice\n").unwrap();
        assert_eq!(
            ctx(&["-q", "--suri-file", p])
                .signer()
                .unwrap_err()
                .to_string(),
            format!("bad input: --suri-file {p}: empty secret URI")
        );
        std::fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
        assert_eq!(
            ctx(&["-q", "--suri-file", p])
                .signer()
                .unwrap_err()
                .to_string(),
            format!("bad input: --suri-file {p}: not UTF-8 text")
        );
        let missing = dir.path().join("missing");
        let m = missing.to_str().unwrap();
        assert_eq!(
            ctx(&["--suri-file", m]).signer().unwrap_err().to_string(),
            format!(
                "bad input: --suri-file {m}: cannot read it: No such file or directory (os error 2)"
            )
        );
        // A bad --suri on the command line is not repeated either.
        let e = ctx(&["--suri", secret]).signer().unwrap_err().to_string();
        assert_eq!(
            e,
            "bad input: --suri: invalid secret URI: not a valid mnemonic (mnemonic contains an \
             unknown word (word 11))"
        );
    }

    /// The signer is read once per run: `--suri -` consumes stdin, and a command that asks
    /// for the signer's address and then signs must not read it twice.
    #[test]
    fn the_signer_is_read_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "//Alice\n").unwrap();
        let c = ctx(&["-q", "--suri-file", path.to_str().unwrap()]);
        assert_eq!(c.signer_address().unwrap().to_string(), ALICE);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            escrow_client::keystore::address_of(&c.signer().unwrap()).to_string(),
            ALICE
        );
    }

    #[test]
    fn answers_and_when_to_ask() {
        for y in ["y", "Y\n", " yes ", "YES\r\n"] {
            assert!(is_yes(y), "{y:?}");
        }
        for n in ["", "\n", "n", "no", "yep", "sure"] {
            assert!(!is_yes(n), "{n:?}");
        }
        let g = |args: &[&str]| {
            let mut v = vec!["escrow"];
            v.extend_from_slice(args);
            v.push("withdraw");
            crate::Cli::try_parse_from(v).unwrap().global
        };
        assert!(should_ask(&g(&[]), true));
        assert!(!should_ask(&g(&[]), false), "never without a terminal");
        assert!(!should_ask(&g(&["--yes"]), true));
        assert!(!should_ask(&g(&["-y"]), true));
        assert!(!should_ask(&g(&["--dry-run"]), true));
    }
}
