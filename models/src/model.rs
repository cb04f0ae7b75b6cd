//! The stateright model: states are sim worlds, actions are the world's enabled events.
//! So a path through the model is a list of events, which is exactly a scenario file.
use crate::bounds::Bounds;
use crate::properties;
use stateright::{Model, Property};
use verraft_sim::replay::state_line;
use verraft_sim::{Event, World, WorldConfig};

#[derive(Clone, Debug)]
pub struct RaftModel {
    pub config: WorldConfig,
    /// The one bound the world does not enforce itself: the longest log a node may hold.
    pub max_log: Option<u64>,
    /// The bounds in one line, for summaries.
    pub description: String,
}

impl RaftModel {
    pub fn new(bounds: Bounds) -> Result<RaftModel, String> {
        bounds.validate()?;
        Ok(RaftModel {
            config: bounds.world_config(),
            max_log: bounds.max_log,
            description: bounds.describe(),
        })
    }

    /// The model of a scenario's world (its header holds every limit but the log length).
    pub fn from_config(config: WorldConfig, max_log: Option<u64>) -> Result<RaftModel, String> {
        config.validate()?;
        Ok(RaftModel {
            description: format!("the world of a scenario with {} nodes", config.nodes),
            config,
            max_log,
        })
    }

    pub fn init_world(&self) -> World {
        World::new(self.config.clone()).expect("bounds were validated in RaftModel::new")
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
        let max_log = max_log as usize;
        world.live_nodes().all(|n| n.log().len() <= max_log)
            && world.disks.iter().all(|d| d.durable.log.len() <= max_log)
    }
}

impl Model for RaftModel {
    type State = World;
    type Action = Event;

    fn init_states(&self) -> Vec<World> {
        vec![self.init_world()]
    }

    fn actions(&self, world: &World, actions: &mut Vec<Event>) {
        actions.extend(world.enabled_events());
    }

    fn next_state(&self, world: &World, event: Event) -> Option<World> {
        self.step(world, &event)
    }

    fn within_boundary(&self, world: &World) -> bool {
        self.within(world)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all(self)
    }

    fn format_action(&self, event: &Event) -> String {
        event.to_string()
    }

    /// The Explorer shows the replay line (roles, terms, logs, commits) above the full state.
    fn format_step(&self, world: &World, event: Event) -> Option<String> {
        let next = self.step(world, &event)?;
        let mut text = state_line(0, &event, &next);
        if let Some(v) = &next.violation {
            text += &format!("\nVIOLATION {v}");
        }
        Some(format!("{text}\n\n{next:#?}"))
    }
}
