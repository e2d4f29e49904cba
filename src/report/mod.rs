//! Reports: plots (SVG) of learning-rate experiments; summaries and terminal plots join later.

pub mod plot;
