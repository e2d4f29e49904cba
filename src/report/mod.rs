//! Reports: typed run records (`records`, serde both ways; CSV logs read by header in `logs`),
//! SVG plots, the HTML pages, the find-lr and compare reports, number formatting.

pub mod compare;
pub mod find_lr;
pub mod format;
pub mod html;
pub mod logs;
pub mod plot;
pub mod records;
