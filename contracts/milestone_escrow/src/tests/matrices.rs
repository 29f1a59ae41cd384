//! Every milestone message against every milestone state, and every message against
//! every role.
use super::*;

/// Milestone states reachable for milestone 0 of a fresh deal, each with its setup.
fn milestone_states() -> Vec<(&'static str, fn(&mut T) -> DealId)> {
    vec![
        ("unfunded", |t| t.active(terms(), 0)),
        ("funded", |t| t.active(terms(), 1_000)),
        ("submitted", |t| {
            let id = t.active(terms(), 1_000);
            t.by(seller()).submit(id, 0, [0; 32]).unwrap();
            id
        }),
        ("disputed", |t| disputed(t, true)),
        ("released", |t| {
            let id = t.active(terms(), 1_000);
            t.by(buyer()).approve(id, 0).unwrap();
            id
        }),
        ("resolved", |t| {
            let id = disputed(t, true);
            t.by(arbiter()).resolve_dispute(id, 0, 10).unwrap();
            id
        }),
        ("refunded", |t| {
            let id = t.active(terms(), 1_000);
            t.by(seller()).propose_cancel(id).unwrap();
            t.by(buyer()).accept_cancel(id).unwrap();
            id
        }),
    ]
}

type Call = fn(&mut T, DealId) -> Result<(), Error>;

/// Every milestone message against every milestone state, each by its rightful caller:
/// the exact outcome, and unchanged state on every failure.
#[ink::test]
fn milestone_message_state_matrix() {
    use Error::*;
    use MilestoneStatus::*;
    let ws = |found| WrongMilestoneState { found };
    let closed = WrongDealState {
        found: DealStatus::Closed,
    };
    let calls: Vec<(&str, Call, [Result<(), Error>; 7])> = vec![
        (
            "submit",
            |t, id| t.by(seller()).submit(id, 0, [0; 32]),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Err(ws(Submitted)),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "approve",
            |t, id| t.by(buyer()).approve(id, 0),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "attest",
            |t, id| t.by(oracle1()).attest(id, 0),
            [
                Err(MilestoneNotFunded),
                Ok(()),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "dispute",
            |t, id| t.by(buyer()).dispute(id, 0, [0; 32]),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Ok(()),
                Err(ws(Disputed)),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "offer_settlement",
            |t, id| t.by(seller()).offer_settlement(id, 0, 1),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Err(ws(Submitted)),
                Ok(()),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(ws(Refunded)),
            ],
        ),
        (
            "resolve_dispute",
            |t, id| t.by(arbiter()).resolve_dispute(id, 0, 1),
            [
                Err(ws(Pending)),
                Err(ws(Pending)),
                Err(ws(Submitted)),
                Ok(()),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(ws(Refunded)),
            ],
        ),
        (
            "settle_milestone",
            |t, id| t.by(stranger()).settle_milestone(id, 0),
            [
                Err(ShipByNotPassed),
                Err(ShipByNotPassed),
                Err(ReviewWindowOpen),
                Err(ArbitrationWindowOpen),
                Err(ws(Released)),
                Err(ws(Resolved)),
                Err(closed),
            ],
        ),
        (
            "propose_amendment",
            |t, id| {
                t.by(buyer())
                    .propose_amendment(id, 1, SHIP_BY + 1)
                    .map(|_| ())
            },
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Err(closed)],
        ),
        (
            "propose_cancel",
            |t, id| t.by(buyer()).propose_cancel(id),
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Ok(()), Err(closed)],
        ),
    ];
    for (name, call, expected) in calls {
        for ((state, setup), want) in milestone_states().into_iter().zip(expected) {
            let mut t = T::new();
            let id = setup(&mut t);
            match want {
                Ok(()) => assert_eq!(call(&mut t, id), Ok(()), "{name} in {state}"),
                Err(e) => t.fails(e, |t| call(t, id)),
            }
            t.assert_books(id);
        }
    }
}

/// Who may call what: every state-changing message by every role, in a state where the
/// message is otherwise valid.
#[ink::test]
fn authorization_matrix() {
    use Error::*;
    #[derive(Clone, Copy)]
    enum Who {
        Buyer,
        Seller,
        Oracle,
        Arbiter,
        Stranger,
    }
    let account = |w: Who| match w {
        Who::Buyer => buyer(),
        Who::Seller => seller(),
        Who::Oracle => oracle1(),
        Who::Arbiter => arbiter(),
        Who::Stranger => stranger(),
    };
    let roles = [
        Who::Buyer,
        Who::Seller,
        Who::Oracle,
        Who::Arbiter,
        Who::Stranger,
    ];
    type Setup = fn(&mut T) -> DealId;
    type Act = fn(&mut T, DealId, AccountId) -> Result<(), Error>;
    let proposed: Setup = |t| t.propose(terms());
    let funded: Setup = |t| t.active(terms(), 1_000);
    let submitted: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller()).submit(id, 0, [0; 32]).unwrap();
        id
    };
    let disputed_: Setup = |t| disputed(t, true);
    let offered: Setup = |t| {
        let id = disputed(t, true);
        t.by(seller()).offer_settlement(id, 0, 100).unwrap();
        id
    };
    let cancel_proposed: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller()).propose_cancel(id).unwrap();
        id
    };
    let amended: Setup = |t| {
        let id = t.active(terms(), 1_000);
        t.by(seller())
            .propose_amendment(id, 1, SHIP_BY + 9)
            .unwrap();
        id
    };
    let rows: Vec<(&str, Setup, Act, [Result<(), Error>; 5])> = vec![
        (
            "withdraw_proposal",
            proposed,
            |t, id, w| t.by(w).withdraw_proposal(id),
            [
                Ok(()),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
                Err(CallerIsNotProposer),
            ],
        ),
        (
            "accept",
            proposed,
            |t, id, w| {
                let h = t.deal(id).terms_hash;
                t.by(w).accept(id, h)
            },
            [
                Err(CannotAcceptOwnProposal),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "submit",
            funded,
            |t, id, w| t.by(w).submit(id, 0, [0; 32]),
            [
                Err(CallerIsNotSeller),
                Ok(()),
                Err(CallerIsNotSeller),
                Err(CallerIsNotSeller),
                Err(CallerIsNotSeller),
            ],
        ),
        (
            "approve",
            submitted,
            |t, id, w| t.by(w).approve(id, 0),
            [
                Ok(()),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
            ],
        ),
        (
            "approve_through",
            submitted,
            |t, id, w| t.by(w).approve_through(id, 1).map(|_| ()),
            [
                Ok(()),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
                Err(CallerIsNotBuyer),
            ],
        ),
        (
            "attest",
            submitted,
            |t, id, w| t.by(w).attest(id, 0),
            [
                Err(CallerIsNotOracle),
                Err(CallerIsNotOracle),
                Ok(()),
                Err(CallerIsNotOracle),
                Err(CallerIsNotOracle),
            ],
        ),
        (
            "dispute",
            submitted,
            |t, id, w| t.by(w).dispute(id, 0, [0; 32]),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "offer_settlement",
            disputed_,
            |t, id, w| t.by(w).offer_settlement(id, 0, 5),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_settlement",
            offered,
            |t, id, w| t.by(w).accept_settlement(id, 0, 100),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "resolve_dispute",
            disputed_,
            |t, id, w| t.by(w).resolve_dispute(id, 0, 5),
            [
                Err(CallerIsNotArbiter),
                Err(CallerIsNotArbiter),
                Err(CallerIsNotArbiter),
                Ok(()),
                Err(CallerIsNotArbiter),
            ],
        ),
        (
            "settle_due",
            submitted,
            |t, id, w| {
                t.at(T0 + REVIEW + 1);
                t.by(w).settle_due(id).map(|_| ())
            },
            [Ok(()), Ok(()), Ok(()), Ok(()), Ok(())],
        ),
        (
            "propose_cancel",
            funded,
            |t, id, w| t.by(w).propose_cancel(id),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_cancel",
            cancel_proposed,
            |t, id, w| t.by(w).accept_cancel(id),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "propose_amendment",
            funded,
            |t, id, w| t.by(w).propose_amendment(id, 1, SHIP_BY + 9),
            [
                Ok(()),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "accept_amendment",
            amended,
            |t, id, w| t.by(w).accept_amendment(id, 1, SHIP_BY + 9),
            [
                Ok(()),
                Err(CannotAcceptOwnProposal),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "withdraw_amendment",
            amended,
            |t, id, w| t.by(w).withdraw_amendment(id, 1),
            [
                Err(CallerIsNotProposer),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
        (
            "assign",
            funded,
            |t, id, w| t.by(w).assign(id, 0, factor()).map(|_| ()),
            [
                Err(CallerIsNotPayee),
                Ok(()),
                Err(CallerIsNotPayee),
                Err(CallerIsNotPayee),
                Err(CallerIsNotPayee),
            ],
        ),
        (
            "withdraw_cancel",
            cancel_proposed,
            |t, id, w| t.by(w).withdraw_cancel(id),
            [
                Err(CallerIsNotProposer),
                Ok(()),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
                Err(CallerIsNotParty),
            ],
        ),
    ];
    let mut cells = 0;
    for (name, setup, act, expected) in rows {
        for (who, want) in roles.iter().zip(expected) {
            let mut t = T::new();
            let id = setup(&mut t);
            let caller = account(*who);
            match want {
                Ok(()) => assert_eq!(act(&mut t, id, caller), Ok(()), "{name}"),
                Err(e) => t.fails(e, |t| act(t, id, caller)),
            }
            cells += 1;
        }
    }
    // Funding is the buyer's (or a named funder's, tests::holes): checked separately, with
    // value, and in a token (each caller approved the escrow first).
    for who in roles {
        let mut t = T::new();
        let id = t.active(terms(), 0);
        let token_deal = t.token_active(usd(), terms(), 0);
        let caller = account(who);
        mock::approve(usd(), caller, test::callee::<E>(), 10);
        match who {
            Who::Buyer => {
                assert_eq!(t.paying(caller, 10).fund(id), Ok(()));
                assert_eq!(t.by(caller).fund_tokens(token_deal, 10), Ok(()));
            }
            _ => {
                t.fails(CallerIsNotFunder, |t| t.paying(caller, 10).fund(id));
                t.fails(CallerIsNotFunder, |t| {
                    t.by(caller).fund_tokens(token_deal, 10)
                });
            }
        }
        cells += 2;
    }
    assert_eq!(cells, 18 * 5 + 2 * 5);
}

/// Liveness: from a deal with every kind of milestone in flight, once every clock has run
/// out, a stranger alone brings locked funds to zero.
#[ink::test]
fn stranger_can_drain_every_deal_after_clocks() {
    let mut t = T::new();
    let mut terms = terms();
    terms.arbiter = None;
    terms.milestones.push(MilestoneTerms {
        amount: 50,
        terms_hash: [0; 32],
        ship_by: SHIP_BY,
    });
    let id = t.active(terms, 1_000);
    t.by(seller()).submit(id, 0, [0; 32]).unwrap();
    t.by(seller()).submit(id, 2, [0; 32]).unwrap();
    t.by(buyer()).dispute(id, 2, [0; 32]).unwrap();
    t.at(SHIP_BY + MAX_WINDOW_MS);
    assert_eq!(t.by(stranger()).settle_due(id), Ok(4));
    let v = t.c.deal(id).unwrap();
    assert_eq!((v.locked, v.deal.status), (0, DealStatus::Closed));
    assert_eq!(T::balance(test::callee::<E>()), 0);
    t.assert_books(id);
}
