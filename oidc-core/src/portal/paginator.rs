//! A pure paginator for the portal's list operations (`ListAccounts`,
//! `ListAccountRoles`): it decides which page to ask for next; the caller
//! sends the requests.
//!
//! Per `paginators-1.json`, both operations take `nextToken` and return
//! `nextToken`. The paginator sends the first request as given, then
//! resends it (same other members) with each page's token, and stops when a
//! page has no token (absent, `null` or empty). It never loops forever:
//!
//! * a page that returns a token already sent (the same one just sent, or
//!   any earlier one) ends the listing with
//!   [`PaginationError::RepeatedToken`];
//! * more than [`max_pages`](Paginator::with_max_pages) pages (default
//!   [`DEFAULT_MAX_PAGES`]) end it with [`PaginationError::PageLimit`].
//!
//! In both cases the items of every page handled so far were returned;
//! only the pages that were never fetched are missing, and the error says
//! so.
//!
//! ```
//! use oidc_core::secret::AccessToken;
//! use oidc_core::portal::list_accounts::{self, ListAccountsInput};
//! use oidc_core::portal::paginator::Paginator;
//!
//! // A canned service: three pages.
//! let service = |input: &ListAccountsInput| {
//!     let body = match input.next_token.as_deref() {
//!         None => r#"{"nextToken":"p2","accountList":[{"accountId":"111111111111"}]}"#,
//!         Some("p2") => r#"{"nextToken":"p3","accountList":[{"accountId":"222222222222"}]}"#,
//!         Some("p3") => r#"{"nextToken":"","accountList":[{"accountId":"333333333333"}]}"#,
//!         Some(_) => unreachable!(),
//!     };
//!     http::Response::builder().status(200).body(body).unwrap()
//! };
//!
//! let mut pages = Paginator::new(ListAccountsInput::new(AccessToken::new("aoal-x")).with_max_results(100));
//! let mut accounts = Vec::new();
//! while let Some(input) = pages.next_input()? {
//!     // Build `input.request(&endpoint)` and send it; here, the canned service answers.
//!     let output = list_accounts::parse(&service(&input))?;
//!     accounts.extend(pages.handle_page(output)?);
//! }
//! let ids: Vec<_> = accounts.iter().map(|a| a.account_id.as_str()).collect();
//! assert_eq!(ids, ["111111111111", "222222222222", "333333333333"]);
//! assert_eq!(pages.pages(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;

use super::list_account_roles::{ListAccountRolesInput, ListAccountRolesOutput, RoleInfo};
use super::list_accounts::{AccountInfo, ListAccountsInput, ListAccountsOutput};
use crate::operation::Operation;

/// The page cap of [`Paginator::new`]: 1000 pages (100 000 items at
/// `maxResults` 100).
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// A paginated operation: its input carries a page token, its output one
/// page of items and the next token.
pub trait Paginated: Operation + Clone {
    /// One item of a page (an account, a role).
    type Item;

    /// The input's `nextToken`.
    fn next_token(&self) -> Option<&str>;

    /// Sets the input's `nextToken`.
    fn set_next_token(&mut self, token: Option<String>);

    /// Splits a page into its `nextToken` and its items.
    fn into_page(output: Self::Output) -> (Option<String>, Vec<Self::Item>);
}

impl Paginated for ListAccountsInput {
    type Item = AccountInfo;

    fn next_token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }

    fn set_next_token(&mut self, token: Option<String>) {
        self.next_token = token;
    }

    fn into_page(output: ListAccountsOutput) -> (Option<String>, Vec<AccountInfo>) {
        (output.next_token, output.account_list)
    }
}

impl Paginated for ListAccountRolesInput {
    type Item = RoleInfo;

    fn next_token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }

    fn set_next_token(&mut self, token: Option<String>) {
        self.next_token = token;
    }

    fn into_page(output: ListAccountRolesOutput) -> (Option<String>, Vec<RoleInfo>) {
        (output.next_token, output.role_list)
    }
}

/// Why a listing stopped before the service said it was complete, or how
/// the paginator was misused. Never contains a page token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// The service answered page `page` with a `nextToken` that was
    /// already sent; following it would loop forever. The listing is
    /// incomplete.
    #[error("{operation}: page {page} returned a page token that was already sent; stopping to avoid an endless loop (the listing is incomplete)")]
    RepeatedToken {
        /// The operation being paginated.
        operation: &'static str,
        /// The 1-based number of the page that repeated a token.
        page: u32,
    },
    /// `max_pages` pages were handled and the service still had more. The
    /// listing is incomplete.
    #[error("{operation}: more than {max_pages} pages; stopping (the listing is incomplete)")]
    PageLimit {
        /// The operation being paginated.
        operation: &'static str,
        /// The configured cap.
        max_pages: u32,
    },
    /// [`Paginator::handle_page`] was called while no request was
    /// outstanding (call [`Paginator::next_input`] and send its input
    /// first).
    #[error("{operation}: a page was handled while no request was outstanding; call next_input() and send its input first")]
    UnexpectedPage {
        /// The operation being paginated.
        operation: &'static str,
    },
}

#[derive(Debug, Clone)]
enum State {
    /// The next request carries this token (`None`: the first page).
    Ready(Option<String>),
    /// A request with this token is outstanding.
    Waiting(Option<String>),
    /// The last page was handled.
    Done,
    /// Stopped before the end.
    Failed(PaginationError),
}

/// Follows `nextToken` through the pages of a [`Paginated`] operation.
/// Pure: it hands out inputs and takes outputs; the caller sends.
///
/// `Debug` shows the input (never its access token) and the state.
#[derive(Debug, Clone)]
pub struct Paginator<I> {
    input: I,
    state: State,
    pages: u32,
    max_pages: u32,
    sent: HashSet<String>,
}

impl<I: Paginated> Paginator<I> {
    /// A paginator starting at `input` (its `nextToken`, when set, is where
    /// the listing resumes), capped at [`DEFAULT_MAX_PAGES`].
    pub fn new(input: I) -> Self {
        let first = input
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Paginator {
            input,
            state: State::Ready(first),
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            sent: HashSet::new(),
        }
    }

    /// Sets the page cap (at least 1; 0 counts as 1).
    #[must_use]
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The page cap.
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }

    /// The number of pages handled so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// True once the last page was handled or the listing stopped.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Done | State::Failed(_))
    }

    /// The input of the next request to send: `Ok(None)` when the listing
    /// is complete. Until its page is handled, calling this again returns
    /// the same input (to retry a failed send).
    ///
    /// # Errors
    ///
    /// [`PaginationError::RepeatedToken`] or [`PaginationError::PageLimit`]
    /// when the listing stopped before the end (every later call returns
    /// the same error).
    pub fn next_input(&mut self) -> Result<Option<I>, PaginationError> {
        let token = match &self.state {
            State::Done => return Ok(None),
            State::Failed(e) => return Err(e.clone()),
            State::Waiting(token) => token.clone(),
            State::Ready(token) => {
                if self.pages >= self.max_pages {
                    let e = PaginationError::PageLimit {
                        operation: I::NAME,
                        max_pages: self.max_pages,
                    };
                    self.state = State::Failed(e.clone());
                    return Err(e);
                }
                let token = token.clone();
                if let Some(t) = &token {
                    self.sent.insert(t.clone());
                }
                self.state = State::Waiting(token.clone());
                token
            }
        };
        let mut input = self.input.clone();
        input.set_next_token(token);
        Ok(Some(input))
    }

    /// Takes the output of the outstanding request and returns its items.
    /// Records the next token: none (absent, `null` or empty) completes the
    /// listing; one already sent stops it (the next
    /// [`next_input`](Self::next_input) reports
    /// [`PaginationError::RepeatedToken`]). The items are returned either
    /// way.
    ///
    /// # Errors
    ///
    /// [`PaginationError::UnexpectedPage`] when no request is outstanding;
    /// the paginator is unchanged.
    pub fn handle_page(&mut self, output: I::Output) -> Result<Vec<I::Item>, PaginationError> {
        if !matches!(self.state, State::Waiting(_)) {
            return Err(PaginationError::UnexpectedPage { operation: I::NAME });
        }
        self.pages = self.pages.saturating_add(1);
        let (next, items) = I::into_page(output);
        self.state = match next.filter(|t| !t.is_empty()) {
            None => State::Done,
            Some(t) if self.sent.contains(&t) => State::Failed(PaginationError::RepeatedToken {
                operation: I::NAME,
                page: self.pages,
            }),
            Some(t) => State::Ready(Some(t)),
        };
        Ok(items)
    }
}
