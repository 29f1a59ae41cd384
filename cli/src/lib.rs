//! # escrow-cli
//!
//! The `escrow` binary: how exporters, importers, oracles, arbiters and auditors use the
//! milestone-escrow contract from a terminal. It is a thin clap layer over
//! [`escrow_client`], the way cargo-contract sits over its extrinsics crate: parsing
//! ([`args`]), one module per verb ([`commands`]), output ([`render`]) and the confirmation
//! prompt ([`prompt`]). Connecting, trusting, dry-running, signing, submitting and decoding
//! all happen in the client, so the bench and the tests do them the same way.
//!
//! `main.rs` only parses, dispatches and maps errors to exit codes; the rest is a library
//! so that its unit tests can drive it.

pub mod args;
pub mod commands;
pub mod prompt;
pub mod render;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    str::FromStr,
    sync::{Arc, OnceLock},
};

use escrow_client::{
    accounts::{chain_account, ink_account, parse_account},
    config::{self, AssetRef, Config},
    contract::{DryRun, EscrowEvent},
    escrow::Dried,
    keystore,
    messages::Message,
    submit::{Included, SubmitOpts},
    token::{Psp22, TokenCall, TokenInfo},
    trust, units, Chain, ClientError, Escrow, Result,
};
use escrow_types::{Asset, DealId};
use scale::Decode;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use zeroize::Zeroizing;

pub use args::{Cli, Command, Global};
use render::RenderCtx;

/// What commands share: options, state directory, the connection (opened on first use).
pub struct Ctx {
    /// Global options.
    pub global: Global,
    /// The state directory ([`config::home`]).
    pub home: PathBuf,
    chain: Option<Arc<Chain>>,
    /// The checked escrow instance, once opened.
    escrow: Option<Escrow>,
    /// The signer, once read (a secret from stdin can be read only once).
    signer: OnceLock<Keypair>,
    /// PSP22 tokens loaded this run (metadata read from the chain), by address.
    tokens: BTreeMap<[u8; 32], (Psp22, TokenInfo)>,
    /// Tokens that could not be loaded this run, and why (shown in raw units).
    unreadable_tokens: BTreeMap<[u8; 32], String>,
    /// The assets of the deals seen this run (a deal's asset never changes).
    deal_assets: BTreeMap<DealId, Asset>,
}

impl Ctx {
    /// A context.
    pub fn new(global: Global) -> Self {
        Ctx {
            global,
            home: config::home(),
            chain: None,
            escrow: None,
            signer: OnceLock::new(),
            tokens: BTreeMap::new(),
            unreadable_tokens: BTreeMap::new(),
            deal_assets: BTreeMap::new(),
        }
    }

    /// The connection, opened once.
    pub async fn chain(&mut self) -> Result<Arc<Chain>> {
        if let Some(c) = &self.chain {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(Chain::connect(&self.global.url).await?);
        self.chain = Some(Arc::clone(&c));
        Ok(c)
    }

    /// Rendering context: the chain's token, and the tokens and deal assets seen so far
    /// (amounts of a token deal are shown in its token's units).
    pub fn render(&self) -> RenderCtx {
        let native = self
            .chain
            .as_ref()
            .map(|c| c.token.clone())
            .unwrap_or_default();
        RenderCtx {
            token: native.clone(),
            native,
            tokens: self
                .tokens
                .iter()
                .map(|(a, (_, info))| (*a, info.clone()))
                .collect(),
            deal_assets: self.deal_assets.clone(),
        }
    }

    /// The PSP22 token at `address`, its metadata read at the best block (once per run).
    /// Refused, naming the address, unless it is a PSP22 token with usable metadata
    /// ([`Psp22::load`]).
    pub async fn token(&mut self, address: &AccountId32) -> Result<(Psp22, TokenInfo)> {
        if let Some(t) = self.tokens.get(&address.0) {
            return Ok(t.clone());
        }
        let chain = self.chain().await?;
        let (best, _) = chain.best().await?;
        let loaded = Psp22::load(chain, address.clone(), best).await?;
        self.tokens.insert(address.0, loaded.clone());
        Ok(loaded)
    }

    /// Resolves `--asset`/`--token` input against the registry only, without the chain:
    /// an unknown or ambiguous symbol is bad input before anything connects.
    pub fn check_asset_name(&self, input: &str, what: &str) -> Result<AssetRef> {
        let cfg = Config::load(&self.home).map_err(ClientError::input)?;
        cfg.resolve_asset(&self.global.url, input)
            .map_err(|e| ClientError::input(format!("{what}: {e}")))
    }

    /// Resolves `--asset`/`--token` input (`native`, an address, or the symbol of a token
    /// added for `--url`) to an asset; a token's metadata is loaded (and a symbol that the
    /// token no longer answers with is refused). Everything refused here is bad input.
    pub async fn resolve_asset(
        &mut self,
        input: &str,
        what: &str,
    ) -> Result<(Asset, Option<TokenInfo>)> {
        match self.check_asset_name(input, what)? {
            AssetRef::Native => Ok((Asset::Native, None)),
            AssetRef::Token { address, known_as } => {
                let (_, info) = self.token(&address).await?;
                if let Some(known) = known_as {
                    if known != info.symbol {
                        return Err(ClientError::input(format!(
                            "{what} {input}: the token registry names {address} {known}, but \
                             the token's symbol is now {}; check it, then record it again with \
                             `escrow token add {address}`",
                            info.symbol
                        )));
                    }
                }
                Ok((Asset::Psp22(ink_account(&address)), Some(info)))
            }
        }
    }

    /// The units amounts of `asset` are typed and shown in (a token's are read from its
    /// metadata; an unusable token is refused, naming it).
    pub async fn asset_units(&mut self, asset: &Asset) -> Result<units::Token> {
        match asset {
            Asset::Native => Ok(self.chain().await?.token.clone()),
            Asset::Psp22(t) => Ok(self.token(&chain_account(t)).await?.1.units()),
        }
    }

    /// Notes deal `id`'s asset, and loads its token for rendering when it is one; a token
    /// that cannot be loaded is remembered as such (its amounts then show in raw units).
    pub async fn learn_deal_asset(&mut self, id: DealId, asset: Asset) {
        self.deal_assets.insert(id, asset);
        self.learn_asset(&asset).await;
    }

    /// Loads `asset`'s token for rendering, if it is one; never fails.
    pub async fn learn_asset(&mut self, asset: &Asset) {
        if let Asset::Psp22(t) = asset {
            let bytes: [u8; 32] = *t.as_ref();
            if self.tokens.contains_key(&bytes) || self.unreadable_tokens.contains_key(&bytes) {
                return;
            }
            if let Err(e) = self.token(&chain_account(t)).await {
                self.unreadable_tokens.insert(bytes, e.to_string());
            }
        }
    }

    /// Why a token could not be loaded this run, if it could not.
    pub fn unreadable_token(&self, asset: &Asset) -> Option<&str> {
        let t = asset.token()?;
        let bytes: &[u8; 32] = t.as_ref();
        self.unreadable_tokens.get(bytes).map(String::as_str)
    }

    /// Learns the assets `events` are in, for rendering their amounts: from the event
    /// itself where it names one, from the deal's proposal, or by reading the deal.
    /// Best effort: an event whose asset stays unknown is shown in raw units (see
    /// [`RenderCtx::for_event`]).
    pub async fn learn_event_assets(&mut self, events: &[EscrowEvent]) {
        for e in events {
            if let Some(asset) = render::own_asset(e) {
                if let Some(id) = e.deal_id() {
                    if matches!(e, EscrowEvent::DealProposed(_)) {
                        self.deal_assets.insert(id, asset);
                    }
                }
                self.learn_asset(&asset).await;
                continue;
            }
            let Some(id) = e.deal_id() else { continue };
            if self.deal_assets.contains_key(&id) {
                continue;
            }
            let asset = match self.escrow().await {
                Ok(escrow) => match escrow.reads_at_best().await {
                    Ok(reads) => reads.deal(id).await.ok().map(|v| v.deal.asset),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            if let Some(asset) = asset {
                self.learn_deal_asset(id, asset).await;
            }
        }
    }

    /// Submission options.
    pub fn submit_opts(&self) -> SubmitOpts {
        SubmitOpts {
            wait: self.global.wait,
            timeout: self.global.timeout,
            quiet: self.global.quiet,
            lock_dir: Some(escrow_client::lock::dir(&self.home)),
        }
    }

    /// The keystore.
    pub fn keystore(&self) -> keystore::Keystore {
        keystore::Keystore::new(&self.home)
    }

    /// The signer from --suri, --suri-file or --account, read once per run. Errors name
    /// the option, never the secret.
    pub fn signer(&self) -> Result<Keypair> {
        if let Some(pair) = self.signer.get() {
            return Ok(pair.clone());
        }
        let pair = self.read_signer()?;
        Ok(self.signer.get_or_init(|| pair).clone())
    }

    fn read_signer(&self) -> Result<Keypair> {
        if let Some(suri) = &self.global.suri {
            if suri == "-" {
                let suri = prompt::read_secret_line("secret URI (not echoed): ")
                    .map_err(|e| ClientError::input(format!("--suri -: {e}")))?;
                return keystore::keypair_from_suri(&suri)
                    .map_err(|e| ClientError::input(format!("--suri - (stdin): {e}")));
            }
            return keystore::keypair_from_suri(suri)
                .map_err(|e| ClientError::input(format!("--suri: {e}")));
        }
        if let Some(path) = &self.global.suri_file {
            let at = |e: String| ClientError::input(format!("--suri-file {}: {e}", path.display()));
            let suri = prompt::read_secret_file(path, self.global.quiet).map_err(at)?;
            return keystore::keypair_from_suri(&suri).map_err(at);
        }
        if let Some(name) = &self.global.account {
            let password = password(&format!("password for account '{name}': "), false)?;
            return self
                .keystore()
                .unlock(name, &password)
                .map_err(|e| ClientError::input(format!("--account {name}: {e}")));
        }
        Err(ClientError::input(
            "this command signs a transaction: pass --suri (e.g. //Alice), --suri-file PATH \
             or --account NAME",
        ))
    }

    /// The account that would sign, without unlocking it (for reads like `--mine`).
    pub fn signer_address(&self) -> Result<AccountId32> {
        if let Some(name) = &self.global.account {
            let e = self.keystore().entry(name).map_err(ClientError::input)?;
            return AccountId32::from_str(&e.address)
                .map_err(|e| ClientError::input(format!("{e}")));
        }
        Ok(keystore::address_of(&self.signer()?))
    }

    /// The contract address: --contract, or the deployment remembered for --url.
    pub fn contract(&self) -> Result<AccountId32> {
        if let Some(c) = &self.global.contract {
            return parse_account(c).map_err(|e| ClientError::input(format!("--contract: {e}")));
        }
        let cfg = Config::load(&self.home).map_err(ClientError::input)?;
        match cfg.deployments.get(&self.global.url) {
            Some(d) => parse_account(&d.contract).map_err(ClientError::input),
            None => Err(ClientError::input(format!(
                "no contract known for {}: pass --contract ADDRESS or run `escrow deploy`",
                self.global.url
            ))),
        }
    }

    /// The code hashes the user trusts for the escrow ([`trust`]).
    pub fn trusted_code_hashes(&self) -> Result<Vec<[u8; 32]>> {
        let address = self.contract()?;
        let cfg = Config::load(&self.home).map_err(ClientError::input)?;
        Ok(trust::expected_code_hashes(
            &cfg,
            self.global.code_hash,
            &address,
        ))
    }

    /// The escrow instance, once its code hash is one the user trusts ([`trust`]): every
    /// call and every read goes through it.
    pub async fn escrow(&mut self) -> Result<Escrow> {
        if let Some(e) = &self.escrow {
            return Ok(e.clone());
        }
        let address = self.contract()?;
        let trusted = self.trusted_code_hashes()?;
        let escrow = Escrow::open(self.chain().await?, address, &trusted).await?;
        self.escrow = Some(escrow.clone());
        Ok(escrow)
    }

    /// Resolves an account argument: SS58, 0x-hex, a dev SURI (//Bob), or a keystore name.
    pub fn resolve_account(&self, s: &str) -> Result<AccountId32> {
        if let Ok(a) = parse_account(s) {
            return Ok(a);
        }
        if let Ok(e) = self.keystore().entry(s) {
            return AccountId32::from_str(&e.address)
                .map_err(|e| ClientError::input(format!("{e}")));
        }
        Err(ClientError::input(format!(
            "'{s}' is not an account (SS58 address, 0x-hex, //Dev SURI, or a keystore account name)"
        )))
    }
}

/// A password from ESCROW_PASSWORD or a prompt (twice when `confirm`), wiped when dropped.
pub fn password(prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("ESCROW_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    let p = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| {
        ClientError::input(format!(
            "no password: set ESCROW_PASSWORD or run in a terminal ({e})"
        ))
    })?);
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("repeat: ")
                .map_err(|e| ClientError::input(e.to_string()))?,
        );
        if again != p {
            return Err(ClientError::input("the passwords differ"));
        }
    }
    Ok(p)
}

/// The outcome of a contract message.
pub struct Exec<R> {
    /// What the dry-run returned (the message's `Ok` value).
    pub ret: R,
    /// The dry-run figures.
    pub dry: DryRun,
    /// The transaction, unless `--dry-run`.
    pub included: Option<Included>,
}

/// Dry-runs `msg` as the signer; refuses if it fails; asks (on a terminal) and submits
/// unless `--dry-run`.
pub async fn exec<R: Decode>(ctx: &mut Ctx, msg: Message<R>) -> Result<Exec<R>> {
    let signer = ctx.signer()?;
    let escrow = ctx.escrow().await?;
    let origin = keystore::address_of(&signer);
    let Dried { ret, dry } = escrow.dry_run(&origin, &msg).await?;
    let token = &escrow.chain().token;
    if !ctx.global.quiet {
        eprintln!(
            "dry-run {}: ok (gas ref_time {}, proof_size {}; storage deposit {})",
            msg.name,
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            deposit_text(&dry, token),
        );
    }
    if ctx.global.dry_run {
        return Ok(Exec {
            ret,
            dry,
            included: None,
        });
    }
    let sending = match msg.value {
        0 => String::new(),
        v => format!(", sending {}", token.format(v)),
    };
    prompt::confirm(
        &ctx.global,
        &format!(
            "call {} on {} as {origin}{sending}",
            msg.name,
            escrow.address()
        ),
    )?;
    let included = escrow.submit(&signer, msg, &dry, ctx.submit_opts()).await?;
    // For the report: the assets the events' amounts are in.
    ctx.learn_event_assets(&included.events).await;
    Ok(Exec {
        ret,
        dry,
        included: Some(included),
    })
}

/// Dry-runs a token call as the signer; refuses if the token refuses; asks (on a terminal,
/// saying `what`) and submits unless `--dry-run`. Like [`exec`], for a PSP22 token.
pub async fn exec_token(
    ctx: &mut Ctx,
    token: &Psp22,
    call: TokenCall,
    what: &str,
) -> Result<(DryRun, Option<Included>)> {
    let signer = ctx.signer()?;
    let origin = keystore::address_of(&signer);
    let dry = token.dry_run(&origin, &call).await?;
    let native = ctx.chain().await?.token.clone();
    if !ctx.global.quiet {
        eprintln!(
            "dry-run {} on the token {}: ok (gas ref_time {}, proof_size {}; storage deposit {})",
            call.name,
            token.address(),
            dry.gas_required.ref_time,
            dry.gas_required.proof_size,
            deposit_text(&dry, &native),
        );
    }
    if ctx.global.dry_run {
        return Ok((dry, None));
    }
    prompt::confirm(
        &ctx.global,
        &format!(
            "call {} on the token {} as {origin}: {what}",
            call.name,
            token.address()
        ),
    )?;
    let included = token.submit(&signer, call, &dry, ctx.submit_opts()).await?;
    Ok((dry, Some(included)))
}

/// "charge 0.01 UNIT" / "refund …".
pub fn deposit_text(dry: &DryRun, token: &units::Token) -> String {
    use escrow_client::contract::StorageDeposit;
    match dry.storage_deposit {
        StorageDeposit::Charge(c) => format!("charge {}", token.format(c)),
        StorageDeposit::Refund(r) => format!("refund {}", token.format(r)),
    }
}

/// Runs a parsed command line, writing results to `out`.
pub async fn run(cli: Cli, out: &mut impl std::io::Write) -> Result<()> {
    let mut ctx = Ctx::new(cli.global);
    match cli.command {
        Command::Deploy(a) => commands::deploy::run(a, &mut ctx, out).await,
        Command::Deal(d) => commands::run_deal(d, &mut ctx, out).await,
        Command::Withdraw(a) => commands::funds::withdraw(a, &mut ctx, out).await,
        Command::Events(a) => commands::events::run(a, &mut ctx, out).await,
        Command::Audit(a) => commands::audit::run(a, &mut ctx, out).await,
        Command::Account(a) => commands::account::run(a, &mut ctx, out).await,
        Command::Token(a) => commands::token::run(a, &mut ctx, out).await,
        Command::TxStatus(a) => commands::status::run(a, &mut ctx, out).await,
        Command::Oracle(c) => commands::oracle::run(c, &mut ctx, out).await,
        Command::Condition(a) => commands::condition::run(a, &mut ctx, out).await,
    }
}
