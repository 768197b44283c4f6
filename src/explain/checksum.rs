//! Internet checksums (RFC 1071) recomputed from captured bytes, to tell a learner whether the
//! checksum in a header is right.
