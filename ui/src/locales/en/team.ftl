# The supervisor's view: the team table (SupervisorPane), the queue board (QueueBoard) and an
# offer's timeline (TimelinePanel). Presence, banner reasons, timeline steps and waits are in
# common.ftl. Names of queues, customers and agents come from the workspace as they are.

## An offer's timeline
# { $name } is the offer's title
timeline-panel-title = { $name }: what happened
timeline-panel-close = Close
# Who an offer went to, when it is the person at this screen: "Offered — you"
timeline-panel-you = you
# An agent the app has no name for
timeline-panel-agent = agent { $agent }

## Queue board
board-title = Queues
board-empty = No queues yet.
# After a number in bold: "3 waiting"
board-waiting = waiting
# { $waited } is a wait ("3 min 05 s") or "—" when nobody waits
board-longest = longest { $waited }
# After a number in bold: "2 offers out" ({ $n } is that number; Dutch needs it for the plural)
board-offers-out = offers out
board-connected = connected { $n }
# How long one customer has waited: "waiting 3 min 05 s"
board-waiting-for = waiting { $waited }
# How many agents declined this customer
board-declined-by = declined by { $n }
board-agent-for = Agent for { $name }
board-choose-agent = Choose an agent…
board-offer = Offer
board-assign = Assign
# Named in an error when sending fails; { $name } is the customer, { $agent } the agent
board-offer-action = Offer { $name } to { $agent }
board-assign-action = Assign { $name } to { $agent }
# An agent the app has no name for
board-agent = agent { $agent }

## Team table
team-title = Team
team-close = Close
team-col-agent = Agent
team-col-presence = Presence
team-col-banner = Banner
team-col-open-sessions = Open sessions
team-col-pending = Pending offer
team-col-missed = Missed
team-col-rejected = Rejected
team-col-connected = Connected
# Heading of the buttons' column, read by screen readers only
team-col-actions = Actions
team-yes = Yes
team-no = No
team-reset = Reset presence
# Named in an error when the reset fails
team-reset-action = Reset presence of { $name }
team-empty = No team members to show yet.
# Under a name, for roles other than agent
team-role-supervisor = supervisor
team-role-admin = admin
