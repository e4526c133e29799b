using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Adapters.Respond.Channels.Teams;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Cli.Replay;

/// <summary>Renders the email and Teams card a replay would send, with the same builders the real channels use.</summary>
internal static class MessagePreviews
{
    /// <summary>The email's subject and plain-text part (the HTML part carries the same content), with the alert's incident if it has one.</summary>
    public static string Email(Alert alert, Incident? incident = null)
    {
        var email = EmailBuilder.Build(alert, incident: incident);
        return $"Subject: {email.Subject}\n\n{email.Text.TrimEnd()}";
    }

    /// <summary>The Teams webhook payload, exactly as it would be posted.</summary>
    public static string TeamsCard(Alert alert, Incident? incident = null) => AdaptiveCardBuilder.Build(alert, incident: incident);

    /// <summary>The alert's incident as the real channels read it, or null.</summary>
    public static async Task<Incident?> IncidentOfAsync(IServiceProvider services, Alert alert, CancellationToken cancellationToken)
        => alert.IncidentId is null || services.GetService(typeof(IIncidentStore)) is not IIncidentStore store
            ? null
            : await store.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);
}
