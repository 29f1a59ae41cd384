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
//! The public address is stored in clear so that `account list` needs no password.
//! Development keys (`--suri //Alice`) never touch the keystore.

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

fn derive_key(password: &str, salt: &[u8], p: KdfParams) -> Result<Key, String> {
    let params = scrypt::Params::new(p.log_n, p.r, p.p, 32)
        .map_err(|e| format!("bad scrypt parameters: {e}"))?;
    let mut key = Key::default();
    scrypt::scrypt(password.as_bytes(), salt, &params, &mut key)
        .map_err(|e| format!("scrypt: {e}"))?;
    Ok(key)
}

/// Seals `secret` under `password`.
pub fn seal(secret: &str, password: &str, params: KdfParams) -> Result<Sealed, String> {
    let salt = random::<32>()?;
    let nonce = random::<24>()?;
    let key = derive_key(password, &salt, params)?;
    let ciphertext = XSalsa20Poly1305::new(&key)
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

/// Opens a sealed secret; a wrong password fails the Poly1305 check.
pub fn open(sealed: &Sealed, password: &str) -> Result<String, String> {
    if sealed.kdf != "scrypt" || sealed.params.log_n > 20 || sealed.params.log_n < 10 {
        return Err("unsupported key derivation in the account file".into());
    }
    let bad = |_| "corrupt account file".to_string();
    let salt = hex::decode(&sealed.salt).map_err(bad)?;
    let nonce = hex::decode(&sealed.nonce).map_err(bad)?;
    let ct = hex::decode(&sealed.ciphertext).map_err(bad)?;
    if nonce.len() != 24 {
        return Err("corrupt account file".into());
    }
    let key = derive_key(password, &salt, sealed.params)?;
    let plain = XSalsa20Poly1305::new(&key)
        .decrypt(Nonce::from_slice(&nonce), ct.as_slice())
        .map_err(|_| "wrong password".to_string())?;
    String::from_utf8(plain).map_err(|_| "corrupt account file".into())
}

/// A keypair from a secret URI: "//Alice", a mnemonic, "mnemonic//hard/soft", or 0x seed.
pub fn keypair_from_suri(suri: &str) -> Result<Keypair, String> {
    // An empty phrase would silently mean the public development phrase.
    if suri.trim().is_empty() {
        return Err("empty secret URI".into());
    }
    let uri = SecretUri::from_str(suri.trim()).map_err(|e| format!("invalid secret URI: {e}"))?;
    Keypair::from_uri(&uri).map_err(|e| format!("invalid secret URI: {e}"))
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

/// A fresh 12-word mnemonic.
pub fn new_mnemonic() -> Result<String, String> {
    let entropy = random::<16>()?;
    let m = subxt_signer::bip39::Mnemonic::from_entropy(&entropy).map_err(|e| e.to_string())?;
    Ok(m.to_string())
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

    fn ensure_free(&self, name: &str) -> Result<(), String> {
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
        fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
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

    /// Unlocks an account.
    pub fn unlock(&self, name: &str, password: &str) -> Result<Keypair, String> {
        let entry = self.entry(name)?;
        match entry.kind.as_str() {
            "suri" => {
                let sealed = entry
                    .sealed
                    .ok_or("corrupt account file: no sealed secret")?;
                keypair_from_suri(&open(&sealed, password)?)
            }
            "polkadot-js" => {
                let json = entry.polkadot_js.ok_or("corrupt account file: no export")?;
                keypair_from_polkadot_js(&json.to_string(), password)
            }
            k => Err(format!("unknown account kind '{k}'")),
        }
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
        assert_eq!(open(&s, "pw").unwrap(), "bottom drive obey");
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
        assert!(!raw.contains(&mnemonic));
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
        let ct = XSalsa20Poly1305::new(&key)
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
}
