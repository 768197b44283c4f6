//! RFC-style header diagrams: 32-bit rows with the field names and their values.
