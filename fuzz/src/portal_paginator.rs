//! Fuzz target `portal_paginator`: a `Paginator` over scripted pages.

use oidc_core::Error;

/// The access token the paginator target lists with; it never shows in
/// `Debug` output.
const PORTAL_TOKEN: &str = "aoal-fuzz-paginator-token-5c1d9e";

/// The page cap when the input names none (an input may name up to 200).
const FUZZ_MAX_PAGES: u32 = 16;

/// Drives a [`Paginator`](oidc_core::portal::paginator::Paginator) over a
/// scripted sequence of pages.
///
/// Input: lines. The first line: `roles` (ListAccountRoles, else
/// ListAccounts) and optionally the page cap (a number; capped at 200;
/// 16 otherwise: the library's default of 1,000 pages would make every
/// input a thousand parses, and is covered by the unit tests; a cap of 16
/// exercises the limit as well as 64 did at a quarter of the cost, and the
/// fuzzer still reaches larger caps through the header) and `retry` (call `next_input` twice per
/// page). Each further line is one page, served in order, the last one
/// again and again: `-` for no `nextToken`, `*` for a fresh token
/// (`t<page>`), a line starting with `{` is the raw JSON body, anything
/// else is the `nextToken` itself. Every page holds one item.
///
/// Invariants: the listing ends (done, `RepeatedToken` or `PageLimit`, or
/// a page that does not parse) within the cap; no more pages than the cap
/// are requested; a token is never sent twice; the first page carries no
/// token; every item handed over is returned; once ended, `next_input`
/// keeps answering the same and `handle_page` is refused with
/// `UnexpectedPage`; `Debug` never shows the access token.
pub fn portal_paginator(data: &[u8]) {
    use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
    use oidc_core::portal::list_accounts::{self, ListAccountsInput};
    use oidc_core::portal::paginator::Paginator;
    use oidc_core::secret::AccessToken;
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let pages: Vec<&str> = lines.collect();
    let roles = header.split_whitespace().any(|w| w == "roles");
    let retry = header.split_whitespace().any(|w| w == "retry");
    let cap = header
        .split_whitespace()
        .find_map(|w| w.parse::<u32>().ok())
        .map(|n| n.min(200));
    let script = PageScript {
        pages,
        retry,
        max_pages: cap.map_or(FUZZ_MAX_PAGES, |n| n.max(1)),
    };
    if roles {
        let mut p = Paginator::new(ListAccountRolesInput::new(
            AccessToken::new(PORTAL_TOKEN),
            "123456789012",
        ));
        p = p.with_max_pages(cap.unwrap_or(FUZZ_MAX_PAGES));
        script.drive(
            p,
            |b| list_account_roles::parse(&b),
            |i, token| {
                format!(
                    r#"{{"roleList":[{{"roleName":"role{i}","accountId":"123456789012"}}]{}}}"#,
                    next_token_member(token)
                )
            },
        );
    } else {
        let mut p = Paginator::new(ListAccountsInput::new(AccessToken::new(PORTAL_TOKEN)));
        p = p.with_max_pages(cap.unwrap_or(FUZZ_MAX_PAGES));
        script.drive(
            p,
            |b| list_accounts::parse(&b),
            |i, token| {
                format!(
                    r#"{{"accountList":[{{"accountId":"{i:012}"}}]{}}}"#,
                    next_token_member(token)
                )
            },
        );
    }
}

/// `,"nextToken":<token as a JSON string>`, or nothing.
fn next_token_member(token: Option<&str>) -> String {
    token.map_or_else(String::new, |t| {
        format!(
            ",\"nextToken\":{}",
            serde_json::to_string(t).expect("a string serialises")
        )
    })
}

/// A portal list parser, taking the response by value.
type PageParse<O> = fn(http::Response<Vec<u8>>) -> Result<O, Error>;

struct PageScript<'a> {
    pages: Vec<&'a str>,
    retry: bool,
    max_pages: u32,
}

impl PageScript<'_> {
    fn drive<I>(
        &self,
        mut p: oidc_core::portal::paginator::Paginator<I>,
        parse: PageParse<I::Output>,
        body: fn(usize, Option<&str>) -> String,
    ) where
        I: oidc_core::portal::paginator::Paginated + std::fmt::Debug,
        I::Item: std::fmt::Debug,
        I::Output: Clone,
    {
        use oidc_core::portal::paginator::PaginationError;
        assert_eq!(p.max_pages(), self.max_pages);
        // A set: the check stays linear over a 1,000-page listing.
        let mut sent: std::collections::HashSet<Option<String>> = Default::default();
        let mut items = 0usize;
        let mut ended = false;
        // One more round than the cap: the last must end the listing.
        let check_debug = |p: &oidc_core::portal::paginator::Paginator<I>| {
            let shown = format!("{p:?}");
            assert!(
                !shown.contains(PORTAL_TOKEN),
                "Debug shows the access token"
            );
        };
        for round in 0..=self.max_pages as usize + 1 {
            // `Debug` grows with the tokens seen: checked on the first
            // rounds and every 64th (and at the end), not on every one of
            // up to 1,000, which made an input quadratic.
            if round < 4 || round % 64 == 0 {
                check_debug(&p);
            }
            let input = match p.next_input() {
                Ok(Some(input)) => input,
                Ok(None) | Err(PaginationError::RepeatedToken { .. }) => {
                    ended = true;
                    break;
                }
                Err(PaginationError::PageLimit { max_pages, .. }) => {
                    assert_eq!(max_pages, self.max_pages);
                    assert_eq!(p.pages(), self.max_pages, "page limit before the cap");
                    ended = true;
                    break;
                }
                Err(other) => panic!("next_input failed with {other:?}"),
            };
            assert!(
                round < self.max_pages as usize,
                "page {} requested over the cap {}",
                round + 1,
                self.max_pages
            );
            if self.retry {
                let again = p.next_input().expect("a retry of the same page");
                assert_eq!(
                    again.as_ref().and_then(|i| i.next_token()),
                    input.next_token(),
                    "a retry changed the token"
                );
            }
            let token = input.next_token().map(str::to_owned);
            if round == 0 {
                assert_eq!(token, None, "the first page carries a token");
            } else {
                assert!(token.is_some(), "a later page without a token");
            }
            assert!(sent.insert(token.clone()), "token {token:?} sent twice");
            let line = self
                .pages
                .get(round)
                .or(self.pages.last())
                .copied()
                .unwrap_or("-");
            let text = if line.starts_with('{') {
                line.to_owned()
            } else {
                let fresh = format!("t{round}");
                let next = match line {
                    "-" => None,
                    "*" => Some(fresh.as_str()),
                    other => Some(other),
                };
                body(round, next)
            };
            let Ok(output) = parse(http::Response::new(text.into_bytes())) else {
                // A caller stops at an unparsable page.
                ended = true;
                break;
            };
            let (_, page_items) = I::into_page(output.clone());
            let returned = p
                .handle_page(output.clone())
                .expect("a page was outstanding");
            assert_eq!(
                format!("{returned:?}"),
                format!("{page_items:?}"),
                "the items of a page changed"
            );
            items += returned.len();
            assert_eq!(p.pages() as usize, round + 1);
            assert!(
                matches!(
                    p.handle_page(output),
                    Err(PaginationError::UnexpectedPage { .. })
                ),
                "a second page for one request was accepted"
            );
        }
        assert!(
            ended,
            "the listing did not end within {} pages",
            self.max_pages
        );
        check_debug(&p);
        let _ = items;
        if p.is_finished() {
            let a = p.next_input();
            let b = p.next_input();
            assert_eq!(
                a.map(|i| i.is_some()),
                b.map(|i| i.is_some()),
                "an ended listing changed its answer"
            );
        }
        assert!(p.pages() <= self.max_pages);
    }
}
