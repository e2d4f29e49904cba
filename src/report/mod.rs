//! Reports: plots (SVG) of learning-rate experiments; summaries and terminal plots join later.

pub mod compare;
pub mod find_lr;
pub mod html;
pub mod plot;
