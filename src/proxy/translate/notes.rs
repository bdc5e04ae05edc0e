//! What translation dropped or changed, one line each, for the request's
//! log line. Never prompt text.

/// Notes without repeats: a dropped block in every turn should log once.
#[derive(Default)]
pub struct Notes(Vec<String>);

impl Notes {
    pub fn add(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.0.contains(&note) {
            self.0.push(note);
        }
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}
