# The window's frame (App.svelte).

app-pick-session = Pick a session
app-no-session = No conversation open
app-pick-session-help = Choose a session on the left to see the customer and their conversation.
app-no-session-help = When a customer asks for you, Herald shows the request here (and on your desktop) with Accept and Reject. Accepted chats, SMS, calls and cases open here, side by side.
app-alerts = Requests waiting for you
app-alert-count = { $count } requests waiting
app-popups = Notifications
app-cannot-reach = Herald's window cannot reach the app
app-starting = Starting Herald…
