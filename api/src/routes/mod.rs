//! HTTP routes: thin handlers that parse, call one service and shape the answer.
//! Resources are registered with their methods so that a wrong method gets 405.

pub mod codes;
pub mod docs;
pub mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/openapi.yaml").route(web::get().to(docs::spec_yaml)))
        .service(docs::scalar())
        .service(
            web::scope("/v1")
                .service(web::resource("/codes/crosswalk").route(web::post().to(codes::crosswalk)))
                .service(web::resource("/codes/{table}").route(web::get().to(codes::list))),
        );
}
