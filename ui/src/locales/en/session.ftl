# Sessions (SessionList.svelte), the active conversation view (SessionView.svelte), its chat
# panel (MessagePanel.svelte) and its call controls (CallControls.svelte).
# nl/session.ftl has the same ids. Session states, scenarios and call states are in common.ftl.

## The list of sessions
sessions-heading = Sessions
sessions-none = None yet.
sessions-open = Open session

## The active conversation view
session-view-close = Close session
session-view-customer = Customer
# A customer record the phone number matched; $n is its number.
session-view-known-contact = Known contact #{ $n }
session-view-context = Context
# A session with neither a chat nor a call; $what is its scenario ("Case").
session-view-placeholder = { $what } — the details are on the left. Close the session when you are done.

## The chat and SMS panel
messages-conversation = Conversation
messages-empty = No messages with { $name } yet.
messages-placeholder = Message { $name }…
messages-composer = Message to { $name }
messages-send = Send
messages-open-to-write = Open the session to write to the customer.

## Call controls
call-controls-label = Call controls
call-controls-state-unknown = Call state unknown
call-controls-hold = Hold
call-controls-resume = Resume
call-controls-end = End call
# The action named in an error when the call control is not known.
call-controls-call = Call
