//! tipdex's integration tests: one binary, one harness ([`harness`]), a module per
//! concern. Each test runs the real `tipdex` executable in a fresh temporary directory
//! (or a server it starts on port 0), as a user would.

mod harness;

mod cli;
mod corpus_file;
mod documents;
mod domain;
mod hardening;
mod hardening_http;
mod load;
mod meili_admin;
mod meili_params;
mod query_properties;
mod quickwit;
mod relevance;
mod reliability;
mod reliability_http;
mod reliability_props;
mod sections_cmd;
mod server;
mod server_browser;
mod server_filter;
mod server_meili_js;
mod server_meili_py;
mod server_reload;
mod sorting;
mod understanding;
