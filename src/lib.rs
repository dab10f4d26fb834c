//! hoinghi: Vietnamese local-government meeting reports to Parquet tables.
//!
//! The pipeline is four stages with typed hand-offs:
//! [`ingest`] (files → [`model::SourceDocument`]) →
//! [`normalize`] (→ [`model::Normalized`]) →
//! [`extract`] (→ [`model::Extraction`]) →
//! [`aggregate`] (→ [`aggregate::Tables`]), then [`publish`] writes a snapshot.
//! [`vntext`] is the Vietnamese text toolkit the stages share.

pub mod aggregate;
pub mod config;
pub mod corpus;
pub mod error;
pub mod explain;
pub mod extract;
pub mod frame;
pub mod gazetteer;
pub mod html;
pub mod ingest;
pub mod lexicon;
pub mod lock;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod plan;
pub mod publish;
pub mod spill;
pub mod staging;
pub mod state;
pub mod vntext;

pub use error::{Error, Result};
