//! The committed OpenAPI document is the generated one, and the server serves it.

use zhicha_tests::{TestApp, both, workspace_dir};

const REGENERATE: &str = "cargo run -p zhicha-api -- openapi --out openapi.yaml";

#[test]
fn committed_spec_is_current() {
    let path = workspace_dir().join("openapi.yaml");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `{REGENERATE}`", path.display()));
    let generated = zhicha_api::http::docs::yaml();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| committed.lines().count().min(generated.lines().count()) + 1, |i| i + 1);
        panic!("openapi.yaml is out of date (first difference at line {line}); run `{REGENERATE}` and commit it");
    }
}

both!(served, async |app: &TestApp| {
    let res = app.client.get(app.url("/openapi.yaml")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/yaml"));
    assert_eq!(res.text().await.unwrap(), zhicha_api::http::docs::yaml());

    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(!res.text().await.unwrap().is_empty());
});
