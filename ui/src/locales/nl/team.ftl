# Het overzicht voor supervisors: de teamtabel (SupervisorPane), het wachtrijbord (QueueBoard) en
# de tijdlijn van een verzoek (TimelinePanel). Aanwezigheid, blokkaderedenen, tijdlijnstappen en
# wachttijden staan in common.ftl. Namen van wachtrijen, klanten en medewerkers komen ongewijzigd
# uit de werkruimte.

## De tijdlijn van een verzoek
# { $name } is de titel van het verzoek
timeline-panel-title = { $name }: wat er is gebeurd
timeline-panel-close = Sluiten
# Aan wie een verzoek ging, als dat de persoon achter dit scherm is: "Aangeboden — u"
timeline-panel-you = u
# Een medewerker van wie de app de naam niet kent
timeline-panel-agent = medewerker { $agent }

## Wachtrijbord
board-title = Wachtrijen
board-empty = Nog geen wachtrijen.
# Na een vetgedrukt getal: "3 wachtend"
board-waiting = wachtend
# { $waited } is een wachttijd ("3 min 05 s") of "—" als niemand wacht
board-longest = langste wachttijd { $waited }
# Na een vetgedrukt getal: "2 openstaande verzoeken"
board-offers-out = { $n ->
    [one] openstaand verzoek
   *[other] openstaande verzoeken
}
board-connected = verbonden { $n }
# Hoe lang één klant al wacht: "wacht al 3 min 05 s"
board-waiting-for = wacht al { $waited }
# Hoeveel medewerkers deze klant hebben geweigerd
board-declined-by = { $n ->
    [one] geweigerd door { $n } medewerker
   *[other] geweigerd door { $n } medewerkers
}
board-agent-for = Medewerker voor { $name }
board-choose-agent = Kies een medewerker…
board-offer = Aanbieden
board-assign = Toewijzen
# Genoemd in een foutmelding als het versturen mislukt; { $name } is de klant, { $agent } de medewerker
board-offer-action = { $name } aanbieden aan { $agent }
board-assign-action = { $name } toewijzen aan { $agent }
# Een medewerker van wie de app de naam niet kent
board-agent = medewerker { $agent }

## Teamtabel
team-title = Team
team-close = Sluiten
team-col-agent = Medewerker
team-col-presence = Aanwezigheid
team-col-banner = Blokkade
team-col-open-sessions = Open sessies
team-col-pending = Openstaand verzoek
team-col-missed = Gemist
team-col-rejected = Geweigerd
team-col-connected = Verbonden
# Kop van de kolom met knoppen, alleen voor schermlezers
team-col-actions = Acties
team-yes = Ja
team-no = Nee
team-reset = Aanwezigheid resetten
# Genoemd in een foutmelding als het resetten mislukt
team-reset-action = Aanwezigheid van { $name } resetten
team-empty = Nog geen teamleden om te tonen.
# Onder een naam, voor andere rollen dan medewerker
team-role-supervisor = supervisor
team-role-admin = beheerder
