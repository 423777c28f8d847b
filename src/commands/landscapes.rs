//! `simsgd landscapes`: the landscapes the command line offers.

use crate::error::Result;
use crate::landscape::AnyLandscape;
use crate::report::landscapes::Landscapes;

/// Every listed landscape's description, at its default parameters.
pub fn list() -> Result<Landscapes> {
    let all = AnyLandscape::LISTED.iter().map(|n| AnyLandscape::from_name(n, &[]).map(|l| l.describe()));
    Ok(Landscapes(all.collect::<Result<_>>()?))
}
