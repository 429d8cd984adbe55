//! Small helpers shared by the test modules.

use reqwest::Response;
use serde_json::Value;

/// Status, the `x-request-id` header and the JSON body of a response.
pub async fn json(res: Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let text = res.text().await.expect("response body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, id, body)
}

/// Checks the error shape `{"error":{"code","message","details","request_id"}}`, the
/// status and the code, and that `request_id` is the `x-request-id` header; returns
/// the `error` object.
pub async fn error(res: Response, status: u16, code: &str) -> Value {
    let (got, id, body) = json(res).await;
    assert_eq!(got, status, "status; body {body}");
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert_eq!(obj.len(), 1, "only `error` at the top level: {body}");
    let e = &body["error"];
    let keys: Vec<&str> =
        e.as_object().unwrap_or_else(|| panic!("no error object: {body}")).keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "error has exactly code, message, details, request_id: {body}");
    assert_eq!(e["code"], code, "{body}");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "message: {body}");
    assert!(e["details"].is_object(), "details: {body}");
    assert!(!id.is_empty(), "x-request-id header missing");
    assert_eq!(e["request_id"], id.as_str(), "request_id equals the header: {body}");
    e.clone()
}
