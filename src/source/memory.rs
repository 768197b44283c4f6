//! An in-memory source: frames built by tests (or by the lesson player) without any file.

use super::{Frame, OwnedFrame, Source, SourceError};

/// Yields a fixed list of frames, in order.
#[derive(Debug, Default)]
pub struct MemorySource {
    frames: Vec<OwnedFrame>,
    next: usize,
}

impl MemorySource {
    pub fn new(frames: Vec<OwnedFrame>) -> Self {
        MemorySource { frames, next: 0 }
    }
}

impl Source for MemorySource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        let Some(f) = self.frames.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        Ok(Some(f.as_frame()))
    }
}
