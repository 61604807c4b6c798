# Woorden die in het hele venster terugkomen (logic.ts). Eén bestand per gebied; en/ heeft dezelfde ids.

## Aanwezigheid
presence-available = Beschikbaar
presence-busy = Bezet
presence-busy_dnd = Bezet – Niet storen
presence-away = Afwezig
presence-offline = Offline
presence-inactive = Inactief
presence-custom = { $custom } ({ $base })

## Waarom een medewerker geblokkeerd is
banner-missed = Gemist verzoek
banner-rejected = Geweigerd verzoek
banner-max_sessions = Maximaal aantal sessies bereikt
banner-disconnected = Verbinding verbroken
banner-other = Let op

## Scenario's (R1–R8)
scenario-chat = Chat
scenario-sms = Sms
scenario-voice = Telefoongesprek
scenario-case = Zaak
scenario-work_item = Werkitem
scenario-transfer = Doorschakeling
scenario-escalation = Escalatie
scenario-bot_escalation = Overdracht door bot

## Sessies en gesprekken
session-assigned = Toegewezen
session-open = Open
session-closed = Gesloten
call-connected = Verbonden
call-on_hold = In de wacht
call-ended = Gesprek beëindigd
delivery-sending = Verzenden…
delivery-retrying = Verzenden… (poging { $attempt })
delivery-failed = Niet afgeleverd
delivery-failed-why = Niet afgeleverd: { $error }

## Knoppen bij een verzoek
action-accept = Accepteren
action-reject = Weigeren
action-open_item = Item openen

## De tijdlijn van een verzoek
timeline-offered = Aangeboden
timeline-shown = Op het scherm getoond
timeline-held_unseen = Nooit getoond, de app was weg: vastgehouden
timeline-toast_clicked = Melding aangeklikt
timeline-toast_dismissed = Melding gesloten zonder antwoord
timeline-sound_played = Geluid afgespeeld
timeline-screen_locked = Scherm vergrendeld
timeline-screen_unlocked = Scherm ontgrendeld
timeline-do_not_disturb_on = Niet storen op het bureaublad aan
timeline-do_not_disturb_off = Niet storen op het bureaublad uit
timeline-accepted = Geaccepteerd
timeline-rejected = Geweigerd
timeline-timed_out = Niemand antwoordde op tijd
timeline-withdrawn = Ingetrokken
timeline-offered_next = Daarna aangeboden

## Wachttijden
wait-seconds = { $s } s
wait-minutes = { $m } min { $s } s
wait-hours = { $h } u { $m } min

## De verbinding met de werkruimte
connection-live = Live
connection-polling = Verbonden (polling)
connection-reconnecting = Opnieuw verbinden…
connection-connecting = Verbinden…
connection-unauthorized = Aanmelding geweigerd
connection-needs_token = Aanmelden nodig

## Bureaubladmeldingen (R16)
toasts-unavailable = Bureaubladmeldingen zijn niet beschikbaar: { $detail }. Meldingen in Herald blijven werken.
toasts-unavailable-why = het systeem stond ze niet toe
toasts-no-actions = Bureaubladmeldingen kunnen hier geen knoppen tonen: ze informeren alleen. Accepteer of weiger in Herald.

## Meldingsmodi (R11)
mode-workspace = De instelling van de werkruimte gebruiken
mode-always = Altijd
mode-background = Alleen als Herald op de achtergrond staat
mode-off = Uit

## Overgaan
ring-chat = Chat
ring-sms = Sms
ring-voice = Telefoongesprek (gaat over als een telefoon)
ring-case = Zaak of werkitem
ring-transfer = Doorschakeling of escalatie

## Weigeringen
error-offer_not_pending = Dit verzoek is niet meer beschikbaar — het is aangenomen, ingetrokken of verlopen.
error-reject_not_allowed = Dit verzoek kan niet geweigerd worden: uw organisatie heeft het aan u toegewezen.
error-forbidden = U mag dat niet doen.
error-not_found = Dat item bestaat niet meer.
error-unauthenticated = De werkruimte accepteerde uw aanmelding niet. Controleer het token in Instellingen.
error-unavailable = De werkruimte schakelt over naar een andere server; probeer het zo opnieuw.
error-wrong_state = Dat kan nu niet: het item is intussen veranderd.
error-failed = De opdracht is mislukt.
