//! The stateright model: states are sim worlds, actions are the world's enabled events.
//! So a path through the model is a list of events, which is exactly a scenario file.
use crate::bounds::Bounds;
use crate::properties;
use stateright::{Model, Property};
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use verraft_sim::replay::state_line;
use verraft_sim::{Event, SharedConfig, World, WorldConfig};

/// A state of the model: a world, shared (the checker's representative and its queues copy
/// states, and a copy should cost a pointer), and the world's fingerprint. The checker
/// fingerprints every state it generates, so it is computed as the state is made. With
/// symmetry the fingerprint is the world's class fingerprint (`World::symmetric_fingerprint`),
/// so a state and its representative hash alike.
#[derive(Clone)]
pub struct State {
    world: Arc<World>,
    fingerprint: u64,
}

impl State {
    pub fn new(world: World, symmetric: bool) -> State {
        State::shared(Arc::new(world), symmetric)
    }

    fn shared(world: Arc<World>, symmetric: bool) -> State {
        let fingerprint = world.fingerprint(symmetric);
        State { world, fingerprint }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The state stateright stores for this state's class. The fingerprint already names
    /// the class, so the representative is this state itself: building the canonical
    /// renamed world (`World::representative`) would only be hashed to the same value.
    pub fn representative(&self) -> State {
        self.clone()
    }
}

/// The world alone: what the Explorer shows for a state.
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.world.fmt(f)
    }
}

impl Deref for State {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.fingerprint());
    }
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.fingerprint() == other.fingerprint()
    }
}
impl Eq for State {}

#[derive(Clone, Debug)]
pub struct RaftModel {
    /// Kept for the life of the process (`WorldConfig::leak`): every state of a check
    /// shares it without a reference count.
    pub config: &'static WorldConfig,
    /// The one bound the world does not enforce itself: the longest log a node may hold.
    pub max_log: Option<u64>,
    /// The bounds in one line, for summaries.
    pub description: String,
    /// Fingerprint states by their class under node renaming (symmetry reduction).
    pub symmetry: bool,
    /// Raised to end a search early (a time or state limit, Ctrl-C): from then on no state
    /// is expanded, so the checker's threads drain what they hold and finish, and what they
    /// found so far can be reported.
    pub stop: Arc<AtomicBool>,
}

impl RaftModel {
    pub fn new(bounds: Bounds) -> Result<RaftModel, String> {
        bounds.validate()?;
        Ok(RaftModel {
            config: bounds.world_config().leak(),
            max_log: bounds.max_log,
            description: bounds.describe(),
            symmetry: true,
            stop: Arc::default(),
        })
    }

    /// The model of a scenario's world (its header holds every limit but the log length).
    pub fn from_config(config: WorldConfig, max_log: Option<u64>) -> Result<RaftModel, String> {
        config.validate()?;
        Ok(RaftModel {
            description: format!("the world of a scenario with {} nodes", config.nodes),
            config: config.leak(),
            max_log,
            symmetry: true,
            stop: Arc::default(),
        })
    }

    pub fn init_world(&self) -> World {
        World::new(SharedConfig::Forever(self.config))
            .expect("bounds were validated in RaftModel::new")
    }

    /// The world after `event`, or `None` when the event is not possible in `world`.
    pub fn step(&self, world: &World, event: &Event) -> Option<World> {
        let mut next = world.clone();
        next.apply(event).ok()?;
        Some(next)
    }

    /// Whether a world lies inside the bounds the world itself does not enforce.
    pub fn within(&self, world: &World) -> bool {
        let Some(max_log) = self.max_log else {
            return true;
        };
        // By index, not by entries held: a snapshot does not make room for more.
        world.live_nodes().all(|n| n.last_index() <= max_log)
            && world
                .disks
                .iter()
                .all(|d| d.durable.snapshot_index() + d.durable.log.len() as u64 <= max_log)
    }
}

impl Model for RaftModel {
    type State = State;
    type Action = Event;

    fn init_states(&self) -> Vec<State> {
        vec![State::new(self.init_world(), self.symmetry)]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Event>) {
        actions.extend(state.enabled_events());
    }

    fn next_state(&self, state: &State, event: Event) -> Option<State> {
        // Copied straight into its own allocation (`make_mut` on a shared world), not built
        // on the stack and moved: a world is several hundred bytes.
        let mut next = Arc::clone(&state.world);
        Arc::make_mut(&mut next).apply(&event).ok()?;
        Some(State::shared(next, self.symmetry))
    }

    fn within_boundary(&self, state: &State) -> bool {
        !self.stop.load(Ordering::Relaxed) && self.within(state)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all(self)
    }

    fn format_action(&self, event: &Event) -> String {
        event.to_string()
    }

    /// The Explorer shows the replay line (roles, terms, logs, commits) above the full state.
    fn format_step(&self, world: &State, event: Event) -> Option<String> {
        let next = self.step(world, &event)?;
        let mut text = state_line(0, &event, &next);
        if let Some(v) = &next.violation {
            text += &format!("\nVIOLATION {v}");
        }
        Some(format!("{text}\n\n{next:#?}"))
    }
}
