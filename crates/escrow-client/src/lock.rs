//! A per-account signing lock, so that two `escrow` processes signing with the same account
//! at the same time do not pick the same nonce.
//!
//! Why: the nonce comes from `system_accountNextIndex`, which counts the account's
//! transactions in the pool. Two processes that both read it before either has submitted
//! get the same nonce; the second submission is then refused by the pool (`1014 Priority
//! is too low`, or "outdated" once the first is in a block). So [`acquire`] takes an
//! advisory lock on `$ESCROW_HOME/locks/<SS58 address>.lock` before the nonce is read and
//! the submission holds it until the node has the transaction in its pool (or refused it);
//! the next process then reads a nonce that counts it. Waiting for the block is not needed
//! and happens outside the lock.
//!
//! The lock is `flock`-style (`std::fs::File::try_lock`): the OS releases it when the
//! process exits, however it exits, so a crash never leaves a stale lock. It only
//! serialises processes sharing the same `ESCROW_HOME` (other tools signing with the same
//! key are not covered). If the directory cannot be written, signing goes ahead without
//! the lock, with a warning.
//!
//! The directory is created 0700 (and restricted to 0700 if found wider), the lock files
//! 0600: another user who could create or hold our lock files could stall our signing.

use std::{
    fs::{File, OpenOptions, TryLockError},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use subxt::utils::AccountId32;

use crate::error::{ClientError, Result};

/// How often a waiting process retries.
const POLL: Duration = Duration::from_millis(10);

/// Where the lock files live.
pub fn dir(home: &Path) -> PathBuf {
    home.join("locks")
}

/// A held lock (released on drop).
#[derive(Debug)]
pub struct NonceLock {
    file: Option<File>,
}

impl NonceLock {
    /// Whether the lock is really held (false when it could not be taken and we go ahead).
    pub fn held(&self) -> bool {
        self.file.is_some()
    }
}

/// Takes the signing lock of `who` under `dir`, waiting at most `timeout` for another
/// process to release it.
pub async fn acquire(
    dir: &Path,
    who: &AccountId32,
    timeout: Duration,
    quiet: bool,
) -> Result<NonceLock> {
    let path = dir.join(format!("{who}.lock"));
    let unlocked = |e: &dyn std::fmt::Display| {
        eprintln!(
            "warning: cannot take the signing lock {} ({e}); concurrent escrow processes \
             signing as {who} may collide",
            path.display()
        );
        NonceLock { file: None }
    };
    if let Err(e) = crate::config::private_dir(dir) {
        return Ok(unlocked(&e));
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = match options.open(&path) {
        Ok(f) => f,
        Err(e) => return Ok(unlocked(&e)),
    };
    let started = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(NonceLock { file: Some(file) }),
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= timeout {
                    return Err(ClientError::Rejected(format!(
                        "another escrow process has held the signing lock for {who} ({}) \
                         for {timeout:?}; nothing was submitted",
                        path.display()
                    )));
                }
                if !told && !quiet {
                    eprintln!("waiting for another escrow process signing as {who}");
                    told = true;
                }
                tokio::time::sleep(POLL).await;
            }
            Err(TryLockError::Error(e)) => return Ok(unlocked(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_lock_serialises_holders_of_the_same_account() {
        let home = tempfile::tempdir().unwrap();
        let d = dir(home.path());
        let alice = AccountId32([1; 32]);
        let bob = AccountId32([2; 32]);
        let first = acquire(&d, &alice, Duration::from_secs(1), true)
            .await
            .unwrap();
        assert!(first.held());
        // Another holder of the same account waits, then gives up with nothing submitted.
        let e = acquire(&d, &alice, Duration::from_millis(50), true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("nothing was submitted"), "{e}");
        assert_eq!(e.exit_code(), crate::error::exit::REJECTED);
        // Another account is independent.
        assert!(acquire(&d, &bob, Duration::from_millis(50), true)
            .await
            .unwrap()
            .held());
        // A waiter gets the lock once the holder lets go.
        let release = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(first);
        };
        let (_, second) = tokio::join!(release, acquire(&d, &alice, Duration::from_secs(5), true));
        assert!(second.unwrap().held());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_lock_directory_is_0700_and_lock_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let home = tempfile::tempdir().unwrap();
        let d = dir(home.path());
        let who = AccountId32([1; 32]);
        let l = acquire(&d, &who, Duration::from_secs(1), true)
            .await
            .unwrap();
        assert!(l.held());
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join(format!("{who}.lock"))), 0o600);
        drop(l);
        // A lock directory found wider is restricted again.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let l = acquire(&d, &who, Duration::from_secs(1), true)
            .await
            .unwrap();
        assert!(l.held());
        assert_eq!(mode(&d), 0o700);
    }

    #[tokio::test]
    async fn an_unwritable_lock_directory_does_not_block_signing() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let l = acquire(
            &file.join("locks"),
            &AccountId32([1; 32]),
            Duration::from_millis(10),
            true,
        )
        .await
        .unwrap();
        assert!(!l.held());
    }
}
