"""mentionflow's operator toolbox, apart from the runtime services ship with.

The `mentionflow` CLI (`cli`), the local system runner (`devrun`), local Kafka and PostgreSQL
(`infra`), the fake X API (`fakex`), the traffic generator (`generate`), model training and
evaluation (`training`), rule checks against recorded traffic (`rules`), replay of exported
mentions (`replay`) and demo console users (`demo_users`). These modules may know the
repository's layout (`repo`); no service imports them, and no service image contains them.
"""
