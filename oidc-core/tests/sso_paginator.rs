//! The portal paginator over canned pages: several pages, an empty last
//! token, a repeated token, a cycle, the page cap, resuming and misuse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
use oidc_core::portal::list_accounts::{self, AccountInfo, ListAccountsInput};
use oidc_core::portal::paginator::{PaginationError, Paginator, DEFAULT_MAX_PAGES};
use oidc_core::secret::AccessToken;

const TOKEN: &str = "aoal-paginator-token";

fn ok(body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// A canned ListAccounts service: page token (`""` for the first page) →
/// body. Records the tokens it was sent.
struct Accounts {
    pages: HashMap<&'static str, String>,
    sent: Vec<Option<String>>,
}

impl Accounts {
    fn new(pages: &[(&'static str, Option<&str>, &[&str])]) -> Self {
        let pages = pages
            .iter()
            .map(|(token, next, ids)| {
                let list: Vec<_> = ids
                    .iter()
                    .map(|id| serde_json::json!({ "accountId": format!("{id:0>12}"), "accountName": format!("n{id}") }))
                    .collect();
                let mut body = serde_json::json!({ "accountList": list });
                if let Some(next) = next {
                    body["nextToken"] = serde_json::Value::from(*next);
                }
                (*token, body.to_string())
            })
            .collect();
        Accounts {
            pages,
            sent: Vec::new(),
        }
    }

    fn answer(&mut self, input: &ListAccountsInput) -> list_accounts::ListAccountsOutput {
        // Every request is well-formed, and keeps the other members.
        let request = list_accounts::request(
            input,
            &oidc_core::endpoint::Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(input.max_results, Some(2));
        assert!(request.uri().query().unwrap().contains("max_result=2"));
        self.sent.push(input.next_token.clone());
        let key = input.next_token.as_deref().unwrap_or("");
        let body = self
            .pages
            .get(key)
            .unwrap_or_else(|| panic!("no page {key}"));
        list_accounts::parse(&ok(body)).unwrap()
    }
}

fn run(
    service: &mut Accounts,
    mut pages: Paginator<ListAccountsInput>,
) -> (Vec<String>, Result<(), PaginationError>, u32) {
    let mut ids = Vec::new();
    let outcome = loop {
        match pages.next_input() {
            Ok(Some(input)) => {
                let output = service.answer(&input);
                let items: Vec<AccountInfo> = pages.handle_page(output).unwrap();
                // The ids are 12 digits on the wire: compared without the zeros.
                ids.extend(
                    items
                        .into_iter()
                        .map(|a| a.account_id.trim_start_matches('0').to_owned()),
                );
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
        assert!(service.sent.len() < 100, "the paginator loops");
    };
    (ids, outcome, pages.pages())
}

fn first() -> ListAccountsInput {
    ListAccountsInput::new(AccessToken::new(TOKEN)).with_max_results(2)
}

#[test]
fn three_pages_then_absent_token() {
    let mut service = Accounts::new(&[
        ("", Some("t2"), &["1", "2"]),
        ("t2", Some("t3"), &["3", "4"]),
        ("t3", None, &["5"]),
    ]);
    let mut pages = Paginator::new(first());
    assert!(!pages.is_finished());
    let (ids, outcome, count) = run(&mut service, pages.clone());
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(outcome, Ok(()));
    assert_eq!(count, 3);
    assert_eq!(
        service.sent,
        [None, Some("t2".to_owned()), Some("t3".to_owned())]
    );
    // Drive the clone by hand to check the finished state.
    let mut service = Accounts::new(&[("", None, &["1"])]);
    let input = pages.next_input().unwrap().unwrap();
    pages.handle_page(service.answer(&input)).unwrap();
    assert!(pages.is_finished());
    assert!(pages.next_input().unwrap().is_none());
}

#[test]
fn empty_or_null_last_token_ends_the_listing() {
    for last in [Some(""), None] {
        let mut service = Accounts::new(&[("", Some("t2"), &["1"]), ("t2", last, &["2"])]);
        let (ids, outcome, count) = run(&mut service, Paginator::new(first()));
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(outcome, Ok(()));
        assert_eq!(count, 2);
    }
    // A JSON null token too.
    let mut pages = Paginator::new(ListAccountRolesInput::new(TOKEN, "1"));
    let input = pages.next_input().unwrap().unwrap();
    assert_eq!(input.next_token, None);
    let output = list_account_roles::parse(&ok(
        r#"{"nextToken":null,"roleList":[{"roleName":"R","accountId":"000000000001"}]}"#,
    ))
    .unwrap();
    let roles = pages.handle_page(output).unwrap();
    assert_eq!(roles.len(), 1);
    assert!(pages.next_input().unwrap().is_none());
}

#[test]
fn a_repeated_token_is_an_error_not_a_loop() {
    // The service answers t2 with t2 again.
    let mut service = Accounts::new(&[("", Some("t2"), &["1"]), ("t2", Some("t2"), &["2"])]);
    let (ids, outcome, count) = run(&mut service, Paginator::new(first()));
    // The items of both pages were delivered before the stop.
    assert_eq!(ids, ["1", "2"]);
    assert_eq!(
        outcome,
        Err(PaginationError::RepeatedToken {
            operation: "ListAccounts",
            page: 2
        })
    );
    assert_eq!(count, 2);
    assert_eq!(service.sent.len(), 2);
}

#[test]
fn a_token_cycle_is_an_error_not_a_loop() {
    let mut service = Accounts::new(&[
        ("", Some("a"), &["1"]),
        ("a", Some("b"), &["2"]),
        ("b", Some("a"), &["3"]),
    ]);
    let (ids, outcome, _) = run(&mut service, Paginator::new(first()));
    assert_eq!(ids, ["1", "2", "3"]);
    let err = outcome.unwrap_err();
    assert!(matches!(
        err,
        PaginationError::RepeatedToken { page: 3, .. }
    ));
    assert!(err.to_string().contains("ListAccounts"), "{err}");
    assert!(!err.to_string().contains("\"a\""));
}

#[test]
fn the_page_cap_stops_an_endless_service() {
    // Tokens that never repeat: t1 → t2 → ... (served from a generated map).
    let mut table: Vec<(&'static str, Option<&str>, &[&str])> = Vec::new();
    let names: Vec<&'static str> = (0..20)
        .map(|i| &*Box::leak(format!("t{i}").into_boxed_str()))
        .collect();
    table.push(("", Some(names[1]), &["7"]));
    for i in 1..19 {
        table.push((names[i], Some(names[i + 1]), &["7"]));
    }
    let mut service = Accounts::new(&table);
    let (ids, outcome, count) = run(&mut service, Paginator::new(first()).with_max_pages(5));
    assert_eq!(ids.len(), 5);
    assert_eq!(count, 5);
    assert_eq!(
        outcome,
        Err(PaginationError::PageLimit {
            operation: "ListAccounts",
            max_pages: 5
        })
    );
    // Exactly at the cap with no more pages is fine.
    let mut service = Accounts::new(&[("", Some("t2"), &["1"]), ("t2", None, &["2"])]);
    let (_, outcome, _) = run(&mut service, Paginator::new(first()).with_max_pages(2));
    assert_eq!(outcome, Ok(()));
    assert_eq!(Paginator::new(first()).max_pages(), DEFAULT_MAX_PAGES);
    assert_eq!(Paginator::new(first()).with_max_pages(0).max_pages(), 1);
}

#[test]
fn errors_are_sticky() {
    let mut service = Accounts::new(&[("", Some(""), &[])]);
    let mut pages = Paginator::new(first()).with_max_pages(1);
    let input = pages.next_input().unwrap().unwrap();
    pages.handle_page(service.answer(&input)).unwrap();
    assert!(pages.next_input().unwrap().is_none());

    let mut service = Accounts::new(&[("", Some("t"), &[])]);
    let mut pages = Paginator::new(first()).with_max_pages(1);
    let input = pages.next_input().unwrap().unwrap();
    pages.handle_page(service.answer(&input)).unwrap();
    let e1 = pages.next_input().unwrap_err();
    let e2 = pages.next_input().unwrap_err();
    assert_eq!(e1, e2);
    assert!(pages.is_finished());
}

#[test]
fn resumes_from_the_input_token_and_retries_the_outstanding_input() {
    let mut service = Accounts::new(&[("t2", Some("t3"), &["3"]), ("t3", None, &["4"])]);
    let mut pages = Paginator::new(first().with_next_token("t2"));
    let a = pages.next_input().unwrap().unwrap();
    // Not handled yet: the same input again (a retry after a failed send).
    let b = pages.next_input().unwrap().unwrap();
    assert_eq!(a.next_token.as_deref(), Some("t2"));
    assert_eq!(b.next_token, a.next_token);
    let items = pages.handle_page(service.answer(&b)).unwrap();
    assert_eq!(items[0].account_id, "000000000003");
    let c = pages.next_input().unwrap().unwrap();
    assert_eq!(c.next_token.as_deref(), Some("t3"));
    pages.handle_page(service.answer(&c)).unwrap();
    assert!(pages.next_input().unwrap().is_none());
}

#[test]
fn a_resumed_token_returned_again_is_a_repeat() {
    let mut service = Accounts::new(&[("t2", Some("t2"), &["3"])]);
    let (_, outcome, _) = run(&mut service, Paginator::new(first().with_next_token("t2")));
    assert!(matches!(
        outcome,
        Err(PaginationError::RepeatedToken { page: 1, .. })
    ));
}

#[test]
fn a_page_without_an_outstanding_request_is_misuse() {
    let mut pages = Paginator::new(ListAccountRolesInput::new(TOKEN, "1"));
    let output = list_account_roles::parse(&ok(r#"{"roleList":[]}"#)).unwrap();
    assert_eq!(
        pages.handle_page(output.clone()),
        Err(PaginationError::UnexpectedPage {
            operation: "ListAccountRoles"
        })
    );
    // Unchanged: the first input is still handed out.
    let input = pages.next_input().unwrap().unwrap();
    assert_eq!(input.account_id, "1");
    pages.handle_page(output.clone()).unwrap();
    assert!(pages.handle_page(output).is_err());
}

#[test]
fn roles_paginate_with_the_other_members_kept() {
    let bodies: HashMap<Option<&str>, &str> = [
        (
            None,
            r#"{"nextToken":"r2","roleList":[{"roleName":"A","accountId":"000000000009"}]}"#,
        ),
        (
            Some("r2"),
            r#"{"nextToken":"r3","roleList":[{"roleName":"B","accountId":"000000000009"}]}"#,
        ),
        (
            Some("r3"),
            r#"{"roleList":[{"roleName":"C","accountId":"000000000009"}]}"#,
        ),
    ]
    .into_iter()
    .collect();
    let mut pages = Paginator::new(ListAccountRolesInput::new(TOKEN, "9").with_max_results(1));
    let mut names = Vec::new();
    while let Some(input) = pages.next_input().unwrap() {
        assert_eq!(input.account_id, "9");
        assert_eq!(input.max_results, Some(1));
        assert_eq!(input.access_token.secret(), TOKEN);
        let body = bodies[&input.next_token.as_deref()];
        let output = list_account_roles::parse(&ok(body)).unwrap();
        names.extend(
            pages
                .handle_page(output)
                .unwrap()
                .into_iter()
                .map(|r| r.role_name),
        );
    }
    assert_eq!(names, ["A", "B", "C"]);
    assert_eq!(pages.pages(), 3);
    // The paginator's Debug does not show the access token.
    assert!(!format!("{pages:?}").contains(TOKEN));
}
