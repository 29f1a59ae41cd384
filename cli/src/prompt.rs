//! The confirmation prompt before anything is signed (cargo-contract's convention): after a
//! successful dry-run, state-changing commands ask "submit? [y/N]" on stderr and read the
//! answer from stdin. Only when stdin is a terminal: scripts, pipes and CI (stdin not a
//! TTY) are never prompted, so they keep working unattended. `--yes` skips the question;
//! `--dry-run` never gets that far. Anything but "y"/"yes" cancels (exit code 5).

use std::io::{BufRead, IsTerminal, Write};

use escrow_client::{ClientError, Result};

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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
