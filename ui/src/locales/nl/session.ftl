# Sessies (SessionList.svelte), de actieve gespreksweergave (SessionView.svelte), het chatpaneel
# (MessagePanel.svelte) en de gespreksbediening (CallControls.svelte).
# en/session.ftl heeft dezelfde ids. Sessiestatussen, scenario's en gespreksstatussen staan in common.ftl.

## De lijst met sessies
sessions-heading = Sessies
sessions-none = Nog geen sessies.
sessions-open = Sessie openen

## De actieve gespreksweergave
session-view-close = Sessie sluiten
session-view-customer = Klant
# Een klantrecord waarmee het telefoonnummer overeenkwam; $n is het nummer.
session-view-known-contact = Bekende contactpersoon #{ $n }
session-view-context = Context
# Een sessie zonder chat en zonder gesprek; $what is het scenario ("Zaak").
session-view-placeholder = { $what } — de gegevens staan links. Sluit de sessie wanneer u klaar bent.

## Het chat- en sms-paneel
messages-conversation = Gesprek
messages-empty = Nog geen berichten met { $name }.
messages-placeholder = Bericht aan { $name }…
messages-composer = Bericht aan { $name }
messages-send = Verzenden
messages-open-to-write = Open de sessie om de klant een bericht te sturen.

## Gespreksbediening
call-controls-label = Gespreksbediening
call-controls-state-unknown = Gespreksstatus onbekend
call-controls-hold = In de wacht zetten
call-controls-resume = Hervatten
call-controls-end = Gesprek beëindigen
# De handeling die in een foutmelding staat als de gespreksbediening onbekend is.
call-controls-call = Gesprek
