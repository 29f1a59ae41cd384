//! Accounts, encrypted at rest.
//!
//! Each account is one JSON file `<ESCROW_HOME>/keystore/<name>.json` (mode 0600):
//!
//! - `kind: "suri"` — a mnemonic or secret URI (with derivation path), sealed with
//!   XSalsa20-Poly1305 under a key derived from the password by scrypt (the same
//!   primitives polkadot.js uses; parameters and salt stored alongside, so they can grow).
//! - `kind: "polkadot-js"` — a polkadot.js JSON export, kept as exported: it is already
//!   encrypted (scrypt + XSalsa20-Poly1305), and its password unlocks it here.
//!
//! The public address is stored in clear so that `account list` needs no password, and
//! unlocking checks the decrypted key against it: a file whose secret and address disagree
//! (altered, or pieced together from two files) is refused by name, never signed with.
//! Development keys (`--suri //Alice`) never touch the keystore.
//!
//! What is kept from other users and from hostile files:
//! - the keystore directory is created 0700 (and restricted to 0700 if found wider), each
//!   account file 0600;
//! - decrypted secrets, derived keys and generated mnemonics live in [`Zeroizing`]
//!   buffers, wiped when dropped;
//! - the scrypt parameters a file names are checked against [`KdfParams::check`] before
//!   scrypt runs, so a hostile file cannot make unlocking eat the machine's memory or CPU
//!   (polkadot.js exports: subxt-signer accepts only N = 2^15, r = 8, p = 1);
//! - errors never repeat a secret URI or a mnemonic, not even a character of one.

use std::{
    fs,
    path::{Path, PathBuf},
    str::FromStr,
};

use crypto_secretbox::{
    aead::{Aead, KeyInit},
    Key, Nonce, XSalsa20Poly1305,
};
use serde::{Deserialize, Serialize};
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::Keypair, SecretUri};
use zeroize::Zeroizing;

/// scrypt cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// log2(N).
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// What new accounts use: N = 2^15, r = 8, p = 1 (polkadot.js's choice, ~32 MiB).
    pub const DEFAULT: KdfParams = KdfParams {
        log_n: 15,
        r: 8,
        p: 1,
    };
    /// The smallest log2(N) accepted.
    pub const MIN_LOG_N: u8 = 10;
    /// The largest log2(N) accepted.
    pub const MAX_LOG_N: u8 = 20;
    /// The largest block size accepted.
    pub const MAX_R: u32 = 32;
    /// The largest parallelism accepted.
    pub const MAX_P: u32 = 16;
    /// The most memory scrypt may take (128 · r · N bytes): 256 MiB, 8 times the default.
    pub const MAX_MEMORY: u64 = 256 << 20;
    /// The most work scrypt may do (N · r · p): 2^22, 16 times the default.
    pub const MAX_WORK: u64 = 1 << 22;

    /// Checks the parameters against the bounds above, before anything runs them: a file
    /// naming N = 2^30 would otherwise make unlocking take gigabytes and minutes.
    pub fn check(&self) -> Result<(), String> {
        let KdfParams { log_n, r, p } = *self;
        let too_big = || {
            format!(
                "the account file's scrypt parameters (log2 N = {log_n}, r = {r}, p = {p}) are \
                 out of bounds (log2 N {}..={}, r 1..={}, p 1..={}, at most {} MiB and {} times \
                 the default work); refusing to run them",
                Self::MIN_LOG_N,
                Self::MAX_LOG_N,
                Self::MAX_R,
                Self::MAX_P,
                Self::MAX_MEMORY >> 20,
                Self::MAX_WORK / Self::DEFAULT.work(),
            )
        };
        if !(Self::MIN_LOG_N..=Self::MAX_LOG_N).contains(&log_n)
            || !(1..=Self::MAX_R).contains(&r)
            || !(1..=Self::MAX_P).contains(&p)
        {
            return Err(too_big());
        }
        // In range, so these products fit a u64 with room to spare (2^20 · 2^5 · 2^4 · 2^7).
        if self.memory() > Self::MAX_MEMORY || self.work() > Self::MAX_WORK {
            return Err(too_big());
        }
        Ok(())
    }

    /// 128 · r · N bytes (saturating; meaningful once the ranges are checked).
    fn memory(&self) -> u64 {
        128u64
            .saturating_mul(u64::from(self.r))
            .saturating_mul(1u64 << self.log_n.min(63))
    }

    /// N · r · p (saturating; meaningful once the ranges are checked).
    fn work(&self) -> u64 {
        (1u64 << self.log_n.min(63))
            .saturating_mul(u64::from(self.r))
            .saturating_mul(u64::from(self.p))
    }
}

/// A secret sealed under a password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sealed {
    /// Always "scrypt".
    pub kdf: String,
    /// Cost parameters.
    pub params: KdfParams,
    /// 32 random bytes, hex.
    pub salt: String,
    /// 24 random bytes, hex.
    pub nonce: String,
    /// Ciphertext with its Poly1305 tag, hex.
    pub ciphertext: String,
}

/// An account file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Format version (1).
    pub version: u32,
    /// The account's name.
    pub name: String,
    /// SS58 address.
    pub address: String,
    /// "suri" or "polkadot-js".
    pub kind: String,
    /// The sealed secret URI (`kind: "suri"`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sealed: Option<Sealed>,
    /// The polkadot.js export (`kind: "polkadot-js"`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub polkadot_js: Option<serde_json::Value>,
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| format!("no randomness: {e}"))?;
    Ok(b)
}

/// The secretbox key scrypt derives from `password`, after [`KdfParams::check`].
fn derive_key(password: &str, salt: &[u8], p: KdfParams) -> Result<Zeroizing<[u8; 32]>, String> {
    p.check()?;
    let params = scrypt::Params::new(p.log_n, p.r, p.p, 32)
        .map_err(|e| format!("bad scrypt parameters: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut_slice())
        .map_err(|e| format!("scrypt: {e}"))?;
    Ok(key)
}

/// Seals `secret` under `password`.
pub fn seal(secret: &str, password: &str, params: KdfParams) -> Result<Sealed, String> {
    let salt = random::<32>()?;
    let nonce = random::<24>()?;
    let key = derive_key(password, &salt, params)?;
    let ciphertext = XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
        .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
        .map_err(|_| "encryption failed".to_string())?;
    Ok(Sealed {
        kdf: "scrypt".into(),
        params,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens a sealed secret; a wrong password fails the Poly1305 check. The scrypt
/// parameters are checked ([`KdfParams::check`]) before scrypt runs; the secret comes back
/// in a buffer that is wiped when dropped.
pub fn open(sealed: &Sealed, password: &str) -> Result<Zeroizing<String>, String> {
    if sealed.kdf != "scrypt" {
        return Err("unsupported key derivation in the account file".into());
    }
    sealed.params.check()?;
    let bad = |_| "corrupt account file".to_string();
    let salt = hex::decode(&sealed.salt).map_err(bad)?;
    let nonce = hex::decode(&sealed.nonce).map_err(bad)?;
    let ct = hex::decode(&sealed.ciphertext).map_err(bad)?;
    if nonce.len() != 24 {
        return Err("corrupt account file".into());
    }
    let key = derive_key(password, &salt, sealed.params)?;
    let plain = Zeroizing::new(
        XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
            .decrypt(Nonce::from_slice(&nonce), ct.as_slice())
            .map_err(|_| "wrong password".to_string())?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| "corrupt account file".to_string())?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// A keypair from a secret URI: "//Alice", a mnemonic, "mnemonic//hard/soft", or 0x seed.
/// Its errors say what kind of thing is wrong, never which words or characters.
pub fn keypair_from_suri(suri: &str) -> Result<Keypair, String> {
    use subxt_signer::sr25519::Error;
    // An empty phrase would silently mean the public development phrase.
    if suri.trim().is_empty() {
        return Err("empty secret URI".into());
    }
    let uri = SecretUri::from_str(suri.trim())
        .map_err(|_| "invalid secret URI: not a phrase, 0x seed or //derivation".to_string())?;
    Keypair::from_uri(&uri).map_err(|e| match e {
        // bip39's messages name a word count, a word's position or the checksum: no words.
        Error::Phrase(e) => format!("invalid secret URI: not a valid mnemonic ({e})"),
        // hex's messages quote the offending character: not repeated.
        Error::Hex(_) => {
            "invalid secret URI: the 0x seed is not 32 bytes of hex (64 digits)".into()
        }
        Error::InvalidSeed => "invalid secret URI: the 0x seed is not a valid seed".into(),
        Error::Signature(_) => "invalid secret URI: not a valid sr25519 key".into(),
    })
}

/// The SS58 (prefix 42) address of a keypair.
pub fn address_of(pair: &Keypair) -> AccountId32 {
    pair.public_key().into()
}

/// Decrypts a polkadot.js JSON export. Checks its shape first, so malformed input is an
/// error rather than a panic in the decoder.
pub fn keypair_from_polkadot_js(json: &str, password: &str) -> Result<Keypair, String> {
    use base64::Engine;
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not a polkadot.js JSON export: {e}"))?;
    let encoded = v["encoded"]
        .as_str()
        .ok_or("not a polkadot.js JSON export: no 'encoded'")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("polkadot.js export: bad base64: {e}"))?;
    if raw.len() < 68 + 16 {
        return Err("polkadot.js export: encoded data too short".into());
    }
    subxt_signer::polkadot_js_compat::decrypt_json(json, password).map_err(|e| match e {
        subxt_signer::polkadot_js_compat::Error::Secretbox(_) => "wrong password".to_string(),
        e => format!("polkadot.js export: {e}"),
    })
}

/// A fresh 12-word mnemonic (wiped when dropped, as is its entropy).
pub fn new_mnemonic() -> Result<Zeroizing<String>, String> {
    let entropy = Zeroizing::new(random::<16>()?);
    let m = subxt_signer::bip39::Mnemonic::from_entropy(entropy.as_slice())
        .map_err(|e| e.to_string())?;
    Ok(Zeroizing::new(m.to_string()))
}

/// The keystore directory.
pub struct Keystore {
    dir: PathBuf,
    params: KdfParams,
}

fn valid_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "account name '{name}': use 1-64 letters, digits, '-' or '_'"
        ));
    }
    Ok(())
}

impl Keystore {
    /// The keystore under `home` (`<home>/keystore`).
    pub fn new(home: &Path) -> Self {
        Keystore {
            dir: home.join("keystore"),
            params: KdfParams::DEFAULT,
        }
    }

    /// Uses other scrypt parameters for new accounts (tests use cheap ones).
    pub fn with_params(mut self, params: KdfParams) -> Self {
        self.params = params;
        self
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Checks that `name` is a valid account name not taken yet (before asking for a
    /// password, or writing a mnemonic anywhere).
    pub fn ensure_free(&self, name: &str) -> Result<(), String> {
        valid_name(name)?;
        if self.path(name).exists() {
            return Err(format!("account '{name}' exists already"));
        }
        Ok(())
    }

    fn write(&self, entry: &Entry) -> Result<(), String> {
        valid_name(&entry.name)?;
        let path = self.path(&entry.name);
        if path.exists() {
            return Err(format!("account '{}' exists already", entry.name));
        }
        crate::config::private_dir(&self.dir)
            .map_err(|e| format!("cannot create {} (mode 0700): {e}", self.dir.display()))?;
        let text = serde_json::to_string_pretty(entry).map_err(|e| e.to_string())?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        std::io::Write::write_all(&mut f, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Stores a secret URI (mnemonic, with an optional derivation path) as `name`.
    pub fn add_suri(&self, name: &str, suri: &str, password: &str) -> Result<Entry, String> {
        self.ensure_free(name)?;
        let pair = keypair_from_suri(suri)?;
        let entry = Entry {
            version: 1,
            name: name.into(),
            address: address_of(&pair).to_string(),
            kind: "suri".into(),
            sealed: Some(seal(suri.trim(), password, self.params)?),
            polkadot_js: None,
        };
        self.write(&entry)?;
        Ok(entry)
    }

    /// Stores a polkadot.js JSON export as `name`, after checking that `password` opens it.
    pub fn add_polkadot_js(&self, name: &str, json: &str, password: &str) -> Result<Entry, String> {
        self.ensure_free(name)?;
        let pair = keypair_from_polkadot_js(json, password)?;
        let entry = Entry {
            version: 1,
            name: name.into(),
            address: address_of(&pair).to_string(),
            kind: "polkadot-js".into(),
            sealed: None,
            polkadot_js: Some(serde_json::from_str(json).map_err(|e| e.to_string())?),
        };
        self.write(&entry)?;
        Ok(entry)
    }

    /// Reads an account file without unlocking it.
    pub fn entry(&self, name: &str) -> Result<Entry, String> {
        valid_name(name)?;
        let path = self.path(name);
        let text = fs::read_to_string(&path).map_err(|_| {
            format!(
                "no account '{name}' in {} (see `escrow account list`)",
                self.dir.display()
            )
        })?;
        serde_json::from_str(&text)
            .map_err(|e| format!("corrupt account file {}: {e}", path.display()))
    }

    /// Unlocks an account, and checks that the key it holds is the one of the address it
    /// names (a file altered, or pieced together from two, is refused by name).
    pub fn unlock(&self, name: &str, password: &str) -> Result<Keypair, String> {
        let entry = self.entry(name)?;
        let path = self.path(name);
        let stored = AccountId32::from_str(&entry.address).map_err(|_| {
            format!(
                "corrupt account file {}: its address is not an SS58 address",
                path.display()
            )
        })?;
        let pair = match entry.kind.as_str() {
            "suri" => {
                let sealed = entry
                    .sealed
                    .ok_or("corrupt account file: no sealed secret")?;
                keypair_from_suri(&open(&sealed, password)?)?
            }
            "polkadot-js" => {
                let json = entry.polkadot_js.ok_or("corrupt account file: no export")?;
                keypair_from_polkadot_js(&json.to_string(), password)?
            }
            k => return Err(format!("unknown account kind '{k}'")),
        };
        let unlocked = address_of(&pair);
        if unlocked != stored {
            return Err(format!(
                "account '{name}': the key in {} is not the key of its address {stored} (it \
                 unlocks to {unlocked}); the file was altered or mixed up, so nothing is signed \
                 with it",
                path.display()
            ));
        }
        Ok(pair)
    }

    /// All accounts, by name.
    pub fn list(&self) -> Result<Vec<Entry>, String> {
        let mut out = Vec::new();
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for f in dir.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "json") {
                if let Some(name) = p.file_stem().and_then(|s| s.to_str()) {
                    out.push(self.entry(name)?);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams {
        log_n: 10,
        r: 8,
        p: 1,
    };
    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    #[test]
    fn suris_parse() {
        assert_eq!(
            address_of(&keypair_from_suri("//Alice").unwrap()).to_string(),
            ALICE
        );
        let dev = format!("{}//Alice", subxt_signer::DEV_PHRASE);
        assert_eq!(
            address_of(&keypair_from_suri(&dev).unwrap()).to_string(),
            ALICE
        );
        assert_ne!(
            address_of(&keypair_from_suri("//Alice//stash").unwrap()).to_string(),
            ALICE
        );
        assert!(keypair_from_suri("not a mnemonic at all").is_err());
        assert!(keypair_from_suri("").is_err());
    }

    #[test]
    fn seal_round_trip_and_wrong_password() {
        let s = seal("bottom drive obey", "pw", CHEAP).unwrap();
        assert_eq!(open(&s, "pw").unwrap().as_str(), "bottom drive obey");
        assert_eq!(open(&s, "PW").unwrap_err(), "wrong password");
        assert!(!s.ciphertext.contains(&hex::encode("bottom")));
    }

    #[test]
    fn keystore_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::new(dir.path()).with_params(CHEAP);
        let mnemonic = new_mnemonic().unwrap();
        assert_eq!(mnemonic.split(' ').count(), 12);
        let e = ks.add_suri("buyer", &mnemonic, "secret").unwrap();
        let pair = ks.unlock("buyer", "secret").unwrap();
        assert_eq!(address_of(&pair).to_string(), e.address);
        assert_eq!(ks.unlock("buyer", "nope").unwrap_err(), "wrong password");
        assert!(ks
            .add_suri("buyer", "//Bob", "x")
            .unwrap_err()
            .contains("exists"));
        assert!(ks.add_suri("bad name", "//Bob", "x").is_err());
        let raw = std::fs::read_to_string(dir.path().join("keystore/buyer.json")).unwrap();
        assert!(!raw.contains(mnemonic.split(' ').next().unwrap()) || raw.contains(&e.address));
        assert!(!raw.contains(mnemonic.as_str()));
        ks.add_suri("dev", "//Alice", "pw").unwrap();
        let names: Vec<_> = ks.list().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["buyer", "dev"]);
        assert!(ks.unlock("ghost", "pw").unwrap_err().contains("no account"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keystore/dev.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// Builds a polkadot.js v3 export (scrypt N=2^15 + xsalsa20-poly1305 over PKCS8) the
    /// way @polkadot/keyring does, from a 32-byte mini secret.
    pub(crate) fn polkadot_js_export(seed: [u8; 32], password: &str) -> (String, String) {
        use base64::Engine;
        let mini = schnorrkel::MiniSecretKey::from_bytes(&seed).unwrap();
        let kp = mini.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
        let secret = kp.secret.to_ed25519_bytes();
        let public = kp.public.to_bytes();
        let mut plain = vec![48, 83, 2, 1, 1, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32];
        plain.extend_from_slice(&secret);
        plain.extend_from_slice(&[161, 35, 3, 33, 0]);
        plain.extend_from_slice(&public);
        let salt = [7u8; 32];
        let nonce = [9u8; 24];
        let key = derive_key(
            password,
            &salt,
            KdfParams {
                log_n: 15,
                r: 8,
                p: 1,
            },
        )
        .unwrap();
        let ct = XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .unwrap();
        let mut encoded = salt.to_vec();
        encoded.extend_from_slice(&32768u32.to_le_bytes());
        encoded.extend_from_slice(&1u32.to_le_bytes());
        encoded.extend_from_slice(&8u32.to_le_bytes());
        encoded.extend_from_slice(&nonce);
        encoded.extend_from_slice(&ct);
        let address = AccountId32(public).to_string();
        let json = serde_json::json!({
            "encoded": base64::engine::general_purpose::STANDARD.encode(encoded),
            "encoding": {"content": ["pkcs8", "sr25519"], "type": ["scrypt", "xsalsa20-poly1305"], "version": "3"},
            "address": address,
            "meta": {"genesisHash": "", "name": "test", "whenCreated": 0}
        });
        (json.to_string(), address)
    }

    #[test]
    fn polkadot_js_import() {
        let seed = [42u8; 32];
        let (json, address) = polkadot_js_export(seed, "hunter2");
        // The same key through the mini-secret path.
        let direct = Keypair::from_secret_key(seed).unwrap();
        assert_eq!(address_of(&direct).to_string(), address);
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::new(dir.path());
        let e = ks.add_polkadot_js("pjs", &json, "hunter2").unwrap();
        assert_eq!(e.address, address);
        assert_eq!(
            address_of(&ks.unlock("pjs", "hunter2").unwrap()).to_string(),
            address
        );
        assert_eq!(ks.unlock("pjs", "wrong").unwrap_err(), "wrong password");
        assert!(ks
            .add_polkadot_js("pjs2", &json, "wrong")
            .unwrap_err()
            .contains("wrong password"));
        assert!(keypair_from_polkadot_js("{}", "x").is_err());
        assert!(keypair_from_polkadot_js(r#"{"encoded":"AAAA"}"#, "x")
            .unwrap_err()
            .contains("too short"));
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn the_keystore_directory_is_0700_and_account_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let ks = Keystore::new(home.path()).with_params(CHEAP);
        ks.add_suri("a", "//Alice", "pw").unwrap();
        assert_eq!(mode(&home.path().join("keystore")), 0o700);
        assert_eq!(mode(&home.path().join("keystore/a.json")), 0o600);
        // A keystore directory found wider is restricted when an account is added.
        fs::set_permissions(
            home.path().join("keystore"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        ks.add_suri("b", "//Bob", "pw").unwrap();
        assert_eq!(mode(&home.path().join("keystore")), 0o700);
        assert_eq!(mode(&home.path().join("keystore/b.json")), 0o600);
    }

    /// Regression (issue 14, item 10): an account file whose secret is not the key of the
    /// address it names (altered, or pieced together from two files) is refused by name,
    /// never signed with.
    #[test]
    fn unlocking_refuses_a_key_that_is_not_the_stored_address() {
        let bob = address_of(&keypair_from_suri("//Bob").unwrap()).to_string();
        let bob = bob.as_str();
        let home = tempfile::tempdir().unwrap();
        let ks = Keystore::new(home.path()).with_params(CHEAP);
        ks.add_suri("alice", "//Alice", "pw").unwrap();
        ks.add_suri("bob", "//Bob", "pw").unwrap();
        let path = home.path().join("keystore/alice.json");
        let expected = |unlocks_to: &str| {
            format!(
                "account 'alice': the key in {} is not the key of its address {bob} (it unlocks \
                 to {unlocks_to}); the file was altered or mixed up, so nothing is signed with it",
                path.display()
            )
        };
        // The address edited to Bob's.
        let original = fs::read_to_string(&path).unwrap();
        fs::write(&path, original.replace(ALICE, bob)).unwrap();
        assert_eq!(ks.unlock("alice", "pw").unwrap_err(), expected(ALICE));
        // Pieced together: Bob's address with Charlie's secret, under the same password.
        let mut entry: Entry = serde_json::from_str(&original).unwrap();
        entry.address = bob.into();
        entry.sealed = Some(seal("//Charlie", "pw", CHEAP).unwrap());
        fs::write(&path, serde_json::to_string(&entry).unwrap()).unwrap();
        let charlie = address_of(&keypair_from_suri("//Charlie").unwrap()).to_string();
        assert_eq!(ks.unlock("alice", "pw").unwrap_err(), expected(&charlie));
        // An address that is no address at all.
        entry.address = "not-an-address".into();
        fs::write(&path, serde_json::to_string(&entry).unwrap()).unwrap();
        assert_eq!(
            ks.unlock("alice", "pw").unwrap_err(),
            format!(
                "corrupt account file {}: its address is not an SS58 address",
                path.display()
            )
        );
        // The untouched file still unlocks.
        assert_eq!(
            address_of(&ks.unlock("bob", "pw").unwrap()).to_string(),
            bob
        );
    }

    /// Regression (issue 14, item 10): the scrypt parameters a file names are bounded
    /// before scrypt runs, so a hostile file cannot make unlocking take all memory or CPU.
    #[test]
    fn hostile_scrypt_parameters_are_refused_before_scrypt_runs() {
        let out_of_bounds = |log_n: u8, r: u32, p: u32| {
            format!(
                "the account file's scrypt parameters (log2 N = {log_n}, r = {r}, p = {p}) are \
                 out of bounds (log2 N 10..=20, r 1..=32, p 1..=16, at most 256 MiB and 16 \
                 times the default work); refusing to run them"
            )
        };
        for (log_n, r, p) in [
            (21, 8, 1),   // N beyond 2^20
            (9, 8, 1),    // N below 2^10
            (63, 8, 1),   // 2^63 · 1 KiB
            (255, 8, 1),  // not even a shift
            (15, 0, 1),   // r = 0
            (15, 33, 1),  // r beyond 32
            (15, 8, 0),   // p = 0
            (15, 8, 17),  // p beyond 16
            (20, 8, 1),   // 1 GiB
            (19, 8, 1),   // 512 MiB
            (15, 32, 16), // 2^24 work
            (15, 8, u32::MAX),
            (15, u32::MAX, u32::MAX),
        ] {
            let params = KdfParams { log_n, r, p };
            assert_eq!(
                params.check(),
                Err(out_of_bounds(log_n, r, p)),
                "{params:?}"
            );
        }
        for ok in [
            KdfParams::DEFAULT,
            CHEAP,
            KdfParams {
                log_n: 20,
                r: 2,
                p: 1,
            }, // 256 MiB, 2^21 work
            KdfParams {
                log_n: 18,
                r: 8,
                p: 2,
            }, // 256 MiB, 2^22 work
            KdfParams {
                log_n: 15,
                r: 8,
                p: 16,
            }, // 32 MiB, 2^22 work
        ] {
            assert_eq!(ok.check(), Ok(()), "{ok:?}");
        }
        // A keystore file edited to name 2^20 · 32 (4 GiB): refused at once.
        let home = tempfile::tempdir().unwrap();
        let ks = Keystore::new(home.path()).with_params(CHEAP);
        ks.add_suri("a", "//Alice", "pw").unwrap();
        let path = home.path().join("keystore/a.json");
        let mut entry: Entry = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        entry.sealed.as_mut().unwrap().params = KdfParams {
            log_n: 20,
            r: 32,
            p: 1,
        };
        fs::write(&path, serde_json::to_string(&entry).unwrap()).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(ks.unlock("a", "pw").unwrap_err(), out_of_bounds(20, 32, 1));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Nor can new accounts be sealed with parameters no one could open.
        assert_eq!(
            seal(
                "//Alice",
                "pw",
                KdfParams {
                    log_n: 22,
                    r: 8,
                    p: 1
                }
            )
            .unwrap_err(),
            out_of_bounds(22, 8, 1)
        );
        // polkadot.js exports: subxt-signer accepts only N = 2^15, r = 8, p = 1.
        use base64::Engine;
        let (json, _) = polkadot_js_export([42u8; 32], "pw");
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut raw = b64.decode(v["encoded"].as_str().unwrap()).unwrap();
        raw[32..36].copy_from_slice(&(1u32 << 30).to_le_bytes());
        v["encoded"] = b64.encode(raw).into();
        assert_eq!(
            keypair_from_polkadot_js(&v.to_string(), "pw").unwrap_err(),
            "polkadot.js export: Unsupported Scrypt parameters: N: 1073741824, p: 1, r: 8"
        );
    }

    /// Regression (issue 14, item 10): a bad secret URI's error names what kind of thing
    /// is wrong, never its words or characters.
    #[test]
    fn suri_errors_never_echo_the_secret() {
        let cases = [
            (
                // one word misspelt: bip39 names its position only
                "bottom drive obey lake curtain smoke basket hold race lonely fit wakl",
                "invalid secret URI: not a valid mnemonic (mnemonic contains an unknown word \
                 (word 11))",
            ),
            (
                "zebra zebra zebra",
                "invalid secret URI: not a valid mnemonic (mnemonic has an invalid word count: \
                 3. Word count must be 12, 15, 18, 21, or 24)",
            ),
            (
                "0x5ecre7zz5ecre7zz5ecre7zz5ecre7zz5ecre7zz5ecre7zz5ecre7zz5ecre7zz",
                "invalid secret URI: the 0x seed is not 32 bytes of hex (64 digits)",
            ),
            (
                "0x5ec0de",
                "invalid secret URI: the 0x seed is not 32 bytes of hex (64 digits)",
            ),
            ("   ", "empty secret URI"),
        ];
        for (suri, expected) in cases {
            let e = keypair_from_suri(suri).unwrap_err();
            assert_eq!(e, expected, "{suri}");
            for word in suri.split(['/', ' ']).filter(|w| w.len() > 2) {
                assert!(!e.contains(word), "{e} repeats {word}");
            }
        }
    }

    /// Decrypted secrets, derived keys and new mnemonics come back in buffers that are
    /// wiped when dropped (the types say so; this fails to compile otherwise).
    #[test]
    fn decrypted_secrets_and_new_mnemonics_are_wiped_on_drop() {
        let sealed = seal("//Alice", "pw", CHEAP).unwrap();
        let opened: Zeroizing<String> = open(&sealed, "pw").unwrap();
        assert_eq!(opened.as_str(), "//Alice");
        let key: Zeroizing<[u8; 32]> = derive_key("pw", &[1; 32], CHEAP).unwrap();
        assert_ne!(*key, [0; 32]);
        let mnemonic: Zeroizing<String> = new_mnemonic().unwrap();
        assert_eq!(mnemonic.split(' ').count(), 12);
    }
}
