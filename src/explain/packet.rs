//! `explain packet`: one packet of a capture, header by header.
use crate::app::Failure;
pub struct PacketExplanation;
impl PacketExplanation {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    pub fn to_text(&self, _c: bool) -> String {
        String::new()
    }
}
pub fn explain_file(_f: &str, _n: u64) -> Result<PacketExplanation, Failure> {
    Err(Failure::Usage("todo".into()))
}
