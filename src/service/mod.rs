//! Every business operation lives here. The REST and GraphQL adapters parse input into
//! domain types, call one of these functions and map the result; they never touch `db/`.

pub mod audit;
pub mod consent;
pub mod login;
pub mod maintenance;
pub mod orgs;
pub mod users;
