//! `/ui` on a team gateway: the usage page, for the operator alone.
//!
//! A browser cannot send the serve token as a header, so these routes are
//! answered before the token is asked for: without credentials `GET /ui`
//! is the sign-in form (no figures), `POST /ui/login` checks the token
//! from the form and sets a cookie derived from it, `POST /ui/logout`
//! clears it. The figures go only to the token, as a header or as that
//! cookie; a member's key gets 403. The pages fetch nothing and run no
//! script (see `gateway::ui::html::CSP`).

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::gateway::ui::{data, html, render, session};
use crate::proxy::auth::presented;
use crate::proxy::body::{Body, InBody, error_response, full};
use crate::proxy::error::ProxyError;
use crate::proxy::gate::admit;
use crate::proxy::state::State;
use crate::t;

/// Whether `path` is one of the page's routes, on a gateway (a plain
/// `serve` has no page: its `/ui` stays behind the token, a 404).
pub fn is_ui(state: &State, path: &str) -> bool {
    state.cfg.gateway.is_some()
        && matches!(
            path.trim_end_matches('/'),
            "/ui" | "/ui/login" | "/ui/logout"
        )
}

pub async fn handle(state: &Arc<State>, req: Request<impl InBody>) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    match (req.method().clone(), path.as_str()) {
        (Method::GET | Method::HEAD, "/ui") => page(state, &req).await,
        (Method::POST, "/ui/login") => login(state, req).await,
        (Method::POST, "/ui/logout") => see_other(&session::clear_cookie(state.cfg.tls.is_some())),
        (method, path) => {
            let mut r = error_response(
                ProxyError::NotFound(t!("proxy.no_route", method = method, path = path)),
                &state.cfg.redactor,
            );
            *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            r
        }
    }
}

/// The page for the operator, the sign-in form for a browser without the
/// cookie, a refusal for anything else.
async fn page<B>(state: &Arc<State>, req: &Request<B>) -> Response<Body> {
    let headers = req.headers();
    if presented(headers).next().is_some() {
        match admit(state, headers).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                return error_response(
                    ProxyError::Forbidden(t!("ui.forbidden")),
                    &state.cfg.redactor,
                );
            }
            Err(e) => return refused(state, e),
        }
    } else if !session::signed_in(headers, &state.ui_cookie) {
        return html_response(StatusCode::OK, html::login(false));
    }
    let days = session::days(req.uri().query());
    match snapshot(state, days).await {
        Ok(s) => html_response(StatusCode::OK, render::page(&s)),
        Err(why) => {
            let why = state.cfg.redactor.redact(&why).into_owned();
            html_response(
                StatusCode::SERVICE_UNAVAILABLE,
                html::problem(&t!("ui.unavailable", error = why)),
            )
        }
    }
}

/// The figures, from the gateway's store: shared by every replica, so
/// the page is the same whichever one answers.
async fn snapshot(state: &State, days: u32) -> Result<data::Snapshot, String> {
    let Some(g) = &state.cfg.gateway else {
        return Ok(data::Snapshot {
            days,
            ..data::Snapshot::default()
        });
    };
    data::load(g.store(), SystemTime::now(), days)
        .await
        .map_err(|e| e.to_string())
}

/// `POST /ui/login`: the token from the form, compared in constant time.
async fn login(state: &Arc<State>, req: Request<impl InBody>) -> Response<Body> {
    // A body too large or broken reads as no token.
    let body = match Limited::new(req.into_body(), session::MAX_FORM)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let given = session::form_token(&body).unwrap_or_default();
    let want = state.cfg.token.expose_secret().as_bytes();
    if bool::from(given.as_bytes().ct_eq(want)) {
        return see_other(&session::set_cookie(
            &state.ui_cookie,
            state.cfg.tls.is_some(),
        ));
    }
    state.log(&t!("proxy.ui_login_refused"));
    let mut r = html_response(StatusCode::UNAUTHORIZED, html::login(true));
    // As for a wrong token anywhere: nothing more from this connection.
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A refused header credential, as every other route answers it.
fn refused(state: &State, e: ProxyError) -> Response<Body> {
    let unknown = matches!(e, ProxyError::Unauthorized(_));
    let mut r = error_response(e, &state.cfg.redactor);
    if unknown {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// 303 to the page, setting `cookie`: the browser then asks for the page
/// with a GET, so reloading it never posts the token again.
fn see_other(cookie: &str) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::SEE_OTHER;
    let h = r.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_static("/ui"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    r
}

fn html_response(status: StatusCode, page: String) -> Response<Body> {
    let mut r = Response::new(full(page));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(html::CONTENT_TYPE),
    );
    for (name, value) in html::HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}
