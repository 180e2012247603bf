"""The use cases: what the team can do, whoever asks (CLI, Slack, the scheduler).

Each use case takes the engine (or the App's parts) and an `Actor`, checks the actor's
role, opens its own unit of work and commits it explicitly. Callers (CLI commands,
Slack listeners) parse input and render output; they do not open database sessions.
The use cases Slack triggers also have a `..._in(session, ...)` variant (the engine-
taking one calls it): the inbound handler applies a recorded click inside its batch's
transaction (adapters.slack.durable), with the same role checks.

    campaign_control   plan, start (once per plan nonce), pause, resume, stop, status
    alert_handling     acknowledge, not a complaint, reply to the customer (once per form)
    review             the review queue and a reviewer's decision
    theme_adoption     adopt a theme and tell its contributors ("you said, we did")
    privacy            forget a contact, export a campaign's answers
"""
