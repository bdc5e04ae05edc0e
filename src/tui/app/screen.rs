//! What is on screen: the list, the form (with a picker over it), the
//! connection test, the usage or resume screen, or a dialog; the test and
//! dialogs remember what they cover.

use super::msg::Cmd;
use super::resume::ResumeView;
use super::usage::UsageView;
use crate::checks::probe::ProbeStep;
use crate::tui::form::Form;
use crate::tui::picker::Picker;

#[derive(Debug)]
pub enum Screen {
    /// The profile list; `filtering` while letters go to its filter.
    Home { filtering: bool },
    /// The profile form, with a picker over it while choosing a provider
    /// or a model.
    Form {
        form: Box<Form>,
        picker: Option<Picker>,
    },
    /// The connection test, and the screen it goes back to.
    Test { test: TestView, back: Box<Screen> },
    /// A dialog over the screen it goes back to.
    Overlay {
        overlay: Overlay,
        under: Box<Screen>,
    },
    /// Cost and tokens over the last 30 days, and budgets (back to the list).
    Usage(Box<UsageView>),
    /// A profile's recent sessions in this folder, to resume one (back to
    /// the list).
    Resume(Box<ResumeView>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    ConfirmDelete(String),
    /// Esc on a form with changes: discard them?
    ConfirmDiscard,
    /// `i` on a first run: import what was found (the lines say what)?
    ConfirmImport(Vec<String>),
}

/// The connection test screen.
#[derive(Clone, Debug)]
pub struct TestView {
    pub profile: String,
    pub provider: String,
    pub model: String,
    /// Which request the results must belong to.
    pub seq: u64,
    /// `None` while running; `Err` when the test could not start.
    pub result: Option<Result<Vec<ProbeStep>, String>>,
    /// Runs the same test again.
    pub again: Cmd,
}

impl Default for Screen {
    fn default() -> Screen {
        Screen::Home { filtering: false }
    }
}

impl Overlay {
    pub fn over(self, under: Screen) -> Screen {
        Screen::Overlay {
            overlay: self,
            under: Box::new(under),
        }
    }
}

impl Screen {
    /// The form, with nothing over it.
    pub fn editing(form: Box<Form>) -> Screen {
        Screen::Form { form, picker: None }
    }

    pub fn picking(form: Box<Form>, picker: Picker) -> Screen {
        Screen::Form {
            form,
            picker: Some(picker),
        }
    }
}

// The form, its picker and the test are found under whatever covers them:
// results for them arrive whatever is on top.
impl Screen {
    pub fn form(&self) -> Option<&Form> {
        match self {
            Screen::Form { form, .. } => Some(form),
            Screen::Test { back: s, .. } | Screen::Overlay { under: s, .. } => s.form(),
            Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => None,
        }
    }

    pub fn form_mut(&mut self) -> Option<&mut Form> {
        match self {
            Screen::Form { form, .. } => Some(form),
            Screen::Test { back: s, .. } | Screen::Overlay { under: s, .. } => s.form_mut(),
            Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => None,
        }
    }

    pub fn picker(&self) -> Option<&Picker> {
        match self {
            Screen::Form { picker, .. } => picker.as_ref(),
            Screen::Test { back: s, .. } | Screen::Overlay { under: s, .. } => s.picker(),
            Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => None,
        }
    }

    pub(super) fn picker_mut(&mut self) -> Option<&mut Picker> {
        match self {
            Screen::Form { picker, .. } => picker.as_mut(),
            Screen::Test { back: s, .. } | Screen::Overlay { under: s, .. } => s.picker_mut(),
            Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => None,
        }
    }

    pub fn test(&self) -> Option<&TestView> {
        match self {
            Screen::Test { test, .. } => Some(test),
            Screen::Overlay { under, .. } => under.test(),
            Screen::Form { .. } | Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => {
                None
            }
        }
    }

    pub(super) fn test_mut(&mut self) -> Option<&mut TestView> {
        match self {
            Screen::Test { test, .. } => Some(test),
            Screen::Overlay { under, .. } => under.test_mut(),
            Screen::Form { .. } | Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_) => {
                None
            }
        }
    }

    /// The dialog on top, if one is.
    pub fn overlay(&self) -> Option<&Overlay> {
        match self {
            Screen::Overlay { overlay, .. } => Some(overlay),
            _ => None,
        }
    }

    /// The same screens with the form closed (saved or discarded): what
    /// covered it stays, and goes back to the list instead.
    pub fn without_form(self) -> Screen {
        match self {
            Screen::Form { .. } => Screen::default(),
            Screen::Test { test, back } => Screen::Test {
                test,
                back: Box::new(back.without_form()),
            },
            Screen::Overlay { overlay, under } => overlay.over(under.without_form()),
            other @ (Screen::Home { .. } | Screen::Usage(_) | Screen::Resume(_)) => other,
        }
    }
}
