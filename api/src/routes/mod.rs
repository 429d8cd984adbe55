//! HTTP routes: thin handlers that parse, call one service and shape the answer.

pub mod codes;
pub mod docs;
pub mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(docs::spec_yaml)
        .service(docs::scalar())
        .service(web::scope("/v1").service(codes::list).service(codes::crosswalk));
}
