//! Reports: plots (SVG) of learning-rate experiments; summaries and terminal plots join later.

pub mod compare;
pub mod format;
pub mod html;
pub mod logs;
pub mod plot;
pub mod records;
