//! Linear algebra under the network code: the matrix product with its swappable backends
//! (`gemm`, our own packed `sgemm`) and the thread team that splits large products and updates.
//! The lowest layer beside `data`: it imports nothing from the rest of the crate; the model
//! decides when its products are split.

pub mod gemm;
pub mod sgemm;
pub mod team;

pub use gemm::Backend as GemmBackend;
