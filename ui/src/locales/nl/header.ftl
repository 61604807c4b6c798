# De balk bovenaan (Header.svelte), de meldingen eronder (Notices.svelte) en de banner bij een
# blokkade (Banner.svelte). en/header.ftl heeft dezelfde ids.

## De balk bovenaan
header-signing-in = Bezig met aanmelden…
header-presence-title = Uw aanwezigheid
header-presence = Aanwezigheid
header-embedded = Ingebouwde demowerkruimte
header-team = Team
header-settings = Instellingen
# De handeling die in de foutmelding staat als de werkruimte een wijziging van de aanwezigheid weigert.
header-change-presence = Aanwezigheid wijzigen

## Meldingen
notices-dismiss = Sluiten
notices-needs-token = Herald heeft een token nodig om u aan te melden bij { $url }.
notices-unauthorized = De werkruimte op { $url } heeft het token geweigerd.
notices-open-settings = Instellingen openen

## De banner bij een blokkade (de redenen staan in common.ftl)
banner-ui-why-missed = Waarom is het gemist?
banner-ui-reset-presence = Aanwezigheid resetten
