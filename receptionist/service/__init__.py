"""The call service: NLU then one transaction per turn, the action executor and the outbox."""
