//! A filterable list to pick from: providers and presets, or models. Typing
//! filters; a model id that is not listed can always be typed in full.

use super::form::FieldId;
use crate::proxy::models::ListedModel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickFor {
    Provider,
    Model(FieldId),
    /// The provider of a new fallback target.
    FallbackProvider,
    /// A fallback's model on `provider`: the one at `index` of the chain
    /// being edited, or (`None`) a new target at its end.
    FallbackModel {
        provider: String,
        index: Option<usize>,
    },
    /// The provider of a new menu model.
    MenuProvider,
    /// A menu model on `provider` (or the whole provider): the entry at
    /// `index` of the menu, or (`None`) a new one at its end.
    MenuModel {
        provider: String,
        index: Option<usize>,
    },
}

impl PickFor {
    /// Pickers of a model id, which may be typed in full.
    pub fn is_model(&self) -> bool {
        matches!(
            self,
            PickFor::Model(_) | PickFor::FallbackModel { .. } | PickFor::MenuModel { .. }
        )
    }
}

/// A heading the items fall under, shown once above the first of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Saved,
    Presets,
    Suggested,
    Listed,
    /// A menu's "all models of this provider".
    Whole,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What choosing it means (`existing:NAME`, `preset:ID`, a model id).
    pub id: String,
    pub label: String,
    pub detail: String,
    pub group: Group,
    /// A model's context window, as its preset, provider or list says;
    /// choosing the model fills in the form's context field with it.
    pub context: Option<u64>,
    pub max_output: Option<u64>,
}

impl Item {
    /// An item that is not a model, or a model of unknown size.
    pub fn plain(id: String, label: String, detail: String, group: Group) -> Item {
        Item {
            id,
            label,
            detail,
            group,
            context: None,
            max_output: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// Not fetching (provider pickers, or no list to fetch).
    Idle,
    /// In flight; results for other numbers are stale and dropped.
    Loading(u64),
    Done(usize),
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct Picker {
    pub purpose: PickFor,
    pub items: Vec<Item>,
    pub filter: String,
    /// Index into `visible()`.
    pub selected: usize,
    pub fetch: Fetch,
}

impl Picker {
    pub fn new(purpose: PickFor, items: Vec<Item>) -> Picker {
        Picker {
            purpose,
            items,
            filter: String::new(),
            selected: 0,
            fetch: Fetch::Idle,
        }
    }

    /// Items whose id, label or detail contain every word of the filter.
    pub fn visible(&self) -> Vec<&Item> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.items
            .iter()
            .filter(|i| {
                let hay = format!("{} {} {}", i.id, i.label, i.detail).to_lowercase();
                words.iter().all(|w| hay.contains(w))
            })
            .collect()
    }

    pub fn current(&self) -> Option<&Item> {
        self.visible().get(self.selected).copied()
    }

    pub fn select_id(&mut self, id: &str) {
        if let Some(i) = self.visible().iter().position(|it| it.id == id) {
            self.selected = i;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.visible().len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    pub fn type_char(&mut self, c: char) {
        self.filter.push(c);
        self.selected = 0;
    }

    pub fn backspace(&mut self) {
        self.filter.pop();
        self.move_by(0);
    }

    /// Add fetched models after the suggestions, without repeating any.
    /// A suggestion whose size its preset does not give takes the list's.
    pub fn add_listed(&mut self, models: Vec<ListedModel>) {
        let before = self.current().map(|i| i.id.clone());
        let mut added = 0;
        for m in models {
            match self.items.iter_mut().find(|i| i.id == m.id) {
                Some(known) => {
                    if known.context.is_none() && known.max_output.is_none() {
                        known.context = m.context;
                        known.max_output = m.max_output;
                        known.detail = size_facts(m.context, m.max_output, false);
                    }
                }
                None => {
                    self.items.push(Item {
                        detail: size_facts(m.context, m.max_output, false),
                        label: m.id.clone(),
                        id: m.id,
                        group: Group::Listed,
                        context: m.context,
                        max_output: m.max_output,
                    });
                    added += 1;
                }
            }
        }
        self.fetch = Fetch::Done(added);
        if let Some(id) = before {
            self.select_id(&id);
        }
    }

    /// The value Enter picks: the highlighted item, or for models, what was
    /// typed when nothing matches it.
    pub fn chosen(&self) -> Option<String> {
        match (self.current(), &self.purpose) {
            (Some(i), _) => Some(i.id.clone()),
            (None, p) if p.is_model() && !self.filter.trim().is_empty() => {
                Some(self.filter.trim().to_string())
            }
            _ => None,
        }
    }

    /// The typed text itself (Tab), for an id that happens to match others.
    pub fn typed(&self) -> Option<String> {
        self.purpose
            .is_model()
            .then(|| self.filter.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

/// `ctx 1000k · out 384k · thinking`
pub fn size_facts(context: Option<u64>, max_output: Option<u64>, thinking: bool) -> String {
    let k = |n: u64| {
        if n >= 1000 {
            format!("{}k", n / 1000)
        } else {
            n.to_string()
        }
    };
    let mut parts = Vec::new();
    if let Some(c) = context {
        parts.push(format!("ctx {}", k(c)));
    }
    if let Some(o) = max_output {
        parts.push(format!("out {}", k(o)));
    }
    if thinking {
        parts.push("thinking".to_string());
    }
    parts.join(" · ")
}
