//! HTTP routes: thin handlers that parse, call one service and shape the answer.
//! Resources are registered with their methods so that a wrong method gets 405.

pub mod auth;
pub mod codes;
pub mod docs;
pub mod enterprises;
pub mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/openapi.yaml").route(web::get().to(docs::spec_yaml)))
        .service(docs::scalar())
        .service(
            web::scope("/auth")
                .service(web::resource("/login").route(web::post().to(auth::login)))
                .service(web::resource("/refresh").route(web::post().to(auth::refresh)))
                .service(web::resource("/logout").route(web::post().to(auth::logout)))
                .service(web::resource("/me").route(web::get().to(auth::me))),
        )
        .service(
            web::scope("/gov")
                .service(web::resource("/enterprises").route(web::get().to(enterprises::list)))
                .service(web::resource("/enterprises/{id}").route(web::get().to(enterprises::get))),
        )
        .service(web::scope("/mp").service(web::resource("/enterprise").route(web::get().to(enterprises::own))))
        .service(
            web::scope("/v1")
                .service(web::resource("/codes/crosswalk").route(web::post().to(codes::crosswalk)))
                .service(web::resource("/codes/{table}").route(web::get().to(codes::list))),
        );
}
