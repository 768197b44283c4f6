//! `sockscope interfaces`: the network interfaces, for `live -i`.

use super::{Error, out};
use crate::source::live::iface;

pub fn run() -> Result<(), Error> {
    out::stdout(iface::listing(&iface::all()).as_bytes())
}
