//! Secrets without a chain (issue 14, item 10): signing without the secret on the command
//! line, `account new` keeping the mnemonic off pipes, the keystore's file modes and its
//! address check, and errors that never repeat a secret.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

use escrow_test_support::{accounts::ALICE, artifacts::escrow_binary, exit, Escrow, Run};

/// The development phrase with a derivation nobody else uses, misspelt in its last word.
const BAD_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit wakl//secret-path";

/// The same error for a bad phrase wherever it came from: what is wrong, never the words.
const BAD_PHRASE_ERROR: &str = "invalid secret URI: not a valid mnemonic (mnemonic contains an \
                                unknown word (word 11))";

fn assert_no_word_of(secret: &str, r: &Run) {
    for word in secret.split([' ', '/']).filter(|w| w.len() > 3) {
        assert!(
            !r.err.contains(word) && !r.out.contains(word),
            "the output repeats {word:?} of the secret: {r:#?}"
        );
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `escrow args…` with `input` on stdin, in `e`'s state directory.
fn run_with_stdin(e: &Escrow, args: &[&str], input: &str) -> Run {
    let mut cmd = Command::new(escrow_binary().unwrap_or_else(|e| panic!("{e}")));
    cmd.args(args)
        .env("ESCROW_HOME", e.home.path())
        .env("ESCROW_URL", &e.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "ESCROW_CONTRACT",
        "ESCROW_SURI",
        "ESCROW_ACCOUNT",
        "ESCROW_PASSWORD",
        "ESCROW_CODE_HASH",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn().expect("run escrow");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    Run::from_output(args, child.wait_with_output().expect("wait for escrow"))
}

/// A signing command that gets as far as connecting once it has a signer: with no node,
/// exit 3 shows the signer was read and accepted.
fn withdraw_with(signer: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = signer.iter().map(|s| s.to_string()).collect();
    v.extend(["--contract", ALICE, "withdraw"].map(String::from));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn suri_file_signs_without_the_secret_on_the_command_line() {
    let e = Escrow::offline();
    let key = e.file("alice.key", "//Alice\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = e.run(&strs(&withdraw_with(&["--suri-file", &key])));
    r.fails(
        exit::UNREACHABLE,
        &["no node reachable", "nothing was submitted"],
    );
    assert!(!r.err.contains("warning"), "{r:#?}");
    // A key file other users may read is used, with a warning.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = e.run(&strs(&withdraw_with(&["--suri-file", &key])));
        r.fails(
            exit::UNREACHABLE,
            &[&format!(
                "warning: other users may read {key} (mode 644); restrict it with `chmod 600 \
                 {key}`"
            )],
        );
    }
    // A bad one is named by its path; its words are not repeated.
    let bad = e.file("bad.key", &format!("{BAD_PHRASE}\n"));
    let r = e.run(&strs(&withdraw_with(&["-q", "--suri-file", &bad])));
    r.fails(
        exit::BAD_INPUT,
        &[&format!("--suri-file {bad}: {BAD_PHRASE_ERROR}")],
    );
    assert_no_word_of(BAD_PHRASE, &r);
    let missing = e.home.path().join("missing.key");
    let missing = missing.to_str().unwrap();
    e.run(&strs(&withdraw_with(&["--suri-file", missing])))
        .fails(
            exit::BAD_INPUT,
            &[&format!("--suri-file {missing}: cannot read it")],
        );
    // One source of secret at a time.
    e.run(&strs(&withdraw_with(&[
        "--suri-file",
        &key,
        "--account",
        "x",
    ])))
    .fails(exit::BAD_INPUT, &["cannot be used with"]);
}

#[test]
fn suri_dash_reads_the_secret_from_stdin() {
    let e = Escrow::offline();
    let args = withdraw_with(&["--suri", "-"]);
    let r = run_with_stdin(&e, &strs(&args), "//Alice\n");
    r.fails(exit::UNREACHABLE, &["no node reachable"]);
    let r = run_with_stdin(&e, &strs(&args), &format!("{BAD_PHRASE}\n"));
    r.fails(
        exit::BAD_INPUT,
        &[&format!("--suri - (stdin): {BAD_PHRASE_ERROR}")],
    );
    assert_no_word_of(BAD_PHRASE, &r);
    // Nothing on stdin: refused, never the public development phrase.
    e.run(&strs(&args))
        .fails(exit::BAD_INPUT, &["--suri - (stdin): empty secret URI"]);
}

/// On a terminal `--suri -` asks for the secret (rpassword turns echo off).
#[test]
fn suri_dash_on_a_terminal_asks_for_the_secret() {
    let e = Escrow::offline();
    let (code, screen) = e.run_tty(&strs(&withdraw_with(&["--suri", "-"])), "//Alice\n");
    assert_eq!(code, exit::UNREACHABLE, "{screen}");
    assert!(screen.contains("secret URI (not echoed): "), "{screen}");
}

#[test]
fn a_bad_suri_on_the_command_line_is_not_repeated() {
    let e = Escrow::offline();
    let r = e.run(&strs(&withdraw_with(&["--suri", BAD_PHRASE])));
    r.fails(exit::BAD_INPUT, &[&format!("--suri: {BAD_PHRASE_ERROR}")]);
    assert_no_word_of(BAD_PHRASE, &r);
    let r = e.run(&strs(&withdraw_with(&["--suri", "0xs3cr3ts3cr3t"])));
    r.fails(
        exit::BAD_INPUT,
        &["--suri: invalid secret URI: the 0x seed is not 32 bytes of hex (64 digits)"],
    );
    assert!(!r.err.contains("s3cr3t"), "{r:#?}");
    // clap's conflict error names the options, not the values.
    let r = e.run(&strs(&withdraw_with(&[
        "--suri",
        BAD_PHRASE,
        "--account",
        "someone",
    ])));
    r.fails(exit::BAD_INPUT, &["cannot be used with"]);
    assert_no_word_of(BAD_PHRASE, &r);
}

#[test]
fn help_says_argv_is_visible_and_how_to_keep_the_secret_off_it() {
    let r = Escrow::offline().run(&["--help"]);
    let out = r.ok().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        out.contains(
            "A secret on the command line is visible to other users of the machine (ps, \
             /proc/PID/cmdline)"
        ),
        "{r:#?}"
    );
    assert!(out.contains("--suri-file <PATH>"), "{r:#?}");
    assert!(out.contains("--suri <SURI|->"), "{r:#?}");
}

#[test]
fn account_new_in_a_script_refuses_to_print_the_mnemonic() {
    let e = Escrow::offline();
    let r = e.run_env(&["account", "new", "fresh"], &[("ESCROW_PASSWORD", "pw")]);
    r.fails(
        exit::BAD_INPUT,
        &[
            "account new: stdout is not a terminal, and the new mnemonic is shown only on one; \
           pass --mnemonic-file PATH (created with mode 0600) to keep it. No account was \
           created",
        ],
    );
    assert_eq!(r.out, "");
    assert!(!e.home.path().join("keystore/fresh.json").exists());
    // --json changes nothing.
    e.run_env(
        &["--json", "account", "new", "fresh"],
        &[("ESCROW_PASSWORD", "pw")],
    )
    .fails(exit::BAD_INPUT, &["stdout is not a terminal"]);
    assert!(!e.home.path().join("keystore/fresh.json").exists());
}

#[test]
fn account_new_writes_the_mnemonic_to_a_new_0600_file() {
    let e = Escrow::offline();
    let pw = [("ESCROW_PASSWORD", "correct horse")];
    let path = e.home.path().join("fresh.mnemonic");
    let p = path.to_str().unwrap();
    let r = e.run_env(&["account", "new", "fresh", "--mnemonic-file", p], &pw);
    let out = r.ok();
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let mnemonic = std::fs::read_to_string(&path).unwrap();
    assert!(mnemonic.ends_with('\n') && mnemonic.lines().count() == 1);
    assert_eq!(mnemonic.trim_end().split(' ').count(), 12);
    // The output is checked exactly below, which rules out any word of the mnemonic. A
    // word-by-word check cannot be used here: a random mnemonic's words are English words,
    // and one of them can be a word of the message itself (a CI run drew "account").
    assert_eq!(r.err, "", "{r:#?}");
    let address = e.run(&["--json", "account", "list"]).json()["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        out,
        format!(
            "account fresh {address}\nmnemonic written to {p} (mode 0600): keep it offline; it \
             is the only way back to this account without the keystore\n"
        )
    );
    // The file is the account's mnemonic: importing it elsewhere gives the same address.
    let other = Escrow::offline();
    let r = other.run_env(&["account", "import", "again", "--phrase-file", p], &pw);
    assert!(r.ok().contains(&address), "{r:#?}");
    // An existing file is never overwritten, and then no account is created.
    let r = e.run_env(&["account", "new", "second", "--mnemonic-file", p], &pw);
    r.fails(
        exit::BAD_INPUT,
        &[&format!(
            "--mnemonic-file {p}: the file exists already, and it is never overwritten; choose \
             another path. No account was created"
        )],
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), mnemonic);
    assert!(!e.home.path().join("keystore/second.json").exists());
    // Nor is a symlink followed.
    #[cfg(unix)]
    {
        let link = e.home.path().join("link.mnemonic");
        std::os::unix::fs::symlink(e.home.path().join("target"), &link).unwrap();
        e.run_env(
            &[
                "account",
                "new",
                "third",
                "--mnemonic-file",
                link.to_str().unwrap(),
            ],
            &pw,
        )
        .fails(exit::BAD_INPUT, &["exists already"]);
        assert!(!e.home.path().join("target").exists());
    }
    // A name already taken: refused before any file is written.
    let unused = e.home.path().join("unused.mnemonic");
    e.run_env(
        &[
            "account",
            "new",
            "fresh",
            "--mnemonic-file",
            unused.to_str().unwrap(),
        ],
        &pw,
    )
    .fails(exit::BAD_INPUT, &["account 'fresh' exists already"]);
    assert!(!unused.exists());
    // The account cannot be stored (a file stands where the keystore directory goes): the
    // mnemonic file written for it is removed again.
    let blocked = Escrow::offline();
    std::fs::write(blocked.home.path().join("keystore"), "not a directory").unwrap();
    let m = blocked.home.path().join("m");
    let r = blocked.run_env(
        &[
            "account",
            "new",
            "fourth",
            "--mnemonic-file",
            m.to_str().unwrap(),
        ],
        &pw,
    );
    r.fails(
        exit::BAD_INPUT,
        &[&format!(
            "cannot create {} (mode 0700)",
            blocked.home.path().join("keystore").display()
        )],
    );
    assert!(!m.exists(), "{r:#?}");
}

#[test]
fn account_new_shows_the_mnemonic_on_a_terminal() {
    let e = Escrow::offline();
    let (code, screen) = e.run_tty(&["account", "new", "fresh"], "hunter22\nhunter22\n");
    assert_eq!(code, exit::OK, "{screen}");
    let line = screen
        .lines()
        .find_map(|l| l.strip_prefix("mnemonic (write it down; it is not shown again): "))
        .unwrap_or_else(|| panic!("no mnemonic shown: {screen}"));
    assert_eq!(line.trim_end().split(' ').count(), 12, "{screen}");
    assert!(e.home.path().join("keystore/fresh.json").exists());
}

#[cfg(unix)]
#[test]
fn the_keystore_is_0700_its_files_0600_and_a_mixed_up_file_is_refused_by_name() {
    let e = Escrow::offline();
    let pw = [("ESCROW_PASSWORD", "pw")];
    let phrase = e.file("alice.phrase", "//Alice\n");
    e.run_env(
        &["account", "import", "alice", "--phrase-file", &phrase],
        &pw,
    )
    .ok();
    let keystore = e.home.path().join("keystore");
    assert_eq!(mode(&keystore), 0o700);
    assert_eq!(mode(&keystore.join("alice.json")), 0o600);
    // The file's address edited to Bob's: unlocking refuses, naming the account.
    let file = keystore.join("alice.json");
    let bob = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(ALICE, bob)).unwrap();
    let r = e.run_env(&strs(&withdraw_with(&["--account", "alice"])), &pw);
    r.fails(
        exit::BAD_INPUT,
        &[&format!(
            "--account alice: account 'alice': the key in {} is not the key of its address \
             {bob} (it unlocks to {ALICE}); the file was altered or mixed up, so nothing is \
             signed with it",
            file.display()
        )],
    );
}
