"""The pure call engine: events, actions, state, world, flow runner, slots, dates. No I/O."""
