//! The reference of one request as its simulator reads it ([`Simulator::reference`]), handed
//! from the request log to the fault injector.
//!
//! [`Simulator::reference`]: super::simulator::Simulator::reference

/// The reference of one request, put in the request's extensions by the request log for the
/// fault injector.
#[derive(Debug, Clone)]
pub(crate) struct RequestReference(pub(crate) Option<String>);
